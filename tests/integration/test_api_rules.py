"""Scoring rules through the admin API and `leadflow rules` on the deployed stack (moto):
the rule set in force per profile, an override stored and removed, and a proposal tried
on the period's leads, writing nothing. Requests go through the template's own routes
to LeadsApiFunction under its own role."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest

from leadflow.routing.rule_admin import EXAMPLE_RULE_SET
from leadflow.routing.rule_sets import default_rule_set
from leadflow.shared.clock import utc_now
from leadflow.storage import keys
from leadflow_cli.main import main
from leadflow_local.stack import LocalStack
from support import all_items, call_route, claims_of, cli_target, post_hot_lead, stores_of

ADMIN = claims_of(admin=True)
OLIVIA = claims_of("m-olivia")


def admin_api(stack: LocalStack, method: str, path: str, claims: dict[str, str] | None = ADMIN,
              body: Any = None) -> tuple[int, dict[str, Any]]:
    """A request through the template's route, as API Gateway sends it after its authorizer."""
    path, _, query = path.partition("?")
    answer = call_route(stack, method, path, claims, body, query)
    return answer.status, answer.json


def leadflow(*argv: str, target: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), target=target, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def this_period() -> str:
    """Days around today (UTC): the leads a test posts now, whatever the hour."""
    today = utc_now().date()
    return f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"


def shipped(**changes: Any) -> dict[str, Any]:
    return {**default_rule_set("b2b").model_dump(mode="json"), **changes}


def content_is_hot() -> dict[str, Any]:
    """The shipped b2b rules, but asking for an ebook is worth 70 points: such a lead is hot."""
    document = shipped(version="ebooks-sell")
    document["rules"] = [{**r, "points": 70} if r["id"] == "intent-content" else r for r in document["rules"]]
    return document


# -- the rule set in force, stored, removed --------------------------------------------------


def test_the_default_is_in_force_until_an_override_is_stored_and_again_once_it_is_removed(stack):
    status, shown = admin_api(stack, "GET", "/admin/rules/b2b")
    assert (status, shown["in_force"], shown["rule_set"]["version"]) == (200, "default", "b2b-2026.11")

    status, stored = admin_api(stack, "PUT", "/admin/rules/b2b", body=EXAMPLE_RULE_SET)

    assert (status, stored["in_force"], stored["rule_set"]["version"]) == (200, "override", "acme-b2b-2")
    assert admin_api(stack, "GET", "/admin/rules/b2b")[1] == stored
    assert admin_api(stack, "GET", "/admin/rules/b2c")[1]["in_force"] == "default"  # the other profile's own
    # What the scorer reads: the document as sent.
    assert json.loads(stores_of(stack).routing.get_rule_set_json("b2b")) == EXAMPLE_RULE_SET
    status, removed = admin_api(stack, "DELETE", "/admin/rules/b2b")
    assert (status, removed["removed"], removed["in_force"], removed["rule_set"]["version"]) == (
        200, True, "default", "b2b-2026.11")
    assert admin_api(stack, "DELETE", "/admin/rules/b2b")[1]["removed"] is False
    assert stores_of(stack).routing.get_rule_set_json("b2b") is None


def test_invalid_rules_are_400_naming_every_problem_and_nothing_is_stored(stack):
    bad = shipped(thresholds={"warm": 50, "hot": 40})
    bad["rules"][1] = {**bad["rules"][1], "points": 500}
    bad["rules"][2] = {**bad["rules"][2], "kind": "colour"}

    status, answer = admin_api(stack, "PUT", "/admin/rules/b2b", body=bad)

    assert (status, answer["code"]) == (400, "invalid_rules")
    assert [(e["field"], e["code"]) for e in answer["errors"]] == [
        ("thresholds", "invalid_rule_set"), ("rules.1.points", "invalid_rule_set"), ("rules.2.kind", "invalid_rule_set")]
    assert answer["errors"][1]["message"].startswith("rule 'intent-question' (rules[1]), field 'points': ")
    assert stores_of(stack).routing.get_rule_set_json("b2b") is None


def test_a_rule_set_for_another_profile_than_the_paths_is_refused(stack):
    status, answer = admin_api(stack, "PUT", "/admin/rules/b2c", body=EXAMPLE_RULE_SET)

    assert (status, answer["code"]) == (400, "invalid_rules")
    assert [e["field"] for e in answer["errors"]] == ["profile"]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/admin/rules/b2x", None), ("PUT", "/admin/rules/enterprise", EXAMPLE_RULE_SET),
    ("DELETE", "/admin/rules/B2B", None), ("POST", "/admin/rules/b2g/try?period=2026-11", EXAMPLE_RULE_SET)])
def test_an_unknown_profile_is_an_invalid_request(stack, method, path, body):
    status, answer = admin_api(stack, method, path, body=body)

    assert (status, answer["code"]) == (400, "invalid_request")
    assert [e["field"] for e in answer["errors"]] == ["profile"]


def test_a_manager_may_neither_read_store_nor_try_rules(stack):
    assert admin_api(stack, "GET", "/admin/rules/b2b", OLIVIA) == (403, {
        "errors": [{"field": None, "code": "admins_only", "message": "only admins may do this"}],
        "code": "admins_only"})
    status, answer = admin_api(stack, "POST", f"/admin/rules/b2b/try?period={this_period()}", OLIVIA,
                               content_is_hot())
    assert (status, answer["code"]) == (403, "admins_only")
    assert admin_api(stack, "PUT", "/admin/rules/b2b", OLIVIA, EXAMPLE_RULE_SET)[0] == 403
    assert stores_of(stack).routing.get_rule_set_json("b2b") is None


# -- trying a rule set -----------------------------------------------------------------------


@pytest.fixture
def two_leads(stack: LocalStack) -> dict[str, str]:
    """A hot lead that converted and a cold one (an ebook), through the whole pipeline."""
    won = post_hot_lead(stack, "jane@acme-corp.com")
    stores_of(stack).table.update(keys.lead_key(won), "SET #status = :converted", names={"#status": "status"},
                                  values={":converted": "converted"})
    body = {"name": "Bo Li", "email": "bo@gmail.com", "interest": "ebook"}
    assert stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                             json.dumps(body).encode()).status == 202
    stack.drain()
    return {"won": won}


def test_a_trial_shows_what_a_proposal_would_change_and_writes_nothing(stack, table, two_leads):
    before = all_items(table)

    status, trial = admin_api(stack, "POST", f"/admin/rules/b2b/try?period={this_period()}", body=content_is_hot())

    assert status == 200, trial
    assert all_items(table) == before
    assert (trial["profile"], trial["current_version"], trial["current_in_force"], trial["proposed_version"]) == (
        "b2b", "b2b-2026.11", "default", "ebooks-sell")
    assert (trial["leads"], trial["changed"], trial["rose"], trial["fell"], trial["stored_differs"]) == (2, 1, 1, 0, 0)
    assert trial["matrix"] == {"cold": {"cold": 0, "warm": 0, "hot": 1}, "warm": {"cold": 0, "warm": 0, "hot": 0},
                               "hot": {"cold": 0, "warm": 0, "hot": 1}}
    fires = {r["rule_id"]: r for r in trial["rules"]}
    assert (fires["intent-content"]["current_points"], fires["intent-content"]["proposed_points"]) == (-10, 70)
    assert (fires["intent-content"]["current_fires"], fires["intent-content"]["proposed_fires"]) == (1, 1)
    assert (fires["intent-buy"]["current_fires"], fires["fake-name"]["current_fires"]) == (1, 0)
    hot = trial["conversion"]["proposed"][2]
    assert (hot["temperature"], hot["leads"], hot["outcome_known"], hot["converted"], hot["conversion_rate"]) == (
        "hot", 2, 1, 1, 1.0)
    assert trial["reads"] == {"lead_items": 2, "submission_items": 2, "submissions_per_lead_at_most": 21}
    assert (trial["skipped"], trial["next_cursor"]) == ({"erased": 0, "other_profile": 0, "no_submission": 0}, None)


def test_a_trial_pages_through_the_period_with_its_cursor(stack, two_leads):
    path = f"/admin/rules/b2b/try?period={this_period()}&limit=1"
    first = admin_api(stack, "POST", path, body=content_is_hot())[1]

    second = admin_api(stack, "POST", f"{path}&cursor={first['next_cursor']}", body=content_is_hot())[1]

    assert (first["leads"], second["leads"], second["next_cursor"]) == (1, 1, None)
    assert first["matrix"]["hot"]["hot"] + second["matrix"]["hot"]["hot"] == 1


@pytest.mark.parametrize(("query", "code"), [("period=2026-13", "invalid_period"),
                                             ("period=2025-01..2026-11", "period_too_long")])
def test_a_trial_of_a_period_that_is_not_one_is_refused_naming_it(stack, query, code):
    status, answer = admin_api(stack, "POST", f"/admin/rules/b2b/try?{query}", body=EXAMPLE_RULE_SET)

    assert (status, answer["code"], [e["field"] for e in answer["errors"]]) == (400, code, ["period"])


def test_a_trial_of_an_invalid_rule_set_is_refused_like_storing_it(stack):
    status, answer = admin_api(stack, "POST", "/admin/rules/b2b/try?period=2026-11",
                               body={**EXAMPLE_RULE_SET, "thresholds": {"warm": 9, "hot": 1}})

    assert (status, answer["code"], [e["field"] for e in answer["errors"]]) == (400, "invalid_rules", ["thresholds"])


# -- leadflow rules try ----------------------------------------------------------------------


def test_rules_try_answers_what_the_api_answers_and_prints_tables(stack, two_leads, tmp_path):
    path = tmp_path / "proposal.json"
    path.write_text(json.dumps(content_is_hot()), encoding="utf-8")
    api = admin_api(stack, "POST", f"/admin/rules/b2b/try?period={this_period()}", body=content_is_hot())[1]
    target = cli_target(stack)

    code, out, err = leadflow("rules", "try", str(path), "--period", this_period(), "--json", target=target)

    assert (code, err) == (0, "")
    assert json.loads(out) == api
    code, text, _err = leadflow("rules", "try", str(path), "--period", this_period(), target=target)
    assert code == 0
    lines = [line.split() for line in text.splitlines()]
    assert ["2", "leads", "scored,", "1", "would", "change", "temperature", "(1", "up,", "0", "down);", "not",
            "scored:", "0", "erased,", "0", "of", "the", "other", "profile,", "0", "without", "a", "submission"] in lines
    assert ["cold", "0", "0", "1"] in lines and ["hot", "0", "0", "1"] in lines  # the matrix
    assert ["intent-content", "-10", "70", "1", "1"] in lines
    assert ["hot", "1", "1", "1", "100.0%", "2", "1", "1", "100.0%"] in lines  # conversion now and proposed


def test_rules_try_exit_codes(stack, tmp_path):
    target = cli_target(stack)
    valid, invalid = tmp_path / "valid.json", tmp_path / "invalid.json"
    valid.write_text(json.dumps(EXAMPLE_RULE_SET), encoding="utf-8")
    invalid.write_text(json.dumps({**EXAMPLE_RULE_SET, "thresholds": {"warm": 9, "hot": 1}, "rules": []}),
                       encoding="utf-8")

    assert leadflow("rules", "try", str(valid), "--period", "2026-11", target=target)[0] == 0
    code, out, err = leadflow("rules", "try", str(invalid), "--period", "2026-11", target=target)
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 2  # every problem, one a line
    code, _out, err = leadflow("rules", "try", str(valid), "--period", "2026-13", target=target)
    assert code == 1 and "period: there is no month 2026-13 [invalid_period]" in err
    assert leadflow("rules", "try", str(valid), target=target)[0] == 2  # --period is required
    assert leadflow("rules", "try", str(tmp_path / "missing.json"), "--period", "2026-11", target=target)[0] == 2
