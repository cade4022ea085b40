// Wildcard highlighting for prompt textareas marked data-wildcards="<stream>": a mirrored
// backdrop behind the (transparent) textarea marks the syntax, and a line under the field shows
// what one seed expands the text to. Spans and expansions come from POST /ui/wildcards/preview,
// the server's own tokenizer. Without this script the fields are plain textareas.
"use strict";

(() => {
  const SYNTAX = /[{}\\]|__/;
  const WATCHED = "textarea[data-wildcards]";
  const COPIED = ["fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing",
    "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "borderTopWidth",
    "borderRightWidth", "borderBottomWidth", "borderLeftWidth", "tabSize", "textIndent"];
  let pageSeed = Math.floor(Math.random() * 4294967296);

  const escapeHtml = (text) => text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  function seedFor(field) {
    const input = field.form?.querySelector('input[name="seed"]');
    const value = input?.value.trim();
    return value && /^\d+$/.test(value) ? value : String(pageSeed);
  }

  function marked(text, spans) {
    let html = "";
    let at = 0;
    for (const span of spans) {
      if (span.start < at) continue;
      html += escapeHtml(text.slice(at, span.start));
      html += `<mark class="wc-${span.kind}">${escapeHtml(text.slice(span.start, span.end))}</mark>`;
      at = span.end;
    }
    // a trailing newline needs a character after it to take up its line
    return html + escapeHtml(text.slice(at)) + "\u200b";
  }

  function enhance(field) {
    if (field.dataset.wildcardsReady) return field._wildcards;
    field.dataset.wildcardsReady = "1";
    const shell = document.createElement("div");
    shell.className = "wc-shell";
    const backdrop = document.createElement("div");
    backdrop.className = "wc-backdrop";
    backdrop.setAttribute("aria-hidden", "true");
    const focused = document.activeElement === field;
    const { selectionStart, selectionEnd } = field;
    field.parentNode.insertBefore(shell, field);
    shell.append(backdrop, field); // moving a field blurs it: give the focus back
    if (focused) { field.focus(); field.setSelectionRange(selectionStart, selectionEnd); }
    field.classList.add("wc-input");
    const preview = document.createElement("div");
    preview.className = "wc-preview";
    preview.setAttribute("aria-live", "polite");
    preview.hidden = true;
    preview.dataset.wildcardPreview = "";
    shell.after(preview);

    let timer = 0;
    let asked = 0;
    const copyStyle = () => {
      const style = getComputedStyle(field);
      for (const name of COPIED) backdrop.style[name] = style[name];
      backdrop.style.width = `${field.offsetWidth}px`;
      backdrop.style.height = `${field.offsetHeight}px`;
    };
    const scroll = () => { backdrop.scrollTop = field.scrollTop; backdrop.scrollLeft = field.scrollLeft; };

    async function refresh() {
      const text = field.value;
      const ticket = ++asked;
      if (!SYNTAX.test(text)) {
        backdrop.innerHTML = marked(text, []);
        preview.hidden = true;
        return;
      }
      const seed = seedFor(field);
      let answer;
      try {
        answer = await GAZE.send("/ui/wildcards/preview", { text, seed, stream: field.dataset.wildcards || "" });
      } catch (error) {
        answer = { spans: [], text: null, error: error.message };
      }
      if (ticket !== asked) return; // a newer edit has its own request
      backdrop.innerHTML = marked(text, answer.spans || []);
      scroll();
      const wanted = text.includes("{") || text.includes("__");
      preview.hidden = !wanted;
      preview.classList.toggle("wc-error", Boolean(answer.error));
      preview.replaceChildren();
      if (answer.error) {
        preview.textContent = answer.error;
        return;
      }
      const label = document.createElement("span");
      label.className = "wc-seed";
      label.textContent = `with seed ${seed}: `;
      const expanded = document.createElement("span");
      expanded.className = "wc-expanded";
      expanded.textContent = answer.text;
      const reroll = document.createElement("button");
      reroll.type = "button";
      reroll.className = "wc-reroll";
      reroll.textContent = "another seed";
      reroll.addEventListener("click", () => {
        pageSeed = Math.floor(Math.random() * 4294967296);
        document.querySelectorAll(WATCHED).forEach((other) => other._wildcards?.refresh());
      });
      preview.append(label, expanded, " ", reroll);
    }

    const later = () => { window.clearTimeout(timer); timer = window.setTimeout(refresh, 250); };
    field.addEventListener("input", () => { backdrop.innerHTML = marked(field.value, []); later(); });
    field.addEventListener("scroll", scroll);
    if (window.ResizeObserver) new ResizeObserver(copyStyle).observe(field);
    copyStyle();
    field._wildcards = { refresh };
    backdrop.innerHTML = marked(field.value, []);
    refresh();
    return field._wildcards;
  }

  function start() {
    document.querySelectorAll(WATCHED).forEach(enhance);
    // rows added later (the resource editor's "add field") are enhanced as they arrive
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          if (node.matches(WATCHED)) enhance(node);
          node.querySelectorAll(WATCHED).forEach(enhance);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
    document.addEventListener("input", (event) => {
      if (!event.target.matches?.('input[name="seed"]')) return;
      event.target.form?.querySelectorAll(WATCHED).forEach((field) => field._wildcards?.refresh());
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
