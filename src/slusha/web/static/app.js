// Slusha pages: small progressive enhancements. No inline scripts anywhere (CSP).
(function () {
  "use strict";

  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
  }

  function live() {
    var list = document.getElementById("stream");
    if (!list || !list.dataset.liveSrc || !window.EventSource) { return; }
    var status = document.getElementById("live-status");
    var source = new EventSource(list.dataset.liveSrc);
    var fresh = 0;
    source.addEventListener("open", function () { if (status) { status.hidden = false; } });
    source.addEventListener("mention", function (event) {
      // The data is a row rendered (and escaped) by the server.
      var id = "m" + (event.lastEventId || "");
      if (event.lastEventId && document.getElementById(id)) { return; }
      list.insertAdjacentHTML("afterbegin", event.data);
      fresh += 1;
      if (status) { status.textContent = status.dataset.labelNew + ": " + fresh; status.hidden = false; }
      var empty = document.querySelector("p.empty");
      if (empty) { empty.remove(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    live();
  });
})();
