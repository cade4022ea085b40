// Grids: the builder (axes from dropdowns, a live cell count, the service's refusals inline),
// the viewer (progress, then the sheets: zoom, pan, cells that open the lightbox) and a library
// resource's strength sweeps.
"use strict";

(() => {
  const { el, send, getJSON, toast } = window.GAZE;

  // ---- the builder ----------------------------------------------------------------------
  const TEXT_HINTS = {
    seed: ["1, 2, 3", "numbers, or “random 4”"],
    steps: ["10, 20, 30", "whole numbers"],
    cfg: ["4, 7, 10", "numbers"],
    size: ["512x512, 512x768", "WxH, comma-separated"],
  };

  function numbers(text, whole) {
    const parts = text.split(/[\s,;]+/).filter(Boolean);
    const values = parts.map(Number);
    const bad = parts.find((part, index) => !Number.isFinite(values[index]) || (whole && !Number.isInteger(values[index])));
    if (bad !== undefined) throw new Error(`“${bad}” is not a${whole ? " whole" : ""} number`);
    return values;
  }

  function randomSeeds(count) {
    const seeds = new Set();
    while (seeds.size < count) seeds.add(Math.floor(Math.random() * 2 ** 32));
    return [...seeds];
  }

  function weights(text) {
    const range = text.match(/^\s*from\s+(-?[\d.]+)\s+to\s+(-?[\d.]+)\s+in\s+(\d+)\s+steps?\s*$/i);
    if (!range) return numbers(text, false);
    const [low, high, steps] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!Number.isFinite(low) || !Number.isFinite(high) || steps < 2) throw new Error("write it “from 0 to 1 in 5 steps”");
    return [...new Set(Array.from({ length: steps }, (_, i) => Math.round((low + ((high - low) * i) / (steps - 1)) * 100) / 100))];
  }

  function textValues(kind, text) {
    text = text.trim();
    if (!text) return [];
    if (kind === "seed") {
      const random = text.match(/^random\s+(\d+)$/i);
      return random ? randomSeeds(Number(random[1])) : numbers(text, true);
    }
    if (kind === "steps") return numbers(text, true);
    if (kind === "cfg") return numbers(text, false);
    if (kind === "size") return text.split(/[\s,;]+/).filter(Boolean);
    if (kind === "prompt_sr") return text.split("\n").map((line) => line.trim()).filter(Boolean);
    return weights(text);
  }

  function multiSelect(options, label) {
    const select = el("select", { multiple: true, "data-axis-multi": "", "aria-label": label, size: Math.min(6, Math.max(3, options.length)) });
    for (const option of options) select.append(el("option", { value: option.value, text: option.label }));
    return select;
  }

  function setUpBuilder(form) {
    const choices = JSON.parse(document.querySelector("[data-grid-choices]").textContent);
    const maxCells = Number(form.dataset.maxCells);
    const count = form.querySelector("[data-cell-count]");
    const errors = form.querySelector("[data-grid-errors]");
    const fieldsets = [...form.querySelectorAll("[data-axis]")];

    function editor(fieldset) {
      const kind = fieldset.querySelector("[data-axis-kind]").value;
      const box = fieldset.querySelector("[data-axis-values]");
      const note = fieldset.querySelector("[data-axis-note]");
      const name = fieldset.dataset.axis.toUpperCase();
      box.replaceChildren();
      note.textContent = "";
      if (!kind) return;
      const listed = (items) => items.map((item) => ({ value: item, label: item.split("/").pop() }));
      if (kind === "sampler" || kind === "scheduler" || kind === "checkpoint") {
        const offered = listed(choices[`${kind}s`]);
        box.append(multiSelect(offered, `${name} ${kind}s`));
        if (!offered.length) note.textContent = `No backend lists its ${kind}s right now.`;
      } else if (kind === "slot") {
        const category = el("select", { "data-axis-target": "", "aria-label": `${name} slot category` },
          ...Object.keys(choices.resources).map((key) => el("option", { value: key, text: key })));
        const pick = () => {
          const items = choices.resources[category.value].map((item) => ({ value: item.id, label: item.name }));
          box.querySelector("[data-axis-multi]")?.remove();
          box.append(multiSelect(items, `${name} ${category.value}`));
        };
        category.addEventListener("change", () => { pick(); update(); });
        box.append(category);
        pick();
      } else if (kind === "prompt_sr") {
        box.append(el("textarea", { "data-axis-text": "", rows: 3, "aria-label": `${name} prompt texts`, placeholder: "red dress\nblue dress\ngreen dress" }));
        note.textContent = "One text a line: the first is found in the prompt, each line replaces it.";
      } else if (kind === "lora_weight") {
        box.append(el("select", { "data-axis-target": "", "aria-label": `${name} LoRA file` },
          ...choices.loras.map((path) => el("option", { value: path, text: path }))));
        box.append(el("input", { "data-axis-text": "", "aria-label": `${name} LoRA weights`, placeholder: "0, 0.5, 1 or from 0 to 1 in 5 steps" }));
        if (!choices.loras.length) note.textContent = "No backend has a LoRA file.";
      } else {
        const [placeholder, hint] = TEXT_HINTS[kind];
        box.append(el("input", { "data-axis-text": "", "aria-label": `${name} ${kind} values`, placeholder }));
        note.textContent = hint;
      }
    }

    function axisOf(fieldset) {
      const kind = fieldset.querySelector("[data-axis-kind]").value;
      if (!kind) return null;
      const multi = fieldset.querySelector("[data-axis-multi]");
      const text = fieldset.querySelector("[data-axis-text]");
      const target = fieldset.querySelector("[data-axis-target]");
      const values = multi ? [...multi.selectedOptions].map((option) => option.value) : textValues(kind, text.value);
      const axis = { axis: kind, values };
      if (kind === "lora_weight") axis.lora = target.value;
      if (kind === "slot") axis.slot = target.value;
      return axis;
    }

    function request() {
      const body = { preset: form.querySelector("[data-grid-preset]").value };
      for (const input of form.querySelectorAll("[data-grid-option]")) {
        const text = input.value.trim();
        if (text) body[input.dataset.gridOption] = /^-?\d+$/.test(text) ? Number(text) : text;
      }
      for (const fieldset of fieldsets) {
        const axis = axisOf(fieldset);
        if (axis) body[fieldset.dataset.axis] = axis;
      }
      return body;
    }

    function showErrors(messages) {
      errors.replaceChildren(...messages.map((message) => el("div", { text: message })));
      errors.hidden = messages.length === 0;
    }

    function update() {
      let cells = 1;
      const problems = [];
      for (const fieldset of fieldsets) {
        try {
          const axis = axisOf(fieldset);
          if (axis) cells *= axis.values.length;
        } catch (error) {
          problems.push(`axis ${fieldset.dataset.axis}: ${error.message}`);
          cells = 0;
        }
      }
      count.textContent = String(cells);
      count.classList.toggle("over", cells > maxCells);
      showErrors(problems);
      return problems.length === 0;
    }

    for (const fieldset of fieldsets) {
      fieldset.querySelector("[data-axis-kind]").addEventListener("change", () => { editor(fieldset); update(); });
      editor(fieldset);
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!update()) return;
      const button = form.querySelector("[data-grid-submit]");
      button.disabled = true;
      try {
        const answer = await send("/grids/new", request());
        window.location.assign(answer.url);
      } catch (error) {
        showErrors([error.message]);
        button.disabled = false;
      }
    });
    update();
  }

  // ---- the viewer -----------------------------------------------------------------------
  function setUpViewer(section) {
    let grid = JSON.parse(document.querySelector("[data-grid-state]").textContent);
    const viewport = section.querySelector("[data-grid-viewport]");
    const stage = section.querySelector("[data-grid-stage]");
    const image = section.querySelector("[data-grid-sheet-image]");
    const overlay = section.querySelector("[data-grid-overlay]");
    const level = section.querySelector("[data-zoom-level]");
    const view = { scale: 1, x: 0, y: 0, sheet: 0 };

    function apply() {
      stage.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
      level.textContent = `${Math.round(view.scale * 100)}%`;
      section.dataset.zoom = String(Math.round(view.scale * 1000) / 1000);
    }
    function sheet() { return grid.sheets[view.sheet]; }
    function fit() {
      const { width, height } = sheet();
      const scale = Math.min(viewport.clientWidth / width, viewport.clientHeight / height, 1);
      view.scale = scale;
      view.x = (viewport.clientWidth - width * scale) / 2;
      view.y = Math.max(0, (viewport.clientHeight - height * scale) / 2);
      apply();
    }
    function zoomAt(factor, cx = viewport.clientWidth / 2, cy = viewport.clientHeight / 2) {
      const scale = Math.min(8, Math.max(0.05, view.scale * factor));
      view.x = cx - ((cx - view.x) * scale) / view.scale;
      view.y = cy - ((cy - view.y) * scale) / view.scale;
      view.scale = scale;
      apply();
    }

    function showSheet(index) {
      view.sheet = index;
      const current = sheet();
      image.src = current.image_url;
      image.width = current.width;
      image.height = current.height;
      stage.style.width = `${current.width}px`;
      stage.style.height = `${current.height}px`;
      const box = current.cells;
      overlay.replaceChildren(...grid.cells.filter((cell) => cell.z === index).map((cell) => {
        const label = Object.values(cell.labels).join(", ");
        return el("button", {
          type: "button",
          class: `grid-cell ${cell.status}`,
          title: `${label} (${cell.status})`,
          "aria-label": `${label}: ${cell.status}`,
          style: `left:${box.left + cell.x * box.width}px;top:${box.top + cell.y * box.height}px;width:${box.width}px;height:${box.height}px`,
          dataset: { imageId: cell.image_id ?? "", cell: `${cell.x},${cell.y},${cell.z}` },
          disabled: !cell.image_id,
        }, cell.status === "done" ? null : el("span", { class: "grid-cell-state", text: cell.status }));
      }));
      for (const [i, tab] of [...section.querySelectorAll("[data-grid-tab]")].entries()) tab.setAttribute("aria-selected", String(i === index));
      fit();
    }

    function showSheets() {
      section.querySelector("[data-grid-progress]").hidden = true;
      section.querySelector("[data-grid-sheets]").hidden = false;
      const tabs = section.querySelector("[data-grid-tabs]");
      const zLabels = grid.cells.filter((cell) => cell.x === 0 && cell.y === 0).map((cell) => cell.labels.z);
      tabs.replaceChildren(...(grid.sheets.length > 1 ? grid.sheets.map((_, index) =>
        el("button", { type: "button", class: "button small ghost", role: "tab", "data-grid-tab": String(index), text: zLabels[index] || `Sheet ${index + 1}`, onclick: () => showSheet(index) })) : []));
      showSheet(0);
    }

    function showProgress() {
      const { done, failed, cancelled, total } = grid.progress;
      const ended = done + failed + cancelled;
      section.querySelector("[data-grid-progress-bar]").style.width = `${total ? (100 * ended) / total : 0}%`;
      section.querySelector("[data-grid-progress-text]").textContent =
        `${done} of ${total} done${failed ? `, ${failed} failed` : ""}${cancelled ? `, ${cancelled} cancelled` : ""}`;
    }

    async function poll() {
      try {
        grid = await getJSON(section.dataset.stateUrl);
      } catch (error) {
        toast(error.message, "error");
      }
      if (grid.status === "finished") showSheets();
      else { showProgress(); setTimeout(poll, 1000); }
    }

    section.querySelector(".grid-zoom").addEventListener("click", (event) => {
      const action = event.target.closest("[data-zoom]")?.dataset.zoom;
      if (action === "fit") fit();
      else if (action === "actual") zoomAt(1 / view.scale);
      else if (action === "in") zoomAt(1.25);
      else if (action === "out") zoomAt(0.8);
    });
    viewport.addEventListener("wheel", (event) => {
      event.preventDefault();
      const rect = viewport.getBoundingClientRect();
      zoomAt(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    let drag = null;
    let dragged = false;
    viewport.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      drag = { x: event.clientX, y: event.clientY, left: view.x, top: view.y, id: event.pointerId };
      dragged = false;
    });
    viewport.addEventListener("pointermove", (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!dragged && Math.hypot(dx, dy) < 4) return;
      if (!dragged) viewport.setPointerCapture(drag.id);
      dragged = true;
      viewport.classList.add("dragging");
      view.x = drag.left + dx;
      view.y = drag.top + dy;
      apply();
    });
    const endDrag = () => { drag = null; viewport.classList.remove("dragging"); };
    viewport.addEventListener("pointerup", endDrag);
    viewport.addEventListener("pointercancel", endDrag);
    // A drag that ends over a cell is a pan, not a click on it.
    viewport.addEventListener("click", (event) => {
      if (dragged) { event.stopPropagation(); event.preventDefault(); dragged = false; }
    }, true);
    window.addEventListener("resize", () => { if (grid.status === "finished") fit(); });
    if (grid.status === "finished") showSheets(); else poll();
  }

  // ---- a resource's strength sweeps ------------------------------------------------------
  async function loadSweeps(box) {
    try {
      const response = await fetch(box.dataset.sweepsSrc, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${response.status}`);
      box.innerHTML = await response.text(); // our own server-rendered fragment
    } catch (error) {
      toast(`Could not load the sweeps: ${error.message}`, "error");
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const builder = document.querySelector("[data-grid-builder]");
    if (builder) setUpBuilder(builder);
    const viewer = document.querySelector("[data-grid-viewer]");
    if (viewer) setUpViewer(viewer);
    const sweeps = document.querySelector("[data-sweeps-src]");
    if (sweeps) loadSweeps(sweeps);
  });
})();
