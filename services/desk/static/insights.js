/*
 * The insights dashboard (docs/insights.md): for partners and admins. Reads the published
 * periods (GET /desk/api/inzichten) and the figures of one period and place
 * (GET /desk/api/inzichten/overzicht?periode=&gemeente=), and shows them as charts
 * (insights-charts.js) with a table for each. The chosen period and place are in the address,
 * so a reload or a shared link shows the same.
 */
(function (root) {
  "use strict";
  const Desk = root.Desk;
  const Charts = root.InsightsCharts;
  const el = Desk.el;

  const form = document.getElementById("insights-filter");
  const periodSelect = document.getElementById("insights-period");
  const placeSelect = document.getElementById("insights-place");
  const showButton = document.getElementById("insights-show");
  const content = document.getElementById("insights-content");
  const loading = document.getElementById("insights-loading");
  const emptyNotice = document.getElementById("insights-empty");
  const reportLink = document.getElementById("insights-report-link");
  const csvLink = document.getElementById("insights-csv-link");
  const HIDDEN = "–";

  // The sections after the table of gaps, in this order; "schemes" has its own table.
  const SECTIONS = ["language", "handover", "schemes", "budget", "help", "channel", "age"];

  const numberFormat = new Intl.NumberFormat("nl-NL");
  const kmFormat = new Intl.NumberFormat("nl-NL", { maximumFractionDigits: 1 });

  function count(value) {
    return value === null || value === undefined ? HIDDEN : numberFormat.format(value);
  }

  function percent(value) {
    return value === null || value === undefined ? HIDDEN : Math.round(value) + "%";
  }

  function km(value) {
    return value === null || value === undefined ? HIDDEN : kmFormat.format(value) + " km";
  }

  /** A table with a caption; the first value of each row is its header. Text only. */
  function table(caption, headers, rows) {
    const tableElement = el("table", "desk-table insights-table");
    tableElement.appendChild(el("caption", "", caption));
    const head = el("thead");
    const headRow = el("tr");
    headers.forEach(function (header) {
      const th = el("th", "", header);
      th.scope = "col";
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    tableElement.appendChild(head);
    const body = el("tbody");
    rows.forEach(function (row) {
      const tr = el("tr");
      row.forEach(function (value, index) {
        const cell = el(index === 0 ? "th" : "td", "", value);
        if (index === 0) cell.scope = "row";
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
    if (!rows.length) {
      const tr = el("tr");
      const td = el("td", "", "Geen getallen om te laten zien.");
      td.colSpan = headers.length;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    tableElement.appendChild(body);
    return tableElement;
  }

  /** A chart with its table in a <details> below it. */
  function chartWithTable(name, caption, tableElement) {
    const fragment = document.createDocumentFragment();
    const figure = el("figure", "insights-figure");
    const chart = el("div", "insights-chart");
    chart.dataset.chart = name;
    figure.appendChild(chart);
    const sentence = /[.?!]$/.test(caption) ? caption : caption + ".";
    const text = sentence + " De getallen staan ook in de tabel hieronder.";
    figure.appendChild(el("figcaption", "insights-figcaption", text));
    fragment.appendChild(figure);
    const details = el("details", "insights-details");
    details.appendChild(el("summary", "", "Tabel bij deze grafiek"));
    const wrap = el("div", "desk-table-wrap");
    wrap.dataset.table = name;
    wrap.appendChild(tableElement);
    details.appendChild(wrap);
    fragment.appendChild(details);
    return fragment;
  }

  function section(id, title, parts) {
    const element = el("section", "insights-section");
    element.setAttribute("aria-labelledby", id + "-title");
    const heading = el("h2", "utrecht-heading-2", title);
    heading.id = id + "-title";
    element.appendChild(heading);
    parts.forEach(function (part) {
      if (part) element.appendChild(part);
    });
    return element;
  }

  function paragraph(text) {
    return el("p", "utrecht-paragraph", text);
  }

  function regionNote(regionOnly) {
    return regionOnly ? paragraph("Deze getallen gaan over de hele regio.") : null;
  }

  // --- rendering ---------------------------------------------------------------------------

  function renderTrend(report) {
    const trend = report.trend;
    document.getElementById("trend-description").textContent =
      "Het aantal gesprekken waarin mensen een cursus zochten, per onderwerp, in " +
      report.place_label +
      ". Alleen de onderwerpen met de meeste gesprekken.";
    const values = {};
    trend.points.forEach(function (point) {
      values[point.period + "|" + point.subject] = point.conversations;
    });
    const wrap = document.querySelector('[data-table="trend"]');
    Desk.clear(wrap);
    wrap.appendChild(
      table(
        "Gesprekken per onderwerp per periode, " + report.place_label,
        ["Periode"].concat(trend.subjects.map(function (s) {
          return s.label;
        })),
        trend.periods.map(function (period) {
          return [period.label].concat(
            trend.subjects.map(function (subject) {
              return count(values[period.code + "|" + subject.code]);
            })
          );
        })
      )
    );
  }

  // The table of gaps: the largest gap first, or sorted by a column the user chose.
  const gapsState = { report: null, key: null, descending: true };

  function compareGaps(key, descending) {
    return function (a, b) {
      const x = a[key];
      const y = b[key];
      if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
      if (y === null || y === undefined) return -1; // hidden values last, either way
      const order = typeof x === "string" ? x.localeCompare(y, "nl") : x - y;
      return descending ? -order : order;
    };
  }

  function renderGaps(report) {
    if (report) {
      gapsState.report = report;
      gapsState.key = null;
    }
    report = gapsState.report;
    document.getElementById("gaps-caption").textContent =
      "Vraag zonder passend aanbod, " + report.period_label + ", " + report.place_label;
    const gaps = report.gaps.slice();
    if (gapsState.key) gaps.sort(compareGaps(gapsState.key, gapsState.descending));
    document.querySelectorAll("#gaps-table [data-sort]").forEach(function (button) {
      const th = button.parentElement;
      if (button.dataset.sort === gapsState.key) {
        th.setAttribute("aria-sort", gapsState.descending ? "descending" : "ascending");
      } else {
        th.removeAttribute("aria-sort");
      }
    });
    const body = document.getElementById("gaps-rows");
    Desk.clear(body);
    gaps.forEach(function (gap) {
      const tr = el("tr");
      const subject = el("th", "", gap.subject_label);
      subject.scope = "row";
      tr.appendChild(subject);
      [
        gap.place_label,
        count(gap.conversations),
        percent(gap.no_result_pct),
        percent(gap.no_nearby_pct),
        km(gap.median_km),
        percent(gap.paid_only_pct),
      ].forEach(function (value) {
        tr.appendChild(el("td", "", value));
      });
      body.appendChild(tr);
    });
    if (!gaps.length) {
      const tr = el("tr");
      const td = el("td", "", "Geen getallen om te laten zien.");
      td.colSpan = 7;
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  document.querySelectorAll("#gaps-table [data-sort]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!gapsState.report) return;
      const key = button.dataset.sort;
      const text = key === "subject_label" || key === "place_label";
      gapsState.descending = gapsState.key === key ? !gapsState.descending : !text;
      gapsState.key = key;
      renderGaps(null);
      const direction = gapsState.descending ? "van hoog naar laag" : "van laag naar hoog";
      Desk.announce("Gesorteerd op " + button.textContent.toLowerCase() + ", " + direction + ".");
    });
  });

  function barSection(item) {
    const rows = item.bars.map(function (bar) {
      return [bar.label, count(bar.conversations)];
    });
    return section(item.id, item.title, [
      paragraph(item.description),
      regionNote(item.region_only),
      chartWithTable(item.id, item.title, table(item.title, [item.column, "Gesprekken"], rows)),
    ]);
  }

  function schemesSection(report) {
    const schemes = report.schemes;
    const rows = schemes.rows.map(function (row) {
      return [row.label]
        .concat(schemes.outcomes.map(function (outcome) {
          return count(row[outcome.code]);
        }))
        .concat([count(row.total)]);
    });
    const headers = ["Regeling"].concat(schemes.outcomes.map(function (o) {
      return o.label;
    }), ["Totaal"]);
    const caption = "Gesprekken per regeling en uitkomst";
    return section("schemes", "Regelingen om een cursus te betalen", [
      paragraph("Naar welke regelingen Leerwijzer keek, en of die regeling paste."),
      regionNote(schemes.region_only),
      chartWithTable("schemes", caption, table(caption, headers, rows)),
    ]);
  }

  function render(report) {
    document.getElementById("insights-k").textContent = report.k_explanation;
    document.getElementById("insights-hidden-note").textContent = report.hidden_note;
    const summary = document.getElementById("insights-summary");
    Desk.clear(summary);
    report.summary.forEach(function (sentence) {
      summary.appendChild(el("li", "utrecht-unordered-list__item", sentence));
    });
    renderTrend(report);
    renderGaps(report);
    const sections = {};
    report.sections.forEach(function (item) {
      sections[item.id] = item;
    });
    const container = document.getElementById("insights-sections");
    Desk.clear(container);
    SECTIONS.forEach(function (id) {
      if (id === "schemes") container.appendChild(schemesSection(report));
      else if (sections[id]) container.appendChild(barSection(sections[id]));
    });
    content.hidden = false;
    return Charts.drawAll(content, report);
  }

  // --- choosing --------------------------------------------------------------------------

  function chosen() {
    return { periode: periodSelect.value, gemeente: placeSelect.value };
  }

  function query(choice) {
    const params = new URLSearchParams();
    if (choice.periode) params.set("periode", choice.periode);
    if (choice.gemeente) params.set("gemeente", choice.gemeente);
    const text = params.toString();
    return text ? "?" + text : "";
  }

  function updateLinks(choice) {
    reportLink.href = "/desk/inzichten/rapport" + query(choice);
    csvLink.href = "/desk/api/inzichten/export.csv" + query({ periode: choice.periode });
  }

  async function show(announce) {
    const choice = chosen();
    updateLinks(choice);
    root.history.replaceState(null, "", "/desk/inzichten" + query(choice));
    loading.hidden = false;
    try {
      const report = await Desk.get("/inzichten/overzicht" + query(choice));
      await render(report);
      content.dataset.period = report.period;
      content.dataset.place = report.municipality || "";
      if (announce) {
        Desk.announce("De cijfers van " + report.period_label + ", " + report.place_label + " staan klaar.");
      }
    } finally {
      loading.hidden = true;
    }
  }

  function option(value, text, selected) {
    const element = el("option", "", text);
    element.value = value;
    element.selected = Boolean(selected);
    return element;
  }

  async function start() {
    await Desk.initHeader();
    const overview = await Desk.get("/inzichten");
    const params = new URLSearchParams(root.location.search);
    if (!overview.periods.length) {
      loading.hidden = true;
      emptyNotice.hidden = false;
      form.hidden = true;
      reportLink.closest("ul").hidden = true;
      return;
    }
    const wantedPeriod = params.get("periode");
    const wantedPlace = params.get("gemeente") || "";
    overview.periods.forEach(function (period, index) {
      const selected = wantedPeriod ? period.period === wantedPeriod : index === 0;
      periodSelect.appendChild(option(period.period, period.label, selected));
    });
    overview.municipalities.forEach(function (name) {
      placeSelect.appendChild(option(name, name, name === wantedPlace));
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Desk.busy(showButton, function () {
        return show(true);
      });
    });
    await show(false);
  }

  // On paper the tables are there too.
  root.addEventListener("beforeprint", function () {
    content.querySelectorAll("details").forEach(function (details) {
      details.open = true;
    });
  });

  Desk.busy(null, start);
})(window);
