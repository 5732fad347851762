"""From a raw form post to a validated submission: parse_form_body, validate_form, build_submission."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from leadflow.capture.body import MAX_BODY_BYTES, parse_form_body
from leadflow.capture.errors import CaptureError
from leadflow.capture.validation import build_submission, validate_form
from leadflow.shared.models import ChannelKind

JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"


def refusal(body: str | None, content_type: str | None, is_base64: bool = False) -> CaptureError:
    with pytest.raises(CaptureError) as caught:
        parse_form_body(body, content_type, is_base64)
    return caught.value


# -- parse_form_body: what arrives ---------------------------------------------------------------


def test_json_object_becomes_text_fields() -> None:
    body = json.dumps({
        "name": "Ana Pérez", "email": "ana@acme.io", "employees": 250, "rating": 4.5,
        "newsletter": True, "call_me": False, "fax": None,
    })

    fields = parse_form_body(body, JSON, False)

    assert fields == {
        "name": "Ana Pérez", "email": "ana@acme.io", "employees": "250", "rating": "4.5",
        "newsletter": "true", "call_me": "false",
    }  # null fields are dropped


def test_json_keeps_non_ascii_text() -> None:
    body = json.dumps({"name": "محمد", "company": "株式会社", "city": "Москва"}, ensure_ascii=False)

    assert parse_form_body(body, JSON, False) == {"name": "محمد", "company": "株式会社", "city": "Москва"}


def test_urlencoded_body_is_decoded_as_utf8() -> None:
    # GIVEN a browser form post with percent-encoded UTF-8 and '+' for spaces
    body = "name=Jos%C3%A9+Mar%C3%ADa&city=%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0&email=jose%40acme.io"

    fields = parse_form_body(body, URLENCODED, False)

    assert fields == {"name": "José María", "city": "Москва", "email": "jose@acme.io"}


def test_urlencoded_repeated_key_keeps_first_value_and_blanks_are_kept() -> None:
    body = "interest=quote&interest=ebook&company=&email=a%40acme.io"

    fields = parse_form_body(body, URLENCODED, False)

    assert fields["interest"] == "quote"
    assert fields["company"] == ""
    assert fields == {"interest": "quote", "company": "", "email": "a@acme.io"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (JSON, json.dumps({"name": "Ana", "email": "ana@acme.io"})),
        (URLENCODED, urlencode({"name": "Ana", "email": "ana@acme.io"})),
    ],
)
def test_base64_body_is_decoded_first(content_type: str, body: str) -> None:
    encoded = base64.b64encode(body.encode("utf-8")).decode("ascii")

    assert parse_form_body(encoded, content_type, True) == {"name": "Ana", "email": "ana@acme.io"}


def test_invalid_base64_is_a_400() -> None:
    error = refusal("this is not base64!!", JSON, is_base64=True)

    assert error.status == 400
    assert error.errors[0].code == "malformed_body"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json; charset=utf-8", '{"name": "Ana"}'),
        ("application/json;charset=UTF-8", '{"name": "Ana"}'),
        ("Application/JSON", '{"name": "Ana"}'),
        ("application/x-www-form-urlencoded; charset=UTF-8", "name=Ana"),
        ("  application/x-www-form-urlencoded ; charset=utf-8", "name=Ana"),
    ],
)
def test_content_type_parameters_and_case_are_ignored(content_type: str, body: str) -> None:
    assert parse_form_body(body, content_type, False) == {"name": "Ana"}


@pytest.mark.parametrize("body", ["{", '{"name": "Ana",}', "name=Ana", "", "null x"])
def test_malformed_json_is_a_400(body: str) -> None:
    error = refusal(body, JSON)

    assert error.status == 400
    assert [(e.code, e.field) for e in error.errors] == [("malformed_json", "body")]


@pytest.mark.parametrize("body", ['[{"name": "Ana"}]', '"Ana"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_a_400(body: str) -> None:
    error = refusal(body, JSON)

    assert error.status == 400
    assert error.errors[0].code == "malformed_json"


@pytest.mark.parametrize(
    ("field", "value", "flat"),
    [("address", {"city": "Madrid"}, {"address[city]": "Madrid"}), ("interests", ["quote", "demo"],
     {"interests": "quote, demo"}), ("empty", {}, {}), ("nothing", [], {"nothing": ""})],
)
def test_nested_json_value_is_flattened_into_fields(field: str, value: object, flat: dict) -> None:
    # Unknown nested JSON is kept as custom fields (issue 16), not refused.
    body = json.dumps({"name": "Ana", field: value})

    assert parse_form_body(body, JSON, False) == {"name": "Ana", **flat}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "",
        None,
    ],
)
def test_unsupported_content_type_is_a_415(content_type: str | None) -> None:
    error = refusal("name=Ana", content_type)

    assert error.status == 415
    assert [(e.code, e.field) for e in error.errors] == [("unsupported_media_type", "content-type")]


def test_body_at_the_limit_is_accepted_and_one_byte_more_is_a_413() -> None:
    # GIVEN urlencoded bodies of exactly 32 KiB and of 32 KiB + 1 byte
    prefix = "name=Ana&note="
    at_limit = prefix + "x" * (MAX_BODY_BYTES - len(prefix))
    over_limit = at_limit + "x"
    assert MAX_BODY_BYTES == 32 * 1024

    # WHEN / THEN the first parses, the second is refused for its size
    assert parse_form_body(at_limit, URLENCODED, False)["name"] == "Ana"
    error = refusal(over_limit, URLENCODED)
    assert error.status == 413
    assert error.errors[0].code == "body_too_large"


def test_body_size_is_counted_in_utf8_bytes_not_characters() -> None:
    # GIVEN a JSON body of 20,000 Cyrillic letters: under 32 Ki characters, but 40,000 UTF-8 bytes
    body = json.dumps({"name": "Ж" * 20_000}, ensure_ascii=False)
    assert len(body) < MAX_BODY_BYTES < len(body.encode("utf-8"))

    error = refusal(body, JSON)

    assert error.status == 413


def test_oversized_base64_body_is_a_413() -> None:
    encoded = base64.b64encode(b"name=" + b"x" * MAX_BODY_BYTES).decode("ascii")

    assert refusal(encoded, URLENCODED, is_base64=True).status == 413


@pytest.mark.parametrize("raw", [b"name=\xff\xfe", b'{"name": "Jos\xe9"}', b"name=\xc3"])
def test_invalid_utf8_is_a_400(raw: bytes) -> None:
    encoded = base64.b64encode(raw).decode("ascii")
    content_type = JSON if raw.startswith(b"{") else URLENCODED

    error = refusal(encoded, content_type, is_base64=True)

    assert error.status == 400
    assert error.errors[0].code == "invalid_encoding"


def test_json_with_a_lone_surrogate_escape_is_a_400() -> None:
    # GIVEN valid JSON text whose string escapes a lone UTF-16 surrogate: no UTF-8 text can hold it
    body = '{"name": "Ana\\ud800", "email": "ana@acme.io"}'

    # WHEN it is parsed  THEN it is refused like any other text that is not UTF-8, instead of
    # reaching the table and the event bus, where encoding it to UTF-8 fails (a 500 or a poison record)
    error = refusal(body, JSON)
    assert error.status == 400


def test_missing_body_is_an_empty_urlencoded_form() -> None:
    assert parse_form_body(None, URLENCODED, False) == {}


# -- validate_form: what the post must say ------------------------------------------------------


def test_a_complete_post_is_normalized(make_form) -> None:
    form = make_form(default_country="ES")
    fields = {
        "name": "  José   María ", "email": " Jose@Acme.IO ", "phone": "612 34 56 78",
        "company": "Acme", "job_title": "Directora", "country": "ES", "interest": "Quote",
        "message": "  Necesito un presupuesto  ",
    }

    valid = validate_form(form, fields)

    assert valid.contact.name == "José María"
    assert valid.contact.email == "jose@acme.io"
    assert valid.contact.phone == "+34612345678"           # the form's default country applies
    assert (valid.contact.company, valid.contact.job_title, valid.contact.country) == ("Acme", "Directora", "ES")
    assert valid.interest == "quote"
    assert valid.message == "Necesito un presupuesto"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"first_name": "Ana", "last_name": "Pérez"}, "Ana Pérez"),
        ({"first_name": "Ana"}, "Ana"),
        ({"last_name": "Pérez"}, "Pérez"),
        ({"first_name": "  Ana ", "last_name": "  "}, "Ana"),
        ({"name": "Full Name", "first_name": "Ana", "last_name": "Pérez"}, "Full Name"),  # name wins
        ({"name": "   ", "first_name": "Ana", "last_name": "Pérez"}, "Ana Pérez"),          # blank name ignored
    ],
)
def test_name_comes_from_name_or_first_and_last_name(make_form, fields: dict[str, str], expected: str) -> None:
    valid = validate_form(make_form(), {**fields, "email": "ana@acme.io"})

    assert valid.contact.name == expected


def codes_of(error: CaptureError) -> set[tuple[str | None, str]]:
    return {(e.field, e.code) for e in error.errors}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": "ana@acme.io"}, {("name", "name_required")}),
        ({"name": "   ", "email": "ana@acme.io"}, {("name", "name_required")}),
        ({"name": "Ana"}, {("email", "contact_required")}),
        ({"name": "Ana", "email": "  ", "phone": ""}, {("email", "contact_required")}),
        ({"name": "Ana", "email": "ana@"}, {("email", "invalid_email")}),
        ({"name": "Ana", "phone": "call me"}, {("phone", "invalid_phone")}),
        ({"name": "Ana", "email": "ana@", "phone": "12"}, {("email", "invalid_email"), ("phone", "invalid_phone")}),
        # a valid phone does not excuse an invalid email: the visitor typed it, so it must be right
        ({"name": "Ana", "email": "not an email", "phone": "202-555-0173"}, {("email", "invalid_email")}),
        # company data alone is not a lead, and the visitor is told so plainly
        ({"company": "Acme"}, {(None, "person_required"), ("name", "name_required"), ("email", "contact_required")}),
        ({"Company Name": "Acme", "job_title": "CEO"},
         {(None, "person_required"), ("name", "name_required"), ("email", "contact_required")}),
        ({}, {("name", "name_required"), ("email", "contact_required")}),
        ({"email": "bad@", "phone": "x"},
         {("name", "name_required"), ("email", "invalid_email"), ("phone", "invalid_phone")}),
    ],
)
def test_every_problem_is_reported_at_once_with_a_422(make_form, fields: dict[str, str], expected) -> None:
    with pytest.raises(CaptureError) as caught:
        validate_form(make_form(), fields)

    assert caught.value.status == 422
    assert codes_of(caught.value) == expected
    assert all(e.message for e in caught.value.errors)


@pytest.mark.parametrize(
    ("fields", "email", "phone"),
    [
        ({"email": "ana@acme.io"}, "ana@acme.io", None),
        ({"phone": "(202) 555-0173"}, None, "+12025550173"),
        ({"email": "ana@acme.io", "phone": "202 555 0173"}, "ana@acme.io", "+12025550173"),
    ],
)
def test_email_or_phone_is_enough(make_form, fields, email, phone) -> None:
    valid = validate_form(make_form(), {"name": "Ana", **fields})

    assert (valid.contact.email, valid.contact.phone) == (email, phone)


def test_utm_fields_land_in_the_source_with_the_channel_derived(make_form) -> None:
    fields = {
        "name": "Ana", "email": "ana@acme.io",
        "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "spring-2026",
        "utm_term": "crm software", "utm_content": "ad-b", "referrer": "https://www.google.com/",
        "landing_page": "https://acme.io/crm",
    }

    valid = validate_form(make_form(form_id="spring"), fields)

    source = valid.source
    assert source.form_id == "spring"
    assert source.channel == ChannelKind.INBOUND
    assert (source.utm_source, source.utm_medium, source.utm_campaign, source.utm_term, source.utm_content) == (
        "google", "cpc", "spring-2026", "crm software", "ad-b")
    assert (source.referrer, source.landing_page) == ("https://www.google.com/", "https://acme.io/crm")
    # source fields are not repeated as custom fields
    assert not set(valid.extra) & {"utm_source", "utm_medium", "utm_campaign", "referrer", "landing_page"}


@pytest.mark.parametrize(
    ("source_fields", "channel"),
    [
        ({"utm_medium": "referral"}, ChannelKind.REFERRAL),
        ({"utm_medium": "outbound", "utm_source": "linkedin"}, ChannelKind.OUTBOUND),
        ({"referrer": "https://news.example/post"}, ChannelKind.INBOUND),
        ({}, ChannelKind.UNKNOWN),
        ({"utm_medium": "  "}, ChannelKind.UNKNOWN),
    ],
)
def test_channel_is_derived_for_every_post(make_form, source_fields, channel) -> None:
    valid = validate_form(make_form(), {"name": "Ana", "email": "ana@acme.io", **source_fields})

    assert valid.source.channel == channel


def test_custom_fields_are_kept_and_underscore_fields_dropped(make_form) -> None:
    fields = {
        "name": "Ana", "email": "ana@acme.io",
        "company_size": "51-200", "industry": "Retail", "budget": "10k", "timeline": "Q3",
        "favourite_color": "teal", "how_did_you_hear": "a friend",
        "_gotcha": "", "_csrf": "abc", "_redirect": "https://evil.example",
        "blank_custom": "",
    }

    valid = validate_form(make_form(), fields)

    assert valid.extra == {
        "company_size": "51-200", "industry": "Retail", "budget": "10k", "timeline": "Q3",
        "favourite_color": "teal", "how_did_you_hear": "a friend",
    }


@pytest.mark.parametrize(("raw", "expected"), [("Quote", "quote"), ("  DEMO ", "demo"), ("", None), ("eBook", "ebook")])
def test_interest_is_lowercased(make_form, raw: str, expected: str | None) -> None:
    valid = validate_form(make_form(), {"name": "Ana", "email": "ana@acme.io", "interest": raw})

    assert valid.interest == expected


def test_blank_optional_contact_fields_become_none(make_form) -> None:
    valid = validate_form(make_form(), {"name": "Ana", "email": "ana@acme.io", "company": " ", "message": ""})

    assert valid.contact.company is None
    assert valid.message is None


def test_parse_then_validate_a_browser_post(make_form) -> None:
    # GIVEN a classic form post from a Spanish landing page
    body = urlencode({"first_name": "Lucía", "last_name": "Núñez", "phone": "612-34-56-78",
                      "interest": "Pricing", "utm_medium": "partner", "_gotcha": ""})

    # WHEN it is parsed and validated
    valid = validate_form(make_form(default_country="ES"), parse_form_body(body, URLENCODED, False))

    # THEN the contact card and source are what a manager needs
    assert valid.contact.name == "Lucía Núñez"
    assert valid.contact.phone == "+34612345678"
    assert valid.interest == "pricing"
    assert valid.source.channel == ChannelKind.REFERRAL
    assert valid.extra == {}


# -- build_submission ---------------------------------------------------------------------------


def test_build_submission_links_the_submission_to_its_new_lead(make_form, received_at) -> None:
    form = make_form(form_id="spring", language="es")
    valid = validate_form(form, {"name": "Ana", "email": "ana@acme.io", "interest": "demo",
                                 "message": "Hola", "industry": "Retail", "utm_medium": "cpc"})

    submission, lead = build_submission(form, valid, received_at)

    assert submission.lead_id == lead.lead_id
    assert submission.submission_id != lead.lead_id
    assert submission.submission_id and lead.lead_id
    assert submission.form_id == "spring"
    assert submission.language == "es"
    assert submission.received_at == lead.created_at == lead.last_seen_at == received_at
    assert submission.contact == lead.contact == valid.contact
    assert submission.source == lead.source == valid.source
    assert (submission.interest, submission.message, submission.fields) == ("demo", "Hola", {"industry": "Retail"})
    assert submission.is_new_lead is True
    assert lead.submission_count == 1


def test_build_submission_gives_fresh_ids_every_time(make_form, received_at) -> None:
    form = make_form()
    valid = validate_form(form, {"name": "Ana", "email": "ana@acme.io"})

    pairs = [build_submission(form, valid, received_at) for _ in range(20)]

    ids = [s.submission_id for s, _ in pairs] + [lead.lead_id for _, lead in pairs]
    assert len(set(ids)) == 40


def test_urlencoded_bytes_that_are_not_utf8_are_a_400_not_replacement_characters():
    # GIVEN a classic form post whose percent escapes decode to invalid UTF-8 (%FF)
    # WHEN it is parsed
    with pytest.raises(CaptureError) as refused:
        parse_form_body("name=Ana%FF&email=ana%40acme.io", "application/x-www-form-urlencoded", False)
    # THEN it is refused as an encoding problem instead of storing U+FFFD
    assert refused.value.status == 400
    assert refused.value.errors[0].code == "invalid_encoding"


def test_the_fill_time_measured_in_the_browser_wins_over_clocks_that_disagree(make_form):
    from datetime import datetime, timezone

    from leadflow.capture.fields import FormPost
    from leadflow.capture.spam import spam_reason

    form = make_form(min_fill_seconds=2.0)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    ahead_by_10s = int((now.timestamp() + 10 - 11) * 1000)  # shown 11 s ago, on a clock 10 s fast
    person = FormPost.from_fields({"name": "Ana", "_shown_at": str(ahead_by_10s), "_fill_ms": "11000"})
    bot = FormPost.from_fields({"name": "Bot", "_shown_at": str(ahead_by_10s), "_fill_ms": "400"})
    no_script = FormPost.from_fields({"name": "Ana"})

    assert spam_reason(form, person, now) is None
    assert spam_reason(form, bot, now) == "too_fast"
    assert spam_reason(form, no_script, now) is None
    # without _fill_ms the skewed clock alone would have called the person a bot
    assert spam_reason(form, FormPost.from_fields({"name": "Ana", "_shown_at": str(ahead_by_10s)}), now) == "too_fast"
