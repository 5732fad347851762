"""Normalizing contact data so the same person is recognised on every visit."""

from __future__ import annotations

import re
import unicodedata

# phonenumbers and email_validator are imported by the first normalization: the leads
# API, the imports and erasure reach this module for every route, but only a few routes
# normalize contacts, and the two imports are 20-30 ms of a cold start.

# The addresses nearly everyone types: ASCII letters, digits and `_+-` in dot-separated
# words before the @, a host name of plain labels after it with a TLD of letters. For
# them email_validator's rules come down to this pattern and the checks in
# `_plain_email`, and its answer is the address lowercased, so capture's first request
# does not import it (~17 ms, most of it compiling its Unicode patterns). Anything else
# (Unicode, quotes, Punycode, `ab--` labels, IP literals, reserved names) goes to the
# library; tests/unit/test_contact.py checks both give the same key for every address.
_PLAIN_EMAIL = re.compile(r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_EMAIL_MAX_LENGTH = 254  # RFC 5321 (email_validator's limit)
_DOMAIN_MAX_LENGTH = 253
_SPECIAL_USE_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})  # email_validator's


class InvalidContact(ValueError):
    """Raised with a stable `code` when an email or phone cannot be used."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalize_email(raw: str) -> str:
    """Validate syntax (no DNS on the request path) and return the matching key:
    NFKC-normalized and lowercased, so `Ana@Example.COM` and `ana@example.com` match."""
    address = raw.strip()
    return _plain_email(address) or _validated_email(address)


def _plain_email(address: str) -> str | None:
    """The key of a plain ASCII address (see _PLAIN_EMAIL), or None: ask the library."""
    if not address.isascii() or len(address) > _EMAIL_MAX_LENGTH:
        return None
    lowered = address.lower()
    if not _PLAIN_EMAIL.fullmatch(lowered):
        return None
    domain = lowered.rpartition("@")[2]
    if "--" in domain or len(domain) > _DOMAIN_MAX_LENGTH or domain.rpartition(".")[2] in _SPECIAL_USE_TLDS:
        return None
    return lowered


def _validated_email(address: str) -> str:
    """Any address, by email_validator's rules."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(address, check_deliverability=False)
    except (EmailNotValidError, UnicodeError) as exc:  # IDNA/punycode errors escape as UnicodeError
        raise InvalidContact("invalid_email", str(exc)) from None
    return unicodedata.normalize("NFKC", checked.normalized).lower()


def normalize_phone(raw: str, default_country: str) -> str:
    """Parse a phone number as people type it and return E.164 (`+4915112345678`)."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, default_country.upper())
    except phonenumbers.NumberParseException:
        raise InvalidContact("invalid_phone", "This is not a phone number.") from None
    # IS_POSSIBLE only: a local-only number (no area code) cannot be called from
    # elsewhere, and two people typing the same seven digits would become one lead.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise InvalidContact("invalid_phone", "This phone number is incomplete or has the wrong length.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_country(e164: str) -> str | None:
    """The country (ISO 3166 alpha-2) of an E.164 number; None when it has none (+800...)."""
    import phonenumbers

    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region != "ZZ" else None


def readable_phone(e164: str, home_country: str | None = None) -> str:
    """An E.164 number as people read it: in the national format when it is of
    `home_country` (the reader's), else international (`+1 415-555-0134`). The number as
    stored when it cannot be parsed."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    national = home_country and phonenumbers.region_code_for_number(number) == home_country.upper()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL if national
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_name(raw: str) -> str:
    """Trim and collapse whitespace; NFC keeps every script (Arabic, Cyrillic, CJK) intact."""
    return " ".join(unicodedata.normalize("NFC", raw).split())
