// Partners (admins): what each referral partner and lead group brought in a month (GET
// /reports/partners): referrals received, contacted, qualified, converted, the median
// time to a first contact, what a converted referral cost (a group's monthly fee,
// entered here too), the referrals we gave back, the partners flagged for sending
// referrals that rarely get anywhere, and the codes no partner has. A referral given to
// a partner is recorded here (POST /partners/{id}/given). Managers see only that: they
// give referrals back too, from the partners' names (GET /partners), never the report.

import { describe, request } from "../api.js";
import * as auth from "../auth.js";
import { element, stateBox, useStyles } from "../dom.js";
import { money, number, percent, t } from "../i18n.js";

export const title = "nav.partners";
export const words = "partners";
export const adminOnly = false;

const COLUMNS = ["received", "contacted", "qualified", "converted", "conversion", "toFirstContact", "costPerConverted",
  "given"];

function thisMonth() {
  return new Date().toISOString().slice(0, 7);
}

function cash(value) {
  return value ? money(value.amount, value.currency) : "—";
}

function minutes(value) {
  if (value === null || value === undefined) return "—";
  if (value < 120) return t("partners.minutes", { count: number(value, { maximumFractionDigits: 1 }) });
  return t("partners.hours", { count: number(value / 60, { maximumFractionDigits: 1 }) });
}

const CELLS = {
  received: (row) => number(row.received),
  contacted: (row) => number(row.contacted),
  qualified: (row) => number(row.qualified),
  converted: (row) => number(row.converted),
  conversion: (row) => (row.conversion_rate === null ? "—" : percent(row.conversion_rate)),
  toFirstContact: (row) => minutes(row.median_minutes_to_first_contact),
  costPerConverted: (row) => cash(row.cost_per_converted),
  given: (row) => number(row.given),
};

let tables = 0;

/** A table titled above its scroller (a phone scrolls the table sideways, not its title). */
function dataTable(caption, head, rows) {
  const id = `partners-table-${++tables}`;
  return element("div", { className: "table-block" },
    element("p", { className: "table-title", id, text: caption }),
    element("div", { className: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": id },
      element("table", { className: "leads report-table", "aria-labelledby": id },
        element("thead", {}, element("tr", {}, ...head.map(([key, numeric]) => element("th", { scope: "col",
          className: numeric ? "number" : null, text: t(`partners.column.${key}`) })))),
        element("tbody", {}, ...rows))));
}

function countCells(row) {
  return COLUMNS.map((column) => element("td", { className: "number", text: CELLS[column](row) }));
}

function partnerRow(row) {
  const name = element("th", { scope: "row" }, element("span", { text: row.name }), " ",
    element("code", { text: row.partner_id }));
  const flag = row.flagged
    ? element("span", { className: "flag", text: t("partners.flagged") })
    : (row.active ? "" : element("span", { className: "muted", text: t("partners.inactive") }));
  const tr = element("tr", {}, name, element("td", { text: row.group_id || "—" }), element("td", {}, flag),
    ...countCells(row));
  tr.dataset.value = row.partner_id;
  return tr;
}

function groupRow(row) {
  const tr = element("tr", {}, element("th", { scope: "row", text: row.name }),
    element("td", { className: "number", text: number(row.members.length) }), ...countCells(row),
    element("td", { className: "number", text: cash(row.cost) }));
  tr.dataset.value = row.group_id;
  return tr;
}

function results(report) {
  const content = [];
  const numbers = COLUMNS.map((key) => [key, true]);
  if (!report.partners.length) {
    content.push(element("p", { className: "state empty", text: t("partners.none") }));
  } else {
    content.push(dataTable(t("partners.caption.partners"), [["partner", false], ["group", false], ["flag", false],
      ...numbers], report.partners.map(partnerRow)));
  }
  if (report.groups.length) {
    content.push(dataTable(t("partners.caption.groups"), [["group", false], ["members", true], ...numbers,
      ["cost", true]], report.groups.map(groupRow)));
  }
  if (report.unknown_codes.length) {
    content.push(dataTable(t("partners.caption.unknown"), [["ref", false], ["received", true]],
      report.unknown_codes.map((code) => element("tr", {}, element("th", { scope: "row" },
        element("code", { text: code.ref })), element("td", { className: "number", text: number(code.received) })))));
  }
  content.push(element("p", { className: "muted flag-rule", text: t("partners.flagRule") }));
  return content;
}

function partnerChoice(id, label, partners, filter = () => true) {
  const select = element("select", { id, name: id, required: true },
    ...partners.filter(filter).map((p) => element("option", { value: p.partner_id, text: `${p.name} (${p.partner_id})` })));
  return [element("label", { for: id, text: label }), select];
}

function giveForm(report, reload, notice) {
  const state = stateBox();
  const note = element("textarea", { id: "given-note", name: "note", required: true, maxlength: "1000", rows: "2" });
  const form = element("form", { className: "given-form", "aria-labelledby": "given-title" },
    element("h2", { id: "given-title", text: t("partners.give.title") }),
    element("p", { className: "muted", text: t("partners.give.help") }),
    ...partnerChoice("given-partner", t("partners.give.partner"), report.partners),
    element("label", { for: "given-note", text: t("partners.give.note") }), note,
    element("button", { type: "submit", text: t("partners.give.save") }), state.node);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const partnerId = form.elements["given-partner"].value;
    try {
      await request(`/partners/${encodeURIComponent(partnerId)}/given`, { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ note: note.value }) });
      await reload(); // the forms are drawn again: the page's notice says it was done
      notice.done(t("partners.give.done", { partner: partnerId }));
    } catch (error) {
      state.error(t(describe(error)));
    }
  });
  return form;
}

function feeForm(report, period, reload, notice) {
  const state = stateBox();
  const amount = element("input", { id: "fee-amount", name: "amount", required: true, inputmode: "decimal",
                                    pattern: "\\d{1,12}(\\.\\d{1,2})?" });
  const currency = element("input", { id: "fee-currency", name: "currency", required: true, value: "EUR",
                                      pattern: "[A-Za-z]{3}", size: "4" });
  const groups = report.partners.filter((p) => p.kind === "group");
  const form = element("form", { className: "fee-form", "aria-labelledby": "fee-title" },
    element("h2", { id: "fee-title", text: t("partners.fee.title") }),
    element("p", { className: "muted", text: t("partners.fee.help", { month: period }) }),
    ...partnerChoice("fee-partner", t("partners.fee.partner"), groups.length ? groups : report.partners),
    element("label", { for: "fee-amount", text: t("partners.fee.amount") }), amount,
    element("label", { for: "fee-currency", text: t("partners.fee.currency") }), currency,
    element("button", { type: "submit", text: t("partners.fee.save") }), state.node);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await request("/reports/costs", { method: "PUT", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ month: period, partner: form.elements["fee-partner"].value, amount: amount.value,
                               currency: currency.value }) });
      await reload();
      notice.done(t("partners.fee.done"));
    } catch (error) {
      state.error(t(describe(error)));
    }
  });
  return form;
}

// A manager's view: the referral given back, to a partner chosen by name.
function renderForManager(main) {
  const state = stateBox();
  const notice = stateBox();
  const forms = element("div", { className: "partners-forms" });
  main.append(element("h1", { text: t("nav.partners") }),
    element("p", { className: "muted", text: t("partners.managerIntro") }), state.node,
    element("div", { className: "partners-notice" }, notice.node), forms);
  async function load() {
    state.loading(t("loading"));
    try {
      const { partners } = await request("/partners");
      state.clear();
      forms.replaceChildren(...(partners.length ? [giveForm({ partners }, load, notice)]
        : [element("p", { className: "state", text: t("partners.noneYet") })]));
    } catch (error) {
      state.error(t(describe(error)), load, t("retry"));
    }
  }
  load();
}

export function render(main) {
  useStyles("reports");
  useStyles("partners");
  if (!(auth.user() || {}).admin) {
    renderForManager(main);
    return;
  }
  const params = new URLSearchParams(location.search);
  let period = /^\d{4}-\d{2}$/.test(params.get("period") || "") ? params.get("period") : thisMonth();
  const monthInput = element("input", { type: "month", id: "partners-month", name: "period", value: period,
                                        required: true });
  const choose = element("form", { className: "filters", role: "search", "aria-label": t("partners.period") },
    element("label", { for: "partners-month", text: t("partners.month") }), monthInput,
    element("button", { type: "submit", text: t("partners.show") }));
  const state = stateBox();
  const body = element("div", { className: "partners-results" });
  const forms = element("div", { className: "partners-forms" });
  const notice = stateBox();
  main.append(element("h1", { text: t("nav.partners") }),
    element("p", { className: "muted", text: t("partners.intro") }), choose, state.node, body,
    element("div", { className: "partners-notice" }, notice.node), forms);

  async function load() {
    state.loading(t("loading"));
    try {
      const report = await request("/reports/partners", { query: { period } });
      state.clear();
      body.replaceChildren(...results(report));
      forms.replaceChildren(...(report.partners.length
        ? [giveForm(report, load, notice), feeForm(report, period, load, notice)] : []));
      body.dataset.period = report.period;
    } catch (error) {
      body.replaceChildren();
      state.error(t(describe(error)), load, t("retry"));
    }
  }

  choose.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!/^\d{4}-\d{2}$/.test(monthInput.value)) return;
    period = monthInput.value;
    notice.clear();
    history.replaceState(null, "", `${location.pathname}?period=${period}`);
    load();
  });
  load();
}
