// "Draft with AI" panel of the library editor. A description queues a draft job; its progress
// shows here, then the editor opens filled with the checked draft (without this script the form
// posts and the server redirects there). Its field tools ask for tags for, or a better text of,
// the prompt field last in focus, and put the answer in that field (nothing is saved).
"use strict";

(() => {
  const panel = document.querySelector("[data-draft-panel]");
  if (!panel) return;
  const form = panel.querySelector("[data-draft-form]");
  const button = panel.querySelector("[data-draft-button]");
  const status = panel.querySelector("[data-draft-status]");
  const category = encodeURIComponent(panel.dataset.category);
  const POLL_MS = 400;
  const PROMPT_FIELD = 'textarea[name^="f."][name$=".value"]';

  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Poll a draft job until it ends: its result, or an Error saying why it has none. */
  async function follow(jobId, report) {
    for (;;) {
      const job = await GAZE.getJSON(`/ui/library/drafts/${encodeURIComponent(jobId)}`);
      if (job.status === "done") return job.result;
      if (job.status === "failed") throw new Error(job.error || "The draft failed.");
      if (job.status === "cancelled") throw new Error("The draft was cancelled.");
      report(job.status === "pending" ? "Waiting in the queue…" : `Drafting… ${Math.round((job.progress || 0) * 100)} %`);
      await wait(POLL_MS);
    }
  }

  function failed(where, error) {
    where.textContent = error.message;
    where.setAttribute("role", "alert");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const description = form.querySelector("[data-draft-description]").value.trim();
    if (!description) { status.textContent = "Describe what to draft first."; return; }
    const base = form.querySelector('input[name="base"]')?.value;
    button.disabled = true;
    status.setAttribute("role", "status");
    status.textContent = "Asking the AI…";
    try {
      const queued = await GAZE.send(`/ui/library/${category}/draft`, base ? { description, base } : { description });
      await follow(queued.job_id, (text) => { status.textContent = text; });
      status.textContent = "Done: opening the draft…";
      window.location.assign(queued.editor_url);
    } catch (error) {
      failed(status, error);
      button.disabled = false;
    }
  });

  // ---- field tools: tags for, or a better text of, the prompt field last in focus ----------
  const tools = panel.querySelector("[data-draft-tools]");
  const fieldName = panel.querySelector("[data-draft-field]");
  const toolStatus = panel.querySelector("[data-draft-tool-status]");
  const toolButtons = [...panel.querySelectorAll("[data-draft-tool]")];
  let chosen = null;

  function address(textarea) {
    const section = textarea.closest(".section-block")?.querySelector('header input[name$=".name"]')?.value || "";
    const key = textarea.closest(".kv-row")?.querySelector('input[name$=".key"]')?.value || "";
    return `${section.trim()}::${key.trim()}`;
  }

  if (document.querySelector(PROMPT_FIELD)) tools.hidden = false;
  document.addEventListener("focusin", (event) => {
    if (!event.target.matches?.(PROMPT_FIELD)) return;
    chosen = event.target;
    fieldName.textContent = address(chosen);
    for (const toolButton of toolButtons) toolButton.disabled = false;
  });

  function merged(current, tags) {
    const have = new Set(current.split(",").map((tag) => tag.trim().toLowerCase()).filter(Boolean));
    const added = tags.filter((tag) => !have.has(tag.trim().toLowerCase()));
    return [current.trim(), added.join(", ")].filter(Boolean).join(", ");
  }

  for (const toolButton of toolButtons) {
    toolButton.addEventListener("click", async () => {
      if (!chosen) return;
      const target = chosen;
      const field = address(target);
      const text = target.value.trim() || field.split("::").pop();
      toolButtons.forEach((other) => { other.disabled = true; });
      toolStatus.setAttribute("role", "status");
      toolStatus.textContent = "Asking the AI…";
      try {
        const queued = await GAZE.send(`/ui/library/${category}/draft/${toolButton.dataset.draftTool}`, { field, text });
        const result = await follow(queued.job_id, (line) => { toolStatus.textContent = line; });
        target.value = result.tags ? merged(target.value, result.tags) : result.text;
        target.dispatchEvent(new Event("input", { bubbles: true }));
        const unknown = (result.unknown_tags || []).map((flagged) => flagged.tag);
        toolStatus.textContent = unknown.length ? `Done; unknown tags: ${unknown.join(", ")}` : "Done.";
      } catch (error) {
        failed(toolStatus, error);
      } finally {
        toolButtons.forEach((other) => { other.disabled = false; });
      }
    });
  }
})();
