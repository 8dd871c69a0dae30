// Suggestions as you type in the catalog search box: requests
// GET /api/v1/catalog/search/suggest for titles starting with or containing
// the text, and lists them under the box as an ARIA combobox (arrow keys move,
// Enter opens, Escape closes).
//
// Titles come from outside, so they go into the page through textContent,
// and a suggestion links only to a same-origin path.
"use strict";

(() => {
  // Wait this long after the last keystroke before asking the server.
  const DELAY_MS = 150;

  const input = document.getElementById("catalog-search-q");
  const list = document.getElementById("catalog-search-suggestions");
  if (!input || !list) {
    return;
  }
  const suggestUrl = input.dataset.suggestUrl;
  let timer = null;
  let controller = null;
  let active = -1;

  function safePath(url) {
    return typeof url === "string" && /^\/(?![\/\\])/.test(url) ? url : null;
  }

  function options() {
    return Array.from(list.querySelectorAll("[role=option]"));
  }

  function close() {
    list.classList.add("d-none");
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    const items = options();
    items.forEach((item, position) => {
      item.setAttribute("aria-selected", position === index ? "true" : "false");
    });
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function show(suggestions) {
    list.replaceChildren();
    suggestions.forEach((suggestion, index) => {
      const path = safePath(suggestion.url);
      if (!path) {
        return;
      }
      const item = document.createElement("li");
      item.className = "list-group-item list-group-item-action";
      item.id = `catalog-search-suggestion-${index}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      const link = document.createElement("a");
      link.href = path;
      link.tabIndex = -1;
      link.className = "stretched-link text-decoration-none text-break";
      link.textContent = suggestion.title;
      const kind = document.createElement("span");
      kind.className = `badge kind-badge kind-${suggestion.kind} ms-2`;
      kind.textContent = String(suggestion.kind).toUpperCase();
      item.append(link, kind);
      list.append(item);
    });
    const any = list.children.length > 0;
    list.classList.toggle("d-none", !any);
    input.setAttribute("aria-expanded", any ? "true" : "false");
    active = -1;
  }

  async function fetchSuggestions(text) {
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    try {
      const response = await fetch(`${suggestUrl}?q=${encodeURIComponent(text)}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller.signal,
      });
      if (!response.ok) {
        close();
        return;
      }
      const body = await response.json();
      if (input.value.trim() === text) {
        show(Array.isArray(body.results) ? body.results : []);
      }
    } catch (error) {
      if (error.name !== "AbortError") {
        close();
      }
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) {
      close();
      return;
    }
    timer = setTimeout(() => fetchSuggestions(text), DELAY_MS);
  });

  input.addEventListener("keydown", (event) => {
    const items = options();
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.assign(items[active].querySelector("a").getAttribute("href"));
    } else if (event.key === "Escape") {
      close();
    }
  });

  input.addEventListener("blur", () => {
    // Let a click on a suggestion land before the list goes away.
    setTimeout(close, 200);
  });
})();
