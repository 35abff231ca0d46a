// The audit logging screen (templates/audits/audit_edit.html). htmx does the server work:
// autosave (hx-post on the form, 800 ms after the last change), adding a row (hx-get) and
// removing one (hx-post; the list comes back renumbered). This script does only what needs
// the browser itself:
// - compliance per criterion and overall as answers are chosen, with no round trip (the
//   server works the stored figures out again on submit);
// - a copy of the form on this device (localStorage) at every change, dropped once the server
//   has saved it, and offered back on the next visit; the rows are rebuilt from the formsets'
//   empty rows (<template>), so restoring needs no connection;
// - the autosave status when htmx gets no answer (offline, signed out, server error);
// - Enter in a grid field does not submit the audit; focus starts on the error summary.
(function () {
  "use strict";

  var form = document.getElementById("audit-form");
  if (!form) { return; }
  var statusEl = document.getElementById("autosave-status");
  var keys = (form.dataset.keys || "").split(" ").filter(Boolean);
  var storageKey = form.dataset.storageKey;
  var LISTS = { records: ["records-body", "record-template"], actions: ["arising-rows", "arising-template"] };
  var COUNTER = /-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;
  var ROW_FIELD = /^(records|actions)-(\d+)-(.+)$/;
  var changes = 0;
  var sentAt = -1;

  function setStatus(text) { statusEl.textContent = text; }
  function rows(prefix) { return form.querySelectorAll("#" + LISTS[prefix][0] + " > [data-row]"); }

  // --- compliance as you answer --------------------------------------------------------------
  function percent(yes, no) { return yes + no ? Math.round(1000 * yes / (yes + no)) / 10 : null; }

  function recompute() {
    var records = Array.prototype.slice.call(rows("records"));
    var allYes = 0, allNo = 0, blank = 0;
    keys.forEach(function (key) {
      var yes = 0, no = 0;
      records.forEach(function (row) {
        var checked = row.querySelector('input[type=radio][data-key="' + key + '"]:checked');
        var a = checked ? checked.value : "";
        if (a === "yes") { yes += 1; } else if (a === "no") { no += 1; } else if (a !== "na") { blank += 1; }
      });
      allYes += yes; allNo += no;
      var out = form.querySelector('[data-compliance-for="' + key + '"]');
      var p = percent(yes, no);
      if (out) { out.textContent = p === null ? "—" : p + "% (" + yes + " of " + (yes + no) + ")"; }
    });
    var overall = percent(allYes, allNo);
    document.getElementById("overall-compliance").textContent =
      overall === null ? "—" : overall + "% (" + allYes + " of " + (allYes + allNo) + " answers)";
    document.getElementById("answer-counts").textContent = records.length +
      (records.length === 1 ? " record" : " records") + " · " + blank + " answers still to give";
  }

  // --- the copy on this device ---------------------------------------------------------------
  function entries() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") { out.push([name, String(value)]); }
    });
    return out;
  }

  // What a list of entries says, row by row, leaving out empty rows, blanks and counters.
  function normalise(list) {
    var byRow = { records: {}, actions: {} }, rest = [];
    list.forEach(function (e) {
      var m = ROW_FIELD.exec(e[0]);
      if (e[1] === "" || COUNTER.test(e[0])) { return; }
      if (m) { (byRow[m[1]][m[2]] = byRow[m[1]][m[2]] || []).push([m[3], e[1]]); } else { rest.push(e); }
    });
    function ordered(rowsByIndex) {
      return Object.keys(rowsByIndex).sort(function (a, b) { return a - b; })
        .map(function (i) { return rowsByIndex[i].sort(); });
    }
    return JSON.stringify([ordered(byRow.records), ordered(byRow.actions), rest.sort()]);
  }

  function keepCopy() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ at: new Date().toISOString(), entries: entries() }));
    } catch (e) { /* storage full or disabled: autosave still runs */ }
  }
  function dropCopy() { try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ } }
  function readCopy() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }

  function changed() {
    changes += 1;
    keepCopy();
    setStatus("Not saved yet…");
  }

  form.addEventListener("change", function () { recompute(); changed(); });
  form.addEventListener("input", function (event) { if (event.target.type !== "radio") { changed(); } });
  form.addEventListener("submit", keepCopy);

  // --- what htmx cannot report ---------------------------------------------------------------
  // Signed out: the autosave was redirected (to the sign-in page), not answered.
  function signedOut(xhr) {
    var asked = new URL(form.getAttribute("hx-post"), location.href).pathname;
    return !!xhr.responseURL && new URL(xhr.responseURL).pathname !== asked;
  }

  form.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt === form) { sentAt = changes; }
  });
  // Fired on the swap target (the status line), outside the form.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.requestConfig.elt !== form) { return; }
    var xhr = event.detail.xhr;
    if (signedOut(xhr)) {
      event.detail.shouldSwap = false;
      setStatus("Not saved: you have been signed out. Sign in again in another tab; your answers are kept on this device.");
    } else if (xhr.status === 409 || xhr.status === 422) {
      event.detail.shouldSwap = true;  // "Not saved: …" from the server
      event.detail.isError = false;
    } else if (xhr.status >= 400) {
      setStatus("Not saved (error " + xhr.status + "). Your answers are kept on this device.");
    }
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.elt === form && xhr.status === 200 && !signedOut(xhr) && sentAt === changes) { dropCopy(); }
  });
  form.addEventListener("htmx:sendError", function (event) {
    setStatus(event.detail.elt === form ?
      "Not saved: no connection. Your answers are kept on this device and will be sent when you are back online." :
      "That needs a connection. Your answers are kept on this device; try again when you are back online.");
  });
  // A row added or removed: the figures and the copy follow (removing also autosaves).
  form.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt !== form) { recompute(); keepCopy(); }
  });
  window.addEventListener("online", function () { if (readCopy()) { htmx.trigger(form, "audit-resend"); } });

  // Enter in a grid field must not submit the whole audit by accident.
  form.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.key === "Enter" && t.tagName === "INPUT" && t.closest("#records-body, #arising-rows")) {
      event.preventDefault();
    }
  });

  // --- restoring the copy, offline too ------------------------------------------------------
  function restore(copy) {
    var totals = {};
    copy.entries.forEach(function (e) {
      var m = /^(records|actions)-TOTAL_FORMS$/.exec(e[0]);
      if (m) { totals[m[1]] = Math.min(parseInt(e[1], 10) || 0, 1000); }
    });
    Object.keys(LISTS).forEach(function (prefix) {
      var list = document.getElementById(LISTS[prefix][0]);
      var empty = document.getElementById(LISTS[prefix][1]).innerHTML;
      var html = "";
      for (var i = 0; i < (totals[prefix] || 0); i += 1) { html += empty.split("__prefix__").join(String(i)); }
      list.innerHTML = html;
      form.querySelector('[name="' + prefix + '-TOTAL_FORMS"]').value = String(totals[prefix] || 0);
      rows(prefix).forEach(function (row, n) {
        row.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = String(n + 1); });
      });
      htmx.process(list);
    });
    copy.entries.forEach(function (e) {
      if (COUNTER.test(e[0])) { return; }
      form.querySelectorAll('[name="' + CSS.escape(e[0]) + '"]').forEach(function (field) {
        if (field.type === "radio") { field.checked = field.value === e[1]; } else { field.value = e[1]; }
      });
    });
    recompute();
    changed();
    setStatus("Restored the copy from this device. Saving…");
    htmx.trigger(form, "audit-resend");
  }

  var copy = readCopy();
  if (copy && copy.entries) {
    if (normalise(copy.entries) === normalise(entries())) {
      dropCopy();
    } else {
      var banner = document.getElementById("restore-banner");
      var when = new Date(copy.at);
      document.getElementById("restore-text").textContent = "This device holds answers for this audit from " +
        when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) +
        " that the server does not have (the connection may have dropped).";
      banner.hidden = false;
      document.getElementById("restore-yes").addEventListener("click", function () {
        banner.hidden = true;
        restore(copy);
        var first = form.querySelector("#records-body input:not([type=hidden])");
        if (first) { first.focus(); }
      });
      document.getElementById("restore-no").addEventListener("click", function () {
        banner.hidden = true;
        dropCopy();
        setStatus("Discarded the copy on this device.");
      });
    }
  }

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  recompute();
})();
