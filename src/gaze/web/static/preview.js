// A library resource's preview: queue one image and show it in place.
"use strict";

(() => {
  const form = document.querySelector("form[data-preview]");
  if (!form) return;
  const { send, toast } = window.GAZE;
  const board = window.GAZE.results(document.querySelector("[data-preview-results]"));
  document.addEventListener("gaze:queued", (event) => {
    for (const job of event.detail.jobs || []) board.add(job);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const values = Object.fromEntries(new FormData(form));
      delete values.csrf_token;
      const answer = await send(form.action, values);
      for (const job of answer.jobs) board.add(job);
    } catch (error) {
      toast(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
})();
