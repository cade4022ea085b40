// The Generator page: the prompt follows every change (debounced), the address keeps the
// page's state, Generate queues by script and shows the results in place. The form works
// without this script (it posts and the page answers).
"use strict";

(() => {
  const form = document.querySelector("form[data-generator]");
  if (!form) return;
  const { el, getJSON, csrf } = window.GAZE;
  const $ = (selector) => form.querySelector(selector);
  const seedInput = $("[data-seed]");
  const errorBox = $("[data-generate-error]");
  const generateButton = $("[data-generate-button]");
  const resolved = (name) => document.querySelector(`[data-resolved="${name}"]`);
  const resolveError = document.querySelector("[data-resolve-error]");
  const resolveState = document.querySelector("[data-resolved-state]");
  const seedLine = document.querySelector("[data-resolved-seed]");
  $("[data-resolve-button]").hidden = true;

  // ---- searchable selects: a filter box above every resource list --------------------------
  for (const select of form.querySelectorAll(".editor-slot select[data-fixed], .editor-slot select[name$='.pool_ids']")) {
    const filter = el("input", { type: "search", class: "select-filter", placeholder: "Filter…", "aria-label": "Filter the list", dataset: { selectFilter: select.name } });
    filter.addEventListener("input", () => {
      const words = filter.value.trim().toLowerCase();
      for (const option of select.options) {
        option.hidden = Boolean(option.value) && Boolean(words) && !option.textContent.toLowerCase().includes(words);
      }
    });
    select.before(filter);
  }

  // ---- the seed: the field's, else an example kept while the choices change ----------------
  let exampleSeed = /for seed (\d+)/.exec(seedLine?.textContent || "")?.[1] || "";
  function newSeed() {
    const words = new Uint32Array(2);
    crypto.getRandomValues(words);
    return String((words[0] & 0x1fffff) * 2 ** 32 + words[1]); // below 2**53
  }
  const dice = $("[data-new-seed]");
  dice.hidden = false;
  dice.addEventListener("click", () => { seedInput.value = newSeed(); schedule(); });

  /** The form's fields (without the CSRF token) as a query string. */
  function fields(forPreview) {
    const params = new URLSearchParams(new FormData(form));
    params.delete("csrf_token");
    params.delete("preset_name");
    params.delete("preset_id");
    if (forPreview && !seedInput.value.trim() && exampleSeed) params.set("seed", exampleSeed);
    return params;
  }
  function remember(query) {
    if (!query) return;
    const seed = seedInput.value.trim();
    const params = new URLSearchParams(query);
    if (!seed) params.delete("seed");
    history.replaceState(null, "", `/generator?${params}`);
  }

  // ---- the live resolved prompt --------------------------------------------------------------
  let timer = null;
  let number = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  function showPicks(choices) {
    for (const box of document.querySelectorAll("[data-pick]")) {
      const picks = choices[box.dataset.pick] || [];
      box.textContent = picks.length ? "→ " + picks.map((pick) => pick.name + (pick.outfit?.key ? ` (${pick.outfit.key})` : "")).join(", ") : "";
    }
  }
  function show(answer) {
    resolveError.hidden = true;
    resolved("prompt").textContent = answer.prompt;
    resolved("negative").textContent = answer.negative;
    resolved("checkpoint").textContent = answer.checkpoint;
    resolved("size").textContent = `${answer.width}×${answer.height}`;
    resolved("sampling").textContent = `${answer.spec.steps} steps · CFG ${answer.spec.cfg} · ${answer.spec.sampler} / ${answer.spec.scheduler}`;
    resolved("loras").replaceChildren(...answer.loras.map((lora) =>
      el("span", { class: "chip lora" }, `${lora.name} `, el("b", { text: String(lora.model_weight) }))));
    seedLine.textContent = seedInput.value.trim() ? `for seed ${answer.seed}` : `for seed ${answer.seed} (a random example)`;
    if (!seedInput.value.trim()) exampleSeed = String(answer.seed);
    showPicks(answer.choices || {});
  }
  async function refresh() {
    const mine = ++number;
    resolveState.textContent = "updating…";
    const response = await fetch(`/ui/generator/resolve?${fields(true)}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const answer = await response.json().catch(() => ({}));
    if (mine !== number) return;
    resolveState.textContent = "";
    remember(answer.query);
    if (response.ok) { show(answer.resolution); return; }
    resolveError.hidden = false;
    resolveError.textContent = (answer.problems || []).join("; ") || answer.error || `${response.status}`;
    showPicks({});
  }
  form.addEventListener("input", (event) => {
    if (event.target.matches("[data-select-filter], [data-preset-name], [data-preset-id]")) return;
    schedule();
  });
  form.addEventListener("change", (event) => {
    if (event.target.matches("select, input[type=radio], input[type=checkbox]")) schedule();
  });

  // ---- Generate: queue by script, results in place -------------------------------------------
  const resultsPanel = document.getElementById("results");
  const board = window.GAZE.results(document.querySelector("[data-results]"), {
    onChange() {
      resultsPanel.hidden = false;
      const text = window.GAZE.describeCounts(board.counts());
      document.querySelector("[data-results-summary]").textContent = text;
      $("[data-generate-status]").textContent = text;
    },
  });
  async function generate() {
    errorBox.hidden = true;
    const response = await fetch("/ui/generator/generate", {
      method: "POST",
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: fields(false),
      credentials: "same-origin",
    });
    const answer = await response.json().catch(() => ({}));
    remember(answer.query);
    if (!response.ok) throw new Error((answer.problems || []).join("; ") || answer.error || `${response.status}`);
    for (const job of answer.jobs) board.add(job);
  }
  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (button?.matches("[data-save-preset]")) return; // saving opens the new preset's page
    event.preventDefault();
    if (!button?.matches("[data-generate-button]")) { refresh(); return; }
    generateButton.disabled = true;
    try { await generate(); }
    catch (error) { errorBox.hidden = false; errorBox.textContent = error.message; }
    finally { generateButton.disabled = false; }
  });
})();
