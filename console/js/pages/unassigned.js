// The unassigned queue: leads no manager could take (everyone eligible full, away or
// inactive), newest first, each with its temperature, score, source and age. An admin
// gives one to a manager picked from a list showing each one's load ("Olivia · 3/40");
// a full manager is refused unless the admin assigns anyway (the lead's history keeps
// who forced it). "Run assignment again" sends the whole queue through the usual rules,
// e.g. after a manager was added or came back from leave.

import { ApiError, describe, request } from "../api.js";
import { load, table } from "../admin_form.js";
import { element, stateBox, useStyles } from "../dom.js";
import { relative, t } from "../i18n.js";
import { href } from "../router.js";

export const title = "admin.unassigned.title";
export const words = "admin";
export const adminOnly = true;

const PAGE_SIZE = 25;
const MAX_RUNS = 40; // calls of a rerun at most (each looks at up to 50 leads)
const REASONS = ["no_manager_in_tiers", "managers_unavailable", "managers_full"];

function source(lead) {
  const channel = t(`channel.${lead.channel}`);
  return lead.utm_source ? `${channel} · ${lead.utm_source}` : channel;
}

function managerLabel(manager) {
  const parts = [manager.name, load(manager.open_leads, manager.capacity)];
  if (!manager.active) parts.push(t("admin.unassigned.inactive"));
  else if (manager.on_leave) parts.push(t("admin.unassigned.onLeave"));
  else if (manager.open_leads >= manager.capacity) parts.push(t("admin.unassigned.full"));
  return parts.join(" · ");
}

function available(manager) {
  return manager.active && !manager.on_leave;
}

export function render(main) {
  useStyles("admin");
  const state = stateBox();
  const said = stateBox(); // what the last hand-out or rerun did
  const rerun = element("button", { type: "button", className: "primary", text: t("admin.unassigned.rerun") });
  const list = table("unassigned", t("admin.unassigned.caption"), [
    ["lead", t("admin.unassigned.column.lead")], ["temperature", t("admin.unassigned.column.temperature")],
    ["score", t("admin.unassigned.column.score")], ["source", t("admin.unassigned.column.source")],
    ["age", t("admin.unassigned.column.age")], ["handOut", t("admin.unassigned.column.handOut")]]);
  const more = element("button", { type: "button", className: "more", hidden: "", text: t("admin.unassigned.more") });
  main.append(element("h1", { text: t(title) }),
    element("p", { className: "lede", text: t("admin.unassigned.lede") }),
    element("div", { className: "toolbar" }, rerun, element("p", { className: "hint", text: t("admin.unassigned.rerunHint") })),
    said.node, state.node, element("div", { className: "table-scroll" }, list.node), more);

  let managers = [];
  let cursor = null;
  let loading = 0;

  function refreshChoices() {
    for (const select of list.body.querySelectorAll("select")) {
      const chosen = select.value;
      select.replaceChildren(element("option", { value: "", text: t("admin.unassigned.choose") }),
        ...managers.map((manager) => element("option", { value: manager.manager_id, text: managerLabel(manager),
          disabled: !available(manager), selected: manager.manager_id === chosen })));
    }
  }

  function row(lead) {
    const now = Date.now();
    const note = element("p", { className: "row-note", role: "status" });
    const select = element("select", { id: `manager-${lead.lead_id}` });
    const give = element("button", { type: "button", text: t("admin.unassigned.give") });
    const who = [element("a", { href: href(`/leads/${encodeURIComponent(lead.lead_id)}`), "data-link": "",
      text: lead.name })];
    if (lead.company) who.push(element("span", { className: "company", text: lead.company }));
    const temperature = lead.temperature
      ? element("span", { className: `temperature ${lead.temperature}`, text: t(`temperature.${lead.temperature}`) })
      : element("span", { className: "muted", text: "—" });
    const tr = list.row([
      ["lead", ...who],
      ["temperature", temperature],
      ["score", { className: "number" }, String(lead.points ?? "—")],
      ["source", source(lead)],
      ["age", { title: lead.created_at }, relative(new Date(lead.created_at).getTime() - now)],
      ["handOut", element("div", { className: "hand-out" },
        element("label", { for: select.id, className: "visually-hidden",
          text: t("admin.unassigned.managerFor", { name: lead.name }) }), select, give), note],
    ], { "data-lead": lead.lead_id });

    async function handOut(force) {
      const manager = managers.find((m) => m.manager_id === select.value);
      note.replaceChildren();
      note.className = "row-note";
      if (!manager) {
        note.className = "row-note problem";
        note.textContent = t("admin.unassigned.chooseFirst");
        select.focus();
        return;
      }
      give.disabled = true;
      try {
        const given = await request(`/admin/unassigned/${encodeURIComponent(lead.lead_id)}/assign`, {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ manager_id: manager.manager_id, force }) });
        Object.assign(manager, { open_leads: given.open_leads, capacity: given.capacity });
        tr.remove();
        refreshChoices();
        said.done(t(given.forced ? "admin.unassigned.forced" : "admin.unassigned.given",
          { lead: lead.name, manager: manager.name, load: load(given.open_leads, given.capacity) }));
        if (!list.body.rows.length && !cursor) showEmpty();
      } catch (error) {
        give.disabled = false;
        note.className = "row-note problem";
        if (error instanceof ApiError && error.code === "manager_full") {
          const anyway = element("button", { type: "button", className: "danger", text: t("admin.unassigned.anyway") });
          anyway.addEventListener("click", () => handOut(true));
          note.append(element("span", { text: t("admin.unassigned.isFull",
            { manager: manager.name, load: load(manager.open_leads, manager.capacity) }) }), " ", anyway);
          anyway.focus();
        } else if (error instanceof ApiError && error.code === "lead_not_unassigned") {
          note.textContent = t("admin.unassigned.taken");
        } else if (error instanceof ApiError && error.code === "manager_unavailable") {
          note.textContent = t("admin.unassigned.unavailable", { manager: manager.name });
        } else if (error instanceof ApiError && error.code === "lead_changed") {
          note.textContent = t("admin.unassigned.changed");
        } else {
          note.textContent = t(describe(error));
        }
      } finally {
        if (tr.isConnected) give.disabled = false;
      }
    }

    give.addEventListener("click", () => handOut(false));
    select.addEventListener("change", () => {
      note.replaceChildren();
      note.className = "row-note";
    });
    return tr;
  }

  function showEmpty() {
    list.node.hidden = true;
    more.hidden = true;
    state.empty(t("admin.unassigned.empty"));
  }

  async function loadPage(reset) {
    const mine = ++loading;
    if (reset) {
      cursor = null;
      list.body.replaceChildren();
      list.node.hidden = true;
    }
    more.hidden = true;
    state.loading(t("loading"));
    try {
      const [page, roster] = await Promise.all([
        request("/admin/unassigned", { query: { limit: PAGE_SIZE, cursor } }),
        reset || !managers.length ? request("/admin/managers") : Promise.resolve(null),
      ]);
      if (mine !== loading) return;
      if (roster) managers = roster.managers.filter((m) => m.active || m.open_leads > 0);
      list.body.append(...page.leads.map(row));
      refreshChoices();
      cursor = page.next_cursor;
      const shown = list.body.rows.length;
      list.node.hidden = shown === 0;
      more.hidden = !cursor;
      state.clear();
      if (!shown && !cursor) showEmpty();
    } catch (error) {
      if (mine !== loading) return;
      state.error(t(describe(error)), () => loadPage(reset), t("retry"));
    }
  }

  rerun.addEventListener("click", async () => {
    rerun.disabled = true;
    said.loading(t("admin.unassigned.rerunning"));
    const total = { checked: 0, assigned: 0, left: 0, skipped: 0 };
    const reasons = new Map();
    try {
      let next = null;
      for (let run = 0; run < MAX_RUNS; run += 1) {
        const done = await request("/admin/unassigned/rerun", { method: "POST", query: { cursor: next } });
        for (const key of Object.keys(total)) total[key] += done[key];
        for (const move of done.leads) {
          if (move.outcome === "left" && move.reason) reasons.set(move.reason, (reasons.get(move.reason) || 0) + 1);
        }
        next = done.next_cursor;
        if (!next) break;
      }
      const why = [...reasons].filter(([reason]) => REASONS.includes(reason))
        .map(([reason, count]) => t("admin.unassigned.reason", { reason: t(`admin.unassigned.why.${reason}`), count }));
      said.done([t("admin.unassigned.rerunDone", total), ...why].join(" "));
    } catch (error) {
      said.error(t(describe(error)));
    } finally {
      rerun.disabled = false;
    }
    await loadPage(true);
  });
  more.addEventListener("click", () => loadPage(false));
  loadPage(true);
}
