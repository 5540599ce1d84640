// Check-in desk: scan badge QR codes with the camera and hand each code to the code form.
// The browser's BarcodeDetector is used when it reads QR codes (Chromium on Android), else the
// vendored jsQR decoder, loaded only when needed. Without a camera (or JavaScript) the page
// still works: the code form and the name search post normally.
(function () {
  "use strict";

  var SCAN_INTERVAL_MS = 200;
  var SAME_CODE_PAUSE_MS = 8000;  // a badge held in view is not re-sent at once
  var RESULT_PAUSE_MS = 1500;
  var MAX_FRAME_WIDTH = 640;
  var SWAPPED_STATUSES = [400, 404, 409, 422];

  function init() {
    var desk = document.getElementById("checkin-desk");
    if (!desk) { return; }
    var codeForm = document.getElementById("code-form");
    var codeInput = codeForm ? codeForm.querySelector("input[name=code]") : null;
    var outcome = document.getElementById("checkin-outcome");
    var scanner = makeScanner(desk, function (code) {
      if (!codeForm || !codeInput) { return; }
      codeInput.value = code;
      if (navigator.vibrate) { navigator.vibrate(80); }
      submitForm(codeForm);
    });

    // Refusals (unknown code, not confirmed, bad input) are answers to show, not errors.
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      var xhr = event.detail.xhr;
      var loggedOut = xhr && xhr.responseURL && xhr.responseURL.indexOf("/manage/login") !== -1;
      var wholePage = xhr && xhr.status === 400 && /<html/i.test(xhr.responseText || "");
      if (loggedOut || wholePage) {
        // the session ended, or the page's CSRF token expired: load the page afresh
        event.detail.shouldSwap = false;
        window.location.reload();
        return;
      }
      if (event.detail.target === outcome && SWAPPED_STATUSES.indexOf(xhr.status) !== -1) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== outcome) { return; }
      if (codeInput) { codeInput.value = ""; }
      outcome.scrollIntoView({ block: "nearest" });
      if (!scanner.running()) { outcome.focus({ preventScroll: true }); }
      scanner.pause(RESULT_PAUSE_MS);
    });
  }

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  }

  // --- the camera scanner ---------------------------------------------------------------------

  function makeScanner(desk, onCode) {
    var startButton = desk.querySelector("[data-scan-start]");
    var stopButton = desk.querySelector("[data-scan-stop]");
    var video = desk.querySelector("[data-scan-video]");
    var statusLine = desk.querySelector("[data-scan-status]");
    var state = { stream: null, decode: null, timer: null, pausedUntil: 0, lastCode: "", lastAt: 0 };

    function say(key) {
      if (statusLine) { statusLine.textContent = desk.getAttribute("data-msg-" + key) || ""; }
    }

    var api = {
      running: function () { return state.stream !== null; },
      pause: function (ms) { state.pausedUntil = Date.now() + ms; }
    };
    if (!startButton || !video) { return api; }
    if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      say("unavailable");
      return api;
    }
    if (statusLine) { statusLine.textContent = ""; }
    startButton.hidden = false;

    function stop() {
      window.clearTimeout(state.timer);
      if (state.stream) { state.stream.getTracks().forEach(function (track) { track.stop(); }); }
      state.stream = null;
      video.srcObject = null;
      video.hidden = true;
      stopButton.hidden = true;
      startButton.hidden = false;
    }

    function tick() {
      if (!state.stream) { return; }
      if (Date.now() < state.pausedUntil || video.readyState < 2) {
        state.timer = window.setTimeout(tick, SCAN_INTERVAL_MS);
        return;
      }
      state.decode(video).then(function (code) {
        var now = Date.now();
        if (code && (code !== state.lastCode || now - state.lastAt > SAME_CODE_PAUSE_MS)) {
          state.lastCode = code;
          state.lastAt = now;
          api.pause(RESULT_PAUSE_MS);
          say("sending");
          onCode(code);
        }
      }).catch(function () { /* an unreadable frame: try the next one */ }).then(function () {
        if (state.stream) { state.timer = window.setTimeout(tick, SCAN_INTERVAL_MS); }
      });
    }

    function start() {
      startButton.hidden = true;
      say("starting");
      chooseDecoder(desk).then(function (decode) {
        state.decode = decode;
        return navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" } }, audio: false
        });
      }).then(function (stream) {
        state.stream = stream;
        video.srcObject = stream;
        video.hidden = false;
        stopButton.hidden = false;
        return video.play();
      }).then(function () {
        say("scanning");
        tick();
      }).catch(function (error) {
        stop();
        var name = error && error.name;
        if (name === "NotAllowedError" || name === "SecurityError") { say("denied"); }
        else if (name === "NotFoundError" || name === "OverconstrainedError") { say("no-camera"); }
        else if (name === "DecoderError") { say("no-decoder"); }
        else { say("no-camera"); }
      });
    }

    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", function () { stop(); say("scanning"); });
    document.addEventListener("visibilitychange", function () {
      if (document.hidden && state.stream) { stop(); }  // free the camera when the tab is left
    });
    return api;
  }

  // --- decoders: a function video -> Promise<string|null> -------------------------------------

  function chooseDecoder(desk) {
    if ("BarcodeDetector" in window && typeof window.BarcodeDetector.getSupportedFormats === "function") {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") === -1) { return jsqrDecoder(desk); }
        var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return function (video) {
          return detector.detect(video).then(function (codes) {
            return codes.length ? codes[0].rawValue : null;
          });
        };
      }, function () { return jsqrDecoder(desk); });
    }
    return jsqrDecoder(desk);
  }

  function loadJsqr(desk) {
    return new Promise(function (resolve, reject) {
      if (typeof window.jsQR === "function") { resolve(window.jsQR); return; }
      var script = document.createElement("script");
      script.src = desk.getAttribute("data-jsqr-src");
      script.onload = function () {
        if (typeof window.jsQR === "function") { resolve(window.jsQR); } else { reject(decoderError()); }
      };
      script.onerror = function () { reject(decoderError()); };
      document.head.appendChild(script);
    });
  }

  function decoderError() {
    var error = new Error("QR decoder unavailable");
    error.name = "DecoderError";
    return error;
  }

  function jsqrDecoder(desk) {
    return loadJsqr(desk).then(function (jsQR) {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (video) {
        var scale = Math.min(1, MAX_FRAME_WIDTH / (video.videoWidth || MAX_FRAME_WIDTH));
        canvas.width = Math.max(1, Math.round(video.videoWidth * scale));
        canvas.height = Math.max(1, Math.round(video.videoHeight * scale));
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var image = context.getImageData(0, 0, canvas.width, canvas.height);
        var found = jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(found ? found.data : null);
      };
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
