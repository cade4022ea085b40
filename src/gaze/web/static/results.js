// Results in place: a tile per queued job, with its progress, replaced by the image when done.
"use strict";

(() => {
  const { el, send, getJSON, toast, on, icon } = window.GAZE;
  const FINISHED = new Set(["done", "failed", "cancelled"]);
  const MAX_TILES = 60; // older finished tiles leave the page (they are in the gallery)

  /** Tiles in `container` for jobs; `options.onChange()` after every change, `options.onDone(job)`. */
  function results(container, options = {}) {
    const tiles = new Map();
    let lastEvent = 0;

    function add(job) {
      const bar = el("i");
      const label = el("span", { text: "Queued" });
      const state = el("div", { class: "tile-state" }, label, el("div", { class: "progress" }, bar));
      const cancel = el("button", {
        type: "button", class: "button ghost small icon-only tile-cancel", title: "Cancel", "aria-label": "Cancel",
        onclick: async () => {
          try { await send(`/queue/${encodeURIComponent(job.id)}/cancel`); } catch (error) { toast(error.message, "error"); }
        },
      }, icon("close"));
      const tile = el("div", { class: "tile pending", dataset: { job: job.id } }, state, cancel);
      container.prepend(tile);
      tiles.set(job.id, { tile, status: "pending", bar, label, cancel });
      container.dataset.added = String(Number(container.dataset.added || 0) + 1);
      prune();
      options.onChange?.();
    }

    function prune() {
      if (tiles.size <= MAX_TILES) return;
      for (const [id, entry] of tiles) {
        if (tiles.size <= MAX_TILES) break;
        if (FINISHED.has(entry.status)) { entry.tile.remove(); tiles.delete(id); }
      }
    }

    function update(job) {
      const entry = tiles.get(job.id);
      if (!entry || FINISHED.has(entry.status)) return;
      entry.status = job.status;
      entry.tile.className = `tile ${job.status}`;
      if (job.status === "pending") {
        entry.label.textContent = job.queue_position ? `Queued · #${job.queue_position}` : "Queued";
      } else if (job.status === "processing") {
        const percent = Math.round((job.progress || 0) * 100);
        entry.label.textContent = `Generating · ${percent}%`;
        entry.bar.style.width = `${percent}%`;
      } else if (job.status === "done") {
        const result = job.result || {};
        const picks = (job.picks || []).map((pick) => pick.name).join(", ");
        const facts = [`Seed ${result.seed}`, picks].filter(Boolean).join(" · ");
        entry.tile.replaceChildren(
          el("img", { src: result.image_url, alt: `Seed ${result.seed}`, dataset: { imageId: job.image_id || "" } }),
          el("div", { class: "tile-facts", text: facts }),
        );
        options.onDone?.(job);
      } else {
        entry.cancel.remove();
        entry.bar.parentElement.remove();
        entry.label.textContent = job.status === "failed" ? job.error || "Failed" : "Cancelled";
        entry.tile.title = job.error || "";
      }
      options.onChange?.();
    }

    on("job", (job) => { if (tiles.has(job.id)) { lastEvent = Date.now(); update(job); } });
    // A safety net when the event stream is not available: ask now and then.
    setInterval(async () => {
      const waiting = [...tiles.entries()].filter(([, entry]) => !FINISHED.has(entry.status)).map(([id]) => id);
      if (!waiting.length || Date.now() - lastEvent < 4000) return;
      try {
        const answer = await getJSON(`/ui/jobs?ids=${waiting.join(",")}`);
        for (const job of answer.jobs) update(job);
      } catch { /* next round */ }
    }, 3000);

    return {
      add,
      update,
      status: (id) => tiles.get(id)?.status,
      counts() {
        const counts = { pending: 0, processing: 0, done: 0, failed: 0, cancelled: 0 };
        for (const entry of tiles.values()) counts[entry.status] += 1;
        return counts;
      },
    };
  }

  function describe(counts) {
    const parts = [];
    if (counts.processing) parts.push(`${counts.processing} running`);
    if (counts.pending) parts.push(`${counts.pending} queued`);
    if (counts.done) parts.push(`${counts.done} done`);
    if (counts.failed) parts.push(`${counts.failed} failed`);
    if (counts.cancelled) parts.push(`${counts.cancelled} cancelled`);
    return parts.join(" · ");
  }

  window.GAZE.results = results;
  window.GAZE.describeCounts = describe;
})();
