"""The email a manager receives: escaped HTML, raw text, a header-safe subject."""

from __future__ import annotations

import pytest

from leadflow.notification.render import header_safe, render_assignment_email
from leadflow.shared.models import ChannelKind, Source, Temperature

HOT, WARM, COLD = Temperature.HOT, Temperature.WARM, Temperature.COLD

# Everything a visitor can type, each a different way to break out of HTML.
HOSTILE = {
    "name": "<script>alert('name')</script> Jane",
    "company": '"><img src=x onerror=alert(1)>',
    "job_title": "<iframe src=//evil.example></iframe>",
    "interest": "<svg onload=alert(2)>",
    "message": "<b>Buy now</b>\n<a href='javascript:steal()'>click</a> & </blockquote><script>x()</script>",
    "utm_source": "<style>body{display:none}</style>",
    "utm_campaign": "</td><script>alert(3)</script>",
}
RAW_TAGS = ["<script", "<img", "<iframe", "<svg", "<b>", "<a href='javascript", "<style", "</td><script"]


@pytest.fixture
def manager(make_manager):
    return make_manager(manager_id="m-1", name="Marta Ruiz", email="marta@seller.example", tier=1)


@pytest.fixture
def render(make_submission, make_lead, make_assignment, make_score, manager):
    """Render the email for a submission built from keyword arguments."""

    def build(points=75, temperature=HOT, is_new_lead=True, console_url="", score=None, **submission_fields):
        submission_fields.setdefault("name", "Jane Doe")
        submission_fields.setdefault("email", "jane@acme.io")
        submission = make_submission(is_new_lead=is_new_lead, **submission_fields)
        score = score or make_score([("intent-buy", 40, "Asked for a quote, demo or pricing"),
                                     ("email-corporate", 15, "Uses a company email address")])
        lead = make_lead(submission, score=score)
        assignment = make_assignment(submission, manager, points, temperature, is_new_lead=is_new_lead)
        return render_assignment_email(lead, submission, manager, assignment, console_url=console_url)

    return build


@pytest.fixture
def hostile_email(render):
    source = Source(form_id="demo-form", channel=ChannelKind.INBOUND,
                    utm_source=HOSTILE["utm_source"], utm_campaign=HOSTILE["utm_campaign"])
    return render(
        name=HOSTILE["name"], company=HOSTILE["company"], job_title=HOSTILE["job_title"],
        interest=HOSTILE["interest"], message=HOSTILE["message"], source=source, phone="+12025550173",
    )


@pytest.mark.parametrize("tag", RAW_TAGS)
def test_html_part_never_contains_a_tag_a_visitor_typed(hostile_email, tag: str) -> None:
    assert tag not in hostile_email.html


@pytest.mark.parametrize(
    "escaped",
    [
        "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; Jane",
        "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "&lt;iframe src=//evil.example&gt;&lt;/iframe&gt;",
        "&lt;svg onload=alert(2)&gt;",
        "&lt;b&gt;Buy now&lt;/b&gt;",
        "&amp; &lt;/blockquote&gt;&lt;script&gt;x()&lt;/script&gt;",
        "&lt;style&gt;body{display:none}&lt;/style&gt;",
        "&lt;/td&gt;&lt;script&gt;alert(3)&lt;/script&gt;",
    ],
)
def test_html_part_shows_what_the_visitor_typed_as_text(hostile_email, escaped: str) -> None:
    assert escaped in hostile_email.html


def test_html_part_keeps_its_own_markup(hostile_email) -> None:
    # autoescaping must not swallow the template's own tags
    html = hostile_email.html
    assert html.count("<blockquote") == 1
    assert html.count("</blockquote>") == 1
    assert '<td class="lead-name">' in html


@pytest.mark.parametrize("field", ["name", "company", "job_title", "interest", "message", "utm_source", "utm_campaign"])
def test_text_part_contains_the_raw_text(hostile_email, field: str) -> None:
    assert HOSTILE[field] in hostile_email.text


def test_subject_format(render) -> None:
    email = render(points=75, temperature=HOT, name="Jane Doe", company="Acme", interest="quote")

    assert email.subject == "[HOT 75] Jane Doe — Acme — wants a quote"


@pytest.mark.parametrize(
    ("fields", "points", "temperature", "expected"),
    [
        ({"company": None, "interest": "demo"}, 50, WARM, "[WARM 50] Jane Doe — wants a demo"),
        ({"company": "Acme", "interest": None}, 12, COLD, "[COLD 12] Jane Doe — Acme"),
        ({"company": None, "interest": None}, -10, COLD, "[COLD -10] Jane Doe"),
        ({"company": "Acme", "interest": "ebook"}, 5, COLD, "[COLD 5] Jane Doe — Acme — downloaded the ebook"),
        ({"company": "Acme", "interest": "partnership"}, 30, WARM, "[WARM 30] Jane Doe — Acme — partnership"),
        ({"name": "محمد عبد الله", "company": "شركة", "interest": "pricing"}, 60, HOT,
         "[HOT 60] محمد عبد الله — شركة — asks about pricing"),
    ],
)
def test_subject_leaves_out_what_is_missing(render, fields, points, temperature, expected) -> None:
    assert render(points=points, temperature=temperature, **fields).subject == expected


@pytest.mark.parametrize(
    "name",
    ["Jane\r\nBcc: x@y.example", "Jane\nBcc: x@y.example", "Jane\rBcc: x@y.example",
     "Jane\u2028Bcc: x@y.example", "Jane\x85Bcc: x@y.example", "Jane\x00\x1b[31mBcc: x@y.example"],
)
def test_subject_has_no_line_breaks_or_control_characters(render, name: str) -> None:
    # GIVEN a name crafted to inject a header (the model is built directly, bypassing form normalization)
    subject = render(name=name, company="Acme\r\nX-Injected: 1", interest="quote").subject

    # THEN the subject is one printable line
    assert "\r" not in subject and "\n" not in subject
    assert all(ch.isprintable() for ch in subject)
    assert subject.startswith("[HOT 75] Jane ")
    assert "Bcc: x@y.example" in subject


def test_subject_is_bounded(render) -> None:
    assert len(render(name="J" * 500).subject) <= 200


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a\r\nb", "a b"), ("  a \t b  ", "a b"), ("a\u2028b", "a b"), ("plain", "plain"), ("", "")],
)
def test_header_safe(raw: str, expected: str) -> None:
    assert header_safe(raw) == expected


def test_returning_lead_subject_starts_with_came_back(render) -> None:
    email = render(is_new_lead=False, points=45, temperature=WARM, company="Acme", interest="question")

    assert email.subject == "Came back: [WARM 45] Jane Doe — Acme — has a question"
    assert "came back with a new request" in email.text
    assert "came back with a new request" in email.html


def test_new_lead_says_so(render) -> None:
    email = render(is_new_lead=True, temperature=HOT)

    assert not email.subject.startswith("Came back")
    assert "New hot lead for you, Marta Ruiz." in email.text


def test_email_goes_to_the_manager_and_replies_go_to_the_lead(render) -> None:
    email = render(email="jane@acme.io")

    assert email.to == "marta@seller.example"
    assert email.reply_to == "jane@acme.io"


def test_no_reply_to_without_a_lead_email(render) -> None:
    email = render(email=None, phone="+34612345678")

    assert email.reply_to is None
    assert "mailto:" not in email.html
    assert 'href="tel:+34612345678"' in email.html


def test_html_links_let_the_manager_call_or_write_in_one_click(render) -> None:
    email = render(email="jane@acme.io", phone="+971501234567")

    assert '<a href="mailto:jane@acme.io">jane@acme.io</a>' in email.html
    # dialled as E.164, shown as people read it
    assert '<a href="tel:+971501234567">+971 50 123 4567</a>' in email.html
    assert "jane@acme.io" in email.text and "+971 50 123 4567" in email.text


def test_a_quote_in_the_email_cannot_break_out_of_the_href(render) -> None:
    email = render(email='jane"onmouseover="alert(1)@acme.io')

    assert 'onmouseover="' not in email.html
    assert "mailto:jane&#34;onmouseover=&#34;alert(1)@acme.io" in email.html


def test_top_reasons_appear_strongest_first(render, make_score) -> None:
    score = make_score([
        ("has-message", 5, "Wrote a message"),
        ("intent-buy", 40, "Asked for a quote, demo or pricing"),
        ("has-phone", 10, "Left a phone number"),
        ("email-corporate", 15, "Uses a company email address"),
    ])

    email = render(score=score)

    for part in (email.text, email.html):
        assert "+40 Asked for a quote, demo or pricing" in part
        assert "+15 Uses a company email address" in part
        assert "+10 Left a phone number" in part
        assert "Wrote a message" not in part          # only the top three
        assert part.index("+40") < part.index("+15") < part.index("+10")


def test_negative_reasons_show_their_sign(render, make_score) -> None:
    email = render(points=-10, temperature=COLD, score=make_score([("intent-content", -10, "Came for content")], COLD))

    assert "-10 Came for content" in email.text
    assert "-10 Came for content" in email.html


def test_source_channel_and_utm_appear(render) -> None:
    source = Source(form_id="demo-form", channel=ChannelKind.REFERRAL, utm_source="partner-x", utm_campaign="q2")

    email = render(source=source)

    assert "referral / partner-x / q2" in email.text
    assert "referral / partner-x / q2" in email.html


def test_console_link_only_when_a_console_url_is_configured(render) -> None:
    with_console = render(console_url="https://console.example/")
    without = render(console_url="")

    assert "https://console.example/leads/lead-1" in with_console.text
    assert 'href="https://console.example/leads/lead-1"' in with_console.html
    assert "/leads/" not in without.text and "/leads/" not in without.html


def test_every_script_survives_rendering(render) -> None:
    email = render(name="Анна Каренина", company="株式会社テスト", message="مرحبا، أريد عرض سعر")

    for part in (email.text, email.html):
        assert "Анна Каренина" in part
        assert "株式会社テスト" in part
        assert "مرحبا، أريد عرض سعر" in part


# -- the signed action links -------------------------------------------------------------


@pytest.fixture
def actions():
    from leadflow.lifecycle.links.signing import ActionLinks
    from leadflow.shared.secrets import StaticKeys

    return ActionLinks("https://api.example.com/v1", StaticKeys(b"k" * 64), days=5).for_manager("lead-1", "m-1")


@pytest.mark.parametrize("is_new_lead", [True, False], ids=["new", "came-back"])
def test_the_action_links_are_in_both_parts_when_configured(make_submission, make_lead, make_assignment, manager,
                                                           actions, is_new_lead) -> None:
    submission = make_submission(is_new_lead=is_new_lead)
    email = render_assignment_email(make_lead(submission), submission, manager,
                                    make_assignment(submission, manager, 75, HOT, is_new_lead=is_new_lead),
                                    actions=actions)

    for url, label, css in ((actions.contacted, "Contacted", "action-contacted"),
                            (actions.not_interested, "Not interested", "action-not-interested"),
                            (actions.call_later, "Call later", "action-call-later")):
        assert f'<a class="{css}" href="{url}"' in email.html and f">{label}</a>" in email.html
        assert f"- {label}: {url}" in email.text
    for part in (email.text, email.html):
        assert "the links work for 5 days" in part


def test_no_action_links_without_configuration(render) -> None:
    email = render()

    for part in (email.text, email.html):
        assert "/actions/" not in part and "Act from this email" not in part


def test_the_reminder_carries_the_action_links_too(make_submission, make_lead, manager, actions) -> None:
    from leadflow.lifecycle.schedules import ReminderDue
    from leadflow.notification.render import render_reminder_email

    submission = make_submission()
    due = ReminderDue(lead_id="lead-1", manager_id=manager.manager_id, attempt=1, temperature=HOT,
                      submission_id=submission.submission_id, received_at=submission.received_at)

    email = render_reminder_email(make_lead(submission), manager, due, 16, actions=actions)
    without = render_reminder_email(make_lead(submission), manager, due, 16)

    assert f'href="{actions.contacted}"' in email.html and actions.call_later in email.text
    assert "/actions/" not in without.html and "/actions/" not in without.text


def test_a_phone_of_the_managers_own_country_is_shown_the_national_way(make_submission, make_lead, make_assignment,
                                                                         make_score, make_manager) -> None:
    local = make_manager(manager_id="m-2", name="Sam Lee", email="sam@seller.example", tier=1, territories=["US"])
    submission = make_submission(is_new_lead=True, name="Jane Doe", email="jane@acme.io", phone="+14155550134")
    lead = make_lead(submission, score=make_score([("intent-buy", 40, "Asked for a quote")]))
    email = render_assignment_email(lead, submission, local, make_assignment(submission, local, 75, HOT))

    # a US manager reads a US number as it is dialled at home; the link keeps E.164
    assert '<a href="tel:+14155550134">(415) 555-0134</a>' in email.html
    assert "(415) 555-0134" in email.text and "+14155550134" not in email.text


@pytest.mark.parametrize(("e164", "home", "shown"), [
    ("+14155550134", None, "+1 415-555-0134"), ("+14155550134", "GB", "+1 415-555-0134"),
    ("+442079460958", "GB", "020 7946 0958"), ("+34612345678", "es", "612 34 56 78"), ("not a phone", "US", "not a phone"),
])
def test_readable_phone(e164: str, home: str | None, shown: str) -> None:
    from leadflow.capture.contact import readable_phone

    assert readable_phone(e164, home) == shown


def test_a_referred_leads_email_names_who_referred_it_and_their_introduction_escaped(
        make_submission, make_lead, make_assignment, manager) -> None:
    from leadflow.notification.manager_email import referrer_of
    from leadflow.shared.models import Introduction

    # GIVEN a lead a partner introduced, in words a partner could type
    source = Source(form_id="refer", channel=ChannelKind.REFERRAL, ref="tom", partner_id="tom", partner_group="bni")
    submission = make_submission(name="Jane Doe", email="jane@acme.io", source=source)
    note = "Jane needs <b>40 seats</b>\nCall her </blockquote><script>x()</script>"
    lead = make_lead(submission).model_copy(update={"introduction": Introduction(
        referred_by="tom", partner_id="tom", note=note, consent_method="asked_in_person")})
    assignment = make_assignment(submission, manager, 70, HOT)
    names = {"tom": "Tom <Baker>", "bni": "BNI Downtown"}

    class Partners:
        def names(self, partner_ids: list[str]) -> dict[str, str]:
            return {i: names[i] for i in partner_ids if i in names}

    # WHEN its manager's email is written
    referrer = referrer_of(lead, Partners())
    email = render_assignment_email(lead, submission, manager, assignment, referrer=referrer)

    # THEN it says who referred it, with their group, and the introduction, as text
    assert referrer == "Tom <Baker> (BNI Downtown)"
    assert "Referred by: Tom <Baker> (BNI Downtown)" in email.text and note in email.text
    assert "Tom &lt;Baker&gt; (BNI Downtown)" in email.html
    assert "<script" not in email.html and "<b>40" not in email.html
    assert "&lt;b&gt;40 seats&lt;/b&gt;" in email.html


def test_a_lead_no_partner_sent_reads_no_partner(make_submission, make_lead) -> None:
    from leadflow.notification.manager_email import referrer_of

    class NoCalls:
        def names(self, partner_ids: list[str]) -> dict[str, str]:
            raise AssertionError("no partner to read")

    lead = make_lead(make_submission(source=Source(form_id="demo", channel=ChannelKind.INBOUND)))
    assert referrer_of(lead, NoCalls()) is None
