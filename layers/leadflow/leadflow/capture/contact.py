"""Normalizing contact data so the same person is recognised on every visit."""

from __future__ import annotations

import unicodedata

# phonenumbers and email_validator are imported by the first normalization: the leads
# API, the imports and erasure reach this module for every route, but only a few routes
# normalize contacts, and the two imports are 20-30 ms of a cold start.


class InvalidContact(ValueError):
    """Raised with a stable `code` when an email or phone cannot be used."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalize_email(raw: str) -> str:
    """Validate syntax (no DNS on the request path) and return the matching key:
    NFKC-normalized and lowercased, so `Ana@Example.COM` and `ana@example.com` match."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
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


def normalize_name(raw: str) -> str:
    """Trim and collapse whitespace; NFC keeps every script (Arabic, Cyrillic, CJK) intact."""
    return " ".join(unicodedata.normalize("NFC", raw).split())
