// The managers: who takes leads, how many each holds against their capacity, when they
// last got one, who is away or inactive, and who can sign in. An admin adds a manager,
// changes one (tier, languages, territories, capacity, active, leave), invites a login
// bound to them, or offboards them: they get no new leads and their open leads move to
// others by the usual rules (those nobody can take wait in the unassigned queue).

import { describe, request } from "../api.js";
import { changes, filled, listed, load, openDialog, table } from "../admin_form.js";
import { element, stateBox, useStyles } from "../dom.js";
import { countryName, day, languageName, relative, t } from "../i18n.js";
import { href } from "../router.js";

export const title = "admin.managers.title";
export const words = "admin";
export const adminOnly = true;

const MAX_RUNS = 100; // offboarding calls at most (each moves up to 50 leads)
const JSON_BODY = { "Content-Type": "application/json" };

function today() {
  return new Date().toISOString().slice(0, 10);
}

function managerSpecs(isNew) {
  const specs = [
    { name: "name", label: t("admin.managers.field.name"), half: true },
    { name: "email", label: t("admin.managers.field.email"), type: "email", dir: "ltr", half: true,
      hint: t("admin.managers.hint.email") },
    { name: "tier", label: t("admin.managers.field.tier"), type: "select",
      options: [1, 2, 3].map((tier) => [String(tier), t(`admin.managers.tier.${tier}`)]) },
    { name: "languages", label: t("admin.managers.field.languages"), type: "list", change: "lower", dir: "ltr",
      half: true, hint: t("admin.managers.hint.languages"), invalid: "admin.managers.invalid.languages" },
    { name: "territories", label: t("admin.managers.field.territories"), type: "list", change: "upper", dir: "ltr",
      half: true, hint: t("admin.managers.hint.territories"), invalid: "admin.managers.invalid.territories" },
    { name: "capacity", label: t("admin.managers.field.capacity"), type: "number", min: 0, max: 100000, step: 1,
      half: true, inputmode: "numeric", hint: t("admin.managers.hint.capacity") },
  ];
  if (isNew) {
    specs.unshift({ name: "manager_id", label: t("admin.managers.field.id"), dir: "ltr",
      hint: t("admin.managers.hint.id"), invalid: "admin.field.id", owns: ["manager_exists"] });
    return { specs };
  }
  const clear = element("button", { type: "button", className: "secondary small", text: t("admin.managers.clearLeave") });
  specs.push({ name: "on_leave_until", label: t("admin.managers.field.leave"), type: "date", min: today(), half: true,
    hint: t("admin.managers.hint.leave"), invalid: "admin.field.date", extra: clear },
  { name: "active", label: t("admin.managers.field.active"), type: "checkbox", hint: t("admin.managers.hint.active") });
  return { specs, clear };
}

/** The body the API takes: the tier (a select's value) as a number. */
function asManager(values) {
  return "tier" in values && values.tier !== null ? { ...values, tier: Number(values.tier) } : values;
}

function status(manager) {
  const parts = [];
  if (!manager.active) parts.push(element("span", { className: "badge off", text: t("admin.managers.inactive") }));
  else if (manager.on_leave) {
    parts.push(element("span", { className: "badge away",
      text: t("admin.managers.onLeaveUntil", { day: day(manager.on_leave_until) }) }));
  } else parts.push(element("span", { className: "badge on", text: t("admin.managers.active") }));
  if (manager.active && !manager.on_leave && manager.on_leave_until) {
    parts.push(element("span", { className: "muted block",
      text: t("admin.managers.leaveFrom", { day: day(manager.on_leave_until) }) }));
  }
  if (manager.email_status === "suppressed") {
    parts.push(element("span", { className: "warning block", text: t("admin.managers.suppressed") }));
  }
  return parts;
}

function loginOf(login) {
  if (!login) return element("span", { className: "muted", text: t("admin.managers.login.none") });
  if (!login.enabled) return element("span", { text: t("admin.managers.login.disabled") });
  return element("span", { text: t(login.status === "FORCE_CHANGE_PASSWORD" ? "admin.managers.login.invited"
    : "admin.managers.login.active") });
}

function reach(manager) {
  const languages = listed(manager.languages.map(languageName)) || "—";
  const territories = manager.territories.length ? listed(manager.territories.map(countryName))
    : t("admin.managers.anywhere");
  return [element("span", { className: "block", text: languages }),
    element("span", { className: "muted block", text: territories })];
}

export function render(main) {
  useStyles("admin");
  const state = stateBox();
  const said = stateBox();
  const add = element("button", { type: "button", className: "primary", text: t("admin.managers.add") });
  const list = table("managers", t("admin.managers.caption"), [
    ["manager", t("admin.managers.column.manager")], ["tier", t("admin.managers.column.tier")],
    ["reach", t("admin.managers.column.reach")], ["load", t("admin.managers.column.load")],
    ["last", t("admin.managers.column.last")], ["status", t("admin.managers.column.status")],
    ["login", t("admin.managers.column.login")], ["actions", t("admin.managers.column.actions")]]);
  main.append(element("h1", { text: t(title) }), element("p", { className: "lede", text: t("admin.managers.lede") }),
    element("div", { className: "toolbar" }, add), said.node, state.node,
    element("div", { className: "table-scroll" }, list.node));

  let loading = 0;

  function actions(manager, login) {
    const edit = element("button", { type: "button", className: "small", text: t("admin.managers.edit"),
      "aria-label": t("admin.managers.editWho", { name: manager.name }) });
    edit.addEventListener("click", () => editManager(manager));
    const buttons = [edit];
    if (!login) {
      const invite = element("button", { type: "button", className: "small", text: t("admin.managers.invite"),
        "aria-label": t("admin.managers.inviteWho", { name: manager.name }) });
      invite.addEventListener("click", () => inviteLogin(manager));
      buttons.push(invite);
    }
    if (manager.active || manager.open_leads > 0) {
      const leave = element("button", { type: "button", className: "small danger", text: t("admin.managers.offboard"),
        "aria-label": t("admin.managers.offboardWho", { name: manager.name }) });
      leave.addEventListener("click", () => offboard(manager));
      buttons.push(leave);
    }
    return element("div", { className: "row-actions" }, ...buttons);
  }

  function row(manager, logins) {
    const login = logins ? logins.get(manager.manager_id) : undefined;
    const full = manager.open_leads >= manager.capacity;
    const last = manager.last_assigned_at
      ? relative(new Date(manager.last_assigned_at).getTime() - Date.now()) : t("admin.managers.never");
    return list.row([
      ["manager", element("span", { className: "name", text: manager.name }),
        element("span", { className: "muted block", dir: "ltr", text: manager.email })],
      ["tier", t("admin.managers.tierShort", { tier: manager.tier })],
      ["reach", ...reach(manager)],
      ["load", { className: full ? "number full" : "number" }, load(manager.open_leads, manager.capacity),
        full ? element("span", { className: "block", text: t("admin.managers.full") }) : null],
      ["last", { title: manager.last_assigned_at || "" }, last],
      ["status", ...status(manager)],
      ["login", logins ? loginOf(login) : element("span", { className: "muted", text: "—" })],
      ["actions", actions(manager, logins ? login : null)],
    ], { "data-manager": manager.manager_id });
  }

  async function show() {
    const mine = ++loading;
    state.loading(t("loading"));
    try {
      const [roster, users] = await Promise.all([request("/admin/managers"),
        request("/admin/users").catch(() => null)]); // the list stands without the logins
      if (mine !== loading) return;
      const logins = users && new Map(users.users.filter((u) => u.manager_id).map((u) => [u.manager_id, u]));
      list.body.replaceChildren(...roster.managers.map((manager) => row(manager, logins)));
      list.node.hidden = roster.managers.length === 0;
      if (roster.managers.length) state.clear();
      else state.empty(t("admin.managers.empty"));
    } catch (error) {
      if (mine !== loading) return;
      state.error(t(describe(error)), show, t("retry"));
    }
  }

  async function addManager() {
    const added = await openDialog({
      title: t("admin.managers.addTitle"), specs: managerSpecs(true).specs, submit: t("admin.managers.addSubmit"),
      values: { tier: "2", languages: ["en"], capacity: 50 },
      send: (values) => request("/admin/managers", { method: "POST", headers: JSON_BODY,
        body: JSON.stringify(filled(asManager(values))) }),
    });
    if (!added) return add.focus();
    said.done(t("admin.managers.added", { name: added.name }));
    await show();
  }

  async function editManager(manager) {
    const { specs, clear } = managerSpecs(false);
    const before = { ...manager, tier: String(manager.tier) };
    const pending = openDialog({
      title: t("admin.managers.editTitle", { name: manager.name }), specs, values: before,
      submit: t("save"),
      send: (values) => request(`/admin/managers/${encodeURIComponent(manager.manager_id)}`, {
        method: "PATCH", headers: JSON_BODY, body: JSON.stringify(asManager(changes(values, before))) }),
    });
    clear.addEventListener("click", () => {
      const input = clear.parentElement.querySelector("input");
      input.value = "";
      input.focus();
    });
    const changed = await pending;
    if (!changed) return;
    said.done(t("admin.managers.changed", { name: changed.name }));
    await show();
  }

  async function inviteLogin(manager) {
    const invited = await openDialog({
      title: t("admin.managers.inviteTitle", { name: manager.name }),
      intro: [t("admin.managers.inviteIntro")],
      specs: [
        { name: "email", label: t("admin.managers.field.loginEmail"), type: "email", dir: "ltr", owns: ["user_exists"] },
        { name: "admin", label: t("admin.managers.field.admin"), type: "checkbox", hint: t("admin.managers.hint.admin") },
      ],
      values: { email: manager.email, admin: false }, submit: t("admin.managers.inviteSubmit"),
      send: (values) => request("/admin/users", { method: "POST", headers: JSON_BODY,
        body: JSON.stringify({ ...values, manager_id: manager.manager_id }) }),
    });
    if (!invited) return;
    said.done(t("admin.managers.invited", { name: manager.name, email: invited.email }));
    await show();
  }

  async function offboard(manager) {
    const steps = ["admin.managers.offboard.noNew", "admin.managers.offboard.move", "admin.managers.offboard.queue",
      "admin.managers.offboard.stay"];
    const done = await openDialog({
      title: t("admin.managers.offboardTitle", { name: manager.name }), danger: true,
      intro: [element("ul", { className: "consequences" }, ...steps.map((key) =>
        element("li", { text: t(key, { count: manager.open_leads }) })))],
      submit: t("admin.managers.offboardSubmit", { name: manager.name }),
      send: async () => {
        const total = { checked: 0, reassigned: 0, queued: 0, skipped: 0 };
        let cursor = null;
        for (let run = 0; run < MAX_RUNS; run += 1) {
          const step = await request(`/admin/managers/${encodeURIComponent(manager.manager_id)}/offboard`,
            { method: "POST", query: { cursor } });
          for (const key of Object.keys(total)) total[key] += step[key];
          cursor = step.next_cursor;
          if (!cursor) break;
        }
        return total;
      },
    });
    if (!done) return;
    said.done(t("admin.managers.offboarded", { name: manager.name, ...done }));
    if (done.queued) {
      said.node.append(element("p", {}, element("a", { href: href("/unassigned"), "data-link": "",
        text: t("admin.managers.seeQueue") })));
    }
    await show();
  }

  add.addEventListener("click", addManager);
  show();
}
