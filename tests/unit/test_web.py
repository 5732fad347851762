"""HTTP answers to a landing page: JSON for scripts, a redirect or a small page for browsers."""

from __future__ import annotations

import json

import pytest

from leadflow.capture.errors import CaptureError
from leadflow.capture.http import accepted, prefers_json, refused
from leadflow.capture.service import Captured
from leadflow.shared.http import FieldError

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # a JSON body always gets JSON back
        ({"Content-Type": "application/json"}, True),
        ({"content-type": "application/json; charset=utf-8"}, True),
        ({"CONTENT-TYPE": "Application/JSON"}, True),
        ({"Content-Type": "application/json", "Accept": BROWSER_ACCEPT}, True),
        # a browser form post gets HTML when it asks for HTML first ...
        ({"Content-Type": FORM, "Accept": BROWSER_ACCEPT}, False),                  # browsers' default Accept
        ({"content-type": FORM + "; charset=UTF-8", "accept": BROWSER_ACCEPT.upper()}, False),
        ({"Content-Type": "multipart/form-data; boundary=x", "Accept": BROWSER_ACCEPT}, False),
        ({"Content-Type": "text/plain", "Accept": BROWSER_ACCEPT}, False),
        ({"Content-Type": FORM, "Accept": "text/html, application/json"}, False),   # HTML listed first
        # ... and JSON when it asks for JSON (first)
        ({"Content-Type": FORM, "Accept": "application/json"}, True),
        ({"Content-Type": FORM, "Accept": "Application/JSON"}, True),
        ({"Content-Type": FORM, "Accept": "application/json, text/html"}, True),    # JSON listed first
        ({"Content-Type": FORM, "Accept": "application/json;q=0.9, text/html;q=0.8"}, True),
        # scripts and anything unusual get JSON
        ({"Content-Type": FORM, "Accept": "*/*"}, True),                            # fetch()'s default
        ({"Content-Type": FORM}, True),
        ({"Accept": BROWSER_ACCEPT}, True),                                         # no content type
        ({}, True),
    ],
)
def test_prefers_json(headers: dict[str, str], expected: bool) -> None:
    assert prefers_json(headers) is expected


@pytest.fixture
def captured(make_form, make_submission):
    def build(thank_you_url: str | None = None) -> Captured:
        return Captured(form=make_form(thank_you_url=thank_you_url), submission_id="sub-42", lead_id="lead-1",
                        outcome="stored", is_new_lead=True)

    return build


def header(response, name: str) -> str | None:
    lowered = {k.lower(): v for k, v in response.headers.items()}
    return lowered.get(name.lower())


@pytest.mark.parametrize("thank_you_url", [None, "https://acme.io/thanks"])
def test_accepted_as_json_is_a_202_with_the_submission_id(captured, thank_you_url) -> None:
    response = accepted(captured(thank_you_url), as_json=True)

    assert response.status_code == 202
    assert header(response, "Content-Type") == "application/json"
    body = json.loads(response.body)
    assert body["submission_id"] == "sub-42" and body["status"] == "accepted"
    # what a script needs to thank the visitor like the classic post would
    assert body["message"] == "Thank you! We received your request and will be in touch soon."
    assert body.get("redirect_to") == thank_you_url


def test_accepted_as_json_thanks_in_the_forms_language(make_form) -> None:
    captured = Captured(form=make_form(language="ar"), submission_id="s", lead_id="l", outcome="stored")

    body = json.loads(accepted(captured, as_json=True).body)

    assert body["message"] == "شكرًا لك! لقد استلمنا طلبك وسنتواصل معك قريبًا."


def test_accepted_classic_form_redirects_to_the_thank_you_page(captured) -> None:
    response = accepted(captured("https://acme.io/thanks?from=form"), as_json=False)

    assert response.status_code == 303
    assert header(response, "Location") == "https://acme.io/thanks?from=form"


def test_accepted_classic_form_without_thank_you_page_gets_a_page(captured) -> None:
    response = accepted(captured(None), as_json=False)

    assert response.status_code == 200
    assert header(response, "Content-Type").startswith("text/html")
    assert header(response, "Location") is None
    assert response.body.startswith("<!doctype html>")
    assert "Thank you" in response.body


def refusal(*errors: tuple[str | None, str, str], status: int = 422) -> CaptureError:
    return CaptureError(status, [FieldError(field=f, code=c, message=m) for f, c, m in errors])


@pytest.mark.parametrize("status", [400, 404, 410, 413, 415, 422])
def test_refused_as_json_lists_every_error_with_the_errors_status(status: int) -> None:
    error = refusal(("name", "name_required", "Please tell us your name."),
                    ("email", "contact_required", "Please give an email address or a phone number so we can "
                                                  "reach you."), status=status)

    response = refused(error, as_json=True)

    assert response.status_code == status
    assert header(response, "Content-Type") == "application/json"
    assert json.loads(response.body) == {"errors": [
        {"field": "name", "code": "name_required", "message": "Please tell us your name."},
        {"field": "email", "code": "contact_required",
         "message": "Please give an email address or a phone number so we can reach you."},
    ]}


def test_refused_as_json_keeps_a_null_field() -> None:
    error = CaptureError.single(413, "body_too_large", "Too large.")

    assert json.loads(refused(error, as_json=True).body) == {
        "errors": [{"field": None, "code": "body_too_large", "message": "The form is too large."}]}


def test_errors_found_before_the_form_was_read_are_said_in_its_language(make_form) -> None:
    # The body is parsed before its form's language applies: the answer still speaks it.
    error = CaptureError.single(413, "body_too_large", "The form is too large.", form=make_form(language="es"))

    assert json.loads(refused(error, as_json=True).body)["errors"][0]["message"] == "El formulario es demasiado grande."


def test_refused_as_html_is_a_page_with_the_status_and_every_message() -> None:
    error = refusal(("name", "name_required", "Please tell us your name."),
                    ("phone", "invalid_phone", "Please check your phone number."), status=422)

    response = refused(error, as_json=False)

    assert response.status_code == 422
    assert header(response, "Content-Type").startswith("text/html")
    assert "Please tell us your name." in response.body
    assert "(name_required)" in response.body
    assert "Please check your phone number, with its area code." in response.body
    assert "(invalid_phone)" in response.body


def test_refused_as_html_escapes_messages_and_codes() -> None:
    error = refusal(("x", "<b>code</b>", "<script>alert(1)</script> & more"), status=400)

    body = refused(error, as_json=False).body

    assert "<script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert "<b>code</b>" not in body
    assert "&lt;b&gt;code&lt;/b&gt;" in body


def test_a_second_failure_replaces_the_codes_in_the_url_instead_of_piling_them_up(make_form) -> None:
    form = make_form(allowed_origins=["https://acme.io"])
    first = CaptureError.single(422, "invalid_email", "x", "email", form=form)
    back = header(refused(first, as_json=False, referer="https://acme.io/contact?ref=ad"), "Location")
    second = CaptureError.single(422, "name_required", "x", "name", form=form)

    again = header(refused(second, as_json=False, referer=back), "Location")

    assert again == "https://acme.io/contact?ref=ad&lf_errors=name_required&lf_fields=name"
