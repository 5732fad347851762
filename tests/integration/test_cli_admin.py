"""`leadflow forms|managers|users|apply` against a deployed stack (moto in process): the
admin services the admin API calls, from a terminal; `apply` makes a file's forms,
managers and logins so, and a second run changes nothing."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path

from leadflow.storage.keys import manager_key
from leadflow_cli.main import main
from leadflow_cli.target import Target
from leadflow_local.stack import LocalStack
from support import cli_target, stores_of


def leadflow(*argv: str, target: Target) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=target, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def as_json(*argv: str, target: Target) -> tuple[int, dict]:
    code, out, err = leadflow(*argv, "--json", target=target)
    return code, json.loads(out) if out.strip() else {"stderr": err}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def post_to_form(stack: LocalStack, form_id: str) -> int:
    body = json.dumps({"name": "Vera Visitor", "email": "vera@acme-corp.com"}).encode()
    return stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"}, body).status


# -- forms -------------------------------------------------------------------------------------


def test_a_form_created_from_the_terminal_takes_posts_and_hands_out_its_snippet(stack):
    target, form_id = cli_target(stack), unique("expo")

    code, created = as_json("forms", "create", form_id, "--name", "Trade show <2026>", "--set",
                            "rate_limit_per_minute=10", "--set", 'allowed_origins=["https://www.example.com"]',
                            target=target)
    snippet = leadflow("forms", "snippet", form_id, target=target)[1]

    assert code == 0
    assert (created["rate_limit_per_minute"], created["allowed_origins"]) == (10, ["https://www.example.com"])
    assert created["embed"]["action_url"] == f"{target.api_url.rstrip('/')}/forms/{form_id}/submissions"
    assert f'action="{created["embed"]["action_url"]}"' in snippet and "<form" in snippet
    assert form_id in leadflow("forms", "list", target=target)[1]
    assert post_to_form(stack, form_id) == 202


def test_a_form_refused_lists_every_field_at_fault_and_writes_nothing(stack):
    target, form_id = cli_target(stack), unique("bad")

    code, out, err = leadflow("forms", "create", form_id, "--name", "Bad", "--set", "rate_limit_per_minute=0",
                              "--set", "thank_you_url=javascript:alert(1)", target=target)

    assert code == 1 and out == ""
    assert "rate_limit_per_minute:" in err and "thank_you_url:" in err
    assert stores_of(stack).capture.get_form(form_id) is None


def test_a_taken_id_and_an_unknown_form_are_refused_with_their_codes(stack):
    target = cli_target(stack)

    assert leadflow("forms", "create", "demo", "--name", "Again", target=target)[0] == 1
    assert "[form_exists]" in leadflow("forms", "create", "demo", "--name", "Again", target=target)[2]
    code, answer = as_json("forms", "update", "no-such-form", "--set", "name=X", target=target)
    assert (code, answer["errors"][0]["code"]) == (1, "form_not_found")


def test_a_disabled_form_answers_410_and_is_switched_on_again(stack):
    target = cli_target(stack)

    assert leadflow("forms", "disable", "demo", target=target)[0] == 0
    assert post_to_form(stack, "demo") == 410
    # Capture keeps a form for a minute: the post after `enable` is the admin API test's.
    assert leadflow("forms", "enable", "demo", target=target)[0] == 0
    assert stores_of(stack).capture.get_form("demo", consistent=True).enabled is True


def test_an_update_changes_the_settings_named_and_clears_with_null(stack):
    target = cli_target(stack)

    code, form = as_json("forms", "update", "demo", "--set", "consent_version=null", "--set", "name=Spring <b>",
                         target=target)

    assert code == 0
    assert (form["name"], form["consent_version"], form["rate_limit_per_minute"]) == ("Spring <b>", None, 30)


# -- managers ----------------------------------------------------------------------------------


def test_managers_are_listed_with_their_load_and_changed_without_touching_it(stack):
    target, manager_id = cli_target(stack), unique("m")
    assert leadflow("managers", "add", manager_id, "--name", "Nora Field", "--email", "Nora@Sales.Example.com",
                    "--tier", "2", "--set", 'territories=["fr"]', target=target)[0] == 0
    # As an assignment would: the load is the assignments' to keep, never the admin's.
    stack.client("dynamodb").update_item(TableName=stack.table_name(), Key={k: {"S": v} for k, v in manager_key(manager_id).items()},
                                         UpdateExpression="SET open_leads = :n", ExpressionAttributeValues={
                                             ":n": {"N": "3"}})

    code, changed = as_json("managers", "update", manager_id, "--set", "capacity=5", "--set",
                            "on_leave_until=2099-01-31", target=target)
    listed = leadflow("managers", "list", target=target)[1]

    assert code == 0
    assert (changed["email"], changed["territories"], changed["capacity"], changed["on_leave"]) == (
        "nora@sales.example.com", ["FR"], 5, True)
    assert changed["open_leads"] == 3
    [row] = [line for line in listed.splitlines() if line.startswith(manager_id)]
    assert "on leave to 2099-01-31" in row


def test_a_manager_refused_names_each_field(stack):
    target = cli_target(stack)

    code, answer = as_json("managers", "add", unique("m"), "--name", " ", "--email", "not-an-email", "--tier", "2",
                           target=target)
    typed = as_json("managers", "add", unique("m"), "--name", "N", "--email", "n@example.com", "--tier", "2",
                    "--set", "capacity=-1", "--set", "languages=[]", target=target)

    assert code == 1
    assert {(e["field"], e["code"]) for e in answer["errors"]} == {("name", "name_required"),
                                                                   ("email", "invalid_email")}
    assert (typed[0], {e["field"] for e in typed[1]["errors"]}) == (1, {"capacity", "languages"})


# -- users -------------------------------------------------------------------------------------


def test_a_person_is_invited_bound_to_a_manager_and_made_an_admin_by_email(stack):
    target, email = cli_target(stack), f"{unique('nora')}@sales.example.com"

    code, login = as_json("users", "invite", email, "--manager", "m-olivia", target=target)
    granted = leadflow("users", "grant-admin", email, target=target)
    users = as_json("users", "list", target=target)[1]["users"]

    assert (code, login["manager_id"], login["admin"], login["status"]) == (0, "m-olivia", False,
                                                                           "FORCE_CHANGE_PASSWORD")
    assert granted[0] == 0
    assert [(u["manager_id"], u["admin"]) for u in users if u["email"] == email] == [("m-olivia", True)]


def test_a_lost_phone_is_reset_and_an_unknown_user_refused(stack):
    target, email = cli_target(stack), f"{unique('lee')}@sales.example.com"
    assert leadflow("users", "invite", email, target=target)[0] == 0
    pool = stack.client("cognito-idp")
    [user_id] = [u["user_id"] for u in as_json("users", "list", target=target)[1]["users"] if u["email"] == email]
    # As VerifySoftwareToken leaves them (which needs their own signed-in session).
    from moto.cognitoidp.models import cognitoidp_backends

    backend = cognitoidp_backends[stack.account_id][stack.region]
    backend.user_pools[target.user_pool_id].users[user_id].token_verified = True
    pool.admin_set_user_mfa_preference(UserPoolId=target.user_pool_id, Username=user_id,
                                       SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert pool.admin_get_user(UserPoolId=target.user_pool_id, Username=user_id)["UserMFASettingList"] == [
        "SOFTWARE_TOKEN_MFA"]

    code, _out, _err = leadflow("users", "reset-mfa", email, target=target)
    unknown = as_json("users", "reset-mfa", "nobody@sales.example.com", target=target)

    assert code == 0
    assert (unknown[0], unknown[1]["errors"][0]["code"]) == (1, "user_not_found")


def test_an_invitation_for_an_unknown_manager_is_refused(stack):
    code, answer = as_json("users", "invite", "x@sales.example.com", "--manager", "m-nobody", target=cli_target(stack))

    assert (code, [(e["field"], e["code"]) for e in answer["errors"]]) == (1, [("manager_id", "unknown_manager")])


# -- apply -------------------------------------------------------------------------------------


def write(tmp_path: Path, data: dict) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def company(suffix: str) -> dict:
    return {
        "forms": [{"form_id": f"web-{suffix}", "name": "Website", "language": "es", "rate_limit_per_minute": 12}],
        "managers": [{"manager_id": f"m-ana-{suffix}", "name": "Ana Gil", "email": f"ana-{suffix}@sales.example.com",
                      "tier": 1, "languages": ["es"]}],
        "users": [{"email": f"ana-{suffix}@sales.example.com", "manager_id": f"m-ana-{suffix}"},
                  {"email": f"boss-{suffix}@sales.example.com", "admin": True}],
    }


def test_apply_creates_what_a_file_declares_and_a_second_run_changes_nothing(stack, tmp_path):
    target, suffix = cli_target(stack), uuid.uuid4().hex[:8]
    path = write(tmp_path, company(suffix))

    code, first = as_json("apply", path, target=target)
    again, second = as_json("apply", path, target=target)

    assert code == 0 and again == 0
    assert [(c["kind"], c["action"]) for c in first["changes"]] == [
        ("form", "create"), ("manager", "create"), ("user", "create"), ("user", "create")]
    assert {c["action"] for c in second["changes"]} == {"unchanged"}
    assert stores_of(stack).capture.get_form(f"web-{suffix}").language == "es"
    users = {u["email"]: u for u in as_json("users", "list", target=target)[1]["users"]}
    assert users[f"boss-{suffix}@sales.example.com"]["admin"] is True
    assert users[f"ana-{suffix}@sales.example.com"]["manager_id"] == f"m-ana-{suffix}"


def test_apply_changes_only_the_settings_that_differ_and_keeps_the_rest(stack, tmp_path):
    target, suffix = cli_target(stack), uuid.uuid4().hex[:8]
    data = company(suffix)
    assert as_json("apply", write(tmp_path, data), target=target)[0] == 0
    # An admin changed a setting the file does not name: the file leaves it alone.
    assert leadflow("forms", "update", f"web-{suffix}", "--set", "thank_you_url=/gracias", target=target)[0] == 0
    data["forms"][0]["rate_limit_per_minute"] = 20
    data["users"][1]["admin"] = False

    dry_code, dry = as_json("apply", write(tmp_path, data), "--dry-run", target=target)
    assert stores_of(stack).capture.get_form(f"web-{suffix}").rate_limit_per_minute == 12
    code, applied = as_json("apply", write(tmp_path, data), target=target)

    assert dry_code == 0 and dry["changes"] == applied["changes"]
    assert [(c["kind"], c["action"], c["changes"]) for c in applied["changes"]] == [
        ("form", "update", ["rate_limit_per_minute"]), ("manager", "unchanged", []),
        ("user", "unchanged", []), ("user", "update", ["admin"])]
    form = stores_of(stack).capture.get_form(f"web-{suffix}")
    assert (form.rate_limit_per_minute, form.thank_you_url) == (20, "/gracias")
    users = {u["email"]: u for u in as_json("users", "list", target=target)[1]["users"]}
    assert users[f"boss-{suffix}@sales.example.com"]["admin"] is False


def test_a_file_with_problems_lists_every_one_and_writes_nothing(stack, tmp_path):
    target, suffix = cli_target(stack), uuid.uuid4().hex[:8]
    data = company(suffix)
    data["forms"].append({"form_id": f"web-{suffix}", "name": "Twice"})
    data["managers"][0]["tier"] = 7
    data["users"].append({"email": "carl@sales.example.com", "manager_id": "m-nobody", "password": "Secret-123"})

    code, answer = as_json("apply", write(tmp_path, data), target=target)

    assert code == 1
    assert {(e["field"], e["code"]) for e in answer["errors"]} == {
        ("forms[1].form_id", "duplicate_id"), ("managers[0].tier", "less_than_equal"),
        ("users[2].manager_id", "unknown_manager"), ("users[2].password", "password_local_only")}
    assert stores_of(stack).capture.get_form(f"web-{suffix}") is None
    assert stores_of(stack).roster.get(f"m-ana-{suffix}") is None


def test_variables_come_from_the_environment_and_an_unset_one_is_refused(stack, tmp_path, monkeypatch):
    target, suffix = cli_target(stack), uuid.uuid4().hex[:8]
    data = {"forms": [{"form_id": f"site-{suffix}", "name": "Site", "allowed_origins": ["${SITE_ORIGIN}"]}]}
    path = write(tmp_path, data)

    refused = as_json("apply", path, target=target)
    monkeypatch.setenv("SITE_ORIGIN", "https://www.acme.example")
    applied = leadflow("apply", path, target=target)

    assert (refused[0], refused[1]["errors"][0]["code"]) == (1, "unknown_variable")
    assert applied[0] == 0
    assert stores_of(stack).capture.get_form(f"site-{suffix}").allowed_origins == ["https://www.acme.example"]


def test_a_file_that_cannot_be_read_is_a_usage_error(stack, tmp_path):
    assert leadflow("apply", str(tmp_path / "missing.json"), target=cli_target(stack))[0] == 2


def test_the_local_seed_is_applied_by_the_same_command(stack):
    """make dev's seed went through `leadflow apply`: applied again, nothing changes."""
    target = stack.operator_target()

    code, answer = as_json("apply", "local/seed.json", target=target)

    assert code == 0
    assert {c["action"] for c in answer["changes"]} == {"unchanged"}
    assert len(answer["changes"]) == 3 + 4 + 5 + 2  # forms, managers, users, partners
