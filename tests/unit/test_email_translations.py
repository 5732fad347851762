"""Spanish and Arabic manager emails are wholly in the manager's language (issue 17):
the score's reasons (the rule set gives them per language, English when it has none) and
the known values (interest, channel, temperature)."""

import pytest
from pydantic import ValidationError

from leadflow.notification.render import render_assignment_email
from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import RuleSet
from leadflow.routing.scoring import score_submission
from leadflow.shared.models import ChannelKind, Source, Temperature


@pytest.fixture
def email_in(make_submission, make_lead, make_assignment, make_manager):
    def render(language: str):
        manager = make_manager(languages=[language])
        submission = make_submission(is_new_lead=True, name="Ana Ruiz", email="ana@acme-corp.com", interest="quote",
                                     source=Source(form_id="demo-form", channel=ChannelKind.INBOUND))
        score = score_submission(submission, default_rule_set("b2b"))
        lead = make_lead(submission, score=score)
        return render_assignment_email(lead, submission, manager,
                                       make_assignment(submission, manager, score.points, Temperature.WARM))
    return render


@pytest.mark.parametrize(("language", "reason", "interest", "channel"), [
    ("es", "+40 Pidió presupuesto, demo, precios o comprar", "un presupuesto", "entrante"),
    ("ar", "+40 طلب عرض سعر أو عرضًا تجريبيًا أو الأسعار أو الشراء", "عرض سعر", "وارد"),
    ("en", "+40 Asked for a quote, demo, pricing or to buy", "a quote", "inbound"),
])
def test_reasons_and_known_values_are_in_the_managers_language(email_in, language, reason, interest, channel):
    email = email_in(language)
    for body in (email.text, email.html):
        assert reason in body and interest in body and channel in body
    if language != "en":
        assert "Asked for a quote" not in email.text and ": quote" not in email.text and "inbound" not in email.text


def test_every_default_rule_has_its_reason_in_spanish_and_arabic():
    for profile in ("b2b", "b2c"):
        for rule in default_rule_set(profile).rules:
            assert set(rule.reasons) == {"es", "ar"}, rule.id


def test_a_reason_without_the_managers_language_falls_back_to_english(make_score):
    [part] = make_score([("custom", 10, "Our own reason")]).parts
    assert part.reason_in("ar") == "Our own reason"


def test_a_rule_sets_reasons_are_checked():
    rules = default_rule_set("b2b").model_dump()
    rules["rules"][0]["reasons"] = {"spanish": "x"}
    with pytest.raises(ValidationError, match="reasons"):
        RuleSet.model_validate(rules)
