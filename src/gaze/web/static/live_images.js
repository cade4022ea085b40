// Images appear as they finish, without a reload: a preset page's "Recent images" and the
// gallery (newest first, the current filters kept: the server renders the newest page).
"use strict";

(() => {
  const { el, on } = window.GAZE;

  /** "Seed 42 · Aria Vale (casual), Night Market" for a finished job. */
  function facts(job) {
    const seed = job.result?.seed;
    const picks = (job.picks || []).map((pick) => pick.name).join(", ");
    return [seed === undefined || seed === null ? "" : `Seed ${seed}`, picks].filter(Boolean).join(" · ");
  }

  // ---- a preset page's recent images ------------------------------------------------------
  const recent = document.querySelector("[data-recent-images]");
  if (recent) {
    const grid = recent.querySelector("[data-recent-grid]");
    const limit = Number(recent.dataset.limit || 18);
    on("job", (job) => {
      if (job.status !== "done" || job.preset !== recent.dataset.preset || !job.result?.image_url) return;
      if (job.image_id && grid.querySelector(`[data-image-tile="${job.image_id}"]`)) return;
      const tile = el("div", { class: "tile done", dataset: { imageTile: String(job.image_id || ""), job: job.id } },
        el("img", { src: job.result.image_url, alt: `Seed ${job.result.seed}`, dataset: { imageId: String(job.image_id || "") } }),
        el("div", { class: "tile-facts", text: facts(job) }));
      grid.prepend(tile);
      recent.querySelector("[data-recent-empty]")?.remove();
      while (grid.children.length > limit) grid.lastElementChild.remove();
    });
  }

  // ---- the gallery --------------------------------------------------------------------------
  const gallery = document.querySelector("[data-live-gallery]");
  const paged = new URLSearchParams(location.search).has("before");
  if (gallery && !paged) {
    let timer = null;
    const shownIds = () => [...gallery.querySelectorAll("[data-image-id]")].map((node) => Number(node.dataset.imageId));
    async function refresh() {
      const url = new URL(location.href);
      url.searchParams.set("fragment", "1");
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = await response.text(); // server-rendered, escaped by Jinja
      const newest = Math.max(0, ...shownIds());
      const fresh = [...template.content.querySelectorAll(".thumb[data-image-id]")]
        .filter((thumb) => Number(thumb.dataset.imageId) > newest);
      if (!fresh.length) return;
      gallery.prepend(...fresh);
      gallery.hidden = false;
      document.querySelector("[data-gallery-empty]")?.remove();
    }
    on("job", (job) => {
      if (job.status !== "done") return;
      clearTimeout(timer);
      timer = setTimeout(() => { refresh().catch(() => { /* the next image tries again */ }); }, 300);
    });
  }
})();
