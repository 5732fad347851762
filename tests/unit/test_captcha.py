"""Bot checks: our ALTCHA challenges (bound to a form, expiring, signed with a derived
key) and Turnstile's siteverify, over real HTTP to a local fake (never Cloudflare)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from altcha.v1 import solve_challenge

from leadflow.capture.captcha import (
    BotCheck,
    TurnstileVerifier,
    new_challenge,
    proof_key,
    verify_proof,
    without_check_fields,
)
from leadflow.capture.fields import FormPost
from leadflow.shared.models import FormConfig
from leadflow.shared.secrets import KeyUnavailable, StaticKeys

KEYS = StaticKeys(b"k" * 32)
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def solved(challenge: dict[str, Any], **change: Any) -> str:
    """The base64 payload a browser posts for a challenge (as ALTCHA's widget makes it)."""
    solution = solve_challenge(challenge["challenge"], challenge["salt"], "SHA-256", challenge["maxNumber"])
    assert solution is not None
    payload = {"algorithm": "SHA-256", "challenge": challenge["challenge"], "number": solution.number,
               "salt": challenge["salt"], "signature": challenge["signature"], **change}
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.fixture(scope="module")
def challenge() -> dict[str, Any]:
    return new_challenge("demo", KEYS, NOW)


@pytest.fixture(scope="module")
def proof(challenge: dict[str, Any]) -> str:
    return solved(challenge)


def test_a_challenge_is_altchas_json_bound_to_the_form_with_an_expiry(challenge):
    assert set(challenge) == {"algorithm", "challenge", "maxNumber", "salt", "signature"}
    assert challenge["algorithm"] == "SHA-256"
    assert "form=demo" in challenge["salt"]
    assert f"expires={int((NOW + timedelta(minutes=5)).timestamp())}" in challenge["salt"]


def test_a_solution_passes_once_marked_for_the_transaction(challenge, proof):
    verdict = verify_proof("demo", proof, KEYS, NOW + timedelta(minutes=1))

    assert verdict.passed and verdict.used is not None
    assert verdict.used.challenge == challenge["challenge"]
    assert verdict.used.expires_at == int((NOW + timedelta(minutes=5)).timestamp())


@pytest.mark.parametrize(("form_id", "at", "reason"), [
    ("other", NOW, "proof_other_form"),                        # bound to the form it was made for
    ("demo", NOW + timedelta(minutes=6), "proof_expired"),     # five minutes, then refused
])
def test_a_solution_for_another_form_or_too_late_fails(proof, form_id, at, reason):
    verdict = verify_proof(form_id, proof, KEYS, at)

    assert not verdict.passed and verdict.reason == reason


@pytest.mark.parametrize(("proof", "reason"), [
    ("", "proof_missing"),
    ("not base64!", "proof_invalid"),
    (base64.b64encode(b"[1]").decode(), "proof_invalid"),
    ("A" * 5000, "proof_invalid"),
])
def test_a_missing_or_malformed_proof_fails(proof, reason):
    assert verify_proof("demo", proof, KEYS, NOW).reason == reason


def test_a_wrong_number_or_a_forged_signature_fails(challenge):
    assert verify_proof("demo", solved(challenge, number=-1), KEYS, NOW).reason == "proof_failed"
    other_key = StaticKeys(b"x" * 32)
    assert verify_proof("demo", solved(new_challenge("demo", other_key, NOW)), KEYS, NOW).reason == "proof_failed"


def test_a_challenge_signed_before_a_key_rotation_still_verifies(proof):
    rotated = StaticKeys(b"n" * 32, b"k" * 32)  # the new key signs, the previous one still verifies

    assert verify_proof("demo", proof, rotated, NOW).passed


def test_the_challenge_key_is_not_the_hash_key():
    assert proof_key(b"k" * 32) != b"k" * 32 and len(proof_key(b"k" * 32)) == 32


def test_the_check_tokens_are_not_kept_as_the_persons_fields():
    post = FormPost.from_fields({"name": "Ana", "altcha": "x", "cf-turnstile-response": "y", "_altcha": "z"})

    assert without_check_fields(post).values == {"name": "Ana"}


class BrokenKeys:
    def signing_key(self) -> bytes:
        raise KeyUnavailable("down")

    def verification_keys(self) -> Iterator[bytes]:
        raise KeyUnavailable("down")


def test_without_the_key_a_post_is_kept_unverified_not_dropped(proof):
    form = FormConfig(form_id="demo", name="Demo", captcha="altcha")
    post = FormPost.from_fields({"name": "Ana", "_altcha": proof})

    verdict = BotCheck(BrokenKeys()).check(form, post, None, NOW)

    assert verdict.passed and verdict.unverified


# -- Turnstile, against a local siteverify over real HTTP -----------------------------------

class FakeSiteverify(BaseHTTPRequestHandler):
    answers: dict[str, dict[str, Any]] = {}
    received: list[dict[str, list[str]]] = []
    delay = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        FakeSiteverify.received.append(form)
        if form["response"][0] == "slow":
            FakeSiteverify.delay.wait(2)
        answer = FakeSiteverify.answers.get(form["response"][0], {"success": False, "error-codes": ["invalid-input-response"]})
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def siteverify() -> Iterator[str]:
    # Cloudflare's documented answer shape (developers.cloudflare.com/turnstile/get-started/server-side-validation/).
    FakeSiteverify.answers = {
        "good": {"success": True, "challenge_ts": "2026-03-02T09:29:58.000Z", "hostname": "www.example.com",
                 "error-codes": [], "action": "contact", "cdata": ""},
        "other-host": {"success": True, "hostname": "evil.example.net", "error-codes": [], "action": "contact"},
        "other-action": {"success": True, "hostname": "www.example.com", "error-codes": [], "action": "login"},
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSiteverify)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/turnstile/v0/siteverify"
    FakeSiteverify.delay.set()
    server.shutdown()


TURNSTILE_FORM = FormConfig(form_id="t", name="T", captcha="turnstile", turnstile_secret="site",
                            turnstile_action="contact", allowed_origins=["https://www.example.com"])


@pytest.mark.parametrize(("token", "passed", "reason"), [
    ("good", True, None),
    ("bad", False, "turnstile_failed"),
    ("other-host", False, "turnstile_failed"),     # a token solved on another site
    ("other-action", False, "turnstile_failed"),   # or for another widget of ours
    ("", False, "turnstile_failed"),
])
def test_turnstile_is_verified_server_side(siteverify, token, passed, reason):
    check = BotCheck(KEYS, TurnstileVerifier(lambda name: f"secret-of-{name}", url=siteverify))
    post = FormPost.from_fields({"name": "Ana", "cf-turnstile-response": token})

    verdict = check.check(TURNSTILE_FORM, post, "203.0.113.9", NOW)

    assert (verdict.passed, verdict.reason, verdict.unverified) == (passed, reason, False)


def test_siteverify_gets_the_forms_secret_and_the_clients_ip(siteverify):
    FakeSiteverify.received.clear()
    TurnstileVerifier(lambda name: f"secret-of-{name}", url=siteverify).verify(TURNSTILE_FORM, "good", "203.0.113.9")

    [sent] = FakeSiteverify.received
    assert sent["secret"] == ["secret-of-site"] and sent["remoteip"] == ["203.0.113.9"]


@pytest.mark.parametrize("url", ["slow", "http://127.0.0.1:9/nothing-listens"])
def test_an_unreachable_or_slow_siteverify_keeps_the_post_unverified(siteverify, url):
    verifier = TurnstileVerifier(lambda name: "s", url=siteverify if url == "slow" else url, timeout=0.3)
    post = FormPost.from_fields({"name": "Ana", "cf-turnstile-response": "slow"})

    verdict = BotCheck(KEYS, verifier).check(TURNSTILE_FORM, post, None, NOW)

    assert verdict.passed and verdict.unverified


def test_an_unreadable_secret_keeps_the_post_unverified(siteverify):
    def no_secret(name: str) -> str:
        raise KeyUnavailable(name)

    assert TurnstileVerifier(no_secret, url=siteverify).verify(TURNSTILE_FORM, "good", None) == "unreachable"
