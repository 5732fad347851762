"""capture: each form tool's real post (events/capture-tool-*.json) makes the right lead,
and Google Ads lead forms' webhook (events/capture-google-ads.json) is checked and read."""

import copy
import io
import json

import pytest

from leadflow_cli.main import main
from support import cli_target, items_of, load_event, stores_of

JANE = {"name": "Jane Doe", "email": "jane.doe@acme-corp.com", "phone": "+14155550134", "company": "Acme Corp"}
MESSAGE = "We need 40 seats before January.\nPlease call me in the morning."


def only_lead_and_submission(table) -> tuple[dict, dict]:
    [lead] = items_of(table, "lead")
    [submission] = items_of(table, "submission")
    return lead, submission


# event → (form field_map, expected consent, expected source fields); the demo form asks
# for consent (it has a consent text), so a tool that sends none gives a consent not given.
TOOLS = {
    "gravity-forms": ({"input_7": "company"}, True, {}),
    "gravity-forms-webhook": ({"input_7": "company"}, True, {"landing_page": "https://www.example.com/contact/"}),
    "elementor": ({}, True, {"landing_page": "https://www.example.com/contact/"}),
    "wpforms": ({"wpforms[fields][4]": "company"}, True,
                {"landing_page": "https://www.example.com/contact/", "referrer": "https://www.google.com/",
                 "channel": "inbound"}),
    "jotform": ({}, False, {}),
    "jotform-webhook": ({}, False, {}),
    "hubspot": ({}, True, {"landing_page": "https://www.example.com/contact/"}),
    "typeform": ({}, True, {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "winter-sale",
                            "channel": "inbound"}),
    "tally": ({}, True, {"utm_campaign": "winter-sale"}),
    "webflow": ({}, False, {}),
    "netlify": ({}, False, {"referrer": "https://www.example.com/contact/", "channel": "inbound"}),
    "unbounce": ({}, False, {"landing_page": "https://www.example.com/landing?utm_source=google"}),
    "jquery-nested": ({}, False, {"utm_source": "google", "utm_medium": "cpc", "channel": "inbound"}),
    "formspree": ({}, False, {}),
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_each_form_tools_post_makes_the_right_lead(stack, table, tool):
    # GIVEN the demo form, with the field map a user of this tool would set
    field_map, consent, source = TOOLS[tool]
    if field_map:
        stores_of(stack).capture.update_form("demo", {"field_map": field_map}, [])

    # WHEN the tool's real post arrives
    response = stack.invoke("CaptureFunction", load_event(f"capture-tool-{tool}"))

    # THEN it is accepted and makes one lead with the person, the message, consent and source
    assert response["statusCode"] == 202, response["body"]
    lead, submission = only_lead_and_submission(table)
    assert {k: lead["contact"].get(k) for k in JANE} == JANE
    assert submission["message"] == MESSAGE
    assert submission["consent"]["given"] is consent
    assert {k: lead["source"].get(k) for k in source} == source
    # the tools' metadata and the IPs they pass on are not kept as fields
    kept = json.dumps(submission.get("fields", {}))
    assert "203.0.113.7" not in kept and "Mozilla" not in kept and "gform" not in kept


def test_a_tool_field_the_map_does_not_name_is_kept_as_a_custom_field(stack, table):
    # GIVEN a Gravity Forms post and no field map: input_7 (the company) cannot be guessed
    response = stack.invoke("CaptureFunction", load_event("capture-tool-gravity-forms"))

    assert response["statusCode"] == 202
    lead, submission = only_lead_and_submission(table)
    assert lead["contact"]["email"] == "jane.doe@acme-corp.com" and "company" not in lead["contact"]
    assert submission["fields"]["input_7"] == "Acme Corp"


@pytest.mark.parametrize(("event_name", "field", "value"), [
    ("capture-tool-netlify-honeypot", None, None),  # Netlify's bot-field, filled
    ("capture-tool-formspree", "_gotcha", "http://spam.example"),
    ("capture-tool-wpforms", "wpforms[hp]", "http://spam.example"),
])
def test_a_tools_own_honeypot_filled_is_spam_answered_as_success(stack, table, event_name, field, value):
    event = copy.deepcopy(load_event(event_name))
    if field:
        event["body"] = event["body"].replace(f"{field.replace('[', '%5B').replace(']', '%5D')}=",
                                              f"{field.replace('[', '%5B').replace(']', '%5D')}={value}")

    response = stack.invoke("CaptureFunction", event)

    assert response["statusCode"] == 202
    assert items_of(table, "lead") == []
    assert len(items_of(table, "spam")) == 1


def test_gravity_forms_honeypot_is_named_per_form(stack, table):
    # Gravity's honeypot is input_<largest id + 1>: the form names it with honeypot_field
    stores_of(stack).capture.update_form("demo", {"honeypot_field": "input_8"}, [])
    event = copy.deepcopy(load_event("capture-tool-gravity-forms"))
    event["body"] = event["body"].replace("input_8=", "input_8=jane%40bot.example")

    response = stack.invoke("CaptureFunction", event)

    assert response["statusCode"] == 202
    assert items_of(table, "lead") == [] and len(items_of(table, "spam")) == 1


# -- Google Ads lead forms --------------------------------------------------------------------


def google_ads_event(**changes) -> dict:
    event = copy.deepcopy(load_event("capture-google-ads"))
    event["body"] = json.dumps({**json.loads(event["body"]), **changes})
    return event


@pytest.fixture
def google_ads_form(stack):
    stores_of(stack).capture.update_form("demo", {"google_ads_key": "demo-google-key-0123"}, [])


def test_a_google_ads_lead_is_captured_with_its_click_and_campaign(stack, table, google_ads_form):
    response = stack.invoke("CaptureFunction", load_event("capture-google-ads"))

    assert response["statusCode"] == 200, response["body"]
    lead, submission = only_lead_and_submission(table)
    assert {k: lead["contact"].get(k) for k in JANE} == JANE
    assert lead["contact"]["job_title"] == "Head of Operations"
    assert "40" in submission["fields"].values()  # a custom question, kept by its name
    source = lead["source"]
    assert source["gclid"] == "EAIaIQobChMI8Yz-demo-gclid" and source["utm_campaign"] == "281489216452814"
    assert source["utm_source"] == "google" and source["utm_medium"] == "cpc" and source["channel"] == "inbound"
    assert source["ad_lead_id"].startswith("TeSter-123")

    # Google's retry of the same lead is the same submission
    again = stack.invoke("CaptureFunction", load_event("capture-google-ads"))
    assert again["statusCode"] == 200
    assert json.loads(again["body"])["submission_id"] == submission["submission_id"]
    assert len(items_of(table, "submission")) == 1


@pytest.mark.parametrize(("key", "code"), [("wrong-key-0000", "invalid_google_key"), ("", "invalid_google_key")])
def test_a_google_ads_post_with_another_key_is_a_403(stack, table, google_ads_form, key, code):
    response = stack.invoke("CaptureFunction", google_ads_event(google_key=key))

    assert response["statusCode"] == 403
    assert [e["code"] for e in json.loads(response["body"])["errors"]] == [code]
    assert items_of(table, "lead") == []


def test_a_form_without_a_google_ads_key_takes_no_google_leads(stack, table):
    response = stack.invoke("CaptureFunction", load_event("capture-google-ads"))

    assert response["statusCode"] == 403
    assert json.loads(response["body"])["errors"][0]["code"] == "google_ads_off"


def test_a_google_ads_test_lead_is_checked_but_not_stored(stack, table, google_ads_form):
    response = stack.invoke("CaptureFunction", google_ads_event(is_test=True))

    assert response["statusCode"] == 200
    assert items_of(table, "lead") == [] and items_of(table, "submission") == []


@pytest.mark.parametrize("body", ["not json", "[]", json.dumps({"user_column_data": []})])
def test_a_post_that_is_no_google_ads_lead_is_a_400(stack, google_ads_form, body):
    event = copy.deepcopy(load_event("capture-google-ads"))
    event["body"] = body

    response = stack.invoke("CaptureFunction", event)

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"][0]["code"] == "malformed_google_lead"


def test_a_google_ads_post_too_large_is_a_413(stack, google_ads_form):
    columns = [{"column_id": f"Q{i}", "string_value": "x" * 400} for i in range(100)]

    response = stack.invoke("CaptureFunction", google_ads_event(user_column_data=columns))

    assert response["statusCode"] == 413
    assert json.loads(response["body"])["errors"][0]["code"] == "body_too_large"


# -- the settings, from the terminal ------------------------------------------------------------


def as_json(*argv: str, target) -> tuple[int, dict]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--json"], target=target, out=out, err=err)
    return code, json.loads(out.getvalue()) if out.getvalue().strip() else {"stderr": err.getvalue()}


def test_field_map_and_google_ads_key_are_set_from_the_terminal_and_checked(stack, table):
    target = cli_target(stack)
    code, form = as_json("forms", "update", "demo", "--set", 'field_map={"input_7": "company"}',
                         "--set", "google_ads_key=demo-google-key-0123", target=target)
    assert code == 0 and form["field_map"] == {"input_7": "company"}

    code, refused = as_json("forms", "update", "demo", "--set", 'field_map={"input_7": "favourite_colour"}',
                            target=target)
    assert code == 1
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("field_map.input_7", "unknown_lead_field")]

    # the setting made from the terminal is the one capture reads
    assert stack.invoke("CaptureFunction", load_event("capture-tool-gravity-forms"))["statusCode"] == 202
    assert items_of(table, "lead")[0]["contact"]["company"] == "Acme Corp"
