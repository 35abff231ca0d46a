// The audit logging screen (templates/audits/audit_edit.html). htmx does the server work:
// autosave (hx-post on the form, 800 ms after the last change), adding a row (hx-get) and
// removing one (hx-post; the list comes back renumbered). This script does only what needs
// the browser itself:
// - compliance per criterion and overall as answers are chosen, with no round trip (the
//   server works the stored figures out again on submit);
// - the copy on this device (localStorage, one per audit), written at every change: the
//   answers, the draft version they were based on (``base``), an id for this save and whether
//   the server has it. It is what is sent when the connection returns (the "online" event,
//   Background Sync's nudge from the service worker, and retries with backoff), through the
//   same autosave; a copy sent again after a lost answer is recognised by its id. The copy is
//   kept once sent, as the latest the device knows, so a page shown from the device without a
//   connection (static/js/service_worker.js) shows the answers as last sent, not as first opened;
// - the state of this audit's answers, in one live region: "Saved on this device", "Sending…",
//   "Sent" or "Conflict". A conflict (the server's draft changed after the version the device
//   copy was based on) is never settled silently: the auditor keeps one or the other;
// - offline, "Add a record" / "Add an action" build the row from the formset's empty row;
// - the autosave status when htmx gets no answer (offline, signed out, server error);
// - Enter in a grid field does not submit the audit; focus starts on the error summary.
(function () {
  "use strict";

  var form = document.getElementById("audit-form");
  if (!form) { return; }
  var statusEl = document.getElementById("autosave-status");
  var stateEl = document.getElementById("sync-state");
  var baseField = form.querySelector('[name="base_version"]');
  var saveIdField = form.querySelector('[name="save_id"]');
  var keys = (form.dataset.keys || "").split(" ").filter(Boolean);
  var storageKey = form.dataset.storageKey;
  var user = form.dataset.user || "";
  var pageVersion = baseField.value;
  var LISTS = { records: ["records-body", "record-template"], actions: ["arising-rows", "arising-template"] };
  var ADDERS = { "add-record": "records", "add-arising": "actions" };
  var COUNTER = /-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$/;
  var ROW_FIELD = /^(records|actions)-(\d+)-(.+)$/;
  var NOT_ANSWERS = { csrfmiddlewaretoken: 1, base_version: 1, save_id: 1 };
  var STATES = { device: "Saved on this device", sending: "Sending…", sent: "Sent", conflict: "Conflict" };
  var NO_CONNECTION = "Not saved: no connection. Your answers are kept on this device and will be sent when you are back online.";
  var changes = 0;
  var sentAt = -1;
  var copy = null;          // the copy on this device, as stored
  var conflict = null;      // while the auditor chooses: { copy, server } (nothing is sent meanwhile)
  var retryDelay = 2000;
  var retryTimer = null;

  function setStatus(text) { statusEl.textContent = text; }
  function setState(name) {
    stateEl.dataset.state = name;
    stateEl.textContent = STATES[name] || "";
    stateEl.hidden = !name;
  }
  function rows(prefix) { return form.querySelectorAll("#" + LISTS[prefix][0] + " > [data-row]"); }
  function newId() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }
  // Versions are microseconds as digits (Audit.draft_version): comparable as numbers.
  function newer(a, b) { return Number(a) > Number(b); }

  // --- compliance as you answer --------------------------------------------------------------
  function percent(yes, no) { return yes + no ? Math.round(1000 * yes / (yes + no)) / 10 : null; }

  // A number or time answer counts as yes when it meets the criterion's standard (as
  // audits/compliance.py Rule.outcome does; the server's figures are the ones stored).
  function minutes(text) {
    var t = text.trim().toLowerCase(), m;
    if (/^\d+$/.test(t)) { return parseInt(t, 10); }
    m = /^([01]?\d|2[0-3])[:.]([0-5]\d)\s*(?:-|\u2013|to)\s*([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(t);
    if (m) { return ((+m[3] * 60 + +m[4]) - (+m[1] * 60 + +m[2]) + 1440) % 1440; }
    m = /^(\d{1,3}):([0-5]\d)$/.exec(t);
    if (m) { return +m[1] * 60 + +m[2]; }
    m = /^(?:(\d+(?:\.\d+)?)\s*(?:h|hr|hrs|hours?))?\s*(?:(\d+)\s*(?:m|min|mins|minutes?))?$/.exec(t);
    if (m && (m[1] || m[2])) { return Math.round(parseFloat(m[1] || "0") * 60) + parseInt(m[2] || "0", 10); }
    return null;
  }
  function typedOutcome(input) {
    var text = input.value.trim(), d = input.dataset;
    if (!text) { return ""; }
    if (/^(n\/?a|n\.a\.|not applicable)$/i.test(text)) { return "na"; }
    if (d.kind === "time") {
      var mins = minutes(text);
      if (mins === null) { return ""; }
      return d.limit === "" ? "na" : (mins <= Number(d.limit) ? "yes" : "no");
    }
    var n = Number(text.replace(",", "."));
    if (text === "" || isNaN(n)) { return ""; }
    if (!d.passRule || d.passValue === "") { return "na"; }
    return (d.passRule === "at_least" ? n >= Number(d.passValue) : n <= Number(d.passValue)) ? "yes" : "no";
  }

  function recompute() {
    var records = Array.prototype.slice.call(rows("records"));
    var allYes = 0, allNo = 0, blank = 0;
    keys.forEach(function (key) {
      var yes = 0, no = 0;
      records.forEach(function (row) {
        var typed = row.querySelector('input.typed-answer[data-key="' + key + '"]');
        var checked = row.querySelector('input[type=radio][data-key="' + key + '"]:checked');
        var a = typed ? typedOutcome(typed) : (checked ? checked.value : "");
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
      if (!NOT_ANSWERS[name]) { out.push([name, String(value)]); }
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

  function store(next) {
    copy = next;
    try { localStorage.setItem(storageKey, JSON.stringify(next)); } catch (e) { /* storage full or disabled: autosave still runs */ }
  }
  function keepCopy() {
    store({ v: 2, at: new Date().toISOString(), entries: entries(), base: baseField.value, user: user,
            saveId: saveIdField.value, sent: false });
  }
  function dropCopy() { copy = null; try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ } }
  function readCopy() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }

  function changed() {
    changes += 1;
    saveIdField.value = newId();
    keepCopy();
    if (conflict) { return; }
    setState("device");
    setStatus(navigator.onLine ? "Not saved yet…" : NO_CONNECTION);
  }

  form.addEventListener("change", function () { recompute(); changed(); });
  form.addEventListener("input", function (event) {
    if (event.target.type !== "radio") {
      if (event.target.classList.contains("typed-answer")) { recompute(); }
      changed();
    }
  });
  form.addEventListener("submit", function (event) {
    keepCopy();
    if (!navigator.onLine) {  // a page the browser cannot fetch would replace this one
      event.preventDefault();
      setState("device");
      setStatus("Saving a draft or submitting needs a connection. Your answers are kept on this device and " +
        "will be sent when you are back online; submit then.");
    }
  });

  // --- sending, now or when the connection returns -----------------------------------------
  function resend() {
    if (copy && !copy.sent && !conflict) { htmx.trigger(form, "audit-resend"); }
  }
  function retryLater() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; resend(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
    // Background Sync fires when the browser is back online (at once if it thinks it is: a
    // server that does not answer is left to the retries).
    if (navigator.serviceWorker && !navigator.onLine) {
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) { return reg.sync.register("audit-drafts"); }
      }).catch(function () { /* no Background Sync: the online event and the retries still send */ });
    }
  }
  function backOnline() {
    clearTimeout(retryTimer);
    retryTimer = null;
    retryDelay = 2000;
    resend();
  }
  window.addEventListener("online", backOnline);
  window.addEventListener("offline", function () {
    if (copy && !copy.sent && !conflict) { setState("device"); setStatus(NO_CONNECTION); }
  });

  // Signed out: the autosave was redirected (to the sign-in page), not answered.
  function signedOut(xhr) {
    var asked = new URL(form.getAttribute("hx-post"), location.href).pathname;
    return !!xhr.responseURL && new URL(xhr.responseURL).pathname !== asked;
  }

  form.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt === form) {
      if (conflict) { event.preventDefault(); return; }
      if (!navigator.onLine) {
        event.preventDefault();
        setState("device");
        setStatus(NO_CONNECTION);
        retryLater();
        return;
      }
      sentAt = changes;
      setState("sending");
    } else if (ADDERS[elt.id] && !navigator.onLine) {
      event.preventDefault();  // no connection: the row comes from the formset's empty row
      addRows(ADDERS[elt.id], 1);
      var added = rows(ADDERS[elt.id]);
      var first = added[added.length - 1].querySelector("input:not([type=hidden]), textarea, select");
      if (first) { first.focus(); }
      recompute();
      changed();
    }
  });
  // Fired on the swap target (the status line), outside the form.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.requestConfig.elt !== form) { return; }
    var xhr = event.detail.xhr;
    if (signedOut(xhr)) {
      event.detail.shouldSwap = false;
      setStatus("Not saved: you have been signed out. Sign in again in another tab; your answers are kept on this device.");
    } else if (xhr.status === 409 || xhr.status === 422) {
      event.detail.shouldSwap = true;  // "Not saved: …" / "Not sent: …" from the server
      event.detail.isError = false;
    } else if (xhr.status >= 400) {
      setStatus("Not saved (error " + xhr.status + "). Your answers are kept on this device.");
    }
  });
  form.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) { return; }
    var xhr = event.detail.xhr;
    if (!xhr || xhr.status === 0) { return; }  // no answer: htmx:sendError
    var version = xhr.getResponseHeader("Audit-Version");
    if (xhr.status === 200 && !signedOut(xhr)) {
      retryDelay = 2000;
      if (version) { baseField.value = version; }
      if (!copy) { keepCopy(); }
      copy.base = baseField.value;
      // The server left some fields out (a name in a record reference, a bad answer): the
      // device keeps what was typed, as not yet sent, until they are corrected.
      var partial = Number(xhr.getResponseHeader("Audit-Not-Saved") || "0") > 0;
      if (sentAt === changes && !partial) {
        copy.sent = true;
        setState("sent");
      } else if (partial) {
        setState("device");
      }
      store(copy);
    } else if (xhr.status === 409 && xhr.getResponseHeader("Audit-Conflict")) {
      showConflict(copy, version, false);
    } else {
      setState("device");
      if (xhr.status >= 500) { retryLater(); }  // signed out: sent at the next change once signed in
    }
  });
  form.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt === form) {
      setState("device");
      setStatus(NO_CONNECTION);
      retryLater();
    } else {
      setStatus("That needs a connection. Your answers are kept on this device; try again when you are back online.");
    }
  });
  // A row added or removed: the figures and the copy follow (removing also autosaves, as a
  // new save: its id must differ from the last one's).
  form.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.elt !== form) {
      recompute();
      changes += 1;
      saveIdField.value = newId();
      keepCopy();
    }
  });
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "send-drafts") { resend(); }
    });
  }

  // Enter in a grid field must not submit the whole audit by accident.
  form.addEventListener("keydown", function (event) {
    var t = event.target;
    if (event.key === "Enter" && t.tagName === "INPUT" && t.closest("#records-body, #arising-rows")) {
      event.preventDefault();
    }
  });

  // --- putting a copy back on the page, offline too ----------------------------------------
  // Rows are built from the formsets' empty rows (<template>), so no connection is needed.
  function addRows(prefix, count) {
    var list = document.getElementById(LISTS[prefix][0]);
    var total = form.querySelector('[name="' + prefix + '-TOTAL_FORMS"]');
    var empty = document.getElementById(LISTS[prefix][1]).innerHTML;
    var from = parseInt(total.value, 10) || 0;
    var holder = document.createElement(list.tagName === "TBODY" ? "tbody" : "div");
    var html = "";
    for (var i = from; i < Math.min(from + count, 1000); i += 1) { html += empty.split("__prefix__").join(String(i)); }
    holder.innerHTML = html;
    while (holder.firstElementChild) {
      var row = holder.firstElementChild;
      list.appendChild(row);
      htmx.process(row);
    }
    total.value = String(Math.min(from + count, 1000));
    rows(prefix).forEach(function (row, n) {
      row.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = String(n + 1); });
    });
  }

  function fill(saved) {
    var totals = {};
    saved.entries.forEach(function (e) {
      var m = /^(records|actions)-TOTAL_FORMS$/.exec(e[0]);
      if (m) { totals[m[1]] = Math.min(parseInt(e[1], 10) || 0, 1000); }
    });
    Object.keys(LISTS).forEach(function (prefix) {
      document.getElementById(LISTS[prefix][0]).innerHTML = "";
      form.querySelector('[name="' + prefix + '-TOTAL_FORMS"]').value = "0";
      addRows(prefix, totals[prefix] || 0);
    });
    saved.entries.forEach(function (e) {
      if (COUNTER.test(e[0])) { return; }
      form.querySelectorAll('[name="' + CSS.escape(e[0]) + '"]').forEach(function (field) {
        if (field.type === "radio") { field.checked = field.value === e[1]; } else { field.value = e[1]; }
      });
    });
    recompute();
  }

  // The device's copy and the server's draft differ, and each has something the other lacks.
  function showConflict(saved, serverVersion, atLoad) {
    conflict = { copy: saved, server: serverVersion || pageVersion, atLoad: atLoad };
    clearTimeout(retryTimer);
    retryTimer = null;
    setState("conflict");
    var when = new Date(saved && saved.at ? saved.at : Date.now());
    var banner = document.getElementById("restore-banner");
    document.getElementById("restore-text").textContent = "This device holds answers for this audit from " +
      when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) + " that the server does not " +
      "have, and the audit was changed on the server after they were typed (by someone else, or on another " +
      "device). " + (atLoad ? "The page shows the server's version." : "The page shows this device's answers.") +
      " Choose which to keep; the other is discarded.";
    if (atLoad) { setStatus("Conflict: choose which version to keep."); }
    banner.hidden = false;
  }

  document.getElementById("restore-yes").addEventListener("click", function () {
    var chosen = conflict;
    document.getElementById("restore-banner").hidden = true;
    conflict = null;
    if (chosen.copy && normalise(chosen.copy.entries) !== normalise(entries())) { fill(chosen.copy); }
    baseField.value = chosen.server;  // replacing the server's version, knowingly
    changed();
    setStatus("Keeping this device's answers. Sending…");
    htmx.trigger(form, "audit-resend");
    var first = form.querySelector("#records-body input:not([type=hidden])");
    if (first) { first.focus(); }
  });
  document.getElementById("restore-no").addEventListener("click", function () {
    var chosen = conflict;
    document.getElementById("restore-banner").hidden = true;
    conflict = null;
    dropCopy();
    if (!chosen.atLoad) {
      location.reload();  // the page shows this device's answers: fetch the server's
      return;
    }
    setState("");
    setStatus("Discarded the answers on this device; the page shows the server's version.");
    form.querySelector("#records-body input:not([type=hidden])").focus();
  });

  // What this device holds for this audit, against the version the page shows. After htmx has
  // started (it is loaded with defer, and sets up the page on DOMContentLoaded).
  function compareWithTheCopy() {
    var saved = readCopy();
    if (saved && saved.user && saved.user !== user) {
      dropCopy();  // typed under another sign-in: never shown or sent under this one
      saved = null;
    }
    if (saved && saved.entries) {
      var same = normalise(saved.entries) === normalise(entries());
      if (saved.v === 2 && saved.base && !newer(pageVersion, saved.base)) {
        // The page is the version the copy was made from, or an older one kept on this device
        // (opened offline): the copy is simply the latest.
        copy = saved;
        if (!same) { fill(saved); }
        baseField.value = saved.base;
        saveIdField.value = saved.saveId || "";
        if (saved.sent) {
          setState("sent");
        } else {
          setState("device");
          setStatus(navigator.onLine ? "Showing the answers kept on this device. Sending…" : NO_CONNECTION);
          resend();
        }
      } else if (same || saved.sent) {
        dropCopy();  // the server moved on and this device holds nothing it lacks
      } else {
        showConflict(saved, pageVersion, true);
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setTimeout(compareWithTheCopy, 0); });
  } else {
    compareWithTheCopy();
  }

  // --- installable, and usable offline ------------------------------------------------------
  // The worker keeps this page each time it is opened through it. The first visit comes before
  // the worker, so the page keeps itself: the markup as the server sent it (this script runs
  // before anything on the page is changed), with no second request.
  if (navigator.serviceWorker && form.dataset.serviceWorker) {
    var firstVisit = !navigator.serviceWorker.controller && window.caches ?
      "<!doctype html>\n" + document.documentElement.outerHTML : null;
    navigator.serviceWorker.register(form.dataset.serviceWorker, { scope: "/" }).then(function () {
      if (!firstVisit) { return; }
      return caches.open("rg-audit-pages").then(function (cache) {
        return cache.put(location.pathname, new Response(firstVisit, { headers: { "Content-Type": "text/html; charset=utf-8" } }));
      });
    }).catch(function () { /* no worker (blocked, private mode, old browser): the page still works online */ });
  }

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  recompute();
})();
