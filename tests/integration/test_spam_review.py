"""Spam review through the admin API on the deployed stack (moto): a form's spam listed,
a false positive released into the normal pipeline (scored, assigned), once."""

from __future__ import annotations

import json
import uuid
from typing import Any

from leadflow.shared.models import FormConfig
from support import call_route, claims_of, items_of, stores_of

ADMIN = claims_of(admin=True)


def caught_post(stack: Any, form_id: str, email: str) -> None:
    """A person's post caught by the honeypot (a browser's autofill, say): answered 202, kept as spam."""
    body = {"name": "Jane Doe", "email": email, "phone": "+14155550134", "company": "Acme Corp",
            "job_title": "VP Sales", "interest": "quote", "country": "US", "_gotcha": "autofilled"}
    answer = stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"},
                               json.dumps(body).encode())
    assert answer.status == 202


def test_released_spam_becomes_a_lead_that_is_scored_and_assigned_once(stack, table):
    form_id = f"spam-{uuid.uuid4().hex[:8]}"
    stores_of(stack).capture.put_form(FormConfig(form_id=form_id, name="Spam review"))
    caught_post(stack, form_id, "jane.released@acme-corp.com")
    stack.drain()
    assert items_of(table, "lead") == []  # spam: never scored, never a lead

    listed = call_route(stack, "GET", f"/admin/forms/{form_id}/spam", ADMIN)
    assert listed.status == 200
    [spam] = listed.json["spam"]
    assert spam["reason"] == "honeypot" and spam["fields"]["email"] == "jane.released@acme-corp.com"

    released = call_route(stack, "POST", f"/admin/spam/{spam['spam_id']}/release", ADMIN)
    again = call_route(stack, "POST", f"/admin/spam/{spam['spam_id']}/release", ADMIN)
    stack.drain()

    assert released.status == again.status == 200
    assert released.json["is_new_lead"] and not released.json["already_released"]
    assert again.json["already_released"] and again.json["lead_id"] == released.json["lead_id"]
    [lead] = items_of(table, "lead")
    assert lead["lead_id"] == released.json["lead_id"]
    assert lead["score"]["temperature"] and lead.get("manager_id")  # scored and assigned, as any lead
    assert len([s for s in items_of(table, "submission") if s["form_id"] == form_id]) == 1
    assert "_gotcha" not in json.dumps(items_of(table, "submission")[0]["fields"])
    [listed_again] = call_route(stack, "GET", f"/admin/forms/{form_id}/spam", ADMIN).json["spam"]
    assert listed_again["lead_id"] == lead["lead_id"] and listed_again["released_at"]


def test_only_admins_review_spam_and_unknown_spam_is_a_404(stack):
    manager = call_route(stack, "GET", "/admin/forms/demo/spam", claims_of("m-olivia"))
    unknown = call_route(stack, "POST", "/admin/spam/bm90LWhlcmU/release", ADMIN)

    assert (manager.status, manager.code) == (403, "admins_only")
    assert (unknown.status, unknown.code) == (404, "spam_not_found")


def test_a_post_that_names_no_one_is_not_released(stack):
    form_id = f"spam-{uuid.uuid4().hex[:8]}"
    stores_of(stack).capture.put_form(FormConfig(form_id=form_id, name="Spam review"))
    stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"},
                      json.dumps({"name": "Bot", "_gotcha": "x"}).encode())
    [spam] = call_route(stack, "GET", f"/admin/forms/{form_id}/spam", ADMIN).json["spam"]

    refused = call_route(stack, "POST", f"/admin/spam/{spam['spam_id']}/release", ADMIN)

    assert (refused.status, refused.code) == (400, "not_a_lead")


def test_the_command_lists_and_releases_spam_as_the_api_does(stack, table):
    import io

    from leadflow_cli.main import main
    from support import cli_target

    def leadflow(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        return main(list(argv), target=cli_target(stack), out=out, err=err), out.getvalue(), err.getvalue()

    form_id = f"spam-{uuid.uuid4().hex[:8]}"
    stores_of(stack).capture.put_form(FormConfig(form_id=form_id, name="Spam review"))
    caught_post(stack, form_id, "cli.released@acme-corp.com")

    code, out, _ = leadflow("spam", "list", form_id, "--json")
    [spam] = json.loads(out)["spam"]
    assert code == 0 and "honeypot" in leadflow("spam", "list", form_id)[1]

    code, out, _ = leadflow("spam", "release", spam["spam_id"], "--json")
    again = leadflow("spam", "release", spam["spam_id"])
    stack.drain()

    assert code == 0 and json.loads(out)["is_new_lead"]
    assert again[0] == 0 and "the same lead" in again[1]
    assert [lead["lead_id"] for lead in items_of(table, "lead")] == [json.loads(out)["lead_id"]]
    assert leadflow("spam", "release", "bm90LWhlcmU")[2].count("[spam_not_found]") == 1
