"""Which partner a captured post came through: the `ref` code of its visit (a referral
link, `?ref=<code>`), or the partner who filled in a referral form.

A post is never refused for its code: an unknown code is kept as given, with no partner
and the flag `unknown` (admins see such codes); a deactivated partner's code still
attributes the lead, flagged `inactive`. Partners are read through a per-container cache
(as capture's FormCatalog reads forms), and only for a post that carries a code: a post
without one costs no read."""

from __future__ import annotations

import re
import time
from typing import Protocol

from leadflow.shared.models import ChannelKind, Partner, Source

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")
MAX_CACHED_PARTNERS = 512
MAX_REF_CHARS = 100
# A referral form's partner who gave an email no partner has: `ref` holds this marker,
# never the email (personal data, and `ref` goes out in events). It is no code: a code
# cannot start with `@`.
UNKNOWN_EMAIL_REF = "@unknown-email"


class PartnerSource(Protocol):
    def get(self, partner_id: str, *, consistent: bool = True) -> Partner | None: ...
    def list(self) -> list[Partner]: ...


def code_of(ref: str) -> str | None:
    """A `ref` as typed (`BNI-Downtown `) → the code it names (`bni-downtown`), or None
    when it cannot be any partner's code (no read is made for it)."""
    code = ref.strip().lower()
    return code if CODE.fullmatch(code) else None


class PartnerCatalog:
    """Partners cached per container for a short while: a chapter meeting's burst of
    referrals costs one read of the partner, and a deactivation shows within a minute.
    Unknown codes are cached too (a mistyped link does not read the table per post)."""

    def __init__(self, store: PartnerSource, ttl_seconds: float = 60.0) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, Partner | None]] = {}
        self._by_email: tuple[float, dict[str, Partner]] | None = None

    def find(self, code: str) -> Partner | None:
        cached = self._cache.get(code)
        if cached is None or time.monotonic() - cached[0] > self.ttl_seconds:
            if len(self._cache) >= MAX_CACHED_PARTNERS:  # posts with random codes must not grow it
                self._cache.clear()
            cached = (time.monotonic(), self.store.get(code, consistent=False))
            self._cache[code] = cached
        return cached[1]

    def find_by_email(self, email: str) -> Partner | None:
        """The partner with this (normalized) email: referral forms only, where a partner
        may give their email instead of their code. Partners are few: one Query lists
        them all, cached like the codes."""
        if self._by_email is None or time.monotonic() - self._by_email[0] > self.ttl_seconds:
            listed = {p.email: p for p in sorted(self.store.list(), key=lambda p: p.partner_id, reverse=True)
                      if p.email}
            self._by_email = (time.monotonic(), listed)
        return self._by_email[1].get(email)


def attributed(source: Source, partner: Partner | None) -> Source:
    """The source with the partner its `ref` names, that partner's group now, and the
    flag when the attribution needs a look; its channel is `referral` either way."""
    if partner is None:
        return source.model_copy(update={"partner_id": None, "partner_group": None, "partner_flag": "unknown",
                                         "channel": ChannelKind.REFERRAL})
    return source.model_copy(update={
        "partner_id": partner.partner_id, "partner_group": partner.group_id,
        "partner_flag": None if partner.active else "inactive", "channel": ChannelKind.REFERRAL})


def attribute(source: Source, partners: PartnerCatalog | None) -> Source:
    """A captured source with its partner resolved from its `ref` (no read without one)."""
    if not source.ref:
        return source
    if partners is None:  # a path that looks no partner up: the code is kept as given
        return source.model_copy(update={"channel": ChannelKind.REFERRAL})
    source = source.model_copy(update={"ref": source.ref[:MAX_REF_CHARS]})
    code = code_of(source.ref)
    if code is None:
        return attributed(source, None)
    return attributed(source, partners.find(code))
