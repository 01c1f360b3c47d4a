/*
 * The call-back page (docs/desk.md, "Call-back queue"): the requests of citizens who want
 * to be called, with claim, note and status per request. Updated on the Socket.IO event
 * `changed` {what: "callbacks"}.
 */
(function (root) {
  "use strict";
  const Desk = root.Desk;
  const el = Desk.el;

  const rows = document.getElementById("callback-rows");
  const summary = document.getElementById("callbacks-summary");

  const DAYPARTS = { morning: "ochtend", afternoon: "middag", any: "maakt niet uit" };
  const SUBJECTS = {
    "reading-writing": "Lezen en schrijven",
    "digital-government": "Digitale overheid",
    dutch: "Nederlands leren",
    integration: "Inburgering",
    "work-learning-advice": "Advies over werk en leren",
  };
  const STATUSES = {
    new: "Nieuw",
    claimed: "Opgepakt",
    unreachable: "Niet bereikt",
    called: "Gebeld",
    done: "Klaar",
  };
  const FINISHED = new Set(["called", "done"]);

  let me = null;
  let callbacks = [];

  function statusText(callback) {
    let text = STATUSES[callback.status] || callback.status;
    if (callback.claimed_by && !FINISHED.has(callback.status)) {
      text += me && callback.claimed_by === me.username ? " door u" : " door " + callback.claimed_by;
    }
    if (callback.finished_at) text += " (" + Desk.formatTime(callback.finished_at) + ")";
    return text;
  }

  /** A safe id part from a reference ("LW-ABC234" stays as it is). */
  function idPart(reference) {
    return String(reference).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  function cell(text) {
    return el("td", "", text === null || text === undefined || text === "" ? "–" : text);
  }

  function row(callback) {
    const ref = callback.reference;
    const key = idPart(ref);
    const finished = FINISHED.has(callback.status);
    const tr = el("tr");
    tr.dataset.reference = ref;
    tr.dataset.status = callback.status;
    tr.dataset.finished = finished ? "true" : "false";

    const head = el("th", "", ref);
    head.scope = "row";
    head.id = "ref-" + key;
    tr.appendChild(head);
    tr.appendChild(cell(callback.first_name));

    const phoneCell = el("td");
    if (callback.phone) {
      const link = el("a", "utrecht-link utrecht-link--html-a utrecht-link--telephone", callback.phone);
      link.href = "tel:" + String(callback.phone).replace(/[^0-9+]/g, "");
      phoneCell.appendChild(link);
    } else {
      phoneCell.textContent = "–";
    }
    tr.appendChild(phoneCell);

    tr.appendChild(cell(DAYPARTS[callback.daypart] || callback.daypart));
    const subject = el("td", "", SUBJECTS[callback.subject] || callback.subject || "–");
    if (callback.organization) {
      subject.appendChild(el("span", "desk-cell-note", "bij " + callback.organization));
    }
    tr.appendChild(subject);
    const created = el("td");
    created.appendChild(Desk.time(callback.created_at));
    tr.appendChild(created);
    const status = cell(statusText(callback));
    status.className = "desk-callback-status";
    tr.appendChild(status);
    tr.appendChild(cell(String(callback.attempts || 0)));

    // The note: a field with its own label, and a button to save it.
    const noteCell = el("td");
    const noteBox = el("div", "desk-cell-actions");
    const label = el("label", "desk-visually-hidden", "Notitie bij " + ref);
    const noteId = "note-" + key;
    label.htmlFor = noteId;
    const note = el("textarea", "utrecht-textbox desk-note");
    note.id = noteId;
    note.rows = 2;
    note.maxLength = 2000;
    note.value = callback.note || "";
    note.dataset.saved = callback.note || "";
    const save = Desk.button("Notitie opslaan", "utrecht-button--secondary-action", function () {
      Desk.busy(save, async function () {
        await Desk.post("/callbacks/" + encodeURIComponent(ref) + "/note", { note: note.value });
        note.dataset.saved = note.value;
        Desk.announce("De notitie bij " + ref + " is opgeslagen.");
        await refresh();
      });
    });
    save.id = "save-note-" + key;
    save.dataset.action = "note";
    save.setAttribute("aria-describedby", head.id);
    noteBox.appendChild(label);
    noteBox.appendChild(note);
    noteBox.appendChild(save);
    noteCell.appendChild(noteBox);
    tr.appendChild(noteCell);

    const actionCell = el("td");
    const actions = el("div", "desk-cell-actions desk-cell-actions--row");
    const colleague = Boolean(callback.claimed_by && !(me && callback.claimed_by === me.username));
    if (!finished && colleague) {
      // Only the one who picked it up calls (the server refuses the others: 409).
      actions.appendChild(el("span", "", "Een collega belt deze inwoner."));
    } else if (!finished) {
      if (!callback.claimed_by) {
        actions.appendChild(action(callback, "claim", "Oppakken", "/claim", null, "utrecht-button--primary-action"));
      }
      actions.appendChild(action(callback, "called", "Gebeld", "/status", { status: "called" }));
      actions.appendChild(action(callback, "unreachable", "Niet bereikt", "/status", { status: "unreachable" }));
      actions.appendChild(action(callback, "done", "Klaar", "/status", { status: "done" }));
    } else {
      actions.appendChild(el("span", "", "Afgehandeld"));
    }
    actionCell.appendChild(actions);
    tr.appendChild(actionCell);
    return tr;
  }

  const DONE_TEXT = {
    claim: "U heeft {ref} opgepakt.",
    called: "{ref} staat op gebeld.",
    unreachable: "{ref}: niet bereikt. Het verzoek blijft staan.",
    done: "{ref} is klaar.",
  };

  function action(callback, name, text, path, body, variant) {
    const ref = callback.reference;
    const button = Desk.button(text, variant || "utrecht-button--secondary-action", function () {
      Desk.busy(button, async function () {
        try {
          await Desk.post("/callbacks/" + encodeURIComponent(ref) + path, body || {});
        } catch (error) {
          await refresh();
          return;
        }
        Desk.announce(DONE_TEXT[name].replace("{ref}", ref));
        await refresh();
      });
    });
    button.id = name + "-" + idPart(ref);
    button.dataset.action = name;
    button.setAttribute("aria-describedby", "ref-" + idPart(ref));
    return button;
  }

  function summaryText() {
    const open = callbacks.filter(function (c) {
      return !FINISHED.has(c.status);
    }).length;
    if (!callbacks.length) return "Er zijn geen terugbelverzoeken.";
    if (!open) return "Alle verzoeken zijn afgehandeld.";
    return open === 1 ? "Er staat 1 verzoek open." : "Er staan " + open + " verzoeken open.";
  }

  function render() {
    // Keep what the advisor is typing and where the focus is when the table is drawn again.
    const active = document.activeElement;
    const focusedId = active && rows.contains(active) ? active.id : null;
    const focusedRow = focusedId && active.closest("tr") ? active.closest("tr").dataset.reference : null;
    const drafts = {};
    for (const field of rows.querySelectorAll("textarea.desk-note")) {
      if (field.value !== field.dataset.saved) drafts[field.id] = field.value;
    }
    Desk.clear(rows);
    for (const callback of callbacks) rows.appendChild(row(callback));
    for (const id of Object.keys(drafts)) {
      const field = document.getElementById(id);
      if (field) field.value = drafts[id];
    }
    if (focusedId) {
      let again = document.getElementById(focusedId);
      if (!again && focusedRow !== null) {
        // Its button is gone (after "Oppakken"): the next one in the same row.
        const tr = rows.querySelector('tr[data-reference="' + CSS.escape(focusedRow) + '"]');
        again = tr ? tr.querySelector(".desk-cell-actions--row button") || tr.querySelector("button") : null;
      }
      (again || summary).focus();
    }
    const sentence = summaryText();
    if (summary.textContent !== sentence) summary.textContent = sentence;
  }

  async function refresh() {
    try {
      const data = await Desk.get("/callbacks");
      callbacks = (data && data.callbacks) || [];
    } catch (error) {
      return;
    }
    render();
  }

  const refreshSoon = Desk.debounce(refresh, 150);

  async function start() {
    try {
      me = await Desk.initHeader();
    } catch (error) {
      return;
    }
    await refresh();
    Desk.live(function (change) {
      if (change.what === "callbacks" || change.what === "reconnect") refreshSoon();
    });
    // A request the assistant stored comes without an event: read again when the advisor
    // comes back to this tab.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) refreshSoon();
    });
  }

  start();
})(window);
