// Scoring rules as an admin keeps them: the rule set in force for a profile (each rule's
// reason, points and what it matches; the hot and warm thresholds; default or override),
// a proposal uploaded or pasted and tried on the leads of a past period (how many leads
// change temperature, how often each rule fires, conversion per temperature) before it
// is applied, and an override removed. Nothing is stored before "Apply".

import { ApiError, describe, request } from "../api.js";
import { element, stateBox, useStyles } from "../dom.js";
import { saveBlob } from "../files.js";
import { current, number, percent, t } from "../i18n.js";

export const title = "nav.rules";
export const words = "rules";
export const adminOnly = true;

const PROFILES = ["b2b", "b2c"];
const TEMPERATURES = ["cold", "warm", "hot"];
const PERIODS = ["thisMonth", "lastMonth", "last3", "last6", "last12"];
const TRY_PAGE = 500; // lead cards per call, the API's most
const JSON_HEADERS = { "Content-Type": "application/json" };
const CUSTOM = "custom.";

/** A UTC month `back` months before now's, as the API writes it (2026-11). */

/** Replace `node`'s children with these, leaving out the absent ones (null, false). */
function fill(node, ...children) {
  node.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
}
function month(now, back) {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)).toISOString().slice(0, 7);
}

function periodOf(choice, now = new Date()) {
  const back = { lastMonth: [1, 1], last3: [2, 0], last6: [5, 0], last12: [11, 0] }[choice] || [0, 0];
  return back[0] === back[1] ? month(now, back[0]) : `${month(now, back[0])}..${month(now, back[1])}`;
}

function listOf(values, type = "conjunction") {
  return new Intl.ListFormat(current(), { style: "long", type }).format(values.map(String));
}

function fieldName(field) {
  if (field.startsWith(CUSTOM)) return t("rules.field.custom", { name: field.slice(CUSTOM.length) });
  const key = `rules.field.${field}`;
  const text = t(key);
  return text === key ? field : text;
}

function signed(points) {
  return number(points, { signDisplay: "exceptZero" });
}

/** What a rule matches, in words (a pattern also as written, left to right). */
function matches(rule) {
  const field = rule.field ? fieldName(rule.field) : "";
  switch (rule.kind) {
    case "intent":
      return [t("rules.match.intent", { values: listOf(rule.values, "disjunction") })];
    case "email_domain":
      return [t(`rules.match.email.${rule.domain_kind}`)];
    case "present":
      return [t("rules.match.present", { field })];
    case "completeness": {
      const fields = listOf(rule.fields.map(fieldName));
      return [rule.min_present ? t("rules.match.someOf", { count: number(rule.min_present), fields })
        : t("rules.match.allOf", { fields })];
    }
    case "range": {
      const [min, max] = [rule.min, rule.max].map((value) => (value == null ? null : number(value)));
      if (min !== null && max !== null) return [t("rules.match.between", { field, min, max })];
      return [min !== null ? t("rules.match.atLeast", { field, min }) : t("rules.match.atMost", { field, max })];
    }
    case "equals":
      return [t("rules.match.equals", { field, value: rule.value })];
    case "in":
      return [t("rules.match.in", { field, values: listOf(rule.values, "disjunction") })];
    case "pattern":
      return [t("rules.match.pattern", { field }), " ", element("code", { dir: "ltr", text: rule.pattern })];
    case "channel":
      return [t("rules.match.channel", { channels: listOf(rule.values.map((v) => t(`channel.${v}`)), "disjunction") })];
    case "repeat":
      return [t("rules.match.repeat", { days: number(rule.within_days), count: number(rule.min_previous || 1) })];
    default:
      return [rule.kind];
  }
}

function points(value) {
  const kind = value > 0 ? "plus" : value < 0 ? "minus" : "zero";
  return element("span", { className: `points ${kind}`, text: signed(value) });
}

function rulesTable(ruleSet) {
  return element("div", { className: "table-scroll" }, element("table", { className: "grid rules" },
    element("caption", { text: t("rules.table.caption", { count: number(ruleSet.rules.length) }) }),
    element("thead", {}, element("tr", {},
      ...["reason", "points", "matches"].map((key) => element("th", { scope: "col", text: t(`rules.table.${key}`) })))),
    element("tbody", {}, ...ruleSet.rules.map((rule) => element("tr", {},
      element("th", { scope: "row" }, element("span", { dir: "auto", text: rule.reason }),
        element("span", { className: "rule-id", dir: "ltr", text: rule.id })),
      element("td", { className: "number" }, points(rule.points)),
      element("td", { className: "matches" }, ...matches(rule)))))));
}

function thresholds(ruleSet) {
  const { hot, warm } = ruleSet.thresholds;
  return element("ul", { className: "thresholds" },
    element("li", {}, element("span", { className: "temperature hot", text: t("temperature.hot") }),
      ` ${t("rules.threshold.from", { points: number(hot) })}`),
    element("li", {}, element("span", { className: "temperature warm", text: t("temperature.warm") }),
      ` ${t("rules.threshold.between", { from: number(warm), to: number(hot - 1) })}`),
    element("li", {}, element("span", { className: "temperature cold", text: t("temperature.cold") }),
      ` ${t("rules.threshold.below", { points: number(warm) })}`));
}

function assignment(ruleSet) {
  const policy = ruleSet.assignment || {};
  return element("ul", { className: "assignment" }, ...[...TEMPERATURES].reverse().map((temperature) =>
    element("li", { text: t("rules.assignment.line", { temperature: t(`temperature.${temperature}`),
      tiers: listOf((policy[temperature] || []).map((tier) => t("rules.tier", { tier: number(tier) }))) }) })));
}

/** An API refusal of a rule set, one line a problem: which rule (its id and number in
 * the list) and which field, then the API's own words. */
function problems(error, document) {
  const items = (error.errors || []).map((problem) => {
    const path = problem.field || "";
    const found = path.match(/^rules\.(\d+)(?:\.(.+))?$/);
    let where = path ? t("rules.problem.field", { field: path }) : t("rules.problem.document");
    if (found) {
      const index = Number(found[1]);
      const rule = ((document && document.rules) || [])[index] || {};
      const which = { id: rule.id || "?", number: number(index + 1) };
      where = found[2] ? t("rules.problem.ruleField", { ...which, field: found[2] }) : t("rules.problem.rule", which);
    }
    return element("li", {}, element("strong", { text: where }), " ",
      element("span", { lang: "en", dir: "ltr", text: problem.message }));
  });
  return items;
}

/** Trials of one call each (a period with many leads comes in pages): added up. */
function addTrials(total, page) {
  if (!total) return structuredClone(page);
  for (const key of ["leads", "changed", "rose", "fell", "stored_differs"]) total[key] += page[key];
  for (const row of TEMPERATURES) {
    for (const column of TEMPERATURES) total.matrix[row][column] += page.matrix[row][column];
  }
  for (const key of Object.keys(total.skipped)) total.skipped[key] += page.skipped[key] || 0;
  const fires = new Map(total.rules.map((rule) => [rule.rule_id, rule]));
  for (const rule of page.rules) {
    const kept = fires.get(rule.rule_id);
    if (kept) {
      kept.current_fires += rule.current_fires;
      kept.proposed_fires += rule.proposed_fires;
    } else total.rules.push({ ...rule });
  }
  for (const which of ["current", "proposed"]) {
    for (const row of total.conversion[which]) {
      const more = page.conversion[which].find((other) => other.temperature === row.temperature);
      if (!more) continue;
      row.leads += more.leads;
      row.outcome_known += more.outcome_known;
      row.converted += more.converted;
    }
  }
  total.next_cursor = page.next_cursor;
  return total;
}

function matrixTable(trial) {
  const head = element("tr", {}, element("td", { className: "corner", text: t("rules.matrix.corner") }),
    ...TEMPERATURES.map((column) => element("th", { scope: "col" },
      element("span", { className: `temperature ${column}`, text: t(`temperature.${column}`) }))));
  const rows = TEMPERATURES.map((row) => element("tr", {},
    element("th", { scope: "row" },
      element("span", { className: `temperature ${row}`, text: t(`temperature.${row}`) })),
    ...TEMPERATURES.map((column) => {
      const count = trial.matrix[row][column];
      const move = row === column ? "same" : TEMPERATURES.indexOf(column) > TEMPERATURES.indexOf(row) ? "up" : "down";
      return element("td", { className: `number cell ${move}${count && move !== "same" ? " moved" : ""}`,
                             "data-from": row, "data-to": column, text: number(count) });
    })));
  return element("div", { className: "table-scroll" }, element("table", { className: "grid matrix" },
    element("caption", { className: "visually-hidden", text: t("rules.matrix.caption") }),
    element("thead", {}, element("tr", {}, element("td"),
      element("th", { scope: "colgroup", colspan: 3, text: t("rules.matrix.proposed") })), head),
    element("tbody", {}, ...rows)));
}

function conversionCell(row) {
  if (!row || !row.outcome_known) return element("td", { className: "muted", text: "—" });
  return element("td", { text: t("rules.conversion.rate", { rate: percent(row.converted / row.outcome_known),
    converted: number(row.converted), known: number(row.outcome_known) }) });
}

function conversionTable(trial) {
  const byTemperature = (which, temperature) => trial.conversion[which].find((row) => row.temperature === temperature);
  return element("div", { className: "table-scroll" }, element("table", { className: "grid conversion" },
    element("caption", { text: t("rules.conversion.caption") }),
    element("thead", {}, element("tr", {}, element("th", { scope: "col", text: t("rules.conversion.temperature") }),
      ...["leadsNow", "conversionNow", "leadsProposed", "conversionProposed"].map((key) =>
        element("th", { scope: "col", text: t(`rules.conversion.${key}`) })))),
    element("tbody", {}, ...[...TEMPERATURES].reverse().map((temperature) => {
      const now = byTemperature("current", temperature);
      const proposed = byTemperature("proposed", temperature);
      return element("tr", {}, element("th", { scope: "row" },
        element("span", { className: `temperature ${temperature}`, text: t(`temperature.${temperature}`) })),
      element("td", { className: "number", text: number(now ? now.leads : 0) }), conversionCell(now),
      element("td", { className: "number", text: number(proposed ? proposed.leads : 0) }), conversionCell(proposed));
    }))));
}

/** The rules that matched a lead, or whose points change, in a table; the others named
 * in one line (a trial of a threshold changes no rule, and most rules match few leads). */
function firesTable(trial, reasons) {
  const pointsCell = (value) => element("td", { className: "number" },
    value == null ? element("span", { className: "muted", text: t("rules.fires.absent") }) : points(value));
  const changes = (rule) => rule.current_points !== rule.proposed_points || rule.current_fires !== rule.proposed_fires;
  const shown = trial.rules.filter((rule) => rule.current_fires || rule.proposed_fires || changes(rule));
  const idle = trial.rules.filter((rule) => !shown.includes(rule));
  const table = element("div", { className: "table-scroll" }, element("table", { className: "grid fires" },
    element("caption", { text: t("rules.fires.caption", { leads: number(trial.leads) }) }),
    element("thead", {}, element("tr", {},
      ...["rule", "pointsNow", "pointsProposed", "firesNow", "firesProposed"].map((key) =>
        element("th", { scope: "col", text: t(`rules.fires.${key}`) })))),
    element("tbody", {}, ...shown.map((rule) => element("tr", { className: changes(rule) ? "changed" : null },
      element("th", { scope: "row" }, element("span", { dir: "auto", text: reasons.get(rule.rule_id) || rule.rule_id }),
        element("span", { className: "rule-id", dir: "ltr", text: rule.rule_id })),
      pointsCell(rule.current_points), pointsCell(rule.proposed_points),
      element("td", { className: "number", text: number(rule.current_fires) }),
      element("td", { className: "number", text: number(rule.proposed_fires) }))))));
  const rest = idle.length ? element("p", { className: "muted idle" },
    t("rules.fires.idle", { count: number(idle.length) }), " ",
    ...idle.flatMap((rule, index) => [index ? ", " : "", reasons.get(rule.rule_id) || rule.rule_id]), ".") : null;
  return [shown.length ? table : null, rest];
}

function summary(trial, periodLabel) {
  if (!trial.leads) return t("rules.try.noLeads", { period: periodLabel });
  return t("rules.try.summary", { leads: number(trial.leads), period: periodLabel, changed: number(trial.changed),
                                  rose: number(trial.rose), fell: number(trial.fell) });
}

export function render(main) {
  useStyles("tools");
  let alive = true;
  let inForce = null; // GET /admin/rules/{profile}'s answer
  let loads = 0;

  const profile = element("select", { id: "rules-profile", name: "profile" },
    ...PROFILES.map((value) => element("option", { value, text: t(`rules.profile.${value}`) })));
  const usedBy = element("p", { className: "muted used-by" });
  const state = stateBox();
  const shown = element("section", { className: "panel in-force", "aria-labelledby": "rules-in-force", hidden: "" });

  // -- the proposal ----------------------------------------------------------------------
  const file = element("input", { type: "file", id: "rules-file", accept: ".json,application/json" });
  const fromCurrent = element("button", { type: "button", text: t("rules.propose.fromCurrent") });
  const text = element("textarea", { id: "rules-proposal", rows: 14, spellcheck: "false", dir: "ltr",
                                     autocomplete: "off", "aria-describedby": "rules-proposal-hint" });
  const period = element("select", { id: "rules-period" },
    ...PERIODS.map((value) => element("option", { value, text: t(`rules.period.${value}`) })));
  const tryButton = element("button", { type: "submit", className: "primary", text: t("rules.try.button") });
  const tryState = stateBox();
  const results = element("div", { className: "results", hidden: "" });
  const proposeForm = element("form", { className: "propose", "aria-labelledby": "rules-propose" },
    element("p", { text: t("rules.propose.intro") }),
    element("div", { className: "field" },
      element("label", { for: "rules-file", text: t("rules.propose.file") }), file),
    element("div", { className: "field" },
      element("label", { for: "rules-proposal", text: t("rules.propose.text") }),
      element("p", { id: "rules-proposal-hint", className: "hint", text: t("rules.propose.hint") }),
      element("div", { className: "actions" }, fromCurrent), text),
    element("div", { className: "field inline" }, element("label", { for: "rules-period", text: t("rules.period") }),
      period, tryButton));
  const proposal = element("section", { className: "panel", "aria-labelledby": "rules-propose" },
    element("h2", { id: "rules-propose", text: t("rules.propose.title") }), proposeForm, tryState.node, results);

  const root = element("div", { className: "tools" });
  main.append(root);
  root.append(element("h1", { text: t("nav.rules") }), element("p", { className: "intro", text: t("rules.intro") }),
    element("div", { className: "filters" }, element("label", { for: "rules-profile", text: t("rules.profile") }),
      profile), usedBy, state.node, shown, proposal);

  // -- the rule set in force -------------------------------------------------------------
  function showInForce(answer, message) {
    inForce = answer;
    const ruleSet = answer.rule_set;
    const override = answer.in_force === "override";
    const download = element("button", { type: "button", text: t("rules.download") });
    download.addEventListener("click", () => saveBlob(new Blob([`${JSON.stringify(ruleSet, null, 2)}\n`],
      { type: "application/json" }), `rules-${ruleSet.profile}-${ruleSet.version}.json`));
    const actions = element("div", { className: "actions" }, download);
    const removeState = stateBox();
    if (override || answer.override_problems.length) actions.append(removeOverride(removeState));
    fill(shown,
      element("h2", { id: "rules-in-force", text: t("rules.inForce.title") }),
      element("p", { className: `badge ${override ? "override" : "default"}`,
                     text: t(override ? "rules.inForce.override" : "rules.inForce.default") }),
      element("p", { className: "version" }, t("rules.inForce.version"), " ",
        element("code", { dir: "ltr", text: ruleSet.version })),
      ruleSet.description ? element("p", { dir: "auto", text: ruleSet.description }) : null,
      answer.override_problems.length ? element("div", { className: "state error", role: "alert" },
        element("p", { text: t("rules.inForce.ignored") }),
        element("ul", {}, ...answer.override_problems.map((line) =>
          element("li", { lang: "en", dir: "ltr", text: line })))) : null,
      element("h3", { text: t("rules.thresholds") }), thresholds(ruleSet),
      element("h3", { text: t("rules.assignment") }), assignment(ruleSet),
      element("h3", { text: t("rules.list") }), rulesTable(ruleSet), actions, removeState.node);
    shown.hidden = false;
    if (message) removeState.done(message);
  }

  function removeOverride(removeState) {
    const box = element("span", { className: "confirm-box" });
    const ask = element("button", { type: "button", className: "danger", text: t("rules.remove.button") });
    ask.addEventListener("click", () => {
      const yes = element("button", { type: "button", className: "danger", text: t("rules.remove.yes") });
      const no = element("button", { type: "button", text: t("cancel") });
      const question = element("div", { className: "confirm", role: "group", "aria-labelledby": "rules-remove-q" },
        element("p", { id: "rules-remove-q", text: t("rules.remove.question") }), yes, no);
      no.addEventListener("click", () => {
        box.replaceChildren(ask);
        ask.focus();
      });
      yes.addEventListener("click", async () => {
        yes.disabled = true;
        removeState.loading(t("loading"));
        try {
          const answer = await request(`/admin/rules/${profile.value}`, { method: "DELETE" });
          if (alive) showInForce(answer, t("rules.remove.done"));
        } catch (error) {
          yes.disabled = false;
          if (alive) removeState.error(t(describe(error)));
        }
      });
      box.replaceChildren(question);
      yes.focus();
    });
    box.append(ask);
    return box;
  }

  async function load(message) {
    const mine = ++loads;
    shown.hidden = true;
    state.loading(t("loading"));
    try {
      const [answer, forms] = await Promise.all([request(`/admin/rules/${profile.value}`),
        request("/admin/forms").catch(() => null)]);
      if (!alive || mine !== loads) return;
      state.clear();
      showInForce(answer, message);
      if (forms) {
        const names = forms.forms.filter((form) => (form.scoring_profile || "b2b") === profile.value)
          .map((form) => form.name || form.form_id);
        usedBy.textContent = names.length ? t("rules.usedBy", { forms: listOf(names) }) : t("rules.usedByNone");
      }
    } catch (error) {
      if (!alive || mine !== loads) return;
      state.error(t(describe(error)), () => load(), t("retry"));
    }
  }

  // -- trying and applying the proposal --------------------------------------------------
  function stale() {
    results.hidden = true;
    results.replaceChildren();
    tryState.clear();
  }

  function parsed() {
    try {
      const document = JSON.parse(text.value);
      if (document && typeof document === "object" && !Array.isArray(document)) return document;
      tryState.error(t("rules.propose.notObject"));
    } catch (error) {
      tryState.error(t("rules.propose.notJson", { problem: error.message }));
    }
    text.focus();
    return null;
  }

  function refused(error, document) {
    if (error instanceof ApiError && error.status === 400 && error.errors.length) {
      tryState.error(t(error.code === "invalid_rules" ? "rules.problem.title" : "error.invalid"));
      tryState.node.append(element("ul", { className: "problems" }, ...problems(error, document)));
    } else tryState.error(t(describe(error)));
  }

  async function tryProposal() {
    const document = parsed();
    if (!document) return;
    const periodText = periodOf(period.value);
    const periodLabel = period.selectedOptions[0].textContent;
    const sentText = text.value;
    stale();
    tryButton.disabled = true;
    tryState.loading(t("rules.try.running"));
    let trial = null;
    try {
      let cursor = null;
      do {
        const page = await request(`/admin/rules/${profile.value}/try`, { method: "POST", headers: JSON_HEADERS,
          query: { period: periodText, limit: TRY_PAGE, cursor }, body: sentText });
        if (!alive) return;
        trial = addTrials(trial, page);
        cursor = page.next_cursor;
        if (cursor) tryState.loading(t("rules.try.progress", { leads: number(trial.leads) }));
      } while (cursor);
    } catch (error) {
      if (alive) refused(error, document);
      return;
    } finally {
      tryButton.disabled = false;
    }
    tryState.clear();
    showTrial(trial, document, sentText, periodLabel);
  }

  function showTrial(trial, document, sentText, periodLabel) {
    const reasons = new Map([...(inForce ? inForce.rule_set.rules : []), ...(document.rules || [])]
      .map((rule) => [rule.id, rule.reason]));
    const apply = element("button", { type: "button", className: "primary", text: t("rules.apply.button") });
    const applyState = stateBox();
    apply.addEventListener("click", async () => {
      apply.disabled = true;
      applyState.loading(t("loading"));
      try {
        const answer = await request(`/admin/rules/${profile.value}`, { method: "PUT", headers: JSON_HEADERS,
                                                                         body: sentText });
        if (!alive) return;
        stale();
        showInForce(answer, t("rules.apply.done"));
        shown.querySelector("h2").scrollIntoView({ block: "start" });
      } catch (error) {
        apply.disabled = false;
        if (alive) refused(error, document);
        applyState.clear();
      }
    });
    const skipped = trial.skipped.erased + trial.skipped.other_profile + trial.skipped.no_submission;
    fill(results,
      element("h3", { id: "rules-results", text: t("rules.try.title", { version: trial.proposed_version }) }),
      element("p", { className: "summary", text: summary(trial, periodLabel) }),
      skipped ? element("p", { className: "muted", text: t("rules.try.skipped", { count: number(skipped) }) }) : null,
      trial.stored_differs ? element("p", { className: "muted",
        text: t("rules.try.storedDiffers", { count: number(trial.stored_differs) }) }) : null,
      ...(trial.leads ? [element("p", { className: "hint", text: t("rules.matrix.hint") }), matrixTable(trial),
        element("h4", { text: t("rules.conversion.title") }),
        element("p", { className: "hint", text: t("rules.conversion.hint") }), conversionTable(trial),
        element("h4", { text: t("rules.fires.title") }), ...firesTable(trial, reasons)] : []),
      element("div", { className: "apply" }, element("p", { text: t("rules.apply.hint") }), apply, applyState.node));
    results.hidden = false;
  }

  profile.addEventListener("change", () => {
    stale();
    load();
  });
  text.addEventListener("input", stale);
  period.addEventListener("change", stale);
  fromCurrent.addEventListener("click", () => {
    if (!inForce) return;
    text.value = `${JSON.stringify(inForce.rule_set, null, 2)}\n`;
    text.scrollTop = 0;
    stale();
    text.focus();
  });
  file.addEventListener("change", async () => {
    const [chosen] = file.files;
    if (!chosen) return;
    text.value = await chosen.text();
    text.scrollTop = 0;
    stale();
    tryState.done(t("rules.propose.loaded", { name: chosen.name }));
  });
  proposeForm.addEventListener("submit", (event) => {
    event.preventDefault();
    tryProposal();
  });
  load();
  return () => {
    alive = false;
  };
}
