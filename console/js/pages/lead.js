// One lead, as its manager works it (often on a phone, from the link in the email): the
// person and how to reach them first, with the moves the lead may make from where it is
// (the API names them: `next_statuses`), then the message, the score with every reason,
// the source, every submission and the history. Each move answers the lead as it is now;
// the page shows it at once and reads the history again. A move the lead can no longer
// make (the page was stale) is explained in words, with where it can go instead.

import { ApiError, describe, request } from "../api.js";
import { user } from "../auth.js";
import { element, stateBox, useStyles } from "../dom.js";
import { countryName, current, dateTime, day, languageName, number, relative, t } from "../i18n.js";
import { href } from "../router.js";

export const title = "lead.title";
export const words = "lead";

// The moves a manager makes, in the order the panel offers them (forward first). Back to
// `assigned` is only theirs from `postponed` (taking it back early); from new or
// unassigned it is Leadflow's own assignment.
const MOVES = ["contacted", "qualified", "converted", "assigned", "postponed", "rejected"];
const REASONS = ["no_budget", "no_need", "competitor", "no_response", "not_a_fit", "spam", "other"];
const NOTE_MAX = 2000;
const TICK_MS = 30_000;
const NEW_POLL_MS = 2_000;
const NEW_POLL_TIMES = 30; // a minute: scoring and assignment take seconds
// Calling codes of two digits (ITU zones); 1 and 7 have one, every other three.
const TWO_DIGIT_CODES = /^(2[07]|3[0-469]|4[013-9]|5[1-8]|6[0-6]|8[1246]|9[0-58])/;

let announced = null;

/** A word to show once on a lead's page, e.g. from the page that entered it by hand. */
export function announce(leadId, key) {
  announced = { leadId, key };
}

/** +14155550134 → "+1 415 555 0134": read aloud or typed from a desk phone. */
export function readablePhone(e164) {
  const digits = String(e164).replace(/^\+/, "");
  if (!/^\d{7,15}$/.test(digits)) return e164;
  const size = /^[17]/.test(digits) ? 1 : TWO_DIGIT_CODES.test(digits) ? 2 : 3;
  let rest = digits.slice(size);
  const groups = [];
  while (rest.length > 4) {
    groups.push(rest.slice(0, 3));
    rest = rest.slice(3);
  }
  groups.push(rest);
  return `+${digits.slice(0, size)} ${groups.join(" ")}`;
}

function known(key) {
  const text = t(key);
  return text === key ? null : text;
}

function listOf(items) {
  return new Intl.ListFormat(current(), { type: "disjunction" }).format(items);
}

/** What a person wrote (or a rule's reason): in its own direction, whatever the page's. */
function written(text) {
  return element("blockquote", { className: "said" }, element("span", { dir: "auto", text }));
}

function quoted(text) {
  return t("lead.quoted", { text });
}

function tomorrow() {
  const next = new Date();
  next.setDate(next.getDate() + 1);
  const pad = (value) => String(value).padStart(2, "0");
  return `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())}`;
}

function section(id, heading, ...children) {
  return element("section", { className: `lead-section lead-${id}`, "aria-labelledby": `lead-${id}-h` },
    element("h2", { id: `lead-${id}-h`, text: heading }), ...children);
}

function facts(rows) {
  const list = element("dl", { className: "facts" });
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === "") continue;
    list.append(element("dt", { text: label }),
      element("dd", {}, typeof value === "string" || typeof value === "number" ? String(value) : value));
  }
  return list;
}

function who(by) {
  if (!by) return null;
  if (by === "system") return t("lead.by.system");
  if (by === "lead") return t("lead.by.lead");
  const me = user();
  if (me && me.managerId && by === me.managerId) return t("lead.by.you");
  return by;
}

function byLine(by) {
  if (!by) return null;
  const me = user();
  const text = me && me.managerId && by === me.managerId ? t("lead.byYou") : t("lead.byWhom", { who: who(by) });
  return element("span", { className: "by", text });
}

function deadline(due, now) {
  if (!due) return null;
  const left = new Date(due).getTime() - now;
  return left < 0
    ? element("p", { className: "deadline late", text: t("lead.deadline.missed", { when: relative(left) }) })
    : element("p", { className: "deadline due", text: t("lead.deadline.due", { when: relative(left) }) });
}

function where(lead) {
  if (lead.status === "postponed" && lead.follow_up_on) {
    return t("lead.where.postponed", { day: day(lead.follow_up_on) });
  }
  if (lead.status === "rejected" && lead.rejection_reason) {
    return t("lead.where.rejected", { reason: t(`lead.reason.${lead.rejection_reason}`) });
  }
  if (lead.status === "converted" && lead.converted_at) {
    return t("lead.where.converted", { when: dateTime(lead.converted_at) });
  }
  return null;
}

function header(detail, now) {
  const { lead } = detail;
  const badges = element("p", { className: "badges" },
    element("span", { className: `status ${lead.status}`, text: t(`status.${lead.status}`) }));
  if (lead.score) {
    badges.append(element("span", { className: `temperature ${lead.score.temperature}`,
                                     text: t(`temperature.${lead.score.temperature}`) }),
      element("span", { className: "points", text: t("lead.points", { points: number(lead.score.points) }) }));
  }
  const due = lead.status === "assigned" ? detail.first_call_due_at : null;
  const node = element("div", { className: "lead-head" }, badges, deadline(due, now));
  const status = where(lead);
  if (status) node.append(element("p", { className: "where", text: status }));
  node.dataset.due = due || "";
  return node;
}

function contactCard(detail) {
  const { contact } = detail.lead;
  const latest = detail.submissions[0];
  const reach = element("div", { className: "reach" });
  if (contact.phone) {
    reach.append(element("a", { className: "reach-link", href: `tel:${contact.phone}` },
      element("span", { className: "reach-kind", text: t("lead.phone") }),
      element("span", { className: "reach-value", dir: "ltr", text: readablePhone(contact.phone) })));
  }
  if (contact.email) {
    reach.append(element("a", { className: "reach-link", href: `mailto:${contact.email}` },
      element("span", { className: "reach-kind", text: t("lead.email") }),
      element("span", { className: "reach-value", dir: "ltr", text: contact.email })));
  }
  const role = [contact.job_title, contact.company].filter(Boolean).join(" · ");
  return section("contact", t("lead.contact"),
    role ? element("p", { className: "role" }, element("span", { dir: "auto", text: role })) : null,
    reach,
    facts([[t("lead.country"), countryName(contact.country)],
           [t("lead.language"), latest ? languageName(latest.language) : null]]));
}

function message(detail) {
  const latest = detail.submissions.find((submission) => submission.message);
  if (!latest) {
    return section("message", t("lead.message"), element("p", { className: "muted", text: t("lead.noMessage") }));
  }
  return section("message", t("lead.message"),
    written(latest.message),
    element("p", { className: "muted", text: t("lead.sent", { when: dateTime(latest.received_at) }) }));
}

function scoreSection(lead) {
  const { score } = lead;
  if (!score) return section("score", t("lead.score"), element("p", { className: "muted", text: t("lead.notScored") }));
  const parts = [...score.parts].sort((a, b) => b.points - a.points);
  const list = element("ul", { className: "reasons" }, ...parts.map((part) => element("li", {},
    element("span", { className: `reason-points ${part.points < 0 ? "minus" : "plus"}`, dir: "ltr",
                      text: number(part.points, { signDisplay: "exceptZero" }) }),
    element("span", { dir: "auto", text: part.reason }))));
  const summary = t("lead.scoreSummary", { temperature: t(`temperature.${score.temperature}`),
                                           points: number(score.points) });
  const thresholds = score.thresholds
    ? element("p", { className: "muted", text: t("lead.thresholds", { warm: number(score.thresholds.warm),
                                                                       hot: number(score.thresholds.hot) }) })
    : null;
  return section("score", t("lead.score"), element("p", { className: "score-summary", text: summary }),
    parts.length ? list : element("p", { className: "muted", text: t("lead.noReasons") }), thresholds);
}

function sourceFacts(source, introduction = null) {
  // Addresses as text only: a referrer or a landing page is whatever a visitor's browser sent.
  const address = (text) => (text ? element("span", { className: "address", dir: "ltr", text }) : null);
  return facts([
    [t("lead.channel"), t(`channel.${source.channel || "unknown"}`)],
    [t("lead.form"), source.form_id],
    [t("lead.utmSource"), source.utm_source], [t("lead.utmMedium"), source.utm_medium],
    [t("lead.utmCampaign"), source.utm_campaign], [t("lead.utmTerm"), source.utm_term],
    [t("lead.utmContent"), source.utm_content],
    [t("lead.referrer"), address(source.referrer)],
    [t("lead.landingPage"), address(source.landing_page)],
    ...partnerFacts(source),
    ...introductionFacts(introduction),
  ]);
}

// Referrals: the partner the visit's code names (codes, never a partner's email), and why
// the attribution needs a look when it does.
function partnerFacts(source) {
  if (!source.ref && !source.partner_id) return [];
  const flag = source.partner_flag ? ` (${t(`lead.partnerFlag.${source.partner_flag}`)})` : "";
  return [
    [t("lead.partner"), source.partner_id ? `${source.partner_id}${flag}` : null],
    [t("lead.partnerGroup"), source.partner_group],
    [t("lead.refCode"), source.partner_id ? null : `${source.ref}${flag}`],
  ];
}

// A warm introduction (a referral form): the partner's note, as text, and how the person
// agreed to be called.
function introductionFacts(introduction) {
  if (!introduction) return [];
  const note = introduction.note ? element("span", { className: "introduction-note", text: introduction.note }) : null;
  return [
    [t("lead.introduction"), note],
    [t("lead.consentMethod"), t(`lead.consentMethod.${introduction.consent_method}`)],
  ];
}

function interest(value) {
  return value ? known(`newLead.interest.${value}`) || value : null;
}

function submissionsSection(detail) {
  const items = detail.submissions.map((submission) => {
    const score = submission.score
      ? t("lead.submissionScore", { temperature: t(`temperature.${submission.score.temperature}`),
                                    points: number(submission.score.points) })
      : null;
    const consent = submission.consent
      ? t(submission.consent.given ? "lead.consentGiven" : "lead.consentRefused")
      : null;
    // Its source when it is not the lead's own (the first touch, shown above).
    const ownSource = JSON.stringify(submission.source) !== JSON.stringify(detail.lead.source);
    return element("li", { className: "submission" },
      element("p", { className: "when", text: dateTime(submission.received_at) }),
      facts([[t("lead.interest"), interest(submission.interest)], [t("lead.scoreThen"), score],
             [t("lead.enteredBy"), who(submission.entered_by)], [t("lead.consent"), consent]]),
      // the message of a lone submission is the one shown above
      submission.message && detail.submissions.length > 1 ? written(submission.message) : null,
      ownSource ? sourceFacts(submission.source) : null);
  });
  return section("submissions", t("lead.submissions", { count: number(detail.submissions.length) }),
    element("ol", { className: "submissions" }, ...items));
}

const DETAIL_SHOWN = ["form", "from", "to", "reason", "follow_up_on", "why", "farewell", "matched_by", "other_lead_id",
                      "language"];

function historyDetail(kind, detail) {
  const rows = [];
  for (const key of DETAIL_SHOWN) {
    const value = detail[key];
    if (!value) continue;
    let shown = value;
    if (key === "from" && known(`status.${value}`)) shown = t(`status.${value}`);
    else if (key === "from" || key === "to") shown = who(value);
    else if (key === "reason") shown = known(`lead.reason.${value}`) || known(`lead.handover.${value}`) || value;
    else if (key === "follow_up_on") shown = day(value);
    else if (key === "farewell") shown = t("lead.yes");
    else if (key === "language") shown = languageName(value);
    else if (key === "why") shown = known(`lead.why.${value}`) || value;
    else if (key === "other_lead_id") {
      shown = element("a", { href: href(`/leads/${encodeURIComponent(value)}`), "data-link": "",
                             text: t("lead.open") });
    }
    rows.push([t(`lead.detail.${key}`), shown]);
  }
  return rows;
}

/** The history, with what the lead card itself tells: when it arrived and, if no entry
 * says so, when it was assigned (the first assignment is on the card, not in the history). */
function entries(detail) {
  const { lead } = detail;
  const all = [...detail.history];
  // Leads since issue 17 have both entries; older ones have them from the card.
  if (detail.complete && !all.some((entry) => entry.kind === "received")) {
    all.push({ kind: "received", at: lead.created_at, detail: { form: lead.source.form_id } });
  }
  if (lead.assigned_at && lead.manager_id && !all.some((entry) => ["assigned", "reassigned"].includes(entry.kind))) {
    all.push({ kind: "assigned", at: lead.assigned_at, detail: { to: lead.manager_id } });
  }
  return all.sort((a, b) => new Date(b.at) - new Date(a.at));
}

function historySection(detail) {
  const items = entries(detail).map((entry) => {
    const what = known(`lead.history.${entry.kind}`) || entry.kind;
    const item = element("li", { className: `entry ${entry.kind}` },
      element("p", { className: "what" }, element("strong", { text: what }), byLine(entry.detail && entry.detail.by)),
      element("p", { className: "when" }, element("time", { datetime: entry.at, text: dateTime(entry.at) })));
    const rows = historyDetail(entry.kind, entry.detail || {});
    if (rows.length) item.append(facts(rows));
    const text = (entry.detail || {}).note || (entry.detail || {}).comment;
    if (text) item.append(written(text));
    return item;
  });
  const body = items.length ? element("ol", { className: "history" }, ...items)
    : element("p", { className: "muted", text: t("lead.noHistory") });
  const partial = detail.complete ? null : element("p", { className: "muted", text: t("lead.incomplete") });
  return section("history", t("lead.history"), body, partial);
}

// -- the page ----------------------------------------------------------------------------

export function render(main, [leadId]) {
  useStyles("lead");
  const heading = element("h1", { text: t("lead.title"), tabindex: "-1" });
  const state = stateBox();
  const page = element("div", { className: "lead-page" });
  main.append(heading, state.node, page);

  let detail = null;
  let open = null; // the move whose form is open
  let notice = null; // {kind, text}: what the last action did, kept across a re-render
  let polls = 0;
  let poll = null;
  let gone = false;
  // A lead this user just entered by hand is theirs once assigned, seconds later: until
  // then the API says it is nobody's (403), which here means "wait", not "not yours".
  let justEntered = false;
  if (announced && announced.leadId === leadId) {
    notice = { kind: "done", text: t(announced.key) };
    justEntered = announced.key === "newLead.entered";
  }
  announced = null;

  const path = (end = "") => `/leads/${encodeURIComponent(leadId)}${end}`;

  function refusal(error) {
    // Another manager's lead, or none: said as such, with the way back, not as an error to retry.
    const forbidden = error.status === 403;
    heading.textContent = t(forbidden ? "lead.forbidden.title" : "lead.missing.title");
    state.clear();
    page.replaceChildren(
      // e.g. "this person was known already" after entering them by hand: why they are someone else's
      notice ? element("p", { className: "notice done", role: "status", text: notice.text }) : null,
      element("p", { className: "refusal", text: t(forbidden ? "lead.forbidden.text" : "lead.missing.text") }),
      element("p", {}, element("a", { href: href("/"), "data-link": "", text: t("backToQueue") })));
  }

  async function load({ quiet = false } = {}) {
    clearTimeout(poll);
    if (!quiet) state.loading(t("loading"));
    try {
      const answer = await request(path());
      if (gone) return;
      detail = answer;
      justEntered = false;
      state.clear();
      show();
      if (detail.lead.status === "new" && polls++ < NEW_POLL_TIMES) {
        poll = setTimeout(() => load({ quiet: true }), NEW_POLL_MS); // scored and assigned within seconds
      }
    } catch (error) {
      if (gone) return;
      if (error instanceof ApiError && error.status === 403 && justEntered && polls++ < NEW_POLL_TIMES) {
        state.loading(t("lead.scoring"));
        poll = setTimeout(() => load({ quiet: true }), NEW_POLL_MS);
        return;
      }
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return refusal(error);
      state.error(t("lead.loadFailed"), () => load(), t("retry"));
    }
  }

  function show() {
    const now = Date.now();
    const { lead } = detail;
    heading.replaceChildren(element("span", { dir: "auto", text: lead.contact.name })); // a name in its own script
    // The person and the moves first: on a phone that is all the screen shows at first.
    page.replaceChildren(header(detail, now), contactCard(detail), actions(), message(detail), scoreSection(lead),
      section("source", t("lead.source"), sourceFacts(lead.source, lead.introduction)),
      submissionsSection(detail),
      historySection(detail));
  }

  // -- the moves -------------------------------------------------------------------------

  function offered() {
    const { lead } = detail;
    if (!detail.next_statuses) return null; // being read again after a move
    return MOVES.filter((move) => detail.next_statuses.includes(move)
                                  && (move !== "assigned" || lead.status === "postponed"));
  }

  function actions() {
    const { lead } = detail;
    const box = element("div", { className: `notice ${notice ? notice.kind : ""}`, tabindex: "-1",
                                 role: notice && notice.kind === "error" ? "alert" : "status" },
      notice ? element("p", { text: notice.text }) : null);
    const panel = section("actions", t("lead.actions"), box);
    const moves = offered();
    if (lead.erased_at) {
      panel.append(element("p", { className: "muted", text: t("lead.erased", { when: dateTime(lead.erased_at) }) }));
      return panel;
    }
    if (moves === null) {
      panel.append(element("p", { className: "muted", text: t("loading") }));
    } else if (!moves.length) {
      const key = lead.status === "new" ? "lead.scoring" : lead.status === "unassigned" ? "lead.waiting" : "lead.final";
      panel.append(element("p", { className: "muted", text: t(key) }));
    }
    const buttons = element("div", { className: "moves" });
    for (const move of [...(moves || []), "note"]) {
      const button = element("button", { type: "button", className: move === (moves || [])[0] ? "primary" : "",
                                         "aria-expanded": open === move ? "true" : "false",
                                         "aria-controls": open === move ? "lead-move-form" : null,
                                         text: t(`lead.move.${move}`) });
      button.dataset.move = move;
      button.addEventListener("click", () => {
        open = open === move ? null : move;
        notice = null;
        const fresh = actions();
        panel.replaceWith(fresh);
        const field = fresh.querySelector("#lead-move-form select, #lead-move-form input, #lead-move-form textarea");
        if (field) field.focus();
      });
      buttons.append(button);
    }
    panel.append(buttons);
    if (open && (open === "note" || (moves || []).includes(open))) panel.append(moveForm(open));
    return panel;
  }

  function field(name, label, control, hint) {
    control.id = `lead-f-${name}`;
    control.name = name;
    const error = element("p", { className: "field-error", id: `lead-f-${name}-error`, hidden: "" });
    const described = [hint ? `lead-f-${name}-hint` : null, error.id].filter(Boolean).join(" ");
    control.setAttribute("aria-describedby", described);
    return element("div", { className: "field" }, element("label", { for: control.id, text: label }),
      hint ? element("p", { className: "hint", id: `lead-f-${name}-hint`, text: hint }) : null, control, error);
  }

  function moveForm(move) {
    const { lead } = detail;
    const form = element("form", { id: "lead-move-form", className: "move-form", novalidate: "",
                                   "aria-label": t(`lead.move.${move}`) });
    if (move === "rejected") {
      form.append(field("reason", t("lead.reasonLabel"), element("select", { required: "" },
        element("option", { value: "", text: t("lead.pickReason") }),
        ...REASONS.map((reason) => element("option", { value: reason, text: t(`lead.reason.${reason}`) })))));
    }
    if (move === "postponed") {
      form.append(field("follow_up_on", t("lead.followUpLabel"), element("input", { type: "date", required: "",
                                                                                      min: tomorrow() }),
                        t("lead.followUpHint")));
    }
    const noteLabel = move === "note" ? t("lead.noteLabel") : t("lead.noteOptional");
    form.append(field(move === "note" ? "text" : "note", noteLabel,
                      element("textarea", { rows: "3", maxlength: String(NOTE_MAX), required: move === "note" })));
    if (move === "rejected") {
      const box = element("input", { type: "checkbox", id: "lead-f-farewell", name: "farewell",
                                     disabled: !lead.contact.email,
                                     "aria-describedby": "lead-f-farewell-hint lead-f-farewell-error" });
      form.append(element("div", { className: "field check" }, box,
        element("label", { for: "lead-f-farewell", text: t("lead.farewell") }),
        element("p", { className: "hint", id: "lead-f-farewell-hint",
                       text: t(lead.contact.email ? "lead.farewellHint" : "lead.farewellNoEmail") }),
        element("p", { className: "field-error", id: "lead-f-farewell-error", hidden: "" })));
    }
    const problem = element("p", { className: "form-error", role: "alert", hidden: "" });
    const submit = element("button", { type: "submit", className: move === "rejected" ? "primary danger" : "primary",
                                       text: t(`lead.do.${move}`) });
    const cancel = element("button", { type: "button", text: t("cancel") });
    cancel.addEventListener("click", () => {
      open = null;
      document.querySelector(".lead-actions").replaceWith(actions());
      const again = document.querySelector(`.lead-actions button[data-move="${move}"]`);
      if (again) again.focus();
    });
    form.append(problem, element("div", { className: "form-buttons" }, submit, cancel));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(move, form, submit, problem);
    });
    return form;
  }

  function fieldError(form, name, text) {
    const error = form.querySelector(`#lead-f-${name}-error`);
    const control = form.querySelector(`#lead-f-${name}`);
    if (!error) return false;
    error.textContent = text;
    error.hidden = false;
    if (control) control.setAttribute("aria-invalid", "true");
    return true;
  }

  function clearErrors(form) {
    for (const error of form.querySelectorAll(".field-error, .form-error")) {
      error.hidden = true;
      error.textContent = "";
    }
    for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }

  function checked(move, form) {
    const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
    const problems = [];
    if (move === "rejected" && !value("reason")) problems.push(["reason", t("lead.error.reason")]);
    if (move === "postponed" && !(value("follow_up_on") >= tomorrow())) {
      problems.push(["follow_up_on", t("lead.error.followUp")]);
    }
    if (move === "note" && !value("text")) problems.push(["text", t("lead.error.noteEmpty")]);
    return problems;
  }

  function requestFor(move, form) {
    const value = (name) => (form.elements[name] ? form.elements[name].value.trim() : "");
    const note = value("note") || null;
    switch (move) {
      case "note": return ["/notes", { text: value("text") }];
      case "converted": return ["/convert", { note }];
      case "rejected": return ["/reject", { reason: value("reason"), note, farewell: form.elements.farewell.checked }];
      case "postponed": return ["/postpone", { follow_up_on: value("follow_up_on"), note }];
      default: return ["/status", { status: move, note }];
    }
  }

  // The API's codes for a refused move, as the field they are about.
  const FIELD_OF = { reason_required: "reason", reason_unknown: "reason", follow_up_required: "follow_up_on",
                     follow_up_not_in_future: "follow_up_on", farewell_needs_email: "farewell", note_empty: "text",
                     note_too_long: "note" };

  async function send(move, form, submit, problem) {
    clearErrors(form);
    const problems = checked(move, form);
    if (problems.length) {
      for (const [name, text] of problems) fieldError(form, name, text);
      form.querySelector("[aria-invalid]").focus();
      return;
    }
    const [end, body] = requestFor(move, form);
    submit.disabled = true;
    submit.textContent = t("lead.saving");
    try {
      const result = await request(path(end), { method: "POST", body: JSON.stringify(body),
                                                headers: { "Content-Type": "application/json" } });
      if (gone) return;
      open = null;
      notice = { kind: "done", text: t(`lead.done.${move}`, { status: t(`status.${result.lead.status}`) }) };
      if (move === "note") {
        detail = { ...detail, lead: result.lead, history: [result.note, ...detail.history].filter(Boolean) };
        show();
      } else {
        // The lead as it is now, at once; its history and next moves as the API reads them again.
        detail = { ...detail, lead: result.lead, next_statuses: null,
                   first_call_due_at: result.lead.status === "assigned" ? detail.first_call_due_at : null };
        show();
        load({ quiet: true });
      }
      focusNotice();
    } catch (error) {
      if (gone) return;
      submit.disabled = false;
      submit.textContent = t(`lead.do.${move}`);
      refused(error, form, problem);
    }
  }

  function focusNotice() {
    const box = page.querySelector(".lead-actions .notice");
    if (box) box.focus();
  }

  function refused(error, form, problem) {
    if (!(error instanceof ApiError)) {
      problem.textContent = t("lead.error.notSaved", { why: t(describe(error)) });
      problem.hidden = false;
      return;
    }
    if (error.status === 403 || error.status === 404) return refusal(error);
    if (error.code === "transition_not_allowed") {
      // The page was stale: say where the lead is and where it may go, then show it as it is.
      const allowed = (error.body.allowed || []).map((status) => quoted(t(`status.${status}`)));
      const status = quoted(t(`status.${error.body.status}`));
      notice = { kind: "error", text: allowed.length ? t("lead.notAllowed", { status, allowed: listOf(allowed) })
                                                     : t("lead.notAllowedFinal", { status }) };
      open = null;
      load({ quiet: true }).then(focusNotice);
      return;
    }
    if (error.code === "lead_changed") {
      notice = { kind: "error", text: t("lead.changedMeanwhile") };
      open = null;
      load({ quiet: true }).then(focusNotice);
      return;
    }
    // Each error beside its field (the API names it, or its code says which); the rest above the buttons.
    let placed = false;
    for (const each of error.errors) {
      const name = FIELD_OF[each.code] || (each.field || "").split(".").pop();
      if (name) placed = fieldError(form, name, known(`lead.error.${each.code}`) || each.message) || placed;
    }
    if (!placed) {
      problem.textContent = t("lead.error.notSaved", { why: known(`lead.error.${error.code}`) || t(describe(error)) });
      problem.hidden = false;
    } else {
      const first = form.querySelector("[aria-invalid]");
      if (first) first.focus();
    }
  }

  // The first call's deadline counts down while the page is open.
  const tick = setInterval(() => {
    const head = page.querySelector(".lead-head");
    if (!head || !head.dataset.due) return;
    const old = head.querySelector(".deadline");
    const fresh = deadline(head.dataset.due, Date.now());
    if (old && fresh) old.replaceWith(fresh);
  }, TICK_MS);

  load();
  return () => {
    gone = true;
    clearTimeout(poll);
    clearInterval(tick);
  };
}
