// Leerwijzer library kiosk: touch only, large, and forgetful. The conversation lives in
// memory only (never in browser storage); after a quiet spell the kiosk asks "Bent u er
// nog?" and then resets: screen cleared, server-side conversation deleted (/forget_me),
// new session id. Timeouts: window.LEERWIJZER_KIOSK or ?warn=SECONDS&reset=SECONDS.
(function (root) {
  "use strict";
  var doc = root.document;
  var L = root.Leerwijzer;
  L.io = L.io || root.io;

  var params = new URLSearchParams(root.location.search);
  var given = root.LEERWIJZER_KIOSK || {};
  var site = root.LEERWIJZER_CONFIG || {};

  function seconds(name, fallback) {
    var value = Number(params.get(name) || given[name + "AfterSeconds"] || fallback);
    return value > 0 ? value : fallback;
  }

  var config = {
    serverUrl: given.serverUrl || site.serverUrl,
    title: given.title || "Leerwijzer",
    warnAfter: seconds("warn", 90),
    resetAfter: seconds("reset", 120),
    languages: given.languages || ["nl", "en", "ar", "tr", "uk", "pl"],
    assistantLanguages: given.assistantLanguages || ["nl"],
    // The library or centre where the kiosk stands: LEERWIJZER_KIOSK.place or ?place=...
    // The assistant searches near it when the person does not say where they live.
    place: params.get("place") || given.place || "",
  };
  if (config.resetAfter <= config.warnAfter) config.resetAfter = config.warnAfter + 30;

  // A library's own design tokens: ?theme-css=/themes/bieb.css&theme-class=bieb-theme
  // (same-origin paths only; the page's Content-Security-Policy allows nothing else).
  (function applyTheme() {
    var css = params.get("theme-css");
    var themeClass = params.get("theme-class");
    if (css && /^\/(?!\/)[\w\-./]+\.css$/.test(css)) {
      doc.getElementById("kiosk-theme").href = css;
    }
    if (themeClass && /^[a-z][\w-]*$/i.test(themeClass)) {
      doc.body.classList.remove("voorbeeld-theme");
      doc.body.classList.add(themeClass);
    }
  })();

  // Results worth taking home: course and organization listings (several lines) and
  // anything with a phone number, but never a question the assistant asks.
  var PHONE = /(?:\+31|\b0)[1-9](?:[ -]?\d){8}\b|\b1400\b|\b14 ?0\d{2,3}\b/;
  function isResult(text) {
    return !/\?/.test(text) && (/\n/.test(text) || PHONE.test(text));
  }

  var state = {
    language: L.DEFAULT_LANGUAGE,
    nextSessionId: L.newSessionId(),
    results: [],
    screen: "start",
  };
  // The conversation (conversation.js); chat.conversation is null on the start screen
  // before a language was chosen.
  var chat = new L.Chat({
    serverUrl: config.serverUrl,
    client: "kiosk",
    place: config.place,
    title: config.title,
    assistantLanguages: config.assistantLanguages,
    language: function () {
      return state.language;
    },
    onAnswer: receive,
  });
  var timers = { warn: null, reset: null, tick: null };
  var main = doc.getElementById("kiosk");
  var dialog = doc.getElementById("still-there");
  var view = {};

  function t(key, values) {
    return chat.t(key, values);
  }

  var el = L.el;
  var button = L.button;

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // Empties the screen; only the chat screen shows the conversation again.
  function newScreen() {
    clear(main);
    view = {};
    chat.show(null);
  }

  function setDocumentLanguage(code) {
    var language = L.language(code);
    doc.documentElement.lang = language.code;
    doc.documentElement.dir = language.dir;
  }

  function focusHeading(heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }

  // --- inactivity -------------------------------------------------------------------
  function stopTimers() {
    root.clearTimeout(timers.warn);
    root.clearTimeout(timers.reset);
    root.clearInterval(timers.tick);
  }

  function armTimers() {
    stopTimers();
    if (!chat.conversation) return; // nothing to forget on the start screen
    timers.warn = root.setTimeout(showWarning, config.warnAfter * 1000);
    timers.reset = root.setTimeout(reset, config.resetAfter * 1000);
  }

  function activity() {
    if (dialog.open) return; // only the dialog's own buttons answer "Bent u er nog?"
    armTimers();
  }

  ["pointerdown", "keydown", "touchstart", "wheel"].forEach(function (type) {
    doc.addEventListener(type, activity, { passive: true, capture: true });
  });
  // A kiosk has no use for the long-press menu.
  doc.addEventListener("contextmenu", function (event) {
    event.preventDefault();
  });

  function showWarning() {
    var deadline = Date.now() + (config.resetAfter - config.warnAfter) * 1000;
    clear(dialog);
    var heading = el("h2", "utrecht-heading-2", t("stillThere"));
    heading.id = "still-there-title";
    var text = el("p", "utrecht-paragraph kiosk-dialog__text");
    text.id = "still-there-text";
    var update = function () {
      var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      text.textContent = t("stillThereText", { seconds: left });
    };
    update();
    timers.tick = root.setInterval(update, 1000);
    dialog.setAttribute("aria-labelledby", heading.id);
    dialog.setAttribute("aria-describedby", text.id);
    var actions = el("div", "utrecht-button-group kiosk-actions");
    var go = button(t("continue"), "utrecht-button--primary-action", function () {
      root.clearInterval(timers.tick);
      dialog.close();
      armTimers();
    });
    actions.appendChild(go);
    actions.appendChild(button(t("stop"), "utrecht-button--secondary-action", reset));
    dialog.appendChild(heading);
    dialog.appendChild(text);
    dialog.appendChild(actions);
    dialog.showModal();
    go.focus();
  }

  // A touch beside the dialog (on its backdrop) also means someone is there.
  dialog.addEventListener("click", function (event) {
    if (event.target === dialog) {
      root.clearInterval(timers.tick);
      dialog.close();
      armTimers();
    }
  });
  dialog.addEventListener("cancel", function () {
    root.clearInterval(timers.tick);
    root.setTimeout(armTimers, 0);
  });

  function reset() {
    stopTimers();
    if (dialog.open) dialog.close();
    L.speech.stop();
    chat.forget(); // deletes the server-side conversation; the screen does not wait
    state.nextSessionId = L.newSessionId();
    state.results = [];
    state.language = L.DEFAULT_LANGUAGE;
    showStart();
  }

  // --- conversation -----------------------------------------------------------------
  // The first message of a session, or a language message when the language changed
  // (conversation.js: openingPayload, languagePayload).
  function chooseLanguage(code) {
    var changed = code !== state.language;
    state.language = code;
    if (!chat.conversation) {
      chat.connect(state.nextSessionId);
      state.nextSessionId = null;
      chat.sendOpening();
    } else if (changed) {
      chat.sendLanguage();
    }
    showChat();
    armTimers();
  }

  function send(payload, shownAs) {
    if (shownAs) addMessage({ who: "user", text: shownAs });
    chat.send(payload);
  }

  // An answer of the assistant, from chat: shown, and kept for "Neem mee" when it is a result.
  function receive(message) {
    if (message.text && isResult(message.text) && state.results.indexOf(message.text) < 0) {
      state.results.push(message.text);
      updateTakeAwayButton();
    }
    addMessage(message);
  }

  function addMessage(message) {
    state.transcript.push(message);
    if (view.conversation) view.conversation.add(message);
  }

  function onChoice(choice) {
    if (L.asksForLanguageChoice(choice)) {
      showStart(); // the language buttons; choosing one tells the assistant
      return;
    }
    send(choice.payload, choice.title);
  }

  // --- screens ----------------------------------------------------------------------
  function showStart() {
    state.screen = "start";
    if (!chat.conversation) state.transcript = [];
    setDocumentLanguage(state.language);
    newScreen();
    var section = el("section", "kiosk-start");
    section.setAttribute("aria-labelledby", "start-title");
    var heading = el("h1", "utrecht-heading-1 kiosk-title", config.title);
    heading.id = "start-title";
    heading.lang = "nl";
    section.appendChild(heading);
    var prompts = el("p", "kiosk-prompts");
    config.languages.forEach(function (code, index) {
      var language = L.language(code);
      if (!language) return;
      if (index) prompts.appendChild(doc.createTextNode(" · "));
      var span = el("span", "", L.t(code, "chooseLanguage"));
      span.lang = code;
      span.dir = language.dir;
      prompts.appendChild(span);
    });
    section.appendChild(prompts);
    var list = el("ul", "kiosk-languages");
    config.languages.forEach(function (code) {
      var language = L.language(code);
      if (!language) return;
      var item = el("li");
      var choice = button(language.name, "utrecht-button--primary-action kiosk-language", function () {
        chooseLanguage(code);
      });
      choice.lang = code;
      choice.dir = language.dir;
      if (chat.conversation && code === state.language) choice.setAttribute("aria-current", "true");
      item.appendChild(choice);
      list.appendChild(item);
    });
    section.appendChild(list);
    if (chat.conversation) {
      section.appendChild(button(t("back"), "utrecht-button--secondary-action", showChat));
    } else {
      var note = el("p", "kiosk-note");
      var span = el("span", "", L.t("nl", "walkAway"));
      span.lang = "nl";
      note.appendChild(span);
      section.appendChild(note);
    }
    main.appendChild(section);
    focusHeading(heading);
  }

  function toolbar(parent) {
    var bar = el("div", "kiosk-toolbar");
    var language = L.language(state.language);
    var languageButton = button("", "utrecht-button--secondary-action", showStart);
    languageButton.appendChild(doc.createTextNode(t("language") + ": "));
    var name = el("span", "", language.name);
    name.lang = language.code;
    languageButton.appendChild(name);
    bar.appendChild(languageButton);
    view.takeAway = button("", "utrecht-button--secondary-action kiosk-takeaway-button", showTakeAway);
    bar.appendChild(view.takeAway);
    bar.appendChild(button(t("startOver"), "utrecht-button--secondary-action kiosk-reset", reset));
    parent.appendChild(bar);
    updateTakeAwayButton();
  }

  function updateTakeAwayButton() {
    if (!view.takeAway) return;
    view.takeAway.textContent = t("takeAway") + (state.results.length ? " (" + state.results.length + ")" : "");
  }

  function showChat() {
    state.screen = "chat";
    setDocumentLanguage(state.language);
    newScreen();
    var header = el("header", "kiosk-header");
    var heading = el("h1", "utrecht-heading-1 kiosk-title", config.title);
    heading.id = "chat-title";
    heading.lang = "nl";
    header.appendChild(heading);
    toolbar(header);
    main.appendChild(header);
    if (chat.assistantLanguage() !== state.language) {
      main.appendChild(el("p", "kiosk-notice", t("dutchOnly")));
    }

    view.conversation = new L.ConversationView({
      language: state.language,
      title: config.title,
      links: false, // a kiosk never leaves its page
      className: "kiosk-log",
      onChoice: onChoice,
    });
    view.conversation.appendTo(main);
    view.conversation.render(state.transcript);
    chat.show(view.conversation);

    main.appendChild(answerArea());
    var footer = el("p", "kiosk-note", t("disclosure") + " " + t("walkAway"));
    main.appendChild(footer);
    focusHeading(heading);
  }

  // Short answers (a place, a number) typed on an on-screen keyboard.
  var KEY_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl'", "zxcvbnm-.,"];

  function answerArea() {
    var form = el("form", "kiosk-answer");
    form.noValidate = true;
    var label = el("label", "utrecht-form-label", t("answer"));
    label.htmlFor = "kiosk-input";
    form.appendChild(label);
    var row = el("div", "kiosk-answer__row");
    var input = el("input", "utrecht-textbox utrecht-textbox--html-input kiosk-input");
    input.id = "kiosk-input";
    input.type = "text";
    input.autocomplete = "off";
    input.setAttribute("inputmode", "none"); // no system keyboard on a touch screen
    input.dir = "auto";
    view.input = input;
    row.appendChild(input);
    var showKeyboard = function (show) {
      keyboard.hidden = !show;
      keyboardToggle.setAttribute("aria-expanded", String(show));
      keyboardToggle.textContent = show ? t("hideKeyboard") : t("keyboard");
    };
    var keyboardToggle = button(t("keyboard"), "utrecht-button--secondary-action kiosk-keyboard-toggle", function () {
      showKeyboard(keyboard.hidden);
    });
    keyboardToggle.setAttribute("aria-expanded", "false");
    keyboardToggle.setAttribute("aria-controls", "kiosk-keyboard");
    row.appendChild(keyboardToggle);
    var submit = el("button", "utrecht-button utrecht-button--primary-action kiosk-send", t("send"));
    submit.type = "submit";
    row.appendChild(submit);
    form.appendChild(row);
    var error = el("p", "utrecht-form-field-error-message");
    error.hidden = true;
    error.setAttribute("role", "alert");
    form.appendChild(error);

    var keyboard = el("div", "kiosk-keyboard");
    keyboard.id = "kiosk-keyboard";
    keyboard.hidden = true;
    keyboard.dir = "ltr";
    keyboard.lang = "nl";
    KEY_ROWS.forEach(function (keys) {
      var line = el("div", "kiosk-keyboard__row");
      Array.prototype.forEach.call(keys, function (key) {
        var keyButton = button(key, "utrecht-button--secondary-action kiosk-key", function () {
          input.value += key;
        });
        keyButton.setAttribute("data-key", key);
        line.appendChild(keyButton);
      });
      keyboard.appendChild(line);
    });
    var last = el("div", "kiosk-keyboard__row");
    var space = button(t("space"), "utrecht-button--secondary-action kiosk-key kiosk-key--space", function () {
      input.value += " ";
    });
    space.setAttribute("data-key", " ");
    space.lang = state.language;
    last.appendChild(space);
    var back = button("⌫ " + t("backspace"), "utrecht-button--secondary-action kiosk-key kiosk-key--wide", function () {
      input.value = Array.from(input.value).slice(0, -1).join("");
    });
    back.setAttribute("data-key", "backspace");
    back.lang = state.language;
    last.appendChild(back);
    keyboard.appendChild(last);
    form.appendChild(keyboard);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      var problem = L.lengthProblem(text, state.language);
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        return;
      }
      error.hidden = true;
      if (!text) return;
      input.value = "";
      showKeyboard(false); // room for the answer
      send(text, text);
    });
    return form;
  }

  // --- "Neem mee" -------------------------------------------------------------------
  // The QR code holds the text itself, so a phone shows it without going anywhere.
  var QR_QUIET_ZONE = 4;

  function takeAwayText(results) {
    return [config.title].concat(results).join("\n\n");
  }

  function makeQr(text) {
    root.qrcode.stringToBytes = root.qrcode.stringToBytesFuncs["UTF-8"];
    var code = root.qrcode(0, "M");
    code.addData(text, "Byte");
    code.make();
    return code;
  }

  // The newest results that fit in one QR code (version 40 holds about 2,300 bytes).
  function fittingQr(results) {
    for (var start = 0; start < results.length; start += 1) {
      try {
        return { code: makeQr(takeAwayText(results.slice(start))), partial: start > 0 };
      } catch (error) {
        // too long: drop the oldest result and try again
      }
    }
    return null;
  }

  function qrSvg(code, label) {
    var ns = "http://www.w3.org/2000/svg";
    var count = code.getModuleCount();
    var size = count + 2 * QR_QUIET_ZONE;
    var svg = doc.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + size + " " + size);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
    svg.setAttribute("class", "kiosk-qr");
    svg.setAttribute("shape-rendering", "crispEdges");
    var background = doc.createElementNS(ns, "rect");
    background.setAttribute("width", String(size));
    background.setAttribute("height", String(size));
    background.setAttribute("fill", "#ffffff");
    svg.appendChild(background);
    var d = [];
    for (var row = 0; row < count; row += 1) {
      for (var col = 0; col < count; col += 1) {
        if (code.isDark(row, col)) {
          d.push("M" + (col + QR_QUIET_ZONE) + " " + (row + QR_QUIET_ZONE) + "h1v1h-1z");
        }
      }
    }
    var path = doc.createElementNS(ns, "path");
    path.setAttribute("d", d.join(""));
    path.setAttribute("fill", "#000000");
    svg.appendChild(path);
    return svg;
  }

  function showTakeAway() {
    state.screen = "takeaway";
    newScreen();
    var section = el("section", "kiosk-takeaway");
    section.setAttribute("aria-labelledby", "takeaway-title");
    var heading = el("h1", "utrecht-heading-1", t("takeAway"));
    heading.id = "takeaway-title";
    section.appendChild(heading);
    if (!state.results.length) {
      section.appendChild(el("p", "utrecht-paragraph", t("takeAwayEmpty")));
    } else {
      section.appendChild(el("p", "utrecht-paragraph kiosk-takeaway__help", t("takeAwayHelp")));
      var content = el("div", "kiosk-takeaway__content");
      var qr = fittingQr(state.results);
      if (qr) {
        if (qr.partial) {
          section.appendChild(el("p", "utrecht-paragraph kiosk-takeaway__help", t("takeAwayPartial")));
        }
        content.appendChild(qrSvg(qr.code, t("qrCode")));
      }
      var list = el("ol", "kiosk-results");
      state.results.forEach(function (text) {
        var item = el("li", "kiosk-result");
        var body = el("p", "kiosk-result__text", text);
        body.lang = chat.assistantLanguage();
        body.dir = "auto";
        item.appendChild(body);
        list.appendChild(item);
      });
      content.appendChild(list);
      section.appendChild(content);
    }
    var actions = el("div", "utrecht-button-group kiosk-actions");
    if (state.results.length) {
      actions.appendChild(
        button(t("print"), "utrecht-button--primary-action kiosk-print", function () {
          root.print();
        })
      );
    }
    actions.appendChild(button(t("back"), "utrecht-button--secondary-action", showChat));
    section.appendChild(actions);
    main.appendChild(section);
    focusHeading(heading);
  }

  L.speech.onChange(function () {
    L.refreshReadButtons(main);
  });

  state.transcript = [];
  showStart();

  // For tests and for a library's own monitoring: no personal data here.
  L.kiosk = {
    sessionId: function () {
      return chat.conversation ? chat.conversation.sessionId : state.nextSessionId;
    },
    screen: function () {
      return state.screen;
    },
    config: config,
    reset: reset,
  };
})(window);
