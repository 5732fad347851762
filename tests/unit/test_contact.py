"""Contact normalization: the same person must produce the same matching keys every visit."""

from __future__ import annotations

import pytest

from leadflow.capture.contact import InvalidContact, normalize_email, normalize_name, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("Ana@Example.COM", "ana@example.com"),                    # case folded in local part and domain
        ("  ana@example.com  ", "ana@example.com"),                # surrounding spaces
        ("\tana@example.com\n", "ana@example.com"),                # tabs and newlines at the ends
        ("Ａｎａ@example.com", "ana@example.com"),                  # full-width letters (NFKC)
        ("ana@ＥＸＡＭＰＬＥ.com", "ana@example.com"),               # full-width domain
        ("José@Ejemplo.ES", "josé@ejemplo.es"),                    # internationalized local part kept
        ("ANA@MÜNCHEN.DE", "ana@münchen.de"),                      # internationalized domain, lowercased
    ],
)
def test_normalize_email_gives_one_matching_key(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


def test_normalize_email_makes_visits_with_different_spellings_match() -> None:
    # GIVEN the same person typing their address three ways on three visits
    spellings = ["Ana.Perez@Acme.io", " ana.perez@ACME.IO ", "ａｎａ.ｐｅｒｅｚ@acme.io"]

    # WHEN each is normalized
    keys = {normalize_email(s) for s in spellings}

    # THEN they all give the same identity key
    assert keys == {"ana.perez@acme.io"}


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not-an-email",
        "a@b",
        "ana@@example.com",
        "ana@example..com",
        "ana @example.com",
        "@example.com",
        "ana@",
        "ana@example.com\r\nBcc: eve@evil.example",
    ],
)
def test_normalize_email_refuses_invalid_addresses(raw: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        normalize_email(raw)
    assert caught.value.code == "invalid_email"
    assert str(caught.value)  # a human-readable explanation comes along


@pytest.mark.parametrize(
    ("raw", "default_country", "expected"),
    [
        # United States (the forms' default country)
        ("(202) 555-0173", "US", "+12025550173"),
        ("202-555-0173", "US", "+12025550173"),
        ("202.555.0173", "US", "+12025550173"),
        ("+1 202 555 0173", "ES", "+12025550173"),          # an explicit +1 beats the form's country
        # Spain
        ("612 34 56 78", "ES", "+34612345678"),
        ("+34 612-34-56-78", "US", "+34612345678"),
        ("0034 612 345 678", "ES", "+34612345678"),          # international prefix typed as 00
        ("91 123 45 67", "es", "+34911234567"),              # country code in lower case
        # United Arab Emirates, Saudi Arabia
        ("050 123 4567", "AE", "+971501234567"),
        ("+971 (4) 123-4567", "US", "+97141234567"),
        ("٠٥٠١٢٣٤٥٦٧", "AE", "+971501234567"),               # Arabic-Indic digits
        ("055 123 4567", "SA", "+966551234567"),
        ("+966 50 123 4567", "US", "+966501234567"),
        # United Kingdom
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
    ],
)
def test_normalize_phone_returns_e164(raw: str, default_country: str, expected: str) -> None:
    assert normalize_phone(raw, default_country) == expected


@pytest.mark.parametrize(
    ("raw", "default_country"),
    [
        ("", "US"),
        ("abc", "US"),
        ("call me", "ES"),
        ("12", "US"),                      # far too short
        ("+1 555", "US"),
        ("1234567890123456789", "US"),     # far too long
        ("+34 6", "US"),
    ],
)
def test_normalize_phone_refuses_invalid_numbers(raw: str, default_country: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        normalize_phone(raw, default_country)
    assert caught.value.code == "invalid_phone"


def test_normalize_phone_refuses_a_local_number_without_its_area_code() -> None:
    # GIVEN a US visitor who typed a 7-digit local number (no area code)
    # WHEN it is normalized
    # THEN it is refused: "+15550100" is no E.164 number, nobody can call it, and two people
    #      in different area codes typing the same seven digits would be merged into one lead.
    with pytest.raises(InvalidContact) as caught:
        normalize_phone("555-0100", "US")
    assert caught.value.code == "invalid_phone"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("محمد عبد الله", "محمد عبد الله"),                    # Arabic
        ("  محمد   عبد الله ", "محمد عبد الله"),               # Arabic, whitespace collapsed
        ("Анна Каренина", "Анна Каренина"),                    # Cyrillic
        ("Анна\tКаренина\n", "Анна Каренина"),
        ("王小明", "王小明"),                                   # CJK
        ("山田\u3000太郎", "山田 太郎"),                         # ideographic space is whitespace
        ("José María Núñez", "José María Núñez"),               # Spanish accents
        ("  José   María  Núñez ", "José María Núñez"),
        ("Jose\u0301", "Jos\u00e9"),                            # decomposed accent composed (NFC)
        ("Zoë O'Brien-Łukasz", "Zoë O'Brien-Łukasz"),
        ("   ", ""),
    ],
)
def test_normalize_name_keeps_every_script_and_collapses_whitespace(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


# -- plain addresses without the library (leadflow.capture.contact._plain_email) ---------------

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from leadflow.capture.contact import _plain_email, _validated_email  # noqa: E402

LOCAL_CHARS = "aZ09._+-"
LABEL_CHARS = "aZ09-"
labels = st.one_of(st.text(LABEL_CHARS, min_size=1, max_size=8), st.sampled_from(["xn--bcher-kva", "ab--cd", "a" * 63,
                                                                                   "a" * 64, "-a", "a-"]))
tlds = st.one_of(st.text("aZ09-", min_size=1, max_size=4),
                 st.sampled_from(["com", "IO", "test", "local", "localhost", "onion", "invalid", "arpa", "x",
                                  "c0m", "xn--p1ai", "a" * 63, "a" * 64]))
structured = st.builds("{}@{}.{}".format, st.text(LOCAL_CHARS, min_size=0, max_size=12),
                       st.lists(labels, min_size=1, max_size=3).map(".".join), tlds)
long_ones = st.builds("{}@{}.com".format, st.text("a", min_size=60, max_size=70),
                      st.lists(st.text("b", min_size=60, max_size=63), min_size=2, max_size=4).map(".".join))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(structured, long_ones, st.text(LOCAL_CHARS + "@", max_size=20), st.text(max_size=20)))
@example("Ana.Perez@Acme.IO")
@example("a..b@example.com")
@example(".a@example.com")
@example("a@example.com.")
@example("a@-example.com")
@example("a@example.test")
@example("a@sub.localhost")
@example("postmaster@Example.com")
@example("a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".com")
@example("k@example.com")
def test_a_plain_address_gets_the_key_the_library_gives(address: str) -> None:
    plain = _plain_email(address)
    try:
        expected = _validated_email(address)
    except InvalidContact:
        assert plain is None  # whatever the library refuses goes to the library
        return
    assert plain in (None, expected)


def test_the_addresses_people_type_do_not_need_the_library() -> None:
    for address in ["ana@example.com", "Ana.Perez@Acme.IO", "first.last+tag@mail.co.uk", "a_b-c@x-y.org"]:
        assert _plain_email(address) == address.lower()
    for address in ["José@ejemplo.es", "a@münchen.de", "a@xn--mnchen-3ya.de", "\"a b\"@x.com", "a@[127.0.0.1]",
                    "a@b.c", "ＫＡ@x.com", "a@x.test"]:
        assert _plain_email(address) is None
