// The generate panel of a preset page: live prompt preview, Generate, Endless, results in place.
"use strict";

(() => {
  const form = document.querySelector("form[data-generate]");
  if (!form) return;
  const { el, send, getJSON } = window.GAZE;
  const data = JSON.parse(document.getElementById("generate-data")?.textContent || "{}");
  const slug = form.dataset.slug;
  const $ = (selector) => form.querySelector(selector);
  const seedInput = $("[data-seed]");
  const countInput = $("[data-count]");
  const slider = $("[data-count-slider]");
  const checkpoint = $("[data-checkpoint]");
  const widthInput = $("[data-width]");
  const heightInput = $("[data-height]");
  const customSize = $("[data-custom-size]");
  const sizeHint = $("[data-size-hint]");
  const errorBox = $("[data-generate-error]");
  const statusLine = $("[data-generate-status]");
  const reuse = $("[data-reuse-seed]");
  const endlessButton = $("[data-endless]");
  const generateButton = $("[data-generate-button]");
  const results = document.querySelector("[data-results]");
  const resultsPanel = document.getElementById("results");
  const storage = {
    get(key) { try { return localStorage.getItem(key); } catch { return null; } },
    set(key, value) { try { localStorage.setItem(key, value); } catch { /* private mode */ } },
  };
  const extrasKey = `gaze:extras:${slug}`;
  const lastSeedKey = `gaze:last-seed:${slug}`;

  // ---- count, seed, size ------------------------------------------------------------------
  slider.addEventListener("input", () => { countInput.value = slider.value; });
  countInput.addEventListener("input", () => { slider.value = countInput.value; });

  function randomSeed() {
    const words = new Uint32Array(2);
    crypto.getRandomValues(words);
    return (words[0] & 0x1fffff) * 2 ** 32 + words[1]; // below 2**53
  }
  $("[data-dice]").addEventListener("click", () => { seedInput.value = String(randomSeed()); schedulePreview(); });
  function showLastSeed() {
    const last = storage.get(lastSeedKey);
    reuse.disabled = !last;
    reuse.title = last ? `Reuse the last seed (${last})` : "No seed used yet";
  }
  reuse.addEventListener("click", () => {
    const last = storage.get(lastSeedKey);
    if (last) { seedInput.value = last; schedulePreview(); }
  });
  function rememberSeed(seed) {
    if (seed === null || seed === undefined) return;
    storage.set(lastSeedKey, String(seed));
    showLastSeed();
  }
  showLastSeed();

  const sizeChoice = () => form.querySelector('input[name="size"]:checked')?.value || "preset";
  function effectiveBaseModel() {
    const path = checkpoint.value || data.preset_checkpoint;
    return (data.base_models || {})[path] || "sd1";
  }
  /** [width, height] to send, or null for the preset's own size. */
  function chosenSize() {
    const choice = sizeChoice();
    if (choice === "preset") return null;
    if (choice === "custom") {
      const w = parseInt(widthInput.value, 10), h = parseInt(heightInput.value, 10);
      return w && h ? [w, h] : null;
    }
    return (data.orientation_sizes[effectiveBaseModel()] || {})[choice] || null;
  }
  function showSize() {
    customSize.hidden = sizeChoice() !== "custom";
    const size = chosenSize();
    if (size) sizeHint.textContent = sizeChoice() === "custom" ? `${size[0]}×${size[1]}` : `${size[0]}×${size[1]} (${effectiveBaseModel()})`;
  }
  customSize.hidden = true;

  // ---- extras remembered per preset --------------------------------------------------------
  const extras = form.querySelectorAll("[data-extra]");
  try {
    const saved = JSON.parse(storage.get(extrasKey) || "{}");
    for (const box of extras) if (saved[box.dataset.extra]) box.value = saved[box.dataset.extra];
  } catch { /* ignore a damaged entry */ }
  function saveExtras() {
    const values = {};
    for (const box of extras) values[box.dataset.extra] = box.value;
    storage.set(extrasKey, JSON.stringify(values));
  }

  function panelValues() {
    const size = chosenSize();
    return {
      count: parseInt(countInput.value, 10) || 1,
      seed: seedInput.value.trim() === "" ? null : seedInput.value.trim(),
      checkpoint: checkpoint.value || "",
      width: size ? size[0] : null,
      height: size ? size[1] : null,
      extra_positive: $('[data-extra="positive"]').value,
      extra_negative: $('[data-extra="negative"]').value,
    };
  }
  /** The panel's values for queueing: the preview's, plus the init image and hires choice. */
  function generateValues() {
    const values = { ...panelValues(), ...window.GAZE.initImage.values(), ...hiresValues() };
    if (values.init_image && !values.resize) { values.width = null; values.height = null; }
    return values;
  }

  // ---- hires override ----------------------------------------------------------------------
  const hiresBox = $("[data-hires-override]");
  hiresBox.hidden = false;
  function hiresValues() {
    const mode = form.querySelector('input[name="hires_mode"]:checked')?.value || "preset";
    if (mode === "preset") return {};
    if (mode === "off") return { hires: null };
    const field = (name) => hiresBox.querySelector(`[data-hires="${name}"]`).value.trim();
    const hires = { scale: Number(field("scale")), denoise: Number(field("denoise")), upscaler: field("upscaler") };
    if (field("steps")) hires.steps = parseInt(field("steps"), 10);
    return { hires };
  }

  // ---- live preview of the resolved prompt ------------------------------------------------------
  const resolved = (name) => document.querySelector(`[data-resolved="${name}"]`);
  const resolveError = document.querySelector("[data-resolve-error]");
  const resolveState = document.querySelector("[data-resolved-state]");
  let previewTimer = null;
  let previewNumber = 0;
  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  }
  async function preview() {
    const values = panelValues();
    const params = new URLSearchParams();
    for (const key of ["seed", "checkpoint", "width", "height", "extra_positive", "extra_negative"]) {
      if (values[key] !== null && values[key] !== "") params.set(key, values[key]);
    }
    const number = ++previewNumber;
    resolveState.textContent = "updating…";
    try {
      const answer = await getJSON(`/ui/presets/${encodeURIComponent(slug)}/resolve?${params}`);
      if (number !== previewNumber) return;
      resolveError.hidden = true;
      resolved("prompt").textContent = answer.prompt;
      resolved("negative").textContent = answer.negative;
      resolved("checkpoint").textContent = answer.checkpoint;
      resolved("size").textContent = `${answer.width}×${answer.height}`;
      resolved("sampling").textContent = `${answer.spec.steps} steps · CFG ${answer.spec.cfg} · ${answer.spec.sampler} / ${answer.spec.scheduler}`;
      resolved("loras").replaceChildren(...answer.loras.map((lora) =>
        el("span", { class: "chip lora" }, `${lora.name} `, el("b", { text: String(lora.model_weight) }))));
      document.querySelector("[data-resolved-seed]").textContent =
        values.seed === null ? `for seed ${answer.seed} (a random example)` : `for seed ${answer.seed}`;
      for (const box of document.querySelectorAll("[data-pick]")) {
        const picks = answer.choices[box.dataset.pick] || [];
        box.textContent = picks.length ? "→ " + picks.map((pick) => pick.name + (pick.outfit?.key ? ` (${pick.outfit.key})` : "")).join(", ") : "";
      }
      for (const box of document.querySelectorAll("[data-slot-fields]")) {
        const picks = answer.choices[box.dataset.slotFields] || [];
        box.replaceChildren(...picks.flatMap((pick) => (pick.fields || []).length
          ? pick.fields.map((address) => el("code", { text: address }))
          : [el("span", { class: "no-fields", text: `${pick.name} adds no prompt text: no fields are used` })]));
      }
      if (!values.width) sizeHint.textContent = `${answer.width}×${answer.height}`;
      resolveState.textContent = "";
    } catch (error) {
      if (number !== previewNumber) return;
      resolveError.hidden = false;
      resolveError.textContent = error.message;
      resolveState.textContent = "";
    }
  }
  form.addEventListener("input", (event) => {
    if (event.target.matches("[data-extra]")) saveExtras();
    if (event.target.matches("[data-count], [data-count-slider], [data-hires], [data-init-denoise]")) return;
    showSize();
    schedulePreview();
  });
  form.addEventListener("change", () => { showSize(); });

  // ---- results in place ---------------------------------------------------------------------
  const board = window.GAZE.results(results, {
    onChange() {
      resultsPanel.hidden = false;
      const text = window.GAZE.describeCounts(board.counts());
      document.querySelector("[data-results-summary]").textContent = text;
      statusLine.textContent = endless.on ? `Endless · ${text}` : text;
      endless.check();
    },
    onDone(job) { rememberSeed(job.result?.seed); },
  });
  const addTile = (job) => board.add(job);
  document.addEventListener("gaze:queued", (event) => {
    for (const job of event.detail.jobs || []) addTile(job);
  });

  async function queue() {
    errorBox.hidden = true;
    const values = generateValues();
    const answer = await send(`/ui/presets/${encodeURIComponent(slug)}/generate`, values);
    for (const job of answer.jobs) addTile(job);
    if (values.seed !== null) rememberSeed(values.seed);
    return answer.jobs.map((job) => job.id);
  }
  function showError(error) {
    errorBox.hidden = false;
    errorBox.textContent = error.message;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    generateButton.disabled = true;
    try { await queue(); } catch (error) { showError(error); }
    finally { generateButton.disabled = false; }
  });

  // ---- Endless: queue the next batch whenever the current one has started -----------------------------
  const endless = {
    on: false,
    current: [],
    busy: false,
    async next() {
      if (!this.on || this.busy) return;
      this.busy = true;
      try { this.current = await queue(); }
      catch (error) { showError(error); this.stop(); }
      finally { this.busy = false; }
    },
    check() {
      if (!this.on || this.busy) return;
      const started = this.current.every((id) => board.status(id) !== "pending");
      if (started) this.next();
    },
    start() {
      this.on = true;
      endlessButton.classList.add("endless-on");
      endlessButton.replaceChildren(window.GAZE.icon("stop"), "Stop");
      this.next();
    },
    stop() {
      this.on = false;
      endlessButton.classList.remove("endless-on");
      endlessButton.replaceChildren(window.GAZE.icon("infinity"), "Endless");
      statusLine.textContent = window.GAZE.describeCounts(board.counts());
    },
  };
  endlessButton.hidden = false;
  endlessButton.addEventListener("click", () => (endless.on ? endless.stop() : endless.start()));
})();
