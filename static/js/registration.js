// Registration form: show the passport fields only when a visa letter is asked for, and the
// "other form of address" field only for "other". Without JavaScript everything stays visible.
(function () {
  "use strict";
  function toggle(control, target, isOn) {
    if (!control || !target) { return; }
    var update = function () { target.hidden = !isOn(control); };
    control.addEventListener("change", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    toggle(document.getElementById("needs_visa_letter"),
           document.querySelector("[data-visa-details]"),
           function (box) {
             // the passport fields are required exactly when a visa letter is asked for
             document.querySelectorAll("[data-required-when]").forEach(function (field) {
               field.setAttribute("aria-required", box.checked ? "true" : "false");
             });
             return box.checked;
           });
    toggle(document.getElementById("honorific"),
           document.querySelector("[data-honorific-other]"),
           function (select) { return select.value === "other"; });
  });
})();
