"""Every email in English, Spanish and Arabic: the reader's words, escaped input in
every field, right-to-left markup for Arabic, header-safe subjects."""

from __future__ import annotations

import pytest

from leadflow.email_catalog import Words
from leadflow.emails import (
    render_admin_alert,
    render_assignment_email,
    render_autoresponder_email,
    render_reminder_email,
)
from leadflow.models import ChannelKind, ReminderDue, Source, Temperature

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
