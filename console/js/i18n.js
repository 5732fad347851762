// The console's words in English, Spanish and Arabic (right to left). The choice is
// kept for the session only; without one, the browser's languages decide.

export const LANGUAGES = ["en", "es", "ar"];
const RTL = new Set(["ar"]);
const CHOICE = "leadflow.language";

let language = "en";
let words = {};

export function current() {
  return language;
}

export function chosen() {
  const kept = sessionStorage.getItem(CHOICE);
  if (LANGUAGES.includes(kept)) return kept;
  for (const tag of navigator.languages || []) {
    const code = tag.slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(code)) return code;
  }
  return "en";
}

/** Load `code`'s words and turn the page to it (lang, dir, every [data-i18n]). */
export async function use(code, { keep = false } = {}) {
  language = LANGUAGES.includes(code) ? code : "en";
  const answer = await fetch(new URL(`./i18n/${language}.json`, import.meta.url));
  words = await answer.json();
  if (keep) sessionStorage.setItem(CHOICE, language);
  document.documentElement.lang = language;
  document.documentElement.dir = RTL.has(language) ? "rtl" : "ltr";
  translate(document);
}

/** The text of `key`, `{name}` replaced from `values`. */
export function t(key, values = {}) {
  const text = words[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function translate(root) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}

/** "in 12 minutes" / "3 minutes ago" in the page's language. */
export function relative(ms) {
  const format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const minutes = Math.round(ms / 60000);
  if (Math.abs(minutes) < 60) return format.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return format.format(hours, "hour");
  return format.format(Math.round(hours / 24), "day");
}

export function dateTime(iso) {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}
