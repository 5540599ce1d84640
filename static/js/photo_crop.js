// Photo upload: show the chosen image with a 35:45 frame (passport proportions) that the
// uploader moves and resizes around the face; the frame is written, in the image's own pixels,
// into the hidden inputs crop_x, crop_y, crop_width and crop_height. Mouse, touch and keyboard
// (arrow keys move, Shift for larger steps, + and - resize). Our own code: no inline script, no
// eval; the preview is a data: URL (the Content-Security-Policy allows data: images). Without
// JavaScript the inputs stay empty and the server uses the centred frame.
(function () {
  "use strict";

  var RATIO = 45 / 35;          // height / width
  var MIN_WIDTH = 35;           // smallest frame, in image pixels
  var PREVIEW_MAX_WIDTH = 320;  // CSS pixels

  function setup(form) {
    var input = form.querySelector("input[type=file][name=photo]");
    var area = form.querySelector("[data-photo-crop]");
    if (!input || !area || !window.FileReader) { return; }
    var fields = {};
    ["x", "y", "width", "height"].forEach(function (key) {
      fields[key] = form.querySelector("[data-crop=" + key + "]");
    });
    var state = null;   // {x, y, w} in image pixels; height is w * RATIO
    var img = null;
    var box = null;

    function clearFields() {
      Object.keys(fields).forEach(function (key) { if (fields[key]) { fields[key].value = ""; } });
    }

    function clamp() {
      var natW = img.naturalWidth, natH = img.naturalHeight;
      var maxW = Math.min(natW, natH / RATIO);
      state.w = Math.max(Math.min(state.w, maxW), Math.min(MIN_WIDTH, maxW));
      var h = state.w * RATIO;
      state.x = Math.min(Math.max(state.x, 0), natW - state.w);
      state.y = Math.min(Math.max(state.y, 0), natH - h);
    }

    function render() {
      if (!state || !img.naturalWidth) { return; }
      clamp();
      var scale = img.clientWidth / img.naturalWidth;
      box.style.left = (state.x * scale) + "px";
      box.style.top = (state.y * scale) + "px";
      box.style.width = (state.w * scale) + "px";
      box.style.height = (state.w * RATIO * scale) + "px";
      fields.x.value = String(Math.round(state.x));
      fields.y.value = String(Math.round(state.y));
      fields.width.value = String(Math.round(state.w));
      fields.height.value = String(Math.round(state.w * RATIO));
    }

    function centred() {
      var natW = img.naturalWidth, natH = img.naturalHeight;
      var w = Math.min(natW, natH / RATIO);
      state = { x: (natW - w) / 2, y: (natH - w * RATIO) / 2, w: w };
      render();
    }

    function resizeAroundCentre(factor) {
      var cx = state.x + state.w / 2, cy = state.y + state.w * RATIO / 2;
      state.w = state.w * factor;
      clamp();
      state.x = cx - state.w / 2;
      state.y = cy - state.w * RATIO / 2;
      render();
    }

    function onKey(event) {
      var step = (event.shiftKey ? 0.1 : 0.01) * img.naturalWidth;
      var moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      if (moves[event.key]) {
        state.x += moves[event.key][0] * step;
        state.y += moves[event.key][1] * step;
        render();
      } else if (event.key === "+" || event.key === "=") {
        resizeAroundCentre(1.05);
      } else if (event.key === "-" || event.key === "_") {
        resizeAroundCentre(1 / 1.05);
      } else {
        return;
      }
      event.preventDefault();
    }

    function drag(event, resizing) {
      event.preventDefault();
      event.stopPropagation();
      box.focus();
      var scale = img.clientWidth / img.naturalWidth;
      var start = { px: event.clientX, py: event.clientY, x: state.x, y: state.y, w: state.w };
      var target = event.currentTarget;
      if (target.setPointerCapture) { target.setPointerCapture(event.pointerId); }
      function move(moveEvent) {
        var dx = (moveEvent.clientX - start.px) / scale;
        var dy = (moveEvent.clientY - start.py) / scale;
        if (resizing) {
          state.x = start.x;
          state.y = start.y;
          state.w = start.w + Math.max(dx, dy / RATIO);
          var natW = img.naturalWidth, natH = img.naturalHeight;
          state.w = Math.min(state.w, natW - start.x, (natH - start.y) / RATIO);
        } else {
          state.x = start.x + dx;
          state.y = start.y + dy;
        }
        render();
      }
      function up() {
        target.removeEventListener("pointermove", move);
        target.removeEventListener("pointerup", up);
        target.removeEventListener("pointercancel", up);
      }
      target.addEventListener("pointermove", move);
      target.addEventListener("pointerup", up);
      target.addEventListener("pointercancel", up);
    }

    function build(url) {
      area.replaceChildren();
      var stage = document.createElement("div");
      stage.style.position = "relative";
      stage.style.display = "inline-block";
      stage.style.maxWidth = "100%";
      stage.style.lineHeight = "0";
      img = document.createElement("img");
      img.alt = "";
      img.style.maxWidth = "min(100%, " + PREVIEW_MAX_WIDTH + "px)";
      img.style.maxHeight = "60vh";
      img.style.display = "block";
      box = document.createElement("div");
      box.tabIndex = 0;
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", area.getAttribute("data-msg-box") || "");
      box.setAttribute("data-crop-box", "");
      box.style.position = "absolute";
      box.style.border = "2px solid #fff";
      box.style.outline = "2px solid #1f4e99";
      box.style.boxShadow = "0 0 0 9999px rgba(0, 0, 0, 0.45)";
      box.style.cursor = "move";
      box.style.touchAction = "none";
      var handle = document.createElement("div");
      handle.setAttribute("data-crop-handle", "");
      handle.style.position = "absolute";
      handle.style.right = "-9px";
      handle.style.bottom = "-9px";
      handle.style.width = "18px";
      handle.style.height = "18px";
      handle.style.background = "#1f4e99";
      handle.style.border = "2px solid #fff";
      handle.style.borderRadius = "50%";
      handle.style.cursor = "nwse-resize";
      handle.style.touchAction = "none";
      box.appendChild(handle);
      stage.appendChild(img);
      stage.appendChild(box);
      stage.style.overflow = "hidden";
      area.appendChild(stage);
      img.addEventListener("load", function () { area.hidden = false; centred(); });
      img.addEventListener("error", function () {
        clearFields();
        state = null;
        var note = document.createElement("p");
        note.className = "small text-body-secondary mb-0";
        note.textContent = area.getAttribute("data-msg-unreadable") || "";
        area.replaceChildren(note);
        area.hidden = false;
      });
      box.addEventListener("pointerdown", function (event) { drag(event, false); });
      handle.addEventListener("pointerdown", function (event) { drag(event, true); });
      box.addEventListener("keydown", onKey);
      img.src = url;
    }

    input.addEventListener("change", function () {
      clearFields();
      state = null;
      area.replaceChildren();
      area.hidden = true;
      var file = input.files && input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.addEventListener("load", function () {
        var url = String(reader.result || "");
        if (url.indexOf("data:image/") === 0) { build(url); }
      });
      reader.readAsDataURL(file);
    });
    window.addEventListener("resize", render);
  }

  function init() {
    document.querySelectorAll("form[data-photo-form]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
