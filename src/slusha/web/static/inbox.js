// The team inbox: keyboard shortcuts, bulk selection, saved replies, presence ("who else is on
// this mention") and live work: when the mention's stream says "work", the changed parts of the
// page are fetched again. No inline scripts anywhere (CSP): everything is here.
(function () {
  "use strict";

  function csrf() { return document.body.dataset.csrf || ""; }

  function typing(event) {
    var el = event.target;
    if (!el || !el.tagName) { return false; }
    var tag = el.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || el.isContentEditable;
  }

  // --- help overlay -------------------------------------------------------------------------
  function help() { return document.getElementById("shortcuts-help"); }
  function toggleHelp(show) {
    var box = help();
    if (!box) { return; }
    box.hidden = show === undefined ? !box.hidden : !show;
    if (!box.hidden) {
      var close = box.querySelector("[data-close-help]");
      if (close) { close.focus(); }
    }
  }

  // --- the list ---------------------------------------------------------------------------
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.inbox-row")); }
  function current() { return document.querySelector("tr.inbox-row.current"); }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.indexOf(current());
    var next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    all.forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    all[next].classList.add("current");
    all[next].setAttribute("aria-current", "true");
    all[next].scrollIntoView({block: "nearest"});
  }

  function quick(row, fields) {
    var form = document.getElementById("quick-action");
    if (!form || !row) { return; }
    form.elements.mention_ids.value = row.dataset.id;
    form.elements.assign_to.value = fields.assign_to || "";
    form.elements.status.value = fields.status || "";
    form.submit();
  }

  function listKey(key) {
    var row = current();
    if (key === "j") { move(1); return true; }
    if (key === "k") { move(-1); return true; }
    if (!row) { return false; }
    if (key === "o" || key === "Enter") { window.location.href = row.dataset.href; return true; }
    if (key === "r") { window.location.href = row.dataset.href + "#reply"; return true; }
    if (key === "a") { quick(row, {assign_to: "me"}); return true; }
    if (key === "e") { quick(row, {status: "resolved"}); return true; }
    if (key === "x") {
      var box = row.querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
      return true;
    }
    return false;
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  // --- the mention page -------------------------------------------------------------------
  function detailKey(key) {
    if (key === "a") { return click("assign-me"); }
    if (key === "e") { return click("status-resolved"); }
    if (key === "r") {
      var text = document.getElementById("reply-text");
      if (text) { text.focus(); return true; }
      return false;
    }
    if (key === "o") {
      var original = document.querySelector("article.post a[target=_blank]");
      if (original) { window.open(original.href, "_blank", "noopener"); return true; }
    }
    return false;
  }

  function shortcuts() {
    var list = document.getElementById("inbox-list");
    var work = document.getElementById("work");
    if (!list && !work) { return; }
    // Delegated: live updates replace the buttons.
    document.addEventListener("click", function (event) {
      var target = event.target;
      if (!target || !target.closest) { return; }
      if (target.closest("[data-show-help]")) { toggleHelp(true); }
      else if (target.closest("[data-close-help]")) { toggleHelp(false); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { toggleHelp(false); return; }
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
      if (help() && !help().hidden) { return; }
      var done = list ? listKey(event.key) : detailKey(event.key);
      if (done) { event.preventDefault(); }
    });
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name=mention_ids][type=checkbox]").forEach(function (b) {
          b.checked = all.checked;
        });
      });
    }
    rows().forEach(function (row) {
      row.addEventListener("click", function (event) {
        if (event.target.tagName.toLowerCase() === "td") {
          rows().forEach(function (r) { r.classList.remove("current"); });
          row.classList.add("current");
        }
      });
    });
  }

  // --- saved replies ----------------------------------------------------------------------
  function savedReplies() {
    var select = document.getElementById("saved-reply");
    var text = document.getElementById("reply-text");
    if (!select || !text) { return; }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.dataset.text !== undefined) { text.value = option.dataset.text; }
    });
  }

  // --- live work: swap the parts that changed, keeping what a member typed or picked -------
  function twinOf(el, fresh) {
    var form = el.closest("form");
    var action = form ? form.getAttribute("action") : null;
    return Array.prototype.find.call(fresh.querySelectorAll("[name]"), function (c) {
      var f = c.closest("form");
      return c.name === el.name && c.type === el.type && (f ? f.getAttribute("action") : null) === action;
    }) || null;
  }

  function carryOver(old, fresh) {
    var active = document.activeElement;
    var focus = null;
    old.querySelectorAll("[data-dirty]").forEach(function (el) {
      var twin = twinOf(el, fresh);
      if (!twin) { return; }
      if (el.type === "checkbox" || el.type === "radio") { twin.checked = el.checked; }
      else { twin.value = el.value; }
      twin.dataset.dirty = "1";
    });
    if (active && active !== document.body && old.contains(active) && active.name) {
      focus = {twin: twinOf(active, fresh), start: active.selectionStart, end: active.selectionEnd};
    }
    old.replaceWith(fresh);
    if (focus && focus.twin) {
      focus.twin.focus();
      if (typeof focus.start === "number" && focus.twin.setSelectionRange) {
        try { focus.twin.setSelectionRange(focus.start, focus.end); } catch (e) { /* not text */ }
      }
    }
  }

  function liveWork(work) {
    var id = work.dataset.mentionId;
    var loading = false;
    var again = false;

    document.addEventListener("input", function (event) {
      if (event.target && event.target.dataset) { event.target.dataset.dirty = "1"; }
    });
    document.addEventListener("change", function (event) {
      if (event.target && event.target.dataset) { event.target.dataset.dirty = "1"; }
    });

    function refresh() {
      if (loading) { again = true; return; }
      loading = true;
      again = false;
      fetch("/mentions/" + id + "/work", {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (r) {
          if (r.status === 403 || r.status === 404) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html === null) { return; }
          // Rendered and escaped by the server; a <template> runs nothing while parsing.
          var holder = document.createElement("template");
          holder.innerHTML = html;
          var changed = false;
          holder.content.querySelectorAll("[data-live-part]").forEach(function (fresh) {
            var old = document.getElementById(fresh.id);
            if (!old || old.innerHTML === fresh.innerHTML) { return; }
            carryOver(old, fresh);
            changed = true;
          });
          var note = document.getElementById("work-updated");
          if (note && changed) { note.hidden = false; }
          work.dataset.version = holder.content.firstElementChild ?
            holder.content.firstElementChild.dataset.version || "" : "";
        })
        .catch(function () {})
        .then(function () { loading = false; if (again) { refresh(); } });
    }
    return refresh;
  }

  // --- presence and the mention's stream --------------------------------------------------
  function presence() {
    var work = document.getElementById("work");
    var box = document.getElementById("presence");
    if (!work || !box || !window.fetch) { return; }
    var id = work.dataset.mentionId;
    var text = document.getElementById("reply-text");
    var activity = "viewing";
    var checkin = parseInt(work.dataset.checkinSeconds, 10) || 10;

    function touch() {
      var body = new URLSearchParams({activity: activity});
      fetch("/mentions/" + id + "/presence", {
        method: "POST", body: body, credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf()}
      }).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
        // Rendered and escaped by the server.
        if (html !== null) { box.innerHTML = html; }
      }).catch(function () {});
    }
    function set(next) { if (next !== activity) { activity = next; touch(); } }
    if (text) {
      text.addEventListener("focus", function () { set("replying"); });
      text.addEventListener("blur", function () { set(text.value.trim() ? "replying" : "viewing"); });
    }
    touch();
    window.setInterval(touch, checkin * 1000);
    if (window.EventSource && work.dataset.live) {
      var refresh = liveWork(work);
      var source = new EventSource(work.dataset.live);
      source.addEventListener("presence", function (event) { box.innerHTML = event.data; });
      source.addEventListener("work", function (event) {
        if (event.data === "gone") { source.close(); window.location.reload(); return; }
        refresh();
      });
    }
    window.addEventListener("pagehide", function () {
      fetch("/mentions/" + id + "/leave", {
        method: "POST", keepalive: true, credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf()}
      }).catch(function () {});
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    shortcuts();
    savedReplies();
    presence();
  });
})();
