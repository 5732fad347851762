"""A report: the summed counters of a period per dimension value, with conversion rates,
median times (as the bucket that holds them) and costs, and each temperature's first
calls against its speed-to-lead SLA. One Query per day or month the period covers, never
a read per lead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, Field

from leadflow.reporting.cells import (
    ALL,
    BUCKETS,
    DIMENSIONS,
    DURATION_EDGES_MINUTES,
    SCORE_BANDS,
    TEMPERATURES,
    DurationRange,
    median_bucket,
)
from leadflow.reporting.costs import ChannelCost, Money, costs_for, per_unit
from leadflow.reporting.periods import ReportPeriod, parse_dimensions, parse_period
from leadflow.shared.models import Temperature
from leadflow.shared.settings import Sla
from leadflow.storage.keys import COST_PREFIX


class ReportItems(Protocol):
    def report_items(self, period: str) -> list[tuple[str, dict[str, Any]]]: ...


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


class SpeedToLead(BaseModel):
    """How fast the leads of one temperature got their first call, against its SLA."""

    temperature: str
    sla_minutes: int = Field(description="the stack's speed-to-lead SLA for this temperature")
    leads: int
    contacted: int
    within_minutes: int = Field(description="the SLA, or the largest duration bucket edge below it when the SLA "
                                            "is not one (durations are counted in buckets: "
                                            + ", ".join(map(str, DURATION_EDGES_MINUTES)) + " minutes)")
    contacted_within_sla: int = Field(description="first contacts at most `within_minutes` after the lead came in")
    within_sla_rate: float | None = Field(description="contacted_within_sla / contacted")
    median_minutes_to_first_contact: DurationRange | None


class Report(BaseModel):
    period: str
    first_day: date
    last_day: date
    cohort: str = "leads created in the period (UTC); later contacts, conversions and rejections count with them"
    dimensions: dict[str, list[ReportRow]]
    speed_to_lead: list[SpeedToLead] = Field(
        default_factory=list, description="per temperature (cold, warm, hot) when the report shows temperatures: "
        "time from the lead's creation to its first contact against the temperature's SLA")


def conversion_rate(converted: int, leads: int) -> float | None:
    return round(converted / leads, 4) if leads else None


def report_row(value: str, cell: Cell, cost: Money | None = None) -> ReportRow:
    return ReportRow(
        value=value, leads=cell.leads, contacted=cell.contacted, converted=cell.converted, rejected=cell.rejected,
        conversion_rate=conversion_rate(cell.converted, cell.leads),
        median_minutes_to_first_contact=median_bucket(cell.contact_buckets),
        median_minutes_to_conversion=median_bucket(cell.convert_buckets),
        cost=cost,
        cost_per_lead=per_unit(cost.amount, cell.leads, cost.currency) if cost else None,
        cost_per_conversion=per_unit(cost.amount, cell.converted, cost.currency) if cost else None,
    )


# Dimensions whose values are known in advance are listed whole, zeros included.
_FIXED_VALUES: dict[str, tuple[str, ...]] = {ALL: (ALL,), "temperature": TEMPERATURES, "band": SCORE_BANDS}


def speed_to_lead(temperature: str, cell: Cell, sla_minutes: int) -> SpeedToLead:
    """First contacts of one temperature's leads within its SLA: the buckets whose upper
    edge is at most the SLA (all of them exactly when the SLA is an edge, as the
    defaults 15, 240 and 2880 minutes are)."""
    edges = [edge for edge in DURATION_EDGES_MINUTES if edge <= sla_minutes]
    within = sum(cell.contact_buckets[: len(edges)])
    return SpeedToLead(temperature=temperature, sla_minutes=sla_minutes, leads=cell.leads, contacted=cell.contacted,
                       within_minutes=edges[-1] if edges else 0, contacted_within_sla=within,
                       within_sla_rate=round(within / cell.contacted, 4) if cell.contacted else None,
                       median_minutes_to_first_contact=median_bucket(cell.contact_buckets))


def build_report(period: ReportPeriod, dimensions: Sequence[str], cells: Mapping[tuple[str, str], Cell],
                 costs: Mapping[str, Money], sla: Sla | None = None) -> Report:
    """The report from the summed counters: rows per dimension value (fixed ones in
    their order, others by leads, most first), with costs on channel rows and, blended
    over every lead, on the `all` row (when all entered costs share a currency); with
    the stack's `sla` and temperatures asked for, each temperature's speed to lead."""
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
    speed = [speed_to_lead(value, cells.get(("temperature", value), Cell()), sla.minutes(Temperature(value)))
             for value in TEMPERATURES] if sla is not None and "temperature" in dimensions else []
    return Report(period=period.label, first_day=period.first_day, last_day=period.last_day, dimensions=rows,
                  speed_to_lead=speed)


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


def read_report(store: ReportItems, period_text: str | None, by: str | None, today: date,
                sla: Sla | None = None) -> Report:
    """A report for a period: one paginated Query per day or month it covers (at most
    31), never a read per lead; with the stack's `sla`, the speed to lead."""
    period = parse_period(period_text, today)
    dimensions = parse_dimensions(by)
    items: list[tuple[str, dict[str, Any]]] = []
    costs: dict[str, dict[str, ChannelCost]] = {}
    for key in period.keys:
        for sort_key, attributes in store.report_items(key):
            if sort_key.startswith(COST_PREFIX):
                cost = ChannelCost.model_validate(attributes)
                costs.setdefault(key, {})[cost.channel] = cost
            else:
                items.append((sort_key, attributes))
    return build_report(period, dimensions, sum_cells(items), costs_for(period, costs), sla)
