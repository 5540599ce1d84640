// Agenda editor: show only the speaker rows in use plus one, and reveal more on demand.
(function () {
  "use strict";
  function isEmpty(row) {
    return Array.prototype.every.call(row.querySelectorAll("input"), function (input) {
      return input.value.trim() === "";
    });
  }
  function setUp(fieldset) {
    var rows = fieldset.querySelectorAll("[data-speaker-row]");
    var button = fieldset.querySelector("[data-add-speaker]");
    var lastUsed = -1;
    rows.forEach(function (row, index) { if (!isEmpty(row)) { lastUsed = index; } });
    rows.forEach(function (row, index) {
      if (index > lastUsed + 1 && !row.querySelector(".is-invalid")) { row.classList.add("d-none"); }
    });
    function refresh() {
      var hidden = fieldset.querySelector("[data-speaker-row].d-none");
      button.classList.toggle("d-none", !hidden);
    }
    button.addEventListener("click", function () {
      var next = fieldset.querySelector("[data-speaker-row].d-none");
      if (next) {
        next.classList.remove("d-none");
        var first = next.querySelector("input");
        if (first) { first.focus(); }
      }
      refresh();
    });
    refresh();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-speaker-rows]").forEach(setUp);
  });
})();
