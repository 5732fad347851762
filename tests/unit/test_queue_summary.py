"""What a queue row shows of a lead besides its card: the strongest reason of its score,
and when its first call is due (leadflow.reporting.views)."""

from datetime import timedelta

from leadflow.reporting.views import summary_of
from leadflow.shared.models import LeadStatus, Temperature
from leadflow.shared.settings import Sla


def test_a_lead_waiting_for_its_first_call_is_due_its_temperatures_minutes_after_assignment(
        make_submission, make_lead, make_score):
    submission = make_submission()
    score = make_score([("size", 10, "Company of 200+"), ("intent", 60, "Asked for a quote"), ("free", -20, "Gmail")])
    lead = make_lead(submission, score).model_copy(update={
        "status": LeadStatus.ASSIGNED, "assigned_at": submission.received_at, "manager_id": "m-1"})

    summary = summary_of(lead, Sla(hot=15, warm=240, cold=2880))

    assert summary.top_reason == "Asked for a quote"
    assert summary.first_call_due_at == submission.received_at + timedelta(minutes=15)
    warm = lead.model_copy(update={"score": score.model_copy(update={"temperature": Temperature.WARM})})
    assert summary_of(warm, Sla()).first_call_due_at == submission.received_at + timedelta(minutes=240)


def test_no_deadline_once_called_or_when_not_waiting(make_submission, make_lead, make_score):
    submission = make_submission()
    lead = make_lead(submission, make_score([("intent", 60, "Asked for a quote")])).model_copy(update={
        "status": LeadStatus.ASSIGNED, "assigned_at": submission.received_at})
    called = lead.model_copy(update={"status": LeadStatus.CONTACTED, "contacted_at": submission.received_at})
    assert summary_of(called, Sla()).first_call_due_at is None
    assert summary_of(lead.model_copy(update={"status": LeadStatus.UNASSIGNED, "assigned_at": None}),
                      Sla()).first_call_due_at is None
    assert summary_of(lead).first_call_due_at is None  # no SLA given: not computed
    assert summary_of(make_lead(submission)).top_reason is None  # not scored yet
