// The resource editor's LoRA section: what the picked file's header says (base model, rank,
// trigger words), a button that copies its trigger words, and triggers filled for new resources.
(() => {
  const data = document.getElementById("lora-metadata");
  const file = document.querySelector('input[name="lora.file"]');
  const triggers = document.querySelector('input[name="lora.triggers"]');
  const info = document.querySelector("[data-lora-info]");
  if (!data || !file || !triggers || !info) return;
  const byPath = new Map(
    JSON.parse(data.textContent).filter((entry) => entry.metadata).map((entry) => [entry.path, entry.metadata])
  );
  const creating = window.location.pathname.endsWith("/new");

  function useTriggers(words) {
    triggers.value = words.join(", ");
    triggers.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function show(picked) {
    const metadata = byPath.get(file.value.trim());
    info.replaceChildren();
    info.hidden = !metadata;
    if (!metadata) return;
    const facts = ["Base model: " + (metadata.base_model || "unknown")];
    if (metadata.rank !== null) facts.push("rank " + metadata.rank);
    if (metadata.alpha !== null) facts.push("alpha " + metadata.alpha);
    const line = document.createElement("p");
    line.dataset.loraFacts = "";
    line.textContent = facts.join(" · ");
    info.append(line);
    const words = metadata.trigger_words;
    if (!words.length) return;
    const list = document.createElement("p");
    list.dataset.loraTriggerWords = "";
    list.textContent = "Trigger words: " + words.join(", ");
    const use = document.createElement("button");
    use.type = "button";
    use.className = "button small";
    use.dataset.useTriggerWords = "";
    use.textContent = "Use these trigger words";
    use.addEventListener("click", () => useTriggers(words));
    info.append(list, use);
    if (picked && creating && !triggers.value.trim()) useTriggers(words);
  }

  file.addEventListener("change", () => show(true));
  file.addEventListener("input", () => show(true));
  show(false);
})();
