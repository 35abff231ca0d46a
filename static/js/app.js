// Small, page-independent behaviour. Page-specific scripts live beside their templates.
(function () {
  "use strict";
  // After an htmx swap, move focus to an element that asks for it, so keyboard and
  // screen-reader users land on the new content.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target.querySelector("[data-autofocus]");
    if (target) { target.focus(); }
  });

  // A lazily loaded panel whose request failed (templates/includes/lazy_panel.html) shows its
  // message and the link to the part on a page of its own, instead of a skeleton for ever.
  function lazyFailed(event) {
    var panel = event.detail && event.detail.elt;
    if (!panel || !panel.classList || !panel.classList.contains("lazy-panel")) { return; }
    panel.classList.add("lazy-panel-failed");
    panel.removeAttribute("aria-busy");
    var failed = panel.querySelector(".lazy-failed");
    if (failed) { failed.hidden = false; }
  }
  document.body.addEventListener("htmx:responseError", lazyFailed);
  document.body.addEventListener("htmx:sendError", lazyFailed);

  // What this device keeps for the offline audit pages (static/js/audit_form.js: a copy of each
  // audit's answers; static/js/service_worker.js: the pages) goes with the session at sign-out.
  // Answers the server does not have yet are named first, and the person may stay signed in.
  var DEVICE_COPY = /^audit-draft-\d+$/;
  var PAGES_CACHE = "rg-audit-pages";

  function deviceCopies() {
    var found = [];
    try {
      for (var i = 0; i < localStorage.length; i += 1) {
        if (DEVICE_COPY.test(localStorage.key(i))) { found.push(localStorage.key(i)); }
      }
    } catch (e) { /* storage disabled: nothing kept */ }
    return found;
  }
  function unsent(key) {
    try { var copy = JSON.parse(localStorage.getItem(key) || "null"); return !!copy && !copy.sent; } catch (e) { return false; }
  }

  document.querySelectorAll("form[data-sign-out]").forEach(function (signOut) {
    signOut.addEventListener("submit", function (event) {
      event.preventDefault();
      var copies = deviceCopies();
      var waiting = copies.filter(unsent).length;
      if (waiting && !window.confirm("Answers for " + waiting + (waiting === 1 ? " audit have" : " audits have") +
          " not reached the server yet and are kept only on this device. Signing out deletes them. Sign out anyway?")) {
        return;
      }
      copies.forEach(function (key) { localStorage.removeItem(key); });
      var forgotten = window.caches ? caches.delete(PAGES_CACHE).catch(function () { return false; }) : Promise.resolve();
      forgotten.then(function () { signOut.submit(); });
    });
  });

  // A page that says an audit is no longer a draft: its copy on this device has no use.
  document.querySelectorAll("[data-forget-device-copy]").forEach(function (el) {
    try { localStorage.removeItem(el.dataset.forgetDeviceCopy); } catch (e) { /* ignore */ }
  });
})();
