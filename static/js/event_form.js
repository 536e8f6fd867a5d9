/* Event form: add and remove repeatable rows in place, and show only the time and
   recurrence fields that apply. Without this script the same buttons submit the form,
   and the server adds or removes the row (nothing is saved until "保存"). */
(function () {
  "use strict";

  var form = document.getElementById("event-form");
  if (!form) {
    return;
  }

  // A row's pickers start with their hidden id input, which cannot take the focus.
  var FOCUSABLE = "select, input:not([type=hidden]), textarea";

  function numberRows(list) {
    var numbers = list.querySelectorAll("[data-row-number]");
    for (var i = 0; i < numbers.length; i++) {
      numbers[i].textContent = String(i + 1);
    }
  }

  function addRow(name) {
    var list = document.getElementById("rows-" + name);
    var template = document.getElementById("row-template-" + name);
    var index = Number(list.getAttribute("data-next-index")) || 0;
    list.setAttribute("data-next-index", String(index + 1));
    list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__index__/g, String(index)));
    numberRows(list);
    if (window.setUpPickers) {
      window.setUpPickers(list.lastElementChild);
    }
    var first = list.lastElementChild.querySelector(FOCUSABLE);
    if (first) {
      first.focus();
    }
  }

  function removeRow(button) {
    var row = button.closest("[data-row]");
    var list = row.parentNode;
    var next = row.nextElementSibling || row.previousElementSibling;
    row.parentNode.removeChild(row);
    numberRows(list);
    var focusTarget = next && next.querySelector(FOCUSABLE);
    (focusTarget || list.parentNode.querySelector("[data-add-row]")).focus();
  }

  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    if (add) {
      event.preventDefault();
      addRow(add.getAttribute("data-add-row"));
      return;
    }
    var remove = event.target.closest("[data-remove-row]");
    if (remove) {
      event.preventDefault();
      removeRow(remove);
    }
  });

  var allDay = form.querySelector("#all_day");
  var repeat = form.querySelector("#repeat");

  function showWhen(selector, visible) {
    var parts = form.querySelectorAll(selector);
    for (var i = 0; i < parts.length; i++) {
      parts[i].hidden = !visible;
    }
  }

  function updateVisibility() {
    showWhen(".time-field", !(allDay && allDay.checked));
    var frequency = repeat ? repeat.value : "";
    showWhen(".repeat-part", frequency !== "");
    showWhen(".repeat-weekly", frequency === "WEEKLY");
    showWhen(".repeat-monthly", frequency === "MONTHLY");
  }

  if (allDay) {
    allDay.addEventListener("change", updateVisibility);
  }
  if (repeat) {
    repeat.addEventListener("change", updateVisibility);
  }
  updateVisibility();
  var lists = form.querySelectorAll(".rows");
  for (var i = 0; i < lists.length; i++) {
    numberRows(lists[i]);
  }
})();
