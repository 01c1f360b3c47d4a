/*
 * Leerwijzer website widget. Embed with one tag (docs/widget-and-kiosk.md):
 *
 *   <script src="https://leerwijzer.example/widget/leerwijzer-widget.js"
 *           data-server-url="https://leerwijzer.example:5005"
 *           data-title="Leerwijzer" data-language="nl" data-place="Etten-Leur" defer></script>
 *
 * or set window.LEERWIJZER_WIDGET = {serverUrl, title, language, ...} before it (the
 * tag's data-* attributes win). The script loads its own files from next to itself: the
 * NL Design System CSS and tokens, the bundled Socket.IO client and the widget's modules.
 * Nothing comes from anywhere else; nothing tracks.
 */
(function (root) {
  "use strict";
  var doc = root.document;
  var script =
    doc.currentScript || doc.querySelector('script[src*="leerwijzer-widget.js"]');
  var base = new URL(".", script ? script.src : root.location.href);
  var STORAGE_KEY = "leerwijzer-widget";
  var TRANSCRIPT_LIMIT = 100;
  // Stop saying "... schrijft een antwoord…" when no answer came within this time.
  var ANSWER_TIMEOUT = 20000;

  function readOptions() {
    var given = root.LEERWIJZER_WIDGET || {};
    var data = (script && script.dataset) || {};
    var pick = function (name, fallback) {
      if (data[name] !== undefined && data[name] !== "") return data[name];
      if (given[name] !== undefined && given[name] !== null) return given[name];
      return fallback;
    };
    var list = function (value) {
      return (Array.isArray(value) ? value : String(value).split(/[\s,]+/)).filter(Boolean);
    };
    var site = root.LEERWIJZER_CONFIG || {};
    return {
      serverUrl: pick("serverUrl", site.serverUrl || base.origin),
      title: pick("title", "Leerwijzer"),
      language: pick("language", "nl"),
      languages: list(pick("languages", "nl en ar tr uk pl")),
      // Languages the assistant itself answers in; for now only Dutch (issue 8).
      assistantLanguages: list(pick("assistantLanguages", "nl")),
      storage: pick("storage", "session") === "memory" ? "memory" : "session",
      open: String(pick("open", "false")) === "true",
      container: pick("container", null),
      themeCss: pick("themeCss", new URL("../vendor/voorbeeld-theme.css", base).href),
      themeClass: pick("themeClass", "voorbeeld-theme"),
      privacyUrl: pick("privacyUrl", new URL("../privacy.html", base).href),
      // Where the site stands (a municipality's site): the assistant searches nearby when the
      // person does not say where they live, and says so.
      place: pick("place", ""),
    };
  }

  function loadStyle(href) {
    if (!href || href === "none") return;
    var absolute = new URL(href, root.location.href).href;
    var existing = doc.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < existing.length; i += 1) {
      if (existing[i].href === absolute) return;
    }
    var link = doc.createElement("link");
    link.rel = "stylesheet";
    link.href = absolute;
    doc.head.appendChild(link);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var element = doc.createElement("script");
      element.src = src;
      element.async = false;
      element.onload = resolve;
      element.onerror = function () {
        reject(new Error("Could not load " + src));
      };
      doc.head.appendChild(element);
    });
  }

  // The Socket.IO client defines a global `io`; keep a host page's own `io` untouched.
  function loadSocketIo() {
    var L = root.Leerwijzer || {};
    if (L.io) return Promise.resolve(L.io);
    var hadIo = Object.prototype.hasOwnProperty.call(root, "io");
    var previous = root.io;
    return loadScript(new URL("../vendor/socket.io.min.js", base).href).then(function () {
      var ours = root.io;
      if (hadIo) root.io = previous;
      else delete root.io;
      root.Leerwijzer = root.Leerwijzer || {};
      root.Leerwijzer.io = ours;
      return ours;
    });
  }

  function loadModules() {
    var L = root.Leerwijzer || {};
    if (L.Conversation && L.renderMessage && L.STRINGS) return Promise.resolve();
    return Promise.all(
      ["strings.js", "conversation.js", "messages.js"].map(function (file) {
        return loadScript(new URL(file, base).href);
      })
    );
  }

  var storage = {
    read: function (kind) {
      if (kind !== "session") return null;
      try {
        return JSON.parse(root.sessionStorage.getItem(STORAGE_KEY) || "null");
      } catch (error) {
        return null;
      }
    },
    write: function (kind, value) {
      if (kind !== "session") return;
      try {
        root.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
      } catch (error) {
        // Storage full or blocked: the widget still works, it just forgets on reload.
      }
    },
  };

  function Widget(options, L) {
    this.options = options;
    this.L = L;
    var saved = storage.read(options.storage) || {};
    var language = L.language(saved.language) ? saved.language : options.language;
    if (!L.language(language) || options.languages.indexOf(language) < 0) {
      language = L.DEFAULT_LANGUAGE;
    }
    this.state = {
      sessionId: L.validSessionId(saved.sessionId) ? saved.sessionId : L.newSessionId(),
      language: language,
      textSize: [0, 1, 2].indexOf(saved.textSize) >= 0 ? saved.textSize : 0,
      open: options.container ? true : saved.open === undefined ? options.open : saved.open,
      started: Boolean(saved.started),
      transcript: Array.isArray(saved.transcript) ? saved.transcript : [],
    };
    var self = this;
    this.chat = new L.Chat({
      serverUrl: options.serverUrl,
      client: "widget",
      place: options.place,
      title: options.title,
      assistantLanguages: options.assistantLanguages,
      language: function () {
        return self.state.language;
      },
      onAnswer: function (message) {
        self.add(message);
      },
      answerTimeout: ANSWER_TIMEOUT,
    });
    this.inline = Boolean(options.container);
    this.root = L.el("div", "lw-root lw-widget " + options.themeClass);
    var host = this.inline ? doc.querySelector(options.container) : null;
    (host || doc.body).appendChild(this.root);
    if (this.inline) this.root.classList.add("lw-root--inline");
    L.speech.onChange(function () {
      L.refreshReadButtons(self.root);
    });
    this.render();
    if (this.state.open) {
      this.connect(); // back in the session's room after a page load
      this.start();
    }
  }

  Widget.prototype.t = function (key, values) {
    return this.chat.t(key, values);
  };

  Widget.prototype.save = function () {
    this.state.transcript = this.state.transcript.slice(-TRANSCRIPT_LIMIT);
    storage.write(this.options.storage, this.state);
  };

  Widget.prototype.connect = function () {
    this.chat.connect(this.state.sessionId, this.state.started);
  };

  // The first message of a session (conversation.js: openingPayload).
  Widget.prototype.start = function () {
    if (this.state.started) return;
    this.state.started = true;
    this.save();
    this.connect();
    this.chat.sendOpening();
  };

  Widget.prototype.add = function (message) {
    this.state.transcript.push(message);
    this.save();
    return this.view.add(message);
  };

  Widget.prototype.sendText = function (text, shownAs) {
    this.start();
    this.add({ who: "user", text: shownAs || text });
    this.chat.send(text);
  };

  Widget.prototype.choose = function (button) {
    // The welcome's "Andere taal" button opens the language choice here.
    if (this.L.asksForLanguageChoice(button)) {
      this.toggleLanguages(true);
      return;
    }
    this.sendText(button.payload, button.title);
  };

  Widget.prototype.submit = function () {
    var text = this.input.value.trim();
    var problem = this.L.lengthProblem(text, this.state.language);
    if (problem) {
      this.error.textContent = problem;
      this.error.hidden = false;
      this.input.setAttribute("aria-invalid", "true");
      this.input.focus();
      return;
    }
    this.clearError();
    if (!text) return;
    this.input.value = "";
    this.sendText(text);
  };

  Widget.prototype.clearError = function () {
    this.error.hidden = true;
    this.error.textContent = "";
    this.input.removeAttribute("aria-invalid");
  };

  Widget.prototype.setLanguage = function (code) {
    if (!this.L.language(code) || this.options.languages.indexOf(code) < 0) return;
    if (code === this.state.language) {
      this.toggleLanguages(false);
      return;
    }
    this.state.language = code;
    this.state.transcript.push({
      who: "note",
      text: this.t("languageSet", { language: this.L.language(code).name }),
    });
    this.save();
    this.render();
    this.languageToggle.focus();
    if (this.state.started) {
      this.connect();
      this.chat.sendLanguage();
    } else {
      this.start();
    }
  };

  Widget.prototype.setTextSize = function (size) {
    this.state.textSize = size;
    this.save();
    this.root.setAttribute("data-text-size", String(size));
    this.sizeButtons.forEach(function (button, index) {
      button.setAttribute("aria-pressed", String(index === size));
    });
  };

  Widget.prototype.toggleLanguages = function (show) {
    var open = show === undefined ? this.languageList.hidden : show;
    this.languageList.hidden = !open;
    this.languageToggle.setAttribute("aria-expanded", String(open));
    if (open) {
      var current = this.languageList.querySelector('[aria-current="true"]');
      (current || this.languageList.querySelector("button")).focus();
    }
  };

  Widget.prototype.open = function () {
    this.state.open = true;
    this.save();
    this.panel.hidden = false;
    if (this.launcher) this.launcher.setAttribute("aria-expanded", "true");
    this.connect();
    this.start();
    this.view.scrollTo(null);
    this.input.focus();
  };

  Widget.prototype.close = function () {
    if (this.inline) return;
    this.state.open = false;
    this.save();
    this.L.speech.stop();
    this.panel.hidden = true;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
  };

  Widget.prototype.forget = function () {
    var self = this;
    if (this.state.started) this.connect();
    this.L.speech.stop();
    var done = this.chat.forget();
    this.state.sessionId = this.L.newSessionId();
    this.state.started = false;
    this.state.transcript = [{ who: "note", text: this.t("forgotten") }];
    this.save();
    this.render();
    this.input.focus();
    return done.then(function () {
      self.start();
    });
  };

  // Builds the whole widget from the state; used at start and when the language changes.
  Widget.prototype.render = function () {
    var self = this;
    var L = this.L;
    var el = L.el;
    var language = L.language(this.state.language);
    var rootElement = this.root;
    while (rootElement.firstChild) rootElement.removeChild(rootElement.firstChild);
    rootElement.lang = language.code;
    rootElement.dir = language.dir;
    rootElement.setAttribute("data-text-size", String(this.state.textSize));

    var id = function (name) {
      return "leerwijzer-" + name;
    };

    if (!this.inline) {
      this.launcher = el("button", "utrecht-button utrecht-button--primary-action lw-launcher");
      this.launcher.type = "button";
      this.launcher.setAttribute("aria-controls", id("panel"));
      this.launcher.setAttribute("aria-expanded", String(this.state.open));
      this.launcher.appendChild(el("span", "lw-launcher__title", this.options.title));
      this.launcher.appendChild(el("span", "lw-launcher__text", this.t("launcher")));
      this.launcher.addEventListener("click", function () {
        if (self.panel.hidden) self.open();
        else self.close();
      });
      rootElement.appendChild(this.launcher);
    }

    var panel = el("section", "lw-panel utrecht-document");
    panel.id = id("panel");
    panel.setAttribute("aria-labelledby", id("title"));
    panel.hidden = !this.state.open;
    this.panel = panel;
    rootElement.appendChild(panel);

    var header = el("div", "lw-header");
    var title = el("h2", "utrecht-heading-2 lw-title", this.options.title);
    title.id = id("title");
    header.appendChild(title);

    var tools = el("div", "lw-tools");
    this.languageToggle = el("button", "utrecht-button utrecht-button--subtle lw-language");
    this.languageToggle.type = "button";
    this.languageToggle.setAttribute("aria-expanded", "false");
    this.languageToggle.setAttribute("aria-controls", id("languages"));
    var toggleLabel = el("span", "", this.t("language") + ": ");
    var currentName = el("span", "", language.name);
    currentName.lang = language.code;
    toggleLabel.appendChild(currentName);
    this.languageToggle.appendChild(toggleLabel);
    this.languageToggle.addEventListener("click", function () {
      self.toggleLanguages();
    });
    tools.appendChild(this.languageToggle);

    var sizes = el("div", "lw-sizes");
    sizes.setAttribute("role", "group");
    sizes.setAttribute("aria-label", this.t("textSize"));
    this.sizeButtons = [
      ["A", "sizeNormal"],
      ["A+", "sizeLarger"],
      ["A++", "sizeLargest"],
    ].map(function (pair, index) {
      var button = el("button", "utrecht-button utrecht-button--subtle lw-size lw-size--" + index);
      button.type = "button";
      var label = el("span", "", pair[0]);
      label.appendChild(el("span", "lw-visually-hidden", " " + self.t(pair[1])));
      button.appendChild(label);
      button.setAttribute("aria-pressed", String(index === self.state.textSize));
      button.addEventListener("click", function () {
        self.setTextSize(index);
      });
      sizes.appendChild(button);
      return button;
    });
    tools.appendChild(sizes);

    if (!this.inline) {
      var close = el("button", "utrecht-button utrecht-button--subtle lw-close", this.t("close"));
      close.type = "button";
      close.addEventListener("click", function () {
        self.close();
      });
      tools.appendChild(close);
    }
    header.appendChild(tools);

    this.languageList = el("ul", "lw-languages");
    this.languageList.id = id("languages");
    this.languageList.hidden = true;
    this.languageList.setAttribute("aria-label", this.t("language"));
    this.options.languages.forEach(function (code) {
      var entry = L.language(code);
      if (!entry) return;
      var item = el("li");
      var button = el("button", "utrecht-button utrecht-button--secondary-action", entry.name);
      button.type = "button";
      button.lang = entry.code;
      button.dir = entry.dir;
      if (code === self.state.language) button.setAttribute("aria-current", "true");
      button.addEventListener("click", function () {
        self.setLanguage(code);
      });
      item.appendChild(button);
      self.languageList.appendChild(item);
    });
    header.appendChild(this.languageList);
    panel.appendChild(header);

    if (this.chat.assistantLanguage() !== this.state.language) {
      panel.appendChild(el("p", "lw-notice", this.t("dutchOnly")));
    }

    this.view = new L.ConversationView({
      language: this.state.language,
      title: this.options.title,
      links: true,
      className: "lw-log",
      onChoice: function (button) {
        self.choose(button);
      },
    });
    this.view.appendTo(panel);
    this.view.render(this.state.transcript);
    this.chat.show(this.view);

    var form = el("form", "lw-composer");
    form.noValidate = true;
    var label = el("label", "utrecht-form-label lw-composer__label", this.t("yourMessage"));
    label.htmlFor = id("input");
    form.appendChild(label);
    this.error = el("p", "utrecht-form-field-error-message lw-error");
    this.error.id = id("error");
    this.error.hidden = true;
    this.error.setAttribute("role", "alert");
    form.appendChild(this.error);
    var row = el("div", "lw-composer__row");
    this.input = el("input", "utrecht-textbox utrecht-textbox--html-input lw-input");
    this.input.id = id("input");
    this.input.type = "text";
    this.input.autocomplete = "off";
    this.input.dir = "auto";
    this.input.setAttribute("aria-describedby", id("error"));
    this.input.addEventListener("input", function () {
      if (!self.error.hidden) self.clearError();
    });
    row.appendChild(this.input);
    var send = el("button", "utrecht-button utrecht-button--primary-action lw-send", this.t("send"));
    send.type = "submit";
    row.appendChild(send);
    form.appendChild(row);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      self.submit();
    });
    panel.appendChild(form);

    var footer = el("div", "lw-footer");
    footer.appendChild(el("p", "lw-disclosure", this.t("disclosure")));
    var privacyHref = L.safeHttpUrl(new URL(this.options.privacyUrl, root.location.href).href);
    if (privacyHref) {
      var privacy = el("a", "utrecht-link lw-privacy", this.t("privacy"));
      privacy.href = privacyHref;
      privacy.target = "_blank";
      privacy.rel = "noopener noreferrer";
      privacy.appendChild(el("span", "lw-visually-hidden", " " + this.t("newTab")));
      footer.appendChild(privacy);
    }
    var forget = el("button", "utrecht-button utrecht-button--subtle lw-forget", this.t("forget"));
    forget.type = "button";
    forget.addEventListener("click", function () {
      self.forget();
    });
    footer.appendChild(forget);
    panel.appendChild(footer);

    panel.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      if (!self.languageList.hidden) {
        self.toggleLanguages(false);
        self.languageToggle.focus();
      } else {
        self.close();
      }
    });
  };

  function boot() {
    var options = readOptions();
    loadStyle(options.themeCss);
    loadStyle(new URL("../vendor/nl-design-system.css", base).href);
    loadStyle(new URL("widget.css", base).href);
    Promise.all([loadSocketIo(), loadModules()])
      .then(function () {
        var L = root.Leerwijzer;
        var widget = new Widget(options, L);
        L.widget = {
          open: function () {
            widget.open();
          },
          close: function () {
            widget.close();
          },
          setLanguage: function (code) {
            widget.setLanguage(code);
          },
          sessionId: function () {
            return widget.state.sessionId;
          },
          element: widget.root,
        };
        root.dispatchEvent(new CustomEvent("leerwijzer:ready"));
      })
      .catch(function (error) {
        // Without its files the widget cannot work; say so in the console, not on the page.
        root.console.error("Leerwijzer widget:", error.message);
      });
  }

  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window);
