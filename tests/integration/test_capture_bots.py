"""capture with a proof of work: the challenge route, a solved post becomes a lead, a
missing, failed or reused proof is spam answered as a success, and a form's cap on
posts from all IPs (refused, or switching to proof of work)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from altcha.v1 import solve_challenge

from support import items_of, stores_of

PAGE = "https://www.example.com"


def new_form(stack: Any, **settings: Any) -> str:
    from leadflow.shared.models import FormConfig

    form_id = f"bots-{uuid.uuid4().hex[:8]}"  # the function caches forms a minute: one per test
    stores_of(stack).capture.put_form(FormConfig(form_id=form_id, name="Bots", min_fill_seconds=0,
                                                 allowed_origins=[PAGE], **settings))
    return form_id


def challenge_of(stack: Any, form_id: str) -> Any:
    return stack.handle_http("GET", f"/forms/{form_id}/challenge", {"Origin": PAGE}, b"")


def solution(stack: Any, form_id: str) -> str:
    answer = challenge_of(stack, form_id)
    assert answer.status == 200, answer.body
    challenge = json.loads(answer.body)
    solved = solve_challenge(challenge["challenge"], challenge["salt"], "SHA-256", challenge["maxNumber"])
    payload = {"algorithm": "SHA-256", "challenge": challenge["challenge"], "number": solved.number,
               "salt": challenge["salt"], "signature": challenge["signature"]}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def post(stack: Any, form_id: str, email: str, proof: str | None = None, ip: str = "198.51.100.7") -> Any:
    body = {"name": "Ana Ruiz", "email": email, **({"_altcha": proof} if proof is not None else {})}
    return stack.handle_http("POST", f"/forms/{form_id}/submissions",
                             {"Content-Type": "application/json", "Origin": PAGE}, json.dumps(body).encode(),
                             source_ip=ip)


def spam_reasons(table: Any, form_id: str) -> list[str]:
    return [s["reason"] for s in items_of(table, "spam") if s["form_id"] == form_id]


def leads_of(table: Any, form_id: str) -> list[dict[str, Any]]:
    return [s for s in items_of(table, "submission") if s["form_id"] == form_id]


def test_the_challenge_route_signs_a_challenge_for_the_forms_pages(stack):
    form_id = new_form(stack, captcha="altcha")

    answer = challenge_of(stack, form_id)

    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE and answer.headers["Cache-Control"] == "no-store"
    assert f"form={form_id}" in json.loads(answer.body)["salt"]


def test_a_form_without_proof_of_work_has_no_challenge(stack):
    answer = challenge_of(stack, new_form(stack))

    assert answer.status == 404 and json.loads(answer.body)["errors"][0]["code"] == "no_challenge"


def test_a_solved_post_becomes_a_lead_and_its_solution_serves_once(stack, table):
    form_id = new_form(stack, captcha="altcha")
    proof = solution(stack, form_id)

    first = post(stack, form_id, "ana@acme-corp.com", proof)
    # A bot replaying one solution for another post: answered the same, kept apart.
    replay = post(stack, form_id, "bot@spam.example", proof)

    assert first.status == replay.status == 202
    [submission] = leads_of(table, form_id)
    assert submission["contact"]["email"] == "ana@acme-corp.com"
    assert "altcha" not in json.dumps(submission["fields"])  # the token is not the person's data
    assert spam_reasons(table, form_id) == ["proof_reused"]
    assert [i for i in items_of(table, "used_challenge")]  # kept (TTL) until the challenge expires


def test_a_double_click_with_one_solution_is_the_same_post_not_spam(stack, table):
    form_id = new_form(stack, captcha="altcha")
    proof = solution(stack, form_id)

    first = json.loads(post(stack, form_id, "ana@acme-corp.com", proof).body)
    again = json.loads(post(stack, form_id, "ana@acme-corp.com", proof).body)

    assert first["submission_id"] == again["submission_id"]
    assert len(leads_of(table, form_id)) == 1 and spam_reasons(table, form_id) == []


def test_a_missing_or_failed_proof_is_spam_answered_like_a_success(stack, table):
    form_id = new_form(stack, captcha="altcha")
    good = json.loads(base64.b64decode(solution(stack, form_id)))
    forged = base64.b64encode(json.dumps({**good, "number": good["number"] + 1}).encode()).decode()

    answers = [post(stack, form_id, "a@bots.example"), post(stack, form_id, "b@bots.example", forged)]

    assert [a.status for a in answers] == [202, 202]
    assert all(json.loads(a.body)["status"] == "accepted" for a in answers)
    assert leads_of(table, form_id) == []
    assert sorted(spam_reasons(table, form_id)) == ["proof_failed", "proof_missing"]


def test_over_its_cap_a_form_refuses_posts_from_every_ip(stack, table):
    form_id = new_form(stack, post_cap_per_window=2, post_cap_window_seconds=3600)

    answers = [post(stack, form_id, f"p{n}@acme-corp.com", ip=f"198.51.100.{n}") for n in range(3)]

    assert [a.status for a in answers] == [202, 202, 429]
    assert json.loads(answers[2].body)["errors"][0]["code"] == "form_busy" and "Retry-After" in answers[2].headers
    assert len(leads_of(table, form_id)) == 2


def test_over_its_cap_a_form_switches_to_proof_of_work(stack, table):
    form_id = new_form(stack, post_cap_per_window=1, post_cap_window_seconds=3600, proof_when_capped=True)
    assert challenge_of(stack, form_id).status == 200  # leadflow.js solves one whenever it is offered

    under_cap = post(stack, form_id, "p0@acme-corp.com", ip="198.51.100.1")
    without_proof = post(stack, form_id, "p1@acme-corp.com", ip="198.51.100.2")
    with_proof = post(stack, form_id, "p2@acme-corp.com", solution(stack, form_id), ip="198.51.100.3")

    assert [a.status for a in (under_cap, without_proof, with_proof)] == [202, 202, 202]
    assert sorted(s["contact"]["email"] for s in leads_of(table, form_id)) == ["p0@acme-corp.com",
                                                                               "p2@acme-corp.com"]
    assert spam_reasons(table, form_id) == ["proof_missing_while_capped"]  # reviewable, releasable


def test_turnstile_unreachable_keeps_the_lead_flagged_unverified_and_a_failed_token_is_spam(stack, table):
    from bench.bots import fake_siteverify

    form_id = new_form(stack, captcha="turnstile", turnstile_secret="site")
    stack.client("secretsmanager").create_secret(Name=f"{stack.stack_name}/turnstile/site",
                                                 SecretString="1x0000000000000000000000000000000AA")
    capture = stack.module("CaptureFunction")

    def post_token(email: str, token: str) -> Any:
        body = {"name": "Ana Ruiz", "email": email, "cf-turnstile-response": token}
        return stack.handle_http("POST", f"/forms/{form_id}/submissions",
                                 {"Content-Type": "application/json", "Origin": PAGE}, json.dumps(body).encode())

    kept = capture.turnstile.url, capture.turnstile.timeout
    try:
        with fake_siteverify() as siteverify:  # answers success for www.example.com, the form's origin
            capture.turnstile.url = siteverify
            verified = post_token("verified@acme-corp.com", "good-token")
        capture.turnstile.url, capture.turnstile.timeout = "http://127.0.0.1:9/siteverify", 0.5  # nothing listens
        unreachable = post_token("unverified@acme-corp.com", "any-token")
        missing = post_token("bot@bots.example", "")
    finally:
        capture.turnstile.url, capture.turnstile.timeout = kept

    assert [a.status for a in (verified, unreachable, missing)] == [202, 202, 202]
    flags = {s["contact"]["email"]: s.get("unverified") for s in leads_of(table, form_id)}
    assert flags == {"verified@acme-corp.com": None, "unverified@acme-corp.com": True}  # kept, never dropped
    assert spam_reasons(table, form_id) == ["turnstile_failed"]


def test_the_sample_challenge_event_is_answered(stack):
    from support import load_event

    # The demo form asks for no proof: the sample (what `sam local invoke -e` sends) gets the 404.
    answer = stack.invoke("CaptureFunction", load_event("capture-challenge"))

    assert answer["statusCode"] == 404 and json.loads(answer["body"])["errors"][0]["code"] == "no_challenge"
