// Editors (presets, library resources): small conveniences; the forms work without them.
"use strict";

(() => {
  const { el } = window.GAZE;
  const choices = JSON.parse(document.getElementById("editor-choices")?.textContent || "{}");

  // A preset slot's field checkboxes: dim the fields the chosen resource does not have.
  function refreshSlot(slot) {
    const category = slot.dataset.category;
    const select = slot.querySelector("select[data-fixed]");
    const known = choices[category] || {};
    const fixed = slot.querySelector('.mode-choice input[value="fixed"]')?.checked;
    const chosen = select ? [...select.selectedOptions].map((option) => option.value).filter(Boolean) : [];
    const have = new Set(chosen.flatMap((id) => known[id]?.fields || []));
    for (const label of slot.querySelectorAll("[data-address]")) {
      label.classList.toggle("absent", Boolean(fixed && chosen.length && !have.has(label.dataset.address)));
    }
    const outfit = slot.querySelector("select[data-outfit]");
    if (outfit && select) {
      const current = outfit.value;
      const wardrobe = known[select.value]?.wardrobe || [];
      outfit.replaceChildren(
        el("option", { value: "", text: "The character's active outfit" }),
        ...wardrobe.map((key) => el("option", { value: key, text: key, selected: key === current })),
      );
    }
  }
  for (const slot of document.querySelectorAll(".editor-slot[data-category]")) {
    refreshSlot(slot);
    slot.addEventListener("change", () => refreshSlot(slot));
  }

  // New items: the id follows the name until it is edited by hand.
  const name = document.querySelector("[data-name]");
  const id = document.querySelector("[data-id]");
  if (name && id) {
    let edited = id.value !== "";
    id.addEventListener("input", () => { edited = id.value !== ""; });
    name.addEventListener("input", () => {
      if (edited) return;
      id.value = name.value.normalize("NFKD").toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 64);
    });
  }

  // Library editors: add and remove prompt sections and fields.
  const uniqueId = () => `n${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  function named(node, replacements) {
    for (const input of node.querySelectorAll("[data-name-pattern]")) {
      let name = input.dataset.namePattern;
      for (const [from, to] of Object.entries(replacements)) name = name.replace(from, to);
      input.name = name;
    }
  }
  // A character's wardrobe: add and remove outfit rows (without script, a blank row adds one
  // and clearing a name removes one).
  const addOutfit = document.querySelector("[data-add-outfit]");
  if (addOutfit) {
    addOutfit.hidden = false;
    addOutfit.addEventListener("click", () => {
      const row = document.getElementById("outfit-template").content.firstElementChild.cloneNode(true);
      const id = uniqueId();
      for (const input of row.querySelectorAll("[name]")) input.name = input.name.replace("__W__", id);
      for (const radio of row.querySelectorAll('input[type="radio"]')) radio.value = id;
      document.querySelector("[data-wardrobe-rows]").append(row);
      row.querySelector("input")?.focus();
    });
  }

  document.addEventListener("click", (event) => {
    const removeOutfit = event.target.closest("[data-remove-outfit]");
    if (removeOutfit) { removeOutfit.closest("[data-wardrobe-row]").remove(); return; }
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const section = add.closest("[data-section]");
      const row = document.getElementById("row-template").content.firstElementChild.cloneNode(true);
      named(row, { __ROW__: uniqueId() });
      row.querySelector('input[type="hidden"]').value = section.dataset.section;
      section.querySelector("[data-rows]").append(row);
      row.querySelector('input:not([type])')?.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) { remove.closest(".kv-row, .section-block").remove(); return; }
    const addSection = event.target.closest("[data-add-section]");
    if (addSection) {
      const block = document.getElementById("section-template").content.firstElementChild.cloneNode(true);
      const id = uniqueId();
      block.dataset.section = id;
      named(block, { __S__: id });
      document.querySelector("[data-sections]").append(block);
      block.querySelector("input")?.focus();
    }
  });
})();
