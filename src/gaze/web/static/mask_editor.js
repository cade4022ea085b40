// The inpainting mask editor: paint over an image where it should be redrawn, then queue the
// inpainting. Mouse, touch and pen alike through Pointer Events (pressure is ignored). The mask
// is exported at the image's own size as a black/white PNG (white = repaint), uploaded, and
// the job is queued with the image as init image and the upload as mask.
"use strict";

(() => {
  const { el, icon, send, sendFile, toast } = window.GAZE;
  const PAINT_COLOUR = "#ffffff";
  const DEFAULT_DENOISE = 0.75;

  /** Open the editor over `image` ({id, url, width, height}); `onQueued(answer)` after queueing. */
  function open(image, onQueued = () => {}) {
    const returnFocus = document.activeElement;
    const largest = Math.max(image.width, image.height);
    const strokes = []; // finished strokes: {mode, size, points: [[x, y], ...]}
    let mode = "paint";
    let active = null; // the stroke being drawn, with its pointer id

    const canvas = el("canvas", { class: "mask-canvas", width: image.width, height: image.height, "aria-label": "Mask: paint where the image should change" });
    const ctx = canvas.getContext("2d");
    const picture = el("img", { src: image.url, alt: "", class: "mask-picture", draggable: "false" });
    const ring = el("div", { class: "mask-ring", hidden: true });
    const frame = el("div", { class: "mask-frame" }, picture, canvas, ring);

    const sizeInput = el("input", { type: "range", min: "1", max: String(Math.max(8, Math.round(largest / 4))), value: String(Math.max(4, Math.round(largest / 20))), "aria-label": "Brush size", "data-mask-size": true });
    const sizeLabel = el("output", { class: "muted small", "aria-hidden": "true" });
    const paintButton = el("button", { type: "button", class: "button small on", "aria-pressed": "true", title: "Paint (P)", "data-mask-mode": "paint" }, icon("brush"), "Paint");
    const eraseButton = el("button", { type: "button", class: "button small", "aria-pressed": "false", title: "Erase (E)", "data-mask-mode": "erase" }, icon("eraser"), "Erase");
    const undoButton = el("button", { type: "button", class: "button small", title: "Undo (Ctrl+Z)", "aria-label": "Undo (Ctrl+Z)", disabled: true, "data-mask-undo": true }, icon("undo"), "Undo");
    const clearButton = el("button", { type: "button", class: "button small ghost", disabled: true, "data-mask-clear": true }, "Clear");
    const denoiseInput = el("input", { type: "range", min: "0.05", max: "1", step: "0.05", value: String(DEFAULT_DENOISE), "aria-label": "Denoise", "data-mask-denoise": true });
    const denoiseLabel = el("output", { class: "muted small", "aria-hidden": "true" });
    const cancelButton = el("button", { type: "button", class: "button", "data-mask-cancel": true }, "Cancel");
    const goButton = el("button", { type: "button", class: "button primary", "data-mask-go": true }, icon("brush"), "Inpaint");
    const status = el("span", { class: "muted small", role: "status" });

    const stage = el("div", { class: "mask-stage" }, frame);
    /** The frame as large as the stage allows, at the image's aspect ratio. */
    function fit() {
      const room = stage.getBoundingClientRect();
      const padding = 32;
      const scale = Math.min((room.width - padding) / image.width, (room.height - padding) / image.height);
      frame.style.width = `${Math.max(1, Math.floor(image.width * scale))}px`;
      frame.style.height = `${Math.max(1, Math.floor(image.height * scale))}px`;
    }
    const dialog = el("div", { class: "mask-editor", role: "dialog", "aria-modal": "true", "aria-label": "Inpaint: paint the mask", "data-mask-editor": true },
      el("div", { class: "mask-tools" },
        el("h2", { text: "Inpaint" }),
        el("div", { class: "button-row", role: "group", "aria-label": "Brush" }, paintButton, eraseButton),
        el("label", { class: "mask-slider" }, el("span", { text: "Brush" }), sizeInput, sizeLabel),
        el("div", { class: "button-row" }, undoButton, clearButton),
        el("label", { class: "mask-slider" }, el("span", { text: "Denoise" }), denoiseInput, denoiseLabel),
        el("span", { class: "spacer" }),
        status,
        el("div", { class: "button-row" }, cancelButton, goButton)),
      stage,
      el("p", { class: "mask-hint muted small", text: "Paint where the image should change (white in the mask). P paint · E erase · [ ] brush size · Ctrl+Z undo · Esc close" }));

    // ---- drawing -----------------------------------------------------------------------------
    function applyStyle(stroke) {
      ctx.globalCompositeOperation = stroke.mode === "erase" ? "destination-out" : "source-over";
      ctx.strokeStyle = ctx.fillStyle = PAINT_COLOUR;
      ctx.lineWidth = stroke.size;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
    }
    function dot(stroke, [x, y]) {
      applyStyle(stroke);
      ctx.beginPath();
      ctx.arc(x, y, stroke.size / 2, 0, Math.PI * 2);
      ctx.fill();
    }
    function segment(stroke, [x0, y0], [x1, y1]) {
      applyStyle(stroke);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
    }
    function replay(stroke) {
      if (stroke.mode === "clear") { ctx.clearRect(0, 0, canvas.width, canvas.height); return; }
      dot(stroke, stroke.points[0]);
      for (let index = 1; index < stroke.points.length; index++) segment(stroke, stroke.points[index - 1], stroke.points[index]);
    }
    function redraw() {
      ctx.globalCompositeOperation = "source-over";
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      for (const stroke of strokes) replay(stroke);
    }
    function refreshButtons() {
      undoButton.disabled = strokes.length === 0;
      clearButton.disabled = strokes.length === 0 || strokes[strokes.length - 1].mode === "clear";
    }

    /** The pointer's position in image pixels. */
    function imagePoint(event) {
      const box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
    }
    function showRing(event) {
      const box = canvas.getBoundingClientRect();
      const frameBox = frame.getBoundingClientRect();
      const diameter = Number(sizeInput.value) * (box.width / canvas.width);
      Object.assign(ring.style, { width: `${diameter}px`, height: `${diameter}px`, left: `${event.clientX - frameBox.left}px`, top: `${event.clientY - frameBox.top}px` });
      ring.hidden = false;
    }

    canvas.addEventListener("pointerdown", (event) => {
      if (active || (event.pointerType === "mouse" && event.button !== 0)) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      active = { pointer: event.pointerId, stroke: { mode, size: Number(sizeInput.value), points: [imagePoint(event)] } };
      dot(active.stroke, active.stroke.points[0]);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (event.pointerType !== "touch") showRing(event);
      if (!active || event.pointerId !== active.pointer) return;
      const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      for (const move of moves.length ? moves : [event]) {
        const point = imagePoint(move);
        const points = active.stroke.points;
        segment(active.stroke, points[points.length - 1], point);
        points.push(point);
      }
    });
    function finish(event) {
      if (!active || event.pointerId !== active.pointer) return;
      strokes.push(active.stroke);
      active = null;
      refreshButtons();
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    canvas.addEventListener("pointerleave", () => { ring.hidden = true; });
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());

    // ---- tools -------------------------------------------------------------------------------
    function setMode(next) {
      mode = next;
      for (const button of [paintButton, eraseButton]) {
        const on = button.dataset.maskMode === next;
        button.classList.toggle("on", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
      }
    }
    function undo() {
      if (active || !strokes.length) return;
      strokes.pop();
      redraw();
      refreshButtons();
    }
    function showValues() {
      sizeLabel.textContent = `${sizeInput.value} px`;
      denoiseLabel.textContent = Number(denoiseInput.value).toFixed(2);
    }
    function nudgeSize(factor) {
      const next = Math.round(Number(sizeInput.value) * factor) + (factor > 1 ? 1 : -1);
      sizeInput.value = String(Math.min(Number(sizeInput.max), Math.max(1, next)));
      showValues();
    }
    paintButton.addEventListener("click", () => setMode("paint"));
    eraseButton.addEventListener("click", () => setMode("erase"));
    undoButton.addEventListener("click", undo);
    clearButton.addEventListener("click", () => { strokes.push({ mode: "clear" }); redraw(); refreshButtons(); });
    sizeInput.addEventListener("input", showValues);
    denoiseInput.addEventListener("input", showValues);
    cancelButton.addEventListener("click", close);
    goButton.addEventListener("click", submit);

    function keepFocusInside(event) {
      const focusable = [...dialog.querySelectorAll("button:not(:disabled), input")];
      const first = focusable[0], last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
      else if (!dialog.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
    }
    function onKey(event) {
      event.stopPropagation(); // the page underneath (the lightbox) does not see keys meanwhile
      if (event.key === "Tab") { keepFocusInside(event); return; }
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z" && !event.shiftKey) {
        event.preventDefault();
        undo();
        return;
      }
      if (event.key === "Escape") { event.preventDefault(); close(); return; }
      if (event.ctrlKey || event.metaKey || event.altKey || event.target.matches("input:not([type=range]), textarea, select")) return;
      const key = event.key.toLowerCase();
      if (key === "p") setMode("paint");
      else if (key === "e") setMode("erase");
      else if (key === "[") nudgeSize(1 / 1.25);
      else if (key === "]") nudgeSize(1.25);
    }
    document.addEventListener("keydown", onKey, true);

    // ---- the mask out --------------------------------------------------------------------------
    /** The mask as a black/white PNG of the image's size; null when nothing is painted. */
    function maskBlob() {
      const painted = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const out = new ImageData(canvas.width, canvas.height);
      let any = false;
      for (let index = 0; index < painted.data.length; index += 4) {
        const value = painted.data[index + 3] >= 128 ? 255 : 0;
        any ||= value === 255;
        out.data[index] = out.data[index + 1] = out.data[index + 2] = value;
        out.data[index + 3] = 255;
      }
      if (!any) return Promise.resolve(null);
      const flat = el("canvas", { width: canvas.width, height: canvas.height });
      flat.getContext("2d").putImageData(out, 0, 0);
      return new Promise((resolve) => flat.toBlob(resolve, "image/png"));
    }

    async function submit() {
      goButton.disabled = true;
      try {
        const blob = await maskBlob();
        if (!blob) { status.textContent = "Paint the area to redraw first."; return; }
        status.textContent = "Uploading the mask…";
        const upload = await sendFile("/ui/uploads", blob, "mask.png");
        status.textContent = "Queueing…";
        const answer = await send(`/gallery/${image.id}/inpaint`, { mask: upload.relative_path, denoise: Number(denoiseInput.value) });
        close();
        onQueued(answer);
      } catch (error) {
        status.textContent = "";
        toast(error.message, "error");
      } finally {
        goButton.disabled = false;
      }
    }

    function close() {
      document.removeEventListener("keydown", onKey, true);
      window.removeEventListener("resize", fit);
      dialog.remove();
      document.body.style.overflow = document.querySelector("[data-lightbox]:not([hidden])") ? "hidden" : "";
      returnFocus?.focus?.({ preventScroll: true });
    }

    document.body.append(dialog);
    document.body.style.overflow = "hidden";
    fit();
    window.addEventListener("resize", fit);
    showValues();
    paintButton.focus({ preventScroll: true });
    return { close, dialog };
  }

  window.GAZE.maskEditor = { open };

  // The image page (no lightbox): its Inpaint button needs this script, so it shows with it.
  for (const button of document.querySelectorAll("[data-inpaint-image]")) {
    button.hidden = false;
    button.addEventListener("click", () => {
      const { inpaintImage, url, width, height } = button.dataset;
      open({ id: inpaintImage, url, width: Number(width), height: Number(height) }, (answer) => toast(answer.message));
    });
  }
})();
