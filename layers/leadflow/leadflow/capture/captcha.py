"""Telling bots from people when honeypots are not enough: a proof of work (ALTCHA)
signed by our own challenge route, or Cloudflare Turnstile verified server-side.

Proof of work, self-hosted: GET /forms/{id}/challenge answers an ALTCHA (v1) challenge,
HMAC-signed with a key derived from the deployment's hash key (no new secret), bound to
the form (`form` in its salt) and expiring in a few minutes (`expires`). The page solves
it (leadflow.js in the background, or the ALTCHA widget) and posts the solution as
`_altcha` (the widget's `altcha`). Capture verifies it with the `altcha` package and the
submission's transaction writes the challenge once (capture.store.UsedChallenge): a
solution stores one post. Nothing leaves the company's AWS account, no cookie is set.

The `altcha` package is imported when a proof is first made or checked: importing it
(with its urllib.request) costs ~40 ms, which forms without a proof never pay."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from leadflow.capture.fields import FormPost, field_key
from leadflow.capture.store import UsedChallenge
from leadflow.shared.models import FormConfig
from leadflow.shared.secrets import KeySource, KeyUnavailable

logger = logging.getLogger(__name__)

CHALLENGE_SECONDS = 300  # a visitor who takes longer gets a new one (leadflow.js refreshes it)
# ~0.1-0.5 s of a phone's SHA-256 on average (half the range), seconds for a bot's thousand posts.
MAX_NUMBER = 100_000
MAX_PROOF_CHARS = 2048
# Where a solution comes: leadflow.js's hidden `_altcha`, the ALTCHA widget's `altcha`;
# Turnstile's widget posts `cf-turnstile-response`. Never stored as the person's data.
PROOF_FIELDS = ("_altcha", "altcha")
TURNSTILE_FIELDS = ("cf_turnstile_response", "_turnstile")
SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
SITEVERIFY_TIMEOUT_SECONDS = 3.0  # a person is waiting: then kept, flagged `unverified`


def proof_key(signing_key: bytes) -> bytes:
    """The challenges' HMAC key: derived from the deployment's hash key for this one use,
    so a challenge's signature says nothing about any other hash."""
    return hmac.new(signing_key, b"altcha-challenge\x00v1", hashlib.sha256).digest()


def new_challenge(form_id: str, keys: KeySource, now: datetime) -> dict[str, Any]:
    """A challenge for one form, valid CHALLENGE_SECONDS: ALTCHA's JSON (algorithm,
    challenge, maxNumber, salt, signature), as its widget and leadflow.js read it."""
    from altcha.v1 import create_challenge

    challenge = create_challenge(
        algorithm="SHA-256", max_number=MAX_NUMBER, salt_length=12, hmac_key=proof_key(keys.signing_key()),
        salt="", number=None, expires=now + timedelta(seconds=CHALLENGE_SECONDS), params={"form": form_id})
    return challenge.to_dict()


@dataclass(frozen=True)
class Verdict:
    """What a bot check said: `passed`, or `reason` (stored as spam); `unverified` when
    the checking service could not be reached (kept as a lead, flagged). `used` is the
    solved challenge, written with the post so it serves once."""

    passed: bool
    reason: str | None = None
    unverified: bool = False
    used: UsedChallenge | None = None


PASSED = Verdict(passed=True)


def proof_of(post: FormPost) -> str:
    return post.hidden_value("_altcha") or post.values.get("altcha", "")


def without_check_fields(post: FormPost) -> FormPost:
    """The post without the bot checks' tokens: they are not the person's data."""
    drop = {field_key(f) for f in (*PROOF_FIELDS, *TURNSTILE_FIELDS)}
    return post.model_copy(update={"values": {k: v for k, v in post.values.items() if k not in drop}})


def verify_proof(form_id: str, proof: str, keys: KeySource, now: datetime) -> Verdict:
    """An ALTCHA solution (base64 JSON) of a challenge we signed for this form, unexpired."""
    if not proof:
        return Verdict(passed=False, reason="proof_missing")
    payload = _payload(proof)
    if payload is None:
        return Verdict(passed=False, reason="proof_invalid")
    expires = _expiry_for(form_id, payload["salt"])
    if isinstance(expires, Verdict):
        return expires
    if expires < now.timestamp():
        return Verdict(passed=False, reason="proof_expired")
    from altcha.v1 import verify_solution

    for key in keys.verification_keys():  # a challenge signed just before a key rotation still counts
        ok, _ = verify_solution(payload, proof_key(key), check_expires=False)  # type: ignore[arg-type]
        if ok:
            return Verdict(passed=True, used=UsedChallenge(challenge=str(payload["challenge"]), expires_at=expires))
    return Verdict(passed=False, reason="proof_failed")


def _expiry_for(form_id: str, salt: str) -> int | Verdict:
    """The expiry a challenge's salt carries, if it was made for this form."""
    params = urllib.parse.parse_qs(salt.split("?", 1)[1] if "?" in salt else "")
    if params.get("form") != [form_id]:
        return Verdict(passed=False, reason="proof_other_form")
    try:
        return int(params["expires"][0].rstrip("&"))
    except (KeyError, ValueError):
        return Verdict(passed=False, reason="proof_invalid")


def _payload(proof: str) -> dict[str, Any] | None:
    if len(proof) > MAX_PROOF_CHARS:
        return None
    try:
        payload = json.loads(base64.b64decode(proof, validate=True))
    except (ValueError, binascii.Error):
        return None
    fields = ("algorithm", "challenge", "number", "salt", "signature")
    if not isinstance(payload, dict) or any(f not in payload for f in fields):
        return None
    if payload["algorithm"] != "SHA-256" or not isinstance(payload["number"], int):
        return None
    if not all(isinstance(payload[f], str) for f in ("challenge", "salt", "signature")):
        return None
    return payload


TurnstileOutcome = Literal["passed", "failed", "unreachable"]


class TurnstileVerifier:
    """Cloudflare's siteverify, server-side: the token, the form's secret (Secrets
    Manager, `<prefix><form.turnstile_secret>`), the client's IP; a short timeout.
    `success`, the hostname (one of the form's origins, when it has some) and the action
    (when the form names one) must all agree."""

    def __init__(self, secret_of: Callable[[str], str], url: str = SITEVERIFY_URL,
                 timeout: float = SITEVERIFY_TIMEOUT_SECONDS) -> None:
        self.secret_of = secret_of
        self.url = url
        self.timeout = timeout

    def verify(self, form: FormConfig, token: str, client_ip: str | None) -> TurnstileOutcome:
        if not token or len(token) > MAX_PROOF_CHARS:
            return "failed"
        try:
            secret = self.secret_of(form.turnstile_secret or "")
        except KeyUnavailable as error:
            logger.warning("turnstile secret unavailable for form %s: %s", form.form_id, error)
            return "unreachable"
        body = {"secret": secret, "response": token, "idempotency_key": secrets.token_hex(16)}
        if client_ip:
            body["remoteip"] = client_ip
        import urllib.error
        import urllib.request  # here: ~20 ms of import that forms without Turnstile never pay

        request = urllib.request.Request(  # noqa: S310 (the fixed siteverify URL, or a test's)
            self.url, data=urllib.parse.urlencode(body).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (https, fixed URL)
                result = json.loads(answer.read(65536))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            logger.warning("turnstile siteverify unreachable for form %s: %s", form.form_id, type(error).__name__)
            return "unreachable"
        return "passed" if _turnstile_agrees(form, result) else "failed"


def _turnstile_agrees(form: FormConfig, result: Any) -> bool:
    if not isinstance(result, dict) or result.get("success") is not True:
        return False
    hosts = {urllib.parse.urlsplit(o).hostname for o in form.allowed_origins}
    if hosts and result.get("hostname") not in hosts:
        return False
    return not form.turnstile_action or result.get("action") == form.turnstile_action


class SecretStrings:
    """Turnstile secrets from Secrets Manager under one name prefix (the template grants
    exactly that prefix), each kept a few minutes per container."""

    def __init__(self, prefix: str, client: Any, max_age: float = 300.0,
                 clock: Callable[[], float] | None = None) -> None:
        import time

        self.prefix = prefix
        self.client = client
        self.max_age = max_age
        self.clock = clock or time.monotonic
        self._cache: dict[str, tuple[str, float]] = {}

    def __call__(self, name: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        if not name:
            raise KeyUnavailable("the form names no turnstile secret")
        cached = self._cache.get(name)
        if cached and cached[1] > self.clock():
            return cached[0]
        try:
            value = self.client.get_secret_value(SecretId=self.prefix + name)["SecretString"]
        except (ClientError, BotoCoreError, KeyError) as error:
            raise KeyUnavailable(f"turnstile secret {name} could not be read") from error
        self._cache[name] = (value, self.clock() + self.max_age)
        return value


class BotCheck:
    """The form's bot check for one post. `capped`: the form is over its cap of posts
    and switches to proof of work (`proof_when_capped`)."""

    def __init__(self, keys: KeySource, turnstile: TurnstileVerifier | None = None) -> None:
        self.keys = keys
        self.turnstile = turnstile

    def check(self, form: FormConfig, post: FormPost, client_ip: str | None, now: datetime) -> Verdict:
        if form.captcha == "altcha":
            return self._proof(form, post, now)
        if form.captcha == "turnstile":
            token = post.values.get("cf_turnstile_response") or post.hidden_value("_turnstile")
            if self.turnstile is None:
                return Verdict(passed=True, unverified=True)
            outcome = self.turnstile.verify(form, token, client_ip)
            if outcome == "unreachable":
                return Verdict(passed=True, unverified=True)
            return PASSED if outcome == "passed" else Verdict(passed=False, reason="turnstile_failed")
        return PASSED

    def optional_proof(self, form: FormConfig, post: FormPost, now: datetime) -> Verdict | None:
        """A form that switches to proof of work when capped: the proof a post carries
        (leadflow.js always sends one there), checked now; None without one."""
        if not form.proof_when_capped or form.captcha == "altcha" or not proof_of(post):
            return None
        return self._proof(form, post, now)

    def _proof(self, form: FormConfig, post: FormPost, now: datetime) -> Verdict:
        try:
            return verify_proof(form.form_id, proof_of(post), self.keys, now)
        except KeyUnavailable as error:
            # Losing a person beats letting a bot in: kept, flagged for review.
            logger.warning("proof of work not checked for form %s: %s", form.form_id, error)
            return Verdict(passed=True, unverified=True)
