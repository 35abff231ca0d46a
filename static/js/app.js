// Small, page-independent behaviour. Page-specific scripts live beside their templates.
(function () {
  "use strict";
  // After an htmx swap, move focus to an element that asks for it, so keyboard and
  // screen-reader users land on the new content.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target.querySelector("[data-autofocus]");
    if (target) { target.focus(); }
  });
})();
