"""Reading a form post's body, whatever way the page sent it: JSON, urlencoded or
multipart (the stdlib's parsers), base64 or not, refused precisely when it cannot be
read (400), is too large (413) or is not a form (415)."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qsl

from leadflow.capture.errors import CaptureError
from leadflow.capture.form_tools import FieldMap, fields_of_flat, fields_of_json
from leadflow.capture.messages import message

MAX_BODY_BYTES = 32 * 1024
MULTIPART_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def media_type(content_type: str | None) -> str:
    """`application/json; charset=utf-8` → `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_form_body(body: str | None, content_type: str | None, is_base64: bool,
                    field_map: FieldMap | None = None, keep: tuple[str, ...] = ()) -> dict[str, str]:
    """Decode a JSON, urlencoded or multipart body into raw field name → text, in
    whichever form tool's shape it comes (leadflow.capture.form_tools), the form's
    `field_map` applied and the names in `keep` (its honeypot) left as sent.

    Refusals are CaptureErrors: 400 unreadable, 413 too large, 415 wrong type or a file."""
    try:
        raw = (body or "").encode("utf-8") if not is_base64 else _b64(body or "")
    except UnicodeEncodeError:  # lone surrogates cannot be stored or sent on
        raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body") from None
    if len(raw) > MAX_BODY_BYTES:
        raise CaptureError.single(413, "body_too_large", _en("body_too_large"))

    kind = media_type(content_type)
    if kind == "multipart/form-data":
        return _safe(fields_of_flat(_multipart_fields(raw, content_type or ""), field_map, keep))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body") from None
    if kind == "application/json":
        return _safe(fields_of_json(_json_object(text), field_map, keep))
    if kind == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:  # %FF and the like: refuse rather than store U+FFFD
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body") from None
        return _safe(fields_of_flat(_first_values(pairs), field_map, keep))
    raise CaptureError.single(415, "unsupported_media_type", _en("unsupported_media_type"), "content-type")


def _en(code: str) -> str:
    return message(code, "en")


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The first value wins when a field repeats; blank fields are kept as blanks."""
    fields: dict[str, str] = {}
    for key, value in pairs:
        if not _utf8_safe(key) or not _utf8_safe(value):
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body")
        fields.setdefault(key, value)
    return fields


def _b64(body: str) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body") from None


def _json_object(text: str) -> dict:
    """The body's JSON object; nested objects and lists are the form tools' to read."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError: bad JSON, or an integer of over 4300 digits; RecursionError: arrays
        # nested thousands deep. Both fit in 32 KiB and neither is a form.
        raise CaptureError.single(400, "malformed_json", _en("malformed_json"), "body") from None
    if not isinstance(data, dict):
        raise CaptureError.single(400, "malformed_json", "The body must be a JSON object of fields.", "body")
    return data


def _safe(fields: dict[str, str]) -> dict[str, str]:
    """Refuse strings with lone surrogates (`"\\ud800"` in JSON, at any depth)."""
    if not all(_utf8_safe(key) and _utf8_safe(value) for key, value in fields.items()):
        raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), "body")
    return fields


def _multipart_fields(raw: bytes, content_type: str) -> dict[str, str]:
    """Fields of a multipart/form-data body (the stdlib's MIME parser; no file parts)."""
    if "boundary=" not in content_type.lower():
        raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body")
    document = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + raw
    # Imported here: the email package's header parser is 15-25 ms of a cold start, and
    # only a multipart post (rare from a landing page) needs it.
    import email.parser
    import email.policy

    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(document)
    if not parsed.is_multipart() or parsed.defects:
        raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body")
    pairs: list[tuple[str, str]] = []
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise CaptureError.single(400, "malformed_body", _en("malformed_body"), "body")
        if part.get_filename() is not None:
            raise CaptureError.single(415, "files_not_supported", _en("files_not_supported"), name)
        # UTF-8 throughout: browsers send form parts as UTF-8; any other declared charset
        # (punycode, utf-7, junk) is refused rather than decoded by whatever codec it names.
        charset = (part.get_content_charset() or "utf-8").lower()
        payload = part.get_payload(decode=True)
        try:
            if charset not in MULTIPART_CHARSETS:
                raise ValueError(charset)
            value = payload.decode("utf-8") if isinstance(payload, bytes) else ""
        except ValueError:  # UnicodeDecodeError included
            raise CaptureError.single(400, "invalid_encoding", _en("invalid_encoding"), name) from None
        pairs.append((name, value))
    return _first_values(pairs)


def _utf8_safe(text: str) -> bool:
    """False for strings with lone surrogates (`"\\ud800"` in JSON), which no UTF-8
    store or email can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
