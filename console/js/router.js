// History-API routing under the console's path: each route a page module with
// `render(main, params)`. The console function answers index.html for every route.

const routes = [];
let base = "";
let onRoute = null;

export function configure(consolePath, handler) {
  base = consolePath;
  onRoute = handler;
  window.addEventListener("popstate", () => show());
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-link]");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(link.getAttribute("href"));
  });
}

/** `pattern` is matched against the path after the console's (e.g. /leads/([^/]+)). */
export function route(pattern, load) {
  routes.push({ pattern: new RegExp(`^${pattern}/?$`), load });
}

/** The console's own URL of `path`; its home is the base itself, without a trailing
 * slash: API Gateway's resource is `/console`, and no link should depend on how a
 * trailing slash is matched. */
export function href(path) {
  return path === "/" ? base : `${base}${path}`;
}

export function navigate(path, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", path);
  return show();
}

export async function show() {
  const path = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : "/";
  for (const { pattern, load } of routes) {
    const match = path.match(pattern);
    if (match) return onRoute(await load(), match.slice(1).map(decodeURIComponent));
  }
  return onRoute(await import("./pages/not_found.js"), []);
}
