// Alert notices on every page: a toast per alert sent to one of the member's teams (SSE from
// /live/alerts), a browser notification when the member allowed it, and an optional sound.
// The settings live in this browser's localStorage. No inline scripts anywhere (CSP).
(function () {
  "use strict";

  var KEY_SOUND = "slusha.alerts.sound";
  var KEY_NO_BROWSER = "slusha.alerts.noBrowser";
  var TOAST_SECONDS = 30;
  var audio = null;

  function stored(key) {
    try { return window.localStorage.getItem(key) === "1"; } catch (e) { return false; }
  }

  function store(key, on) {
    try {
      if (on) { window.localStorage.setItem(key, "1"); } else { window.localStorage.removeItem(key); }
    } catch (e) { /* storage blocked: the setting lasts for this page only */ }
  }

  function canNotify() { return "Notification" in window; }

  function box() {
    var el = document.getElementById("alert-toasts");
    if (!el) {
      el = document.createElement("div");
      el.id = "alert-toasts";
      el.className = "toasts";
      el.setAttribute("aria-live", "polite");
      document.body.appendChild(el);
    }
    return el;
  }

  function beep() {
    if (!stored(KEY_SOUND)) { return; }
    if (!audio) { audio = new Audio("/static/alert.wav"); }
    audio.currentTime = 0;
    var played = audio.play();
    if (played && played.catch) { played.catch(function () { /* autoplay refused */ }); }
  }

  function notify(toast) {
    if (stored(KEY_NO_BROWSER) || !canNotify() || Notification.permission !== "granted") { return; }
    try {
      var n = new Notification(toast.dataset.title || "Slusha", {
        body: toast.dataset.body || "", tag: "slusha-alert-" + toast.dataset.alertId
      });
      n.addEventListener("click", function () { window.focus(); window.location.href = toast.dataset.url; });
      toast.dataset.notified = "1";
    } catch (e) { toast.dataset.notified = "error"; }
  }

  function show(html) {
    var container = box();
    // The data is a notice rendered (and escaped) by the server.
    container.insertAdjacentHTML("beforeend", html);
    var toast = container.lastElementChild;
    if (!toast) { return; }
    var close = toast.querySelector(".toast-close");
    if (close) { close.addEventListener("click", function () { toast.remove(); }); }
    window.setTimeout(function () { toast.remove(); }, TOAST_SECONDS * 1000);
    notify(toast);
    beep();
  }

  function listen() {
    var link = document.querySelector("[data-alert-live]");
    if (!link || !window.EventSource) { return; }
    var source = new EventSource(link.dataset.alertLive);
    source.addEventListener("open", function () { document.body.dataset.alertLive = "open"; });
    source.addEventListener("alert", function (event) {
      // The event id is where the stream stands (Last-Event-ID), not the alert's id.
      var alertId = /data-alert-id="(\d+)"/.exec(event.data);
      if (alertId && document.getElementById("alert-toast-" + alertId[1])) { return; }
      show(event.data);
    });
  }

  function settings() {
    var panel = document.getElementById("alert-notify");
    if (!panel) { return; }
    var button = document.getElementById("alert-notify-enable");
    var state = document.getElementById("alert-notify-state");
    var off = document.getElementById("alert-notify-off");
    var sound = document.getElementById("alert-sound");

    function update() {
      var text = "unsupported";
      if (canNotify()) {
        text = Notification.permission === "denied" ? "denied"
          : (Notification.permission === "granted" && !stored(KEY_NO_BROWSER)) ? "on" : "off";
      }
      state.textContent = state.dataset[text] || "";
      state.dataset.state = text;
      button.hidden = !canNotify() || Notification.permission !== "default";
      off.checked = stored(KEY_NO_BROWSER);
      sound.checked = stored(KEY_SOUND);
    }

    button.addEventListener("click", function () {
      store(KEY_NO_BROWSER, false);
      var asked = Notification.requestPermission(update);
      if (asked && asked.then) { asked.then(update); }
    });
    off.addEventListener("change", function () { store(KEY_NO_BROWSER, off.checked); update(); });
    sound.addEventListener("change", function () {
      store(KEY_SOUND, sound.checked);
      if (sound.checked) { beep(); }
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    listen();
    settings();
  });
})();
