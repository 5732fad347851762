"""Reports: which channels, campaigns, temperatures, managers and score bands turn
leads into customers, how fast leads are called, and what a lead and a customer cost.

Counters, not scans. As events happen (`Lead Scored` of a new lead, `Lead Status
Changed` to contacted or rejected, `Lead Converted`) the report function adds to
counter items with DynamoDB's atomic `ADD`: one item per period and dimension value
(`STAT#<period>` / `<dimension>#<value>`), so a report is one Query per period,
whatever the number of leads.

Cohorts. A lead is counted in the day and the month (UTC) it was created, and so is
everything that happens to it later: a report for November says what became of
November's leads, and its conversion rate is converted / leads of that cohort. Numbers
of a recent period still grow as its leads are worked.

Decided once. A lead's cells (channel, campaign, temperature, manager, score band) are
chosen when it is first counted and kept on its report mark (`STATMARK#<lead_id>`), so
its later contact, conversion or rejection lands in the same cells even after its
temperature or manager changed. One exception: a lead counted while nobody had it
moves, with what was counted of it, to the first manager seen working it.

Exactly once. Each write of the counters goes in one transaction with the lead's report
mark, written on condition that the mark is the version just read. A redelivered event
finds its fact on the mark and counts nothing; a fact is counted once per lead (the
first contact, not every contact after a postponement).

Durations (lead created → first contact, → conversion) are counted in fixed buckets;
the median reported is the bucket holding the middle value (the lower middle for an
even count), e.g. `{"over_minutes": 30, "at_most_minutes": 60}`.
"""

from __future__ import annotations

import bisect
import random
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadflow.models import (
    Lead,
    LeadConverted,
    LeadScored,
    LeadStatus,
    LeadStatusChanged,
    Source,
    Temperature,
)
from leadflow.sources import channel_of

if TYPE_CHECKING:
    from leadflow.repository import LeadRepository

# The detail types counted (the same names as leadflow.routing and leadflow.lifecycle;
# not imported from there to keep this function's cold start small; a test checks them).
LEAD_SCORED = "Lead Scored"
LEAD_STATUS_CHANGED = "Lead Status Changed"
LEAD_CONVERTED = "Lead Converted"

DIMENSIONS: tuple[str, ...] = ("all", "channel", "campaign", "temperature", "manager", "band")
ALL = "all"
NONE = "(none)"  # a campaign-less lead; a lead without a score (temperature, band)
UNASSIGNED = "unassigned"
MAX_VALUE_LENGTH = 64  # of a dimension value: UTM values come from visitors' URLs

Fact = Literal["contacted", "converted", "rejected"]
FACTS: tuple[Fact, ...] = ("contacted", "converted", "rejected")
# Histogram counters of each timed fact: `contact_b0` … `contact_b11`.
BUCKET_PREFIX: dict[str, str] = {"contacted": "contact_b", "converted": "convert_b"}

# Upper edges of the duration buckets, in minutes (5 min … 30 days); one more bucket
# holds everything longer. Bucket i holds durations in (edge[i-1], edge[i]].
DURATION_EDGES_MINUTES: tuple[int, ...] = (5, 15, 30, 60, 120, 240, 480, 1440, 2880, 10080, 43200)
BUCKETS = len(DURATION_EDGES_MINUTES) + 1

# Score bands 20 points wide, as in leadflow.calibration, but capped at both ends so the
# dimension has a fixed set of values.
BAND_WIDTH = 20
SCORE_BANDS: tuple[str, ...] = ("<0", "0-19", "20-39", "40-59", "60-79", "80+")
TEMPERATURES: tuple[str, ...] = tuple(t.value for t in (Temperature.COLD, Temperature.WARM, Temperature.HOT))

MAX_RANGE_DAYS = 31
MAX_RANGE_MONTHS = 12
MAX_ATTEMPTS = 4  # a mark that changed between our read and our write is read again
BACKOFF_SECONDS = 0.02
CENT = Decimal("0.01")


class InvalidReportQuery(ValueError):
    """A report or cost request the API answers with 400; `code` is stable
    (invalid_period, period_too_long, invalid_dimension, invalid_channel)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ReportContention(Exception):
    """The lead's report mark kept changing under us; the invocation is retried."""


# -- dimension values -------------------------------------------------------------------


def dimension_value(text: str | None, default: str = NONE, *, lowercase: bool = True) -> str:
    """A value safe in a sort key and stable across spellings: NFKC, printable
    characters only, spaces collapsed, lowercased (UTM values come in any case), at most
    64 characters; `default` when nothing is left."""
    if text is None:
        return default
    value = unicodedata.normalize("NFKC", text)
    value = "".join(ch if ch.isprintable() else " " for ch in value)
    value = re.sub(r"\s+", " ", value).strip()
    if lowercase:
        value = value.lower()
    return value[:MAX_VALUE_LENGTH].strip() or default


def channel_value(source: Source) -> str:
    """The lead's channel: its first touch's `utm_source` (lowercased), else its channel
    kind in parentheses, e.g. `(referral)`, so it never mixes with a source so named."""
    kind = f"({channel_of(source).value})"
    return dimension_value(source.utm_source, kind)


def campaign_value(source: Source) -> str:
    return dimension_value(source.utm_campaign, NONE)


def manager_value(manager_id: str | None) -> str:
    return dimension_value(manager_id, UNASSIGNED, lowercase=False)


def score_band(points: int | None) -> str:
    """`0-19` … `60-79`, `80+`; `<0` for negative points; `(none)` without a score."""
    if points is None:
        return NONE
    if points < 0:
        return SCORE_BANDS[0]
    if points >= BAND_WIDTH * (len(SCORE_BANDS) - 2):
        return SCORE_BANDS[-1]
    low = points // BAND_WIDTH * BAND_WIDTH
    return f"{low}-{low + BAND_WIDTH - 1}"


def minutes_between(start: datetime, end: datetime) -> float:
    """Minutes from `start` to `end`; 0 when a clock put `end` first."""
    return max(0.0, (end - start).total_seconds() / 60)


def duration_bucket(minutes: float) -> int:
    """Which bucket holds a duration: the first whose upper edge is ≥ `minutes`."""
    return bisect.bisect_left(DURATION_EDGES_MINUTES, minutes)


class DurationRange(BaseModel):
    """A bucket of durations: more than `over_minutes`, at most `at_most_minutes`
    (None: no upper edge)."""

    over_minutes: int
    at_most_minutes: int | None


def bucket_range(index: int) -> DurationRange:
    edges = DURATION_EDGES_MINUTES
    return DurationRange(over_minutes=edges[index - 1] if index > 0 else 0,
                         at_most_minutes=edges[index] if index < len(edges) else None)


def median_bucket(counts: Sequence[int]) -> DurationRange | None:
    """The bucket holding the median of the durations counted in `counts` (the lower
    middle one of an even count); None when nothing was counted."""
    total = sum(counts)
    if total <= 0:
        return None
    middle = (total + 1) // 2  # 1-based rank of the (lower) median
    seen = 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= middle:
            return bucket_range(index)
    return None  # unreachable: the loop covers the total


def periods_of(moment: datetime) -> tuple[str, str]:
    """The day and the month (UTC) a lead created at `moment` is counted in."""
    day = moment.astimezone(timezone.utc).date()
    return day.isoformat(), day.isoformat()[:7]


# -- what is counted of one lead ------------------------------------------------------


class ReportDimensions(BaseModel):
    """The cells a lead counts in, chosen when it is first counted."""

    channel: str
    campaign: str
    temperature: str
    manager: str
    band: str

    def cells(self) -> list[tuple[str, str]]:
        """(dimension, value) for every dimension, `all` included."""
        return [(ALL, ALL), ("channel", self.channel), ("campaign", self.campaign),
                ("temperature", self.temperature), ("manager", self.manager), ("band", self.band)]


def dimensions_of(lead: Lead, points: int | None, temperature: Temperature | None) -> ReportDimensions:
    """A lead's cells from its card (first-touch source, manager) and a score."""
    return ReportDimensions(
        channel=channel_value(lead.source), campaign=campaign_value(lead.source),
        temperature=temperature.value if temperature else NONE, manager=manager_value(lead.manager_id),
        band=score_band(points),
    )


class ReportMark(BaseModel):
    """The report mark of one lead (`STATMARK#<lead_id>`): where it is counted and which
    facts were counted, with their times; `version` guards every write. No personal data."""

    lead_id: str
    created_at: datetime
    day: str
    month: str
    dimensions: ReportDimensions
    counted_at: datetime
    contacted_at: datetime | None = None
    converted_at: datetime | None = None
    rejected_at: datetime | None = None
    version: int = 1

    def fact_at(self, fact: Fact) -> datetime | None:
        return getattr(self, f"{fact}_at")


def fact_counters(mark: ReportMark, fact: Fact) -> dict[str, int]:
    """The counters one fact adds: its count and, when timed, its duration bucket."""
    counters = {fact: 1}
    at = mark.fact_at(fact)
    if fact in BUCKET_PREFIX and at is not None:
        counters[f"{BUCKET_PREFIX[fact]}{duration_bucket(minutes_between(mark.created_at, at))}"] = 1
    return counters


def counted_so_far(mark: ReportMark) -> dict[str, int]:
    """Every counter this lead has added to each of its cells."""
    counters = {"leads": 1}
    for fact in FACTS:
        if mark.fact_at(fact) is not None:
            counters.update(fact_counters(mark, fact))
    return counters


CellKey = tuple[str, str]  # (period, "<dimension>#<value>")


@dataclass
class CountPlan:
    """One transaction: the lead's new mark (written if the stored one is still at
    `expected_version`; None: if there is none) and the counter increments per cell."""

    mark: ReportMark
    expected_version: int | None
    increments: dict[CellKey, Counter[str]] = field(default_factory=dict)

    def add(self, cells: Iterable[tuple[str, str]], counters: Mapping[str, int], sign: int = 1) -> None:
        for dimension, value in cells:
            for period in (self.mark.day, self.mark.month):
                cell = self.increments.setdefault((period, f"{dimension}#{value}"), Counter())
                for name, amount in counters.items():
                    cell[name] += sign * amount

    def nonzero(self) -> dict[CellKey, dict[str, int]]:
        """The increments, one entry per cell (a transaction may touch an item only
        once), without zeros (a lead moved back and forth adds nothing: no write)."""
        out = {key: {k: v for k, v in counters.items() if v} for key, counters in self.increments.items()}
        return {key: counters for key, counters in out.items() if counters}


def plan_count(mark: ReportMark | None, lead: Lead | None, fact: Fact | None, at: datetime | None,
               scored: LeadScored | None = None, now: datetime | None = None) -> CountPlan:
    """What to write for one event, given the lead's mark as read (None: not counted
    yet) and, when needed, its card. `fact` None counts the lead itself (`Lead Scored`,
    whose score gives the temperature and band); a fact for a lead not counted yet
    (events delivered out of order) counts the lead first, with its card's score.
    The caller has checked that the fact is not on the mark already."""
    if mark is None:
        if lead is None:
            raise ValueError("a lead is counted from its card")
        points, temperature = (scored.points, scored.temperature) if scored else (
            (lead.score.points, lead.score.temperature) if lead.score else (None, None))
        day, month = periods_of(lead.created_at)
        new = ReportMark(lead_id=lead.lead_id, created_at=lead.created_at, day=day, month=month,
                         dimensions=dimensions_of(lead, points, temperature),
                         counted_at=now or datetime.now(timezone.utc))
        plan = CountPlan(mark=new, expected_version=None)
        plan.add(new.dimensions.cells(), {"leads": 1})
    else:
        plan = CountPlan(mark=mark.model_copy(update={"version": mark.version + 1}), expected_version=mark.version)
        if lead is not None and lead.manager_id and mark.dimensions.manager == UNASSIGNED:
            _adopt(plan, manager_value(lead.manager_id))
    if fact is not None:
        plan.mark = plan.mark.model_copy(update={f"{fact}_at": at})
        plan.add(plan.mark.dimensions.cells(), fact_counters(plan.mark, fact))
    return plan


def _adopt(plan: CountPlan, manager: str) -> None:
    """Move a lead counted while unassigned, and all counted of it, to its manager."""
    moved = counted_so_far(plan.mark)
    plan.add([("manager", UNASSIGNED)], moved, sign=-1)
    plan.add([("manager", manager)], moved)
    dimensions = plan.mark.dimensions.model_copy(update={"manager": manager})
    plan.mark = plan.mark.model_copy(update={"dimensions": dimensions})


# -- counting events ------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    """What an event did to the counters: `counted`, `already_counted` (a redelivery,
    or a fact this lead already had), `lead_missing` (no card, nothing to count) or
    `ignored` (an event the reports do not count)."""

    outcome: str
    lead_id: str | None
    fact: str | None


def count_event(detail_type: str, detail: Mapping[str, Any], repository: LeadRepository,
                now: datetime | None = None) -> Counted:
    """Count one bus event. Contacted and rejected come from `Lead Status Changed`;
    converted only from `Lead Converted` (the status change to converted published with
    it is not counted, so nothing counts twice)."""
    if detail_type == LEAD_SCORED:
        scored = LeadScored.model_validate(detail)
        if not scored.is_new_lead:  # a returning lead was counted when it was new
            return Counted("ignored", scored.lead_id, None)
        return _count(repository, scored.lead_id, None, None, scored, now)
    if detail_type == LEAD_STATUS_CHANGED:
        changed = LeadStatusChanged.model_validate(detail)
        facts: dict[LeadStatus, Fact] = {LeadStatus.CONTACTED: "contacted", LeadStatus.REJECTED: "rejected"}
        fact = facts.get(changed.to_status)
        if fact is None:
            return Counted("ignored", changed.lead_id, None)
        return _count(repository, changed.lead_id, fact, changed.at, None, now)
    if detail_type == LEAD_CONVERTED:
        converted = LeadConverted.model_validate(detail)
        return _count(repository, converted.lead_id, "converted", converted.at, None, now)
    return Counted("ignored", None, None)


def _count(repository: LeadRepository, lead_id: str, fact: Fact | None, at: datetime | None,
           scored: LeadScored | None, now: datetime | None) -> Counted:
    for attempt in range(MAX_ATTEMPTS):
        # A new lead has no mark yet: its first try skips that read (a lost write reads it).
        stored = None if fact is None and attempt == 0 else repository.get_report_mark(lead_id)
        mark = ReportMark.model_validate(stored) if stored else None
        if mark is not None and (fact is None or mark.fact_at(fact) is not None):
            return Counted("already_counted", lead_id, fact)
        lead = None
        if mark is None or mark.dimensions.manager == UNASSIGNED:
            lead = repository.get_lead(lead_id)
            if lead is None and mark is None:
                return Counted("lead_missing", lead_id, fact)
        plan = plan_count(mark, lead, fact, at, scored, now)
        if repository.save_report_mark(plan.mark.model_dump(mode="json"), plan.expected_version, plan.nonzero()):
            return Counted("counted", lead_id, fact)
        # Lost to another write on the mark or on a busy cell (every lead of a day adds to
        # `all#all`): wait a little, at random, so concurrent writers do not collide again.
        time.sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))  # noqa: S311 - jitter, not secrecy
    raise ReportContention(lead_id)


# -- periods ----------------------------------------------------------------------------

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")


class ReportPeriod(BaseModel):
    """What a report covers: the counter partitions it reads (days or months) and, when
    it is made of whole months, those months (channel costs are entered per month)."""

    label: str
    first_day: date
    last_day: date
    keys: list[str]
    months: list[str] | None


def _month_start(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def parse_month(text: str) -> str:
    """A month `YYYY-MM`, checked; InvalidReportQuery otherwise."""
    if not _MONTH.fullmatch(text or ""):
        raise InvalidReportQuery("invalid_period", "a month is written YYYY-MM, e.g. 2026-11")
    try:
        _month_start(text)
    except ValueError:
        raise InvalidReportQuery("invalid_period", f"there is no month {text}") from None
    return text


def _parse_point(text: str) -> tuple[str, date]:
    if _MONTH.fullmatch(text):
        return "month", _month_start(parse_month(text))
    if _DAY.fullmatch(text):
        try:
            return "day", date.fromisoformat(text)
        except ValueError:
            raise InvalidReportQuery("invalid_period", f"there is no day {text}") from None
    raise InvalidReportQuery("invalid_period", "a period is a month (2026-11), a day (2026-11-25) or a range of "
                                               "either (2026-11-01..2026-11-15, 2026-09..2026-11)")


def parse_period(text: str | None, today: date) -> ReportPeriod:
    """`2026-11` (a month), `2026-11-25` (a day), `2026-11-01..2026-11-15` (up to 31
    days) or `2026-09..2026-11` (up to 12 months); none: this month (UTC)."""
    text = (text or today.isoformat()[:7]).strip()
    first_text, dots, last_text = text.partition("..")
    kind, first = _parse_point(first_text)
    last_kind, last = _parse_point(last_text) if dots else (kind, first)
    if kind != last_kind:
        raise InvalidReportQuery("invalid_period", "a range is from a day to a day or from a month to a month")
    if last < first:
        raise InvalidReportQuery("invalid_period", "a range ends after it starts")
    if kind == "day":
        days = (last - first).days + 1
        if days > MAX_RANGE_DAYS:
            raise InvalidReportQuery("period_too_long", f"a range of days covers at most {MAX_RANGE_DAYS} days")
        keys = [(first + timedelta(days=i)).isoformat() for i in range(days)]
        return ReportPeriod(label=text, first_day=first, last_day=last, keys=keys, months=None)
    keys = []
    month = first
    while month <= last:
        keys.append(month.isoformat()[:7])
        month = _next_month(month)
    if len(keys) > MAX_RANGE_MONTHS:
        raise InvalidReportQuery("period_too_long", f"a range of months covers at most {MAX_RANGE_MONTHS} months")
    return ReportPeriod(label=text, first_day=first, last_day=_next_month(last) - timedelta(days=1), keys=keys,
                        months=keys)


def parse_dimensions(text: str | None) -> tuple[str, ...]:
    """`by=channel,temperature` → those dimensions (with `all`, the total row, always
    first); none: every dimension."""
    if not text or not text.strip():
        return DIMENSIONS
    wanted = {part.strip().lower() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(DIMENSIONS))
    if unknown:
        raise InvalidReportQuery("invalid_dimension", f"unknown dimension {', '.join(unknown)}: use "
                                 + ", ".join(DIMENSIONS))
    return tuple(d for d in DIMENSIONS if d in wanted or d == ALL)


# -- channel costs ----------------------------------------------------------------------


class ChannelCostInput(BaseModel):
    """`PUT /reports/costs`: what a channel cost in a month (ads, fees, a salary share)."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(description="the month, YYYY-MM", examples=["2026-11"])
    channel: str = Field(min_length=1, max_length=200,
                         description="a channel as reports show it: a utm_source such as `google`, or `(referral)`")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2, description="e.g. \"1234.50\"")
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. EUR")

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Money(BaseModel):
    amount: Decimal
    currency: str


class ChannelCost(BaseModel):
    """A channel's cost for one month (`STAT#<month>` / `cost#<channel>`)."""

    month: str
    channel: str
    amount: Decimal
    currency: str
    entered_by: str
    entered_at: datetime


def channel_cost(entry: ChannelCostInput, by: str, now: datetime) -> ChannelCost:
    """The cost to store, with the month checked and the channel spelled as in reports."""
    channel = dimension_value(entry.channel, "")
    if not channel:
        raise InvalidReportQuery("invalid_channel", "name the channel")
    return ChannelCost(month=parse_month(entry.period.strip()), channel=channel, amount=entry.amount.quantize(CENT),
                       currency=entry.currency, entered_by=by, entered_at=now)


def enter_channel_cost(repository: LeadRepository, entry: ChannelCostInput, by: str, now: datetime) -> ChannelCost:
    """Store (or replace) a channel's cost for a month."""
    cost = channel_cost(entry, by, now)
    repository.put_channel_cost(cost.month, cost.channel, cost.model_dump(mode="json"))
    return cost


def _per(amount: Decimal, count: int, currency: str) -> Money | None:
    if count <= 0:
        return None
    return Money(amount=(amount / count).quantize(CENT, rounding=ROUND_HALF_UP), currency=currency)


def costs_for(period: ReportPeriod, costs: Mapping[str, Mapping[str, ChannelCost]]) -> dict[str, Money]:
    """Each channel's cost over the period: only for periods of whole months, and only
    for channels with a cost entered for every one of them in one currency (a cost for
    one month over the leads of three would make leads look cheap)."""
    if not period.months:
        return {}
    channels = set.intersection(*(set(costs.get(month, {})) for month in period.months))
    out: dict[str, Money] = {}
    for channel in sorted(channels):
        entries = [costs[month][channel] for month in period.months]
        if len({e.currency for e in entries}) == 1:
            out[channel] = Money(amount=sum((e.amount for e in entries), Decimal(0)), currency=entries[0].currency)
    return out


# -- building a report ----------------------------------------------------------------


class Cell(BaseModel):
    """The counters of one dimension value, summed over the period's partitions."""

    leads: int = 0
    contacted: int = 0
    converted: int = 0
    rejected: int = 0
    contact_buckets: list[int] = Field(default_factory=lambda: [0] * BUCKETS)
    convert_buckets: list[int] = Field(default_factory=lambda: [0] * BUCKETS)

    def add(self, counters: Mapping[str, Any]) -> None:
        for name in ("leads", "contacted", "converted", "rejected"):
            setattr(self, name, getattr(self, name) + int(counters.get(name, 0)))
        for index in range(BUCKETS):
            self.contact_buckets[index] += int(counters.get(f"contact_b{index}", 0))
            self.convert_buckets[index] += int(counters.get(f"convert_b{index}", 0))


class ReportRow(BaseModel):
    value: str
    leads: int
    contacted: int
    converted: int
    rejected: int
    conversion_rate: float | None = Field(description="converted / leads of the period's cohort")
    median_minutes_to_first_contact: DurationRange | None
    median_minutes_to_conversion: DurationRange | None
    cost: Money | None = None
    cost_per_lead: Money | None = None
    cost_per_conversion: Money | None = None


class Report(BaseModel):
    period: str
    first_day: date
    last_day: date
    cohort: str = "leads created in the period (UTC); later contacts, conversions and rejections count with them"
    dimensions: dict[str, list[ReportRow]]


def conversion_rate(converted: int, leads: int) -> float | None:
    return round(converted / leads, 4) if leads else None


def report_row(value: str, cell: Cell, cost: Money | None = None) -> ReportRow:
    return ReportRow(
        value=value, leads=cell.leads, contacted=cell.contacted, converted=cell.converted, rejected=cell.rejected,
        conversion_rate=conversion_rate(cell.converted, cell.leads),
        median_minutes_to_first_contact=median_bucket(cell.contact_buckets),
        median_minutes_to_conversion=median_bucket(cell.convert_buckets),
        cost=cost,
        cost_per_lead=_per(cost.amount, cell.leads, cost.currency) if cost else None,
        cost_per_conversion=_per(cost.amount, cell.converted, cost.currency) if cost else None,
    )


# Dimensions whose values are known in advance are listed whole, zeros included.
_FIXED_VALUES: dict[str, tuple[str, ...]] = {ALL: (ALL,), "temperature": TEMPERATURES, "band": SCORE_BANDS}


def build_report(period: ReportPeriod, dimensions: Sequence[str], cells: Mapping[tuple[str, str], Cell],
                 costs: Mapping[str, Money]) -> Report:
    """The report from the summed counters: rows per dimension value (fixed ones in
    their order, others by leads, most first), with costs on channel rows and, blended
    over every lead, on the `all` row (when all entered costs share a currency)."""
    rows: dict[str, list[ReportRow]] = {}
    for dimension in dimensions:
        found = {value for d, value in cells if d == dimension}
        if dimension == "channel":
            found |= set(costs)
        fixed = _FIXED_VALUES.get(dimension, ())
        extra = sorted(found - set(fixed), key=lambda v: (-cells.get((dimension, v), Cell()).leads, v))
        rows[dimension] = [
            report_row(value, cells.get((dimension, value), Cell()), _row_cost(dimension, value, costs))
            for value in (*fixed, *extra)
        ]
    return Report(period=period.label, first_day=period.first_day, last_day=period.last_day, dimensions=rows)


def _row_cost(dimension: str, value: str, costs: Mapping[str, Money]) -> Money | None:
    if dimension == "channel":
        return costs.get(value)
    if dimension == ALL and costs and len({c.currency for c in costs.values()}) == 1:
        currency = next(iter(costs.values())).currency
        return Money(amount=sum((c.amount for c in costs.values()), Decimal(0)), currency=currency)
    return None


def sum_cells(items: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[tuple[str, str], Cell]:
    """Counter items (sort key, attributes) of one or more partitions, summed per
    (dimension, value); cost items and anything unknown are left out."""
    cells: dict[tuple[str, str], Cell] = {}
    for sort_key, counters in items:
        dimension, _, value = sort_key.partition("#")
        if dimension in DIMENSIONS:
            cells.setdefault((dimension, value), Cell()).add(counters)
    return cells


def read_report(repository: LeadRepository, period_text: str | None, by: str | None, today: date) -> Report:
    """A report for a period: one paginated Query per day or month it covers (at most
    31), never a read per lead."""
    period = parse_period(period_text, today)
    dimensions = parse_dimensions(by)
    items: list[tuple[str, dict[str, Any]]] = []
    costs: dict[str, dict[str, ChannelCost]] = {}
    for key in period.keys:
        for sort_key, attributes in repository.report_items(key):
            if sort_key.startswith("cost#"):
                cost = ChannelCost.model_validate(attributes)
                costs.setdefault(key, {})[cost.channel] = cost
            else:
                items.append((sort_key, attributes))
    return build_report(period, dimensions, sum_cells(items), costs_for(period, costs))
