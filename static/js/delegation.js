// Delegation form: "Add a member" clones the empty row kept in <template id="member-row-template">
// (its fields named members-__INDEX__-...). Without JavaScript the "More rows" link reloads the
// page with more empty rows instead.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-add-member]");
    var rows = document.querySelector("[data-member-rows]");
    var template = document.getElementById("member-row-template");
    if (!button || !rows || !template) { return; }
    var max = parseInt(rows.getAttribute("data-max-rows"), 10) || 20;
    var more = document.querySelector("[data-more-rows]");
    if (more) { more.hidden = true; }
    function nextIndex() {
      var highest = -1;
      rows.querySelectorAll("[name^='members-']").forEach(function (field) {
        var index = parseInt(field.name.split("-")[1], 10);
        if (index > highest) { highest = index; }
      });
      return highest + 1;
    }
    function update() {
      button.hidden = rows.querySelectorAll("[data-member-row]").length >= max;
    }
    button.addEventListener("click", function () {
      var count = rows.querySelectorAll("[data-member-row]").length;
      if (count >= max) { return; }
      var html = template.innerHTML.split("__INDEX__").join(String(nextIndex()))
        .split("__NUMBER__").join(String(count + 1));
      rows.insertAdjacentHTML("beforeend", html);
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input, select");
      if (first) { first.focus(); }
      update();
    });
    update();
  });
})();
