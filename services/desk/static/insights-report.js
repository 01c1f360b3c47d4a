/*
 * The monthly report (docs/insights.md): the page and its tables come from the server; this
 * draws the charts from the same figures (the JSON in #report-data) and offers to print.
 */
(function (root) {
  "use strict";
  const Desk = root.Desk;

  const printButton = document.getElementById("report-print");
  printButton.hidden = false;
  printButton.addEventListener("click", function () {
    root.print();
  });

  Desk.busy(null, async function () {
    const data = document.getElementById("report-data");
    const report = JSON.parse(data.textContent);
    await Promise.all([Desk.initHeader(), root.InsightsCharts.drawAll(document, report)]);
    document.body.dataset.charts = "ready";
  });
})(window);
