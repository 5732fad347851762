"""Scoring a submission, routing its lead to the right manager, announcing both.

One submission re-scores its lead (the lead card fills gaps in this submission's contact
data; earlier visits count for repeat rules), keeps or picks the manager, writes all of
it in one transaction and publishes `Lead Scored` plus `Lead Assigned` or
`Lead Unassigned` in one PutEvents call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from leadflow.capture.sources import channel_of
from leadflow.lifecycle.schedules import ReminderDue, due_at
from leadflow.notification.windows import opens_window, window_opened
from leadflow.routing.assignment import Assignment, assign_lead, can_hold_leads
from leadflow.routing.facts import LeadHistory, lead_country, merged_contact
from leadflow.routing.rule_sets import default_rule_set
from leadflow.routing.rules import RuleSet
from leadflow.routing.scoring import score_submission
from leadflow.routing.store import AlreadyScored, ManagerUnavailable, ScoredLead, Telling, scored_through
from leadflow.shared.bus import EventPublisher
from leadflow.shared.clock import utc_now
from leadflow.shared.events import (
    LEAD_ASSIGNED,
    LEAD_SCORED,
    LEAD_UNASSIGNED,
    REFERRAL_RECEIVED,
    LeadAssigned,
    LeadScored,
    LeadUnassigned,
    ReferralReceived,
    ReportedAs,
    TemperatureChange,
)
from leadflow.shared.models import (
    CLOSED_STATUSES,
    AssignmentNotice,
    ContactCard,
    Lead,
    LeadStatus,
    Manager,
    Score,
    Submission,
    Temperature,
)
from leadflow.shared.settings import Sla
from leadflow.storage.transactions import LeadChanged

# Reads and writes per record at most: a manager who fills up between our read and our
# write costs one more round; after this many the lead waits unassigned (never lost).
MAX_ATTEMPTS = 4

_RANK = {Temperature.COLD: 0, Temperature.WARM: 1, Temperature.HOT: 2}


class RuleSets(Protocol):
    def get(self, profile: str) -> RuleSet: ...


class ScoringStore(Protocol):
    """What scoring one submission reads and writes (leadflow.routing.store.RoutingStore)."""

    def get_lead_for_scoring(self, lead_id: str) -> ScoredLead | None: ...

    def previous_visits(self, submission: Submission, days: int) -> tuple[datetime, ...]: ...

    def list_managers(self) -> list[Manager]: ...

    def recent_managers(self) -> list[Manager] | None: ...

    def get_submission(self, lead_id: str, received_at: datetime, submission_id: str) -> dict[str, Any] | None: ...

    def record_assignment(self, submission: Submission, score: Score, manager: Manager | None,
                          new_assignment: bool, *, previous: Score | None = None,
                          expected_manager_id: str | None = None, released: Manager | None = None,
                          released_holds_it: bool = True, today: date | None = None,
                          within_capacity: bool = True, now: datetime | None = None,
                          tell: Telling | None = None) -> None: ...

    def record_superseded_score(self, submission: Submission, score: Score, manager_id: str | None) -> None: ...


@dataclass(frozen=True)
class Routed:
    """What scoring one submission did, for the handler's log and metrics."""

    scored: LeadScored | None
    assignment: LeadAssigned | LeadUnassigned | None
    replayed: bool = False  # a redelivered record: nothing written, the same events again
    superseded: bool = False  # older than the lead's current score: kept on the submission only
    attempts: int = 1

    def log_fields(self) -> dict[str, Any]:
        """Ids and scores for the log line: never a name, email or phone."""
        if self.scored is None:
            return {"replayed": self.replayed, "superseded": self.superseded}
        return {"points": self.scored.points, "temperature": self.scored.temperature.value,
                "change": self.scored.change.value, "rule_set_version": self.scored.rule_set_version,
                "manager_id": getattr(self.assignment, "manager_id", None), "replayed": self.replayed,
                "attempts": self.attempts}

    def metrics(self) -> dict[str, int]:
        """The metrics of a scored record: a redelivery counts only as a replay."""
        if self.scored is None:
            return {}
        if self.replayed:
            return {"ScoreReplayed": 1}
        counted = {"LeadAssigned" if isinstance(self.assignment, LeadAssigned) else "LeadUnassigned": 1,
                   f"Lead{self.scored.temperature.value.capitalize()}": 1}
        if self.attempts > 1:  # a manager filled up or left between our read and our write
            counted["AssignmentRetries"] = self.attempts - 1
        return counted


def temperature_change(previous: Temperature | None, new: Temperature) -> TemperatureChange:
    if previous is None:
        return TemperatureChange.FIRST
    if _RANK[new] > _RANK[previous]:
        return TemperatureChange.ROSE
    if _RANK[new] < _RANK[previous]:
        return TemperatureChange.FELL
    return TemperatureChange.SAME


def _rule_set_for(submission: Submission, rule_sets: RuleSet | RuleSets | None) -> RuleSet:
    if isinstance(rule_sets, RuleSet):
        return rule_sets
    if rule_sets is None:
        return default_rule_set(submission.scoring_profile)
    return rule_sets.get(submission.scoring_profile)


def score_and_assign(submission: Submission, store: ScoringStore, publisher: EventPublisher,
                     rule_sets: RuleSet | RuleSets | None = None, *, today: date | None = None,
                     speed_to_lead: Sla | None = None) -> Routed | None:
    """Score the submission's lead, keep or pick its manager, store both, announce them.

    A returning lead stays with its manager unless they are inactive or away (then the
    lead moves, and their load goes down). When the chosen manager fills up or leaves
    between our read and our write, the roster is read again and the next eligible
    manager tried; after MAX_ATTEMPTS the lead waits in the unassigned queue. The store
    may offer a roster read seconds ago (`recent_managers`): it is used only to give the
    lead to a manager, which the write re-checks, so a stale one costs a retry.

    A redelivered record finds its submission already scored: nothing is written or
    counted again, and the same events are published again (the notifier sends one
    email per submission and manager). A record of a submission that is not stored
    (erased since, or written by a transaction that was cancelled) has nothing to
    score: None.

    The same write holds what the manager's email needs (the notifier's claim takes it)
    and, with `speed_to_lead`, starts the clock of a new assignment and opens the visits
    window of news (leadflow.routing.store.Telling)."""
    rule_set = _rule_set_for(submission, rule_sets)
    today = today or utc_now().date()
    visits: tuple[datetime, ...] | None = None
    unavailable: set[str] = set()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        state: ScoredLead | None = None
        if not submission.is_new_lead or attempt > 1:  # a brand-new lead has no card to read yet
            state = store.get_lead_for_scoring(submission.lead_id)
            if state is None:
                return _replay(submission, store, publisher)
            through = scored_through(submission.received_at)
            if state.scored_through is not None and state.scored_through >= through:
                # This very submission scored the card: a redelivery (its events were
                # refused, say), announced again. A newer one did: superseded.
                replayed = _replay(submission, store, publisher) if state.scored_through == through else None
                return replayed or _supersede(submission, state, rule_set, store)
        days = rule_set.history_days()
        if visits is None and days and not submission.is_new_lead:
            visits = _visits_on_card(submission, state, rule_set)
            if visits is None:
                visits = store.previous_visits(submission, days)
        card = state.lead.contact if state else None
        score = score_submission(submission, rule_set, LeadHistory(card=card, previous_visits=visits or ()))
        previous = state.lead.score if state else None
        current_id = state.lead.manager_id if state else None

        # A roster read in the last seconds will do to give the lead to a manager, or to
        # keep it with its manager: the write checks them. Taking it from them, or nobody,
        # the write does not check: those are decided on the roster as stored now.
        snapshot = store.recent_managers() if attempt == 1 else None
        roster = snapshot if snapshot is not None else store.list_managers()
        requested, decision = _decide(submission, roster, current_id, unavailable, score, rule_set, card, today,
                                      out_of_attempts=attempt == MAX_ATTEMPTS)
        if snapshot is not None and (decision.manager is None or decision.released_manager_id is not None):
            roster = store.list_managers()
            requested, decision = _decide(submission, roster, current_id, unavailable, score, rule_set, card,
                                          today, out_of_attempts=attempt == MAX_ATTEMPTS)
        released = _released(decision, roster)
        now = utc_now()
        tell = _telling(submission, score, decision, state, previous, now, speed_to_lead)
        try:
            store.record_assignment(
                submission, score, decision.manager, decision.new_assignment, previous=previous,
                expected_manager_id=current_id, released=released, today=today,
                # A closed lead left its manager's load when it closed: not a second time.
                released_holds_it=state is None or state.lead.status not in CLOSED_STATUSES,
                within_capacity=requested is None or not submission.assign_beyond_capacity, now=now, tell=tell,
            )
        except AlreadyScored:
            return _replay(submission, store, publisher)
        except ManagerUnavailable:
            if decision.manager is not None:
                unavailable.add(decision.manager.manager_id)
            continue
        except LeadChanged:
            continue
        return _announce(
            submission, score, previous.points if previous else None, previous.temperature if previous else None,
            decision.manager.manager_id if decision.manager else None, released.manager_id if released else None,
            publisher, attempts=attempt, noted_until=tell.noted_in.window_until if tell and tell.noted_in else None,
        )
    raise LeadChanged(f"{submission.lead_id}: still changing after {MAX_ATTEMPTS} attempts")


def _visits_on_card(submission: Submission, state: ScoredLead | None, rule_set: RuleSet) -> tuple[datetime, ...] | None:
    """The visit before this one, from the card, when that is all the repeat rules need:
    each asks for one earlier visit, and the card's latest visit is this submission (the
    newest earlier visit decides whether any falls in a rule's days). None: read them."""
    lead = state.lead if state else None
    if lead is None or lead.previous_seen_at is None or lead.last_seen_at != submission.received_at \
            or rule_set.previous_visits_needed() > 1:
        return None
    return (lead.previous_seen_at,)


def _telling(submission: Submission, score: Score, decision: Assignment, state: ScoredLead | None,
             previous: Score | None, now: datetime, speed_to_lead: Sla | None) -> Telling | None:
    """What the manager's email needs, as this assignment writes it; nothing for a lead
    nobody holds, or an imported one (its managers get one summary of the import).

    With `speed_to_lead` (a remind function sweeps the clocks), a new assignment starts
    the lead's clock, and news (leadflow.notification.windows.opens_window) or a visit
    after the manager's window closed opens a new window with its email; a visit within
    the open window is only noted in it, told with its digest when it closes."""
    manager = decision.manager
    if manager is None or submission.import_id is not None:
        return None
    card = state.lead if state else Lead.first_seen_in(submission)
    changes: dict[str, Any] = {"score": score}
    if decision.new_assignment:
        changes.update(status=LeadStatus.ASSIGNED, manager_id=manager.manager_id, assigned_at=now)
    notice = AssignmentNotice(lead=card.model_copy(update=changes), manager=manager)
    if speed_to_lead is None:
        return Telling(notice)
    clock = None
    if decision.new_assignment:
        due = ReminderDue(lead_id=submission.lead_id, manager_id=manager.manager_id, attempt=1,
                          temperature=score.temperature, submission_id=submission.submission_id,
                          received_at=submission.received_at)
        clock = (due, max(due_at(now, speed_to_lead, score.temperature), now + timedelta(minutes=1)))
    window = state.window if state else None
    news = opens_window(submission.is_new_lead, None, score.temperature, previous.temperature if previous else None)
    if not news and window is not None and window.is_open_for(manager.manager_id, now):
        return Telling(notice, clock, noted_in=window)
    return Telling(notice, clock, window_opened(submission.lead_id, manager.manager_id, score.temperature,
                                                score.points, now))


def _decide(submission: Submission, roster: list[Manager], current_id: str | None, unavailable: set[str],
            score: Score, rule_set: RuleSet, card: ContactCard | None, today: date, *,
            out_of_attempts: bool) -> tuple[Assignment | None, Assignment]:
    """The manager named by hand (if they can take it), and who holds the lead after
    this submission."""
    if out_of_attempts and unavailable:
        # Out of attempts: nobody new, the lead waits unassigned (or stays put).
        unavailable = {m.manager_id for m in roster} - {current_id or ""}
    requested = _requested_manager(submission, current_id, roster, unavailable, today)
    decision = requested or assign_lead(
        current_id, [m for m in roster if m.manager_id not in unavailable or m.manager_id == current_id],
        score.temperature, rule_set.assignment,
        country=lead_country(merged_contact(submission, card)), language=submission.language, today=today,
    )
    return requested, decision


def _requested_manager(submission: Submission, current_id: str | None, roster: list[Manager],
                       unavailable: set[str], today: date) -> Assignment | None:
    """A lead entered by hand goes to the manager it names (leadflow.capture.manual) when
    it has no manager who can hold it, and that one can take it: active, not away, with
    room unless `assign_beyond_capacity`. None: the rules choose, as for any lead (also
    after the named manager filled up or left between our read and our write)."""
    if not submission.assign_to or submission.assign_to in unavailable:
        return None
    by_id = {m.manager_id: m for m in roster}
    current = by_id.get(current_id) if current_id else None
    if current is not None and can_hold_leads(current, today):
        return None  # a returning person's lead stays with its manager
    wanted = by_id.get(submission.assign_to)
    if wanted is None or not can_hold_leads(wanted, today):
        return None
    if not submission.assign_beyond_capacity and wanted.open_leads >= wanted.capacity:
        return None
    return Assignment(manager=wanted, new_assignment=True,
                      released_manager_id=current.manager_id if current is not None else None)


def _released(decision: Assignment, roster: list[Manager]) -> Manager | None:
    if not decision.released_manager_id:
        return None
    return next((m for m in roster if m.manager_id == decision.released_manager_id), None)


def _supersede(submission: Submission, state: ScoredLead, rule_set: RuleSet, store: ScoringStore) -> Routed:
    """A newer submission of this lead was scored first (this record was retried after
    it): keep this one's score for the record, leave the lead and the managers alone and
    announce nothing, since the newer submission's events said it all."""
    score = score_submission(submission, rule_set, LeadHistory(card=state.lead.contact))
    try:
        store.record_superseded_score(submission, score, state.lead.manager_id)
    except AlreadyScored:
        pass
    return Routed(scored=None, assignment=None, superseded=True)


def _replay(submission: Submission, store: ScoringStore, publisher: EventPublisher) -> Routed | None:
    """Announce again exactly what the first delivery of this record announced."""
    stored = store.get_submission(submission.lead_id, submission.received_at, submission.submission_id)
    if stored is None or "score" not in stored:
        if stored is not None:  # stored but its lead card is gone: retrying cannot help either
            raise LookupError(f"lead {submission.lead_id} of submission {submission.submission_id} is missing")
        return None
    if stored.get("superseded"):
        return Routed(scored=None, assignment=None, replayed=True, superseded=True)
    previous_points = stored.get("previous_points")
    previous_temperature = stored.get("previous_temperature")
    routed = _announce(
        submission, Score.model_validate(stored["score"]),
        int(previous_points) if previous_points is not None else None,
        Temperature(previous_temperature) if previous_temperature else None,
        stored.get("manager_id"), stored.get("released_manager_id"), publisher, attempts=1,
        noted_until=datetime.fromisoformat(stored["noted_until"]) if stored.get("noted_until") else None,
    )
    return Routed(scored=routed.scored, assignment=routed.assignment, replayed=True)


def _referral(submission: Submission) -> list[tuple[str, ReferralReceived]]:
    """`Referral Received` for a new lead whose first touch carries a partner's code (a
    link, or a referral form), in the same PutEvents call as its score: partners hear of
    it (Part B's emails), CRMs credit them. Ids and the code only: never the person's
    contact, never the partner's email."""
    source = submission.source
    if not submission.is_new_lead or not source.ref:
        return []
    return [(REFERRAL_RECEIVED, ReferralReceived(
        lead_id=submission.lead_id, submission_id=submission.submission_id, received_at=submission.received_at,
        form_id=submission.form_id, ref=source.ref, partner_id=source.partner_id, group_id=source.partner_group,
        flag=source.partner_flag, introduced=submission.introduction is not None,
        imported=submission.import_id is not None))]


def _announce(submission: Submission, score: Score, previous_points: int | None,
              previous_temperature: Temperature | None, manager_id: str | None, released_manager_id: str | None,
              publisher: EventPublisher, attempts: int, noted_until: datetime | None = None) -> Routed:
    """`Lead Scored`, then `Lead Assigned` to the manager or `Lead Unassigned` so the
    admins act: one PutEvents call. A visit only noted in the manager's open window
    says until when (`noted_until`): the manager hears of it with the window's digest."""
    scored = LeadScored(
        lead_id=submission.lead_id, submission_id=submission.submission_id, received_at=submission.received_at,
        form_id=submission.form_id, is_new_lead=submission.is_new_lead,
        profile=score.profile or submission.scoring_profile, rule_set_version=score.rule_set_version,
        thresholds=score.thresholds, points=score.points,
        temperature=score.temperature, parts=score.parts, previous_points=previous_points,
        previous_temperature=previous_temperature,
        change=temperature_change(previous_temperature, score.temperature),
        autoresponder=submission.autoresponder,
        # A new lead's card was built from this submission: same source, created at its time.
        reported_as=ReportedAs(channel=channel_of(submission.source), utm_source=submission.source.utm_source,
                               utm_campaign=submission.source.utm_campaign, manager_id=manager_id)
        if submission.is_new_lead else None,
    )
    assignment: LeadAssigned | LeadUnassigned
    if manager_id:
        assignment = LeadAssigned(
            lead_id=submission.lead_id, submission_id=submission.submission_id, received_at=submission.received_at,
            manager_id=manager_id, form_id=submission.form_id, points=score.points, temperature=score.temperature,
            is_new_lead=submission.is_new_lead, previous_temperature=previous_temperature,
            imported=submission.import_id is not None, import_id=submission.import_id, noted_until=noted_until,
        )
        publisher.publish_all([(LEAD_SCORED, scored), (LEAD_ASSIGNED, assignment), *_referral(submission)])
    else:
        assignment = LeadUnassigned(
            lead_id=submission.lead_id, submission_id=submission.submission_id, received_at=submission.received_at,
            form_id=submission.form_id, points=score.points, temperature=score.temperature,
            is_new_lead=submission.is_new_lead, previous_temperature=previous_temperature,
            released_manager_id=released_manager_id,
            imported=submission.import_id is not None, import_id=submission.import_id,
        )
        publisher.publish_all([(LEAD_SCORED, scored), (LEAD_UNASSIGNED, assignment), *_referral(submission)])
    return Routed(scored=scored, assignment=assignment, attempts=attempts)
