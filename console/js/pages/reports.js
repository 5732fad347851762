// Reports (admins): for a period, which channels brought leads and customers and at what
// cost (the owner's question, first), how fast each temperature got its first call
// against its SLA, campaigns and managers, and the calibration view (conversion per
// temperature, score band and scoring rule: does the scoring sort leads well?). Every
// number is GET /reports's for the period; every chart has a table with its numbers
// beside it (the charts' accessible alternative). Channel costs are entered here too.
// Charts: Chart.js, served with the console (vendor/), loaded when this page first is.

import { ApiError, describe, request } from "../api.js";
import { element, stateBox, useStyles } from "../dom.js";
import { current, day, money, number, percent, t } from "../i18n.js";

export const title = "nav.reports";
export const words = "reports";
export const adminOnly = true;

const CHART_JS = new URL("../../vendor/chart.js-4.6.2.umd.min.js", import.meta.url).href;
const PRESETS = ["thisMonth", "lastMonth", "lastThreeMonths", "custom"];
const SECTIONS = ["channels", "speed", "campaigns", "managers", "calibration", "costs"];
const CHART_ROWS = 12; // a chart shows the values with most leads; the table shows all
const INK = "#1d2330";
const MUTED = "#4a5366";
const GRID = "#e3e6ec";
// Bars contrast at least 3:1 with the white page (WCAG 1.4.11); a stacked bar's parts are parted
// by a white line, and every chart's legend and table name what each colour counts.
const COLOURS = { leads: "#7d8fb8", customers: "#1f4fd1", within: "#1d7a3a", later: "#a1141c", notCalled: "#767f91",
  withRule: "#1f4fd1", withoutRule: "#7d8fb8", rate: "#1f4fd1" };

let library = null;

/** Chart.js, once: its UMD build sets globalThis.Chart when imported as a module. */
function charts() {
  library ||= import(CHART_JS).then(() => globalThis.Chart).catch((error) => {
    library = null; // another visit may try again
    throw error;
  });
  return library;
}

// -- periods (UTC, as the API counts them) --------------------------------------------------

function month(offset) {
  const date = new Date();
  date.setUTCDate(1);
  date.setUTCMonth(date.getUTCMonth() - offset);
  return date.toISOString().slice(0, 7);
}

function presetPeriod(preset) {
  if (preset === "thisMonth") return month(0);
  if (preset === "lastMonth") return month(1);
  if (preset === "lastThreeMonths") return `${month(2)}..${month(0)}`;
  return null;
}

function lastDayOf(yearMonth) {
  const [year, monthNumber] = yearMonth.split("-").map(Number);
  return new Date(Date.UTC(year, monthNumber, 0)).toISOString().slice(0, 10);
}

/** The first and last day a period covers: "2026-11" → ["2026-11-01", "2026-11-30"]. */
function bounds(period) {
  const [first, last = first] = period.split("..");
  const from = first.length === 7 ? `${first}-01` : first;
  const to = last.length === 7 ? lastDayOf(last) : last;
  return [from, to];
}

/** The API's period for a custom range: whole months as months (so costs show), else days. */
function customPeriod(from, to) {
  const whole = from.endsWith("-01") && to === lastDayOf(to.slice(0, 7));
  if (whole) return from.slice(0, 7) === to.slice(0, 7) ? from.slice(0, 7) : `${from.slice(0, 7)}..${to.slice(0, 7)}`;
  return from === to ? from : `${from}..${to}`;
}

function presetOf(period) {
  return PRESETS.find((preset) => presetPeriod(preset) === period) || "custom";
}

// -- words for values -------------------------------------------------------------------------

function minutesText(minutes) {
  const [value, unit] = minutes >= 1440 && minutes % 1440 === 0 ? [minutes / 1440, "day"]
    : minutes >= 60 && minutes % 60 === 0 ? [minutes / 60, "hour"] : [minutes, "minute"];
  return number(value, { style: "unit", unit, unitDisplay: "short" });
}

/** A median as the bucket holding it: "15 min – 30 min", "up to 5 min", "over 30 days". */
function bucketText(bucket) {
  if (!bucket) return "—";
  if (bucket.at_most_minutes === null) return t("reports.over", { time: minutesText(bucket.over_minutes) });
  if (bucket.over_minutes === 0) return t("reports.upTo", { time: minutesText(bucket.at_most_minutes) });
  return t("reports.between", { from: minutesText(bucket.over_minutes), to: minutesText(bucket.at_most_minutes) });
}

function monthName(yearMonth) {
  return new Intl.DateTimeFormat(current(), { month: "long", year: "numeric", timeZone: "UTC" })
    .format(new Date(`${yearMonth}-01T00:00:00Z`));
}

const rate = (value) => (value === null || value === undefined ? "—" : percent(value));
const cash = (value) => (value ? money(value.amount, value.currency) : "—");

function valueLabel(dimension, value, names) {
  const kind = /^\((\w+)\)$/.exec(value);
  if (dimension === "channel" && kind) return t(`channel.${kind[1]}`);
  if (value === "(none)") return t(dimension === "campaign" ? "reports.noCampaign" : "reports.noScore");
  if (dimension === "temperature") return t(`temperature.${value}`);
  if (dimension === "manager") return value === "unassigned" ? t("reports.unassigned") : names.managers.get(value) || value;
  if (dimension === "band") return t("reports.band", { band: value });
  return value;
}

// -- tables -----------------------------------------------------------------------------------

function numberCell(text) {
  return element("td", { className: "number", text });
}

const TEXT_COLUMNS = new Set(["channel", "campaign", "temperature", "manager", "band", "rule", "sla", "toFirstContact",
  "toCustomer"]);

function headRow(columns) {
  return element("tr", {}, ...columns.map((key) => element("th", { scope: "col",
    className: TEXT_COLUMNS.has(key) ? null : "number", text: t(`reports.column.${key}`) })));
}

let tables = 0;

/** A table titled above its scroller (a phone scrolls the table sideways, not its title). */
function dataTable(caption, columns, rows, foot = null) {
  const id = `report-table-${++tables}`;
  return element("div", { className: "table-block" },
    element("p", { className: "table-title", id, text: caption }),
    // Scrolls sideways on a phone: focusable, so a keyboard can scroll it too.
    element("div", { className: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": id },
      element("table", { className: "leads report-table", "aria-labelledby": id },
        element("thead", {}, headRow(columns)),
        element("tbody", {}, ...rows),
        foot ? element("tfoot", {}, foot) : null)));
}

const CELLS = {
  leads: (row) => numberCell(number(row.leads)),
  contacted: (row) => numberCell(number(row.contacted)),
  customers: (row) => numberCell(number(row.converted)),
  rejected: (row) => numberCell(number(row.rejected)),
  conversion: (row) => numberCell(rate(row.conversion_rate)),
  toFirstContact: (row) => element("td", { text: bucketText(row.median_minutes_to_first_contact) }),
  toCustomer: (row) => element("td", { text: bucketText(row.median_minutes_to_conversion) }),
  cost: (row) => numberCell(cash(row.cost)),
  costPerLead: (row) => numberCell(cash(row.cost_per_lead)),
  costPerCustomer: (row) => numberCell(cash(row.cost_per_conversion)),
};

/** A row of a dimension's table, found by its value (`data-value`, as the API spells it). */
function reportRow(label, row, columns) {
  const tr = element("tr", {}, element("th", { scope: "row", text: label }),
    ...columns.map((column) => CELLS[column](row)));
  tr.dataset.value = row.value;
  return tr;
}

// -- charts -----------------------------------------------------------------------------------

/** A horizontal bar chart (long labels read well, and a phone has room for them). */
function barChart({ labels, datasets, stacked = false, ratio = false }) {
  const rtl = document.documentElement.dir === "rtl";
  const format = (value) => (ratio ? percent(value) : number(value));
  return {
    type: "bar",
    data: { labels, datasets: datasets.map((set) => ({ borderWidth: stacked ? 2 : 0, borderColor: "#ffffff",
                                                      maxBarThickness: 26, ...set })) },
    options: {
      indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false, locale: current(),
      scales: {
        x: { stacked, beginAtZero: true, reverse: rtl, max: ratio ? 1 : undefined, grid: { color: GRID },
             ticks: { color: MUTED, precision: ratio ? 2 : 0, callback: format } },
        y: { stacked, position: rtl ? "right" : "left", grid: { display: false }, ticks: { color: INK, autoSkip: false } },
      },
      plugins: {
        legend: { display: datasets.length > 1, position: "bottom", rtl, textDirection: rtl ? "rtl" : "ltr",
                  labels: { color: INK, boxWidth: 14 } },
        tooltip: { rtl, textDirection: rtl ? "rtl" : "ltr",
                   callbacks: { label: (item) => `${item.dataset.label}: ${format(item.raw)}` } },
      },
    },
  };
}

// -- the page ---------------------------------------------------------------------------------

export function render(main) {
  useStyles("reports");
  const heading = element("h1", { text: t("reports.title") });
  const picker = periodPicker();
  const state = stateBox();
  const summary = element("p", { className: "period-summary", hidden: "" });
  const results = element("div", { className: "report-results" });
  const drawn = [];
  let loading = 0;
  let left = false;
  const names = lookups();
  const costs = costSection(() => load());
  main.append(heading, picker.form, summary, sectionNav(SECTIONS), state.node, results, costs.node);

  function clearCharts() {
    for (const chart of drawn.splice(0)) chart.destroy();
  }

  async function load() {
    const period = picker.period();
    if (!period) return;
    const mine = ++loading;
    clearCharts();
    results.replaceChildren();
    delete results.dataset.charts;
    summary.hidden = true;
    state.loading(t("loading"));
    try {
      const [report, known] = await Promise.all([request("/reports", { query: { period } }), names]);
      if (mine !== loading || left) return;
      state.clear();
      history.replaceState(null, "", `${location.pathname}?period=${encodeURIComponent(period)}`);
      summary.textContent = t("reports.summary", { from: day(report.first_day), to: day(report.last_day) });
      summary.hidden = false;
      costs.update(report);
      if (!report.dimensions.all[0].leads) {
        state.empty(t("reports.noLeads"));
        return;
      }
      drawCharts(show(report, known), mine);
    } catch (error) {
      if (mine !== loading || left) return;
      state.error(errorText(error), load, t("retry"));
    }
  }

  async function drawCharts(pending, mine) {
    try {
      const Chart = await charts();
      if (mine !== loading || left) return;
      Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
      Chart.defaults.color = INK;
      Chart.defaults.font.size = 13;
      for (const { canvas, config } of pending) drawn.push(new Chart(canvas, config));
      results.dataset.charts = "drawn";
    } catch {
      if (mine !== loading || left) return;
      for (const { canvas } of pending) {
        canvas.closest(".chart").replaceWith(element("p", { className: "muted", text: t("reports.noCharts") }));
      }
    }
  }

  function show(report, known) {
    const pending = [];
    const chart = (label, config, rows) => {
      const canvas = element("canvas", { role: "img", "aria-label": t("reports.chartLabel", { what: label }) });
      const box = element("div", { className: "chart" }, canvas);
      const bars = config.data.datasets.length > 1 && !config.options.scales.x.stacked ? 2.6 : 1.9;
      box.style.height = `${rows * bars + 5}rem`; // CSSOM, which the CSP allows (a style attribute it would not)
      pending.push({ canvas, config });
      return box;
    };
    const dimensions = report.dimensions;
    const [total] = dimensions.all;
    const content = {
      channels: channelSection(report, total, known, chart),
      speed: speedSection(report, chart),
      campaigns: dimensionSection("campaign", dimensions.campaign, known, chart),
      managers: dimensionSection("manager", dimensions.manager, known, chart),
      calibration: calibrationSection(dimensions, total, known, chart),
    };
    results.append(...Object.entries(content).map(([id, children]) => element("section",
      { id: `report-${id}`, className: "report", "aria-labelledby": `report-${id}-title` }, ...children)));
    return pending;
  }

  picker.onChange(load);
  load();
  return () => {
    left = true;
    clearCharts();
  };
}

function errorText(error) {
  if (error instanceof ApiError && error.code === "period_too_long") return t("reports.tooLong");
  if (error instanceof ApiError && error.code === "invalid_period") return t("reports.badPeriod");
  return t(describe(error));
}

/** Managers' names and rules' reasons, to label rows; the page works without them. */
async function lookups() {
  const managers = new Map();
  const rules = new Map();
  const [roster, ...ruleSets] = await Promise.allSettled([request("/admin/managers"),
    request("/admin/rules/b2b"), request("/admin/rules/b2c")]);
  if (roster.status === "fulfilled") for (const m of roster.value.managers) managers.set(m.manager_id, m.name);
  for (const answer of ruleSets) {
    if (answer.status !== "fulfilled") continue;
    for (const rule of answer.value.rule_set.rules) if (!rules.has(rule.id)) rules.set(rule.id, rule.reason);
  }
  return { managers, rules };
}

function periodPicker() {
  const asked = new URLSearchParams(location.search).get("period") || presetPeriod("thisMonth");
  const [from, to] = bounds(asked);
  const preset = element("select", { id: "report-preset", name: "preset" },
    ...PRESETS.map((key) => element("option", { value: key, text: t(`reports.preset.${key}`) })));
  preset.value = presetOf(asked);
  const fromInput = element("input", { type: "date", id: "report-from", name: "from", value: from, required: "" });
  const toInput = element("input", { type: "date", id: "report-to", name: "to", value: to, required: "" });
  const apply = element("button", { type: "submit", text: t("reports.show") });
  const custom = element("span", { className: "custom-range" },
    element("label", { for: "report-from", text: t("reports.from") }), fromInput,
    element("label", { for: "report-to", text: t("reports.to") }), toInput, apply);
  const form = element("form", { className: "filters report-period", "aria-label": t("reports.periodLabel") },
    element("label", { for: "report-preset", text: t("reports.period") }), preset, custom);
  custom.hidden = preset.value !== "custom";
  let changed = () => {};
  preset.addEventListener("change", () => {
    custom.hidden = preset.value !== "custom";
    if (preset.value !== "custom") changed();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (form.reportValidity()) changed();
  });
  return {
    form,
    onChange(handler) { changed = handler; },
    period() {
      if (preset.value !== "custom") return presetPeriod(preset.value);
      const [a, b] = [fromInput.value, toInput.value].sort();
      return a && b ? customPeriod(a, b) : null;
    },
  };
}

function sectionNav(ids) {
  const nav = element("nav", { className: "report-nav", "aria-label": t("reports.onThisPage") },
    element("ul", {}, ...ids.map((id) => element("li", {},
      element("a", { href: `#report-${id}`, text: t(`reports.section.${id}`) })))));
  // In-page links scroll and move focus without a history entry (which the router would take for a new page).
  nav.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (!link) return;
    event.preventDefault();
    const target = document.getElementById(link.getAttribute("href").slice(1));
    const title = target && target.querySelector("h2");
    if (!title) return;
    title.setAttribute("tabindex", "-1");
    title.focus();
    title.scrollIntoView({ block: "start" });
  });
  return nav;
}

function sectionTitle(id) {
  return element("h2", { id: `report-${id}-title`, text: t(`reports.section.${id}`) });
}

// -- channels: the owner's question -----------------------------------------------------------

const CHANNEL_COLUMNS = ["leads", "contacted", "customers", "conversion", "cost", "costPerLead", "costPerCustomer"];

function channelSection(report, total, known, chart) {
  const rows = report.dimensions.channel;
  const label = (row) => valueLabel("channel", row.value, known);
  const best = rows.filter((row) => row.converted).sort((a, b) => b.converted - a.converted
    || (a.cost_per_conversion ? Number(a.cost_per_conversion.amount) : Infinity)
    - (b.cost_per_conversion ? Number(b.cost_per_conversion.amount) : Infinity))[0];
  const answer = best
    ? t(best.cost_per_conversion ? "reports.bestChannelCost" : "reports.bestChannel", {
      channel: label(best), customers: number(best.converted), cost: cash(best.cost_per_conversion) })
    : t("reports.noCustomers");
  const tiles = element("dl", { className: "tiles" },
    ...[["leads", number(total.leads)], ["customers", number(total.converted)],
      ["conversion", rate(total.conversion_rate)], ["costPerCustomer", cash(total.cost_per_conversion)]]
      .map(([key, value]) => element("div", { className: "tile", "data-tile": key },
        element("dt", { text: t(`reports.tile.${key}`) }), element("dd", { text: value }))));
  // The blended figure spreads the entered costs over every channel's customers: say how many are priced.
  const active = rows.filter((row) => row.leads);
  const priced = active.filter((row) => row.cost).length;
  if (total.cost && priced < active.length) {
    tiles.querySelector('[data-tile="costPerCustomer"]').append(element("dd", { className: "note",
      text: t("reports.pricedChannels", { priced: number(priced), channels: number(active.length) }) }));
  }
  const shown = rows.filter((row) => row.leads).slice(0, CHART_ROWS);
  const content = [sectionTitle("channels"), element("p", { className: "answer", text: answer }), tiles];
  if (shown.length) {
    content.push(chart(t("reports.section.channels"), barChart({
      labels: shown.map(label),
      datasets: [{ label: t("reports.column.leads"), data: shown.map((r) => r.leads), backgroundColor: COLOURS.leads },
        { label: t("reports.column.customers"), data: shown.map((r) => r.converted),
          backgroundColor: COLOURS.customers }],
    }), shown.length));
  }
  if (rows.length) {
    content.push(dataTable(t("reports.caption.channel"), ["channel", ...CHANNEL_COLUMNS],
      rows.map((row) => reportRow(label(row), row, CHANNEL_COLUMNS)),
      reportRow(t("reports.total"), total, CHANNEL_COLUMNS)));
  }
  if (!report.dimensions.channel.some((row) => row.cost)) {
    content.push(element("p", { className: "muted", text: t("reports.noCosts") }));
  }
  return content;
}

// -- speed to lead ----------------------------------------------------------------------------

function speedSection(report, chart) {
  const speed = [...(report.speed_to_lead || [])].reverse(); // hot first: its SLA is the one that matters most
  const content = [sectionTitle("speed"), element("p", { className: "muted", text: t("reports.speedIntro") })];
  if (!speed.length) return content;
  const label = (row) => t(`temperature.${row.temperature}`);
  content.push(chart(t("reports.section.speed"), barChart({
    labels: speed.map(label), stacked: true,
    datasets: [
      { label: t("reports.withinSla"), data: speed.map((r) => r.contacted_within_sla), backgroundColor: COLOURS.within },
      { label: t("reports.afterSla"), data: speed.map((r) => r.contacted - r.contacted_within_sla),
        backgroundColor: COLOURS.later },
      { label: t("reports.notCalled"), data: speed.map((r) => r.leads - r.contacted), backgroundColor: COLOURS.notCalled },
    ],
  }), speed.length));
  const rows = speed.map((row) => {
    const sla = element("td", { text: minutesText(row.sla_minutes) });
    if (row.within_minutes !== row.sla_minutes) {
      sla.append(element("span", { className: "note", text: t("reports.measuredWithin",
        { time: minutesText(row.within_minutes) }) }));
    }
    const tr = element("tr", {}, element("th", { scope: "row", text: label(row) }), sla,
      numberCell(number(row.leads)), numberCell(number(row.contacted)),
      numberCell(number(row.contacted_within_sla)),
      numberCell(rate(row.within_sla_rate)),
      element("td", { text: bucketText(row.median_minutes_to_first_contact) }));
    tr.dataset.value = row.temperature;
    return tr;
  });
  content.push(dataTable(t("reports.caption.speed"),
    ["temperature", "sla", "leads", "contacted", "withinSla", "withinSlaShare", "toFirstContact"], rows));
  return content;
}

// -- campaigns and managers -------------------------------------------------------------------

const DIMENSION_COLUMNS = ["leads", "contacted", "customers", "rejected", "conversion", "toFirstContact", "toCustomer"];

function dimensionSection(dimension, rows, known, chart) {
  const id = { campaign: "campaigns", manager: "managers" }[dimension];
  const label = (row) => valueLabel(dimension, row.value, known);
  const content = [sectionTitle(id)];
  const shown = rows.filter((row) => row.leads).slice(0, CHART_ROWS);
  if (!shown.length) return [...content, element("p", { className: "muted", text: t("reports.nothing") })];
  content.push(chart(t(`reports.section.${id}`), barChart({
    labels: shown.map(label),
    datasets: [{ label: t("reports.column.leads"), data: shown.map((r) => r.leads), backgroundColor: COLOURS.leads },
      { label: t("reports.column.customers"), data: shown.map((r) => r.converted), backgroundColor: COLOURS.customers }],
  }), shown.length));
  content.push(dataTable(t(`reports.caption.${dimension}`), [dimension, ...DIMENSION_COLUMNS],
    rows.map((row) => reportRow(label(row), row, DIMENSION_COLUMNS))));
  return content;
}

// -- calibration ------------------------------------------------------------------------------

/** Whether each temperature converts better than the one below it: the thresholds sort
 * leads well. Said of the temperatures with leads only (no warm leads: nothing of warm). */
function temperatureVerdict(rows) {
  const known = ["cold", "warm", "hot"].map((value) => rows.find((row) => row.value === value))
    .filter((row) => row && row.leads);
  if (known.length < 2) return t("reports.verdict.tooFew");
  const ordered = known.every((row, i) => i === 0 || row.conversion_rate > known[i - 1].conversion_rate);
  return t(ordered ? "reports.verdict.sorted" : "reports.verdict.unsorted");
}

function lift(row, total) {
  return row.conversion_rate !== null && total.conversion_rate ? row.conversion_rate / total.conversion_rate : null;
}

function without(row, total) {
  const leads = total.leads - row.leads;
  return leads > 0 ? (total.converted - row.converted) / leads : null;
}

function calibrationSection(dimensions, total, known, chart) {
  const content = [sectionTitle("calibration"), element("p", { className: "muted", text: t("reports.calibrationIntro") })];
  const temperatures = dimensions.temperature.filter((row) => row.value !== "(none)" || row.leads);
  const bands = dimensions.band.filter((row) => row.value !== "(none)" || row.leads);
  for (const [dimension, rows] of [["temperature", temperatures], ["band", bands]]) {
    const label = (row) => valueLabel(dimension, row.value, known);
    content.push(element("h3", { text: t(`reports.by.${dimension}`) }));
    if (dimension === "temperature") content.push(element("p", { className: "verdict", text: temperatureVerdict(rows) }));
    content.push(chart(t(`reports.by.${dimension}`), barChart({
      labels: rows.map((row) => t("reports.withLeads", { label: label(row), leads: number(row.leads) })), ratio: true,
      datasets: [{ label: t("reports.column.conversion"), data: rows.map((r) => r.conversion_rate ?? 0),
                   backgroundColor: COLOURS.rate }],
    }), rows.length));
    content.push(dataTable(t(`reports.caption.${dimension}`), [dimension, ...DIMENSION_COLUMNS],
      rows.map((row) => reportRow(label(row), row, DIMENSION_COLUMNS))));
  }
  content.push(element("h3", { text: t("reports.by.rule") }),
    element("p", { className: "muted", text: t("reports.ruleIntro") }));
  const rules = [...(dimensions.rule || [])].filter((row) => row.leads)
    .sort((a, b) => (lift(b, total) ?? -1) - (lift(a, total) ?? -1) || b.leads - a.leads);
  if (!rules.length) return [...content, element("p", { className: "muted", text: t("reports.nothing") })];
  const charted = rules.slice(0, CHART_ROWS);
  content.push(chart(t("reports.by.rule"), barChart({
    labels: charted.map((row) => t("reports.withLeads", { label: row.value, leads: number(row.leads) })), ratio: true,
    datasets: [{ label: t("reports.column.conversion"), data: charted.map((r) => r.conversion_rate ?? 0),
                 backgroundColor: COLOURS.withRule },
    { label: t("reports.column.withoutRule"), data: charted.map((r) => without(r, total) ?? 0),
      backgroundColor: COLOURS.withoutRule }],
  }), charted.length));
  const rows = rules.map((row) => {
    const name = element("th", { scope: "row" }, element("code", { text: row.value }));
    const reason = known.rules.get(row.value);
    if (reason) name.append(element("span", { className: "note", text: reason }));
    const factor = lift(row, total);
    const withoutRate = without(row, total);
    const tr = element("tr", {}, name, numberCell(number(row.leads)),
      numberCell(number(row.converted)), numberCell(rate(row.conversion_rate)),
      numberCell(rate(withoutRate)),
      numberCell(factor === null ? "—" : t("reports.times", { lift: number(factor, { maximumFractionDigits: 2 }) })));
    tr.dataset.value = row.value;
    return tr;
  });
  content.push(dataTable(t("reports.caption.rule"), ["rule", "leads", "customers", "conversion", "withoutRule", "lift"],
    rows));
  return content;
}

// -- channel costs ----------------------------------------------------------------------------

/** The form entering a channel's cost for a month (PUT /reports/costs); `update(report)`
 * offers the report's channels and month; a saved cost reloads the report. */
function costSection(reload) {
  const known = { managers: new Map(), rules: new Map() }; // a channel's label needs neither
  const state = stateBox();
  const field = (id, label, input, hint) => element("div", { className: "field" },
    element("label", { for: id, text: label }), input,
    hint ? element("span", { className: "note", id: `${id}-hint`, text: hint }) : null);
  const monthInput = element("input", { type: "month", id: "cost-month", name: "period", required: "",
    pattern: "\\d{4}-\\d{2}", placeholder: "2026-11", value: month(0) });
  const channelInput = element("input", { type: "text", id: "cost-channel", name: "channel", required: "",
    maxlength: "200", list: "cost-channels", autocomplete: "off", "aria-describedby": "cost-channel-hint" });
  const amountInput = element("input", { type: "text", id: "cost-amount", name: "amount", required: "",
    inputmode: "decimal", pattern: "\\d{1,12}([.,]\\d{1,2})?", placeholder: "1234.50",
    "aria-describedby": "cost-amount-hint" });
  const currencyInput = element("input", { type: "text", id: "cost-currency", name: "currency", required: "",
    pattern: "[A-Za-z]{3}", maxlength: "3", size: "4", value: "EUR", autocomplete: "off" });
  const channels = element("datalist", { id: "cost-channels" });
  const save = element("button", { type: "submit", text: t("reports.saveCost") });
  const form = element("form", { className: "cost-form", "aria-labelledby": "report-costs-title" },
    field("cost-month", t("reports.costMonth"), monthInput),
    field("cost-channel", t("reports.costChannel"), channelInput, t("reports.costChannelHint")), channels,
    field("cost-amount", t("reports.costAmount"), amountInput, t("reports.costAmountHint")),
    field("cost-currency", t("reports.costCurrency"), currencyInput),
    save);
  let touched = false;
  form.addEventListener("input", () => { touched = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    save.disabled = true;
    state.loading(t("reports.savingCost"));
    const cost = { month: monthInput.value.trim(), channel: channelInput.value.trim(),
      amount: amountInput.value.trim().replace(",", "."), currency: currencyInput.value.trim().toUpperCase() };
    try {
      const stored = await request("/reports/costs", { method: "PUT", body: JSON.stringify(cost),
        headers: { "Content-Type": "application/json" } });
      state.done(t("reports.costSaved", { channel: valueLabel("channel", stored.channel, known),
        month: monthName(stored.month), amount: money(stored.amount, stored.currency) }));
      amountInput.value = "";
      touched = false;
      await reload();
    } catch (error) {
      const code = error instanceof ApiError ? error.code : null;
      state.error(code === "invalid_channel" ? t("reports.costBadChannel")
        : code === "invalid_period" ? t("reports.costBadMonth") : t(describe(error)));
    } finally {
      save.disabled = false;
    }
  });
  const node = element("section", { id: "report-costs", className: "report", "aria-labelledby": "report-costs-title" },
    element("h2", { id: "report-costs-title", text: t("reports.section.costs") }),
    element("p", { className: "muted", text: t("reports.costsIntro") }), form, state.node);
  return {
    node,
    update(report) {
      channels.replaceChildren(...report.dimensions.channel.map((row) =>
        element("option", { value: row.value, text: valueLabel("channel", row.value, known) })));
      if (touched) return; // never overwrite what the admin is typing
      monthInput.value = report.last_day.slice(0, 7);
      const priced = report.dimensions.channel.find((row) => row.cost);
      if (priced) currencyInput.value = priced.cost.currency;
    },
  };
}
