// Small DOM helpers every page shares: elements built from data (text is always set as
// text, never parsed as HTML: a lead's name or message can hold anything), the
// loading/empty/error box with a retry, and a page's own stylesheet.

/** `element("a", {href, text: "…", className: "x", "data-link": ""}, child, …)`. */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

/** A live region saying what the page is doing: `loading(text)`, `empty(text)`,
 * `error(text, retry, retryText)` (an alert with a button), `clear()`. */
export function stateBox() {
  const node = element("div", { className: "state", role: "status", "aria-live": "polite" });
  function show(kind, text) {
    node.className = `state ${kind}`;
    node.setAttribute("role", kind === "error" ? "alert" : "status");
    node.replaceChildren(element("p", { text }));
  }
  return {
    node,
    loading: (text) => show("loading", text),
    empty: (text) => show("empty", text),
    done: (text) => show("done", text),
    error(text, retry, retryText) {
      show("error", text);
      if (retry) {
        const button = element("button", { type: "button", text: retryText });
        button.addEventListener("click", retry);
        node.append(button);
      }
    },
    clear() {
      node.className = "state";
      node.setAttribute("role", "status");
      node.replaceChildren();
    },
  };
}

const styled = new Set();

/** Add `css/<name>.css` (of this version of the console) once: a page's own look stays
 * with the page and is fetched only when the page is first shown. */
export function useStyles(name) {
  if (styled.has(name)) return;
  styled.add(name);
  const link = element("link", { rel: "stylesheet", href: new URL(`../css/${name}.css`, import.meta.url).href });
  document.head.append(link);
}
