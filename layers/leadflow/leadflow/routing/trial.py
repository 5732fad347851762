"""Try a rule set before applying it: re-score the leads created in a period with the
proposed rule set and with the one in force, and say, writing nothing, how many leads
would change temperature (a cold/warm/hot matrix), how often each rule fires under each,
and the conversion per temperature under each, for the leads whose outcome is known
(converted, or rejected: `CLOSED_STATUSES`).

Both rule sets score the same facts, read the same way, so every move in the matrix is
the proposal's doing. A lead is scored as of its newest submission, with what its card
knows and its earlier visits (as the scorer scores a returning lead). The stored score
is not the baseline: it may come from an older rule set (`stored_differs` counts those).

What one call reads, bounded whatever the table holds:
- the lead cards of the period, through GSI2 (leads by creation month, whole cards
  projected): at most `limit` items (≤ MAX_LEADS_PER_CALL), newest first
  (leadflow.reporting.listing.list_leads, its cursors included);
- per lead, one Query of its own partition: its newest submission, or its newest
  1 + MAX_PREVIOUS_VISITS when a rule set has repeat rules (the earlier ones' times are
  its visits). An erased lead (leadflow.privacy: its submissions are gone) costs nothing
  more and is counted apart, as is a lead of the other scoring profile.
A period with more leads answers `next_cursor`; the pages' counts add up (`add_trials`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from leadflow.reporting.listing import LeadIndex, LeadQuery, list_leads
from leadflow.reporting.periods import InvalidReportQuery, ReportPeriod, parse_period
from leadflow.routing.facts import LeadHistory
from leadflow.routing.rules import Profile, RuleSet
from leadflow.routing.scoring import score_facts, scoring_facts
from leadflow.shared.http import FieldError
from leadflow.shared.models import CLOSED_STATUSES, Lead, LeadStatus, Score, Submission, Temperature
from leadflow.shared.refusal import Invalid

MAX_LEADS_PER_CALL = 500
DEFAULT_LEADS_PER_CALL = 200
# Earlier visits read per lead for repeat rules: a rule asking for more never matches.
MAX_PREVIOUS_VISITS = 20
TEMPERATURES = (Temperature.COLD, Temperature.WARM, Temperature.HOT)
_RANK = {t: i for i, t in enumerate(TEMPERATURES)}


class InvalidPeriod(Invalid):
    code = "invalid_period"


class PeriodTooLong(Invalid):
    code = "period_too_long"


def trial_period(text: str | None, today: date) -> ReportPeriod:
    """The period a trial covers, as reports read it (leadflow.reporting.periods); a
    refusal naming `period` otherwise."""
    try:
        return parse_period(text, today)
    except InvalidReportQuery as error:
        refusal = PeriodTooLong if error.code == PeriodTooLong.code else InvalidPeriod
        raise refusal([FieldError(field="period", code=error.code, message=str(error))], str(error)) from None


class SubmissionReads(Protocol):
    """A lead's newest submissions (leadflow.routing.store.RoutingStore)."""

    def newest_submissions(self, lead_id: str, limit: int) -> list[Submission]: ...


class TemperatureCounts(BaseModel):
    cold: int = 0
    warm: int = 0
    hot: int = 0


class TemperatureMatrix(BaseModel):
    """Leads by their temperature under the rule set in force (the row) and under the
    proposal (the column): `warm.hot` is how many warm leads the proposal makes hot."""

    cold: TemperatureCounts = Field(default_factory=TemperatureCounts)
    warm: TemperatureCounts = Field(default_factory=TemperatureCounts)
    hot: TemperatureCounts = Field(default_factory=TemperatureCounts)


class RuleFires(BaseModel):
    """How many of the leads a rule matched under each rule set (its points: None when
    the rule is not in that rule set)."""

    rule_id: str
    current_points: int | None
    proposed_points: int | None
    current_fires: int
    proposed_fires: int


class TemperatureConversion(BaseModel):
    """The leads of one temperature; of those whose outcome is known (converted or
    rejected), how many converted."""

    temperature: Temperature
    leads: int
    outcome_known: int
    converted: int
    conversion_rate: float | None = Field(description="converted / outcome_known; null when no outcome is known")


class ConversionByTemperature(BaseModel):
    current: list[TemperatureConversion]
    proposed: list[TemperatureConversion]


class SkippedLeads(BaseModel):
    """Leads of the period that were not scored, by why."""

    erased: int = Field(default=0, description="the person was erased: nothing is left to score")
    other_profile: int = Field(default=0, description="scored with the other profile's rule set")
    no_submission: int = Field(default=0, description="no submission stored (written by hand, or being erased)")


class TrialReads(BaseModel):
    """What the trial read from the table (DynamoDB items), and the bound per lead."""

    lead_items: int = Field(description="index items read for the lead cards")
    submission_items: int = Field(description="submission items read, one Query per lead scored")
    submissions_per_lead_at_most: int


class RuleSetTrial(BaseModel):
    """A proposed rule set against the one in force, on the leads created in a period."""

    profile: Profile
    period: str
    first_day: date
    last_day: date
    current_version: str
    current_in_force: Literal["override", "default"]
    proposed_version: str
    leads: int = Field(description="leads scored with both rule sets")
    changed: int = Field(description="leads whose temperature the proposal changes")
    rose: int
    fell: int
    stored_differs: int = Field(description="leads whose stored temperature is not what the rule set in force gives "
                                            "now (scored by an older rule set, or with less known then)")
    matrix: TemperatureMatrix
    rules: list[RuleFires]
    conversion: ConversionByTemperature
    skipped: SkippedLeads
    reads: TrialReads
    next_cursor: str | None = Field(description="more leads in the period: call again with it, and add the "
                                                "counts up; null: this is the last page")


@dataclass
class _Tally:
    matrix: Counter[tuple[Temperature, Temperature]] = field(default_factory=Counter)
    current_fires: Counter[str] = field(default_factory=Counter)
    proposed_fires: Counter[str] = field(default_factory=Counter)
    # (which rule set, temperature) -> [leads, outcome known, converted]
    outcomes: Counter[tuple[str, Temperature, str]] = field(default_factory=Counter)
    stored_differs: int = 0

    def add(self, lead: Lead, current: Score, proposed: Score) -> None:
        self.matrix[(current.temperature, proposed.temperature)] += 1
        self.current_fires.update(p.rule_id for p in current.parts)
        self.proposed_fires.update(p.rule_id for p in proposed.parts)
        known = lead.status in CLOSED_STATUSES
        converted = lead.status == LeadStatus.CONVERTED
        for which, score in (("current", current), ("proposed", proposed)):
            self.outcomes[(which, score.temperature, "leads")] += 1
            self.outcomes[(which, score.temperature, "known")] += known
            self.outcomes[(which, score.temperature, "converted")] += converted
        if lead.score is not None and lead.score.temperature != current.temperature:
            self.stored_differs += 1


def history_limit(*rule_sets: RuleSet) -> int:
    """Submissions read per lead: the newest, and earlier visits when a rule looks at them."""
    return 1 + MAX_PREVIOUS_VISITS if any(r.history_days() for r in rule_sets) else 1


def try_rule_set(proposed: RuleSet, current: RuleSet, current_in_force: Literal["override", "default"],
                 period: str | None, *, index: LeadIndex, submissions: SubmissionReads, today: date,
                 limit: int = DEFAULT_LEADS_PER_CALL, cursor: str | None = None) -> RuleSetTrial:
    """Re-score one page of the period's leads of the proposal's profile with `proposed`
    and `current` (the rule set in force); nothing is written. A refusal for a
    period that is not one (InvalidPeriod, PeriodTooLong), InvalidListing for a cursor of
    another list."""
    assert proposed.profile == current.profile
    window = trial_period(period, today)
    # Every lead of the period (no queue), as admins list them.
    page = list_leads(index, LeadQuery(date_from=window.first_day, date_to=window.last_day),
                      limit=max(1, min(limit, MAX_LEADS_PER_CALL)), cursor=cursor, today=today)
    per_lead = history_limit(proposed, current)
    tally = _Tally()
    skipped = SkippedLeads()
    submission_items = 0
    for lead in page.leads:
        if lead.erased_at is not None:
            skipped.erased += 1
            continue
        newest = submissions.newest_submissions(lead.lead_id, per_lead)
        submission_items += len(newest)
        if not newest:
            skipped.no_submission += 1
            continue
        latest = newest[0]
        if latest.scoring_profile != proposed.profile:
            skipped.other_profile += 1
            continue
        history = LeadHistory(card=lead.contact, previous_visits=tuple(s.received_at for s in newest[1:]))
        tally.add(lead, score_facts(scoring_facts(latest, current, history), current),
                  score_facts(scoring_facts(latest, proposed, history), proposed))
    return RuleSetTrial(
        profile=proposed.profile, period=window.label, first_day=window.first_day, last_day=window.last_day,
        current_version=current.version, current_in_force=current_in_force, proposed_version=proposed.version,
        **_summary(tally, current, proposed), skipped=skipped,
        reads=TrialReads(lead_items=page.items_read, submission_items=submission_items,
                         submissions_per_lead_at_most=per_lead),
        next_cursor=page.next_cursor)


def _summary(tally: _Tally, current: RuleSet, proposed: RuleSet) -> dict[str, object]:
    matrix = TemperatureMatrix(**{
        row.value: TemperatureCounts(**{col.value: tally.matrix[(row, col)] for col in TEMPERATURES})
        for row in TEMPERATURES})
    rose = sum(n for (a, b), n in tally.matrix.items() if _RANK[b] > _RANK[a])
    fell = sum(n for (a, b), n in tally.matrix.items() if _RANK[b] < _RANK[a])
    current_points = {r.id: r.points for r in current.rules}
    proposed_points = {r.id: r.points for r in proposed.rules}
    rule_ids = list(dict.fromkeys([*current_points, *proposed_points]))
    rules = [RuleFires(rule_id=rule_id, current_points=current_points.get(rule_id),
                       proposed_points=proposed_points.get(rule_id), current_fires=tally.current_fires[rule_id],
                       proposed_fires=tally.proposed_fires[rule_id]) for rule_id in rule_ids]
    return {"leads": sum(tally.matrix.values()), "changed": rose + fell, "rose": rose, "fell": fell,
            "stored_differs": tally.stored_differs, "matrix": matrix, "rules": rules,
            "conversion": ConversionByTemperature(current=_conversion(tally, "current"),
                                                  proposed=_conversion(tally, "proposed"))}


def _conversion(tally: _Tally, which: str) -> list[TemperatureConversion]:
    return [_temperature_conversion(t, tally.outcomes[(which, t, "leads")], tally.outcomes[(which, t, "known")],
                                    tally.outcomes[(which, t, "converted")]) for t in TEMPERATURES]


def _temperature_conversion(temperature: Temperature, leads: int, known: int, converted: int) -> TemperatureConversion:
    return TemperatureConversion(temperature=temperature, leads=leads, outcome_known=known, converted=converted,
                                 conversion_rate=converted / known if known else None)


def add_trials(first: RuleSetTrial, then: RuleSetTrial) -> RuleSetTrial:
    """Two pages of one trial as one: the counts added up, `next_cursor` the later page's."""
    matrix = TemperatureMatrix(**{
        row: TemperatureCounts(**{col: getattr(getattr(first.matrix, row), col) + getattr(getattr(then.matrix, row),
                                                                                           col)
                                  for col in TemperatureCounts.model_fields})
        for row in TemperatureMatrix.model_fields})
    fires = {r.rule_id: r for r in then.rules}
    rules = [r.model_copy(update={"current_fires": r.current_fires + fires[r.rule_id].current_fires,
                                  "proposed_fires": r.proposed_fires + fires[r.rule_id].proposed_fires})
             for r in first.rules]

    def conversion(a: list[TemperatureConversion], b: list[TemperatureConversion]) -> list[TemperatureConversion]:
        return [_temperature_conversion(x.temperature, x.leads + y.leads, x.outcome_known + y.outcome_known,
                                        x.converted + y.converted) for x, y in zip(a, b, strict=True)]

    return first.model_copy(update={
        **{name: getattr(first, name) + getattr(then, name)
           for name in ("leads", "changed", "rose", "fell", "stored_differs")},
        "matrix": matrix, "rules": rules,
        "conversion": ConversionByTemperature(current=conversion(first.conversion.current, then.conversion.current),
                                              proposed=conversion(first.conversion.proposed,
                                                                  then.conversion.proposed)),
        "skipped": SkippedLeads(**{name: getattr(first.skipped, name) + getattr(then.skipped, name)
                                   for name in SkippedLeads.model_fields}),
        "reads": TrialReads(lead_items=first.reads.lead_items + then.reads.lead_items,
                            submission_items=first.reads.submission_items + then.reads.submission_items,
                            submissions_per_lead_at_most=first.reads.submissions_per_lead_at_most),
        "next_cursor": then.next_cursor})
