// My queue: a manager's leads, those waiting for a first call first (the API answers a
// queue status by status, assigned first, newest first in each), with temperature,
// score, the strongest reason, the source and the time to the speed-to-lead deadline.
// Filters by status and temperature; further pages through the API's cursors.

import { request } from "../api.js";
import { element, stateBox } from "../dom.js";
import { relative, t } from "../i18n.js";
import { href } from "../router.js";

export const title = "queue.title";

const STATUSES = ["assigned", "contacted", "qualified", "postponed", "converted", "rejected"];
const TEMPERATURES = ["hot", "warm", "cold"];
const PAGE_SIZE = 25;
const TICK_MS = 30_000;

function filter(id, label, values, prefix) {
  const select = element("select", { id, name: id },
    element("option", { value: "", text: t("queue.any") }),
    ...values.map((value) => element("option", { value, text: t(`${prefix}.${value}`) })));
  return [element("label", { for: id, text: label }), select];
}

function deadline(lead, now) {
  if (!lead.first_call_due_at) return element("span", { className: "muted", text: "—" });
  const left = new Date(lead.first_call_due_at).getTime() - now;
  return left < 0
    ? element("span", { className: "late", text: t("queue.missed", { when: relative(left) }) })
    : element("span", { className: "due", text: t("queue.due", { when: relative(left) }) });
}

function source(lead) {
  const channel = t(`channel.${lead.channel}`);
  return lead.utm_source ? `${channel} · ${lead.utm_source}` : channel;
}

function row(lead, now) {
  const name = element("a", { href: href(`/leads/${encodeURIComponent(lead.lead_id)}`), "data-link": "",
                              text: lead.name });
  const who = element("td", {}, name);
  if (lead.company) who.append(element("span", { className: "company", text: lead.company }));
  const temperature = lead.temperature
    ? element("span", { className: `temperature ${lead.temperature}`, text: t(`temperature.${lead.temperature}`) })
    : element("span", { className: "muted", text: "—" });
  const due = element("td", { className: "deadline" }, deadline(lead, now));
  due.dataset.due = lead.first_call_due_at || "";
  return element("tr", {}, who, element("td", {}, temperature),
    element("td", { className: "number", text: lead.points ?? "—" }),
    element("td", { text: lead.top_reason || "—" }),
    element("td", { text: source(lead) }),
    due,
    element("td", { text: t(`status.${lead.status}`) }));
}

export function render(main) {
  const heading = element("h1", { text: t("queue.title") });
  const form = element("form", { className: "filters", role: "search", "aria-label": t("queue.filters") },
    ...filter("status", t("queue.status"), STATUSES, "status"),
    ...filter("temperature", t("queue.temperature"), TEMPERATURES, "temperature"));
  const state = stateBox();
  const table = element("table", { className: "leads", hidden: "" },
    element("caption", { className: "visually-hidden", text: t("queue.caption") }),
    element("thead", {}, element("tr", {}, ...["lead", "temperature", "score", "reason", "source", "firstCall",
      "status"].map((key) => element("th", { scope: "col", text: t(`queue.column.${key}`) })))),
    element("tbody"));
  const more = element("button", { type: "button", className: "more", hidden: "", text: t("queue.more") });
  main.append(heading, form, state.node, element("div", { className: "table-scroll" }, table), more);

  let cursor = null;
  let loading = 0;

  async function load(reset) {
    const mine = ++loading;
    if (reset) {
      cursor = null;
      table.querySelector("tbody").replaceChildren();
      table.hidden = true;
    }
    more.hidden = true;
    state.loading(t("loading"));
    try {
      const page = await request("/leads", { query: {
        status: form.elements.status.value, temperature: form.elements.temperature.value, limit: PAGE_SIZE,
        cursor,
      } });
      if (mine !== loading) return; // a newer filter won
      const now = Date.now();
      table.querySelector("tbody").append(...page.leads.map((lead) => row(lead, now)));
      cursor = page.next_cursor;
      const shown = table.querySelector("tbody").rows.length;
      table.hidden = shown === 0;
      more.hidden = !cursor;
      state.clear();
      if (!shown && !cursor) {
        const filtered = form.elements.status.value || form.elements.temperature.value;
        state.empty(t(filtered ? "queue.noMatch" : "queue.empty"));
      }
    } catch (error) {
      if (mine !== loading) return;
      state.error(t("queue.error"), () => load(false), t("retry"));
    }
  }

  form.addEventListener("change", () => load(true));
  form.addEventListener("submit", (event) => event.preventDefault());
  more.addEventListener("click", () => load(false));
  // The deadlines count down while the page is open.
  const tick = setInterval(() => {
    const now = Date.now();
    for (const cell of table.querySelectorAll("td.deadline")) {
      if (cell.dataset.due) cell.replaceChildren(deadline({ first_call_due_at: cell.dataset.due }, now));
    }
  }, TICK_MS);
  load(true);
  return () => clearInterval(tick);
}
