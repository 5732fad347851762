"""Rendering the emails managers receive, from Jinja2 template files.

Autoescaping is on for every HTML template: whatever a visitor typed is shown, never
interpreted. Header fields are stripped of line breaks so nobody can inject headers."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from leadflow.mailer import Email
from leadflow.models import Lead, LeadAssigned, Manager, Submission

INTENT_PHRASES = {
    "quote": "wants a quote", "demo": "wants a demo", "pricing": "asks about pricing",
    "buy": "wants to buy", "trial": "wants a trial", "question": "has a question",
    "ebook": "downloaded the ebook", "newsletter": "joined the newsletter", "webinar": "joined a webinar",
}


@cache
def _templates() -> Environment:
    return Environment(
        loader=PackageLoader("leadflow", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def header_safe(text: str, limit: int = 200) -> str:
    """One line of plain text: no CR/LF or other control characters, bounded length."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(cleaned.split())[:limit]


def assignment_subject(lead: Lead, submission: Submission, assignment: LeadAssigned) -> str:
    """`[HOT 87] Jane Doe — Acme — wants a quote`."""
    parts = [f"[{assignment.temperature.value.upper()} {assignment.points}] {lead.contact.name}"]
    if lead.contact.company:
        parts.append(lead.contact.company)
    if submission.interest:
        parts.append(INTENT_PHRASES.get(submission.interest, submission.interest))
    prefix = "" if assignment.is_new_lead else "Came back: "
    previous = assignment.previous_temperature
    if not assignment.is_new_lead and previous and previous != assignment.temperature:
        prefix = f"Came back, {previous.value} → {assignment.temperature.value}: "  # e.g. a rise to hot
    return header_safe(prefix + " — ".join(parts))


def render_assignment_email(lead: Lead, submission: Submission, manager: Manager,
                            assignment: LeadAssigned, console_url: str = "") -> Email:
    """The email telling a manager about their new (or returning) lead."""
    score = lead.score  # the latest scoring of this lead
    context = {
        "lead": lead, "submission": submission, "manager": manager, "assignment": assignment,
        "reasons": score.top_reasons() if score else [],
        "lead_url": f"{console_url.rstrip('/')}/leads/{lead.lead_id}" if console_url else "",
    }
    env = _templates()
    return Email(
        to=manager.email,
        subject=assignment_subject(lead, submission, assignment),
        text=env.get_template("assignment.txt").render(context),
        html=env.get_template("assignment.html").render(context),
        reply_to=header_safe(lead.contact.email) if lead.contact.email else None,
    )

