"""Keyed hashes of personal data: a client's IP in its rate counter's key, a post's
fingerprint, an email address in its thank-you counter's key, an erased identifier in
the erasure record.

HMAC-SHA256 with the deployment's own secret (template: `HashKeySecret`), never a plain
SHA-256: the space of IP addresses, and of the emails and phones of a list someone
holds, is small enough to hash every guess and compare; without the key nobody can.
Each use hashes under its own purpose, so a value's hash in one place says nothing
about another. Rotating the key changes every hash: counters and double-submit markers
start afresh (they live minutes to a day), and an erasure record keeps the hash made
with the key of its day."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from leadflow.shared.secrets import KeySource


class Purpose(StrEnum):
    CLIENT_IP = "client-ip"
    POST = "post"
    AUTOREPLY_ADDRESS = "autoreply-address"
    ERASED_IDENTIFIER = "erased-identifier"
    IMPORT_ROW = "import-row"  # a CSV row as imported into a form: imported once


class PersonalDataHasher:
    """HMAC-SHA256 of a value under the deployment's key, for one purpose; hex, at most
    `length` characters. Raises KeyUnavailable when the key cannot be read."""

    def __init__(self, keys: KeySource) -> None:
        self.keys = keys

    def hex(self, purpose: Purpose, value: str, length: int = 64) -> str:
        message = f"{purpose.value}\x00{value}".encode()
        return hmac.new(self.keys.signing_key(), message, hashlib.sha256).hexdigest()[:length]
