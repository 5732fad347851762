// A lead entered by hand (met at a fair, a call that came in): a name plus an email or a
// phone, the rest optional but scored as on a form. The API deduplicates, scores and
// assigns it (a manager's own lead stays theirs); on success the lead's page follows.
// What the API refuses is said beside the field it names.

import { ApiError, describe, request } from "../api.js";
import { element, useStyles } from "../dom.js";
import { current, languageName, t } from "../i18n.js";
import { href, navigate } from "../router.js";
import { announce } from "./lead.js";

export const title = "nav.newLead";
export const words = "lead";

const INTERESTS = ["quote", "demo", "pricing", "question", "ebook", "newsletter"];
const LANGUAGES = ["en", "es", "ar", "fr", "de", "pt", "it"];
// The API's codes for a refused lead, as words of this page.
const KNOWN = new Set(["name_required", "contact_required", "invalid_email", "invalid_phone", "string_too_long"]);

function field(name, label, control, hint) {
  control.id = `new-${name}`;
  control.name = name;
  const error = element("p", { className: "field-error", id: `new-${name}-error`, hidden: "" });
  control.setAttribute("aria-describedby", [hint ? `new-${name}-hint` : null, error.id].filter(Boolean).join(" "));
  return element("div", { className: `field field-${name}` }, element("label", { for: control.id, text: label }),
    hint ? element("p", { className: "hint", id: `new-${name}-hint`, text: hint }) : null, control, error);
}

function input(type, extra = {}) {
  return element("input", { type, autocomplete: "off", ...extra });
}

export function render(main) {
  useStyles("lead");
  const heading = element("h1", { text: t("nav.newLead") });
  const language = LANGUAGES.includes(current()) ? current() : "en";
  const form = element("form", { className: "new-lead", novalidate: "", "aria-labelledby": "new-lead-h" },
    element("p", { className: "hint", text: t("newLead.intro") }),
    element("fieldset", {}, element("legend", { text: t("newLead.person") }),
      field("name", t("newLead.name"), input("text", { required: "", maxlength: "200" })),
      field("email", t("lead.email"), input("email", { maxlength: "254" }), t("newLead.reachHint")),
      field("phone", t("lead.phone"), input("tel", { maxlength: "50" }), t("newLead.phoneHint")),
      field("company", t("newLead.company"), input("text", { maxlength: "200" })),
      field("job_title", t("newLead.jobTitle"), input("text", { maxlength: "200" })),
      field("country", t("lead.country"), input("text", { maxlength: "200" }), t("newLead.countryHint")),
      field("language", t("lead.language"), element("select", {},
        ...LANGUAGES.map((code) => element("option", { value: code, text: languageName(code),
                                                       selected: code === language }))))),
    element("fieldset", {}, element("legend", { text: t("newLead.request") }),
      field("interest", t("lead.interest"), element("select", {},
        element("option", { value: "", text: t("newLead.interest.none") }),
        ...INTERESTS.map((value) => element("option", { value, text: t(`newLead.interest.${value}`) })))),
      field("scoring_profile", t("newLead.profile"), element("select", {},
        element("option", { value: "b2b", text: t("newLead.profile.b2b") }),
        element("option", { value: "b2c", text: t("newLead.profile.b2c") }))),
      field("notes", t("newLead.notes"), element("textarea", { rows: "4", maxlength: "4000" }),
            t("newLead.notesHint"))));
  heading.id = "new-lead-h";
  const problem = element("p", { className: "form-error", role: "alert", hidden: "" });
  const submit = element("button", { type: "submit", className: "primary", text: t("newLead.submit") });
  form.append(problem, element("div", { className: "form-buttons" }, submit));
  main.append(heading, form);

  function value(name) {
    return form.elements[name].value.trim();
  }

  function show(name, text) {
    const error = form.querySelector(`#new-${name}-error`);
    if (!error) return false;
    error.textContent = text;
    error.hidden = false;
    form.elements[name].setAttribute("aria-invalid", "true");
    return true;
  }

  function clear() {
    for (const error of form.querySelectorAll(".field-error, .form-error")) {
      error.hidden = true;
      error.textContent = "";
    }
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }

  function focusFirst() {
    const first = form.querySelector("[aria-invalid]");
    if (first) first.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clear();
    // What a person can see missing is said before asking; the API checks the rest.
    let missing = false;
    if (!value("name")) missing = show("name", t("newLead.error.name_required"));
    if (!value("email") && !value("phone")) missing = show("email", t("newLead.error.contact_required")) || missing;
    if (missing) return focusFirst();

    const body = { name: value("name"), language: value("language"), scoring_profile: value("scoring_profile") };
    for (const name of ["email", "phone", "company", "job_title", "country", "interest", "notes"]) {
      if (value(name)) body[name] = value(name);
    }
    submit.disabled = true;
    submit.textContent = t("lead.saving");
    try {
      const entered = await request("/leads", { method: "POST", body: JSON.stringify(body),
                                                headers: { "Content-Type": "application/json" } });
      announce(entered.lead_id, entered.is_new_lead ? "newLead.entered" : "newLead.known");
      navigate(href(`/leads/${encodeURIComponent(entered.lead_id)}`));
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t("newLead.submit");
      let placed = false;
      if (error instanceof ApiError) {
        for (const each of error.errors) {
          const name = (each.field || "").split(".").pop();
          const text = KNOWN.has(each.code) ? t(`newLead.error.${each.code}`) : each.message;
          if (name && form.elements[name]) placed = show(name, text) || placed;
        }
      }
      if (placed) return focusFirst();
      const key = error instanceof ApiError && error.code === "no_manager" ? "newLead.error.no_manager"
        : describe(error);
      problem.textContent = t("newLead.error.notSaved", { why: t(key) });
      problem.hidden = false;
    }
  });
}
