"""The cells a lead is counted in (channel, campaign, temperature, manager, score band,
and each scoring rule its score matched), spelled so they are safe in a sort key and
stable across spellings, and the buckets of the durations counted (created → first
contact, → conversion)."""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timezone

from pydantic import BaseModel, Field

from leadflow.capture.sources import channel_of
from leadflow.shared.events import ReportedAs
from leadflow.shared.models import ChannelKind, Lead, Source, Temperature

DIMENSIONS: tuple[str, ...] = ("all", "channel", "campaign", "temperature", "manager", "band", "rule")
ALL = "all"
NONE = "(none)"  # a campaign-less lead; a lead without a score (temperature, band)
UNASSIGNED = "unassigned"
MAX_VALUE_LENGTH = 64  # of a dimension value: UTM values come from visitors' URLs
# A lead counts in one cell per rule its score matched, each in its day and month, in the
# one transaction with its report mark (at most 100 items: the mark, the six other cells
# and a manager's move take 15). No rule set makes a lead match this many (the shipped ones
# have 25 and 15 rules); past it, the first ones of the score are counted.
MAX_RULE_CELLS = 40

# Histogram counters of each timed fact: `contact_b0` … `contact_b11`.
BUCKET_PREFIX: dict[str, str] = {"contacted": "contact_b", "converted": "convert_b"}

# Upper edges of the duration buckets, in minutes (5 min … 30 days); one more bucket
# holds everything longer. Bucket i holds durations in (edge[i-1], edge[i]].
DURATION_EDGES_MINUTES: tuple[int, ...] = (5, 15, 30, 60, 120, 240, 480, 1440, 2880, 10080, 43200)
BUCKETS = len(DURATION_EDGES_MINUTES) + 1

# Score bands 20 points wide, as in leadflow.routing.calibration, but capped at both ends so the
# dimension has a fixed set of values. Scores lie on 0-100 (shared.models): `80+` is 80-100,
# and `<0` holds only leads counted before the scale (their counters are kept as they were).
BAND_WIDTH = 20
SCORE_BANDS: tuple[str, ...] = ("<0", "0-19", "20-39", "40-59", "60-79", "80+")
TEMPERATURES: tuple[str, ...] = tuple(t.value for t in (Temperature.COLD, Temperature.WARM, Temperature.HOT))


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
    return channel_cell(source.utm_source, channel_of(source))


def channel_cell(utm_source: str | None, kind: ChannelKind) -> str:
    """The channel value of a first touch with this `utm_source` and channel kind."""
    return dimension_value(utm_source, f"({kind.value})")


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


class ReportDimensions(BaseModel):
    """The cells a lead counts in, chosen when it is first counted."""

    channel: str
    campaign: str
    temperature: str
    manager: str
    band: str
    # The rules its first score matched (calibration: does a rule's match predict a
    # sale?); empty on marks written before rules were counted.
    rules: list[str] = Field(default_factory=list)

    def cells(self) -> list[tuple[str, str]]:
        """(dimension, value) for every dimension, `all` included; one per rule."""
        return [(ALL, ALL), ("channel", self.channel), ("campaign", self.campaign),
                ("temperature", self.temperature), ("manager", self.manager), ("band", self.band),
                *(("rule", rule) for rule in self.rules)]


def rule_values(rule_ids: Sequence[str]) -> list[str]:
    """The rules a score matched as cells: each once, in the score's order, at most
    MAX_RULE_CELLS."""
    values = dict.fromkeys(dimension_value(rule_id, "", lowercase=False) for rule_id in rule_ids)
    return [value for value in values if value][:MAX_RULE_CELLS]


def dimensions_of(lead: Lead, points: int | None, temperature: Temperature | None,
                  rule_ids: Sequence[str] = ()) -> ReportDimensions:
    """A lead's cells from its card (first-touch source, manager) and a score (its
    points, temperature and the rules it matched)."""
    return ReportDimensions(
        channel=channel_value(lead.source), campaign=campaign_value(lead.source),
        temperature=temperature.value if temperature else NONE, manager=manager_value(lead.manager_id),
        band=score_band(points), rules=rule_values(rule_ids),
    )


def dimensions_reported(reported: ReportedAs, points: int | None, temperature: Temperature | None,
                        rule_ids: Sequence[str] = ()) -> ReportDimensions:
    """A new lead's cells from its `Lead Scored` event, the same as `dimensions_of` finds
    on its card: the card was built from that submission (source, created at its time)."""
    return ReportDimensions(
        channel=channel_cell(reported.utm_source, reported.channel),
        campaign=dimension_value(reported.utm_campaign, NONE),
        temperature=temperature.value if temperature else NONE, manager=manager_value(reported.manager_id),
        band=score_band(points), rules=rule_values(rule_ids),
    )
