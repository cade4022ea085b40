// "Draft with AI" panel of the new-resource editor: queue a draft job, show its progress,
// then open the editor filled with the checked draft. Without this script the form posts and
// the server redirects to the same editor page.
"use strict";

(() => {
  const panel = document.querySelector("[data-draft-panel]");
  if (!panel) return;
  const form = panel.querySelector("[data-draft-form]");
  const button = panel.querySelector("[data-draft-button]");
  const status = panel.querySelector("[data-draft-status]");
  const category = panel.dataset.category;
  const POLL_MS = 400;

  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function follow(jobId) {
    for (;;) {
      const job = await GAZE.getJSON(`/ui/library/drafts/${encodeURIComponent(jobId)}`);
      if (job.status === "done") return;
      if (job.status === "failed") throw new Error(job.error || "The draft failed.");
      if (job.status === "cancelled") throw new Error("The draft was cancelled.");
      status.textContent = job.status === "pending"
        ? "Waiting in the queue…"
        : `Drafting… ${Math.round((job.progress || 0) * 100)} %`;
      await wait(POLL_MS);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const description = form.querySelector("[data-draft-description]").value.trim();
    if (!description) { status.textContent = "Describe what to draft first."; return; }
    button.disabled = true;
    status.textContent = "Asking the AI…";
    try {
      const queued = await GAZE.send(`/ui/library/${encodeURIComponent(category)}/draft`, { description });
      await follow(queued.job_id);
      status.textContent = "Done: opening the draft…";
      window.location.assign(queued.editor_url);
    } catch (error) {
      status.textContent = error.message;
      status.setAttribute("role", "alert");
      button.disabled = false;
    }
  });
})();
