// The queue page: progress in place from job events; the lists are re-rendered when jobs
// start, finish or arrive.
"use strict";

(() => {
  const { on, send, toast } = window.GAZE;
  let refreshTimer = null;
  let refreshing = false;

  async function refresh() {
    if (refreshing) { schedule(); return; }
    refreshing = true;
    try {
      const response = await fetch("/queue?fragment=1", { credentials: "same-origin" });
      if (!response.ok) return;
      const template = document.createElement("template");
      template.innerHTML = await response.text(); // server-rendered, escaped by Jinja
      const fresh = template.content.querySelector("[data-queue-lists]");
      const lists = document.querySelector("[data-queue-lists]");
      if (fresh && lists) lists.replaceWith(fresh);
    } finally {
      refreshing = false;
    }
  }
  function schedule() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 300);
  }

  on("job", (job) => {
    if (job.event === "job.progress") {
      const row = document.querySelector(`[data-job="${CSS.escape(job.id)}"]`);
      if (!row) { schedule(); return; }
      const percent = Math.round((job.progress || 0) * 100);
      const bar = row.querySelector(".progress > i");
      if (bar) bar.style.width = `${percent}%`;
      const label = row.querySelector("[data-percent]");
      if (label) label.textContent = `${percent}%`;
      return;
    }
    schedule();
  });

  // Cancel, retry and clear without leaving the page.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("[data-queue-lists] form");
    if (!form || event.defaultPrevented) return;
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const answer = await send(form.action);
      toast(answer.message);
      schedule();
    } catch (error) {
      toast(error.message, "error");
      button.disabled = false;
    }
  });
})();
