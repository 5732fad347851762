// Importing leads from a CSV file: the file and the form (and campaign) its rows come
// through, a dry run first (what each row would do: a new lead, added to the person's
// existing lead, already imported, or refused and why; nothing written), then the import,
// followed until done (the API stores it in the background) with its summary.

import { ApiError, describe, request } from "../api.js";
import { element, stateBox, useStyles } from "../dom.js";
import { base64Of, parseCsv } from "../files.js";
import { number, percent, t } from "../i18n.js";
import { href } from "../router.js";

export const title = "nav.import";
export const words = "import";
export const adminOnly = true;

const MAX_FILE_BYTES = 4 * 1024 * 1024; // the API's limit
const POLL_MS = 1500;
const SHOWN_ROWS = 200; // rows of the dry run listed; the counts cover them all
const PREVIEW_CHARS = 90;
const IGNORE = "ignore";
const JSON_HEADERS = { "Content-Type": "application/json" };
const DECODER = { "utf-8": "utf-8", "utf-8-sig": "utf-8", cp1252: "windows-1252" };
// The fields Leadflow reads from a row (leadflow.capture.fields): any other column is the
// form's own field, kept only by a form that keeps extra fields.
const KNOWN = new Set(["name", "first_name", "last_name", "email", "phone", "company", "job_title", "company_size",
  "industry", "country", "budget", "timeline", "interest", "message", "consent", "utm_source", "utm_medium",
  "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "referrer", "landing_page"]);


/** Replace `node`'s children with these, leaving out the absent ones (null, false). */
function fill(node, ...children) {
  node.replaceChildren(...children.filter((child) => child !== null && child !== undefined && child !== false));
}
function fieldWord(field) {
  if (!field) return t("import.field.row");
  const key = `import.field.${field}`;
  const text = t(key);
  return text === key ? field : text;
}

/** A refused row's problem in the admin's words (the API's own, in the form's language,
 * speak to the visitor of a web form). */
function problemText(problem) {
  const key = `import.refusal.${problem.code}`;
  const text = t(key, { field: fieldWord(problem.field) });
  return text === key ? problem.message : text;
}

/** What a file-level refusal (`invalid_import`) says, one line a problem. */
function fileProblem(problem) {
  const key = `import.file.${problem.code}`;
  const column = (problem.field || "").replace(/^mapping\./, "");
  const text = t(key, { column });
  return text === key ? problem.message : text;
}

function columnText(field) {
  if (field === IGNORE) return t("import.columns.ignored");
  return KNOWN.has(field) ? fieldWord(field) : t("import.columns.own", { name: field });
}

function count(key, value) {
  return element("div", { className: `count ${key}` }, element("dt", { text: t(`import.count.${key}`) }),
    element("dd", { text: number(value) }));
}

export function render(main) {
  useStyles("tools");
  let alive = true;
  let timer = null;
  let checked = null; // {request, dry} of the dry run shown

  const form = element("select", { id: "import-form", name: "form_id", required: "" });
  const campaign = element("input", { id: "import-campaign", name: "campaign", maxlength: 200, autocomplete: "off",
                                      "aria-describedby": "import-campaign-hint" });
  const file = element("input", { id: "import-file", name: "file", type: "file", required: "",
                                  accept: ".csv,text/csv", "aria-describedby": "import-file-hint" });
  const check = element("button", { type: "submit", className: "primary", text: t("import.check") });
  const state = stateBox();
  const chooser = element("form", { className: "panel import-form", novalidate: true },
    element("div", { className: "field" }, element("label", { for: "import-file", text: t("import.file") }),
      element("p", { id: "import-file-hint", className: "hint", text: t("import.fileHint") }), file),
    element("div", { className: "field" }, element("label", { for: "import-form", text: t("import.form") }),
      form),
    element("div", { className: "field" }, element("label", { for: "import-campaign", text: t("import.campaign") }),
      element("p", { id: "import-campaign-hint", className: "hint", text: t("import.campaignHint") }), campaign),
    element("div", { className: "actions" }, check));
  const report = element("section", { className: "panel report", "aria-labelledby": "import-report", hidden: "" });
  const progress = element("section", { className: "panel progress", "aria-labelledby": "import-progress",
                                        hidden: "" });
  const root = element("div", { className: "tools" });
  main.append(root);
  root.append(element("h1", { text: t("nav.import") }), element("p", { className: "intro", text: t("import.intro") }),
    chooser, state.node, report, progress);

  async function loadForms() {
    state.loading(t("loading"));
    check.disabled = true;
    try {
      const { forms } = await request("/admin/forms");
      if (!alive) return;
      form.replaceChildren(...forms.map((one) => element("option", {
        value: one.form_id, disabled: one.enabled === false,
        text: one.enabled === false ? t("import.formOff", { name: one.name || one.form_id })
          : `${one.name || one.form_id} (${one.form_id})`,
      })));
      const first = forms.find((one) => one.enabled !== false);
      if (first) form.value = first.form_id;
      check.disabled = !first;
      if (first) state.clear();
      else state.empty(t("import.noForms"));
    } catch (error) {
      if (alive) state.error(t(describe(error)), loadForms, t("retry"));
    }
  }

  function forget() {
    checked = null;
    report.hidden = true;
    report.replaceChildren();
  }

  function refused(error) {
    if (error instanceof ApiError && error.code === "invalid_import" && error.errors.length) {
      state.error(t("import.fileRefused"));
      state.node.append(element("ul", { className: "problems" },
        ...error.errors.map((problem) => element("li", { text: fileProblem(problem) }))));
    } else if (error instanceof ApiError && error.code === "form_not_found") state.error(t("import.formGone"));
    else state.error(t(describe(error)));
  }

  async function dryRun() {
    forget();
    const [chosen] = file.files;
    if (!chosen) {
      state.error(t("import.noFile"));
      file.focus();
      return;
    }
    if (chosen.size > MAX_FILE_BYTES) {
      state.error(t("import.file.file_too_large"));
      return;
    }
    check.disabled = true;
    state.loading(t("import.checking"));
    try {
      const body = { form_id: form.value, file: await base64Of(chosen), campaign: campaign.value.trim() || null };
      const dry = await request("/admin/imports/dry-run", { method: "POST", headers: JSON_HEADERS,
                                                            body: JSON.stringify(body) });
      if (!alive) return;
      state.clear();
      checked = { body, dry, name: chosen.name };
      showReport(dry, await cellsOf(chosen, dry), chosen.name);
    } catch (error) {
      if (alive) refused(error);
    } finally {
      check.disabled = false;
    }
  }

  /** The file's rows (record n = the file's row n, as the API numbers them), to show
   * what a refused row held; none when the file cannot be read here. */
  async function cellsOf(chosen, dry) {
    try {
      const text = new TextDecoder(DECODER[dry.encoding] || "utf-8").decode(await chosen.arrayBuffer());
      return parseCsv(text, dry.separator);
    } catch {
      return [];
    }
  }

  function preview(records, row) {
    const cells = (records[row - 1] || []).map((cell) => cell.trim()).filter(Boolean);
    const text = cells.join(" · ");
    return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
  }

  function showReport(dry, records, name) {
    const importable = dry.new + dry.attached;
    const columns = Object.entries(dry.columns);
    const looked = dry.plan.filter((row) => row.outcome !== "new");
    const start = element("button", { type: "button", className: "primary",
                                      text: t("import.start", { count: number(importable) }) });
    start.disabled = importable === 0;
    start.addEventListener("click", () => startImport(start));
    const rows = looked.slice(0, SHOWN_ROWS).map((row) => element("tr", { className: row.outcome },
      element("td", { className: "number", text: number(row.row) }),
      element("td", { className: "cells", text: preview(records, row.row) || "—" }),
      element("td", {},
        element("span", { className: `outcome ${row.outcome}`, text: t(`import.outcome.${row.outcome}`) }),
        row.errors.length ? element("ul", { className: "reasons" },
          ...row.errors.map((problem) => element("li", { text: problemText(problem) }))) : null)));
    fill(report,
      element("h2", { id: "import-report", text: t("import.report.title") }),
      element("p", { text: t("import.report.summary", { name, rows: number(dry.rows), form: dry.form_id }) }),
      element("dl", { className: "counts" }, count("new", dry.new), count("attached", dry.attached),
        count("unchanged", dry.unchanged), count("refused", dry.refused)),
      element("h3", { text: t("import.columns.title") }),
      element("ul", { className: "columns" }, ...columns.map(([header, field]) => element("li",
        { className: field === IGNORE || !KNOWN.has(field) ? "ignored" : null },
        element("span", { className: "header", text: header }), " → ",
        element("span", { text: columnText(field) })))),
      looked.length ? element("h3", { text: t("import.rows.title") }) : null,
      looked.length ? element("div", { className: "table-scroll" }, element("table", { className: "grid rows" },
        element("caption", { text: t("import.rows.caption") }),
        element("thead", {}, element("tr", {}, ...["row", "content", "outcome"].map((key) =>
          element("th", { scope: "col", text: t(`import.rows.${key}`) })))),
        element("tbody", {}, ...rows))) : element("p", { className: "done-note", text: t("import.rows.allNew") }),
      looked.length > SHOWN_ROWS ? element("p", { className: "muted",
        text: t("import.rows.more", { count: number(looked.length - SHOWN_ROWS) }) }) : null,
      element("div", { className: "apply" },
        element("p", { text: t(importable ? "import.start.hint" : "import.start.nothing") }), start));
    report.hidden = false;
  }

  async function startImport(button) {
    if (!checked) return;
    button.disabled = true;
    check.disabled = true;
    state.loading(t("import.starting"));
    try {
      const job = await request("/admin/imports", { method: "POST", headers: JSON_HEADERS,
                                                    body: JSON.stringify(checked.body) });
      if (!alive) return;
      state.clear();
      report.hidden = true;
      chooser.hidden = true;
      follow(job);
    } catch (error) {
      button.disabled = false;
      check.disabled = false;
      if (alive) refused(error);
    }
  }

  function follow(job) {
    showProgress(job);
    if (job.status === "completed") return;
    timer = setTimeout(async function poll() {
      timer = null;
      try {
        const now = await request(`/admin/imports/${encodeURIComponent(job.import_id)}`);
        if (alive) follow(now);
      } catch (error) {
        if (!alive) return;
        showProgress(job);
        const box = stateBox();
        box.error(t(describe(error)), () => follow(job), t("retry"));
        progress.append(box.node);
      }
    }, POLL_MS);
  }

  function showProgress(job) {
    const done = job.status === "completed";
    const bar = element("progress", { id: "import-bar", max: 1, value: job.progress });
    const another = element("button", { type: "button", text: t("import.another") });
    another.addEventListener("click", () => {
      progress.hidden = true;
      progress.replaceChildren();
      chooser.reset();
      chooser.hidden = false;
      forget();
      loadForms();
      file.focus();
    });
    const refusedRows = job.refused + job.late_refused;
    fill(progress,
      element("h2", { id: "import-progress", text: t(done ? "import.done.title" : "import.running.title") }),
      element("p", { role: "status", className: done ? "state done" : "step",
                     text: t(`import.status.${job.status}`) }),
      done ? null : element("div", { className: "progress-bar" },
        element("label", { for: "import-bar", text: t("import.progress", { percent: percent(job.progress) }) }), bar),
      element("dl", { className: "counts" }, count("new", job.stored_new), count("attached", job.attached),
        count("unchanged", job.unchanged), count("refused", refusedRows),
        count("assigned", job.assigned), count("unassigned", job.unassigned)),
      done && job.unassigned ? element("p", {}, element("a", { href: href("/unassigned"), "data-link": "",
        text: t("import.done.unassigned", { count: number(job.unassigned) }) })) : null,
      done && job.summaries_sent
        ? element("p", { text: t("import.done.emails", { count: number(job.summaries_sent) }) }) : null,
      job.refusals.length ? element("details", {}, element("summary", { text: t("import.done.refusals") }),
        element("ul", { className: "reasons" }, ...job.refusals.map((problem) => element("li",
          { text: t("import.done.refusal", { row: number(problem.row), reason: problemText(problem) }) }))))
        : null,
      done ? element("div", { className: "actions" }, another) : null);
    progress.hidden = false;
  }

  chooser.addEventListener("submit", (event) => {
    event.preventDefault();
    dryRun();
  });
  for (const input of [form, campaign, file]) input.addEventListener("change", forget);
  campaign.addEventListener("input", forget);
  loadForms();
  return () => {
    alive = false;
    if (timer) clearTimeout(timer);
  };
}
