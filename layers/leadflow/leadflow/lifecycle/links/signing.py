"""Signed links in emails: "contacted", "not interested" and "call later" in a manager's
email, and the questionnaire in a rejected lead's farewell.

A link's token is the credential (the pages behind it have no login), so it is:

- signed: `base64url(payload) "." base64url(HMAC-SHA256(key, base64url(payload)))`. The
  MAC covers the exact characters of the URL and is checked (in constant time) before
  the payload is decoded, so nothing unauthenticated is ever parsed;
- bound: the payload names the lead, the manager and the action (ids only, no personal
  data), so a link can do one thing to one lead for one manager;
- expiring: `e`, in epoch seconds; an expired link says so instead of acting.

The key is a Secrets Manager secret (template: `ActionLinkSecret`, read by
leadflow.shared.secrets): AWSCURRENT signs, AWSPREVIOUS is still accepted after a
rotation, so links already in inboxes keep working.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.shared.clock import utc_now
from leadflow.shared.models import Lead, Manager
from leadflow.shared.secrets import KeySource, KeyUnavailable, SecretKeys
from leadflow.shared.settings import LinkSettings

logger = logging.getLogger(__name__)

# Longer than any token we make (about 200 characters): anything bigger is not ours,
# and is refused before any work.
MAX_TOKEN_LENGTH = 512
FEEDBACK_DAYS = 30  # the farewell's questionnaire stays open this long


class LinkAction(StrEnum):
    CONTACTED = "contacted"
    NOT_INTERESTED = "not_interested"
    CALL_LATER = "call_later"
    FEEDBACK = "feedback"  # the farewell's questionnaire, for the lead (no manager)


MANAGER_ACTIONS = (LinkAction.CONTACTED, LinkAction.NOT_INTERESTED, LinkAction.CALL_LATER)


class LinkInvalid(Exception):
    """Not a link we made: malformed, changed, signed with another key, or used on the
    wrong page. `code` is stable: link_malformed, link_tampered, link_wrong_kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class LinkExpired(Exception):
    """A genuine link past its expiry; `claims` say which lead it was for (so the page
    can point to the lead in the console)."""

    def __init__(self, claims: LinkClaims) -> None:
        super().__init__(f"link for lead {claims.lead_id} expired")
        self.claims = claims


class LinkClaims(BaseModel):
    """What a token says, with one-letter names on the wire to keep URLs short."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="forbid")

    version: Literal[1] = Field(default=1, alias="v")
    lead_id: str = Field(alias="l", min_length=1, max_length=100)
    manager_id: str | None = Field(default=None, alias="m", min_length=1, max_length=100)
    action: LinkAction = Field(alias="a")
    expires: int = Field(alias="e", ge=0)  # epoch seconds

    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, tz=timezone.utc)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()


def sign(claims: LinkClaims, key: bytes) -> str:
    """The URL-safe token for `claims`, signed with `key`."""
    payload = _b64(json.dumps(claims.model_dump(mode="json", by_alias=True, exclude_none=True),
                              separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_b64(_mac(key, payload))}"


def verify(token: str, keys: Iterable[bytes], *, now: datetime | None = None,
           kinds: Iterable[LinkAction] = tuple(LinkAction)) -> LinkClaims:
    """The claims of a token signed with one of `keys` (tried in order), for one of the
    actions `kinds`. Raises LinkInvalid, or LinkExpired for a genuine link past its date."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise LinkInvalid("link_malformed", "this is not a Leadflow link")
    payload, signature = token.split(".")
    try:
        given = _unb64(signature)
        _unb64(payload)
    except (ValueError, binascii.Error):
        raise LinkInvalid("link_malformed", "this is not a Leadflow link") from None
    if not any(hmac.compare_digest(_mac(key, payload), given) for key in keys):
        raise LinkInvalid("link_tampered", "this link was changed or was not made by Leadflow")
    try:
        claims = LinkClaims.model_validate(json.loads(_unb64(payload)))
    except (ValueError, ValidationError):
        # Signed by us yet unreadable: a future version, or a bug; never acted on.
        raise LinkInvalid("link_malformed", "this link cannot be read") from None
    if claims.action not in set(kinds):
        raise LinkInvalid("link_wrong_kind", "this link is not for this page")
    if claims.action in MANAGER_ACTIONS and claims.manager_id is None:
        raise LinkInvalid("link_malformed", "this link names no manager")
    if (now or utc_now()).timestamp() >= claims.expires:
        raise LinkExpired(claims)
    return claims


# -- links -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerLinks:
    """The three links of a manager's email, and how long they work."""

    contacted: str
    not_interested: str
    call_later: str
    days: int


class ActionLinks:
    """Makes the links of emails: `<public API URL>/actions/<token>` for managers,
    `<public API URL>/feedback/<token>` for a farewell's questionnaire."""

    def __init__(self, public_url: str, keys: KeySource, days: int = 7, feedback_days: int = FEEDBACK_DAYS) -> None:
        self.public_url = public_url.rstrip("/")
        self.keys = keys
        self.days = days
        self.feedback_days = feedback_days

    def for_manager(self, lead_id: str, manager_id: str, now: datetime | None = None) -> ManagerLinks:
        """The manager's three links for a lead, valid `days` days. Raises KeyUnavailable."""
        expires = int(((now or utc_now()) + timedelta(days=self.days)).timestamp())
        key = self.keys.signing_key()
        url = {action: self._url("actions", sign(LinkClaims(lead_id=lead_id, manager_id=manager_id, action=action,
                                                            expires=expires), key))
               for action in MANAGER_ACTIONS}
        return ManagerLinks(contacted=url[LinkAction.CONTACTED], not_interested=url[LinkAction.NOT_INTERESTED],
                            call_later=url[LinkAction.CALL_LATER], days=self.days)

    def feedback(self, lead_id: str, now: datetime | None = None) -> str:
        """The farewell's questionnaire link for a lead. Raises KeyUnavailable."""
        expires = int(((now or utc_now()) + timedelta(days=self.feedback_days)).timestamp())
        claims = LinkClaims(lead_id=lead_id, action=LinkAction.FEEDBACK, expires=expires)
        return self._url("feedback", sign(claims, self.keys.signing_key()))

    def _url(self, route: str, token: str) -> str:
        return f"{self.public_url}/{route}/{token}"


def action_links(settings: LinkSettings) -> ActionLinks | None:
    """The signed links of this deployment's emails; None without a public URL and key."""
    if not (settings.public_api_url and settings.action_link_secret_arn):
        return None
    return ActionLinks(settings.public_api_url, SecretKeys(settings.action_link_secret_arn),
                       days=settings.action_link_days)


def manager_links(links: ActionLinks | None, lead: Lead, manager: Manager,
                  now: datetime | None = None) -> ManagerLinks | None:
    """The manager's "contacted / not interested / call later" links for a lead of
    theirs, or None (not configured, or the key cannot be read: the email matters more
    than its links, so it goes without them and the log says why)."""
    if links is None or lead.manager_id != manager.manager_id:
        return None
    try:
        return links.for_manager(lead.lead_id, manager.manager_id, now)
    except KeyUnavailable as error:
        logger.warning("action links left out of the email: %s", error, extra={"lead_id": lead.lead_id})
        return None
