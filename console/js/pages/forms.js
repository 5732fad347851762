// The forms landing pages post to: each one's name, language, thank-you page and the sites
// allowed to post, switched on or off. An admin adds a form, changes one, switches it off
// (its posts are refused, nothing is deleted) or on again, and copies its embed code: a
// plain HTML form, or the same form enhanced by leadflow.js.

import { ApiError, describe, request } from "../api.js";
import { changes, copyButton, filled, openDialog, showDialog, table } from "../admin_form.js";
import { element, stateBox, useStyles } from "../dom.js";
import { languageName, t } from "../i18n.js";

export const title = "admin.forms.title";
export const words = "admin";
export const adminOnly = true;

const JSON_BODY = { "Content-Type": "application/json" };
const LANGUAGES = ["en", "es", "ar"];

function formSpecs(isNew, language) {
  const languages = LANGUAGES.includes(language) || !language ? LANGUAGES : [...LANGUAGES, language];
  const specs = [
    { name: "name", label: t("admin.forms.field.name"), hint: t("admin.forms.hint.name") },
    { name: "language", label: t("admin.forms.field.language"), type: "select", half: true,
      hint: t("admin.forms.hint.language"),
      options: languages.map((code) => [code, languageName(code)]) },
    { name: "default_country", label: t("admin.forms.field.country"), change: "upper", dir: "ltr", half: true,
      hint: t("admin.forms.hint.country"), invalid: "admin.forms.invalid.country" },
    { name: "thank_you_url", label: t("admin.forms.field.thanks"), dir: "ltr", hint: t("admin.forms.hint.url"),
      invalid: "admin.forms.invalid.url" },
    { name: "allowed_origins", label: t("admin.forms.field.origins"), type: "lines", dir: "ltr",
      hint: t("admin.forms.hint.origins"), invalid: "admin.forms.invalid.origin" },
    { name: "scoring_profile", label: t("admin.forms.field.profile"), type: "select",
      options: [["b2b", t("admin.forms.profile.b2b")], ["b2c", t("admin.forms.profile.b2c")]] },
    { name: "consent_text", label: t("admin.forms.field.consent"), type: "textarea", hint: t("admin.forms.hint.consent") },
    { name: "consent_version", label: t("admin.forms.field.consentVersion"), hint: t("admin.forms.hint.consentVersion") },
    { name: "autoresponder", label: t("admin.forms.field.autoresponder"), type: "checkbox" },
    { name: "autoresponder_subject", label: t("admin.forms.field.subject"), hint: t("admin.forms.hint.subject") },
    { type: "more", label: t("admin.forms.more"), specs: [
      { name: "error_url", label: t("admin.forms.field.errorPage"), dir: "ltr", hint: t("admin.forms.hint.url"),
        invalid: "admin.forms.invalid.url" },
      { name: "required_fields", label: t("admin.forms.field.required"), type: "list", dir: "ltr",
        hint: t("admin.forms.hint.required"), invalid: "admin.forms.invalid.fieldName" },
      { name: "rate_limit_per_minute", label: t("admin.forms.field.rate"), type: "number", min: 1, max: 10000,
        step: 1, hint: t("admin.forms.hint.rate") },
      { name: "min_fill_seconds", label: t("admin.forms.field.fill"), type: "number", min: 0, max: 600, step: 0.1,
        hint: t("admin.forms.hint.fill") },
      { name: "honeypot_field", label: t("admin.forms.field.honeypot"), dir: "ltr", hint: t("admin.forms.hint.honeypot"),
        invalid: "admin.forms.invalid.honeypot" },
      { name: "keep_custom_fields", label: t("admin.forms.field.custom"), type: "checkbox" },
    ] },
  ];
  if (isNew) {
    specs.unshift({ name: "form_id", label: t("admin.forms.field.id"), dir: "ltr", hint: t("admin.forms.hint.id"),
      invalid: "admin.field.id", owns: ["form_exists"] });
  }
  return specs;
}

const NEW_FORM = { language: "en", default_country: "US", scoring_profile: "b2b", allowed_origins: [],
  required_fields: [], rate_limit_per_minute: 5, min_fill_seconds: 2, honeypot_field: "_gotcha",
  keep_custom_fields: true, autoresponder: false };

function snippet(heading, hint, code) {
  const id = `snippet-${Math.random().toString(36).slice(2)}`;
  const text = element("textarea", { className: "code", readonly: true, rows: 6, dir: "ltr", spellcheck: "false",
    "aria-labelledby": id, text: code });
  return element("section", { className: "snippet" },
    element("h3", { id, text: heading }), element("p", { className: "hint", text: hint }), text,
    copyButton(t("admin.forms.copy"), () => code, () => text.select()));
}

export function render(main) {
  useStyles("admin");
  const state = stateBox();
  const said = stateBox();
  const add = element("button", { type: "button", className: "primary", text: t("admin.forms.add") });
  const list = table("forms", t("admin.forms.caption"), [
    ["form", t("admin.forms.column.form")], ["language", t("admin.forms.column.language")],
    ["thanks", t("admin.forms.column.thanks")], ["sites", t("admin.forms.column.sites")],
    ["status", t("admin.forms.column.status")], ["actions", t("admin.forms.column.actions")]]);
  main.append(element("h1", { text: t(title) }), element("p", { className: "lede", text: t("admin.forms.lede") }),
    element("div", { className: "toolbar" }, add), said.node, state.node,
    element("div", { className: "table-scroll" }, list.node));

  let loading = 0;

  function button(text, label, action, className = "small") {
    const node = element("button", { type: "button", className, text, "aria-label": label });
    node.addEventListener("click", action);
    return node;
  }

  function row(form) {
    const sites = form.allowed_origins.length
      ? form.allowed_origins.map((origin) => element("span", { className: "block", dir: "ltr", text: origin }))
      : [element("span", { className: "muted", text: t("admin.forms.anySite") })];
    const who = { name: form.name };
    return list.row([
      ["form", element("span", { className: "name", text: form.name }),
        element("span", { className: "muted block", dir: "ltr", text: form.form_id })],
      ["language", languageName(form.language)],
      ["thanks", { dir: "ltr" }, form.thank_you_url || "—"],
      ["sites", ...sites],
      ["status", element("span", { className: form.enabled ? "badge on" : "badge off",
        text: t(form.enabled ? "admin.forms.enabled" : "admin.forms.disabled") })],
      ["actions", element("div", { className: "row-actions" },
        button(t("admin.forms.edit"), t("admin.forms.editWho", who), () => editForm(form)),
        button(t("admin.forms.embed"), t("admin.forms.embedWho", who), () => embed(form)),
        form.enabled
          ? button(t("admin.forms.disable"), t("admin.forms.disableWho", who), () => disable(form), "small danger")
          : button(t("admin.forms.enable"), t("admin.forms.enableWho", who), () => enable(form)))],
    ], { "data-form": form.form_id });
  }

  async function show() {
    const mine = ++loading;
    state.loading(t("loading"));
    try {
      const { forms } = await request("/admin/forms");
      if (mine !== loading) return;
      list.body.replaceChildren(...forms.map(row));
      list.node.hidden = forms.length === 0;
      if (forms.length) state.clear();
      else state.empty(t("admin.forms.empty"));
    } catch (error) {
      if (mine !== loading) return;
      state.error(t(describe(error)), show, t("retry"));
    }
  }

  async function addForm() {
    const added = await openDialog({
      title: t("admin.forms.addTitle"), specs: formSpecs(true), values: NEW_FORM, submit: t("admin.forms.addSubmit"),
      send: (values) => request("/admin/forms", { method: "POST", headers: JSON_BODY,
        body: JSON.stringify(filled(values)) }),
    });
    if (!added) return add.focus();
    said.done(t("admin.forms.added", { name: added.name }));
    await show();
  }

  async function editForm(form) {
    const changed = await openDialog({
      title: t("admin.forms.editTitle", { name: form.name }), specs: formSpecs(false, form.language), values: form,
      submit: t("save"),
      send: (values) => request(`/admin/forms/${encodeURIComponent(form.form_id)}`, { method: "PATCH",
        headers: JSON_BODY, body: JSON.stringify(changes(values, form)) }),
    });
    if (!changed) return;
    said.done(t("admin.forms.changed", { name: changed.name }));
    await show();
  }

  async function switchTo(form, on) {
    const answer = await request(`/admin/forms/${encodeURIComponent(form.form_id)}/${on ? "enable" : "disable"}`,
      { method: "POST" });
    said.done(t(on ? "admin.forms.nowEnabled" : "admin.forms.nowDisabled", { name: answer.name }));
    await show();
    return answer;
  }

  async function disable(form) {
    await openDialog({
      title: t("admin.forms.disableTitle", { name: form.name }), intro: [t("admin.forms.disableIntro")], danger: true,
      submit: t("admin.forms.disable"), send: () => switchTo(form, false),
    });
  }

  async function enable(form) {
    try {
      await switchTo(form, true);
    } catch (error) {
      said.error(error instanceof ApiError ? t(describe(error)) : t("error.network"));
    }
  }

  function embed(form) {
    showDialog({ title: t("admin.forms.embedTitle", { name: form.name }), content: [
      element("p", { className: "intro" }, t("admin.forms.embedIntro"), " ",
        element("code", { dir: "ltr", text: form.embed.action_url })),
      form.enabled ? null : element("p", { className: "warning", text: t("admin.forms.embedDisabled") }),
      snippet(t("admin.forms.html"), t("admin.forms.htmlHint"), form.embed.html),
      snippet(t("admin.forms.script"), t("admin.forms.scriptHint"), form.embed.leadflow_js),
    ].filter(Boolean) });
  }

  add.addEventListener("click", addForm);
  show();
}
