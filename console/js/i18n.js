// The console's words in English, Spanish and Arabic (right to left). The choice is
// kept for the session only; without one, the manager's languages decide (GET /me), and
// before sign-in the browser's. Words every page uses are in i18n/<language>.json; a
// page's own are in i18n/<page>.json (all three languages), fetched with the page
// (`export const words = "<page>"` in its module) so the first load stays small.

export const LANGUAGES = ["en", "es", "ar"];
const RTL = new Set(["ar"]);
const CHOICE = "leadflow.language";

let language = "en";
let words = {};
const parts = new Map(); // page words: name → {en: {…}, es: {…}, ar: {…}}

export function current() {
  return language;
}

/** The language the user picked this session, if any. */
export function picked() {
  const kept = sessionStorage.getItem(CHOICE);
  return LANGUAGES.includes(kept) ? kept : null;
}

export function chosen() {
  const kept = picked();
  if (kept) return kept;
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

/** Fetch a page's words (i18n/<part>.json) once. */
export async function need(part) {
  if (!part || parts.has(part)) return;
  const answer = await fetch(new URL(`./i18n/${part}.json`, import.meta.url));
  parts.set(part, await answer.json());
}

function lookup(key) {
  if (key in words) return words[key];
  for (const part of parts.values()) {
    const text = (part[language] && part[language][key]) ?? (part.en && part.en[key]);
    if (text !== undefined) return text;
  }
  return key;
}

/** The text of `key`, `{name}` replaced from `values`. */
export function t(key, values = {}) {
  const text = lookup(key);
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

export function day(iso) {
  return new Intl.DateTimeFormat(language, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso));
}

export function number(value, options = {}) {
  return new Intl.NumberFormat(language, options).format(value);
}

/** `0.25` → "25 %" in the page's language. */
export function percent(ratio) {
  return new Intl.NumberFormat(language, { style: "percent", maximumFractionDigits: 1 }).format(ratio);
}

export function money(amount, currency) {
  return new Intl.NumberFormat(language, { style: "currency", currency }).format(amount);
}

/** A language's name in the page's language ("es" → "Spanish"); the code itself when Intl
 * does not know it; null for none. */
export function languageName(code) {
  return displayName("language", code);
}

/** A country's name ("US" → "United States"), as languageName. */
export function countryName(code) {
  return displayName("region", code);
}

function displayName(type, code) {
  if (!code) return null;
  try {
    return new Intl.DisplayNames([language], { type }).of(code) || code;
  } catch {
    return code;
  }
}
