"""capture: a form post becomes a stored lead, or a clear 4xx with nothing written."""

import json
import threading

import pytest

from support import all_items, items_of, load_event


def submission_data(table) -> list[dict]:
    """Everything but the rate-limit counters (which count refused posts too, by design)."""
    return [i for i in all_items(table) if i.get("item_type") != "rate_counter"]


def post(stack, body: str | dict, content_type: str = "application/json", form_id: str = "demo",
         accept: str = "application/json"):
    raw = json.dumps(body) if isinstance(body, dict) else body
    return stack.handle_http("POST", f"/forms/{form_id}/submissions",
                             {"Content-Type": content_type, "Accept": accept}, raw.encode())


def test_json_post_stores_lead_submission_and_identities_together(stack, table):
    # GIVEN the sample JSON post of the demo form
    # WHEN capture handles it
    response = stack.invoke("CaptureFunction", load_event("capture-json"))

    # THEN it answers 202 with the submission id
    assert response["statusCode"] == 202
    body = json.loads(response["body"])
    assert body["status"] == "accepted" and len(body["submission_id"]) == 32
    # AND lead card, submission and both identities are stored, linked by one lead id
    [lead] = items_of(table, "lead")
    [submission] = items_of(table, "submission")
    identities = {i["PK"] for i in items_of(table, "identity")}
    assert submission["submission_id"] == body["submission_id"]
    assert submission["lead_id"] == lead["lead_id"]
    assert identities == {"IDENT#EMAIL#jane.doe@acme-corp.com", "IDENT#PHONE#+14155550134"}
    assert lead["contact"]["email"] == "jane.doe@acme-corp.com"
    assert lead["source"] == submission["source"]
    assert lead["source"]["utm_campaign"] == "winter-sale" and lead["source"]["channel"] == "inbound"
    assert lead["status"] == "new"


def test_classic_form_post_is_redirected_to_the_thank_you_page(stack, table):
    response = stack.invoke("CaptureFunction", load_event("capture-urlencoded"))

    assert response["statusCode"] == 303
    assert response["multiValueHeaders"]["Location"] == ["/thank-you"]
    [lead] = items_of(table, "lead")
    assert lead["contact"]["name"] == "María López"
    assert lead["contact"]["email"] == "maria@gmail.com"
    assert "phone" not in lead["contact"]  # a blank field is no phone number
    assert lead["source"]["utm_source"] == "newsletter" and lead["source"]["channel"] == "inbound"


@pytest.mark.parametrize(("event_name", "status", "code", "field"), [
    ("capture-malformed-json", 400, "malformed_json", "body"),
    ("capture-unknown-form", 404, "form_not_found", "form_id"),
    ("capture-no-contact", 422, "contact_required", "email"),
    ("capture-invalid-email", 422, "invalid_email", "email"),
    ("capture-unsupported-type", 415, "unsupported_media_type", "content-type"),
])
def test_bad_input_gets_a_coded_4xx_and_writes_nothing(stack, table, event_name, status, code, field):
    before = submission_data(table)

    response = stack.invoke("CaptureFunction", load_event(event_name))

    assert response["statusCode"] == status
    errors = json.loads(response["body"])["errors"]
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in errors]
    assert all(e["message"] for e in errors)
    assert "Traceback" not in response["body"]
    assert submission_data(table) == before  # nothing half-written


def test_browser_post_with_errors_gets_an_html_page_listing_them(stack):
    response = post(stack, "name=&email=", "application/x-www-form-urlencoded", accept="text/html")

    assert response.status == 422
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "name_required" in page and "contact_required" in page


@pytest.mark.parametrize("body", ["", "null", "[]", '"text"', "{}", '{"name": {"first": "x"}}', "\u0000"])
def test_degenerate_bodies_are_never_a_server_error(stack, body):
    response = post(stack, body)
    assert 400 <= response.status < 500
    assert json.loads(response.body)["errors"][0]["code"]


def test_a_returning_person_is_attached_to_their_lead(stack, table):
    # GIVEN a lead from a first visit
    first = post(stack, {"name": "Ana López", "email": "Ana@Acme-Corp.com", "interest": "ebook"})
    # WHEN the same person (email in another case) comes back
    second = post(stack, {"name": "Ana López", "email": "ana@acme-corp.com", "interest": "quote"})

    assert first.status == second.status == 202
    [lead] = items_of(table, "lead")
    submissions = items_of(table, "submission")
    assert len(submissions) == 2
    assert {s["lead_id"] for s in submissions} == {lead["lead_id"]}
    assert lead["submission_count"] == 2
    assert [s["is_new_lead"] for s in sorted(submissions, key=lambda s: s["SK"])] == [True, False]


def test_a_returning_person_is_matched_by_phone_when_no_email_matches(stack, table):
    post(stack, {"name": "Omar", "phone": "+971 50 123 4567"})
    post(stack, {"name": "Omar", "phone": "050 123 4567", "email": "omar@example.ae"}, form_id="demo")

    leads = items_of(table, "lead")
    # The form's default country is US, so the second number is not the same person's:
    # only the E.164 form decides, which keeps strangers apart.
    assert len(leads) == 2
    post(stack, {"name": "Omar", "phone": "+971501234567"})
    assert len(items_of(table, "lead")) == 2
    assert len(items_of(table, "submission")) == 3


def test_concurrent_first_submissions_make_exactly_one_lead(stack, table):
    # GIVEN eight different posts by the same new person racing each other (eight tabs)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def submit(n: int) -> None:
        barrier.wait()
        statuses.append(post(stack, {"name": "Li Wei", "email": "li.wei@example.cn", "interest": "demo",
                                     "message": f"tab {n}"}).status)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN all are accepted, one lead exists, and every submission is attached to it
    assert statuses == [202] * 8
    [lead] = items_of(table, "lead")
    submissions = items_of(table, "submission")
    assert len(submissions) == 8
    assert {s["lead_id"] for s in submissions} == {lead["lead_id"]}
    assert len(items_of(table, "identity")) == 1
