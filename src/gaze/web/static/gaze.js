// GAZE core script: progressive enhancement shared by every page. Pages work without it.
"use strict";

const GAZE = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  /** POST (or other method) with the page's CSRF token; JSON in, JSON out. */
  async function send(url, body = {}, method = "POST") {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf(), Accept: "application/json" },
      body: method === "GET" ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch { /* empty body */ }
    if (!response.ok) {
      const error = new Error(data.error || `${response.status} ${response.statusText}`);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  /** POST a file (multipart field `file`) with the page's CSRF token; JSON out. */
  async function sendFile(url, blob, fileName) {
    const body = new FormData();
    body.append("file", blob, fileName);
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf(), Accept: "application/json" },
      body,
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.error || `${response.status} ${response.statusText}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || `${response.status}`);
    return data;
  }

  function toast(message, kind = "ok") {
    const box = document.querySelector("[data-toasts]");
    if (!box) return;
    const item = document.createElement("div");
    item.className = `toast ${kind}`;
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", text: "×" });
    close.addEventListener("click", () => item.remove());
    item.append(el("span", { text: message }), close);
    box.append(item);
    setTimeout(() => item.remove(), kind === "error" ? 7000 : 3500);
  }

  /** Build an element: el("div", {class: "x", text: "..."}, child...). Text is never parsed as HTML. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function icon(name, extra = "") {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", `icon ${extra}`.trim());
    const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", `#i-${name}`);
    svg.append(use);
    return svg;
  }

  // ---- live events: one EventSource per page, shared by every listener -------------------
  const listeners = {};
  let source = null;
  function on(type, handler) {
    (listeners[type] ||= []).push(handler);
    connect();
  }
  function emit(type, data) { for (const handler of listeners[type] || []) handler(data); }
  function connect() {
    if (source || !window.EventSource) return;
    source = new EventSource("/ui/events");
    for (const type of ["status", "job"]) {
      source.addEventListener(type, (event) => {
        try { emit(type, JSON.parse(event.data)); } catch (error) { console.error(error); }
      });
    }
    source.addEventListener("error", () => emit("disconnected", {}));
  }

  function renderStatus(status) {
    const badge = document.querySelector("[data-queue-badge]");
    if (badge) {
      const active = status.pending + status.running;
      badge.textContent = active;
      badge.hidden = active === 0;
      badge.title = `${status.pending} pending, ${status.running} running`;
    }
    const lights = document.querySelector("[data-backend-lights]");
    if (lights) {
      lights.replaceChildren(...status.backends.map((b) => el("span", { class: `light ${b.state}`, title: b.title })));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    on("status", renderStatus);
  });

  // ---- small behaviours ------------------------------------------------------------------
  document.addEventListener("click", async (event) => {
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const field = document.querySelector(copy.dataset.copy);
      if (!field) return;
      const text = field.value ?? field.textContent;
      try { await navigator.clipboard.writeText(text); } catch { field.select?.(); document.execCommand("copy"); }
      const label = copy.textContent;
      copy.textContent = "Copied";
      setTimeout(() => (copy.textContent = label), 1500);
      return;
    }
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) { dismiss.parentElement.remove(); return; }
    // close open menus when clicking elsewhere
    for (const menu of document.querySelectorAll("details.menu[open]")) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });

  // Forms that ask first: <form data-confirm="Delete this preset?">
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const question = form.dataset.confirm || event.submitter?.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Favourite / NSFW toggles change in place: <form data-flag-form> with a hidden
  // "favourite" or "nsfw" field holding the value to set.
  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-flag-form]");
    if (!form || event.defaultPrevented) return;
    event.preventDefault();
    const field = form.querySelector('input[name="favourite"], input[name="nsfw"]');
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const answer = await send(form.action, { [field.name]: field.value === "1" });
      const on = field.name === "favourite" ? answer.is_favourite : answer.is_nsfw;
      field.value = on ? "0" : "1";
      button.classList.toggle(button.classList.contains("flag") ? "fav" : "on", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
      if (button.classList.contains("flag")) button.title = on ? "Remove from favourites" : "Add to favourites";
    } catch (error) {
      toast(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });

  // Filter forms submit as you change them: <form data-autosubmit>
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-import-file]") && event.target.files.length) {
      event.target.form.submit();
      return;
    }
    const form = event.target.closest("form[data-autosubmit]");
    if (form && event.target.type !== "search") form.requestSubmit();
  });

  // "Load more" links become infinite scroll: <a data-load-more data-target="#grid">
  function enhanceLoadMore(root = document) {
    for (const link of root.querySelectorAll("a[data-load-more]")) {
      if (link.dataset.enhanced) continue;
      link.dataset.enhanced = "1";
      const load = async () => {
        if (link.dataset.loading) return;
        link.dataset.loading = "1";
        const url = new URL(link.href);
        url.searchParams.set("fragment", "1");
        const response = await fetch(url, { credentials: "same-origin" });
        const html = await response.text();
        const template = document.createElement("template");
        template.innerHTML = html; // server-rendered, escaped by Jinja
        const target = document.querySelector(link.dataset.target);
        const more = template.content.querySelector("a[data-load-more]");
        const selector = link.dataset.items || "li";
        target.append(...Array.from(template.content.children).filter((node) => node.matches(selector)));
        const wrapper = link.closest(".load-more");
        if (more) { wrapper.replaceChildren(more); enhanceLoadMore(wrapper); } else wrapper.remove();
        document.dispatchEvent(new CustomEvent("gaze:more", { detail: { target } }));
      };
      link.addEventListener("click", (event) => { event.preventDefault(); load(); });
      if ("IntersectionObserver" in window) {
        const observer = new IntersectionObserver((entries) => {
          if (entries.some((entry) => entry.isIntersecting)) { observer.disconnect(); load(); }
        }, { rootMargin: "600px" });
        observer.observe(link);
      }
    }
  }
  document.addEventListener("DOMContentLoaded", () => enhanceLoadMore());

  return { send, sendFile, getJSON, toast, el, icon, on, csrf, enhanceLoadMore };
})();
window.GAZE = GAZE;
