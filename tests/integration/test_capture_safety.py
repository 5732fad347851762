"""Capture never lets a visitor's input split a header, and never stores or mails control
characters a person cannot have meant."""

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from leadflow_local.stack import HttpResponse, LocalStack
from support import items_of

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PAGE = "https://www.example.com"  # one of the demo form's allowed origins


def browser_post(stack: LocalStack, fields: dict[str, str], **headers: str) -> HttpResponse:
    return stack.handle_http("POST", "/forms/demo/submissions", {
        "Content-Type": "application/x-www-form-urlencoded", "Accept": BROWSER_ACCEPT, "Origin": PAGE, **headers,
    }, urlencode(fields).encode())


def header_lines(response: HttpResponse) -> list[tuple[str, str]]:
    return list(response.headers.items())


@pytest.mark.parametrize(("next_url", "location"), [
    (f"{PAGE}/ok\r\nSet-Cookie: pwned=1", "/thank-you"),
    (f"{PAGE}/ok\nSet-Cookie: pwned=1", "/thank-you"),
    (f"{PAGE}/ok\rX: y", "/thank-you"),
    (f"{PAGE}/ok\tthere", "/thank-you"),
    (f"{PAGE}/ok\x00", f"{PAGE}/ok"),  # a NUL is dropped from every field: what is left is safe
])
def test_a_next_url_with_a_line_break_never_reaches_a_header(stack, table, next_url, location):
    # GIVEN the reproducer of the probe: a `_next` on an allowed origin with CR/LF in it
    fields = {"name": "Crlf", "email": "c@acme-corp.com", "_next": next_url}

    # WHEN a browser posts it
    response = browser_post(stack, fields)

    # THEN no header carries CR, LF or NUL, nothing was redirected to a split URL, and
    # the person's post was stored all the same (the form's own thank-you page answers)
    for name, value in header_lines(response):
        assert not any(c in value for c in "\r\n\x00"), (name, value)
    assert "Set-Cookie" not in response.headers
    assert response.status == 303 and response.headers["Location"] == location
    [submission] = items_of(table, "submission")
    assert submission["contact"]["email"] == "c@acme-corp.com"


def test_a_clean_next_url_on_an_allowed_origin_is_still_followed(stack):
    response = browser_post(stack, {"name": "Ok", "email": "ok@acme-corp.com", "_next": f"{PAGE}/merci?x=1"})

    assert response.status == 303 and response.headers["Location"] == f"{PAGE}/merci?x=1"


def test_a_referer_with_a_line_break_is_not_sent_back(stack):
    # A refused post goes back to the page it came from, but never to a split header.
    response = browser_post(stack, {"name": "No contact"}, Referer=f"{PAGE}/form\r\nSet-Cookie: pwned=1")

    assert all("\r" not in v and "\n" not in v for v in response.headers.values())
    assert response.status == 422 and "Location" not in response.headers


def configure(stack: LocalStack, **changes: Any) -> None:
    from support import stores_of

    forms = stores_of(stack).capture
    forms.put_form(forms.get_form("demo").model_copy(update=changes))


def test_a_configured_thank_you_url_with_a_line_break_is_not_followed(stack):
    configure(stack, thank_you_url=f"{PAGE}/thanks\r\nSet-Cookie: pwned=1")

    response = browser_post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})

    assert all("\r" not in v and "\n" not in v for v in response.headers.values())
    assert response.status == 200 and "Location" not in response.headers  # the built-in thank-you page
    assert json.dumps(response.headers).count("pwned") == 0


def test_control_characters_are_stripped_from_what_is_stored_and_mailed(stack, table, sent_emails):
    # GIVEN a post whose fields carry NUL, escape, bell and line breaks where none belong
    body = {"name": "Ana\x00 Ruiz\r\nBcc: x@evil.example", "email": "ana@acme-corp.com", "phone": "+14155550134",
            "company": "Acme\x1b[31m Corp\x07", "job_title": "CEO\u2028", "interest": "quote\x00",
            "message": "Line one\r\nLine two\x00\tend\x7f", "seats": "40\x00\r\n"}

    # WHEN it is posted, scored and its manager emailed
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    stack.drain()

    # THEN it is stored (nobody lost), one-line fields without controls or line breaks,
    # the message with its lines and tab but nothing else
    assert response.status == 202
    [submission] = items_of(table, "submission")
    contact = submission["contact"]
    assert contact["name"] == "Ana Ruiz Bcc: x@evil.example"
    assert contact["company"] == "Acme[31m Corp" and contact["job_title"] == "CEO"
    assert submission["interest"] == "quote"
    assert submission["message"] == "Line one\nLine two\tend"
    assert submission["fields"]["seats"] == "40"
    [email] = sent_emails()
    for text in (email.subject, email.body, json.dumps(email.destinations)):
        assert not any(c in text for c in "\x00\x07\x1b\x7f\u2028"), text
    assert "\n" not in email.subject and "\r" not in email.subject
