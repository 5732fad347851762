"""The pages behind the signed links in emails (`signing`).

A manager's "contacted", "not interested" and "call later" links open a confirmation
page; only its form's POST changes the lead. Mail scanners and link previews open (GET)
every link in a message, so a GET never changes anything. The farewell's questionnaire
works the same way for the rejected lead.

The token in the path is the credential and binds the action, the lead and the manager,
so a cross-site POST needs the token itself: there is nothing for a CSRF token to add.
Pages are answered `no-store`, `no-referrer` (the token is in the URL), `noindex`,
without scripts and unframeable. Everything shown is escaped (Jinja2 autoescape).

Manager pages are in the manager's first language, the questionnaire in the lead's;
when neither is known yet (a link that does not verify) the browser's Accept-Language
chooses among the catalog's languages.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from leadflow.lifecycle import service, transitions
from leadflow.lifecycle.links.signing import MANAGER_ACTIONS, LinkAction, LinkClaims, LinkExpired, LinkInvalid, verify
from leadflow.lifecycle.schedules import Reminders
from leadflow.lifecycle.store import LifecycleStore
from leadflow.notification.catalog import STRINGS, Words
from leadflow.notification.render import lead_url, manager_language, render_page
from leadflow.shared.bus import EventPublisher
from leadflow.shared.clock import utc_now
from leadflow.shared.models import Activity, Lead, LeadStatus, RejectionReason
from leadflow.shared.secrets import KeySource, KeyUnavailable
from leadflow.storage.transactions import LeadChanged

MAX_FORM_BYTES = 8 * 1024  # a note and a comment of 2,000 characters, percent-encoded, fit
MAX_TEXT = transitions.MAX_NOTE_LENGTH
CALL_LATER_DEFAULT_DAYS = 7
FORM_TYPE = "application/x-www-form-urlencoded"

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # No script at all; the form posts only to this page; nobody may frame it. The one
    # image is the page's icon, a data URI (leadflow.shared.brand).
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}

# What each manager link does to the lead.
TARGETS: Mapping[LinkAction, LeadStatus] = {
    LinkAction.CONTACTED: LeadStatus.CONTACTED,
    LinkAction.NOT_INTERESTED: LeadStatus.REJECTED,
    LinkAction.CALL_LATER: LeadStatus.POSTPONED,
}

# InvalidChange codes of the lifecycle → what the page says (else the lifecycle's text).
_PROBLEMS = {
    "reason_required": "page_reason_required", "reason_unknown": "page_reason_required",
    "follow_up_required": "page_follow_up_required", "follow_up_not_in_future": "page_follow_up_required",
    "note_too_long": "page_note_too_long",
}


class FeedbackReason(StrEnum):
    """The questionnaire's "why not": a fixed list, so answers can be counted."""

    PRICE = "price"
    TIMING = "timing"
    COMPETITOR = "competitor"
    NO_NEED = "no_need"
    OTHER = "other"


@dataclass(frozen=True)
class Page:
    """An HTML answer: `code` is its machine-readable outcome (e.g. `confirm`,
    `contacted`, `link_expired`), also on the page's <body data-code> and in the
    X-Leadflow-Code header; `lead_id` is for the log line."""

    status: int
    code: str
    html: str
    lead_id: str | None = None

    def headers(self) -> dict[str, str]:
        return {**PAGE_HEADERS, "X-Leadflow-Code": self.code}


class FormUnreadable(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def read_form(body: str | None, content_type: str | None, is_base64: bool = False) -> dict[str, str]:
    """A browser's urlencoded form post (as API Gateway passes it: text, or base64):
    the first value of each field. Raises FormUnreadable (415: another media type;
    413: too large; 400: unreadable)."""
    media = (content_type or FORM_TYPE).split(";", 1)[0].strip().lower()
    if media != FORM_TYPE:
        raise FormUnreadable(415, "unsupported_media_type")
    if len(body or "") > 2 * MAX_FORM_BYTES:
        raise FormUnreadable(413, "body_too_large")
    try:
        raw = base64.b64decode(body or "", validate=True) if is_base64 else (body or "").encode("utf-8")
        if len(raw) > MAX_FORM_BYTES:
            raise FormUnreadable(413, "body_too_large")
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, max_num_fields=20, errors="strict")
    except (ValueError, UnicodeError):  # bad base64, raw non-ASCII, bad UTF-8 escapes, too many fields
        raise FormUnreadable(400, "malformed_body") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        form.setdefault(name, value)
    return form


def page_language(accept_language: str | None) -> str:
    """The catalog language a browser prefers most (Accept-Language), else English."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-", 1)[0].strip().lower()
        if primary in STRINGS and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "en"


_Found = tuple[LinkClaims, Lead, Words]


class LinkPages:
    """What each signed link shows (GET) and does (POST)."""

    def __init__(self, store: LifecycleStore, publisher: EventPublisher, keys: KeySource,
                 reminders: Reminders | None = None, console_url: str = "",
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.publisher = publisher
        self.keys = keys
        self.reminders = reminders
        self.console_url = console_url
        self.clock = clock

    # -- a manager's links ------------------------------------------------------------------

    def show_action(self, token: str, accept_language: str | None = None) -> Page:
        """The confirmation page: what the button will do, and its form. Changes nothing."""
        found = self._manager_link(token, accept_language)
        if isinstance(found, Page):
            return found
        claims, lead, words = found
        if TARGETS[claims.action] not in transitions.allowed_next(lead.status):
            return self._already(words, lead, lead.status)
        return self._action_form(200, "confirm", claims, lead, words)

    def take_action(self, token: str, body: str | None, content_type: str | None,
                    accept_language: str | None = None, is_base64: bool = False) -> Page:
        """The confirmation page's POST: the change, on behalf of the link's manager."""
        found = self._manager_link(token, accept_language)
        if isinstance(found, Page):
            return found
        claims, lead, words = found
        try:
            form = read_form(body, content_type, is_base64)
        except FormUnreadable as problem:
            return self._notice(problem.status, problem.code, words, "page_check_title", [words.page_bad_form],
                                lead.lead_id)
        values = {name: form.get(name, "").strip() for name in ("reason", "note", "follow_up_on")}
        values["farewell"] = "yes" if form.get("farewell") in ("yes", "on", "true", "1") and lead.contact.email \
            else ""
        follow_up_on: date | None = None
        if claims.action == LinkAction.CALL_LATER:
            try:
                follow_up_on = date.fromisoformat(values["follow_up_on"])
            except ValueError:
                return self._action_form(400, "follow_up_required", claims, lead, words, values,
                                         words.page_follow_up_required)
        refused = self._change(claims, lead, words, values, follow_up_on)
        if refused is not None:
            return refused
        name = lead.contact.name
        to_status = TARGETS[claims.action]
        lines = {
            LeadStatus.CONTACTED: [words.page_done_contacted.format(name=name)],
            LeadStatus.REJECTED: [words.page_done_rejected.format(name=name)]
            + ([words.page_done_farewell] if values["farewell"] else []),
            LeadStatus.POSTPONED: [words.page_done_postponed.format(
                name=name, date=follow_up_on.isoformat() if follow_up_on else "")],
        }[to_status]
        return self._notice(200, to_status.value, words, "page_done_title", lines, lead.lead_id,
                            self._lead_url(lead.lead_id))

    def _change(self, claims: LinkClaims, lead: Lead, words: Words, values: Mapping[str, str],
                follow_up_on: date | None) -> Page | None:
        """The change through the lifecycle (the same rules as the API); None when it
        was made, else the page saying why not."""
        rejecting = claims.action == LinkAction.NOT_INTERESTED
        try:
            service.change_status(
                self.store, self.publisher, lead.lead_id, TARGETS[claims.action], by=str(claims.manager_id),
                reason=(values["reason"] or None) if rejecting else None, note=values["note"] or None,
                follow_up_on=follow_up_on, now=self.clock(), reminders=self.reminders,
                farewell=rejecting and bool(values["farewell"]),
            )
        except transitions.TransitionNotAllowed as refused:
            return self._already(words, lead, refused.current)
        except transitions.InvalidChange as problem:
            text = words[_PROBLEMS[problem.code]] if problem.code in _PROBLEMS else str(problem)
            return self._action_form(400, problem.code, claims, lead, words, values, text)
        except transitions.LeadNotFound:
            return self._notice(404, "lead_not_found", words, "page_gone_title", [words.page_gone_text], lead.lead_id)
        except LeadChanged:
            return self._notice(409, "lead_changed", words, "page_check_title", [words.page_changed_text],
                                lead.lead_id, self._lead_url(lead.lead_id))
        return None

    def _manager_link(self, token: str, accept_language: str | None) -> _Found | Page:
        """The verified link, its lead (still this manager's) and the manager's words;
        else the page that says why not."""
        fallback = Words(page_language(accept_language))
        try:
            claims = verify(token, self.keys.verification_keys(), now=self.clock(), kinds=MANAGER_ACTIONS)
        except LinkInvalid as invalid:
            return self._invalid(invalid, fallback, "page_invalid_text")
        except LinkExpired as expired:
            words = self._manager_words(expired.claims.manager_id, fallback)
            return self._notice(410, "link_expired", words, "page_expired_title", [words.page_expired_text],
                                expired.claims.lead_id, self._lead_url(expired.claims.lead_id))
        except KeyUnavailable:
            return self._unavailable(fallback)
        words = self._manager_words(claims.manager_id, fallback)
        lead = self.store.get_lead(claims.lead_id)
        if lead is None:
            return self._notice(404, "lead_not_found", words, "page_gone_title", [words.page_gone_text],
                                claims.lead_id)
        if lead.manager_id != claims.manager_id:
            return self._notice(403, "lead_reassigned", words, "page_reassigned_title",
                                [words.page_reassigned_text], lead.lead_id)
        return claims, lead, words

    def _manager_words(self, manager_id: str | None, fallback: Words) -> Words:
        manager = self.store.get_manager(manager_id) if manager_id else None
        return Words(manager_language(manager)) if manager else fallback

    def _action_form(self, status: int, code: str, claims: LinkClaims, lead: Lead, words: Words,
                     values: Mapping[str, str] | None = None, error: str = "") -> Page:
        today = self.clock().date()
        kind = claims.action.value
        context: dict[str, Any] = {
            "action": kind, "lead": lead, "error": error,
            "title": words[f"page_{kind}_title"], "text": words[f"page_{kind}_text"].format(name=lead.contact.name),
            "button": words[f"page_{kind}_button"],
            "values": {"reason": "", "note": "", "follow_up_on": "", "farewell": "", **(values or {})},
            "reasons": [r.value for r in RejectionReason], "can_farewell": bool(lead.contact.email),
            "min_date": (today + timedelta(days=1)).isoformat(),
            "default_date": (today + timedelta(days=CALL_LATER_DEFAULT_DAYS)).isoformat(), "max_note": MAX_TEXT,
        }
        return Page(status, code, render_page("action", words, code, context), lead.lead_id)

    def _already(self, words: Words, lead: Lead, current: LeadStatus) -> Page:
        text = words.page_already_text.format(name=lead.contact.name, status=words[f"status_{current.value}"])
        return self._notice(409, "transition_not_allowed", words, "page_already_title", [text], lead.lead_id,
                            self._lead_url(lead.lead_id))

    # -- the farewell's questionnaire -------------------------------------------------------

    def show_feedback(self, token: str, accept_language: str | None = None) -> Page:
        """The questionnaire, or thanks when it was answered already. Changes nothing."""
        found = self._feedback_link(token, accept_language)
        if isinstance(found, Page):
            return found
        claims, lead, words = found
        if self.store.has_feedback(lead.lead_id):
            return self._notice(200, "feedback_already", words, "feedback_thanks_title", [words.feedback_already],
                                lead.lead_id)
        return self._feedback_form(200, "question", lead, words)

    def send_feedback(self, token: str, body: str | None, content_type: str | None,
                      accept_language: str | None = None, is_base64: bool = False) -> Page:
        """The questionnaire's POST: kept once per lead, as a `feedback` history entry."""
        found = self._feedback_link(token, accept_language)
        if isinstance(found, Page):
            return found
        claims, lead, words = found
        try:
            form = read_form(body, content_type, is_base64)
        except FormUnreadable as problem:
            return self._notice(problem.status, problem.code, words, "page_check_title", [words.page_bad_form],
                                lead.lead_id)
        values = {"why": form.get("why", "").strip(), "comment": form.get("comment", "").strip()}
        problem = "why_required" if values["why"] not in set(FeedbackReason) \
            else "comment_too_long" if len(values["comment"]) > MAX_TEXT else None
        if problem:
            text = words.feedback_why_required if problem == "why_required" else words.feedback_too_long
            return self._feedback_form(400, problem, lead, words, values, text)
        detail = {"by": "lead", "why": values["why"], **({"comment": values["comment"]} if values["comment"] else {})}
        outcome = self.store.record_feedback(Activity(
            activity_id=uuid.uuid4().hex, lead_id=lead.lead_id, at=self.clock(), kind="feedback", detail=detail))
        if outcome == "no_lead":
            return self._notice(404, "lead_not_found", words, "feedback_closed_title", [words.feedback_closed_text],
                                lead.lead_id)
        # A second answer (another tab, a double click) is thanked too, and not kept.
        return self._notice(200, f"feedback_{outcome}", words, "feedback_thanks_title",
                            [words.feedback_thanks if outcome == "recorded" else words.feedback_already], lead.lead_id)

    def _feedback_link(self, token: str, accept_language: str | None) -> _Found | Page:
        fallback = Words(page_language(accept_language))
        try:
            claims = verify(token, self.keys.verification_keys(), now=self.clock(), kinds=(LinkAction.FEEDBACK,))
        except LinkInvalid as invalid:
            return self._invalid(invalid, fallback, "feedback_invalid_text")
        except LinkExpired as expired:
            words = self._lead_words(expired.claims.lead_id, fallback)
            return self._notice(410, "link_expired", words, "feedback_closed_title", [words.feedback_closed_text],
                                expired.claims.lead_id)
        except KeyUnavailable:
            return self._unavailable(fallback)
        lead = self.store.get_lead(claims.lead_id)
        if lead is None:
            return self._notice(404, "lead_not_found", fallback, "feedback_closed_title",
                                [fallback.feedback_closed_text], claims.lead_id)
        return claims, lead, self._lead_words(lead.lead_id, fallback)

    def _lead_words(self, lead_id: str, fallback: Words) -> Words:
        """The person's language: that of the form they last posted."""
        latest = self.store.latest_submission(lead_id)
        return Words(latest.language) if latest else fallback

    def _feedback_form(self, status: int, code: str, lead: Lead, words: Words,
                       values: Mapping[str, str] | None = None, error: str = "") -> Page:
        context = {"reasons": [r.value for r in FeedbackReason], "error": error, "max_comment": MAX_TEXT,
                   "values": {"why": "", "comment": "", **(values or {})}}
        return Page(status, code, render_page("feedback", words, code, context), lead.lead_id)

    # -- pages that only say something -------------------------------------------------------

    def _invalid(self, invalid: LinkInvalid, words: Words, text_key: str) -> Page:
        # A signature that does not match is a forgery or a changed link: 403; the rest 400.
        status = 403 if invalid.code == "link_tampered" else 400
        return self._notice(status, invalid.code, words, "page_invalid_title", [words[text_key]])

    def _unavailable(self, words: Words) -> Page:
        return self._notice(503, "unavailable", words, "page_unavailable_title", [words.page_unavailable_text])

    def not_found(self, accept_language: str | None = None) -> Page:
        words = Words(page_language(accept_language))
        return self._notice(404, "not_found", words, "page_invalid_title", [words.page_invalid_text])

    def _notice(self, status: int, code: str, words: Words, title_key: str, lines: list[str],
                lead_id: str | None = None, url: str = "") -> Page:
        context = {"title": words[title_key], "lines": lines, "lead_url": url}
        return Page(status, code, render_page("notice", words, code, context), lead_id)

    def _lead_url(self, lead_id: str) -> str:
        return lead_url(self.console_url, lead_id)
