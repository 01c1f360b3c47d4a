/*
 * Shared helpers of the desk pages (docs/desk.md): the CSRF header, JSON requests with
 * errors shown in an accessible alert, the header with navigation and sign-out, the live
 * updates over Socket.IO, and small DOM helpers.
 *
 * Security: the pages run under a strict Content-Security-Policy (no inline script or
 * style), and texts from citizens are only ever put in the page with textContent.
 */
(function (root) {
  "use strict";

  const Desk = {};
  const API = "/desk/api";

  // --- DOM --------------------------------------------------------------------------------

  /** An element with a class and (plain) text. Never parses HTML. */
  Desk.el = function (tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  };

  Desk.button = function (text, variant, onClick) {
    const button = Desk.el("button", "utrecht-button " + (variant || "utrecht-button--secondary-action"), text);
    button.type = "button";
    if (onClick) button.addEventListener("click", onClick);
    return button;
  };

  Desk.clear = function (element) {
    while (element.firstChild) element.removeChild(element.firstChild);
  };

  // --- Texts ------------------------------------------------------------------------------

  Desk.LANGUAGES = {
    nl: "Nederlands",
    en: "Engels",
    ar: "Arabisch",
    tr: "Turks",
    uk: "Oekraïens",
    pl: "Pools",
    de: "Duits",
    fr: "Frans",
    es: "Spaans",
  };

  Desk.languageName = function (code) {
    return Desk.LANGUAGES[code] || code || "onbekend";
  };

  Desk.CHANNELS = { socketio: "Website/kiosk", whatsapp: "WhatsApp" };

  Desk.channelName = function (code) {
    return Desk.CHANNELS[code] || code;
  };

  Desk.ROLES = { advisor: "Adviseur", editor: "Redacteur", admin: "Beheerder", partner: "Partner" };

  const timeFormat = new Intl.DateTimeFormat("nl-NL", { hour: "2-digit", minute: "2-digit" });
  const dateTimeFormat = new Intl.DateTimeFormat("nl-NL", {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });

  /** "14:05" today, "3 mrt. 14:05" on another day; "" for no date. */
  Desk.formatTime = function (iso) {
    if (!iso) return "";
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    const today = new Date();
    const sameDay = date.toDateString() === today.toDateString();
    return (sameDay ? timeFormat : dateTimeFormat).format(date);
  };

  /** The ISO value for a <time datetime>, or "" when it cannot be read. */
  Desk.isoValue = function (iso) {
    const date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toISOString();
  };

  Desk.time = function (iso) {
    const element = Desk.el("time", "", Desk.formatTime(iso));
    const value = Desk.isoValue(iso);
    if (value) element.dateTime = value;
    return element;
  };

  // --- Alerts and announcements -----------------------------------------------------------

  /** Shows a message in the page's role="alert" element (#desk-alert). */
  Desk.showError = function (text) {
    const alert = document.getElementById("desk-alert");
    if (!alert) return;
    // Emptied first, so that the same message twice is announced twice.
    alert.textContent = "";
    root.setTimeout(function () {
      alert.textContent = text;
    }, 50);
  };

  Desk.clearError = function () {
    const alert = document.getElementById("desk-alert");
    if (alert) alert.textContent = "";
  };

  /** Says something through the polite live region (#desk-status), for screen readers. */
  Desk.announce = function (text) {
    const status = document.getElementById("desk-status");
    if (!status) return;
    status.textContent = "";
    root.setTimeout(function () {
      status.textContent = text;
    }, 50);
  };

  // --- Requests ---------------------------------------------------------------------------

  /** The current CSRF token: read from the cookie at every send, it changes at sign-in. */
  Desk.csrfToken = function () {
    const parts = document.cookie ? document.cookie.split(";") : [];
    for (const part of parts) {
      const index = part.indexOf("=");
      if (index < 0) continue;
      if (part.slice(0, index).trim() === "desk_csrf") {
        return decodeURIComponent(part.slice(index + 1).trim());
      }
    }
    return "";
  };

  /** An error of the API, with the HTTP status and the Dutch `detail` for the advisor. */
  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
      this.detail = detail;
    }
  }
  Desk.ApiError = ApiError;

  const FALLBACK_ERRORS = {
    401: "U bent niet meer ingelogd. Log opnieuw in.",
    403: "Dit mag u niet doen. Laad de pagina opnieuw en probeer het nog eens.",
    404: "Dit bestaat niet (meer).",
    409: "Dit kan nu niet. Iemand anders is er misschien al mee bezig.",
    422: "Dit klopt niet. Kijk wat u heeft ingevuld.",
    423: "Uw account is geblokkeerd. Vraag de beheerder om hulp.",
  };

  /**
   * A JSON request to the desk API. `path` is under /desk/api. Resolves with the parsed
   * answer (null for 204). Rejects with an ApiError; unless `options.quiet`, its text is
   * shown in the alert first. Without a session (401) a signed-in page goes to the login
   * page, unless `options.stayOn401`.
   */
  Desk.api = async function (method, path, body, options) {
    options = options || {};
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = Desk.csrfToken();
    if (body !== undefined && body !== null) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(API + path, {
        method: method,
        headers: headers,
        body: body !== undefined && body !== null ? JSON.stringify(body) : undefined,
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch (networkError) {
      const error = new ApiError(0, "Er is geen verbinding met de server. Probeer het straks opnieuw.");
      if (!options.quiet) Desk.showError(error.detail);
      throw error;
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (parseError) {
        data = null;
      }
    }
    if (response.ok) return data;
    if (response.status === 401 && !options.stayOn401) {
      root.location.assign("/desk/login");
    }
    const detail = data && typeof data.detail === "string" ? data.detail : errorText(response.status, data);
    const error = new ApiError(response.status, detail);
    if (!options.quiet) Desk.showError(detail);
    throw error;
  };

  function errorText(status, data) {
    // FastAPI's own 422 has a list as detail; the advisor gets one plain sentence.
    if (data && Array.isArray(data.detail) && status === 422) return FALLBACK_ERRORS[422];
    return FALLBACK_ERRORS[status] || "Er ging iets mis (" + status + "). Probeer het opnieuw.";
  }

  Desk.get = function (path, options) {
    return Desk.api("GET", path, null, options);
  };

  Desk.post = function (path, body, options) {
    return Desk.api("POST", path, body === undefined ? {} : body, options);
  };

  /**
   * Runs an action of a button: marked busy meanwhile (aria-disabled, not `disabled`, so the
   * keyboard focus stays on it), a second click is ignored, errors are shown in the alert.
   */
  Desk.busy = async function (button, action) {
    if (button) {
      if (button.dataset.busy === "true") return undefined;
      button.dataset.busy = "true";
      button.setAttribute("aria-disabled", "true");
    }
    try {
      Desk.clearError();
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError)) {
        Desk.showError("Er ging iets mis. Probeer het opnieuw.");
        if (root.console) root.console.error(error);
      }
      return undefined;
    } finally {
      if (button) {
        delete button.dataset.busy;
        button.removeAttribute("aria-disabled");
      }
    }
  };

  // --- Header -----------------------------------------------------------------------------

  /**
   * Fills the header of a signed-in page: the advisor's name, "Beheer" for admins,
   * "Inzichten" for admins and partners (who see nothing else), and the sign-out buttons.
   * Resolves with the advisor (`GET /desk/api/me`).
   */
  Desk.initHeader = async function () {
    const logout = document.getElementById("logout");
    const everywhere = document.getElementById("logout-everywhere");
    function signOut(button, path) {
      button.addEventListener("click", function () {
        Desk.busy(button, async function () {
          try {
            await Desk.post(path, {}, { stayOn401: true, quiet: true });
          } catch (error) {
            // Not signed in any more: that is what the advisor wanted.
            if (error.status !== 401) {
              Desk.showError(error.detail);
              return;
            }
          }
          root.location.assign("/desk/login");
        });
      });
    }
    if (logout) signOut(logout, "/logout");
    if (everywhere) signOut(everywhere, "/logout-everywhere");
    const me = await Desk.get("/me");
    Desk.me = me;
    const name = document.getElementById("desk-user-name");
    if (name) name.textContent = "Ingelogd als " + (me.name || me.username);
    const admin = document.getElementById("nav-admin");
    if (admin) admin.hidden = me.role !== "admin";
    const navigation = {
      "nav-queue": me.role !== "partner",
      "nav-callbacks": me.role !== "partner",
      "nav-insights": me.role === "admin" || me.role === "partner",
    };
    Object.keys(navigation).forEach(function (id) {
      const item = document.getElementById(id);
      if (item) item.hidden = !navigation[id];
    });
    return me;
  };

  // --- Live updates -----------------------------------------------------------------------

  /**
   * Connects to the desk's Socket.IO (signed in by the session cookie). `onChanged` gets
   * the `changed` event's data ({what, id}), and {what: "reconnect"} after a (re)connect,
   * when updates may have been missed.
   */
  Desk.live = function (onChanged) {
    if (typeof root.io !== "function") return null;
    const socket = root.io({ path: "/desk/socket.io" });
    let connectedBefore = false;
    socket.on("connect", function () {
      if (connectedBefore) onChanged({ what: "reconnect", id: null });
      connectedBefore = true;
    });
    socket.on("changed", function (data) {
      onChanged(data || { what: "queue", id: null });
    });
    Desk.socket = socket;
    return socket;
  };

  /** Calls `fn` at most once per `wait` ms, the last call winning (for bursts of events). */
  Desk.debounce = function (fn, wait) {
    let timer = null;
    return function () {
      const args = arguments;
      if (timer) root.clearTimeout(timer);
      timer = root.setTimeout(function () {
        timer = null;
        fn.apply(null, args);
      }, wait);
    };
  };

  root.Desk = Desk;
})(window);
