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
  // Logging out forgets what the check-in desk kept on this device (list, queue, cached page).
  document.addEventListener("submit", function (event) {
    var action = event.target.getAttribute && event.target.getAttribute("action") || "";
    if (!/\/manage\/logout$/.test(action)) { return; }
    try {
      Object.keys(window.localStorage).forEach(function (key) {
        if (key.indexOf("seminar-checkin:") !== 0) { return; }
        var kept = JSON.parse(window.localStorage.getItem(key) || "{}");
        // arrivals not yet sent stay: they are sent at the next login on this device
        if (!(kept.queue && kept.queue.length)) { window.localStorage.removeItem(key); }
      });
    } catch (error) { /* storage unavailable */ }
    if (window.caches) { window.caches.delete("checkin-pages-v1"); }
  });
  // Move focus to the first invalid field after a failed submission.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector(".is-invalid");
    if (invalid) { invalid.focus(); }
  });
})();
