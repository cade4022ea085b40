// The lightbox: any [data-image-id] inside a [data-lightbox-group] opens it. Arrow keys browse.
"use strict";

(() => {
  const box = document.querySelector("[data-lightbox]");
  if (!box) return;
  const { el, send, getJSON, toast } = window.GAZE;
  const image = box.querySelector("[data-lb-image]");
  const part = (name) => box.querySelector(`[data-lb-${name}]`);
  let group = null;
  let current = null; // the element opened
  let detail = null; // the image's JSON
  let returnFocus = null;
  let loading = false;

  const members = () => (group ? [...group.querySelectorAll("[data-image-id]")].filter((node) => node.dataset.imageId) : []);

  function open(trigger) {
    group = trigger.closest("[data-lightbox-group]");
    returnFocus = document.activeElement;
    box.hidden = false;
    document.body.style.overflow = "hidden";
    show(trigger);
    box.querySelector('[data-lb="close"]').focus({ preventScroll: true });
  }
  function close() {
    box.hidden = true;
    document.body.style.overflow = "";
    returnFocus?.focus?.({ preventScroll: true });
  }

  function thumbUrl(node) {
    // the picture the card already shows (its srcset thumbnail) while the full image loads
    const picture = node.tagName === "IMG" ? node : node.querySelector("img");
    return picture?.currentSrc || picture?.src;
  }

  async function show(node) {
    current = node;
    const list = members();
    const index = list.indexOf(node);
    part("counter").textContent = list.length > 1 ? `${index + 1} / ${list.length}` : "";
    box.querySelector('[data-lb="prev"]').disabled = index <= 0;
    box.querySelector('[data-lb="next"]').disabled = index >= list.length - 1 && !moreLink();
    image.src = thumbUrl(node) || "";
    loading = true;
    setActionsEnabled(false); // until this image's details are here
    const id = node.dataset.imageId;
    try {
      detail = await getJSON(`/ui/images/${id}`);
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    if (current !== node) return;
    render(detail);
  }

  const ACTIONS = ["reproduce", "vary", "cover", "favourite", "nsfw", "delete", "upscale", "vary-subtle", "vary-strong", "inpaint"];
  function setActionsEnabled(enabled) {
    for (const action of ACTIONS) box.querySelector(`[data-lb="${action}"]`).disabled = !enabled;
  }

  function fact(term, value) {
    return [el("dt", { text: term }), el("dd", { text: value })];
  }
  function render(info) {
    image.src = info.url;
    image.alt = `Seed ${info.seed}`;
    const title = part("title");
    title.replaceChildren(info.preset?.slug
      ? el("a", { href: `/presets/${encodeURIComponent(info.preset.slug)}`, text: info.preset.name || info.preset.slug })
      : document.createTextNode(info.preset?.name || "Image"));
    part("when").textContent = `${info.created_label} · ${info.width}×${info.height}`;
    part("prompt").textContent = info.prompt || "—";
    part("negative").textContent = info.negative || "—";
    part("loras").replaceChildren(...info.loras.map((lora) =>
      el("span", { class: "chip lora", title: `clip ${lora.clip_weight}` }, `${lora.name} `, el("b", { text: String(lora.model_weight) }))));
    const parameters = info.parameters;
    const sampling = [parameters.steps && `${parameters.steps} steps`, parameters.cfg !== undefined && `CFG scale ${parameters.cfg}`,
      parameters.sampler, parameters.scheduler].filter(Boolean).join(" · ");
    part("facts").replaceChildren(
      ...fact("Seed", info.seed),
      ...fact("Checkpoint", info.checkpoint || "—"),
      ...fact("Sampling", sampling || "—"),
      ...(parameters.clip_skip ? fact("CLIP skip", String(parameters.clip_skip)) : []),
      ...(parameters.vae ? fact("VAE", parameters.vae) : []),
      ...fact("Backend", info.backend || "—"),
      ...fact("File", info.file_name),
    );
    part("picks").replaceChildren(...info.picks.map((pick) =>
      el("a", { class: "chip tag", href: `/library/${pick.category}/${encodeURIComponent(pick.id)}`, text: pick.name || pick.id })));
    const download = part("download");
    download.href = info.url;
    download.setAttribute("download", info.file_name);
    setToggle("favourite", info.is_favourite);
    setToggle("nsfw", info.is_nsfw);
    loading = false;
    for (const action of ACTIONS) box.querySelector(`[data-lb="${action}"]`).disabled = !available(action, info);
  }
  /** Whether an action can act on this image: some need its preset, some its job. */
  function available(action, info) {
    if (action === "vary") return Boolean(info.preset?.slug);
    if (action === "cover") return Boolean(info.preset?.slug || box.dataset.coverCategory);
    if (["upscale", "vary-subtle", "vary-strong", "inpaint"].includes(action)) return Boolean(info.job_id);
    return true;
  }
  function setToggle(name, on) {
    const button = box.querySelector(`[data-lb="${name}"]`);
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function moreLink() {
    return group?.parentElement?.querySelector("a[data-load-more]");
  }
  async function step(delta) {
    const list = members();
    const index = list.indexOf(current);
    const next = list[index + delta];
    if (next) { show(next); return; }
    if (delta > 0 && moreLink()) {
      moreLink().click();
      document.addEventListener("gaze:more", () => {
        const again = members();
        const after = again[again.indexOf(current) + 1];
        if (after) show(after);
      }, { once: true });
    }
  }

  function syncThumb(info) {
    if (!current) return;
    current.dataset.fav = info.is_favourite ? "1" : "0";
    current.dataset.nsfw = info.is_nsfw ? "1" : "0";
    const flags = current.querySelector(".card-flags");
    if (flags) {
      flags.replaceChildren(
        ...(info.is_nsfw ? [el("span", { class: "flag nsfw", text: "18+" })] : []),
        ...(info.is_favourite ? [el("span", { class: "flag fav" }, window.GAZE.icon("heart"))] : []),
      );
    }
  }

  const actions = {
    close,
    prev: () => step(-1),
    next: () => step(1),
    async favourite() {
      const answer = await send(`/gallery/${detail.id}/flags`, { favourite: !detail.is_favourite });
      detail.is_favourite = answer.is_favourite;
      setToggle("favourite", answer.is_favourite);
      syncThumb(detail);
    },
    async nsfw() {
      const answer = await send(`/gallery/${detail.id}/flags`, { nsfw: !detail.is_nsfw });
      detail.is_nsfw = answer.is_nsfw;
      setToggle("nsfw", answer.is_nsfw);
      syncThumb(detail);
    },
    async reproduce() { queued(await send(`/gallery/${detail.id}/reproduce`)); },
    async vary() { queued(await send(`/gallery/${detail.id}/vary`)); },
    async upscale() {
      const scale = Number(box.querySelector("[data-lb-scale]").value);
      queued(await send(`/gallery/${detail.id}/upscale`, { scale }));
    },
    "vary-subtle": () => varyImage("vary-subtle"),
    "vary-strong": () => varyImage("vary-strong"),
    inpaint() {
      const image = { id: detail.id, url: detail.url, width: detail.width, height: detail.height };
      window.GAZE.maskEditor.open(image, queued);
    },
    async cover() {
      const target = box.dataset.coverCategory
        ? { category: box.dataset.coverCategory, resource_id: box.dataset.coverId }
        : {};
      const answer = await send(`/gallery/${detail.id}/cover`, target);
      toast(answer.message);
    },
    async delete() {
      if (!window.confirm("Delete this image? The file is removed too.")) return;
      await send(`/gallery/${detail.id}/delete`);
      const list = members();
      const index = list.indexOf(current);
      const gone = current.closest(".tile") || current;
      const next = list[index + 1] || list[index - 1];
      gone.remove();
      toast("Image deleted.");
      if (next) show(next); else close();
    },
  };
  async function varyImage(action) {
    const denoise = Number(box.querySelector(`[data-lb="${action}"]`).dataset.denoise);
    queued(await send(`/gallery/${detail.id}/vary`, { denoise }));
  }
  function queued(answer) {
    toast(answer.message);
    document.dispatchEvent(new CustomEvent("gaze:queued", { detail: answer }));
  }

  box.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-lb]");
    if (button && actions[button.dataset.lb]) {
      button.disabled = true;
      try { await actions[button.dataset.lb](); } catch (error) { toast(error.message, "error"); }
      finally {
        const action = button.dataset.lb;
        if (button.isConnected && ACTIONS.includes(action) && detail && !loading && !box.hidden) {
          button.disabled = !available(action, detail);
        }
      }
      return;
    }
    if (event.target === box || event.target.classList.contains("lightbox-stage")) close();
  });
  document.addEventListener("keydown", (event) => {
    if (box.hidden || event.target.matches("input, textarea, select")) return;
    if (event.key === "Escape") close();
    else if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "ArrowRight") step(1);
  });
  document.addEventListener("click", (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    const trigger = event.target.closest("[data-lightbox-group] [data-image-id]");
    if (!trigger || !trigger.dataset.imageId) return;
    event.preventDefault();
    open(trigger);
  });
})();
