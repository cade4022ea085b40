// Tag completion for prompt fields (textareas marked data-wildcards, wordlist lines, and any
// field marked data-tag-complete, such as wardrobes' "top: white shirt" lines): the tag under the caret is looked up in the imported tag
// vocabulary (GET /ui/tags, ranked by post count) and a list under the field offers matches.
// Up/Down choose, Tab or Enter accept, Esc closes. Weights "(tag:1.2)", brackets, escaped
// parentheses, <lora:...> and wildcard syntax (__name__, {a|b}, {2$$a|b}) are understood: the
// tag inside them is completed and the syntax around it kept. A tag is inserted as the library
// writes tags: underscores as spaces, parentheses escaped; an alias inserts its tag.
"use strict";

const GAZE_TAGS = (() => {
  const FIELDS = "textarea[data-wildcards], textarea[data-wordlist-lines], [data-tag-complete]";
  const STOPS = ",\n|{}()[]<>";
  const LIMIT = 12;
  const WAIT_MS = 60;

  const escaped = (text, at) => at > 0 && text[at - 1] === "\\";
  const weightFollows = (text, at) => text[at] === ":" && /[\d.\s]/.test(text[at + 1] || "");

  const labelEnds = (text, at) => text[at] === ":" && text[at + 1] === " "; // "top: white shirt"

  /** The tag under the caret: {start, end, query}, or null where nothing is completed. */
  function tagAt(text, caret) {
    const lt = text.lastIndexOf("<", caret - 1);
    if (lt > text.lastIndexOf(">", caret - 1)) return null; // inside <lora:...>
    let start = caret;
    while (start > 0 && !((STOPS.includes(text[start - 1]) || labelEnds(text, start - 1)) && !escaped(text, start - 1))) start--;
    let end = caret;
    while (end < text.length && !((STOPS.includes(text[end]) || weightFollows(text, end)) && !escaped(text, end))) end++;
    let typed = text.slice(start, caret);
    const colon = typed.lastIndexOf(":");
    if (colon >= 0 && /^[\d.\s]*$/.test(typed.slice(colon + 1)) && colon > 0) return null; // a weight
    const lead = typed.length - typed.trimStart().length;
    start += lead;
    typed = typed.slice(lead);
    while (end > caret && text[end - 1] === " ") end--;
    if (!typed || typed.length > 300 || typed.includes("__") || typed.includes("$")) return null;
    if (/^[\d.]+$/.test(typed)) return null; // a weight written "(tag: 1.2)"
    return { start, end, query: typed.replace(/\\(.)/g, "$1") };
  }

  /** A tag as prompts in the library write it: "blue_eyes" -> "blue eyes", "a_(b)" -> "a \(b\)". */
  function written(name) {
    const spaced = name.length > 3 ? name.replace(/_/g, " ") : name; // keep ^_^ and >_<
    return spaced.replace(/([()])/g, "\\$1");
  }

  let list = null;
  let field = null;
  let matches = [];
  let chosen = 0;
  let asked = 0;
  let timer = 0;
  let inserting = false;

  function close() {
    asked++;
    window.clearTimeout(timer);
    list?.remove();
    list = null;
    matches = [];
  }

  function choose(index) {
    chosen = (index + matches.length) % matches.length;
    list.querySelectorAll("li").forEach((item, at) => {
      item.setAttribute("aria-selected", at === chosen ? "true" : "false");
      if (at === chosen) item.scrollIntoView({ block: "nearest" });
    });
  }

  function accept(index) {
    const match = matches[index];
    const target = field;
    const found = target && tagAt(target.value, target.selectionStart);
    close();
    if (!match || !found) return;
    const after = target.value.slice(found.end);
    const suffix = after === "" || after.startsWith("\n") ? ", " : "";
    target.setRangeText(written(match.alias_of || match.name) + suffix, found.start, found.end, "end");
    inserting = true;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    inserting = false;
  }

  function show(target, found) {
    list?.remove();
    list = document.createElement("ul");
    list.className = "tc-list";
    list.setAttribute("role", "listbox");
    list.dataset.tagSuggestions = "";
    matches.forEach((match, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.className = `tc-item tc-category-${match.category}`;
      const name = document.createElement("span");
      name.className = "tc-name";
      name.textContent = match.alias_of ? `${written(match.name)} → ${written(match.alias_of)}` : written(match.name);
      const count = document.createElement("span");
      count.className = "tc-count";
      count.textContent = match.post_count ? match.post_count.toLocaleString("en") : "";
      item.append(name, count);
      item.addEventListener("mousedown", (event) => { event.preventDefault(); accept(index); });
      list.append(item);
    });
    const box = target.getBoundingClientRect();
    list.style.left = `${box.left + window.scrollX}px`;
    list.style.top = `${box.bottom + window.scrollY + 2}px`;
    list.style.minWidth = `${Math.min(box.width, 360)}px`;
    list.title = `completing “${found.query}”`;
    document.body.append(list);
    choose(0);
  }

  async function lookUp(target) {
    const found = tagAt(target.value, target.selectionStart);
    if (!found || target.selectionStart !== target.selectionEnd) { close(); return; }
    const ticket = ++asked;
    let answer;
    try {
      answer = await GAZE.getJSON(`/ui/tags?limit=${LIMIT}&prefix=${encodeURIComponent(found.query)}`);
    } catch {
      return; // completion is a help: a failed look-up leaves the field as it is
    }
    if (ticket !== asked || document.activeElement !== target) return;
    matches = answer.tags || [];
    field = target;
    if (!matches.length) { close(); return; }
    show(target, found);
  }

  function onInput(event) {
    const target = event.target;
    if (inserting || !target.matches?.(FIELDS)) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => lookUp(target), WAIT_MS);
  }

  function onKey(event) {
    if (!list || event.target !== field) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      choose(chosen + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" || event.key === "Tab") {
      accept(chosen);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  document.addEventListener("input", onInput);
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("focusout", (event) => { if (event.target === field) close(); });
  document.addEventListener("click", (event) => { if (event.target !== field) close(); });
  window.addEventListener("resize", close);

  return { tagAt, written };
})();
