// The generate panel's init image: drop an image file on the panel (or choose one) and it is
// uploaded and used as the init image (img2img), with a preview, a denoise slider and a remove
// button. A gallery image dragged from the page is used as it is, without an upload.
"use strict";

(() => {
  window.GAZE.initImage = { values: () => ({}) };
  const form = document.querySelector("form[data-generate]");
  const box = form?.querySelector("[data-init]");
  if (!box) return;
  const { sendFile, toast } = window.GAZE;
  const part = (name) => box.querySelector(`[data-init-${name}]`);
  const drop = part("drop");
  const fileInput = part("file");
  const shown = part("image");
  const preview = part("preview");
  const facts = part("facts");
  const denoise = part("denoise");
  const denoiseValue = part("denoise-value");
  const resize = part("resize");
  const mediaPrefix = `${form.dataset.mediaPrefix}/`;
  const ACCEPTED = ["image/png", "image/jpeg", "image/webp"];
  let current = null; // {relative_path, width, height}
  let objectUrl = null;
  box.hidden = false;

  function show(image, previewUrl) {
    current = image;
    if (objectUrl && objectUrl !== previewUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = previewUrl.startsWith("blob:") ? previewUrl : null;
    preview.src = previewUrl;
    facts.textContent = `${image.width}×${image.height} · ${image.relative_path}`;
    shown.hidden = false;
    drop.hidden = true;
    denoise.focus({ preventScroll: true });
  }
  function clear() {
    current = null;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = null;
    preview.removeAttribute("src");
    shown.hidden = true;
    drop.hidden = false;
    fileInput.value = "";
    part("choose").focus({ preventScroll: true });
  }

  async function useFile(file) {
    if (!ACCEPTED.includes(file.type)) {
      toast("Use a PNG, JPEG or WebP image as the init image.", "error");
      return;
    }
    drop.setAttribute("aria-busy", "true");
    try {
      const answer = await sendFile("/ui/uploads", file, file.name || "image.png");
      show(answer, URL.createObjectURL(file));
    } catch (error) {
      toast(error.message, "error");
    } finally {
      drop.removeAttribute("aria-busy");
    }
  }
  /** A gallery image dragged from the page: its path under the media folder, no upload. */
  function useMediaUrl(address) {
    const url = new URL(address, window.location.href);
    if (url.origin !== window.location.origin || !url.pathname.startsWith(mediaPrefix)) return false;
    const relative = decodeURIComponent(url.pathname.slice(mediaPrefix.length));
    const probe = new Image();
    probe.addEventListener("load", () => show({ relative_path: relative, width: probe.naturalWidth, height: probe.naturalHeight }, url.href));
    probe.addEventListener("error", () => toast("That image could not be read.", "error"));
    probe.src = url.href;
    return true;
  }

  const carriesImage = (event) => [...(event.dataTransfer?.types || [])].some((type) => type === "Files" || type === "text/uri-list");
  form.addEventListener("dragover", (event) => {
    if (!carriesImage(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", (event) => {
    if (!form.contains(event.relatedTarget)) form.classList.remove("dragging");
  });
  form.addEventListener("drop", (event) => {
    if (!carriesImage(event)) return;
    event.preventDefault();
    form.classList.remove("dragging");
    const file = event.dataTransfer.files?.[0];
    if (file) { useFile(file); return; }
    const address = event.dataTransfer.getData("text/uri-list").split("\n").find((line) => line && !line.startsWith("#"));
    if (!address || !useMediaUrl(address.trim())) toast("Drop an image file, or an image of this gallery.", "error");
  });
  part("choose").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => { if (fileInput.files.length) useFile(fileInput.files[0]); });
  part("remove").addEventListener("click", clear);
  const showDenoise = () => { denoiseValue.textContent = Number(denoise.value).toFixed(2); };
  denoise.addEventListener("input", showDenoise);
  showDenoise();

  window.GAZE.initImage = {
    values() {
      if (!current) return {};
      const values = { init_image: current.relative_path, denoise: Number(denoise.value) };
      if (resize.value) values.resize = resize.value;
      return values;
    },
  };
})();
