"""Every email in English, Spanish and Arabic: the reader's words, escaped input in
every field, right-to-left markup for Arabic, header-safe subjects."""

from __future__ import annotations

import pytest

from leadflow.lifecycle.schedules import ReminderDue
from leadflow.notification.catalog import Words
from leadflow.notification.render import (
    render_admin_alert,
    render_assignment_email,
    render_autoresponder_email,
    render_reminder_email,
)
from leadflow.shared.models import ChannelKind, Source, Temperature

HOSTILE = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
LANGUAGES = {"en": "ltr", "es": "ltr", "ar": "rtl"}
INTRO_NEW = {"en": "New hot lead for you", "es": "Nuevo lead caliente para ti", "ar": "عميل محتمل جديد (ساخن)"}
CAME_BACK = {"en": "came back with a new request", "es": "ha vuelto con una nueva solicitud",
             "ar": "بطلب جديد"}
REMINDER = {"en": "is still waiting for a first call", "es": "sigue esperando una primera llamada",
            "ar": "ينتظر أول اتصال"}
THANKS = {"en": "Thank you for your request", "es": "Gracias por su solicitud", "ar": "شكرًا لطلبك"}


@pytest.fixture
def hostile(make_submission, make_lead, make_manager, make_assignment, make_score):
    """A submission with hostile input in every field a visitor controls."""

    def build(language: str, is_new_lead: bool = True, previous: Temperature | None = None):
        source = Source(form_id="f", channel=ChannelKind.INBOUND, utm_source=HOSTILE, utm_campaign=HOSTILE)
        submission = make_submission(
            name=f"Jane\r\nBcc: x@y.example {HOSTILE}", email='jane"><script>@acme.io', phone="+12025550173",
            company=HOSTILE, job_title=HOSTILE, interest=HOSTILE, message=HOSTILE, source=source,
            is_new_lead=is_new_lead)
        lead = make_lead(submission, score=make_score([("r", 40, HOSTILE)]))
        manager = make_manager(name="Marta", languages=[language, "en"])
        assignment = make_assignment(submission, manager, 87, Temperature.HOT, is_new_lead=is_new_lead)
        assignment = assignment.model_copy(update={"previous_temperature": previous})
        return lead, submission, manager, assignment

    return build


def assert_safe(email, direction: str, language: str) -> None:
    assert "<script" not in email.html and ESCAPED in email.html
    assert f'<html lang="{language}" dir="{direction}">' in email.html
    assert f'<body dir="{direction}"' in email.html
    assert "\r" not in email.subject and "\n" not in email.subject and all(c.isprintable() for c in email.subject)
    if email.reply_to:
        assert "\n" not in email.reply_to and "\r" not in email.reply_to


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
def test_the_new_lead_email_in_each_language(hostile, language, direction):
    lead, submission, manager, assignment = hostile(language)

    email = render_assignment_email(lead, submission, manager, assignment, console_url="https://console.example")

    assert_safe(email, direction, language)
    assert INTRO_NEW[language] in email.html and INTRO_NEW[language] in email.text
    assert email.subject.startswith("[HOT 87] Jane Bcc: x@y.example")
    assert HOSTILE in email.text  # the text part is text: shown as typed
    assert 'href="tel:+12025550173"' in email.html and 'href="https://console.example/leads/lead-1"' in email.html
    assert 'href="mailto:jane&#34;&gt;&lt;script&gt;@acme.io"' in email.html
    assert Words(language).open in email.html


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
def test_the_came_back_email_in_each_language_says_what_changed(hostile, language, direction):
    lead, submission, manager, assignment = hostile(language, is_new_lead=False, previous=Temperature.WARM)
    words = Words(language)

    email = render_assignment_email(lead, submission, manager, assignment)

    assert_safe(email, direction, language)
    assert CAME_BACK[language] in email.html
    assert email.subject.startswith(f"{words.came_back}, {words.warm} → {words.hot}: [HOT 87]")
    change = words.changed.format(before=words.warm, after=words.hot, points=87)
    assert change in email.text and change in email.html


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
def test_the_reminder_in_each_language(hostile, language, direction):
    lead, submission, manager, assignment = hostile(language)
    due = ReminderDue(lead_id=lead.lead_id, manager_id=manager.manager_id, attempt=1, temperature=Temperature.HOT,
                      submission_id=submission.submission_id, received_at=submission.received_at)

    email = render_reminder_email(lead, manager, due, minutes=16)

    assert_safe(email, direction, language)
    assert REMINDER[language] in email.html and "16" in email.text
    assert email.to == manager.email and 'href="tel:+12025550173"' in email.html


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
def test_the_autoresponder_in_each_language(make_form, language, direction):
    form = make_form(language=language, name=HOSTILE, autoresponder=True)

    email = render_autoresponder_email(form, "visitor@example.org\r\nBcc: spam@example.org")

    assert "<script" not in email.html and f'dir="{direction}"' in email.html
    assert email.subject == THANKS[language]
    assert email.to == "visitor@example.org Bcc: spam@example.org"  # one header line: SES rejects it as an address


def test_an_unknown_language_falls_back_to_english(hostile):
    lead, submission, manager, assignment = hostile("fr")

    email = render_assignment_email(lead, submission, manager, assignment)

    assert INTRO_NEW["en"] in email.text and '<html lang="en" dir="ltr">' in email.html


def test_admin_alerts_escape_what_they_quote():
    email = render_admin_alert("admins@example.com", f"Not contacted\r\n{HOSTILE}", [f"Lead {HOSTILE}"])

    assert "<script" not in email.html and ESCAPED in email.html
    assert "\n" not in email.subject


# -- the signed links: in managers' emails, their pages, the farewell and its questionnaire --

FAREWELL = {"en": "Thank you for your interest", "es": "Gracias por su interés", "ar": "شكرًا لاهتمامك"}
ACT = {"en": "Not interested", "es": "No le interesa", "ar": "غير مهتم"}


@pytest.fixture
def actions():
    from leadflow.lifecycle.links.signing import ActionLinks
    from leadflow.shared.secrets import StaticKeys

    return ActionLinks("https://api.example.com/v1", StaticKeys(b"k" * 64)).for_manager("lead-1", "m-1")


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
def test_the_action_links_are_labelled_in_the_managers_language(hostile, actions, language, direction):
    lead, submission, manager, assignment = hostile(language)

    email = render_assignment_email(lead, submission, manager, assignment, actions=actions)

    assert_safe(email, direction, language)
    assert f">{ACT[language]}</a>" in email.html and f"- {ACT[language]}: {actions.not_interested}" in email.text
    assert Words(language).act_note.format(days=7) in email.html


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
def test_the_farewell_in_each_language_carries_the_questionnaire_and_replies_go_to_the_manager(
        make_form, make_manager, language, direction):
    from leadflow.notification.render import render_farewell_email

    form = make_form(name="Acme", language="en")
    manager = make_manager(name="Marta Ruiz", email="marta@seller.example")

    email = render_farewell_email("jane@acme.io\r\nBcc: x@y.example", language, "https://api.example.com/v1/feedback/t.s",
                                  form, manager)

    assert email.subject == FAREWELL[language] and f'<html lang="{language}" dir="{direction}">' in email.html
    assert 'href="https://api.example.com/v1/feedback/t.s"' in email.html
    assert "https://api.example.com/v1/feedback/t.s" in email.text
    assert Words(language).farewell_link in email.html and "Marta Ruiz" in email.text
    assert email.to == "jane@acme.io Bcc: x@y.example" and email.reply_to == "marta@seller.example"


def test_a_farewell_without_links_configured_still_says_goodbye(make_form):
    from leadflow.notification.render import render_farewell_email

    email = render_farewell_email("jane@acme.io", "es", "", make_form(), None)

    assert "feedback" not in email.html and Words("es").farewell_body in email.text and email.reply_to is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_choice_on_the_pages_has_words_in_every_language(language):
    from leadflow.lifecycle.links.pages import FeedbackReason
    from leadflow.notification.catalog import STRINGS
    from leadflow.shared.models import LeadStatus, RejectionReason

    words = STRINGS[language]
    for key in ([f"reason_{r.value}" for r in RejectionReason] + [f"status_{s.value}" for s in LeadStatus]
                + [f"feedback_{f.value}" for f in FeedbackReason]):
        assert words.get(key), (language, key)
    assert set(STRINGS[language]) == set(STRINGS["en"])


@pytest.mark.parametrize(("language", "direction"), LANGUAGES.items())
@pytest.mark.parametrize("kind", ["contacted", "not_interested", "call_later"])
def test_the_confirmation_pages_in_each_language_escape_the_lead(hostile, language, direction, kind):
    from leadflow.notification.render import render_page

    lead, *_ = hostile(language)
    words = Words(language)
    context = {"action": kind, "lead": lead, "error": HOSTILE, "title": words[f"page_{kind}_title"],
               "text": words[f"page_{kind}_text"].format(name=lead.contact.name),
               "button": words[f"page_{kind}_button"],
               "values": {"reason": "", "note": HOSTILE, "follow_up_on": "", "farewell": ""},
               "reasons": ["no_budget"], "can_farewell": True, "min_date": "2026-03-15",
               "default_date": "2026-03-21", "max_note": 2000}

    html = render_page("action", words, "confirm", context)

    assert f'<html lang="{language}" dir="{direction}">' in html and '<body data-code="confirm">' in html
    assert "<script" not in html and ESCAPED in html
    assert words[f"page_{kind}_button"] in html
