// seminar_app: small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Send the CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
  });
  // Ask before destructive actions: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  // Move focus to the first invalid field after a failed submission.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector(".is-invalid");
    if (invalid) { invalid.focus(); }
  });
})();
