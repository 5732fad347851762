"""The admin API on the deployed stack (moto): forms with their snippets, managers with
their load, logins in the stack's user pool. Requests go through the template's own
routes as API Gateway sends them after the Cognito authorizer (its stage variables
included), to LeadsApiFunction under its own role."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from leadflow.routing import manager_admin
from leadflow.routing.manager_admin import ManagerChanges
from leadflow.routing.roster import Roster, take_lead
from leadflow.routing.rule_admin import EXAMPLE_RULE_SET
from leadflow.shared.clock import utc_now
from leadflow.shared.models import Manager
from leadflow.storage import keys
from leadflow.storage.codec import to_item
from leadflow_local.stack import LocalStack
from leadflow_local.template import ROOT
from support import RouteAnswer, call_route, claims_of, post_hot_lead, stores_of

ADMIN = claims_of(admin=True)
OLIVIA = claims_of("m-olivia")
DOCUMENT = json.loads((ROOT / "openapi.json").read_text("utf-8"))
ADMIN_OPERATIONS = sorted((method.upper(), path) for path, methods in DOCUMENT["paths"].items()
                          if path.startswith("/admin") for method in methods)



def admin_api(stack: LocalStack, method: str, path: str, claims: dict[str, str] | None = ADMIN,
              body: Any = None) -> RouteAnswer:
    """A request through the template's route for it; `path` may end in `?query`."""
    path, _, query = path.partition("?")
    return call_route(stack, method, path, claims, body, query)


def post_to_form(stack: LocalStack, form_id: str, email: str = "visitor@acme-corp.com") -> int:
    """A visitor's post through the real capture endpoint; its status."""
    body = json.dumps({"name": "Vera Visitor", "email": email}).encode()
    return stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"}, body).status


def pool_id(stack: LocalStack) -> str:
    (found,) = stack.user_pools.values()
    return found


# -- who may -------------------------------------------------------------------------------

# A valid body for each operation that takes one (an invalid one is a 400 first, as on every route).
VALID_BODIES = {("POST", "/admin/forms"): {"form_id": "mine", "name": "Mine"},
                ("POST", "/admin/managers"): {"manager_id": "m-me", "name": "Me", "email": "me@x.com", "tier": 1},
                ("POST", "/admin/users"): {"email": "me@x.com", "admin": True},
                ("POST", "/admin/partners"): {"partner_id": "p-me", "name": "Me"},
                ("PATCH", "/admin/partners/{partner_id}"): {},
                ("PATCH", "/admin/forms/{form_id}"): {}, ("PATCH", "/admin/managers/{manager_id}"): {"tier": 1},
                ("PUT", "/admin/rules/{profile}"): EXAMPLE_RULE_SET, ("POST", "/admin/rules/{profile}/try"): EXAMPLE_RULE_SET,
                ("POST", "/admin/unassigned/{lead_id}/assign"): {"manager_id": "m-olivia"},
                **dict.fromkeys([("POST", "/admin/imports"), ("POST", "/admin/imports/dry-run")],
                                {"form_id": "demo", "file": "TmFtZSxFbWFpbApKYW5lLGphbmVAYWNtZS5jb20K"})}


@pytest.mark.parametrize(("method", "path"), ADMIN_OPERATIONS)
def test_a_manager_is_refused_every_admin_operation(stack, method, path):
    concrete = (path.replace("{form_id}", "demo").replace("{manager_id}", "m-olivia").replace("{user_id}", "someone")
                .replace("{lead_id}", "some-lead").replace("{profile}", "b2b").replace("{import_id}", "0" * 32)
                .replace("{spam_id}", "bm90LWhlcmU").replace("{partner_id}", "maria-lopez"))
    concrete += "?period=2026-11" if path.endswith("/try") else ""

    answer = admin_api(stack, method, concrete, OLIVIA, VALID_BODIES.get((method, path)))

    assert (answer.status, answer.code) == (403, "admins_only")
    assert admin_api(stack, "GET", "/admin/managers/m-olivia").json["tier"] == 1
    assert admin_api(stack, "GET", "/admin/forms/mine").status == 404


def test_the_admin_operations_are_all_refused_above(stack):
    # Every /admin route of the template is one of the document's, so none escapes the test above.
    assert len(ADMIN_OPERATIONS) == 35  # forms 6, managers 5, users 4, rules 4, queue 3, imports 4, spam 2, partners 7
    assert {(r.method, r.path) for r in stack.routes if r.path.startswith("/admin")} == set(ADMIN_OPERATIONS)


# -- forms -----------------------------------------------------------------------------------

WEBINAR = {"form_id": "webinar", "name": "Spring <webinar>", "language": "es", "thank_you_url": "/gracias",
           "allowed_origins": ["https://www.example.com"], "rate_limit_per_minute": 12}


def test_a_form_is_created_listed_and_read_with_snippets_that_post_to_the_api(stack):
    created = admin_api(stack, "POST", "/admin/forms", body=WEBINAR)

    assert created.status == 201, created.json
    form = created.json
    assert (form["form_id"], form["language"], form["rate_limit_per_minute"], form["enabled"]) == (
        "webinar", "es", 12, True)
    assert form["honeypot_field"] == "_gotcha" and form["scoring_profile"] == "b2b"  # defaults
    # The stage's URL, as the local stack serves it (the deployed one: the ApiUrl output).
    assert form["embed"]["action_url"] == f"{stack.public_url}/forms/webinar/submissions"
    assert f'action="{stack.public_url}/forms/webinar/submissions"' in form["embed"]["html"]
    assert 'aria-label="Spring &lt;webinar&gt;"' in form["embed"]["html"]
    assert "data-leadflow" in form["embed"]["leadflow_js"]
    listed = admin_api(stack, "GET", "/admin/forms")
    assert [f["form_id"] for f in listed.json["forms"]] == ["demo", "demo-ar", "demo-es", "webinar"]
    assert admin_api(stack, "GET", "/admin/forms/webinar").json == form
    # Capture takes posts to it.
    assert post_to_form(stack, "webinar") == 202


def test_a_taken_form_id_is_409_and_the_form_is_left_as_it_was(stack):
    answer = admin_api(stack, "POST", "/admin/forms", body={"form_id": "demo", "name": "Another demo"})

    assert (answer.status, answer.code) == (409, "form_exists")
    assert admin_api(stack, "GET", "/admin/forms/demo").json["name"] == "Demo landing page"


@pytest.mark.parametrize(("body", "code", "fields"), [
    ({"rate_limit_per_minute": 0}, "invalid_request", {"rate_limit_per_minute": "greater_than_equal"}),
    ({"scoring_profile": "b2g"}, "invalid_request", {"scoring_profile": "literal_error"}),
    ({"autopilot": True}, "invalid_request", {"autopilot": "extra_forbidden"}),
    ({"allowed_origins": ["https://www.example.com/pricing"], "thank_you_url": "javascript:alert(1)"},
     "invalid_request", {"allowed_origins.0": "string_pattern_mismatch", "thank_you_url": "string_pattern_mismatch"}),
    ({"allowed_origins": ["https://[::1"], "error_url": "https://[::1/oops"},  # the pattern's, but no URL
     "invalid_form", {"allowed_origins.0": "invalid_origin", "error_url": "invalid_url"}),
    ({"honeypot_field": "email"}, "invalid_form", {"honeypot_field": "honeypot_is_a_field"}),
    ({"required_fields": ["consent"]}, "invalid_form", {"consent_text": "consent_text_required"}),
    ({"name": "   "}, "invalid_form", {"name": "name_required"}),
])
def test_a_refused_form_names_each_field_at_fault_and_nothing_is_written(stack, body, code, fields):
    answer = admin_api(stack, "POST", "/admin/forms", body={"form_id": "bad", "name": "Bad", **body})

    assert (answer.status, answer.code) == (400, code)
    assert answer.fields() == fields
    assert admin_api(stack, "GET", "/admin/forms/bad").status == 404


def test_a_change_writes_only_the_settings_sent(stack):
    assert admin_api(stack, "POST", "/admin/forms", body={**WEBINAR, "consent_text": "I agree."}).status == 201

    changed = admin_api(stack, "PATCH", "/admin/forms/webinar",
                        body={"name": "Summer webinar", "consent_text": None, "min_fill_seconds": 3.5})

    assert changed.status == 200, changed.json
    form = changed.json
    assert (form["name"], form["min_fill_seconds"], form["thank_you_url"], form["rate_limit_per_minute"]) == (
        "Summer webinar", 3.5, "/gracias", 12)
    assert "consent_text" not in form or form["consent_text"] is None
    assert admin_api(stack, "GET", "/admin/forms/webinar").json == form


def test_a_change_that_breaks_the_form_or_nulls_a_setting_is_refused(stack):
    nulled = admin_api(stack, "PATCH", "/admin/forms/demo", body={"name": None})
    broken = admin_api(stack, "PATCH", "/admin/forms/demo", body={"required_fields": ["consent"], "consent_text": None})
    unknown = admin_api(stack, "PATCH", "/admin/forms/nope", body={"name": "Nope"})

    assert (nulled.status, nulled.code, nulled.fields()) == (400, "invalid_request", {"name": "string_type"})
    assert (broken.status, broken.code, broken.fields()) == (400, "invalid_form",
                                                             {"consent_text": "consent_text_required"})
    assert (unknown.status, unknown.code) == (404, "form_not_found")
    assert admin_api(stack, "GET", "/admin/forms/demo").json["consent_text"].startswith("I agree")


def test_a_disabled_form_is_refused_410_by_capture(stack):
    disabled = admin_api(stack, "POST", "/admin/forms/demo/disable")

    assert (disabled.status, disabled.json["enabled"]) == (200, False)
    assert post_to_form(stack, "demo") == 410


def test_an_enabled_form_takes_posts_again(stack):
    assert admin_api(stack, "POST", "/admin/forms/demo/disable").status == 200

    enabled = admin_api(stack, "POST", "/admin/forms/demo/enable")

    assert (enabled.status, enabled.json["enabled"]) == (200, True)
    assert post_to_form(stack, "demo") == 202
    assert admin_api(stack, "POST", "/admin/forms/nope/disable").code == "form_not_found"


def test_a_form_stored_before_forms_were_listed_works_and_is_listed_once_changed(stack):
    # As an older version (or a hand-written item) stored it: no GSI1 keys.
    stores_of(stack).table.put(to_item(keys.form_key("legacy"), "form", form_id="legacy", name="Legacy form"))

    assert "legacy" not in [f["form_id"] for f in admin_api(stack, "GET", "/admin/forms").json["forms"]]
    assert admin_api(stack, "GET", "/admin/forms/legacy").status == 200
    assert post_to_form(stack, "legacy") == 202

    assert admin_api(stack, "PATCH", "/admin/forms/legacy", body={}).status == 200
    assert "legacy" in [f["form_id"] for f in admin_api(stack, "GET", "/admin/forms").json["forms"]]


# -- managers --------------------------------------------------------------------------------

NORA = {"manager_id": "m-nora", "name": "Nora Field", "email": "Nora@Sales.Example.com", "tier": 2,
        "languages": ["EN", "fr"], "territories": ["fr", "BE"], "capacity": 30}


def test_managers_are_listed_with_their_load(stack):
    post_hot_lead(stack)  # a hot US lead: Olivia's

    managers = {m["manager_id"]: m for m in admin_api(stack, "GET", "/admin/managers").json["managers"]}

    assert sorted(managers) == ["m-diego", "m-layla", "m-olivia", "m-sam"]
    olivia = managers["m-olivia"]
    assert (olivia["open_leads"], olivia["capacity"], olivia["active"], olivia["on_leave"]) == (1, 40, True, False)
    assert olivia["last_assigned_at"] is not None and olivia["email_status"] is None
    assert (managers["m-sam"]["open_leads"], managers["m-sam"]["last_assigned_at"]) == (0, None)


def test_a_manager_is_created_read_and_changed(stack):
    created = admin_api(stack, "POST", "/admin/managers", body=NORA)

    assert created.status == 201, created.json
    assert (created.json["email"], created.json["languages"], created.json["territories"]) == (
        "nora@sales.example.com", ["en", "fr"], ["FR", "BE"])
    assert created.json["open_leads"] == 0
    leave = (utc_now() + timedelta(days=10)).date().isoformat()

    changed = admin_api(stack, "PATCH", "/admin/managers/m-nora",
                        body={"capacity": 5, "on_leave_until": leave, "active": False})

    assert changed.status == 200, changed.json
    assert (changed.json["capacity"], changed.json["on_leave_until"], changed.json["on_leave"],
            changed.json["active"], changed.json["tier"]) == (5, leave, True, False, 2)
    back = admin_api(stack, "PATCH", "/admin/managers/m-nora", body={"on_leave_until": None})
    assert (back.json["on_leave_until"], back.json["on_leave"]) == (None, False)
    assert admin_api(stack, "GET", "/admin/managers/m-nora").json == back.json


def test_a_taken_manager_id_is_409_and_bad_fields_are_named(stack):
    taken = admin_api(stack, "POST", "/admin/managers", body={**NORA, "manager_id": "m-olivia"})
    bad_tier = admin_api(stack, "POST", "/admin/managers", body={**NORA, "tier": 4})
    bad_email = admin_api(stack, "POST", "/admin/managers", body={**NORA, "email": "nora at sales"})
    unknown = admin_api(stack, "PATCH", "/admin/managers/m-nobody", body={"tier": 1})

    assert (taken.status, taken.code) == (409, "manager_exists")
    assert (bad_tier.status, bad_tier.code, bad_tier.fields()) == (400, "invalid_request", {"tier": "less_than_equal"})
    assert (bad_email.status, bad_email.code, bad_email.fields()) == (400, "invalid_manager",
                                                                      {"email": "invalid_email"})
    assert (unknown.status, unknown.code) == (404, "manager_not_found")
    assert admin_api(stack, "GET", "/admin/managers/m-olivia").json["name"] == "Olivia Closer"
    assert admin_api(stack, "GET", "/admin/managers/m-nora").status == 404


def test_a_new_email_clears_the_old_addresses_email_status(stack):
    roster = stores_of(stack).roster
    assert roster.set_email_status("m-diego", "suppressed", utc_now())
    same = admin_api(stack, "PATCH", "/admin/managers/m-diego", body={"email": "DIEGO@sales.example.com"})
    assert same.json["email_status"] == "suppressed"  # the same address: still undeliverable

    changed = admin_api(stack, "PATCH", "/admin/managers/m-diego", body={"email": "diego.m@sales.example.com"})

    assert (changed.json["email"], changed.json["email_status"], changed.json["email_status_at"]) == (
        "diego.m@sales.example.com", None, None)


class AssignedMeanwhile(Roster):
    """The roster as an admin's change reads it while the scorer gives the manager a lead
    between that read and the change's write."""

    assigned = False

    def get(self, manager_id: str) -> Manager | None:
        read = super().get(manager_id)
        if not self.assigned:  # once, right after the change's first read
            self.assigned = True
            today = utc_now().date().isoformat()
            self.table.transact([take_lead(self.table, manager_id, utc_now().isoformat(), today)])
        return read


def test_a_change_never_writes_back_the_load_it_read(stack):
    roster = AssignedMeanwhile(stores_of(stack).table)
    before = Roster(roster.table).get("m-olivia")

    manager_admin.update_manager(roster, "m-olivia", ManagerChanges(capacity=60), utc_now().date())

    after = Roster(roster.table).get("m-olivia")
    assert (after.capacity, after.open_leads) == (60, before.open_leads + 1)
    assert after.last_assigned_at is not None


# -- logins ----------------------------------------------------------------------------------

def pool_user(stack: LocalStack, email: str) -> dict[str, Any]:
    found = stack.client("cognito-idp").admin_get_user(UserPoolId=pool_id(stack), Username=email)
    return {"username": found["Username"], **{a["Name"]: a["Value"] for a in found["UserAttributes"]}}


def admins(stack: LocalStack) -> set[str]:
    members = stack.client("cognito-idp").list_users_in_group(UserPoolId=pool_id(stack), GroupName="admins")
    return {u["Username"] for u in members["Users"]}


def test_an_invited_manager_is_a_user_of_the_pool_bound_to_the_manager(stack, capsys):
    capsys.readouterr()
    invited = admin_api(stack, "POST", "/admin/users", body={"email": "Nina.New@Sales.Example.com",
                                                              "manager_id": "m-sam"})

    assert invited.status == 201, invited.json
    user = pool_user(stack, "nina.new@sales.example.com")
    assert (user["custom:manager_id"], user["email_verified"], user["username"]) == (
        "m-sam", "true", invited.json["user_id"])
    assert (invited.json["admin"], invited.json["status"]) == (False, "FORCE_CHANGE_PASSWORD")
    assert user["username"] not in admins(stack)
    listed = {u["email"]: u for u in admin_api(stack, "GET", "/admin/users").json["users"]}
    assert listed["nina.new@sales.example.com"]["manager_id"] == "m-sam"
    assert listed["admin@sales.example.com"]["admin"] is True and listed["olivia@sales.example.com"]["admin"] is False
    assert "nina" not in capsys.readouterr().out.lower()  # logs carry the user's id, never their email


def test_an_admin_is_invited_into_the_admins_group(stack):
    invited = admin_api(stack, "POST", "/admin/users", body={"email": "boss2@sales.example.com", "admin": True})

    assert (invited.status, invited.json["admin"], invited.json["manager_id"]) == (201, True, None)
    assert invited.json["user_id"] in admins(stack)


def test_an_invitation_to_an_unknown_manager_or_a_second_one_is_refused(stack):
    unknown = admin_api(stack, "POST", "/admin/users", body={"email": "x@sales.example.com", "manager_id": "m-nope"})
    twice = admin_api(stack, "POST", "/admin/users", body={"email": "olivia@sales.example.com",
                                                            "manager_id": "m-olivia"})
    bad = admin_api(stack, "POST", "/admin/users", body={"email": "not an address"})

    assert (unknown.status, unknown.code, unknown.fields()) == (400, "invalid_invitation",
                                                                {"manager_id": "unknown_manager"})
    assert (twice.status, twice.code) == (409, "user_exists")
    assert (bad.status, bad.code, bad.fields()) == (400, "invalid_invitation", {"email": "invalid_email"})
    emails = {u["email"] for u in admin_api(stack, "GET", "/admin/users").json["users"]}
    assert "x@sales.example.com" not in emails


def test_admin_rights_are_given_and_taken_by_user_id(stack):
    olivia = pool_user(stack, "olivia@sales.example.com")["username"]

    given = admin_api(stack, "PUT", f"/admin/users/{olivia}/admin")
    assert (given.status, given.json) == (200, {"user_id": olivia, "admin": True})
    assert olivia in admins(stack)
    assert admin_api(stack, "PUT", f"/admin/users/{olivia}/admin").status == 200  # twice: no change

    taken = admin_api(stack, "DELETE", f"/admin/users/{olivia}/admin")
    assert (taken.status, taken.json["admin"]) == (200, False)
    assert olivia not in admins(stack)
    missing = admin_api(stack, "PUT", "/admin/users/no-such-user/admin")
    assert (missing.status, missing.code) == (404, "user_not_found")
