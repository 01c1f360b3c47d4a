// One conversation with Rasa's socketio channel (credentials.yml: session_persistence).
// Protocol, as in rasa/core/channels/socketio.py: after every (re)connect the client sends
// `session_request {session_id}`, the server answers `session_confirm` and puts this socket
// in the session's room; messages go out as `user_uttered {message, session_id, metadata}`
// and answers come back as `bot_uttered {text, quick_replies}`.
(function (root) {
  "use strict";
  var L = (root.Leerwijzer = root.Leerwijzer || {});

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

  // Rasa's buttons arrive as quick_replies (socketio) or buttons (other channels).
  L.normaliseBotMessage = function (data) {
    var raw = (data && (data.quick_replies || data.buttons)) || [];
    var buttons = [];
    for (var i = 0; i < raw.length; i += 1) {
      if (raw[i] && raw[i].title !== undefined && raw[i].payload !== undefined) {
        buttons.push({ title: String(raw[i].title), payload: String(raw[i].payload) });
      }
    }
    return { text: data && typeof data.text === "string" ? data.text : "", buttons: buttons };
  };

  /**
   * options: serverUrl, io (the Socket.IO client function), sessionId (optional),
   * resumed (true when this session already has messages), metadata() -> object sent with
   * every message, onMessage(message), onStatus(status)
   * with status "connecting" | "online" | "offline".
   */
  function Conversation(options) {
    this.options = options;
    this.sessionId = options.sessionId || L.newSessionId();
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
})(window);
