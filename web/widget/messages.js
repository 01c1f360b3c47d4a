// Showing messages safely, and reading them aloud. Text from the assistant or the citizen
// only ever becomes text nodes (textContent); never HTML. Web addresses in the assistant's
// text may become links, built with DOM APIs and only for http(s).
(function (root) {
  "use strict";
  var L = (root.Leerwijzer = root.Leerwijzer || {});
  var doc = root.document;
  var URL_PATTERN = /\bhttps?:\/\/[^\s<>"'()]+/gi;
  var TRAILING_PUNCTUATION = /[.,;:!?]+$/;

  // The http(s) address, or null. `new URL` normalises; anything else (javascript:,
  // data:, ...) is refused.
  L.safeHttpUrl = function (text) {
    try {
      var url = new URL(text);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  };

  /**
   * Appends `text` to `parent` as text nodes. With options.links, http(s) addresses become
   * <a> elements; options.newTabText is added for screen readers (links open a new tab so
   * that the conversation stays open).
   */
  L.appendText = function (parent, text, options) {
    var source = String(text);
    if (!options || !options.links) {
      parent.appendChild(doc.createTextNode(source));
      return;
    }
    var last = 0;
    source.replace(URL_PATTERN, function (match, offset) {
      var address = match.replace(TRAILING_PUNCTUATION, "");
      var href = L.safeHttpUrl(address);
      if (!href) return match;
      parent.appendChild(doc.createTextNode(source.slice(last, offset)));
      var link = doc.createElement("a");
      link.className = "utrecht-link";
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.textContent = address;
      if (options.newTabText) {
        var hint = doc.createElement("span");
        hint.className = "lw-visually-hidden";
        hint.textContent = " " + options.newTabText;
        link.appendChild(hint);
      }
      parent.appendChild(link);
      last = offset + address.length;
      return match;
    });
    parent.appendChild(doc.createTextNode(source.slice(last)));
  };

  // Reading aloud with the browser's speech synthesis. Offered only when the browser has
  // it and at least one voice; a voice for the message's language is preferred, and the
  // utterance carries the language so the system can pick one itself.
  var synth = root.speechSynthesis;
  var listeners = [];
  var speaking = null;

  function voices() {
    try {
      return synth && typeof synth.getVoices === "function" ? synth.getVoices() || [] : [];
    } catch (error) {
      return [];
    }
  }

  L.speech = {
    available: function () {
      return Boolean(synth && root.SpeechSynthesisUtterance && voices().length > 0);
    },
    voiceFor: function (language) {
      var all = voices();
      var prefix = String(language || "nl").toLowerCase();
      for (var i = 0; i < all.length; i += 1) {
        if (String(all[i].lang || "").toLowerCase().replace("_", "-").indexOf(prefix) === 0) {
          return all[i];
        }
      }
      return null;
    },
    // Calls back when voices appear later (Chrome loads them asynchronously).
    onChange: function (callback) {
      listeners.push(callback);
    },
    speak: function (text, language, onEnd) {
      L.speech.stop();
      var utterance = new root.SpeechSynthesisUtterance(text);
      var voice = L.speech.voiceFor(language);
      utterance.lang = voice && voice.lang ? voice.lang : language === "nl" ? "nl-NL" : language;
      if (voice) utterance.voice = voice;
      var finished = function () {
        if (speaking === utterance) speaking = null;
        if (onEnd) onEnd();
      };
      utterance.onend = finished;
      utterance.onerror = finished;
      speaking = utterance;
      synth.speak(utterance);
      return utterance;
    },
    stop: function () {
      if (speaking && speaking.onend) {
        var previous = speaking;
        speaking = null;
        previous.onend();
      }
      if (synth) synth.cancel();
    },
  };

  if (synth && typeof synth.addEventListener === "function") {
    synth.addEventListener("voiceschanged", function () {
      listeners.forEach(function (callback) {
        callback();
      });
    });
  }

  // Who wrote a bot message when it was a person (an advisor after a hand-over), or "".
  function personOf(message) {
    return message.who === "bot" && L.personLabel ? L.personLabel(message.person) : "";
  }

  // What a screen reader or the read-aloud button says for a message: with a person's
  // label first when a person wrote it.
  L.spokenText = function (message) {
    var person = personOf(message);
    return person ? person + ": " + message.text : message.text;
  };

  /**
   * Builds one message as an <li>. message: {who: "bot" | "user" | "note", text, buttons,
   * lang, person}. `person` (bot messages only) is who wrote it when it was a person, e.g.
   * "Anna, medewerker Taalhuis Breda": shown as a line above the text, and the message gets
   * its own look (lw-message--person). ui: {language, title, links, onChoice(button),
   * readAloud}.
   */
  L.renderMessage = function (message, ui) {
    var t = function (key, values) {
      return L.t(ui.language, key, values);
    };
    var item = doc.createElement("li");
    item.className = "lw-message lw-message--" + message.who;
    if (message.who === "note") {
      item.textContent = message.text;
      return item;
    }
    var person = personOf(message);
    if (person) {
      // The label is the speaker: read before the text, with a pause (the hidden colon).
      item.className += " lw-message--person";
      var label = doc.createElement("p");
      label.className = "lw-message__person";
      label.dir = "auto";
      if (message.lang) label.lang = message.lang;
      label.textContent = person;
      var pause = doc.createElement("span");
      pause.className = "lw-visually-hidden";
      pause.textContent = ": ";
      label.appendChild(pause);
      item.appendChild(label);
    } else {
      var speaker = doc.createElement("span");
      speaker.className = "lw-visually-hidden";
      speaker.textContent = (message.who === "bot" ? ui.title : t("you")) + ": ";
      item.appendChild(speaker);
    }
    var body = doc.createElement("p");
    body.className = "lw-message__text";
    body.dir = "auto";
    if (message.lang) body.lang = message.lang;
    L.appendText(body, message.text, {
      links: message.who === "bot" && ui.links,
      newTabText: t("newTab"),
    });
    item.appendChild(body);
    if (message.who === "bot" && ui.readAloud !== false && message.text) {
      var read = doc.createElement("button");
      read.type = "button";
      read.className = "utrecht-button utrecht-button--subtle lw-read";
      read.textContent = t("readAloud");
      read.hidden = !L.speech.available();
      read.addEventListener("click", function () {
        if (read.dataset.speaking === "true") {
          L.speech.stop();
          return;
        }
        read.dataset.speaking = "true";
        read.textContent = t("stopReading");
        L.speech.speak(L.spokenText(message), message.lang || L.DEFAULT_LANGUAGE, function () {
          read.dataset.speaking = "false";
          read.textContent = t("readAloud");
        });
      });
      item.appendChild(read);
    }
    if (message.who === "bot" && message.buttons && message.buttons.length) {
      var group = doc.createElement("div");
      group.className = "utrecht-button-group lw-choices";
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("choices"));
      message.buttons.forEach(function (button) {
        var choice = doc.createElement("button");
        choice.type = "button";
        choice.className = "utrecht-button utrecht-button--secondary-action lw-choice";
        choice.textContent = button.title;
        if (message.lang) choice.lang = message.lang;
        choice.dir = "auto";
        choice.addEventListener("click", function () {
          ui.onChoice(button);
        });
        group.appendChild(choice);
      });
      item.appendChild(group);
    }
    return item;
  };

  L.el = function (tag, className, text) {
    var element = doc.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  };

  L.button = function (text, className, onClick) {
    var element = L.el("button", "utrecht-button " + (className || ""), text);
    element.type = "button";
    element.addEventListener("click", onClick);
    return element;
  };

  // The plain refusal for a message over the limit, or null when it may be sent.
  L.lengthProblem = function (text, language) {
    var count = Array.from(text).length;
    if (count <= L.MAX_MESSAGE_LENGTH) return null;
    return L.t(language, "tooLong", { max: L.MAX_MESSAGE_LENGTH, count: count });
  };

  /**
   * The conversation on screen, shared by the widget and the kiosk: a scrollable,
   * focusable region with the messages, a "writing an answer" line, a status line for
   * connection trouble and a polite live region that reads out the assistant's new
   * messages. options: {language, title, links, onChoice, className}.
   */
  function ConversationView(options) {
    var t = function (key, values) {
      return L.t(options.language, key, values);
    };
    this.options = options;
    this.scroller = L.el("div", options.className);
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute("role", "region");
    this.scroller.setAttribute("aria-label", t("conversation", { title: options.title }));
    this.log = L.el("ol", "lw-messages");
    this.scroller.appendChild(this.log);
    this.typing = L.el("p", "lw-typing", t("typing", { title: options.title }));
    this.typing.hidden = true;
    this.scroller.appendChild(this.typing);
    this.status = L.el("p", "lw-status");
    this.status.setAttribute("role", "status");
    this.live = L.el("div", "lw-visually-hidden");
    this.live.setAttribute("aria-live", "polite");
    this.anchor = null;
  }

  ConversationView.prototype.appendTo = function (parent) {
    parent.appendChild(this.scroller);
    parent.appendChild(this.status);
    parent.appendChild(this.live);
  };

  ConversationView.prototype.render = function (messages) {
    var self = this;
    messages.forEach(function (message) {
      self.log.appendChild(L.renderMessage(message, self.options));
    });
    L.refreshReadButtons(this.log);
    this.scrollTo(null);
  };

  // Adds one message. The first answer after the citizen's message stays in view, so
  // that a list of results is read from its start.
  ConversationView.prototype.add = function (message) {
    var item = L.renderMessage(message, this.options);
    this.log.appendChild(item);
    if (message.who === "bot") {
      var line = L.el("p", "", L.spokenText(message));
      if (message.lang) line.lang = message.lang;
      this.live.appendChild(line);
      while (this.live.childNodes.length > 5) this.live.removeChild(this.live.firstChild);
      if (!this.anchor) this.anchor = item;
      this.scrollTo(this.anchor);
    } else {
      if (message.who === "user") {
        this.anchor = null;
        while (this.live.firstChild) this.live.removeChild(this.live.firstChild);
      }
      this.scrollTo(null);
    }
    return item;
  };

  ConversationView.prototype.scrollTo = function (item) {
    var reduce = root.matchMedia && root.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var top = item ? item.offsetTop - 8 : this.scroller.scrollHeight;
    if (this.scroller.scrollTo) {
      this.scroller.scrollTo({ top: top, behavior: reduce ? "auto" : "smooth" });
    } else {
      this.scroller.scrollTop = top;
    }
  };

  ConversationView.prototype.setWaiting = function (waiting) {
    this.typing.hidden = !waiting;
  };

  ConversationView.prototype.setStatus = function (text) {
    this.status.textContent = text || "";
  };

  L.ConversationView = ConversationView;

  // Shows or hides every "voorlezen" button at once, e.g. when voices finish loading.
  L.refreshReadButtons = function (container) {
    var hidden = !L.speech.available();
    Array.prototype.forEach.call(container.querySelectorAll(".lw-read"), function (button) {
      button.hidden = hidden;
    });
  };
})(window);
