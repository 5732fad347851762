"""One scale a sales team reads at a glance: every score 0-100, thresholds on it, stored
scores from before it read on it (issue 17)."""

import pytest
from pydantic import ValidationError

from leadflow.routing.calibration import score_band
from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import Thresholds
from leadflow.routing.scoring import score_submission
from leadflow.shared.clock import utc_now
from leadflow.shared.models import ContactCard, Score, Source, Submission, Temperature


def submission(interest: str, fields: dict[str, str] | None = None, **contact: str) -> Submission:
    return Submission(submission_id="s1", lead_id="l1", form_id="demo", received_at=utc_now(),
                      contact=ContactCard(**contact), source=Source(form_id="demo"), interest=interest,
                      fields=fields or {})


def test_a_ceo_asking_for_a_quote_scores_100_with_the_parts_sum_kept():
    score = score_submission(submission("quote", {"company_size": "200"}, name="Ada Boss", email="ada@acme-corp.com",
                                        phone="+14155550134", company="Acme Corp", job_title="CEO", country="US"))
    raw = sum(p.points for p in score.parts)
    assert raw > 100  # the default rules can add up past the scale
    assert score.points == 100 and score.raw_points == raw and score.temperature == Temperature.HOT


def test_a_score_inside_the_scale_keeps_no_raw_sum():
    score = score_submission(submission("question", name="Wes Asker", email="wes@globex.com"))
    assert 0 <= score.points <= 100 and score.raw_points is None


def test_negative_signals_stop_at_zero():
    score = score_submission(submission("ebook", name="x", email="bot@mailinator.com"))
    assert sum(p.points for p in score.parts) < 0
    assert score.points == 0 and score.raw_points < 0 and score.temperature == Temperature.COLD


def test_a_score_stored_before_the_scale_reads_on_it_with_its_temperature():
    stored = {"points": 110, "temperature": "hot", "parts": [], "rule_set_version": "2024-01"}
    score = Score.model_validate(stored)
    assert (score.points, score.raw_points, score.temperature) == (100, 110, Temperature.HOT)
    assert Score.model_validate({**stored, "points": -15, "temperature": "cold"}).points == 0
    # AND written back (an API answer, an event), it is on the scale
    assert Score.model_validate(score.model_dump(mode="json")) == score


@pytest.mark.parametrize(("warm", "hot"), [(30, 120), (0, 60)])
def test_thresholds_off_the_scale_are_refused(warm, hot):
    with pytest.raises(ValidationError, match="scale"):
        Thresholds(warm=warm, hot=hot)


def test_the_default_rule_sets_thresholds_lie_on_the_scale():
    for profile in ("b2b", "b2c"):
        thresholds = default_rule_set(profile).thresholds
        assert 1 <= thresholds.warm < thresholds.hot <= 100


@pytest.mark.parametrize(("points", "band"), [(0, (0, 19)), (79, (60, 79)), (80, (80, 100)), (100, (80, 100)),
                                              (110, (80, 100)), (-15, (0, 19))])
def test_calibration_bands_end_at_100(points, band):
    assert score_band(points, 20) == band
