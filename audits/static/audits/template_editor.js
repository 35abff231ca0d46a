// The audit template editor (templates/audits/template_form.html): add, remove and reorder
// criteria without losing what was typed. The rows are posted as ordered tokens ("crit").
(function () {
  "use strict";

  function newToken() {
    return "n" + Math.random().toString(16).slice(2, 10);
  }

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
