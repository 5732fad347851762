// Export & erasure: the leads as a CSV file (filters only in the address, every page of
// the API's export fetched with the user's token and saved through a Blob URL), and the
// erasure of a person by email or phone, confirmed by typing it again, with what it did.
// The person's email or phone goes only in a request body, and leaves the page once done.

import { ApiError, describe, request, signedFetch } from "../api.js";
import { element, stateBox, useStyles } from "../dom.js";
import { parseCsv, saveBlob } from "../files.js";
import { number, t } from "../i18n.js";
import { href } from "../router.js";

export const title = "nav.data";
export const words = "data";
export const adminOnly = true;

const STATUSES = ["new", "assigned", "unassigned", "contacted", "qualified", "postponed", "converted", "rejected"];
const TEMPERATURES = ["hot", "warm", "cold"];
const EXPORT_PAGE = 500; // the API's most per call
const COUNTS = ["leads_anonymized", "contacts_anonymized", "submissions_deleted", "activities_deleted",
                "identities_deleted", "reminders_cancelled", "autoreply_counters_deleted", "other_items_deleted"];

function choice(id, label, options) {
  return element("div", { className: "field" }, element("label", { for: id, text: label }),
    element("select", { id, name: id }, element("option", { value: "", text: t("data.export.any") }),
      ...options.map(([value, text]) => element("option", { value, text }))));
}

function day(id, label) {
  return element("div", { className: "field" }, element("label", { for: id, text: label }),
    element("input", { id, name: id, type: "date" }));
}

/** The same person typed twice: emails any case, phones whatever their spaces and dashes. */
function same(kind, first, second) {
  const plain = (text) => (kind === "email" ? text.trim().toLowerCase() : text.replace(/[^\d+]/g, ""));
  return plain(first) !== "" && plain(first) === plain(second);
}

export function render(main) {
  useStyles("tools");
  let alive = true;

  // -- the export ------------------------------------------------------------------------
  const exportState = stateBox();
  const download = element("button", { type: "submit", className: "primary", text: t("data.export.button") });
  const managers = choice("export-manager", t("data.export.manager"), []);
  const exportForm = element("form", { className: "filters-grid", "aria-labelledby": "data-export",
                                       novalidate: true },
    choice("export-status", t("data.export.status"), STATUSES.map((s) => [s, t(`status.${s}`)])),
    choice("export-temperature", t("data.export.temperature"), TEMPERATURES.map((s) => [s, t(`temperature.${s}`)])),
    managers, day("export-from", t("data.export.from")), day("export-to", t("data.export.to")),
    element("div", { className: "actions" }, download));
  const exportPanel = element("section", { className: "panel", "aria-labelledby": "data-export" },
    element("h2", { id: "data-export", text: t("data.export.title") }),
    element("p", { text: t("data.export.intro") }), exportForm, exportState.node);

  // -- the erasure -----------------------------------------------------------------------
  const eraseState = stateBox();
  const byEmail = element("input", { type: "radio", name: "erase-by", id: "erase-by-email", value: "email",
                                     checked: "" });
  const byPhone = element("input", { type: "radio", name: "erase-by", id: "erase-by-phone", value: "phone" });
  const who = element("input", { id: "erase-who", type: "email", autocomplete: "off", required: "",
                                 spellcheck: "false" });
  const whoLabel = element("label", { for: "erase-who" });
  const again = element("input", { id: "erase-again", type: "email", autocomplete: "off", required: "",
                                   spellcheck: "false", "aria-describedby": "erase-again-error" });
  const againLabel = element("label", { for: "erase-again" });
  const againError = element("p", { id: "erase-again-error", className: "field-error", hidden: "" });
  const country = element("input", { id: "erase-country", maxlength: 2, autocomplete: "off", size: 3,
                                     "aria-describedby": "erase-country-hint" });
  const countryField = element("div", { className: "field", hidden: "" },
    element("label", { for: "erase-country", text: t("data.erase.country") }),
    element("p", { id: "erase-country-hint", className: "hint", text: t("data.erase.countryHint") }), country);
  const erase = element("button", { type: "submit", className: "danger", text: t("data.erase.button") });
  const eraseForm = element("form", { className: "erase", "aria-labelledby": "data-erase", novalidate: true },
    element("fieldset", { className: "by" }, element("legend", { text: t("data.erase.by") }),
      element("label", {}, byEmail, ` ${t("data.erase.byEmail")}`),
      element("label", {}, byPhone, ` ${t("data.erase.byPhone")}`)),
    element("div", { className: "field" }, whoLabel, who), countryField,
    element("div", { className: "field" }, againLabel, again, againError),
    element("div", { className: "warning", role: "note" }, element("p", { text: t("data.erase.warning") })),
    element("div", { className: "actions" }, erase));
  const erasePanel = element("section", { className: "panel", "aria-labelledby": "data-erase" },
    element("h2", { id: "data-erase", text: t("data.erase.title") }),
    element("p", { text: t("data.erase.intro") }), eraseForm, eraseState.node);

  main.append(element("div", { className: "tools" }, element("h1", { text: t("nav.data") }), exportPanel, erasePanel));

  async function loadManagers() {
    try {
      const answer = await request("/admin/managers");
      if (!alive) return;
      managers.querySelector("select").append(element("option", { value: "unassigned", text: t("data.export.nobody") }),
        ...answer.managers.map((manager) => element("option", { value: manager.manager_id, text: manager.name })));
    } catch {
      // the export works without the list: every manager's leads
    }
  }

  async function exportLeads() {
    const value = (id) => exportForm.elements[id].value;
    const query = { status: value("export-status"), temperature: value("export-temperature"),
                    manager_id: value("export-manager"), from: value("export-from"), to: value("export-to"),
                    limit: EXPORT_PAGE };
    if (query.from && query.to && query.from > query.to) {
      exportState.error(t("data.export.badRange"));
      return;
    }
    download.disabled = true;
    exportState.loading(t("data.export.running"));
    const pages = [];
    try {
      let cursor = null;
      do {
        const answer = await signedFetch("/exports/leads", { query: { ...query, cursor },
                                                             headers: { Accept: "text/csv" } });
        if (!answer.ok) throw new ApiError(answer.status, await answer.json().catch(() => null));
        pages.push(await answer.text());
        cursor = answer.headers.get("X-Next-Cursor");
        if (!alive) return;
        if (cursor) exportState.loading(t("data.export.progress", { pages: number(pages.length) }));
      } while (cursor);
    } catch (error) {
      if (alive) exportState.error(t(describe(error)), exportLeads, t("retry"));
      return;
    } finally {
      download.disabled = false;
    }
    const text = pages.join("");
    const leads = Math.max(0, parseCsv(text).filter((record) => record.length > 1).length - 1);
    const name = `leads-${new Date().toISOString().slice(0, 10)}.csv`;
    // A byte order mark: spreadsheets then read the names (accents, Arabic) as UTF-8.
    saveBlob(new Blob(["\uFEFF", text], { type: "text/csv;charset=utf-8" }), name);
    exportState.done(leads ? t("data.export.done", { count: number(leads), name }) : t("data.export.none", { name }));
  }

  // -- erasing ---------------------------------------------------------------------------
  function kind() {
    return byPhone.checked ? "phone" : "email";
  }

  function showKind() {
    const phone = kind() === "phone";
    for (const input of [who, again]) {
      input.type = phone ? "tel" : "email";
      input.value = "";
      input.removeAttribute("aria-invalid");
    }
    whoLabel.textContent = t(phone ? "data.erase.phone" : "data.erase.email");
    againLabel.textContent = t(phone ? "data.erase.phoneAgain" : "data.erase.emailAgain");
    countryField.hidden = !phone;
    againError.hidden = true;
  }

  function forgetPerson() {
    for (const input of [who, again, country]) input.value = "";
  }

  function showErased(record) {
    const found = record.lead_ids.length;
    const lines = COUNTS.filter((key) => record.counts[key])
      .map((key) => element("li", { text: t(`data.erase.count.${key}`, { count: number(record.counts[key]) }) }));
    eraseState.done(t(found ? "data.erase.done" : `data.erase.nobody.${record.matched_by}`));
    const box = eraseState.node;
    if (lines.length) box.append(element("ul", { className: "erased-counts" }, ...lines));
    if (record.related_lead_ids.length) {
      box.append(element("p", { className: "note", text: t("data.erase.related", {
        count: number(record.related_lead_ids.length) }) }),
      element("ul", {}, ...record.related_lead_ids.map((id) => element("li", {},
        element("a", { href: href(`/leads/${encodeURIComponent(id)}`), "data-link": "", dir: "ltr", text: id })))));
    }
    if (!record.events_published) box.append(element("p", { className: "note", text: t("data.erase.notPublished") }));
    box.append(element("p", { className: "muted" }, t("data.erase.reference"), " ",
      element("code", { dir: "ltr", text: record.erasure_id })));
  }

  function eraseRefused(error) {
    const code = error instanceof ApiError ? error.code : null;
    const key = `data.erase.error.${code}`;
    const text = code ? t(key) : key;
    eraseState.error(text === key ? t(describe(error)) : text);
    if (["invalid_email", "invalid_phone", "country_required"].includes(code)) {
      (code === "country_required" ? country : who).setAttribute("aria-invalid", "true");
      (code === "country_required" ? country : who).focus();
    }
  }

  async function eraseSomeone() {
    const by = kind();
    againError.hidden = true;
    for (const input of [who, again, country]) input.removeAttribute("aria-invalid");
    eraseState.clear();
    if (!who.value.trim()) {
      who.setAttribute("aria-invalid", "true");
      who.focus();
      eraseState.error(t(by === "phone" ? "data.erase.needPhone" : "data.erase.needEmail"));
      return;
    }
    if (!same(by, who.value, again.value)) {
      againError.textContent = t(by === "phone" ? "data.erase.mismatchPhone" : "data.erase.mismatchEmail");
      againError.hidden = false;
      again.setAttribute("aria-invalid", "true");
      again.focus();
      return;
    }
    const body = by === "phone" ? { phone: who.value.trim(), country: country.value.trim().toUpperCase() || null }
      : { email: who.value.trim() };
    erase.disabled = true;
    eraseState.loading(t("data.erase.running"));
    try {
      const record = await request("/erasures", { method: "POST", headers: { "Content-Type": "application/json" },
                                                  body: JSON.stringify(body) });
      if (!alive) return;
      forgetPerson();
      showErased(record);
    } catch (error) {
      if (alive) eraseRefused(error);
    } finally {
      erase.disabled = false;
    }
  }

  exportForm.addEventListener("submit", (event) => {
    event.preventDefault();
    exportLeads();
  });
  eraseForm.addEventListener("submit", (event) => {
    event.preventDefault();
    eraseSomeone();
  });
  byEmail.addEventListener("change", showKind);
  byPhone.addEventListener("change", showKind);
  showKind();
  loadManagers();
  return () => {
    alive = false;
    forgetPerson();
  };
}
