"""capture over HTTP, property-based: whatever a client sends (body, content type, Accept,
Origin, Referer, form id), the deployed handler answers below 500 and in a shape the
client can read. One stack (moto, deployed from template.yaml) serves every example."""

from __future__ import annotations

import itertools
import json
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from leadflow_local.stack import HttpResponse, LocalStack

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
PAGE = "https://www.example.com"  # one of the demo forms' origins
DEMO_ORIGINS = (PAGE, "http://127.0.0.1:3000", "http://localhost:3000")  # the seed's, for `make dev`

# Each example posts from an address of its own: the demo forms allow 30 posts a minute
# per client, and the happy path must stay reachable however many examples run.
client_ips = (f"198.18.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def http_stack(local_aws) -> LocalStack:
    """One deployed and seeded stack for all examples: deploying per example takes seconds."""
    return local_aws.stack()


# -- what a client can send --------------------------------------------------------------------

# The path segments the API's router reads as a form id: word characters and the URI
# characters Powertools accepts in a route parameter (API Gateway decodes %-escapes).
ROUTE_PUNCTUATION = "-._~()'!*:@,;=+&$%<> []{}|^"
form_ids = st.one_of(
    st.sampled_from(["demo", "demo-es", "demo-ar"]), st.just("demo"), st.just("demo"),
    st.text(st.one_of(st.characters(categories=["L", "N"]), st.sampled_from(ROUTE_PUNCTUATION + "_")),
            min_size=1, max_size=30),
)
# Segments it cannot read: one character outside that set (a quote, `?`, `#`, a control).
unroutable_form_ids = st.builds(
    "{}{}{}".format, st.sampled_from(["", "demo"]),
    st.characters(exclude_categories=["L", "N", "Cs"], exclude_characters=ROUTE_PUNCTUATION + "_/"),
    st.sampled_from(["", "demo"]),
)
content_types = st.one_of(
    st.none(),
    st.sampled_from([JSON, URLENCODED, MULTIPART, f"{MULTIPART}; boundary=x", "text/plain", "application/xml",
                     f"{JSON}; charset=utf-8", f"{URLENCODED}; charset=ISO-8859-1", ""]),
    st.text(max_size=40),
)
BROWSERS_ACCEPT = [BROWSER_ACCEPT, "text/html", "text/html;q=0.9, application/json"]
accepts = st.one_of(
    st.sampled_from(BROWSERS_ACCEPT), st.sampled_from(BROWSERS_ACCEPT),  # browsers: pages and redirects
    st.sampled_from([JSON, "*/*", "application/json, text/html", ""]),  # scripts: JSON
    st.none(),
    st.text(max_size=40),
)
origins = st.one_of(
    st.none(),
    st.sampled_from([PAGE, f"{PAGE}/", "http://127.0.0.1:3000", "https://evil.example.net", "null", ""]),
    st.text(max_size=40),
)
# URLs with any host: brackets (`http://[`), and characters that NFKC turns into `/`,
# `?`, `#`, `@` or `:` (`℀`, `／`), which make URL parsers refuse them.
hosts = st.one_of(
    st.lists(st.sampled_from(["www", "example", ".", "com", "-", ":", "@", "[", "]", "::1", "%", "℀", "／", "？", "＠"]),
             max_size=6).map("".join),
    st.text(max_size=12),
)
urls = st.one_of(
    st.builds("{}://{}/{}".format, st.sampled_from(["https", "http", "javascript", ""]), hosts, st.text(max_size=10)),
    st.builds("{}://{}".format, st.sampled_from(["https", "http"]), hosts),
    st.builds(f"{PAGE}/{{}}".format, st.text(max_size=20)),
    st.text(max_size=30),
)
referers = st.one_of(
    urls,
    st.sampled_from([f"{PAGE}/pricing#form", f"{PAGE}/?a=1&b=2", "https://evil.example.net/", ""]),
    st.none(),
)
next_urls = st.one_of(
    urls,
    st.sampled_from([f"{PAGE}/thanks", "https://evil.example.net/", "javascript:alert(1)", "//evil.example.net"]),
)

names = st.one_of(st.sampled_from(["Ana Pérez", "张伟", "محمد الأحمد", "O'Brien-Smith", ""]), st.text(max_size=30))
emails = st.one_of(st.emails(), st.sampled_from(["ANA@Example.COM", "a@b", "ana@acme-corp.com"]), st.text(max_size=30))
phones = st.one_of(st.sampled_from(["+34 612 345 678", "(415) 555-0132", "+971 50 123 4567", "123"]),
                   st.text(max_size=20))
lead_fields = st.builds(
    lambda person, extra: {**extra, **{k: v for k, v in person.items() if v is not None}},
    st.fixed_dictionaries({"name": names, "email": emails, "_next": next_urls | st.none()}, optional={
        "phone": phones, "consent": st.sampled_from(["on", "no", ""]),
        "_gotcha": st.sampled_from(["", "http://spam.example"]), "_shown_at": st.text(max_size=15),
        "_fill_ms": st.text(max_size=15),
    }),
    st.dictionaries(st.text(max_size=15), st.text(max_size=40), max_size=8),
)


def _multipart(fields: dict[str, str]) -> bytes:
    boundary = "----LeadflowProperty7MA4YWxk"
    parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                    for k, v in fields.items())
    return f"{parts}--{boundary}--\r\n".encode()


@st.composite
def lead_posts(draw: st.DrawFn) -> tuple[bytes, str]:
    """A person's post as pages send it, in the content type that goes with it."""
    fields = draw(lead_fields)
    encoding = draw(st.sampled_from([JSON, URLENCODED, MULTIPART]))
    if encoding == JSON:
        return json.dumps(fields).encode(), JSON
    if encoding == URLENCODED:
        return urlencode(fields).encode(), URLENCODED
    return _multipart(fields), f"{MULTIPART}; boundary=----LeadflowProperty7MA4YWxk"


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20)),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children,
                                                                                max_size=4)),
    max_leaves=20,
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(bytes.__mul__, st.binary(min_size=1, max_size=32), st.integers(1, 2500)),  # up to 80 KB
    st.builds(json.dumps, json_values).map(str.encode),
    st.builds(lambda opener, depth: opener * depth, st.sampled_from([b"[", b'{"a":']), st.integers(1, 6000)),
    st.integers(1, 6000).map(lambda width: b'{"employees": %s}' % (b"7" * width)),
    st.lists(st.sampled_from(["name=Ana", "email=ana%40acme.io", "&", "=", "%FF", "%", "+", "%C3%A9"]),
             max_size=12).map(lambda pieces: "".join(pieces).encode()),
)


@st.composite
def any_posts(draw: st.DrawFn) -> tuple[bytes, str | None]:
    """Mostly a person's post as pages send it; else with any content type, or anything at all."""
    kind = draw(st.sampled_from(["lead", "lead", "lead", "lead, any content type", "anything"]))
    if kind == "anything":
        return draw(raw_bodies), draw(content_types)
    body, content_type = draw(lead_posts())
    return body, content_type if kind == "lead" else draw(content_types)


# -- the contract --------------------------------------------------------------------------------


def header(response: HttpResponse, name: str) -> str:
    return next((v for k, v in response.headers.items() if k.lower() == name.lower()), "")


def assert_readable_answer(response: HttpResponse) -> None:
    """Never a 5xx; every answer in a shape its client can act on; never an open redirect."""
    assert response.status < 500, response.body[:500]
    content_type = header(response, "Content-Type")
    if response.status == 303:
        assert on_the_forms_pages(header(response, "Location"))
    elif response.status == 202:
        assert content_type.startswith(JSON)
        assert json.loads(response.body)["submission_id"]
    elif response.status >= 400:
        if content_type.startswith(JSON):
            errors = json.loads(response.body)["errors"]
            assert errors and all(e["code"] for e in errors), errors
        else:
            assert content_type.startswith("text/html") and response.body.startswith(b"<!doctype html>")
    else:  # the thank-you page of a form without a thank-you URL
        assert response.status == 200 and content_type.startswith("text/html")


def on_the_forms_pages(location: str) -> bool:
    """A redirect stays on the site: a path of ours, or a page on one of the form's origins."""
    if location.startswith("/") and not location.startswith("//"):
        return True
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}" in DEMO_ORIGINS


def send(stack: LocalStack, form_id: str, body: bytes, content_type: str | None, accept: str | None,
         origin: str | None, referer: str | None) -> HttpResponse:
    given_headers = {"Content-Type": content_type, "Accept": accept, "Origin": origin, "Referer": referer}
    headers = {name: value for name, value in given_headers.items() if value is not None}
    return stack.handle_http("POST", f"/forms/{form_id}/submissions", headers, body, source_ip=next(client_ips))


# -- the property ----------------------------------------------------------------------------------


# 80 generated posts (each a full capture through the local gateway) besides the pinned
# examples: the suite's budget of about 4 minutes weighs against more.
@settings(max_examples=80, deadline=None)
@given(form_id=form_ids, post=any_posts(), accept=accepts, origin=origins, referer=referers)
@example(form_id="demo", post=(b"[" * 5000, JSON), accept=JSON, origin=None, referer=None).via(
    "bug: RecursionError out of json.loads in forms._json_fields")
@example(form_id="demo", post=(b'{"employees": %s}' % (b"1" * 4301), JSON), accept=JSON, origin=None,
         referer=None).via("bug: ValueError (4300-digit limit) out of json.loads in forms._json_fields")
@example(form_id="demo", post=(b'--b\r\nContent-Disposition: form-data; name="message"\r\n'
                               b"Content-Type: text/plain; charset=undefined\r\n\r\nHola\r\n--b--\r\n",
                               f"{MULTIPART}; boundary=b"), accept=JSON, origin=None, referer=None).via(
    "bug: UnicodeError out of bytes.decode in forms._multipart_fields")
@example(form_id="demo", post=(b'{"name": "Ana", "email": "ana@acme-corp.com", "_next": "http://["}', JSON),
         accept=JSON, origin=None, referer=None).via("bug: ValueError out of urlsplit in capture.allowed_next")
@example(form_id="demo", post=(b"email=ana%40acme-corp.com", URLENCODED), accept=BROWSER_ACCEPT, origin=None,
         referer="http://[").via("bug: ValueError out of urlsplit in web._error_page_url (Invalid IPv6 URL)")
@example(form_id="demo", post=(b"email=ana%40acme-corp.com", URLENCODED), accept=BROWSER_ACCEPT, origin=None,
         referer="http://ex\u2100ample.com/").via("bug: ValueError out of urlsplit (netloc invalid under NFKC)")
def test_no_post_is_answered_with_a_5xx(http_stack, form_id, post, accept, origin, referer):
    body, content_type = post

    response = send(http_stack, form_id, body, content_type, accept, origin, referer)

    event(f"HTTP {response.status}")  # the mix of answers, with --hypothesis-show-statistics
    assert_readable_answer(response)


@settings(max_examples=30, deadline=None)
@given(form_id=unroutable_form_ids, accept=accepts)
@example(form_id="?", accept=JSON).via("Powertools' own 404, `{statusCode, message}`, has no errors[].code")
def test_a_form_id_the_router_cannot_read_is_refused_with_a_code(http_stack, form_id, accept):
    response = send(http_stack, form_id, b'{"name": "Ana", "email": "ana@acme-corp.com"}', JSON, accept, None, None)

    assert_readable_answer(response)
