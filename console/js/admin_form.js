// What the admin pages (unassigned, managers, forms) share: labelled inputs built from a
// short description, each with its hint and a slot for its error; the API's field errors
// put next to their fields in words people read (not pydantic's patterns); a modal dialog
// around them; a table whose cells carry their column's name (a phone shows each row as
// a card); and the load of a manager, "3 / 40".

import { ApiError, describe } from "./api.js";
import { element } from "./dom.js";
import { t } from "./i18n.js";

export const words = "admin";

let serial = 0;

// The API's error codes a person can act on, in their words. A value "not in the expected
// form" (a pattern) is explained by the field's own `invalid` word, which says the form.
const CODES = {
  missing: "admin.field.required", string_too_short: "admin.field.required", too_short: "admin.field.required",
  name_required: "admin.field.required", invalid_email: "admin.field.email",
  int_type: "admin.field.whole", int_parsing: "admin.field.whole", int_from_float: "admin.field.whole",
  float_type: "admin.field.number", float_parsing: "admin.field.number",
  greater_than_equal: "admin.field.range", less_than_equal: "admin.field.range",
  string_too_long: "admin.field.tooLong", too_long: "admin.field.tooMany",
  unknown_manager: "admin.field.unknownManager", consent_text_required: "admin.field.consentText",
  honeypot_is_a_field: "admin.field.honeypot", date_from_datetime_parsing: "admin.field.date",
  date_parsing: "admin.field.date", date_type: "admin.field.date",
  manager_exists: "admin.field.taken", form_exists: "admin.field.taken", user_exists: "admin.field.hasLogin",
};

/** "3 / 40" ("3 من 40" in Arabic, which a slash would turn around). */
export function load(openLeads, capacity) {
  return t("admin.load", { open: openLeads, capacity });
}

/** Names one after the other, with the language's comma ("، " in Arabic). */
export function listed(names) {
  return names.join(t("admin.comma"));
}

function items(text, change) {
  return text.split(/[\s,;]+/).map((item) => change(item.trim())).filter(Boolean);
}

const CHANGE = { upper: (s) => s.toUpperCase(), lower: (s) => s.toLowerCase(), none: (s) => s };

function control(spec, id, value) {
  const common = { id, name: spec.name, autocomplete: spec.autocomplete || "off" };
  switch (spec.type) {
    case "select":
      return element("select", common, ...spec.options.map(([option, text]) =>
        element("option", { value: option, text, selected: String(value ?? "") === String(option) })));
    case "checkbox":
      return element("input", { ...common, type: "checkbox", checked: Boolean(value) });
    case "textarea":
    case "lines":
      return element("textarea", { ...common, rows: spec.rows || 3, dir: spec.dir,
        text: spec.type === "lines" ? (value || []).join("\n") : value ?? "" });
    case "list":
      return element("input", { ...common, type: "text", dir: spec.dir, value: (value || []).join(", ") });
    default:
      return element("input", { ...common, type: spec.type || "text", value: value ?? "", min: spec.min,
        max: spec.max, step: spec.step, dir: spec.dir, inputmode: spec.inputmode });
  }
}

function readOne(spec, input) {
  const text = input.value.trim();
  switch (spec.type) {
    case "checkbox": return input.checked;
    case "number": return text === "" ? null : Number(text);
    case "lines": return text.split("\n").map((line) => line.trim()).filter(Boolean);
    case "list": return items(text, CHANGE[spec.change || "none"]);
    default: return text === "" ? null : CHANGE[spec.change || "none"](text);
  }
}

/**
 * Labelled inputs from `specs`, filled from `values`. A spec: {name, label, type (text, email,
 * number, date, select, checkbox, textarea; `lines`: a list one per line; `list`: a list
 * separated by commas), hint, options: [[value, text]], min, max, change: "upper"|"lower",
 * half (one of two columns on a wide screen), invalid (the word saying the expected form),
 * owns (error codes of the whole request that are about this field), extra (a node after
 * the input)}; or {type: "more", label, specs} for settings folded away.
 * → {nodes, read(), show(errors) → the errors no field took, clear(), focusFirst()}.
 */
export function fields(specs, values = {}) {
  const known = new Map();
  const folds = [];

  function build(spec) {
    if (spec.type === "more") {
      const fold = element("details", { className: "more-settings" },
        element("summary", { text: spec.label }), ...spec.specs.map(build));
      folds.push(fold);
      return fold;
    }
    const id = `field-${++serial}`;
    const input = control(spec, id, values[spec.name]);
    const hint = spec.hint ? element("p", { className: "hint", id: `${id}-hint`, text: spec.hint }) : null;
    const error = element("p", { className: "field-error", id: `${id}-error`, hidden: "" });
    input.setAttribute("aria-describedby", [hint && hint.id, error.id].filter(Boolean).join(" "));
    const label = element("label", { for: id, text: spec.label });
    const wrapper = spec.type === "checkbox"
      ? element("div", { className: "field check" }, input, label, hint, error)
      : element("div", { className: spec.half ? "field half" : "field" }, label, input, spec.extra || null, hint, error);
    known.set(spec.name, { spec, input, error });
    return wrapper;
  }

  const nodes = specs.map(build);

  function clear() {
    for (const { input, error } of known.values()) {
      input.removeAttribute("aria-invalid");
      error.hidden = true;
      error.textContent = "";
    }
  }

  function explain(problem, spec, input) {
    const [, index] = String(problem.field || "").split(".");
    let key = CODES[problem.code] || spec.invalid || "admin.field.invalid";
    if (key === "admin.field.range" && spec.max === undefined) key = "admin.field.atLeast";
    const text = t(key, { min: spec.min ?? 0, max: spec.max ?? "" });
    if (index === undefined || !["list", "lines"].includes(spec.type)) return text;
    const value = readOne(spec, input)[Number(index)];
    return value === undefined ? text : `${t("admin.field.item", { value })} ${text}`;
  }

  function show(errors) {
    const left = [];
    for (const problem of errors || []) {
      const name = String(problem.field || "").split(".")[0];
      const found = known.get(name) || [...known.values()].find(({ spec }) => (spec.owns || []).includes(problem.code));
      if (!found) {
        left.push(problem);
        continue;
      }
      const { spec, input, error } = found;
      input.setAttribute("aria-invalid", "true");
      const text = explain(problem, spec, input);
      if (!error.textContent.includes(text)) error.textContent = `${error.textContent} ${text}`.trim();
      error.hidden = false;
      const fold = folds.find((details) => details.contains(input));
      if (fold) fold.open = true;
    }
    return left;
  }

  function focusFirst() {
    const first = [...known.values()].find(({ input }) => input.getAttribute("aria-invalid"));
    if (first) first.input.focus();
    return Boolean(first);
  }

  function read() {
    return Object.fromEntries([...known].map(([name, { spec, input }]) => [name, readOne(spec, input)]));
  }

  return { nodes, read, show, clear, focusFirst };
}

/** Only what differs from `before` (a PATCH changes only what it is sent). */
export function changes(now, before) {
  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return Object.fromEntries(Object.entries(now).filter(([name, value]) => !same(value, before[name])));
}

/** Without the settings left empty (a new thing takes their defaults). */
export function filled(values) {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null && value !== ""
    && !(Array.isArray(value) && value.length === 0)));
}

/**
 * A modal dialog with `specs`' fields (may be none: a confirmation), `intro` nodes above,
 * and a submit button `submit`. `send(values)` does the work: its result closes the dialog
 * and resolves the promise; an error it throws is shown (field errors next to their
 * fields, the rest above the buttons: `explain(error)` → words, else the common ones).
 * Cancel or Escape resolves null.
 */
export function openDialog({ title, intro = [], specs = [], values = {}, submit, send, explain, danger = false,
                             within = document.getElementById("main") }) {
  return new Promise((resolve) => {
    const id = `dialog-${++serial}`;
    const form = fields(specs, values);
    const heading = element("h2", { id: `${id}-title`, text: title });
    const problem = element("p", { className: "form-problem", role: "alert" });
    const cancel = element("button", { type: "button", className: "secondary", text: t("cancel") });
    const ok = element("button", { type: "submit", className: danger ? "danger" : "primary", text: submit });
    const body = element("form", { novalidate: true }, heading,
      ...intro.map((part) => (typeof part === "string" ? element("p", { className: "intro", text: part }) : part)),
      ...form.nodes, problem, element("div", { className: "actions" }, cancel, ok));
    const dialog = element("dialog", { className: "admin-dialog", "aria-labelledby": heading.id }, body);
    within.append(dialog);

    function finish(result) {
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(result);
    }

    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      if (!ok.disabled) finish(null);
    });
    body.addEventListener("submit", async (event) => {
      event.preventDefault();
      form.clear();
      problem.textContent = "";
      ok.disabled = true;
      try {
        finish(await send(form.read()));
      } catch (error) {
        const left = error instanceof ApiError ? form.show(error.errors) : [error];
        if (left.length || !form.focusFirst()) {
          problem.textContent = (explain && explain(error)) || t(describe(error));
          problem.tabIndex = -1;
          problem.focus();
        }
      } finally {
        ok.disabled = false;
      }
    });
    dialog.showModal();
  });
}

/** A dialog that only shows `content` (e.g. the embed code), closed by its button or Escape. */
export function showDialog({ title, content, within = document.getElementById("main") }) {
  const id = `dialog-${++serial}`;
  const heading = element("h2", { id: `${id}-title`, text: title });
  const close = element("button", { type: "button", className: "primary", text: t("admin.close") });
  const dialog = element("dialog", { className: "admin-dialog wide", "aria-labelledby": heading.id },
    heading, ...content, element("div", { className: "actions" }, close));
  within.append(dialog);
  const finish = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
  };
  close.addEventListener("click", finish);
  dialog.addEventListener("close", finish);
  dialog.showModal();
  return dialog;
}

/** A table of `columns` ([key, heading]) with a caption; `row(cells)` where each cell is
 * `[key, ...children]` or `[key, {attributes}, ...children]` gets its column's name for the
 * phone's card layout. */
export function table(className, caption, columns) {
  const names = new Map(columns);
  const node = element("table", { className: `admin-table ${className}`, hidden: "" },
    element("caption", { className: "visually-hidden", text: caption }),
    element("thead", {}, element("tr", {}, ...columns.map(([key, text]) =>
      element("th", { scope: "col", className: `col-${key}`, text })))),
    element("tbody"));
  function row(cells, attributes = {}) {
    return element("tr", attributes, ...cells.map(([key, ...rest]) => {
      const own = rest.length && rest[0] && !(rest[0] instanceof Node) && typeof rest[0] === "object" ? rest.shift() : {};
      const first = rest.length && typeof rest[0] === "string" ? { text: rest.shift() } : {};
      return element(key === "lead" || key === "manager" || key === "form" ? "th" : "td",
        { scope: key === "lead" || key === "manager" || key === "form" ? "row" : null, ...own, ...first,
          className: [`col-${key}`, own.className].filter(Boolean).join(" "), "data-label": names.get(key) },
        ...rest);
    }));
  }
  return { node, body: node.querySelector("tbody"), row };
}

/** A "Copy" button for `text()` with its own live message ("Copied"); where the
 * clipboard is refused, the text is selected for the person to copy. */
export function copyButton(label, text, select) {
  const said = element("span", { className: "copied", role: "status" });
  const button = element("button", { type: "button", className: "secondary", text: label });
  button.addEventListener("click", async () => {
    said.textContent = "";
    try {
      await navigator.clipboard.writeText(text());
      said.textContent = t("admin.copied");
    } catch {
      if (select) select();
      said.textContent = t("admin.copyByHand");
    }
  });
  return element("span", { className: "copy" }, button, said);
}
