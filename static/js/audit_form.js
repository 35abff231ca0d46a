// The audit logging screen (templates/audits/audit_edit.html) and the template editor
// (templates/audits/template_form.html). No framework: plain DOM plus htmx for new rows.
//
// Logging screen:
// - compliance per criterion and overall as you answer (Yes / (Yes + No); N/A left out).
//   The server works the stored figures out again on submit; these are for the person typing.
// - autosave: 800 ms after the last change the whole form is posted to the autosave URL,
//   which answers "Saved 10:42" (or why it was not saved).
// - an unsent copy is kept in localStorage on every change and removed once the server has
//   it; if one is found on load that differs from the page, the person may restore it.
// - rows: "Add a record" fetches a row with htmx; Remove buttons drop rows here.
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function newToken() {
    return "n" + Math.random().toString(16).slice(2, 10);
  }

  // ----- Logging screen -------------------------------------------------------------------
  var form = document.getElementById("audit-form");
  if (form) { initAuditForm(form); }

  function initAuditForm(form) {
    var body = document.getElementById("records-body");
    var statusEl = document.getElementById("autosave-status");
    var overallEl = document.getElementById("overall-compliance");
    var countsEl = document.getElementById("answer-counts");
    var keys = (form.dataset.keys || "").split(" ").filter(Boolean);
    var storageKey = form.dataset.storageKey;
    var timer = null;
    var inFlight = false;
    var again = false;
    var changeCount = 0;

    function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr.record-row")); }

    function answerOf(row, key) {
      var checked = row.querySelector('input[type=radio][data-key="' + key + '"]:checked');
      return checked ? checked.value : "";
    }

    function percent(yes, no) {
      return yes + no ? Math.round(1000 * yes / (yes + no)) / 10 : null;
    }

    function recompute() {
      var allYes = 0, allNo = 0, blank = 0;
      var rs = rows();
      keys.forEach(function (key) {
        var yes = 0, no = 0;
        rs.forEach(function (row) {
          var a = answerOf(row, key);
          if (a === "yes") { yes += 1; } else if (a === "no") { no += 1; } else if (a !== "na") { blank += 1; }
        });
        allYes += yes; allNo += no;
        var out = form.querySelector('[data-compliance-for="' + key + '"]');
        var p = percent(yes, no);
        if (out) { out.textContent = p === null ? "—" : p + "% (" + yes + " of " + (yes + no) + ")"; }
      });
      var overall = percent(allYes, allNo);
      overallEl.textContent = overall === null ? "—" : overall + "% (" + allYes + " of " + (allYes + allNo) + " answers)";
      countsEl.textContent = rs.length + (rs.length === 1 ? " record" : " records") + " · " + blank + " answers still to give";
    }

    function renumber() {
      rows().forEach(function (row, i) {
        row.querySelectorAll("[data-row-number]").forEach(function (el) { el.textContent = String(i + 1); });
      });
    }

    function setStatus(text) { statusEl.textContent = text; }

    // --- the unsent copy --------------------------------------------------------------------
    function entries() {
      var out = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken" && name !== "save") { out.push([name, String(value)]); }
      });
      return out;
    }

    // Content without row tokens, to compare a copy with what the page shows.
    function normalise(list) {
      var byName = {};
      list.forEach(function (e) { (byName[e[0]] = byName[e[0]] || []).push(e[1]); });
      function fieldsOf(prefix) {
        return list.filter(function (e) { return e[0].indexOf(prefix) === 0; })
          .map(function (e) { return [e[0].slice(prefix.length), e[1]]; })
          .filter(function (e) { return e[1] !== ""; })
          .sort();
      }
      var recs = (byName.row || []).map(function (t) { return fieldsOf("r-" + t + "-"); })
        .filter(function (f) { return f.length; });
      var acts = (byName.act || []).map(function (t) { return fieldsOf("a-" + t + "-"); })
        .filter(function (f) { return f.length; });
      return JSON.stringify([recs, acts, (byName.findings || [""])[0].trim(), (byName.impact_check_date || [""])[0]]);
    }

    function keepCopy() {
      try {
        localStorage.setItem(storageKey, JSON.stringify({ at: new Date().toISOString(), entries: entries() }));
      } catch (e) { /* storage full or disabled: autosave still runs */ }
    }

    function dropCopy() {
      try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
    }

    function readCopy() {
      try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
    }

    // --- autosave ---------------------------------------------------------------------------
    function changed() {
      changeCount += 1;
      keepCopy();
      setStatus("Not saved yet…");
      clearTimeout(timer);
      timer = setTimeout(send, 800);
    }

    function send() {
      if (inFlight) { again = true; return; }
      inFlight = true;
      var sentAt = changeCount;
      fetch(form.dataset.autosaveUrl, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": csrfToken(form), "X-Requested-With": "fetch" },
        credentials: "same-origin"
      }).then(function (resp) {
        if (resp.redirected) {
          setStatus("Not saved: you have been signed out. Sign in again in another tab; your answers are kept on this device.");
          return;
        }
        return resp.text().then(function (text) {
          if (resp.ok) {
            setStatus(text);
            if (sentAt === changeCount) { dropCopy(); }
          } else if (resp.status === 422 || resp.status === 409) {
            setStatus(text);
          } else {
            setStatus("Not saved (error " + resp.status + "). Your answers are kept on this device.");
          }
        });
      }).catch(function () {
        setStatus("Not saved: no connection. Your answers are kept on this device and will be sent when you are back online.");
      }).then(function () {
        inFlight = false;
        if (again) { again = false; send(); }
      });
    }

    window.addEventListener("online", function () { if (readCopy()) { send(); } });

    form.addEventListener("change", function () { recompute(); changed(); });
    form.addEventListener("input", function (event) {
      if (event.target.type !== "radio") { changed(); }
    });
    form.addEventListener("submit", function () { clearTimeout(timer); keepCopy(); });

    // Enter in a grid field must not submit the whole audit by accident.
    form.addEventListener("keydown", function (event) {
      var t = event.target;
      if (event.key === "Enter" && t.tagName === "INPUT" && t.closest("#records-body, #arising-list")) {
        event.preventDefault();
      }
    });

    // --- rows -------------------------------------------------------------------------------
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (!button) { return; }
      var row = button.closest("tr.record-row, .arising-row");
      var isRecord = row.matches("tr");
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      renumber();
      recompute();
      changed();
      var focusTarget = next ? next.querySelector("input:not([type=hidden]), textarea") :
        document.getElementById(isRecord ? "add-record" : "add-arising");
      if (focusTarget) { focusTarget.focus(); }
      setStatus(isRecord ? "Row removed. Not saved yet…" : "Action removed. Not saved yet…");
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== body) { return; }
      renumber();
      recompute();
      var all = rows();
      var last = all[all.length - 1];
      if (last) { last.querySelector(".ref-input").focus(); }
      changed();
    });

    var arisingList = document.getElementById("arising-list");
    var arisingTemplate = document.getElementById("arising-template");

    function addArising(token) {
      var html = arisingTemplate.innerHTML.split("__tok__").join(token);
      arisingList.insertAdjacentHTML("beforeend", html);
      return arisingList.lastElementChild;
    }

    document.getElementById("add-arising").addEventListener("click", function () {
      var row = addArising(newToken());
      row.querySelector("textarea").focus();
      changed();
    });

    // --- restoring an unsent copy -----------------------------------------------------------
    function fetchRow(token) {
      var url = form.dataset.rowUrl + "?token=" + encodeURIComponent(token);
      return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (r) {
        if (!r.ok) { throw new Error("row " + r.status); }
        return r.text();
      });
    }

    function restore(copy) {
      var list = copy.entries;
      var rowTokens = list.filter(function (e) { return e[0] === "row"; }).map(function (e) { return e[1]; });
      var actTokens = list.filter(function (e) { return e[0] === "act"; }).map(function (e) { return e[1]; });
      return Promise.all(rowTokens.map(fetchRow)).then(function (htmls) {
        body.innerHTML = htmls.join("");
        arisingList.innerHTML = "";
        actTokens.forEach(addArising);
        list.forEach(function (e) {
          var name = e[0], value = e[1];
          if (name === "row" || name === "act") { return; }
          var fields = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
          fields.forEach(function (field) {
            if (field.type === "radio") { field.checked = field.value === value; } else { field.value = value; }
          });
        });
        renumber();
        recompute();
        changed();
        setStatus("Restored the copy from this device. Saving…");
      });
    }

    var copy = readCopy();
    if (copy && copy.entries) {
      if (normalise(copy.entries) === normalise(entries())) {
        dropCopy();
      } else {
        var banner = document.getElementById("restore-banner");
        var when = new Date(copy.at);
        document.getElementById("restore-text").textContent =
          "This device holds answers for this audit from " + when.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" }) +
          " that the server does not have (the connection may have dropped).";
        banner.hidden = false;
        document.getElementById("restore-yes").addEventListener("click", function () {
          banner.hidden = true;
          restore(copy).catch(function () { setStatus("Could not restore: no connection. Try again when you are back online."); banner.hidden = false; });
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
  }

  // ----- Template editor: criteria list ---------------------------------------------------
  var editor = document.getElementById("criteria-editor");
  if (editor) { initCriteriaEditor(editor); }

  function initCriteriaEditor(editor) {
    var list = editor.querySelector("#criteria-list");
    var template = document.getElementById("criterion-template");
    var live = document.getElementById("criteria-status");

    function items() { return Array.prototype.slice.call(list.querySelectorAll(".criterion-row")); }

    function renumber() {
      items().forEach(function (item, i) {
        item.querySelectorAll("[data-criterion-number]").forEach(function (el) { el.textContent = String(i + 1); });
      });
    }

    editor.addEventListener("click", function (event) {
      var button = event.target.closest("[data-criterion-action]");
      if (!button) { return; }
      var action = button.dataset.criterionAction;
      if (action === "add") {
        list.insertAdjacentHTML("beforeend", template.innerHTML.split("__tok__").join(newToken()));
        renumber();
        list.lastElementChild.querySelector("input[type=text]").focus();
        live.textContent = "Criterion " + items().length + " added.";
        return;
      }
      var item = button.closest(".criterion-row");
      if (action === "remove") {
        var next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        renumber();
        live.textContent = "Criterion removed.";
        var focusTarget = next ? next.querySelector("input[type=text]") : editor.querySelector('[data-criterion-action="add"]');
        if (focusTarget) { focusTarget.focus(); }
      } else if (action === "up" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
        renumber();
        button.focus();
        live.textContent = "Moved up to position " + (items().indexOf(item) + 1) + ".";
      } else if (action === "down" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
        renumber();
        button.focus();
        live.textContent = "Moved down to position " + (items().indexOf(item) + 1) + ".";
      }
    });
  }
})();
