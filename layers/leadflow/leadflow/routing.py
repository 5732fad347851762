"""Scoring a new submission and routing its lead to the right manager."""

from __future__ import annotations

from leadflow.assignment import choose_manager
from leadflow.events import EventPublisher
from leadflow.models import LeadAssigned, LeadUnassigned, Manager, Score, Submission
from leadflow.repository import AlreadyScored, LeadRepository
from leadflow.scoring import RuleSet, score_submission

LEAD_ASSIGNED = "Lead Assigned"
LEAD_UNASSIGNED = "Lead Unassigned"


def score_and_assign(
    submission: Submission, repository: LeadRepository, publisher: EventPublisher,
    rule_set: RuleSet | None = None,
) -> LeadAssigned | LeadUnassigned | None:
    """Score the submission, keep or pick the lead's manager, store both, announce it.

    A returning lead stays with its active manager. A redelivered record finds its
    submission already scored: nothing is counted twice, the event is published again
    (the notifier is idempotent per submission and manager, so nobody is emailed twice).
    A record of a submission that is not stored (erased since, or written by a
    transaction that was cancelled) has nothing to score: None."""
    score = score_submission(submission, rule_set)
    managers = {m.manager_id: m for m in repository.list_managers()}
    current = None
    if not submission.is_new_lead:
        lead = repository.get_lead(submission.lead_id)
        current = managers.get(lead.manager_id) if lead and lead.manager_id else None
    if current is not None and current.active:
        manager: Manager | None = current
        new_assignment = False
    else:
        manager = choose_manager(list(managers.values()), score.temperature, submission.language)
        new_assignment = True

    try:
        repository.record_assignment(submission, score, manager, new_assignment)
    except AlreadyScored:
        stored = repository.get_submission(submission.lead_id, submission.received_at, submission.submission_id)
        if stored is None or "score" not in stored:
            return None
        score = Score.model_validate(stored["score"])
        manager = managers.get(stored.get("manager_id", ""))
    return announce(submission, score, manager, publisher)


def announce(submission: Submission, score: Score, manager: Manager | None,
             publisher: EventPublisher) -> LeadAssigned | LeadUnassigned:
    """`Lead Assigned` to the manager, or `Lead Unassigned` so the admins act."""
    detail: LeadAssigned | LeadUnassigned
    if manager is None:
        detail = LeadUnassigned(
            lead_id=submission.lead_id, submission_id=submission.submission_id,
            received_at=submission.received_at, form_id=submission.form_id,
            points=score.points, temperature=score.temperature,
        )
        publisher.publish(LEAD_UNASSIGNED, detail)
        return detail
    detail = LeadAssigned(
        lead_id=submission.lead_id, submission_id=submission.submission_id,
        received_at=submission.received_at, manager_id=manager.manager_id, form_id=submission.form_id,
        points=score.points, temperature=score.temperature, is_new_lead=submission.is_new_lead,
    )
    publisher.publish(LEAD_ASSIGNED, detail)
    return detail
