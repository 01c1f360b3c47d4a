/*
 * The administration page (docs/desk.md, "Administration", role admin): accounts, desks
 * and the audit log.
 */
(function (root) {
  "use strict";
  const Desk = root.Desk;
  const el = Desk.el;

  const userRows = document.getElementById("user-rows");
  const deskRows = document.getElementById("desk-rows");
  const auditRows = document.getElementById("audit-rows");
  const userForm = document.getElementById("user-form");
  const userDesks = document.getElementById("user-desks");
  const deskForm = document.getElementById("desk-form");

  // The audit log's actions (services/desk/app.py and its command line), in Dutch.
  const ACTIONS = {
    "sign-in refused": "Inloggen geweigerd",
    "signed in": "Ingelogd",
    "signed out": "Uitgelogd",
    "signed out everywhere": "Overal uitgelogd",
    "opened conversation": "Gesprek bekeken",
    "took conversation": "Gesprek aangenomen",
    "handed back conversation": "Gesprek teruggegeven aan Leerwijzer",
    "read call-back queue": "Terugbelverzoeken bekeken",
    "claimed call-back": "Terugbelverzoek opgepakt",
    "noted call-back": "Notitie bij terugbelverzoek",
    "call-back called": "Terugbelverzoek: gebeld",
    "call-back unreachable": "Terugbelverzoek: niet bereikt",
    "call-back done": "Terugbelverzoek: klaar",
    "added account": "Account toegevoegd",
    "changed account": "Account gewijzigd",
    "unlocked account": "Account ontgrendeld",
    "unlock account": "Account ontgrendeld",
    "password account": "Nieuw wachtwoord gezet",
    "saved desk": "Balie opgeslagen",
  };
  const WHO = { "command line": "Opdrachtregel" };
  // Targets in the audit log are short English phrases with a number or a name.
  const TARGETS = [
    [/^handover (\d+)$/, "gesprek $1"],
    [/^(\d+) requests?$/, "$1 verzoeken"],
    [/^(\d+) sessions?$/, "$1 sessies"],
    [/^password$/, "met wachtwoord"],
    [/^oidc$/, "via uw organisatie"],
    [/^oidc: no account$/, "via uw organisatie: geen account"],
  ];

  function targetText(target) {
    for (const [pattern, text] of TARGETS) {
      if (pattern.test(target || "")) return String(target).replace(pattern, text);
    }
    return target;
  }

  let desks = [];
  let users = [];
  let me = null;

  // What the server accepts (services/desk/app.py); checked here to say it in plain Dutch.
  const USERNAME = /^[a-z0-9._@-]{2,80}$/;
  const DESK_ID = /^[a-z0-9-]{2,40}$/;

  /**
   * Checks [field, ok, message] rules in order: marks each field (aria-invalid), shows the
   * first problem in the alert and puts the focus on its field. True when all is well.
   */
  function check(rules) {
    const bad = new Set();
    let first = null;
    for (const [field, ok, message] of rules) {
      if (!ok && !bad.has(field)) {
        bad.add(field);
        if (!first) first = [field, message];
      }
    }
    for (const [field] of rules) field.setAttribute("aria-invalid", bad.has(field) ? "true" : "false");
    if (!first) return true;
    Desk.showError(first[1]);
    first[0].focus();
    return false;
  }

  function cell(text) {
    return el("td", "", text === null || text === undefined || text === "" ? "–" : text);
  }

  function idPart(value) {
    return String(value).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  function deskName(id) {
    const found = desks.find(function (d) {
      return d.id === id;
    });
    return found ? found.name : id;
  }

  // --- Users ------------------------------------------------------------------------------

  function userRow(user) {
    const key = idPart(user.username);
    const tr = el("tr");
    tr.dataset.username = user.username;
    const head = el("th", "", user.username);
    head.scope = "row";
    head.id = "user-" + key;
    tr.appendChild(head);
    tr.appendChild(cell(user.name));
    tr.appendChild(cell(Desk.ROLES[user.role] || user.role));
    tr.appendChild(cell((user.desks || []).map(deskName).join(", ")));
    const states = [user.active ? "Actief" : "Uitgeschakeld"];
    if (user.locked) states.push("geblokkeerd");
    tr.appendChild(cell(states.join(", ")));

    const actionCell = el("td");
    const actions = el("div", "desk-actions");
    if (user.locked) {
      actions.appendChild(
        userAction(user, "unlock", "Ontgrendelen", "/users/" + encodeURIComponent(user.username) + "/unlock", {},
          user.username + " kan weer inloggen.")
      );
    }
    if (me && user.username === me.username) {
      actions.appendChild(el("span", "", "Dit bent u"));
    } else if (user.active) {
      actions.appendChild(
        userAction(user, "deactivate", "Uitschakelen", "/users/" + encodeURIComponent(user.username), { active: false },
          user.username + " is uitgeschakeld.")
      );
    } else {
      actions.appendChild(
        userAction(user, "activate", "Inschakelen", "/users/" + encodeURIComponent(user.username), { active: true },
          user.username + " is weer actief.")
      );
    }
    actionCell.appendChild(actions);
    tr.appendChild(actionCell);
    return tr;
  }

  function userAction(user, name, text, path, body, done) {
    const button = Desk.button(text, "utrecht-button--secondary-action", function () {
      Desk.busy(button, async function () {
        await Desk.post(path, body);
        Desk.announce(done);
        await Promise.all([loadUsers(), loadAudit()]);
      });
    });
    button.id = name + "-" + idPart(user.username);
    button.dataset.action = name;
    button.setAttribute("aria-describedby", "user-" + idPart(user.username));
    return button;
  }

  function renderUsers() {
    // Keep the keyboard focus in the same row when the table is drawn again.
    const active = document.activeElement;
    const focusedId = active && userRows.contains(active) ? active.id : null;
    const focusedRow = focusedId && active.closest("tr") ? active.closest("tr").dataset.username : null;
    Desk.clear(userRows);
    for (const user of users) userRows.appendChild(userRow(user));
    if (focusedId) {
      let again = document.getElementById(focusedId);
      if (!again && focusedRow !== null) {
        const tr = userRows.querySelector('tr[data-username="' + CSS.escape(focusedRow) + '"]');
        again = tr ? tr.querySelector("button") : null;
      }
      (again || document.getElementById("users-title")).focus();
    }
  }

  async function loadUsers() {
    try {
      const data = await Desk.get("/users");
      users = (data && data.users) || [];
    } catch (error) {
      return;
    }
    renderUsers();
  }

  function renderDeskChoices() {
    const checked = new Set(
      Array.from(userDesks.querySelectorAll("input:checked")).map(function (box) {
        return box.value;
      })
    );
    Desk.clear(userDesks);
    if (!desks.length) {
      userDesks.appendChild(el("p", "utrecht-paragraph", "Er zijn nog geen balies. Voeg eerst een balie toe."));
      return;
    }
    for (const desk of desks) {
      const wrap = el("div", "desk-checkbox");
      const box = el("input");
      box.type = "checkbox";
      box.name = "desks";
      box.value = desk.id;
      box.id = "user-desk-" + idPart(desk.id);
      box.checked = checked.has(desk.id);
      const label = el("label", "utrecht-form-label utrecht-form-label--checkbox", desk.name);
      label.htmlFor = box.id;
      wrap.appendChild(box);
      wrap.appendChild(label);
      userDesks.appendChild(wrap);
    }
  }

  userForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const username = document.getElementById("user-username");
    const name = document.getElementById("user-name");
    const password = document.getElementById("user-password");
    const login = username.value.trim().toLowerCase();
    const valid = check([
      [username, Boolean(login), "Vul de gebruikersnaam in."],
      [username, USERNAME.test(login), "Een gebruikersnaam heeft alleen kleine letters, cijfers, punten of streepjes. Geen spaties."],
      [name, Boolean(name.value.trim()), "Vul de naam in."],
      [password, password.value.length >= 12, "Het eerste wachtwoord heeft minstens 12 tekens."],
    ]);
    if (!valid) return;
    const body = {
      username: login,
      name: name.value.trim(),
      role: document.getElementById("user-role").value,
      desks: Array.from(userDesks.querySelectorAll("input:checked")).map(function (box) {
        return box.value;
      }),
      password: password.value,
    };
    Desk.busy(document.getElementById("user-submit"), async function () {
      await Desk.post("/users", body);
      Desk.announce("Medewerker " + body.username + " is toegevoegd.");
      userForm.reset();
      await Promise.all([loadUsers(), loadAudit()]);
    });
  });

  // --- Desks ------------------------------------------------------------------------------

  function deskRow(desk) {
    const key = idPart(desk.id);
    const tr = el("tr");
    tr.dataset.deskId = desk.id;
    const head = el("th", "", desk.id);
    head.scope = "row";
    head.id = "desk-" + key;
    tr.appendChild(head);
    tr.appendChild(cell(desk.name));
    tr.appendChild(cell(desk.phone));
    tr.appendChild(cell(desk.hours));
    tr.appendChild(cell((desk.topics || []).join(", ")));
    tr.appendChild(cell(desk.max_wait_minutes + " min"));
    tr.appendChild(cell(desk.open_now ? "Ja" : "Nee"));
    const actionCell = el("td");
    const edit = Desk.button("Wijzigen", "utrecht-button--secondary-action", function () {
      fillDeskForm(desk);
    });
    edit.id = "edit-desk-" + key;
    edit.dataset.action = "edit";
    edit.setAttribute("aria-describedby", head.id);
    actionCell.appendChild(edit);
    tr.appendChild(actionCell);
    return tr;
  }

  function fillDeskForm(desk) {
    document.getElementById("desk-id").value = desk.id;
    document.getElementById("desk-name").value = desk.name || "";
    document.getElementById("desk-phone").value = desk.phone || "";
    document.getElementById("desk-hours").value = desk.hours || "";
    document.getElementById("desk-topics").value = (desk.topics || []).join(", ");
    document.getElementById("desk-max-wait").value = String(desk.max_wait_minutes || "");
    Desk.announce("De gegevens van " + desk.name + " staan in het formulier.");
    document.getElementById("desk-name").focus();
  }

  function renderDesks() {
    Desk.clear(deskRows);
    for (const desk of desks) deskRows.appendChild(deskRow(desk));
    renderDeskChoices();
  }

  async function loadDesks() {
    try {
      const data = await Desk.get("/desks");
      desks = (data && data.desks) || [];
    } catch (error) {
      return;
    }
    renderDesks();
  }

  deskForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const id = document.getElementById("desk-id");
    const name = document.getElementById("desk-name");
    const wait = document.getElementById("desk-max-wait");
    const minutes = Number(wait.value);
    const valid = check([
      [id, Boolean(id.value.trim()), "Vul de code van de balie in."],
      [id, DESK_ID.test(id.value.trim()), "Een code heeft alleen kleine letters, cijfers en streepjes. Bijvoorbeeld: taalhuis-breda."],
      [name, Boolean(name.value.trim()), "Vul de naam van de balie in."],
      [wait, Number.isInteger(minutes) && minutes >= 1 && minutes <= 120, "Vul bij de langste wachttijd een heel aantal minuten in: van 1 tot en met 120."],
    ]);
    if (!valid) return;
    const body = {
      id: id.value.trim(),
      name: name.value.trim(),
      phone: document.getElementById("desk-phone").value.trim(),
      hours: document.getElementById("desk-hours").value.trim(),
      topics: document
        .getElementById("desk-topics")
        .value.split(",")
        .map(function (topic) {
          return topic.trim();
        })
        .filter(Boolean),
      max_wait_minutes: minutes,
    };
    Desk.busy(document.getElementById("desk-submit"), async function () {
      await Desk.post("/desks", body);
      Desk.announce("Balie " + body.name + " is opgeslagen.");
      deskForm.reset();
      await Promise.all([loadDesks(), loadAudit()]);
      await loadUsers(); // desk names in the users table
    });
  });

  // --- Audit log --------------------------------------------------------------------------

  function renderAudit(entries) {
    Desk.clear(auditRows);
    if (!entries.length) {
      const tr = el("tr");
      const td = el("td", "", "Nog niets gebeurd.");
      td.colSpan = 4;
      tr.appendChild(td);
      auditRows.appendChild(tr);
      return;
    }
    for (const entry of entries) {
      const tr = el("tr");
      const when = el("td");
      when.appendChild(Desk.time(entry.at));
      tr.appendChild(when);
      tr.appendChild(cell(WHO[entry.username] || entry.username));
      tr.appendChild(cell(ACTIONS[entry.action] || entry.action));
      tr.appendChild(cell(targetText(entry.target)));
      auditRows.appendChild(tr);
    }
  }

  async function loadAudit() {
    let entries;
    try {
      const data = await Desk.get("/audit");
      entries = (data && data.entries) || [];
    } catch (error) {
      return;
    }
    // Newest first, also if the server would send them in another order.
    entries.sort(function (a, b) {
      return new Date(b.at).getTime() - new Date(a.at).getTime();
    });
    renderAudit(entries);
  }

  // --- Start ------------------------------------------------------------------------------

  async function start() {
    try {
      me = await Desk.initHeader();
    } catch (error) {
      return;
    }
    if (me.role !== "admin") {
      Desk.showError("Deze pagina is alleen voor beheerders.");
      return;
    }
    await loadDesks();
    await Promise.all([loadUsers(), loadAudit()]);
    const refresh = Desk.debounce(function () {
      loadAudit();
    }, 500);
    Desk.live(function (change) {
      if (change.what === "reconnect") {
        loadDesks().then(loadUsers);
      }
      refresh();
    });
  }

  start();
})(window);
