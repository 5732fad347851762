"""capture, as real landing pages use it: every content type, browsers and scripts,
per-form rules, CORS, bots, double clicks and a failing table."""

import base64
import json
import random
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from botocore.exceptions import ClientError

from leadflow.capture.validation import build_submission, validate_form
from leadflow.shared.brand import FAVICON_LINK
from leadflow.shared.clock import utc_now
from leadflow.shared.models import FormConfig
from leadflow_local.stack import HttpResponse, LocalStack
from support import all_items, items_of, load_event, stores_of

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORM_TYPE = "application/x-www-form-urlencoded"
PAGE = "https://www.example.com"


def post(stack: LocalStack, body: bytes | str | dict, content_type: str = "application/json", *,
         form_id: str = "demo", accept: str = "application/json", ip: str = "203.0.113.7",
         **headers: str) -> HttpResponse:
    raw = json.dumps(body) if isinstance(body, dict) else body
    raw = raw.encode() if isinstance(raw, str) else raw
    all_headers = {"Content-Type": content_type, "Accept": accept, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return stack.handle_http("POST", f"/forms/{form_id}/submissions", all_headers, raw, source_ip=ip)


def browser_post(stack: LocalStack, fields: dict[str, str], **kwargs: Any) -> HttpResponse:
    return post(stack, urlencode(fields), FORM_TYPE, accept=BROWSER_ACCEPT, **kwargs)


def errors_of(response: HttpResponse) -> set[tuple[str | None, str]]:
    return {(e["field"], e["code"]) for e in json.loads(response.body)["errors"]}


def configure(stack: LocalStack, form_id: str = "demo", **changes: Any) -> FormConfig:
    """Change a form's configuration, as an admin would (FORM item), and forget caches."""
    forms = stores_of(stack).capture
    form = (forms.get_form(form_id) or forms.get_form("demo")).model_copy(update={"form_id": form_id, **changes})
    forms.put_form(form)
    stack.module("CaptureFunction").forms._cache.clear()
    return form


def multipart(fields: dict[str, str], files: dict[str, bytes] | None = None) -> tuple[bytes, str]:
    boundary = "----LeadflowBoundary7MA4YWxkTrZu0gW"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    for name, content in (files or {}).items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="cv.pdf"\r\n'
                     f"Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# -- content types -----------------------------------------------------------------------


def test_multipart_form_fields_are_read_like_any_other_post(stack, table):
    body, content_type = multipart({"name": "Zhang Wei 张伟", "email": "zhang@acme-corp.com", "interest": "demo"})

    response = post(stack, body, content_type)

    assert response.status == 202
    [lead] = items_of(table, "lead")
    assert lead["contact"]["name"] == "Zhang Wei 张伟"


def test_a_file_in_a_multipart_post_is_refused_with_415(stack, table):
    body, content_type = multipart({"name": "Ana", "email": "ana@acme-corp.com"}, {"cv": b"%PDF-1.7 ..."})

    response = post(stack, body, content_type)

    assert response.status == 415
    assert errors_of(response) == {("cv", "files_not_supported")}
    assert items_of(table, "lead") == []


def test_base64_bodies_from_api_gateway_are_decoded(stack, table):
    event = json.loads(json.dumps(load_event("capture-json")))
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True

    response = stack.invoke("CaptureFunction", event)

    assert response["statusCode"] == 202
    assert items_of(table, "lead")[0]["contact"]["email"] == "jane.doe@acme-corp.com"


def test_a_body_over_32_kib_is_a_413(stack, table):
    response = post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "message": "x" * (32 * 1024)})

    assert response.status == 413
    assert errors_of(response) == {(None, "body_too_large")}


# -- responses ---------------------------------------------------------------------------


def test_a_script_gets_202_accepted_with_the_submission_id(stack, table):
    response = post(stack, {"name": "Ana", "email": "ana@acme-corp.com"}, Origin=PAGE)

    body = json.loads(response.body)
    assert response.status == 202 and body["status"] == "accepted"
    assert body["submission_id"] == items_of(table, "submission")[0]["submission_id"]


def test_a_browser_is_sent_back_to_the_forms_error_page_with_the_codes(stack):
    configure(stack, error_url=f"{PAGE}/contact?sent=no")

    response = browser_post(stack, {"name": "Ana", "email": "not-an-email"}, Origin=PAGE)

    assert response.status == 303
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{PAGE}/contact"
    query = parse_qs(location.query)
    assert query["sent"] == ["no"] and query["lf_errors"] == ["invalid_email"] and query["lf_fields"] == ["email"]


def test_without_an_error_page_a_browser_goes_back_to_the_page_it_came_from(stack):
    response = browser_post(stack, {"email": "ana@acme-corp.com"}, Origin=PAGE, Referer=f"{PAGE}/pricing#form")

    assert response.status == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/pricing" and parse_qs(location.query)["lf_errors"] == ["name_required"]


def test_a_referer_outside_the_forms_origins_is_never_a_redirect_target(stack):
    response = browser_post(stack, {"email": "ana@acme-corp.com"}, Referer="https://evil.example.net/")

    assert response.status == 422
    assert "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    # with Leadflow's icon in the page, so the browser asks the API for no /favicon.ico
    assert FAVICON_LINK in response.body.decode("utf-8")


@pytest.mark.parametrize(("form_id", "language", "direction", "expected"), [
    ("demo", "en", "ltr", "Please tell us your name."),
    ("demo-es", "es", "ltr", "Por favor, díganos su nombre."),
    ("demo-ar", "ar", "rtl", "يُرجى كتابة اسمك."),
])
def test_error_messages_speak_the_forms_language(stack, form_id, language, direction, expected):
    as_json = post(stack, {"email": "ana@acme-corp.com"}, form_id=form_id)
    as_page = browser_post(stack, {"email": "ana@acme-corp.com"}, form_id=form_id)

    assert json.loads(as_json.body)["errors"][0]["message"] == expected
    page = as_page.body.decode()
    assert f'lang="{language}" dir="{direction}"' in page and expected in page


def test_unknown_form_is_404_and_a_disabled_form_410(stack):
    configure(stack, "retired", enabled=False)

    assert errors_of(post(stack, {"name": "A", "email": "a@b.co"}, form_id="nope")) == {("form_id", "form_not_found")}
    retired = post(stack, {"name": "A", "email": "a@b.co"}, form_id="retired")
    assert retired.status == 410 and errors_of(retired) == {("form_id", "form_disabled")}


# -- CORS and redirects ------------------------------------------------------------------


def test_preflight_from_an_allowed_origin_is_answered_with_that_origin(stack):
    response = stack.handle_http("OPTIONS", "/forms/demo/submissions", {
        "Origin": PAGE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, b"")

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == PAGE
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_and_post_from_another_origin_get_403(stack, table):
    preflight = stack.handle_http("OPTIONS", "/forms/demo/submissions", {"Origin": "https://evil.example.net"}, b"")
    response = post(stack, {"name": "Ana", "email": "ana@acme-corp.com"}, Origin="https://evil.example.net")

    assert preflight.status == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    assert response.status == 403 and errors_of(response) == {(None, "origin_not_allowed")}
    assert "Access-Control-Allow-Origin" not in response.headers
    assert items_of(table, "submission") == []


def test_answers_to_an_allowed_page_carry_its_origin_so_fetch_can_read_them(stack):
    ok = post(stack, {"name": "Ana", "email": "ana@acme-corp.com"}, Origin=PAGE)
    refused = post(stack, {"name": "Ana"}, Origin=PAGE)

    assert ok.headers["Access-Control-Allow-Origin"] == refused.headers["Access-Control-Allow-Origin"] == PAGE
    assert refused.status == 422


def test_next_may_redirect_only_to_an_allowed_origin(stack):
    allowed = browser_post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "_next": f"{PAGE}/merci"})
    evil = browser_post(stack, {"name": "Bob", "email": "bob@acme-corp.com", "_next": "https://evil.example.net/x"})
    sneaky = browser_post(stack, {"name": "Cy", "email": "cy@acme-corp.com", "_next": "//evil.example.net/x"})

    assert allowed.headers["Location"] == f"{PAGE}/merci"
    assert evil.headers["Location"] == sneaky.headers["Location"] == "/thank-you"


# -- fields and normalization ------------------------------------------------------------


def test_form_builder_field_names_are_understood(stack, table):
    response = browser_post(stack, {
        "your-name": "Fatima Al-Zahra", "your-email": "Fatima@Example.AE", "tel": "+971 50 123 4567",
        "Company Name": "Gulf Trading", "Job Title": "Director", "Email Address": "", "reason": "Pricing",
        "utm_source": "google", "gclid": "Cj0KCQ", "favourite_colour": "teal",
    })

    assert response.status == 303
    [lead] = items_of(table, "lead")
    [submission] = items_of(table, "submission")
    # (the form asked no country: the phone's is kept, marked as derived)
    assert lead["contact"] == {"name": "Fatima Al-Zahra", "email": "fatima@example.ae", "phone": "+971501234567",
                               "company": "Gulf Trading", "job_title": "Director", "country": "AE",
                               "country_from": "phone"}
    assert submission["interest"] == "pricing"
    assert submission["fields"] == {"favourite_colour": "teal"}
    assert submission["source"]["gclid"] == "Cj0KCQ" and submission["source"]["channel"] == "inbound"


def test_first_and_last_name_aliases_make_the_name(stack, table):
    browser_post(stack, {"fname": "Олена", "lname": "Коваленко", "email": "olena@example.ua"})

    assert items_of(table, "lead")[0]["contact"]["name"] == "Олена Коваленко"


def test_company_data_alone_is_refused_with_a_clear_message(stack, table):
    response = post(stack, {"company": "Acme", "company_size": "51-200", "industry": "Retail"})

    assert response.status == 422
    assert (None, "person_required") in errors_of(response)
    assert items_of(table, "lead") == []


def test_a_forms_required_fields_and_custom_field_policy(stack, table):
    configure(stack, required_fields=["company", "phone"], keep_custom_fields=False)

    missing = post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})
    ok = post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "company": "Acme", "phone": "+1 415 555 0100",
                      "shoe_size": "38"})

    assert errors_of(missing) == {("company", "field_required"), ("phone", "field_required")}
    assert ok.status == 202
    assert items_of(table, "submission")[0]["fields"] == {}


def test_too_many_custom_fields_are_refused(stack):
    fields = {"name": "Ana", "email": "ana@acme-corp.com", **{f"extra_{n}": "x" for n in range(40)}}

    assert errors_of(post(stack, fields)) == {("body", "too_many_fields")}


# -- returning people and sources --------------------------------------------------------


def test_a_returning_person_updates_the_lead_and_keeps_the_first_touch(stack, table):
    post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "interest": "ebook",
                 "utm_source": "linkedin", "utm_medium": "paid-social"})
    post(stack, {"name": "Ana", "email": "ANA@acme-corp.com", "interest": "quote",
                 "utm_source": "partner-blog", "utm_medium": "referral"})

    [lead] = items_of(table, "lead")
    first, second = sorted(items_of(table, "submission"), key=lambda s: s["SK"])
    assert lead["submission_count"] == 2 and lead["latest_interest"] == "quote"
    assert lead["last_seen_at"] == second["received_at"] != lead["created_at"]
    assert lead["source"]["utm_source"] == "linkedin"  # first touch
    assert (first["source"]["channel"], second["source"]["channel"]) == ("inbound", "referral")  # last touch each


def test_email_and_phone_of_two_leads_attach_to_the_emails_and_flag_a_possible_duplicate(stack, table):
    post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})
    post(stack, {"name": "Ana L.", "phone": "+1 415 555 0100"})
    by_email = stores_of(stack).capture.find_lead_ids
    email_lead = next(lead["lead_id"] for lead in items_of(table, "lead") if "email" in lead["contact"])

    post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "phone": "(415) 555-0100"})

    assert len(items_of(table, "lead")) == 2
    newest = max(items_of(table, "submission"), key=lambda s: s["received_at"])
    assert newest["lead_id"] == email_lead
    [activity] = [a for a in items_of(table, "activity") if a["kind"] not in ("received", "assigned")]
    assert activity["lead_id"] == email_lead and activity["kind"] == "possible_duplicate"
    assert activity["detail"]["matched_by"] == "phone" and activity["detail"]["other_lead_id"] != email_lead
    assert by_email(__import__("leadflow.shared.models").shared.models.ContactCard(name="x", email="ana@acme-corp.com")) == {
        "IDENT#EMAIL#ana@acme-corp.com": email_lead}


def test_a_new_phone_of_a_known_person_is_added_to_their_lead(stack, table):
    post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})
    post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "phone": "+1 415 555 0100"})
    post(stack, {"name": "Ana", "phone": "+14155550100"})

    [lead] = items_of(table, "lead")
    assert {i["PK"]: i["lead_id"] for i in items_of(table, "identity")} == {
        "IDENT#EMAIL#ana@acme-corp.com": lead["lead_id"], "IDENT#PHONE#+14155550100": lead["lead_id"]}
    assert lead["submission_count"] == 3


def test_concurrent_first_submissions_race_to_one_lead_at_the_storage_level(stack, table):
    # Real threads on the store (the handler path is serialized locally, as
    # Powertools requires): conditional identity writes are what keep one lead.
    stores = stores_of(stack)
    form = FormConfig(form_id="demo", name="Demo")
    barrier = threading.Barrier(10)
    results = []

    def submit(n: int) -> None:
        valid = validate_form(form, {"name": "Omar", "email": "omar@example.ae", "phone": "+971501234567",
                                     "message": f"try {n}"})
        submission, lead = build_submission(form, valid, utc_now())
        barrier.wait()
        results.append(stores.capture.record_submission(submission, lead))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [lead] = items_of(table, "lead")
    assert len(items_of(table, "submission")) == 10
    assert {r.lead_id for r in results} == {lead["lead_id"]} and sum(r.is_new_lead for r in results) == 1


# -- consent -------------------------------------------------------------------------------


def test_consent_evidence_is_kept_with_the_submission(stack, table):
    browser_post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "consent": "on"}, ip="198.51.100.23")

    [submission] = items_of(table, "submission")
    consent = submission["consent"]
    assert consent["given"] is True and consent["ip"] == "198.51.100.23"
    assert consent["text"] == "I agree that Acme Cloud may contact me about my request."
    assert consent["version"] == "2026-11" and consent["at"] == submission["received_at"]


def test_a_form_that_requires_consent_refuses_a_post_without_it(stack, table):
    configure(stack, required_fields=["consent"])

    response = post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})

    assert errors_of(response) == {("consent", "consent_required")}


# -- spam, rate limits, double submits ---------------------------------------------------


def test_a_filled_honeypot_is_kept_as_spam_and_answered_like_a_success(stack, table):
    human = browser_post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})
    bot = browser_post(stack, {"name": "Bot", "email": "bot@spam.example", "_gotcha": "http://cheap.example"})
    bot_json = post(stack, {"name": "Bot", "email": "bot@spam.example", "_gotcha": "x"}, ip="192.0.2.1")
    human_json = post(stack, {"name": "Bea", "email": "bea@acme-corp.com"}, ip="192.0.2.2")

    assert (bot.status, bot.headers["Location"]) == (human.status, human.headers["Location"])
    bot_answer, human_answer = json.loads(bot_json.body), json.loads(human_json.body)
    assert bot_json.status == human_json.status == 202
    assert bot_answer.pop("submission_id") != human_answer.pop("submission_id")
    assert bot_answer == human_answer  # nothing tells a bot it was caught
    spam = items_of(table, "spam")
    assert len(spam) == 2 and {s["reason"] for s in spam} == {"honeypot"}
    now = utc_now().timestamp()
    assert all(29 * 86400 < int(s["expires_at"]) - now <= 30 * 86400 for s in spam)
    assert len(items_of(table, "lead")) == 2  # only the humans
    stack.drain()
    assert sorted(lead["contact"]["name"] for lead in items_of(table, "lead") if lead.get("manager_id")) == [
        "Ana", "Bea"]


def test_a_form_sent_faster_than_a_person_can_fill_it_is_spam(stack, table):
    shown = utc_now() - timedelta(milliseconds=600)
    fast = post(stack, {"name": "Quick", "email": "quick@spam.example", "_shown_at": int(shown.timestamp() * 1000)})
    slow_shown = utc_now() - timedelta(seconds=30)
    slow = post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "_shown_at": int(slow_shown.timestamp() * 1000)})

    assert fast.status == slow.status == 202
    assert [s["reason"] for s in items_of(table, "spam")] == ["too_fast"]
    assert [lead["contact"]["name"] for lead in items_of(table, "lead")] == ["Ana"]


def test_more_posts_than_the_forms_limit_get_429_with_retry_after(stack, table):
    configure(stack, rate_limit_per_minute=5)

    answers = [post(stack, {"name": f"N{n}", "email": f"n{n}@acme-corp.com"}, ip="198.51.100.9") for n in range(7)]
    elsewhere = post(stack, {"name": "Other", "email": "other@acme-corp.com"}, ip="198.51.100.10")

    assert [a.status for a in answers] == [202] * 5 + [429] * 2
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert errors_of(answers[-1]) == {(None, "rate_limited")}
    assert elsewhere.status == 202
    assert len(items_of(table, "lead")) == 6
    counters = items_of(table, "rate_counter")
    # The counter is an item of the post's transaction: a refused post counted nothing.
    assert sorted(c["hits"] for c in counters) == [1, 5]
    assert all("198.51.100" not in c["PK"] for c in counters)  # IPs are hashed in keys


def test_the_same_post_twice_is_stored_once_and_answered_the_same(stack, table):
    fields = {"name": "Ana", "email": "ana@acme-corp.com", "interest": "quote"}

    first = post(stack, {**fields, "_shown_at": "1"})
    second = post(stack, {**fields, "_shown_at": "2"})  # a retry: hidden fields may differ
    other_client = post(stack, fields, ip="198.51.100.77")

    assert first.status == second.status == 202
    assert json.loads(first.body) == json.loads(second.body)
    assert json.loads(other_client.body) != json.loads(first.body)
    assert len(items_of(table, "submission")) == 2


# -- a failing table -----------------------------------------------------------------------


class FlakyDynamoDB:
    """A DynamoDB client whose writes fail at random: throttled before the write, or
    timed out after it (the write happened, the caller can't know)."""

    def __init__(self, client: Any, failure_rate: float, seed: int, after_write_share: float = 0.5) -> None:
        self.client = client
        self.failure_rate = failure_rate
        self.after_write_share = after_write_share
        self.random = random.Random(seed)
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        call = getattr(self.client, name)
        if name not in ("transact_write_items", "put_item", "update_item"):
            return call

        def flaky(**kwargs: Any) -> Any:
            if self.random.random() >= self.failure_rate:
                return call(**kwargs)
            self.failures += 1
            if self.random.random() >= self.after_write_share:
                raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}},
                                  name)
            call(**kwargs)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "timeout after write"},
                               "ResponseMetadata": {"HTTPStatusCode": 500}}, name)

        return flaky


def test_with_30_percent_of_writes_failing_every_submission_is_stored_exactly_once(stack, table):
    capture_module = stack.module("CaptureFunction")
    drain_module = stack.module("StoreFallbackFunction")
    for module, seed in ((capture_module, 1), (drain_module, 2)):
        flaky = FlakyDynamoDB(module.store.table.client, 0.3, seed)
        module.store.table.client = flaky
    people = [{"name": f"Person {n}", "email": f"person{n}@acme-corp.com", "interest": "demo"} for n in range(40)]

    answers = [post(stack, p, ip=f"198.51.100.{n}") for n, p in enumerate(people)]
    # Every visitor is told yes, though some writes failed (rate counters included).
    assert [a.status for a in answers] == [202] * len(people)
    queued = capture_module.store.table.client.failures
    # The drain's failures come back after the queue's visibility timeout: 0 s here.
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{stack.stack_name}-FallbackQueue")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    for _ in range(200):  # each pass is one batch; redeliveries until the queue is empty
        if stack.pump_queues() == 0 and _fallback_depth(stack) == 0:
            break

    submissions = items_of(table, "submission")
    assert queued > 5 and drain_module.store.table.client.failures > 0  # the failures really happened
    assert sorted(s["contact"]["email"] for s in submissions) == sorted(p["email"] for p in people)
    assert len(items_of(table, "lead")) == len(people)
    assert sorted(json.loads(a.body)["submission_id"] for a in answers) == sorted(s["submission_id"] for s in submissions)


def _fallback_depth(stack: LocalStack) -> int:
    sqs = stack.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{stack.stack_name}-FallbackQueue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def test_a_submission_queued_while_the_table_was_down_reaches_a_manager(stack, table, sent_emails):
    capture_module = stack.module("CaptureFunction")
    healthy = capture_module.store.table.client
    capture_module.store.table.client = FlakyDynamoDB(healthy, 1.0, 3, after_write_share=0)  # an outage

    response = post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "interest": "quote", "company": "Acme",
                            "phone": "+1 415 555 0100"})
    capture_module.store.table.client = healthy

    assert response.status == 202 and items_of(table, "submission") == []
    stack.drain()
    [submission] = items_of(table, "submission")
    assert submission["submission_id"] == json.loads(response.body)["submission_id"]
    [email] = sent_emails()
    assert email.subject.startswith("[HOT")
    assert all_items(table)  # and the lead is there for the console


# -- the sample events of events/ ----------------------------------------------------------


def test_sample_multipart_event_stores_a_lead_with_consent(stack, table):
    response = stack.invoke("CaptureFunction", load_event("capture-multipart"))

    assert response["statusCode"] == 202
    [submission] = items_of(table, "submission")
    assert submission["contact"]["email"] == "ahmed@gulf-trading.ae"
    assert submission["consent"]["given"] is True and submission["consent"]["ip"] == "203.0.113.7"


def test_sample_preflight_event_allows_the_example_page(stack):
    response = stack.invoke("CaptureFunction", load_event("capture-preflight"))

    assert response["statusCode"] == 204
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://www.example.com"]


def test_sample_honeypot_event_is_thanked_and_kept_as_spam(stack, table):
    response = stack.invoke("CaptureFunction", load_event("capture-honeypot"))

    assert response["statusCode"] == 303 and response["multiValueHeaders"]["Location"] == ["/thank-you"]
    assert items_of(table, "lead") == [] and [s["reason"] for s in items_of(table, "spam")] == ["honeypot"]


def test_sample_queued_submission_is_stored_once_however_often_it_is_delivered(stack, table):
    event = load_event("store-fallback-queued")

    first = stack.invoke("StoreFallbackFunction", event)
    again = stack.invoke("StoreFallbackFunction", event)  # SQS delivers at least once

    assert first == again == {"batchItemFailures": []}
    [submission] = items_of(table, "submission")
    assert submission["submission_id"] == "9c1d2e3f4a5b4c6d8e7f9a0b1c2d3e4f"
    assert len(items_of(table, "lead")) == 1


def test_a_malformed_queued_message_fails_alone(stack, table):
    event = load_event("store-fallback-queued")
    broken = {**event["Records"][0], "messageId": "broken", "body": "{not json"}

    response = stack.invoke("StoreFallbackFunction", {"Records": [broken, event["Records"][0]]})

    assert response == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert len(items_of(table, "submission")) == 1


# -- what a submission costs -------------------------------------------------------------


def capture_calls() -> dict[str, int]:
    from leadflow_local.stack import CallCounter

    return {k.split(" ", 1)[1]: v for k, v in CallCounter.by_function.items() if k.startswith("CaptureFunction ")}


def test_a_new_lead_costs_one_transaction_that_also_counts_its_rate(stack, table):
    from leadflow_local.stack import CallCounter

    post(stack, {"name": "Warm", "email": "warm@acme-corp.com"})  # the form config is cached from here on
    CallCounter.reset()

    post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "phone": "+1 415 555 0100"})

    assert capture_calls() == {"dynamodb.TransactWriteItems": 1}
    assert [c["hits"] for c in items_of(table, "rate_counter")] == [2]  # both posts counted


def test_a_returning_lead_costs_two_transactions_and_no_lookup(stack, table):
    """The first transaction's refused identity write returns the identity it found,
    which names the lead: the second transaction attaches to it without a read."""
    from leadflow_local.stack import CallCounter

    post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "interest": "ebook"})
    CallCounter.reset()

    post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "interest": "quote"})

    assert capture_calls() == {"dynamodb.TransactWriteItems": 2}
    [lead] = items_of(table, "lead")
    assert lead["submission_count"] == 2 and lead["latest_interest"] == "quote"
    assert [c["hits"] for c in items_of(table, "rate_counter")] == [2]


def test_the_same_post_again_costs_one_cancelled_transaction(stack):
    """The refused marker write returns the marker: no read of it."""
    from leadflow_local.stack import CallCounter

    fields = {"name": "Ana", "email": "ana@acme-corp.com", "interest": "quote"}
    first = post(stack, fields)
    CallCounter.reset()

    again = post(stack, fields)

    assert json.loads(again.body) == json.loads(first.body)
    assert capture_calls() == {"dynamodb.TransactWriteItems": 1}


def test_a_returning_person_over_the_limit_gets_429_and_nothing_is_attached(stack, table):
    configure(stack, rate_limit_per_minute=1)
    first = post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "interest": "ebook"})

    again = post(stack, {"name": "Ana", "email": "ana@acme-corp.com", "interest": "quote"})

    assert (first.status, again.status) == (202, 429)
    assert errors_of(again) == {(None, "rate_limited")}
    [lead] = items_of(table, "lead")
    assert lead.get("submission_count", 1) == 1 and len(items_of(table, "submission")) == 1


def test_a_bots_posts_are_counted_too_and_refused_over_the_limit(stack, table):
    configure(stack, rate_limit_per_minute=2)
    bot = {"name": "Bot", "email": "bot@spam.example", "_gotcha": "http://spam.example"}  # the honeypot

    answers = [post(stack, bot, ip="198.51.100.66") for _ in range(3)]

    assert [a.status for a in answers] == [202, 202, 429]
    assert len(items_of(table, "spam")) == 2 and not items_of(table, "lead")
    assert [c["hits"] for c in items_of(table, "rate_counter")] == [2]


def test_an_identity_made_between_the_two_transactions_is_read_and_noted(stack, table, monkeypatch):
    """The first transaction says whose the email is and that the phone is free; another
    lead takes the phone before the second: its condition fails, the identities are read
    and the submission lands on the email's lead with the phone noted as a duplicate."""
    post(stack, {"name": "Ana", "email": "ana@acme-corp.com"})
    post(stack, {"name": "Bo", "email": "bo@acme-corp.com"}, ip="198.51.100.5")
    owners = {i["PK"]: i["lead_id"] for i in items_of(table, "identity")}
    ana, bo = owners["IDENT#EMAIL#ana@acme-corp.com"], owners["IDENT#EMAIL#bo@acme-corp.com"]
    stores = stores_of(stack)
    form = stores.capture.get_form("demo")
    submission, lead = build_submission(
        form, validate_form(form, {"name": "Ana", "email": "ana@acme-corp.com", "phone": "+1 415 555 0100"}),
        utc_now())
    phone = {"PK": {"S": "IDENT#PHONE#+14155550100"}, "SK": {"S": "IDENT"}, "lead_id": {"S": bo}}
    transact = stores.table.transact
    calls = []

    def phone_taken_in_between(items: list[dict]) -> None:
        calls.append(len(items))
        try:
            transact(items)
        finally:
            if len(calls) == 1:
                stores.table.client.put_item(TableName=stores.table.name, Item=phone)

    monkeypatch.setattr(stores.table, "transact", phone_taken_in_between)
    recorded = stores.capture.record_submission(submission, lead)

    assert recorded.lead_id == ana and not recorded.is_new_lead
    assert len(calls) == 3  # new lead refused, attach refused on the phone, attach after reading
    [noted] = [a for a in items_of(table, "activity") if a["kind"] == "possible_duplicate"]
    assert noted["detail"]["other_lead_id"] == bo
