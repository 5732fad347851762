"""The signed links in emails: what a token carries, and every way one can be wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadflow.lifecycle.links.signing import (
    MANAGER_ACTIONS,
    MAX_TOKEN_LENGTH,
    ActionLinks,
    LinkAction,
    LinkClaims,
    LinkExpired,
    LinkInvalid,
    sign,
    verify,
)
from leadflow.shared.secrets import KeyUnavailable, SecretKeys, StaticKeys

KEY = b"k" * 64
OTHER_KEY = b"o" * 64
NOW = datetime(2026, 3, 14, 9, 0, tzinfo=timezone.utc)
LATER = int((NOW + timedelta(days=7)).timestamp())


def claims(**overrides: Any) -> LinkClaims:
    values: dict[str, Any] = {"lead_id": "lead-1", "manager_id": "m-olivia", "action": LinkAction.CONTACTED,
                              "expires": LATER}
    values.update(overrides)
    return LinkClaims(**values)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_signed_token_verifies_to_what_was_signed() -> None:
    token = sign(claims(), KEY)

    assert verify(token, [KEY], now=NOW) == claims()


def test_a_token_is_url_safe_compact_and_carries_ids_only() -> None:
    token = sign(claims(lead_id="0f" * 16), KEY)

    assert len(token) < 200 and all(c.isalnum() or c in "-_." for c in token)
    payload = json.loads(unb64(token.split(".")[0]))
    assert payload == {"v": 1, "l": "0f" * 16, "m": "m-olivia", "a": "contacted", "e": LATER}


@pytest.mark.parametrize("action", list(LinkAction))
def test_every_action_round_trips(action: LinkAction) -> None:
    manager = None if action == LinkAction.FEEDBACK else "m-1"

    assert verify(sign(claims(action=action, manager_id=manager), KEY), [KEY], now=NOW).action == action


def test_an_expired_link_says_so_and_which_lead_it_was_for() -> None:
    token = sign(claims(expires=int(NOW.timestamp())), KEY)

    with pytest.raises(LinkExpired) as expired:
        verify(token, [KEY], now=NOW)
    assert expired.value.claims.lead_id == "lead-1"
    # One second earlier it was still good
    assert verify(token, [KEY], now=NOW - timedelta(seconds=1)).lead_id == "lead-1"


@pytest.mark.parametrize("change", [
    {"l": "lead-2"}, {"m": "m-other"}, {"a": "not_interested"}, {"e": LATER + 86400 * 365},
], ids=["other-lead", "other-manager", "other-action", "later-expiry"])
def test_a_changed_payload_is_refused_as_tampered(change: dict[str, Any]) -> None:
    # GIVEN a genuine token whose payload someone rewrote, keeping the signature
    payload, signature = sign(claims(), KEY).split(".")
    forged = {**json.loads(unb64(payload)), **change}

    # THEN it is refused before anything in it is believed
    with pytest.raises(LinkInvalid) as refused:
        verify(f"{b64(json.dumps(forged).encode())}.{signature}", [KEY], now=NOW)
    assert refused.value.code == "link_tampered"


def test_a_changed_signature_is_refused_as_tampered() -> None:
    payload, signature = sign(claims(), KEY).split(".")
    flipped = bytearray(unb64(signature))
    flipped[0] ^= 1

    with pytest.raises(LinkInvalid) as refused:
        verify(f"{payload}.{b64(bytes(flipped))}", [KEY], now=NOW)
    assert refused.value.code == "link_tampered"


def test_a_link_signed_with_another_key_is_refused() -> None:
    with pytest.raises(LinkInvalid) as refused:
        verify(sign(claims(), OTHER_KEY), [KEY], now=NOW)
    assert refused.value.code == "link_tampered"


def test_after_a_rotation_links_signed_with_the_previous_key_still_work() -> None:
    token = sign(claims(), OTHER_KEY)

    assert verify(token, [KEY, OTHER_KEY], now=NOW) == claims()


@pytest.mark.parametrize("token", [
    "", ".", "abc", "a.b.c", "no-dot-at-all", "%%%.$$$", "eyJ2IjoxfQ.", ".c2ln",
    "x" * (MAX_TOKEN_LENGTH + 1), "é.é", "a b.c d",
])
def test_a_malformed_token_is_refused_without_a_crash(token: str) -> None:
    with pytest.raises(LinkInvalid) as refused:
        verify(token, [KEY], now=NOW)
    assert refused.value.code == "link_malformed"


def test_a_signed_payload_that_is_not_ours_is_never_acted_on() -> None:
    # Signed with the right key (say, a future version) but not a v1 payload
    for payload in (b"not json", json.dumps({"v": 2, "l": "x", "a": "contacted", "e": LATER}).encode(),
                    json.dumps({"v": 1, "l": "x", "a": "delete_everything", "e": LATER}).encode(),
                    json.dumps({"v": 1, "l": "x", "a": "contacted", "e": LATER, "admin": True}).encode()):
        segment = b64(payload)
        token = f"{segment}.{b64(hmac.new(KEY, segment.encode(), hashlib.sha256).digest())}"
        with pytest.raises(LinkInvalid) as refused:
            verify(token, [KEY], now=NOW)
        assert refused.value.code == "link_malformed"


def test_a_link_works_only_on_its_own_page() -> None:
    feedback = sign(claims(action=LinkAction.FEEDBACK, manager_id=None), KEY)
    contacted = sign(claims(), KEY)

    with pytest.raises(LinkInvalid) as on_actions:
        verify(feedback, [KEY], now=NOW, kinds=MANAGER_ACTIONS)
    with pytest.raises(LinkInvalid) as on_feedback:
        verify(contacted, [KEY], now=NOW, kinds=[LinkAction.FEEDBACK])
    assert on_actions.value.code == on_feedback.value.code == "link_wrong_kind"


def test_a_manager_action_without_a_manager_is_refused() -> None:
    with pytest.raises(LinkInvalid) as refused:
        verify(sign(claims(manager_id=None), KEY), [KEY], now=NOW, kinds=MANAGER_ACTIONS)
    assert refused.value.code == "link_malformed"


def test_the_links_of_a_manager_email_point_at_the_actions_page_and_expire_after_the_days() -> None:
    links = ActionLinks("https://api.example.com/v1/", StaticKeys(KEY), days=5)

    made = links.for_manager("lead-1", "m-olivia", now=NOW)

    assert made.days == 5
    for url, action in ((made.contacted, "contacted"), (made.not_interested, "not_interested"),
                        (made.call_later, "call_later")):
        assert url.startswith("https://api.example.com/v1/actions/")
        found = verify(url.rsplit("/", 1)[1], [KEY], now=NOW)
        assert (found.lead_id, found.manager_id, found.action.value) == ("lead-1", "m-olivia", action)
        assert found.expires_at() == NOW + timedelta(days=5)


def test_the_questionnaire_link_is_for_the_lead_only_and_lasts_a_month() -> None:
    url = ActionLinks("https://api.example.com/v1", StaticKeys(KEY)).feedback("lead-1", now=NOW)

    assert url.startswith("https://api.example.com/v1/feedback/")
    found = verify(url.rsplit("/", 1)[1], [KEY], now=NOW, kinds=[LinkAction.FEEDBACK])
    assert found.manager_id is None and found.expires_at() == NOW + timedelta(days=30)


# -- the key in Secrets Manager -------------------------------------------------------------


class FakeSecrets:
    """Secrets Manager's GetSecretValue for one secret, counting calls per stage."""

    def __init__(self, current: str | None = "c" * 64, previous: str | None = None) -> None:
        self.values = {"AWSCURRENT": current, "AWSPREVIOUS": previous}
        self.calls: list[str] = []

    def get_secret_value(self, SecretId: str, VersionStage: str) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self.calls.append(VersionStage)
        value = self.values[VersionStage]
        if value is None:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no such version"}},
                              "GetSecretValue")
        return {"ARN": SecretId, "SecretString": value}


def test_the_key_is_read_once_per_max_age() -> None:
    clock = [0.0]
    secrets = FakeSecrets()
    keys = SecretKeys("arn:secret", client=secrets, max_age=300, clock=lambda: clock[0])

    assert keys.signing_key() == b"c" * 64
    keys.signing_key()
    clock[0] = 299
    keys.signing_key()
    assert secrets.calls == ["AWSCURRENT"]
    clock[0] = 301
    keys.signing_key()
    assert secrets.calls == ["AWSCURRENT", "AWSCURRENT"]


def test_the_previous_key_is_only_read_when_the_current_one_does_not_match_and_its_absence_is_remembered() -> None:
    secrets = FakeSecrets(previous=None)
    keys = SecretKeys("arn:secret", client=secrets, clock=lambda: 0.0)
    good = sign(claims(), b"c" * 64)

    verify(good, keys.verification_keys(), now=NOW)
    assert secrets.calls == ["AWSCURRENT"]
    for _ in range(3):
        with pytest.raises(LinkInvalid):
            verify(sign(claims(), OTHER_KEY), keys.verification_keys(), now=NOW)
    assert secrets.calls == ["AWSCURRENT", "AWSPREVIOUS"]


def test_a_link_made_before_a_rotation_verifies_with_the_previous_version() -> None:
    secrets = FakeSecrets(current="n" * 64, previous="c" * 64)
    keys = SecretKeys("arn:secret", client=secrets, clock=lambda: 0.0)

    assert verify(sign(claims(), b"c" * 64), keys.verification_keys(), now=NOW) == claims()
    assert keys.signing_key() == b"n" * 64


@pytest.mark.parametrize("secrets", [FakeSecrets(current=None), FakeSecrets(current="short")],
                         ids=["missing", "too-short"])
def test_a_missing_or_weak_key_is_unavailable_not_a_crash(secrets: FakeSecrets) -> None:
    keys = SecretKeys("arn:secret", client=secrets)

    with pytest.raises(KeyUnavailable):
        keys.signing_key()
    with pytest.raises(KeyUnavailable):
        ActionLinks("https://api.example.com", keys).for_manager("lead-1", "m-1")


# -- reading what the pages receive ------------------------------------------------------------


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("", "en"), ("es-ES,es;q=0.9,en;q=0.8", "es"), ("fr-FR,ar;q=0.5,es;q=0.4", "ar"),
    ("en;q=0.2, es;q=0.9", "es"), ("de, fr", "en"), ("es;q=0, en", "en"), ("es;q=abc, ar", "ar"),
])
def test_a_page_nobody_is_known_on_speaks_the_browsers_language(header: str | None, language: str) -> None:
    from leadflow.lifecycle.links.pages import page_language

    assert page_language(header) == language


def test_a_form_post_is_read_first_value_each() -> None:
    from leadflow.lifecycle.links.pages import read_form

    assert read_form("reason=spam&note=a+b%26c&reason=other", "application/x-www-form-urlencoded; charset=UTF-8") \
        == {"reason": "spam", "note": "a b&c"}
    assert read_form(base64.b64encode(b"note=%C3%A9").decode(), None, is_base64=True) == {"note": "é"}


@pytest.mark.parametrize(("body", "content_type", "is_base64", "status", "code"), [
    ('{"reason": "spam"}', "application/json", False, 415, "unsupported_media_type"),
    ("note=" + "x" * 9000, None, False, 413, "body_too_large"),
    ("note=%ff", None, False, 400, "malformed_body"),
    ("note=é", None, False, 400, "malformed_body"),
    ("!!!not base64", None, True, 400, "malformed_body"),
    ("&".join(f"f{i}=1" for i in range(30)), None, False, 400, "malformed_body"),
])
def test_a_post_that_is_not_a_readable_form_is_refused(body: str, content_type: str | None, is_base64: bool,
                                                       status: int, code: str) -> None:
    from leadflow.lifecycle.links.pages import FormUnreadable, read_form

    with pytest.raises(FormUnreadable) as refused:
        read_form(body, content_type, is_base64)
    assert (refused.value.status, refused.value.code) == (status, code)
