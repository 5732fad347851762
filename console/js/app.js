// The console's entry: its settings (config.json, from the stack), the language, the
// session (sign-in through the pool's managed login), then the page the path names.

import * as api from "./api.js";
import * as auth from "./auth.js";
import * as i18n from "./i18n.js";
import * as router from "./router.js";

const main = document.getElementById("main");
let leave = null;
let current = null;

async function showPage(page, params) {
  if (leave) leave();
  leave = null;
  current = { page, params };
  main.replaceChildren();
  document.title = `${i18n.t(page.title)} · Leadflow`;
  leave = (await page.render(main, params)) || null;
}

function message(key, action) {
  main.replaceChildren();
  const heading = document.createElement("h1");
  heading.textContent = i18n.t(key);
  main.append(heading);
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = i18n.t("signIn");
    button.addEventListener("click", action);
    main.append(button);
  }
  document.title = `${i18n.t(key)} · Leadflow`;
}

function showChrome() {
  const nav = document.getElementById("nav");
  const link = document.createElement("a");
  link.href = router.href("/");
  link.dataset.link = "";
  link.dataset.i18n = "queue.title";
  link.textContent = i18n.t("queue.title");
  nav.replaceChildren(link);
  nav.hidden = false;
  const signOut = document.getElementById("sign-out");
  signOut.hidden = false;
  signOut.addEventListener("click", () => auth.signOut());
}

function languageSwitch() {
  const select = document.getElementById("language");
  select.value = i18n.current();
  select.addEventListener("change", async () => {
    await i18n.use(select.value, { keep: true });
    if (current) await showPage(current.page, current.params);
  });
}

async function start() {
  const config = await (await fetch(new URL("../../../config.json", import.meta.url))).json();
  auth.configure(config);
  api.configure(config);
  await i18n.use(i18n.chosen());
  languageSwitch();
  router.configure(config.consolePath, showPage);
  router.route("(?:/queue)?", () => import("./pages/queue.js"));
  router.route("/leads/([^/]+)", () => import("./pages/lead.js"));

  if (location.pathname === `${config.consolePath}/callback`) {
    try {
      history.replaceState(null, "", await auth.completeSignIn());
    } catch {
      return message("signInFailed", () => auth.signIn(`${config.consolePath}/`));
    }
  } else if (!(await auth.idToken())) {
    if (auth.wasSignedOut()) return message("signedOut", () => auth.signIn(`${config.consolePath}/`));
    return auth.signIn(location.pathname);
  }
  showChrome();
  await router.show();
}

start();
