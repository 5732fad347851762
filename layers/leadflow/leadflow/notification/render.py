"""Rendering every email Leadflow sends, and the pages behind the signed links in them,
from Jinja2 template files (`templates/`) and the wording of `catalog`, in the reader's
language (Arabic right to left).

Autoescaping is on for every HTML template: whatever a visitor typed is shown, never
interpreted. Header fields are stripped of line breaks so nobody can inject headers."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from leadflow.capture.contact import readable_phone
from leadflow.lifecycle.links.signing import ManagerLinks
from leadflow.lifecycle.schedules import ReminderDue
from leadflow.notification.catalog import Words
from leadflow.notification.mailer import Audience, Email
from leadflow.shared.brand import FAVICON_DATA_URI
from leadflow.shared.events import LeadAssigned
from leadflow.shared.models import FormConfig, Lead, Manager, Submission

if TYPE_CHECKING:
    from jinja2 import Environment


@cache
def _templates() -> Environment:
    # Jinja2 is imported by the first render, not by every function that can render:
    # the leads API (through erasure's address keys) and capture's imports never do on
    # most requests, and the import is a cold start's 15-25 ms.
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("leadflow.notification", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    # `{{ lead.contact.phone | readable_phone(home) }}`: shown as people read it, dialled as E.164.
    env.filters["readable_phone"] = readable_phone
    env.globals["favicon"] = FAVICON_DATA_URI  # the pages' icon (leadflow.shared.brand)
    return env


def header_safe(text: str, limit: int = 200) -> str:
    """One line of plain text: no CR/LF or other control characters, bounded length."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(cleaned.split())[:limit]


def home_country(manager: Manager | None) -> str | None:
    """The country a manager calls from, as far as we know: their one territory, if they
    cover exactly one (a phone of it is shown in its national format)."""
    return manager.territories[0] if manager and len(manager.territories) == 1 else None


def manager_language(manager: Manager) -> str:
    """The language a manager reads first (their emails are in it)."""
    return manager.languages[0] if manager.languages else "en"


def lead_url(console_url: str, lead_id: str) -> str:
    return f"{console_url.rstrip('/')}/leads/{lead_id}" if console_url else ""


# Who reads each kind of email: SES's bounce and complaint events carry it back.
_AUDIENCE: dict[str, Audience] = {
    "assignment": "manager", "came_back": "manager", "reminder": "manager",
    "autoresponder": "visitor", "farewell": "visitor", "admin_alert": "admin", "import_summary": "manager",
    "partner_loop": "partner",
}
# Leads listed in one import summary; the rest are counted ("… and 40 more").
MAX_LISTED_IMPORTED = 200


def _render(kind: str, to: str, subject: str, words: Words, context: dict[str, Any],
            reply_to: str | None = None) -> Email:
    context = {"home": home_country(context.get("manager")), **context, "t": words, "lang": words.language,
               "dir": words.direction}
    env = _templates()
    return Email(
        audience=_AUDIENCE[kind], to=header_safe(to, 320), subject=header_safe(subject),
        text=env.get_template(f"{kind}.txt").render(context),
        html=env.get_template(f"{kind}.html").render(context),
        reply_to=header_safe(reply_to, 320) if reply_to else None,
    )


def assignment_subject(lead: Lead, submission: Submission, assignment: LeadAssigned,
                       words: Words | None = None) -> str:
    """`[HOT 87] Jane Doe — Acme — wants a quote`; `Came back, warm → hot: …` for a
    returning lead, in the manager's language."""
    t = words or Words("en")
    parts = [f"[{t.tag(assignment.temperature)} {assignment.points}] {lead.contact.name}"]
    if lead.contact.company:
        parts.append(lead.contact.company)
    if submission.interest:
        parts.append(t.intent(submission.interest))
    prefix = "" if assignment.is_new_lead else f"{t.came_back}: "
    previous = assignment.previous_temperature
    if not assignment.is_new_lead and previous and previous != assignment.temperature:
        # e.g. a rise to hot
        prefix = f"{t.came_back}, {t.temperature(previous)} → {t.temperature(assignment.temperature)}: "
    return header_safe(prefix + " — ".join(parts))


def render_assignment_email(lead: Lead, submission: Submission, manager: Manager,
                            assignment: LeadAssigned, console_url: str = "",
                            actions: ManagerLinks | None = None, visits: int | None = None,
                            referrer: str | None = None) -> Email:
    """The email telling a manager about their new lead, or the short "came back" one
    for a returning lead, in the manager's language. Replies go to the lead. `actions`:
    the signed "contacted / not interested / call later" links, when configured;
    `visits`: how many visits this "came back" email sums up (notification.visits);
    `referrer`: the partner who sent the lead, by name (with the introduction's note)."""
    words = Words(manager_language(manager))
    score = lead.score  # the latest scoring of this lead
    context = {
        "lead": lead, "submission": submission, "manager": manager, "assignment": assignment,
        "reasons": score.top_reasons() if score else [],
        "lead_url": lead_url(console_url, lead.lead_id), "actions": actions, "visits": visits,
        "referrer": referrer,
    }
    kind = "assignment" if assignment.is_new_lead or assignment.reassigned_from else "came_back"
    return _render(kind, manager.email, assignment_subject(lead, submission, assignment, words), words, context,
                   reply_to=lead.contact.email)


def render_reminder_email(lead: Lead, manager: Manager, due: ReminderDue, minutes: int,
                          console_url: str = "", actions: ManagerLinks | None = None) -> Email:
    """Speed-to-lead: the lead waits for a first call since `minutes`, in the manager's
    language, with the signed action links when given."""
    words = Words(manager_language(manager))
    score = lead.score
    tag = f"[{words.tag(due.temperature)} {score.points if score else ''}]".replace(" ]", "]")
    subject = f"{tag} {words.reminder_subject.format(name=lead.contact.name)}"
    intro = words.reminder_intro.format(name=lead.contact.name, temperature=words.temperature(due.temperature),
                                        minutes=minutes)
    context = {"lead": lead, "manager": manager, "due": due, "intro": intro,
               "lead_url": lead_url(console_url, lead.lead_id), "actions": actions}
    return _render("reminder", manager.email, subject, words, context, reply_to=lead.contact.email)


def render_follow_up_email(lead: Lead, manager: Manager, due: ReminderDue, console_url: str = "",
                           actions: ManagerLinks | None = None) -> Email:
    """A postponed lead is back on its follow-up day: call them today (with the links)."""
    words = Words(manager_language(manager))
    score = lead.score
    tag = f"[{words.tag(due.temperature)} {score.points if score else ''}]".replace(" ]", "]")
    subject = f"{tag} {words.follow_up_subject.format(name=lead.contact.name)}"
    intro = words.follow_up_intro.format(name=lead.contact.name, temperature=words.temperature(due.temperature))
    # The reminder's layout (the person, how to reach them, the links) with its own words.
    context = {"lead": lead, "manager": manager, "due": due, "intro": intro,
               "lead_url": lead_url(console_url, lead.lead_id), "actions": actions}
    return _render("reminder", manager.email, subject, words, context, reply_to=lead.contact.email)


def render_autoresponder_email(form: FormConfig, to: str) -> Email:
    """The thank-you a visitor gets, in the form's language. Nothing the visitor typed is
    in it (only the recipient is theirs), so it cannot be used to mail others content."""
    words = Words(form.language)
    subject = form.autoresponder_subject or words.thanks_subject
    return _render("autoresponder", to, subject, words, {"form": form})


def render_farewell_email(to: str, language: str, feedback_url: str = "", form: FormConfig | None = None,
                          manager: Manager | None = None) -> Email:
    """The goodbye a rejected lead gets when their manager chose to send one, in the
    lead's language, with the questionnaire link (when links are configured). Like the
    autoresponder, nothing the visitor typed is in it (not even their name): the lead
    only chooses the recipient, so it cannot carry anyone's text to anyone. Replies go
    to the manager."""
    words = Words(language)
    context = {"form": form, "manager": manager, "feedback_url": feedback_url}
    return _render("farewell", to, words.farewell_subject, words, context,
                   reply_to=manager.email if manager else None)


def render_partner_email(to: str, language: str, moment: str, partner_name: str, first_name: str) -> Email:
    """Closing the loop with a referral partner (leadflow.referrals.loop): their referral
    was received, first contacted, or became a customer (`moment`: received, contacted,
    converted), in the partner's language, naming the referred person by first name only."""
    words = Words(language)
    names = {"partner": partner_name, "first_name": first_name}
    subject = words[f"loop_{moment}_subject"].format(**names)
    context = {"body": words[f"loop_{moment}_body"].format(**names), "moment": moment, "subject": subject}
    return _render("partner_loop", to, subject, words, context)


def render_page(kind: str, words: Words, code: str, context: dict[str, Any]) -> str:
    """One of the pages behind the signed links (`page_<kind>.html`), in `words`'
    language; `code` is the page's machine-readable outcome (on its <body>)."""
    context = {**context, "t": words, "lang": words.language, "dir": words.direction, "code": code}
    return _templates().get_template(f"page_{kind}.html").render(context)


def render_admin_alert(to: str, subject: str, lines: list[str], console_url: str = "",
                       lead_id: str | None = None) -> Email:
    """A short alert to the admins (escalations, undeliverable managers), in English."""
    words = Words("en")
    context = {"lines": lines, "lead_url": lead_url(console_url, lead_id) if lead_id else ""}
    return _render("admin_alert", to, subject, words, context)


def render_import_summary_email(manager: Manager, form_name: str, leads: list[Lead], console_url: str = "") -> Email:
    """A manager's new leads from one CSV import, hottest first, in the manager's
    language: one email for the import instead of one per lead."""
    words = Words(manager_language(manager))
    listed = leads[:MAX_LISTED_IMPORTED]
    subject = words.import_subject.format(count=len(leads), form=form_name)
    context = {
        "leads": listed, "subject": subject, "console_url": console_url.rstrip("/"),
        "intro": words.import_intro.format(manager=manager.name, count=len(leads), form=form_name),
        "more": words.import_more.format(count=len(leads) - len(listed)) if len(leads) > len(listed) else "",
    }
    return _render("import_summary", manager.email, subject, words, context)
