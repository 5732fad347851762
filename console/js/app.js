// The console's entry: its settings (config.json, from the stack), the session (sign-in
// through the pool's managed login), the language (the user's pick this session, else
// the manager's languages from GET /me), the menu for this user, then the page the path
// names. Each page is a module: `title` (a word key), optional `words` (its own word
// file) and `adminOnly`, and `render(main, params)` returning an optional clean-up.

import * as api from "./api.js";
import * as auth from "./auth.js";
import { element } from "./dom.js";
import * as i18n from "./i18n.js";
import * as router from "./router.js";

// [path pattern, module, menu word or null, admins only]
const PAGES = [
  ["(?:/queue)?", () => import("./pages/queue.js"), "nav.queue", false],
  ["/leads/new", () => import("./pages/new_lead.js"), "nav.newLead", false],
  ["/leads/([^/]+)", () => import("./pages/lead.js"), null, false],
  ["/unassigned", () => import("./pages/unassigned.js"), "nav.unassigned", true],
  ["/managers", () => import("./pages/managers.js"), "nav.managers", true],
  ["/forms", () => import("./pages/forms.js"), "nav.forms", true],
  ["/rules", () => import("./pages/rules.js"), "nav.rules", true],
  ["/import", () => import("./pages/import.js"), "nav.import", true],
  ["/reports", () => import("./pages/reports.js"), "nav.reports", true],
  ["/partners", () => import("./pages/partners.js"), "nav.partners", false],
  ["/data", () => import("./pages/data.js"), "nav.data", true],
];
const ME = "leadflow.me";

const main = document.getElementById("main");
let leave = null;
let current = null;

async function showPage(page, params) {
  if (leave) leave();
  leave = null;
  current = { page, params };
  await i18n.need(page.words);
  main.replaceChildren();
  markCurrent();
  document.title = `${i18n.t(page.title)} · Leadflow`;
  if (page.adminOnly && !(auth.user() || {}).admin) {
    main.append(element("h1", { text: i18n.t(page.title) }), element("p", { className: "state error", role: "alert",
      text: i18n.t("error.adminsOnly") }));
    return;
  }
  leave = (await page.render(main, params)) || null;
}

function message(key, action) {
  main.replaceChildren(element("h1", { text: i18n.t(key) }));
  if (action) {
    const button = element("button", { type: "button", text: i18n.t("signIn") });
    button.addEventListener("click", action);
    main.append(button);
  }
  document.title = `${i18n.t(key)} · Leadflow`;
}

function markCurrent() {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.pathname === location.pathname) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showChrome() {
  const admin = (auth.user() || {}).admin;
  const nav = document.getElementById("nav");
  const links = PAGES.filter(([, , word, adminOnly]) => word && (admin || !adminOnly)).map(([pattern, , word]) =>
    element("a", { href: router.href(pattern.startsWith("(") ? "/" : pattern), "data-link": "", "data-i18n": word,
                   text: i18n.t(word) }));
  nav.replaceChildren(...links);
  nav.hidden = false;
  const signOut = document.getElementById("sign-out");
  signOut.hidden = false;
  signOut.addEventListener("click", () => {
    sessionStorage.removeItem(ME);
    auth.signOut();
  });
}

function languageSwitch() {
  const select = document.getElementById("language");
  select.value = i18n.current();
  select.addEventListener("change", async () => {
    await i18n.use(select.value, { keep: true });
    if (current) await showPage(current.page, current.params);
  });
}

/** Who is signed in, as the API knows them (name, languages): asked once a session. */
async function me() {
  const kept = sessionStorage.getItem(ME);
  if (kept) return JSON.parse(kept);
  try {
    const { languages } = await api.request("/me");
    sessionStorage.setItem(ME, JSON.stringify({ languages })); // what the console needs, no more
    return { languages };
  } catch {
    return null; // the console works without it, in the browser's language
  }
}

/** No pick this session: the first of the manager's languages the console speaks. */
async function managersLanguage() {
  if (i18n.picked()) return;
  const languages = ((await me()) || {}).languages || [];
  const spoken = languages.find((code) => i18n.LANGUAGES.includes(code));
  if (spoken && spoken !== i18n.current()) {
    await i18n.use(spoken);
    document.getElementById("language").value = spoken;
  }
}

async function start() {
  const config = await (await fetch(new URL("../../../config.json", import.meta.url))).json();
  auth.configure(config);
  api.configure(config);
  await i18n.use(i18n.chosen());
  languageSwitch();
  router.configure(config.consolePath, showPage);
  for (const [pattern, load] of PAGES) router.route(pattern, load);

  if (location.pathname === `${config.consolePath}/callback`) {
    sessionStorage.removeItem(ME); // maybe another person than the last sign-in
    try {
      history.replaceState(null, "", await auth.completeSignIn());
    } catch {
      return message("signInFailed", () => auth.signIn(config.consolePath));
    }
  } else if (!(await auth.idToken())) {
    if (auth.wasSignedOut()) return message("signedOut", () => auth.signIn(config.consolePath));
    return auth.signIn(location.pathname);
  }
  await managersLanguage();
  showChrome();
  await router.show();
}

start();
