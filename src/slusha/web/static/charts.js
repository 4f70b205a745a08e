// Dashboard charts: Vega-Lite specs from the API, drawn with the locally served bundle.
// ast: true makes vega-embed use Vega's expression interpreter: no code is compiled at run
// time, so the CSP needs no 'unsafe-eval'.
(function () {
  "use strict";

  function draw(el) {
    fetch(el.dataset.chartSrc, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        return window.vegaEmbed(el, data.spec, {
          actions: false, renderer: "svg", ast: true,
          defaultStyle: false, tooltip: { disableDefaultStyle: true }
        });
      })
      .then(function () { el.dataset.rendered = "1"; })
      .catch(function (err) { el.dataset.rendered = "error"; el.textContent = String(err); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".chart[data-chart-src]").forEach(draw);
  });
})();
