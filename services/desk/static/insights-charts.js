/*
 * Charts of the insights pages (docs/insights.md): Vega-Lite specifications drawn by
 * vega-embed as SVG (prints sharply), from the figures of /desk/api/inzichten/overzicht (the
 * dashboard) or of the report page. Every chart has a table with the same numbers beside it.
 *
 * Security: the desk's Content-Security-Policy allows no eval, so Vega's expressions run in
 * vega-interpreter (`ast: true`), and vega-embed adds no style element (`defaultStyle: false`)
 * and no tooltip. Everything comes from /desk/vendor/: nothing from the network.
 */
(function (root) {
  "use strict";

  const Charts = {};

  // Dutch numbers: 1.234 and 4,5.
  const NUMBERS = { decimal: ",", thousands: ".", grouping: [3], currency: ["€ ", ""] };
  // Dark enough for 3:1 against white (WCAG 1.4.11) and told apart without colour too: the
  // lines have their own point shapes, the bars their labels.
  const COLOURS = ["#0b5394", "#b34700", "#00734f", "#a2307a", "#3d3d3d", "#6b5600"];
  const BAR = "#0b5394";
  const OUTCOME_COLOURS = { eligible: "#00734f", maybe: "#6b5600", not_eligible: "#b34700" };
  const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  const WIDTH = 560; // fits A4 in print; the SVG scales down on smaller screens (insights.css)
  // The axis of conversations: whole numbers only.
  const COUNT_AXIS = { format: ",d", tickMinStep: 1 };

  const CONFIG = {
    font: FONT,
    background: "#ffffff",
    // The table beside the chart is what a screen reader reads: no ARIA for the marks and
    // axes (each mark says `aria: false` too), one name for the whole picture (embed).
    aria: false,
    view: { stroke: null },
    axis: {
      labelFontSize: 13,
      titleFontSize: 13,
      labelColor: "#1f1f1f",
      titleColor: "#1f1f1f",
      labelLimit: 280,
      gridColor: "#d9d9d9",
    },
    legend: {
      labelFontSize: 13,
      titleFontSize: 13,
      labelColor: "#1f1f1f",
      titleColor: "#1f1f1f",
      labelLimit: 320,
      orient: "bottom",
      direction: "vertical",
    },
    range: { category: COLOURS },
  };

  function embed(element, spec) {
    if (typeof root.vegaEmbed !== "function" || !root.vega) {
      return Promise.reject(new Error("vega-embed is not loaded"));
    }
    const full = Object.assign({ config: CONFIG, background: "#ffffff" }, spec);
    return root
      .vegaEmbed(element, full, {
        mode: "vega-lite",
        renderer: "svg",
        actions: false,
        tooltip: false,
        defaultStyle: false,
        ast: true,
        expr: root.vega.expressionInterpreter,
        formatLocale: NUMBERS,
      })
      .then(function (result) {
        element.dataset.rendered = "true";
        const svg = element.querySelector("svg");
        // The chart is a picture of the table that follows it: one name, no separate parts
        // (Vega still gives some mark groups a role of their own).
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", spec.description || "Grafiek");
          svg.querySelectorAll("[role], [aria-roledescription]").forEach(function (part) {
            part.removeAttribute("role");
            part.removeAttribute("aria-roledescription");
          });
        }
        return result;
      });
  }

  function empty(element) {
    element.textContent = "Geen getallen om te laten zien.";
    element.dataset.rendered = "empty";
    return Promise.resolve(null);
  }

  function clear(element) {
    while (element.firstChild) element.removeChild(element.firstChild);
    delete element.dataset.rendered;
  }

  /** Horizontal bars: one per code, the number at its end. */
  Charts.bars = function (element, bars, options) {
    clear(element);
    if (!bars || !bars.length) return empty(element);
    const values = bars.map(function (bar) {
      return { label: bar.label, conversations: bar.conversations };
    });
    const y = {
      field: "label",
      type: "nominal",
      title: null,
      sort: { field: "conversations", order: "descending" },
    };
    if (options.keepOrder) y.sort = null;
    return embed(element, {
      description: options.description,
      width: WIDTH - 240,
      height: { step: 28 },
      data: { values: values },
      encoding: {
        y: y,
        x: { field: "conversations", type: "quantitative", title: "Gesprekken", axis: COUNT_AXIS },
      },
      layer: [
        { mark: { type: "bar", color: options.colour || BAR, aria: false } },
        {
          mark: { type: "text", align: "left", dx: 4, fontSize: 13, color: "#1f1f1f", aria: false },
          encoding: { text: { field: "conversations", type: "quantitative", format: ",d" } },
        },
      ],
    });
  };

  /** Lines: searches per subject (colour and point shape) per period (x). */
  Charts.trend = function (element, trend, description) {
    clear(element);
    const values = (trend.points || []).filter(function (point) {
      return point.conversations !== null && point.conversations !== undefined;
    });
    if (!values.length) return empty(element);
    const periods = trend.periods.map(function (p) {
      return p.label;
    });
    const subjects = trend.subjects.map(function (s) {
      return s.label;
    });
    return embed(element, {
      description: description,
      width: WIDTH,
      height: 260,
      data: { values: values },
      encoding: {
        x: {
          field: "period_label",
          type: "ordinal",
          sort: periods,
          title: null,
          axis: { labelAngle: 0 },
          scale: { domain: periods },
        },
        y: { field: "conversations", type: "quantitative", title: "Gesprekken", axis: COUNT_AXIS },
        color: {
          field: "subject_label",
          type: "nominal",
          title: "Onderwerp",
          sort: subjects,
          scale: { domain: subjects, range: COLOURS },
        },
        shape: {
          field: "subject_label",
          type: "nominal",
          title: "Onderwerp",
          sort: subjects,
          scale: { domain: subjects },
        },
      },
      layer: [
        { mark: { type: "line", strokeWidth: 2.5, aria: false } },
        { mark: { type: "point", filled: true, size: 70, opacity: 1, aria: false } },
      ],
    });
  };

  /** Stacked bars: per scheme, the conversations per outcome. */
  Charts.schemes = function (element, schemes, description) {
    clear(element);
    const values = [];
    (schemes.rows || []).forEach(function (row) {
      schemes.outcomes.forEach(function (outcome) {
        const value = row[outcome.code];
        if (value !== null && value !== undefined) {
          values.push({ scheme: row.label, outcome: outcome.label, conversations: value, total: row.total });
        }
      });
    });
    if (!values.length) return empty(element);
    const outcomes = schemes.outcomes.map(function (o) {
      return o.label;
    });
    const colours = schemes.outcomes.map(function (o) {
      return OUTCOME_COLOURS[o.code] || BAR;
    });
    return embed(element, {
      description: description,
      width: WIDTH - 240,
      height: { step: 28 },
      data: { values: values },
      mark: { type: "bar", stroke: "#ffffff", strokeWidth: 1, aria: false },
      encoding: {
        y: { field: "scheme", type: "nominal", title: null, sort: { field: "total", order: "descending" } },
        x: {
          field: "conversations",
          type: "quantitative",
          title: "Gesprekken",
          stack: "zero",
          axis: COUNT_AXIS,
        },
        color: {
          field: "outcome",
          type: "nominal",
          title: "Uitkomst",
          sort: outcomes,
          scale: { domain: outcomes, range: colours },
        },
        order: { field: "outcome", sort: "ascending" },
      },
    });
  };

  /** Draws a chart; a failure shows a sentence instead (the table still has the numbers). */
  Charts.draw = function (element, drawing) {
    return drawing.catch(function (error) {
      clear(element);
      element.textContent = "De grafiek kan niet getoond worden. De tabel heeft dezelfde getallen.";
      element.dataset.rendered = "failed";
      if (root.console) root.console.error(error);
    });
  };

  /** The charts of a report or dashboard, into the elements `[data-chart=<name>]` of `scope`. */
  Charts.drawAll = function (scope, report) {
    const sections = {};
    report.sections.forEach(function (section) {
      sections[section.id] = section;
    });
    const place = report.place_label;
    const jobs = [];
    scope.querySelectorAll("[data-chart]").forEach(function (element) {
      const name = element.dataset.chart;
      let drawing;
      if (name === "trend") {
        const trendText = "Lijngrafiek: gesprekken per onderwerp per periode, " + place;
        drawing = Charts.trend(element, report.trend, trendText);
      } else if (name === "schemes") {
        const schemesText = "Staafgrafiek: gesprekken per regeling en uitkomst";
        drawing = Charts.schemes(element, report.schemes, schemesText);
      } else if (sections[name]) {
        const section = sections[name];
        drawing = Charts.bars(element, section.bars, {
          description: "Staafgrafiek: " + section.title,
          keepOrder: name === "budget" || name === "age",
        });
      } else {
        return;
      }
      jobs.push(Charts.draw(element, drawing));
    });
    return Promise.all(jobs);
  };

  root.InsightsCharts = Charts;
})(window);
