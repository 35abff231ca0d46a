// The closure review screen: land on the proposal's heading, so keyboard and screen-reader
// users start at the top of each proposal (not when the form came back with errors).
(function () {
  "use strict";
  var h = document.getElementById("proposal-heading");
  if (h && !document.querySelector(".is-invalid")) { h.focus(); }
})();
