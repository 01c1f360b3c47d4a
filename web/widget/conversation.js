// The conversation with the assistant, shared by the widget and the kiosk.
// - Conversation: one conversation with Rasa's socketio channel (credentials.yml:
//   session_persistence). Protocol, as in rasa/core/channels/socketio.py: after every
//   (re)connect the client sends `session_request {session_id}`, the server answers
//   `session_confirm` and puts this socket in the session's room; messages go out as
//   `user_uttered {message, session_id, metadata}` and answers come back as
//   `bot_uttered {text, quick_replies}` (with `person` when an advisor wrote it).
// - Chat: what both front ends do with it: the metadata, the first message and the
//   language messages, the count of answers still awaited ("... schrijft een antwoord…"),
//   the connection status line and the assistant's answers as messages to show.
// The screens themselves are in leerwijzer-widget.js and kiosk/kiosk.js; showing messages
// is in messages.js.
(function (root) {
  "use strict";
  var L = (root.Leerwijzer = root.Leerwijzer || {});

  // A language of L.LANGUAGES (strings.js) by its code, or null.
  L.language = function (code) {
    for (var i = 0; i < L.LANGUAGES.length; i += 1) {
      if (L.LANGUAGES[i].code === code) return L.LANGUAGES[i];
    }
    return null;
  };

  // A text of L.STRINGS (strings.js) with {placeholders} filled in; falls back to Dutch, never
  // to a bare key.
  L.t = function (language, key, values) {
    var table = L.STRINGS[language] || L.STRINGS[L.DEFAULT_LANGUAGE];
    var text = table[key] !== undefined ? table[key] : L.STRINGS[L.DEFAULT_LANGUAGE][key];
    return String(text).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && values[name] !== undefined ? String(values[name]) : whole;
    });
  };

  // 128 random bits as hex. crypto.getRandomValues also works on plain http, where
  // crypto.randomUUID does not (a kiosk on the library's network may be plain http).
  L.newSessionId = function () {
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  };

  // The server's rule for session ids (bot/channels/sender.py): it answers an id that breaks
  // it with a fresh one and drops messages sent with it, so such an id is never used here.
  L.validSessionId = function (value) {
    return typeof value === "string" && /^[A-Za-z0-9][A-Za-z0-9_.:@+=-]{0,127}$/.test(value);
  };

  // The most characters of a person's label that are shown (a longer one is cut off).
  L.MAX_PERSON_LABEL_LENGTH = 200;

  // The label of a message that a person wrote (an advisor, after a hand-over: bot/channels/
  // desk.py sends `bot_uttered {text, person}` with e.g. "Anna, medewerker Taalhuis Breda"
  // in the citizen's language), or "" for the assistant's own messages.
  L.personLabel = function (value) {
    if (typeof value !== "string") return "";
    return Array.from(value.trim()).slice(0, L.MAX_PERSON_LABEL_LENGTH).join("");
  };

  // Rasa's buttons arrive as quick_replies (socketio) or buttons (other channels). A message
  // that a person wrote also has `person`: who wrote it (L.personLabel).
  L.normaliseBotMessage = function (data) {
    var raw = (data && (data.quick_replies || data.buttons)) || [];
    var buttons = [];
    for (var i = 0; i < raw.length; i += 1) {
      if (raw[i] && raw[i].title !== undefined && raw[i].payload !== undefined) {
        buttons.push({ title: String(raw[i].title), payload: String(raw[i].payload) });
      }
    }
    var text = data && typeof data.text === "string" ? data.text : "";
    var message = { text: text, buttons: buttons };
    var person = L.personLabel(data && data.person);
    if (person) message.person = person;
    return message;
  };

  /**
   * options: serverUrl, io (the Socket.IO client function), sessionId (optional),
   * resumed (true when this session already has messages), metadata() -> object sent with
   * every message, onMessage(message), onStatus(status)
   * with status "connecting" | "online" | "offline".
   */
  function Conversation(options) {
    this.options = options;
    // A saved id from sessionStorage may be anything; a bad one would lose every message.
    this.sessionId = L.validSessionId(options.sessionId) ? options.sessionId : L.newSessionId();
    this.confirmed = false;
    this.queue = [];
    // Something to forget on the server: a message was sent now or in an earlier page view.
    this.hasHistory = Boolean(options.resumed);
    this.socket = null;
    this.closed = false;
    this.waiters = [];
  }

  Conversation.prototype.connect = function () {
    if (this.socket || this.closed) return;
    var self = this;
    var url = new URL(this.options.serverUrl, root.location.href);
    var path = url.pathname.replace(/\/+$/, "") + "/socket.io";
    this.status("connecting");
    this.socket = this.options.io(url.origin, {
      path: path,
      // WebSocket first: it needs no CORS. Long polling only when WebSocket fails.
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
      timeout: 10000,
      withCredentials: false,
    });
    this.socket.on("connect", function () {
      self.socket.emit("session_request", { session_id: self.sessionId });
    });
    this.socket.on("session_confirm", function () {
      self.confirmed = true;
      self.status("online");
      var waiting = self.queue;
      self.queue = [];
      waiting.forEach(function (payload) {
        self.socket.emit("user_uttered", payload);
      });
    });
    this.socket.on("bot_uttered", function (data) {
      if (self.closed) return;
      var message = L.normaliseBotMessage(data);
      var waiters = self.waiters;
      self.waiters = [];
      waiters.forEach(function (resolve) {
        resolve(message);
      });
      if (self.options.onMessage) self.options.onMessage(message);
    });
    this.socket.on("disconnect", function () {
      self.confirmed = false;
      if (!self.closed) self.status("offline");
    });
    this.socket.on("connect_error", function () {
      if (!self.closed) self.status("offline");
    });
  };

  Conversation.prototype.status = function (status) {
    if (this.options.onStatus) this.options.onStatus(status);
  };

  Conversation.prototype.send = function (text) {
    var metadata = this.options.metadata ? this.options.metadata() : {};
    var payload = { message: text, session_id: this.sessionId, metadata: metadata };
    this.hasHistory = true;
    this.connect();
    if (this.confirmed && this.socket.connected) {
      this.socket.emit("user_uttered", payload);
    } else {
      this.queue.push(payload);
    }
  };

  // Resolves with the next bot message, or null after `ms` milliseconds.
  Conversation.prototype.nextBotMessage = function (ms) {
    var self = this;
    return new Promise(function (resolve) {
      var timer = root.setTimeout(function () {
        self.waiters = self.waiters.filter(function (w) {
          return w !== done;
        });
        resolve(null);
      }, ms);
      function done(message) {
        root.clearTimeout(timer);
        resolve(message);
      }
      self.waiters.push(done);
    });
  };

  // Deletes the conversation on the server (`/forget_me`: the tracker store deletes every
  // event of this session), then disconnects. Nothing to delete when nothing was sent.
  Conversation.prototype.forget = function (ms) {
    var self = this;
    if (!this.hasHistory) {
      this.close();
      return Promise.resolve(false);
    }
    this.options.onMessage = null;
    var answered = this.nextBotMessage(ms || 8000);
    this.send("/forget_me");
    return answered.then(function (message) {
      self.close();
      return message !== null;
    });
  };

  Conversation.prototype.close = function () {
    this.closed = true;
    this.options.onMessage = null;
    this.options.onStatus = null;
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.disconnect();
    }
  };

  L.Conversation = Conversation;

  // The language messages. The welcome's "Andere taal" button carries /change_language
  // without a language: the front end then shows its own language choice instead of
  // sending it; choosing a language sends /change_language{"language": "xx"}.
  L.languagePayload = function (code) {
    return "/change_language" + JSON.stringify({ language: code });
  };

  L.asksForLanguageChoice = function (button) {
    return button.payload.trim() === "/change_language";
  };

  // The first message of a session: a greeting in Dutch, a language switch otherwise.
  L.openingPayload = function (code) {
    return code === L.DEFAULT_LANGUAGE ? "/greet" : L.languagePayload(code);
  };

  /**
   * What the widget and the kiosk both do around a Conversation. One Chat per screen
   * (widget or kiosk); it holds the current Conversation (null before the first one and
   * after forget()), so the waiting count and the status outlive a new view or session.
   * options: serverUrl, io (the Socket.IO client function; Leerwijzer.io when missing),
   * client ("widget" | "kiosk"), place (optional), title,
   * assistantLanguages, language() -> the language chosen now, onAnswer(message) with a
   * message for the transcript ({who: "bot", text, buttons, lang}, with `person` when a
   * person wrote it), and answerTimeout:
   * milliseconds after which to stop waiting for an answer that may never come (e.g. a
   * button that gets no reply); 0 or missing waits until an answer comes.
   */
  function Chat(options) {
    this.options = options;
    this.conversation = null;
    this.pending = 0;
    this.pendingTimer = null;
    this.statusText = "";
    this.view = null;
  }

  // A UI string in the chosen language, with {title} filled in.
  Chat.prototype.t = function (key, values) {
    var merged = { title: this.options.title };
    for (var name in values || {}) merged[name] = values[name];
    return L.t(this.options.language(), key, merged);
  };

  // The language of the assistant's messages: the chosen one once the assistant speaks it.
  Chat.prototype.assistantLanguage = function () {
    var language = this.options.language();
    return this.options.assistantLanguages.indexOf(language) >= 0 ? language : L.DEFAULT_LANGUAGE;
  };

  // Starts a Conversation with this session id unless one is running; `resumed` when the
  // session already has messages (e.g. from an earlier page view).
  Chat.prototype.connect = function (sessionId, resumed) {
    if (this.conversation) return this.conversation;
    var self = this;
    var options = this.options;
    this.conversation = new Conversation({
      serverUrl: options.serverUrl,
      io: options.io || L.io,
      sessionId: sessionId,
      resumed: resumed,
      metadata: function () {
        var metadata = { language: options.language(), client: options.client };
        if (options.place) metadata.place = String(options.place);
        return metadata;
      },
      onMessage: function (message) {
        self.receive(message);
      },
      onStatus: function (status) {
        self.setStatus(status);
      },
    });
    this.conversation.connect();
    return this.conversation;
  };

  // Sends a message (typed, a button's payload or a language message) and waits for the
  // answer. Showing what the person sent is the front end's part.
  Chat.prototype.send = function (payload) {
    this.waiting(1);
    this.conversation.send(payload);
  };

  Chat.prototype.sendOpening = function () {
    this.send(L.openingPayload(this.options.language()));
  };

  Chat.prototype.sendLanguage = function () {
    this.send(L.languagePayload(this.options.language()));
  };

  Chat.prototype.receive = function (message) {
    if (!message.text && !message.buttons.length) return;
    this.waiting(-1);
    var answer = {
      who: "bot",
      text: message.text,
      buttons: message.buttons,
      lang: this.assistantLanguage(),
    };
    if (message.person) answer.person = message.person;
    this.options.onAnswer(answer);
  };

  // The number of answers still awaited: the view says "... schrijft een antwoord…" while
  // it is above zero.
  Chat.prototype.waiting = function (delta) {
    var self = this;
    this.pending = Math.max(0, this.pending + delta);
    if (this.view) this.view.setWaiting(this.pending > 0);
    root.clearTimeout(this.pendingTimer);
    if (this.pending && this.options.answerTimeout) {
      this.pendingTimer = root.setTimeout(function () {
        self.waiting(-self.pending);
      }, this.options.answerTimeout);
    }
  };

  Chat.prototype.setStatus = function (status) {
    this.statusText = status === "offline" ? this.t("offline") : "";
    if (this.view) this.view.setStatus(this.statusText);
  };

  // The ConversationView (messages.js) on screen now, or null: it shows the waiting line
  // and the status from now on.
  Chat.prototype.show = function (view) {
    this.view = view || null;
    if (this.view) {
      this.view.setWaiting(this.pending > 0);
      this.view.setStatus(this.statusText);
    }
  };

  // Deletes the conversation on the server (Conversation.forget) and stops waiting; the
  // next connect() starts a new one. Resolves when the server answered or gave up.
  Chat.prototype.forget = function () {
    var old = this.conversation;
    this.conversation = null;
    this.pending = 0;
    root.clearTimeout(this.pendingTimer);
    return old ? old.forget() : Promise.resolve(false);
  };

  L.Chat = Chat;
})(window);
