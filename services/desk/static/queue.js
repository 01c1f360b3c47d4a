/*
 * The queue page (docs/desk.md, "Live hand-over"): the waiting and active conversations of
 * the advisor's desks, and the open conversation (its id in the URL hash, #h=<id>, so a
 * reload keeps it). Updated on the Socket.IO event `changed`.
 */
(function (root) {
  "use strict";
  const Desk = root.Desk;
  const el = Desk.el;

  const list = document.getElementById("handover-list");
  const summary = document.getElementById("queue-summary");
  const panel = document.getElementById("conversation");
  const title = document.getElementById("conversation-title");
  const details = document.getElementById("conversation-details");
  const state = document.getElementById("conversation-state");
  const form = document.getElementById("message-form");
  const text = document.getElementById("message-text");
  const send = document.getElementById("send-message");
  const handBack = document.getElementById("hand-back");
  const close = document.getElementById("close-conversation");
  const sendStatus = document.getElementById("send-status");

  const FROM = {
    citizen: "Inwoner",
    assistant: "Leerwijzer (computer)",
    advisor: "Adviseur",
    system: "Melding",
  };

  const BASE_TITLE = document.title;
  let me = null;
  let handovers = [];
  // The open conversation: its id, and the ids of the messages already shown.
  let openId = null;
  let shown = new Set();
  let openHandover = null;

  // --- The list ---------------------------------------------------------------------------

  function mine(handover) {
    return Boolean(me && handover.taken_by && handover.taken_by === me.username);
  }

  function count(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  function summaryText() {
    const waiting = handovers.filter(function (h) {
      return h.status === "waiting";
    }).length;
    const own = handovers.filter(function (h) {
      return h.status === "active" && mine(h);
    }).length;
    if (!handovers.length) return "Er wacht niemand. U krijgt hier vanzelf nieuwe gesprekken.";
    let sentence = waiting
      ? "Er " + (waiting === 1 ? "wacht " : "wachten ") + count(waiting, "gesprek", "gesprekken") + "."
      : "Er wacht niemand.";
    if (own) sentence += " U heeft " + count(own, "gesprek", "gesprekken") + " open.";
    return sentence;
  }

  function card(handover) {
    const item = el("li", "desk-card");
    item.dataset.handoverId = String(handover.id);
    item.dataset.status = handover.status;
    if (handover.id === openId) {
      item.classList.add("desk-card--current");
      item.setAttribute("aria-current", "true");
    }

    const heading = el("h3", "desk-card__title", handover.desk_name || handover.desk);
    heading.id = "handover-title-" + handover.id;
    item.appendChild(heading);

    item.appendChild(
      el(
        "p",
        "desk-card__line",
        Desk.channelName(handover.channel) + " · " + Desk.languageName(handover.language)
      )
    );

    const since = el("p", "desk-card__line", handover.status === "waiting" ? "Wacht sinds " : "Gestart om ");
    since.appendChild(Desk.time(handover.created_at));
    item.appendChild(since);

    if (handover.status === "waiting") {
      if (handover.position !== null && handover.position !== undefined) {
        item.appendChild(el("p", "desk-card__line", "Plaats in de rij: " + handover.position));
      }
      item.appendChild(el("p", "desk-card__line", "Nog niet aangenomen"));
    } else if (mine(handover)) {
      item.appendChild(el("p", "desk-card__line", "Bij u"));
    } else if (handover.taken_by) {
      item.appendChild(el("p", "desk-card__line", "Bij " + (handover.taken_by_name || handover.taken_by)));
    }

    if (handover.citizen_present === false) {
      item.appendChild(el("p", "desk-card__line desk-warning", "De inwoner is weg"));
    }

    const actions = el("div", "desk-actions");
    if (handover.status === "waiting") {
      const take = Desk.button("Aannemen", "utrecht-button--primary-action", function () {
        takeHandover(handover.id, take);
      });
      take.id = "take-" + handover.id;
      take.dataset.action = "take";
      take.setAttribute("aria-describedby", heading.id);
      actions.appendChild(take);
    } else if (mine(handover)) {
      const open = Desk.button("Openen", "utrecht-button--secondary-action", function () {
        showConversation(handover.id);
      });
      open.id = "open-" + handover.id;
      open.dataset.action = "open";
      open.setAttribute("aria-describedby", heading.id);
      actions.appendChild(open);
    }
    if (actions.firstChild) item.appendChild(actions);
    return item;
  }

  function renderList() {
    // Keep the keyboard focus on the same button when the list is drawn again.
    const focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.id : null;
    Desk.clear(list);
    for (const handover of handovers) list.appendChild(card(handover));
    const sentence = summaryText();
    if (summary.textContent !== sentence) summary.textContent = sentence;
    // The number waiting in the tab's title, for an advisor working in another tab.
    const waiting = handovers.filter(function (h) {
      return h.status === "waiting";
    }).length;
    document.title = (waiting ? "(" + waiting + ") " : "") + BASE_TITLE;
    if (focused) {
      const again = document.getElementById(focused);
      (again || document.getElementById("queue-title")).focus();
    }
  }

  async function refreshList() {
    try {
      const data = await Desk.get("/handovers");
      handovers = (data && data.handovers) || [];
    } catch (error) {
      return;
    }
    renderList();
    // The open conversation changed state (taken, handed back, citizen gone): read it again.
    if (openId !== null && openHandover) {
      const now = handovers.find(function (h) {
        return h.id === openId;
      });
      const stale = now
        ? now.status !== openHandover.status ||
          now.taken_by !== openHandover.taken_by ||
          now.citizen_present !== openHandover.citizen_present
        : openHandover.status === "waiting" || openHandover.status === "active";
      if (stale) loadConversation(openId, false);
    }
  }

  async function takeHandover(id, button) {
    await Desk.busy(button, async function () {
      try {
        await Desk.post("/handovers/" + id + "/take", {});
      } catch (error) {
        await refreshList();
        return;
      }
      await refreshList();
      showConversation(id);
    });
  }

  // --- The open conversation --------------------------------------------------------------

  function hashId() {
    const match = /^#h=(\d+)$/.exec(root.location.hash);
    return match ? Number(match[1]) : null;
  }

  /** Opens a conversation: puts it in the URL hash (the hashchange handler loads it). */
  function showConversation(id) {
    if (hashId() === id) {
      loadConversation(id, true);
    } else {
      root.location.hash = "h=" + id;
    }
  }

  function closeConversation() {
    const previous = openId;
    openId = null;
    openHandover = null;
    shown = new Set();
    panel.hidden = true;
    if (hashId() !== null) {
      root.history.pushState(null, "", root.location.pathname + root.location.search);
    }
    renderList();
    const again = previous !== null ? document.getElementById("open-" + previous) : null;
    (again || document.getElementById("queue-title")).focus();
  }

  function messageItem(message, language) {
    const item = el("li", "desk-message");
    item.dataset.from = message.from;
    if (message.id !== undefined && message.id !== null) item.dataset.messageId = String(message.id);
    let who = FROM[message.from] || message.from;
    if (message.from === "advisor" && message.author) who = message.author;
    const meta = el("p", "desk-message__meta", who + " · ");
    meta.appendChild(Desk.time(message.at));
    item.appendChild(meta);
    const body = el("p", "desk-message__text", message.text);
    body.dir = "auto";
    // What the citizen and the assistant write is in the conversation's language.
    if ((message.from === "citizen" || message.from === "assistant") && language) body.lang = language;
    item.appendChild(body);
    return item;
  }

  /** A new, filled list: a live region announces changes, not a whole list put in at once. */
  function replaceTranscript(messages, language) {
    const old = document.getElementById("transcript");
    const fresh = old.cloneNode(false);
    for (const message of messages) fresh.appendChild(messageItem(message, language));
    old.replaceWith(fresh);
    fresh.scrollTop = fresh.scrollHeight;
  }

  /** Adds the messages not shown yet; the live region reads them out. */
  function appendMessages(messages, language) {
    const transcript = document.getElementById("transcript");
    const atEnd = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;
    for (const message of messages) {
      if (message.id !== undefined && shown.has(message.id)) continue;
      transcript.appendChild(messageItem(message, language));
      if (message.id !== undefined) shown.add(message.id);
    }
    if (atEnd) transcript.scrollTop = transcript.scrollHeight;
  }

  const STATUS = {
    waiting: "Dit gesprek wacht nog. Neem het aan om te antwoorden.",
    handed_back: "Dit gesprek is teruggegeven aan Leerwijzer.",
    unanswered: "Niemand heeft dit gesprek op tijd aangenomen.",
    left: "De inwoner is weg.",
  };

  function stateText(handover) {
    if (handover.status === "active" && !mine(handover)) {
      return "Een collega heeft dit gesprek: " + (handover.taken_by_name || handover.taken_by) + ".";
    }
    if (handover.status === "active" && handover.citizen_present === false) {
      return "De inwoner is weg. Uw bericht komt misschien niet meer aan.";
    }
    return STATUS[handover.status] || "";
  }

  function renderConversation(handover, messages, fresh) {
    openHandover = handover;
    title.textContent = "Gesprek met inwoner (" + (handover.desk_name || handover.desk) + ")";
    const parts = [
      Desk.channelName(handover.channel),
      Desk.languageName(handover.language),
      "gestart om " + Desk.formatTime(handover.created_at),
    ];
    const detailText = parts.join(" · ");
    if (details.textContent !== detailText) details.textContent = detailText;
    const notice = stateText(handover);
    if (state.textContent !== notice) state.textContent = notice;

    if (fresh) {
      sendStatus.textContent = "";
      shown = new Set();
      replaceTranscript(messages, handover.language);
      for (const message of messages) if (message.id !== undefined) shown.add(message.id);
    } else {
      appendMessages(messages, handover.language);
    }

    const canWrite = handover.status === "active" && mine(handover);
    if (form.hidden === canWrite) form.hidden = !canWrite;
    panel.hidden = false;
  }

  async function loadConversation(id, focus) {
    const fresh = id !== openId;
    let data;
    try {
      data = await Desk.get("/handovers/" + id);
    } catch (error) {
      if (error.status === 404 || error.status === 403) {
        if (openId === id || fresh) {
          openId = null;
          panel.hidden = true;
          if (hashId() === id) root.history.replaceState(null, "", root.location.pathname + root.location.search);
          renderList();
        }
      }
      return;
    }
    // The advisor opened another one, or closed it, while this was on its way.
    if (hashId() !== id) return;
    openId = id;
    renderConversation(data.handover, data.messages || [], fresh);
    renderList();
    if (focus) {
      const canWrite = !form.hidden;
      (canWrite ? text : title).focus();
    }
  }

  function onHashChange() {
    const id = hashId();
    if (id === null) {
      if (openId !== null) closeConversation();
      return;
    }
    loadConversation(id, true);
  }

  // --- Writing ----------------------------------------------------------------------------

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (openId === null) return;
    const id = openId;
    const value = text.value;
    if (!value.trim()) {
      Desk.showError("Typ eerst uw bericht.");
      text.focus();
      return;
    }
    if (value.length > 2000) {
      Desk.showError("Uw bericht is te lang. Het mag hoogstens 2000 tekens hebben.");
      text.focus();
      return;
    }
    Desk.busy(send, async function () {
      const data = await Desk.post("/handovers/" + id + "/messages", { text: value });
      if (openId === id) {
        text.value = "";
        if (data && data.message) appendMessages([data.message], openHandover && openHandover.language);
        // Not passed on to the assistant yet: the desk tries again by itself.
        sendStatus.textContent =
          data && data.delivered === false
            ? "Uw bericht is nog niet bij de inwoner. Er wordt opnieuw geprobeerd het te versturen."
            : "";
      }
      text.focus();
    });
  });

  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit(send) : send.click();
    }
  });

  handBack.addEventListener("click", function () {
    if (openId === null) return;
    const id = openId;
    Desk.busy(handBack, async function () {
      await Desk.post("/handovers/" + id + "/hand-back", {});
      Desk.announce("Het gesprek is teruggegeven aan Leerwijzer.");
      // The list drops it; refreshList then reads the conversation again (its new state).
      await refreshList();
      title.focus();
    });
  });

  close.addEventListener("click", closeConversation);
  root.addEventListener("hashchange", onHashChange);

  // --- Start ------------------------------------------------------------------------------

  // Bursts of `changed` events become one refetch of what they touched.
  let needList = false;
  let needConversation = false;
  const flush = Desk.debounce(function () {
    if (needList) refreshList();
    if (needConversation && openId !== null) loadConversation(openId, false);
    needList = false;
    needConversation = false;
  }, 150);

  function onChanged(change) {
    const what = change && change.what;
    if (what === "callbacks") return;
    needList = true;
    const id = change && change.id;
    if (what !== "queue" && (id === null || id === undefined || id === openId)) needConversation = true;
    flush();
  }

  async function start() {
    try {
      me = await Desk.initHeader();
    } catch (error) {
      return;
    }
    await refreshList();
    const id = hashId();
    if (id !== null) await loadConversation(id, false);
    Desk.live(onChanged);
    // Back in this tab: read the queue again, in case the live connection missed something.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) onChanged({ what: "queue", id: null });
    });
  }

  start();
})(window);
