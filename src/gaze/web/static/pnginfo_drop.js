// PNG info from anywhere: dropping an image file on a page (not on a file input or a drop zone
// of its own, such as the generate panel's init image or a cover upload) posts it to /pnginfo,
// which shows the generation parameters it carries.
(() => {
  const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];
  const OWN_DROP_ZONES = "input[type=file], [data-drop-zone], [data-init-image], .cover-edit";

  const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
  const handledElsewhere = (event) =>
    event.defaultPrevented || (event.target instanceof Element && event.target.closest(OWN_DROP_ZONES));

  function postImage(file) {
    const token = document.querySelector('meta[name="csrf-token"]')?.content || "";
    const form = document.createElement("form");
    form.method = "post";
    form.action = "/pnginfo";
    form.enctype = "multipart/form-data";
    form.hidden = true;
    const csrf = Object.assign(document.createElement("input"), { type: "hidden", name: "csrf_token", value: token });
    const input = Object.assign(document.createElement("input"), { type: "file", name: "file" });
    const files = new DataTransfer();
    files.items.add(file);
    input.files = files.files;
    form.append(csrf, input);
    document.body.append(form);
    form.submit();
  }

  document.addEventListener("dragover", (event) => {
    if (!carriesFiles(event) || handledElsewhere(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("drop", (event) => {
    if (!carriesFiles(event) || handledElsewhere(event)) return;
    const file = [...event.dataTransfer.files].find((each) => IMAGE_TYPES.includes(each.type));
    if (!file) return;
    event.preventDefault();
    postImage(file);
  });
  // On the PNG info page, choosing a file reads it at once.
  const chooser = document.querySelector("[data-pnginfo-file]");
  chooser?.addEventListener("change", () => { if (chooser.files.length) chooser.form.requestSubmit(); });
})();
