"""leadflow.capture.form_tools: what no single tool's sample shows (tests/integration/
test_capture_form_tools.py runs each tool's real post through capture)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.capture.body import parse_form_body
from leadflow.capture.form_tools import fields_of_flat, fields_of_json

JSON = "application/json"


def test_nested_json_from_a_script_is_read_by_its_inner_names():
    body = json.dumps({"lead": {"name": "Ana", "email": "ana@acme.io", "address": {"city": "Madrid"}},
                       "tags": ["a", "b"]})

    assert parse_form_body(body, JSON, False) == {"name": "Ana", "email": "ana@acme.io",
                                                  "lead[address][city]": "Madrid", "tags": "a, b"}


def test_the_field_map_wins_over_every_guess():
    # input_3 looks like a phone; the form says it is the company's number of employees
    fields = {"gform_submit": "1", "input_1": "Ana", "input_2": "ana@acme.io", "input_3": "5000000"}

    assert fields_of_flat(fields, {"input_3": "company_size"})["company_size"] == "5000000"
    assert fields_of_flat(fields)["phone"] == "5000000"


def test_the_forms_honeypot_keeps_its_name_whatever_a_bot_writes_in_it():
    fields = {"gform_submit": "1", "input_1": "Ana", "input_2": "ana@acme.io", "input_9": "bot@spam.example"}

    assert fields_of_flat(fields, keep=("input_9",))["input_9"] == "bot@spam.example"
    assert fields_of_flat(fields, keep=("input_9",))["email"] == "ana@acme.io"


def test_ips_and_user_agents_the_tools_pass_on_are_not_kept():
    netlify = {"data": {"email": "ana@acme.io", "ip": "203.0.113.7", "user_agent": "Mozilla"}, "form_id": "f",
               "form_name": "contact"}

    assert fields_of_json(netlify) == {"email": "ana@acme.io", "_form_id": "f", "_form_name": "contact"}


def test_a_body_that_only_looks_like_a_tools_is_read_as_plain_json():
    # a Typeform-like body whose field id is a list, a Tally-like one whose choices are objects
    typeform = {"form_response": {"answers": [{"type": "text", "text": "Ana", "field": {"id": ["x"]}}],
                                  "definition": {"fields": [{"id": ["x"], "title": "Name"}]}}}
    tally = {"eventType": "FORM_RESPONSE", "data": {"fields": [{"label": "Team", "value": [{"id": 1}],
                                                                "options": [{"id": [1], "text": "x"}]}]}}

    assert fields_of_json(typeform)["form_response[answers][0][text]"] == "Ana"
    assert "data[fields][0][label]" in fields_of_json(tally)


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                         st.sampled_from(["fields", "name", "value", "data", "form_response", "answers", "field",
                                          "id", "type", "text", "options", "label", "eventType", "payload",
                                          "triggerType", "form_id", "date_created", "1.3", "context", "hidden"]),
                         inner, max_size=5), max_leaves=30)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["fields", "form_response", "data", "eventType", "payload", "triggerType",
                                        "form_id", "date_created", "2", "human_fields", "site_url", "lead"]),
                       _json, max_size=6))
def test_any_json_object_is_read_without_an_error(data):
    fields = fields_of_json(data)

    assert all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items())
