"""Referral partners on the deployed stack (moto): kept through the admin API and the
`leadflow partners` command, a visit's `ref` attributed at capture (known, unknown,
deactivated), referral forms recording the introduction, and `Referral Received` in the
scorer's own PutEvents call. local/seed.json seeds the chapter `bni-downtown` and its
member `maria-lopez`."""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlencode

import pytest

from leadflow_cli.main import main
from leadflow_local.stack import CallCounter, LocalStack
from support import call_route, claims_of, cli_target, items_of

ADMIN = claims_of(admin=True)
FORM_TYPE = "application/x-www-form-urlencoded"


def admin_api(stack: LocalStack, method: str, path: str, body: Any = None, claims: dict[str, str] | None = ADMIN):
    path, _, query = path.partition("?")
    return call_route(stack, method, path, claims, body, query)


def post(stack: LocalStack, fields: dict[str, str], *, form_id: str = "demo", query: str = "",
         ip: str = "203.0.113.9"):
    body = json.dumps(fields).encode()
    return stack.handle_http("POST", f"/forms/{form_id}/submissions", {"Content-Type": "application/json"}, body,
                             query=query, source_ip=ip)


def lead_by_email(table: Any, email: str) -> dict[str, Any]:
    [lead] = [i for i in items_of(table, "lead") if i["contact"].get("email") == email]
    return lead


def received(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["detail"] for e in events if e["detail-type"] == "Referral Received"]


def calls_of(function_id: str) -> dict[str, int]:
    return {k.split(" ", 1)[1]: v for k, v in CallCounter.by_function.items() if k.startswith(f"{function_id} ")}


def cli(stack: LocalStack, *args: str) -> tuple[int, Any]:
    out = io.StringIO()
    code = main([*args, "--json"], target=cli_target(stack), out=out, err=io.StringIO())
    text = out.getvalue()
    return code, json.loads(text) if text.strip() else None


# -- partners kept by admins -----------------------------------------------------------------------


def test_a_partner_is_added_in_any_case_listed_and_shown_with_its_referral_link(stack):
    created = admin_api(stack, "POST", "/admin/partners", {
        "partner_id": "Tom-Baker", "name": "Tom Baker", "kind": "member", "group_id": "BNI-Downtown",
        "email": "Tom@Baker.example.com"})

    assert created.status == 201, created.json
    assert (created.json["partner_id"], created.json["group_id"], created.json["email"]) == (
        "tom-baker", "bni-downtown", "tom@baker.example.com")
    listed = admin_api(stack, "GET", "/admin/partners").json["partners"]
    assert [p["partner_id"] for p in listed] == ["bni-downtown", "maria-lopez", "tom-baker"]
    # The link for the page asked for, its own query kept; else the demo form's first origin.
    shown = admin_api(stack, "GET", "/admin/partners/TOM-BAKER?page=https://www.example.com/roofs?utm_source=card")
    assert shown.json["referral_link"] == "https://www.example.com/roofs?utm_source=card&ref=tom-baker"
    default = admin_api(stack, "GET", "/admin/partners/tom-baker").json["referral_link"]
    assert default.endswith("/?ref=tom-baker") and default.startswith("http://")


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"partner_id": "x", "name": "Too short"}, "partner_id", "invalid_request"),
    ({"partner_id": "ok-code", "name": "A", "group_id": "maria-lopez"}, "group_id", "unknown_group"),
    ({"partner_id": "ok-code", "name": "A", "group_id": "nobody"}, "group_id", "unknown_group"),
    ({"partner_id": "ok-code", "name": "A", "kind": "group", "group_id": "bni-downtown"}, "group_id",
     "group_in_group"),
    ({"partner_id": "ok-code", "name": "A", "email": "not-an-email"}, "email", "invalid_email"),
    ({"partner_id": "ok-code", "name": "   "}, "name", "name_required"),
])
def test_a_partner_breaking_a_rule_is_refused_naming_the_field(stack, body, field, code):
    answer = admin_api(stack, "POST", "/admin/partners", body)

    assert answer.status == 400
    assert code in (answer.code, answer.fields().get(field)), answer.json
    assert field in answer.fields() or any(field in (f or "") for f in answer.fields())
    assert admin_api(stack, "GET", "/admin/partners/ok-code").status == 404


def test_a_taken_code_is_409_and_a_group_with_members_stays_a_group(stack):
    taken = admin_api(stack, "POST", "/admin/partners", {"partner_id": "maria-lopez", "name": "Another María"})
    regroup = admin_api(stack, "PATCH", "/admin/partners/bni-downtown", {"kind": "agency"})

    assert (taken.status, taken.code) == (409, "partner_exists")
    assert (regroup.status, regroup.fields()) == (400, {"kind": "group_has_members"})
    changed = admin_api(stack, "PATCH", "/admin/partners/maria-lopez", {"group_id": None, "loop_emails": False})
    assert (changed.json["group_id"], changed.json["loop_emails"], changed.json["name"]) == (None, False, "María López")


def test_a_partner_is_deactivated_and_reactivated_and_its_qr_code_is_an_svg_of_its_link(stack):
    off = admin_api(stack, "POST", "/admin/partners/maria-lopez/deactivate")
    on = admin_api(stack, "POST", "/admin/partners/maria-lopez/activate")
    qr = admin_api(stack, "GET", "/admin/partners/maria-lopez/qr?page=https://www.example.com/")

    assert (off.json["active"], on.json["active"]) == (False, True)
    assert qr.status == 200 and qr.body.startswith("<svg") and "https://www.example.com/?ref=maria-lopez" in qr.body
    assert admin_api(stack, "GET", "/admin/partners/nobody/qr").code == "partner_not_found"
    assert admin_api(stack, "GET", "/admin/partners/maria-lopez?page=ftp://x").status == 400


def test_the_partner_routes_are_for_admins_only(stack):
    answer = admin_api(stack, "GET", "/admin/partners", claims=claims_of("m-olivia"))

    assert (answer.status, answer.code) == (403, "admins_only")


# -- capture: the visit's ref ----------------------------------------------------------------------


def test_a_post_with_a_known_ref_is_attributed_to_the_partner_and_its_group(stack, table, bus):
    response = post(stack, {"name": "Ana Ruiz", "email": "ana@roofs.example.com", "ref": "Maria-Lopez"})
    stack.pump_streams()

    assert response.status == 202
    source = lead_by_email(table, "ana@roofs.example.com")["source"]
    assert (source["ref"], source["partner_id"], source["partner_group"], source["channel"]) == (
        "Maria-Lopez", "maria-lopez", "bni-downtown", "referral")
    assert "partner_flag" not in source
    # AND the scorer announces it with ids only, in its one PutEvents call
    [event] = received(bus())
    lead = lead_by_email(table, "ana@roofs.example.com")
    assert event == {"schema_version": "1", "lead_id": lead["lead_id"], "submission_id": event["submission_id"],
                     "received_at": event["received_at"], "form_id": "demo", "ref": "Maria-Lopez",
                     "partner_id": "maria-lopez", "group_id": "bni-downtown", "flag": None, "introduced": False,
                     "imported": False}
    assert "ana" not in json.dumps(event).lower() and "lopez-roofing" not in json.dumps(event)


def test_an_unknown_ref_is_captured_kept_as_given_and_flagged(stack, table, bus):
    response = post(stack, {"name": "Ben", "email": "ben@roofs.example.com"}, query="ref=no-such-partner")
    odd = post(stack, {"name": "Cy", "email": "cy@roofs.example.com", "_ref": "<b>not a code</b>"}, ip="203.0.113.10")
    stack.pump_streams()

    assert (response.status, odd.status) == (202, 202)
    ben = lead_by_email(table, "ben@roofs.example.com")["source"]
    assert (ben["ref"], ben["partner_flag"], ben["channel"]) == ("no-such-partner", "unknown", "referral")
    assert "partner_id" not in ben
    cy = lead_by_email(table, "cy@roofs.example.com")["source"]
    assert (cy["ref"], cy["partner_flag"]) == ("<b>not a code</b>", "unknown")
    assert sorted((e["ref"], e["flag"], e["partner_id"]) for e in received(bus())) == [
        ("<b>not a code</b>", "unknown", None), ("no-such-partner", "unknown", None)]


def test_a_deactivated_partners_code_is_captured_attributed_and_flagged(stack, table, bus):
    admin_api(stack, "POST", "/admin/partners/bni-downtown/deactivate")

    post(stack, {"name": "Dee", "email": "dee@roofs.example.com", "referral_code": "bni-downtown"})
    stack.pump_streams()

    source = lead_by_email(table, "dee@roofs.example.com")["source"]
    assert (source["partner_id"], source["partner_flag"]) == ("bni-downtown", "inactive")
    assert [(e["partner_id"], e["flag"]) for e in received(bus())] == [("bni-downtown", "inactive")]


def test_a_post_without_ref_costs_no_partner_read_and_a_burst_with_one_reads_it_once(stack, table, bus):
    post(stack, {"name": "Warm", "email": "warm@roofs.example.com"})  # the form is cached from here on
    CallCounter.reset()

    post(stack, {"name": "Eve", "email": "eve@roofs.example.com"})
    without = calls_of("CaptureFunction")
    stack.pump_streams()
    bus()
    CallCounter.reset()
    post(stack, {"name": "Fay", "email": "fay@roofs.example.com", "ref": "maria-lopez"})
    post(stack, {"name": "Gus", "email": "gus@roofs.example.com", "ref": "maria-lopez"})
    with_ref = calls_of("CaptureFunction")

    assert without == {"dynamodb.TransactWriteItems": 1}
    assert with_ref == {"dynamodb.TransactWriteItems": 2, "dynamodb.GetItem": 1}  # the partner, cached
    # AND the scorer announces both referrals with their scores: no PutEvents call of their own
    stack.pump_streams()
    assert calls_of("ScoreFunction")["events.PutEvents"] == 1
    assert len(received(bus())) == 2


# -- the referral form -----------------------------------------------------------------------------


@pytest.fixture
def referral_form(stack: LocalStack) -> str:
    created = admin_api(stack, "POST", "/admin/forms", {"form_id": "refer", "name": "Refer someone",
                                                        "referral_form": True, "rate_limit_per_minute": 30})
    assert created.status == 201, created.json
    return "refer"


def test_a_partner_refers_someone_by_email_and_the_lead_records_the_introduction(stack, table, bus, referral_form):
    response = post(stack, {"name": "Hana Mori", "email": "hana@shop.example.com",
                            "partner_email": "Maria@Lopez-Roofing.example.com",
                            "introduction": "Hana needs her roof redone before winter.",
                            "consent_method": "asked in person", "consent_note": "at the chapter breakfast"},
                    form_id=referral_form)
    stack.pump_streams()

    assert response.status == 202, response.body
    lead = lead_by_email(table, "hana@shop.example.com")
    assert lead["introduction"] == {"referred_by": "maria@lopez-roofing.example.com", "partner_id": "maria-lopez",
                                    "note": "Hana needs her roof redone before winter.",
                                    "consent_method": "asked_in_person", "consent_note": "at the chapter breakfast"}
    assert (lead["source"]["ref"], lead["source"]["partner_id"], lead["source"]["channel"]) == (
        "maria-lopez", "maria-lopez", "referral")
    [submission] = [s for s in items_of(table, "submission") if s["lead_id"] == lead["lead_id"]]
    assert submission["introduction"] == lead["introduction"] and not submission.get("fields")
    [event] = received(bus())
    assert (event["introduced"], event["partner_id"], event["ref"]) == (True, "maria-lopez", "maria-lopez")
    assert "lopez-roofing" not in json.dumps(event)  # the partner's email never goes out in events


def test_an_unknown_partner_on_a_referral_form_is_captured_flagged_and_its_email_kept_out_of_ref(
        stack, table, referral_form):
    by_email = post(stack, {"name": "Ivo", "email": "ivo@shop.example.com", "referred_by": "who@nowhere.example.com",
                            "consent_method": "person_asked_us"}, form_id=referral_form)
    by_code = post(stack, {"name": "Jo", "email": "jo@shop.example.com", "referred_by": "mystery-member",
                           "consent_method": "other"}, form_id=referral_form, ip="203.0.113.11")

    assert (by_email.status, by_code.status) == (202, 202)
    ivo = lead_by_email(table, "ivo@shop.example.com")
    assert (ivo["source"]["ref"], ivo["source"]["partner_flag"]) == ("@unknown-email", "unknown")
    assert ivo["introduction"]["referred_by"] == "who@nowhere.example.com"
    jo = lead_by_email(table, "jo@shop.example.com")
    assert (jo["source"]["ref"], jo["source"]["partner_flag"]) == ("mystery-member", "unknown")


def test_a_referral_form_needs_the_partner_and_how_consent_was_obtained(stack, table, referral_form):
    answer = post(stack, {"name": "Kim", "email": "kim@shop.example.com", "consent_method": "telepathy"},
                  form_id=referral_form)

    assert answer.status == 422
    assert {(e["field"], e["code"]) for e in json.loads(answer.body)["errors"]} == {
        ("referred_by", "referred_by_required"), ("consent_method", "consent_method_required")}
    assert not [i for i in items_of(table, "lead") if i["contact"].get("email") == "kim@shop.example.com"]


# -- the command and the apply file ----------------------------------------------------------------


def test_the_command_adds_changes_shows_and_draws_a_partner(stack, tmp_path):
    added = cli(stack, "partners", "add", "Acme-Agency", "--name", "Acme Agency", "--kind", "agency",
                "--email", "hello@acme-agency.example.com", "--language", "ES")
    changed = cli(stack, "partners", "change", "acme-agency", "--loop-emails", "off", "--no-email")
    shown = cli(stack, "partners", "show", "acme-agency", "--page", "https://www.example.com/offer")
    svg, png = tmp_path / "card.svg", tmp_path / "card.png"
    drawn = cli(stack, "partners", "qr", "acme-agency", "--page", "https://www.example.com/", "--output", str(svg))
    cli(stack, "partners", "qr", "acme-agency", "--page", "https://www.example.com/", "--output", str(png))
    refused = cli(stack, "partners", "add", "bad", "--name", "Bad", "--group", "acme-agency")

    assert added[0] == 0 and (added[1]["partner_id"], added[1]["language"]) == ("acme-agency", "es")
    assert changed[0] == 0 and (changed[1]["loop_emails"], changed[1]["email"]) == (False, None)
    assert shown[1]["referral_link"] == "https://www.example.com/offer?ref=acme-agency"
    assert drawn[0] == 0 and svg.read_text().startswith("<svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert refused[0] == 1
    assert cli(stack, "partners", "deactivate", "acme-agency")[1]["active"] is False
    assert [p["partner_id"] for p in cli(stack, "partners", "list")[1]["partners"]] == [
        "acme-agency", "bni-downtown", "maria-lopez"]


def test_apply_creates_groups_before_members_and_names_an_unknown_group(stack, tmp_path):
    setup = tmp_path / "setup.json"
    setup.write_text(json.dumps({"partners": [
        {"partner_id": "chamber-member", "name": "A member", "kind": "member", "group_id": "city-chamber"},
        {"partner_id": "city-chamber", "name": "City chamber", "kind": "group"}]}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"partners": [{"partner_id": "lost", "name": "Lost", "group_id": "no-group"}]}))

    first = cli(stack, "apply", str(setup))
    again = cli(stack, "apply", str(setup))
    refused = cli(stack, "apply", str(bad))

    assert first[0] == 0 and [c["action"] for c in first[1]["changes"]] == ["create", "create"]
    assert [c["id"] for c in first[1]["changes"]] == ["city-chamber", "chamber-member"]
    assert [c["action"] for c in again[1]["changes"]] == ["unchanged", "unchanged"]
    assert refused[0] == 1
    assert admin_api(stack, "GET", "/admin/partners/chamber-member").json["group_id"] == "city-chamber"


def test_referral_links_post_as_urlencoded_too(stack, table):
    body = urlencode({"name": "Lu", "email": "lu@roofs.example.com", "fpr": "maria-lopez"}).encode()
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": FORM_TYPE}, body,
                                 source_ip="203.0.113.12")

    assert response.status in (202, 303)
    assert lead_by_email(table, "lu@roofs.example.com")["source"]["partner_id"] == "maria-lopez"
