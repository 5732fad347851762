"""No post makes the capture path fail: whatever the body, its content type and the form,
parse_form_body and validate_form either succeed with well-formed data or refuse with a
4xx CaptureError (property-based tests with hypothesis; no AWS).

Any other exception would reach API Gateway as a 5xx, so the tests let it fail them."""

from __future__ import annotations

import base64
import encodings
import json
import pkgutil
from datetime import datetime, timezone
from urllib.parse import urlencode

from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadflow.capture.body import MAX_BODY_BYTES, parse_form_body
from leadflow.capture.errors import CaptureError
from leadflow.capture.fields import ALIASES, SOURCE_FIELDS, WELL_KNOWN, FormPost, field_key
from leadflow.capture.spam import fingerprint, spam_reason
from leadflow.capture.validation import ValidatedForm, validate_form
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.models import FormConfig
from leadflow.shared.secrets import StaticKeys

JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

# Enough examples to find the odd input, few enough that the file runs in seconds.
PROPERTY = settings(max_examples=200, deadline=None)
RECEIVED_AT = datetime(2026, 3, 14, 9, 26, 53, tzinfo=timezone.utc)

# -- what a visitor can send ---------------------------------------------------------------

# Every code point, lone surrogates often (hypothesis' text() leaves them out).
any_char = st.one_of(st.characters(), st.characters(categories=["Cs"]))
any_text = st.text(any_char, max_size=40)
long_text = st.builds(str.__mul__, st.text(min_size=1, max_size=3), st.integers(0, 5000))
huge_bytes = st.one_of(
    st.builds(bytes.__mul__, st.binary(min_size=1, max_size=64), st.integers(1, 1500)),
    st.integers(MAX_BODY_BYTES - 2, MAX_BODY_BYTES + 2).map(lambda n: b"x" * n),
)
raw_bytes = st.one_of(st.binary(max_size=300), huge_bytes)

# Every codec Python knows, plus names it does not: multipart parts choose their charset.
CODECS = sorted({m.name for m in pkgutil.iter_modules(encodings.__path__)} - {"aliases"})
charsets = st.one_of(
    st.sampled_from(CODECS), st.sampled_from(CODECS), st.sampled_from(["", "x-unknown", "UTF-8", '"utf-8"']), any_text,
)

media_types = st.sampled_from([
    JSON, URLENCODED, MULTIPART, "text/plain", "application/xml", "", "multipart/mixed",
    "application/json-patch+json", "APPLICATION/JSON", " application/x-www-form-urlencoded ",
])
parameters = st.lists(st.tuples(
    st.one_of(st.sampled_from(["charset", "boundary", "CHARSET", "Boundary", "q"]), any_text),
    st.one_of(charsets, st.sampled_from(['""', "----x", "=", ";"])),
), max_size=3)

HASHER = PersonalDataHasher(StaticKeys(b"k" * 32))


def _with_parameters(media_type: str, params: list[tuple[str, str]]) -> str:
    return media_type + "".join(f"; {k}={v}" for k, v in params)


content_types = st.one_of(
    st.none(),
    st.builds(_with_parameters, media_types, parameters),
    any_text,  # any header value at all
)


def delivered(raw: bytes, as_text: bool) -> tuple[str, bool]:
    """Bytes as API Gateway hands them over (body, is_base64): text if asked and they are
    UTF-8, else base64."""
    if as_text:
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(raw).decode("ascii"), True


def _text_bytes(text: str) -> bytes:
    """A str as the bytes a client would send; lone surrogates become invalid UTF-8."""
    return text.encode("utf-8", "surrogatepass")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# JSON: any value (objects, arrays, NaN and Infinity, nested), and the shapes that push a
# parser to its limits: nesting thousands deep and integers thousands of digits long.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text),
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(any_text, children, max_size=5)),
    max_leaves=30,
)
json_documents = st.one_of(
    st.builds(json.dumps, json_values, ensure_ascii=st.booleans()),
    st.builds(json.dumps, st.dictionaries(any_text, json_values, max_size=8), ensure_ascii=st.booleans()),
    st.builds(lambda opener, depth: opener * depth, st.sampled_from(["[", '{"a":', '{"a":[']), st.integers(1, 6000)),
    st.builds(lambda digit, width: f'{{"employees": {digit * width}}}', st.sampled_from("123456789"),
              st.integers(1, 6000)),
    any_text,
)

# urlencoded: well-formed pairs of any text, and raw strings of escapes and separators
# (`%FF`, a lone `%`, `%G1`, `&&==`).
url_pieces = st.one_of(
    st.text(max_size=10),
    st.binary(min_size=1, max_size=6).map(lambda b: "".join(f"%{x:02X}" for x in b)),
    st.sampled_from(["&", "=", ";", "+", "%", "%G1", "%F", "%%", "&&", "=="]),
)
urlencoded_bodies = st.one_of(
    st.builds(urlencode, st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20)), max_size=8)),
    st.lists(url_pieces, max_size=20).map("".join),
)

# multipart: mostly well-formed posts, so that the parts' headers and charsets are
# reached; else (a third of posts, an eighth of parts) random boundaries or none, parts
# without a name or with a filename, broken and unknown headers, no final delimiter.
TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_+."
part_names = st.text(st.characters(exclude_characters='"\\\r\n'), max_size=12)
dispositions = st.one_of(
    st.builds("form-data; name={}".format, st.text(max_size=12)),
    st.builds('form-data; name="{}"; filename="{}"'.format, part_names, part_names),
    st.builds("form-data; name*=utf-8''{}".format, url_pieces),
    st.sampled_from(["form-data", "attachment; filename=cv.pdf", "form-data; name=", 'form-data; name="a']),
    any_text,
)
extra_headers = st.one_of(
    charsets.map("Content-Type: text/plain; charset={}".format),
    st.sampled_from(["base64", "quoted-printable", "7bit", "8bit", "x-junk"]).map("Content-Transfer-Encoding: {}".format),
    any_text,  # a line without a colon, a header nobody knows
)
payloads = st.one_of(st.text(max_size=30).map(str.encode), st.binary(max_size=40))


@st.composite
def multipart_parts(draw: st.DrawFn) -> list[str]:
    """A part's header lines."""
    if draw(st.integers(0, 7)):  # as browsers write it, in any charset
        headers = [f'Content-Disposition: form-data; name="{draw(part_names)}"']
        return headers + ([f"Content-Type: text/plain; charset={draw(charsets)}"] if draw(st.booleans()) else [])
    headers = [f"Content-Disposition: {draw(dispositions)}"] if draw(st.booleans()) else []
    return headers + draw(st.lists(extra_headers, max_size=2))


@st.composite
def multipart_posts(draw: st.DrawFn) -> tuple[bytes, str]:
    messy = not draw(st.integers(0, 2))
    boundary = draw(st.text(TOKEN_CHARS, min_size=1, max_size=70) if not messy else st.one_of(
        st.text(TOKEN_CHARS + "'()<>@,;:/[]?= ", min_size=1, max_size=70), any_text))
    newline = draw(st.sampled_from([b"\r\n", b"\n"]))
    delimiter = b"--" + _text_bytes(boundary)
    body = b"" if not messy else draw(st.sampled_from([b"", b"preamble" + newline, b"no newline"]))
    for headers in draw(st.lists(multipart_parts(), min_size=0 if messy else 1, max_size=5)):
        lines = [_text_bytes(h) for h in headers]
        body += delimiter + newline + newline.join(lines) + newline + newline + draw(payloads) + newline
    if not messy or draw(st.booleans()):
        body += delimiter + b"--" + newline
    content_type = draw(st.sampled_from([
        f"{MULTIPART}; boundary={boundary}", f'{MULTIPART}; boundary="{boundary}"',
        f'{MULTIPART.upper()};charset=utf-8;BOUNDARY="{boundary}"',
    ]) if not messy else st.one_of(
        st.builds(f"{MULTIPART}; boundary={{}}".format, any_text),
        st.builds(_with_parameters, st.just(MULTIPART), parameters),
        st.just(f"{MULTIPART}; boundary={boundary}"),
    ))
    return body, content_type


def multipart_with_charset(charset: str) -> tuple[bytes, str]:
    """One well-formed text part in the given charset, as a browser would send it."""
    body = ('--b\r\nContent-Disposition: form-data; name="message"\r\n'
            f"Content-Type: text/plain; charset={charset}\r\n\r\nHola\\x\r\n--b--\r\n")
    return body.encode(), f"{MULTIPART}; boundary=b"


# -- forms -----------------------------------------------------------------------------------

form_field_names = st.one_of(
    st.sampled_from([*WELL_KNOWN, *SOURCE_FIELDS, *ALIASES, "Email Address", "your-email", "First Name", "fax"]),
    any_text,
)
forms = st.builds(
    FormConfig,
    form_id=st.sampled_from(["demo", "demo-es", "demo-ar", "landing-2026"]),
    name=st.just("Property form"),
    language=st.sampled_from(["en", "es", "ar", "xx"]),
    default_country=st.sampled_from(["US", "ES", "AE", "GB", "DE", "BR", "IN", "ZZ", "XX", "", "us", "001"]),
    required_fields=st.lists(form_field_names, max_size=2),
    keep_custom_fields=st.booleans(),
    consent_text=st.none() | st.text(max_size=40),
    honeypot_field=st.sampled_from(["_gotcha", "_hp", "website", "fax", ""]),
    min_fill_seconds=st.floats(min_value=0, max_value=600),
)
received_ats = st.datetimes(timezones=st.just(timezone.utc))
DEMO_FORM = FormConfig(form_id="demo", name="Demo landing page", consent_text="I agree.")

# -- the contract ------------------------------------------------------------------------------


def assert_client_error(error: CaptureError) -> None:
    """A refusal the visitor can act on: 4xx, with stable codes and messages."""
    assert 400 <= error.status < 500, error.status
    assert error.errors
    assert all(e.code and e.message for e in error.errors), error.errors


def parsed_or_refused(body: str | None, content_type: str | None, is_base64: bool) -> dict[str, str] | None:
    try:
        fields = parse_form_body(body, content_type, is_base64)
    except CaptureError as error:
        assert_client_error(error)
        return None
    assert isinstance(fields, dict)
    for key, value in fields.items():
        assert isinstance(key, str) and isinstance(value, str)
        # What is stored and emailed on must be UTF-8: the parser refuses lone surrogates.
        key.encode("utf-8")
        value.encode("utf-8")
    return fields


def post_of(fields: dict[str, str]) -> FormPost:
    post = FormPost.from_fields(fields)
    assert all(key.startswith("_") for key in post.hidden)
    assert not any(key.startswith("_") for key in post.values)
    return post


def validated_or_refused(form: FormConfig, post: FormPost) -> ValidatedForm | None:
    try:
        valid = validate_form(form, post)
    except CaptureError as error:
        assert_client_error(error)
        return None
    contact = valid.contact
    assert contact.name.strip()
    assert contact.email or contact.phone
    if contact.email:
        assert contact.email == contact.email.lower()
    if contact.phone:
        assert contact.phone.startswith("+") and contact.phone[1:].isdigit(), contact.phone
    return valid


def check_capture(form: FormConfig, body: str | None, content_type: str | None,
                  is_base64: bool) -> dict[str, str] | None:
    """The capture path without AWS: parse, read the fields, spot bots, validate.
    Returns the parsed fields (None if the body was refused)."""
    fields = parsed_or_refused(body, content_type, is_base64)
    if fields is None:
        return None
    post = post_of(fields)
    assert spam_reason(form, post, RECEIVED_AT) in (None, "honeypot", "too_fast")
    assert len(fingerprint(form.form_id, "client", post, HASHER)) == 64
    validated_or_refused(form, post)
    return fields


# -- properties: bodies --------------------------------------------------------------------------


@PROPERTY
@given(body=st.none() | any_text | long_text, content_type=content_types, is_base64=st.booleans(), form=forms)
def test_any_text_body_is_read_or_refused_with_a_4xx(body, content_type, is_base64, form):
    check_capture(form, body, content_type, is_base64)


@PROPERTY
@given(raw=raw_bytes, as_text=st.booleans(), content_type=content_types, form=forms)
def test_any_bytes_are_read_or_refused_with_a_4xx(raw, as_text, content_type, form):
    body, is_base64 = delivered(raw, as_text)
    check_capture(form, body, content_type, is_base64)


@PROPERTY
@given(document=json_documents, as_text=st.booleans(), params=parameters, form=forms)
@example(document="[" * 5000, as_text=True, params=[], form=DEMO_FORM).via(
    "bug: RecursionError out of json.loads (nesting deeper than the interpreter's stack)")
@example(document='{"employees": ' + "1" * 4301 + "}", as_text=True, params=[], form=DEMO_FORM).via(
    "bug: ValueError out of json.loads (an integer over Python's 4300-digit limit)")
def test_any_json_document_is_read_or_refused_with_a_4xx(document, as_text, params, form):
    body, is_base64 = _sent(document, as_text)
    check_capture(form, body, _with_parameters(JSON, params), is_base64)


@PROPERTY
@given(body=urlencoded_bodies, as_text=st.booleans(), params=parameters, form=forms)
def test_any_urlencoded_body_is_read_or_refused_with_a_4xx(body, as_text, params, form):
    text, is_base64 = _sent(body, as_text)
    check_capture(form, text, _with_parameters(URLENCODED, params), is_base64)


@settings(PROPERTY, max_examples=500)
@given(post=multipart_posts(), as_text=st.booleans(), form=forms)
@example(post=multipart_with_charset("undefined"), as_text=True, form=DEMO_FORM).via(
    "bug: UnicodeError (not UnicodeDecodeError) out of bytes.decode; also punycode, idna")
@example(post=multipart_with_charset("punycode"), as_text=True, form=DEMO_FORM).via(
    "bug: UnicodeError out of the punycode codec")
@example(post=multipart_with_charset('"utf-8\x00"'), as_text=True, form=DEMO_FORM).via(
    "bug: ValueError (embedded null character) out of bytes.decode")
def test_any_multipart_body_is_read_or_refused_with_a_4xx(post, as_text, form):
    raw, content_type = post
    body, is_base64 = delivered(raw, as_text)
    check_capture(form, body, content_type, is_base64)


def _sent(text: str, as_text: bool) -> tuple[str, bool]:
    """As text (lone surrogates and all), or base64 of the bytes a client would send."""
    return (text, False) if as_text else (base64.b64encode(_text_bytes(text)).decode("ascii"), True)


# -- properties: fields that look like a lead ------------------------------------------------------

names = st.one_of(st.sampled_from(["Ana Pérez", "张伟", "محمد الأحمد", "  ", "", "O'Brien-Smith"]), st.text(max_size=30))
emails = st.one_of(
    st.emails(),
    st.sampled_from(["ANA@Example.COM", "a@b", "a@@b.com", " ana@acme.io ", "ana@xn--80ak6aa92e.com",
                     "ǅemo@example.com", "İnci@example.com", "ﬀ@example.com"]),
    st.text(max_size=30),
)
phones = st.one_of(
    st.sampled_from(["+34 612 345 678", "(415) 555-0132", "0044 20 7946 0958", "+971 50 123 4567", "123",
                     "+", "tel:+1-202-555-0143", "+1 202 555 0143 ext. 12"]),
    st.builds("+{} {}".format, st.sampled_from(["1", "34", "44", "49", "55", "91", "971"]),
              st.from_regex(r"[0-9]{6,12}", fullmatch=True)),
    st.from_regex(r"\+?[0-9 ()\-.]{1,25}", fullmatch=True),
    st.text(max_size=25),
)
# `_shown_at` (epoch ms), `_fill_ms` and other hidden fields as bots and broken scripts fill them.
hidden_values = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "１２３", "1_000", " 17e11 ", "0x10", "", "9" * 400]),
    st.floats().map(str), st.integers().map(str), any_text,
)
# A person (or half of one) among the fields form builders add.
lead_fields = st.builds(
    lambda person, extra: {**extra, **person},
    st.fixed_dictionaries({}, optional={"name": names, "Email Address": emails, "phone": phones,
                                        "first_name": names, "consent": st.sampled_from(["on", "sí", "no", ""])}),
    st.dictionaries(form_field_names.filter(_utf8), st.one_of(names, emails, phones, long_text),
                    max_size=40),
)


@PROPERTY
@given(fields=lead_fields, encoding=st.sampled_from([JSON, URLENCODED, MULTIPART]), form=forms)
def test_lead_like_posts_in_every_encoding_validate_or_are_refused_with_a_4xx(fields, encoding, form):
    if encoding == JSON:
        body, content_type = json.dumps(fields), JSON
    elif encoding == URLENCODED:
        body, content_type = urlencode(fields), URLENCODED
    else:
        boundary = "----LeadflowProperty7MA4YWxk"
        body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                       for k, v in fields.items()) + f"--{boundary}--\r\n"
        content_type = f"{MULTIPART}; boundary={boundary}"

    parsed = check_capture(form, body, content_type, False)

    if encoding != MULTIPART and len(body.encode()) <= MAX_BODY_BYTES:
        assert parsed == fields  # well-formed JSON and urlencoded posts come back as sent


@PROPERTY
@given(fields=st.dictionaries(any_text, any_text, max_size=10))
def test_field_names_and_posts_are_read_whatever_they_contain(fields):
    for raw in fields:
        assert isinstance(field_key(raw), str)

    post_of(fields)


@PROPERTY
@given(form=forms, values=st.dictionaries(st.text(max_size=20), st.text(max_size=30), max_size=6),
       hidden=st.dictionaries(st.sampled_from(["_shown_at", "_fill_ms", "_gotcha", "_next", "_hp", "_"]) | any_text,
                              hidden_values, max_size=5),
       received_at=received_ats, form_id=st.text(max_size=20), client=st.text(max_size=30))
@example(form=DEMO_FORM, values={"name": "Ana"}, hidden={"_shown_at": "1e400"},
         received_at=RECEIVED_AT, form_id="demo", client="c").via("an infinite `_shown_at`")
def test_bot_checks_and_fingerprints_never_fail(form, values, hidden, received_at, form_id, client):
    post = FormPost(values=values, hidden=hidden)

    assert spam_reason(form, post, received_at) in (None, "honeypot", "too_fast")
    assert len(fingerprint(form_id, client, post, HASHER)) == 64
