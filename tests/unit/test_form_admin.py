"""What admins give and get for forms and managers, without AWS: the embed snippets
(escaped, posting where capture listens, with what capture expects), and the checks of
a form or a manager before anything is written."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from pydantic import ValidationError

from leadflow.capture.embed import embed_snippets
from leadflow.capture.fields import field_key
from leadflow.capture.form_admin import FormChanges, NewForm, form_problems
from leadflow.routing.manager_admin import ManagerChanges, NewManager
from leadflow.shared.models import FormConfig, Manager
from leadflow.shared.refusal import Invalid, parsed

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/"
HOSTILE = '"><script>alert(1)</script><!-- & \' -->'


class Page(HTMLParser):
    """The tags of a snippet as a browser reads them, with their attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def inputs(self) -> dict[str, dict[str, str | None]]:
        return {str(attrs["name"]): attrs for tag, attrs in self.tags if tag == "input"}

    def form(self) -> dict[str, str | None]:
        [form] = [attrs for tag, attrs in self.tags if tag == "form"]
        return form


def test_the_plain_form_posts_to_capture_with_the_fields_it_expects():
    form = FormConfig(form_id="spring", name="Spring", honeypot_field="_trap", required_fields=["phone"])

    snippets = embed_snippets(form, API)
    page = Page(snippets.html)

    assert snippets.action_url == "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/forms/spring/submissions"
    assert page.form() == {"method": "post", "action": snippets.action_url, "aria-label": "Spring"}
    inputs = page.inputs()
    assert list(inputs) == ["name", "email", "phone", "_trap", "_next"]
    assert "required" in inputs["name"] and "required" in inputs["phone"] and "required" not in inputs["email"]
    assert inputs["_trap"]["tabindex"] == "-1" and inputs["_next"] == {"type": "hidden", "name": "_next", "value": ""}
    assert "script" not in [tag for tag, _ in page.tags]


def test_the_leadflow_js_variant_is_the_same_form_enhanced():
    form = FormConfig(form_id="spring", name="Spring")

    page = Page(embed_snippets(form, API).leadflow_js)

    assert "data-leadflow" in page.form()
    assert [attrs for tag, attrs in page.tags if tag == "script"] == [{"src": "leadflow.js", "defer": None}]
    assert any(tag == "p" and "data-leadflow-status" in attrs for tag, attrs in page.tags)
    assert list(page.inputs()) == ["name", "email", "phone", "_gotcha", "_next"]


@pytest.mark.parametrize("variant", ["html", "leadflow_js"])
def test_everything_an_admin_typed_is_escaped(variant):
    form = FormConfig(form_id="a-b", name=HOSTILE, consent_text=HOSTILE, required_fields=["consent", HOSTILE])

    page = Page(getattr(embed_snippets(form, 'https://x.example.com/v1?a="b"&c'), variant))

    # Parsed as a browser would, every value is exactly what was typed, and no tag came from it.
    assert page.form()["aria-label"] == HOSTILE
    assert page.form()["action"] == 'https://x.example.com/v1?a="b"&c/forms/a-b/submissions'
    assert field_key(HOSTILE) in page.inputs()  # a required field, by the name capture reads it under
    assert any(HOSTILE in text for text in page.text)
    assert [tag for tag, _ in page.tags if tag == "script"] == ([] if variant == "html" else ["script"])


def test_next_is_the_thank_you_page_only_where_capture_will_follow_it():
    on_origin = FormConfig(form_id="f", name="F", thank_you_url="https://www.example.com/thanks",
                           allowed_origins=["https://www.example.com"])
    elsewhere = on_origin.model_copy(update={"allowed_origins": ["https://shop.example.com"]})

    assert Page(embed_snippets(on_origin, API).html).inputs()["_next"]["value"] == "https://www.example.com/thanks"
    assert Page(embed_snippets(elsewhere, API).html).inputs()["_next"]["value"] == ""


def test_the_labels_speak_the_forms_language():
    page = Page(embed_snippets(FormConfig(form_id="f", name="F", language="es"), API).html)

    assert "Nombre " in page.text and "Enviar" in page.text


# -- the checks ------------------------------------------------------------------------------

def test_the_admins_form_models_cover_exactly_the_form_and_default_as_it_does():
    settings = set(FormConfig.model_fields)
    assert set(NewForm.model_fields) == settings
    assert set(FormChanges.model_fields) == settings - {"form_id"}
    new = NewForm(form_id="f", name="F")
    assert FormConfig.model_validate(new.model_dump()) == FormConfig(form_id="f", name="F")


def test_the_admins_manager_models_never_carry_the_load():
    assert set(NewManager.model_fields) | {"open_leads", "last_assigned_at", "email_status",
                                           "email_status_at"} == set(Manager.model_fields)
    assert set(ManagerChanges.model_fields) == set(NewManager.model_fields) - {"manager_id"}


def test_a_change_names_only_what_was_sent_and_null_only_clears_what_may_be_empty():
    assert FormChanges.model_validate({"name": "N", "thank_you_url": None}).sent() == {"name": "N",
                                                                                      "thank_you_url": None}
    assert FormChanges.model_validate({}).sent() == {}
    with pytest.raises(ValidationError) as refused:
        FormChanges.model_validate({"name": None, "rate_limit_per_minute": "5", "enabled": 0})
    assert {e["loc"][0] for e in refused.value.errors()} == {"name", "rate_limit_per_minute", "enabled"}
    # JSON's 30.0 is 30; a tiny fraction of a second is kept to the millisecond.
    assert FormChanges.model_validate({"rate_limit_per_minute": 30.0, "min_fill_seconds": 1e-309}).sent() == {
        "rate_limit_per_minute": 30, "min_fill_seconds": 0.0}


@pytest.mark.parametrize(("settings", "problems"), [
    ({}, {}),
    ({"name": " \t"}, {"name": "name_required"}),
    ({"thank_you_url": "//evil.example.com/x", "error_url": "/oops"}, {"thank_you_url": "invalid_url"}),
    ({"allowed_origins": ["https://ok.example.com", "https://bad.example.com/"]},
     {"allowed_origins.1": "invalid_origin"}),
    ({"honeypot_field": "Email Address"}, {"honeypot_field": "honeypot_is_a_field"}),
    ({"required_fields": ["company", "--"]}, {"required_fields.1": "invalid_field_name"}),
    ({"required_fields": ["GDPR"]}, {"consent_text": "consent_text_required"}),
    ({"required_fields": ["GDPR"], "consent_text": "I agree"}, {}),
    ({"field_map": {"input_7": "company", "input_8": "favourite_colour"}}, {"field_map.input_8": "unknown_lead_field"}),
])
def test_a_form_is_checked_for_what_capture_relies_on(settings, problems):
    form = FormConfig.model_validate({"form_id": "f", "name": "F", **settings})

    assert {p.field: p.code for p in form_problems(form)} == problems


def test_parsed_input_names_each_field_at_fault_and_never_echoes_it():
    with pytest.raises(Invalid) as refused:
        parsed(NewManager, {"manager_id": "m x", "name": "Secret Name", "email": "secret@x.com", "tier": "1"})

    assert {(e.field, e.code) for e in refused.value.errors} == {("manager_id", "string_pattern_mismatch"),
                                                                  ("tier", "int_type")}
    assert "Secret" not in str([e.model_dump() for e in refused.value.errors])


@pytest.mark.parametrize("space", ["\x85", "\x1c", "\xa0", "\u2028", "\ufeff", "\x00", " "])
def test_an_origin_or_url_with_a_space_or_control_is_refused_alike_by_every_regex_dialect(space):
    # The document's readers use ECMA's regexes, pydantic Rust's, Python its own; their
    # `\s` differ (U+0085, U+001C), so the patterns spell the characters out.
    import re

    origin, url = f"https://a{space}b", f"/thanks{space}x"
    schema = NewForm.model_json_schema()["properties"]
    origin_pattern = schema["allowed_origins"]["items"]["pattern"]
    url_pattern = next(p["pattern"] for p in schema["thank_you_url"]["anyOf"] if "pattern" in p)

    assert re.search(origin_pattern, origin) is None and re.search(url_pattern, url) is None
    with pytest.raises(ValidationError):
        NewForm(form_id="x", name="x", allowed_origins=[origin])
    with pytest.raises(ValidationError):
        NewForm(form_id="x", name="x", thank_you_url=url)


def test_a_turnstile_form_names_its_secret_and_the_bot_settings_are_admins_settings():
    from leadflow.capture.form_admin import FormChanges, NewForm, checked_form
    from leadflow.shared.refusal import Invalid

    with pytest.raises(Invalid) as refused:
        checked_form(NewForm(form_id="t", name="T", captcha="turnstile").model_dump(mode="json"))
    assert [e.code for e in refused.value.errors] == ["turnstile_secret_required"]

    form = checked_form(NewForm(form_id="p", name="P", captcha="altcha", post_cap_per_window=100,
                                proof_when_capped=True).model_dump(mode="json"))
    assert (form.captcha, form.post_cap_per_window, form.post_cap_window_seconds) == ("altcha", 100, 60)
    assert FormChanges(captcha="none", post_cap_per_window=None).sent() == {"captcha": "none",
                                                                            "post_cap_per_window": None}



def test_a_referral_forms_snippet_asks_for_the_partner_the_introduction_and_how_they_agreed():
    # A referral form's post without its partner or consent method is refused (422): a
    # snippet without those fields would have every partner's introduction refused.
    form = FormConfig(form_id="refer", name="Refer", referral_form=True, language="es")

    page = Page(embed_snippets(form, API).html)

    assert "required" in page.inputs()["referred_by"]
    selects = [attrs for tag, attrs in page.tags if tag == "select"]
    assert [s["name"] for s in selects] == ["consent_method"] and "required" in selects[0]
    options = [attrs["value"] for tag, attrs in page.tags if tag == "option"]
    assert options == ["", "asked_in_person", "asked_in_writing", "asked_by_phone", "person_asked_us", "other"]
    assert ("textarea", {"name": "introduction"}) in page.tags and "consent_note" in page.inputs()
    assert "Su código de socio o su correo " in page.text  # in the form's language
    # and a form that is not a referral form asks none of it
    plain = Page(embed_snippets(FormConfig(form_id="f", name="F"), API).html)
    assert "referred_by" not in plain.inputs() and not any(tag == "select" for tag, _ in plain.tags)
