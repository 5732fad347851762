"""What a channel cost in a month (ads, fees, a salary share), entered by an admin, and
the cost per lead and per conversion it gives a report of whole months."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Protocol

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from leadflow.reporting.cells import dimension_value
from leadflow.reporting.periods import InvalidReportQuery, ReportPeriod, parse_month

CENT = Decimal("0.01")
# An amount as the API takes it: a decimal string, at most 12 digits and 2 decimals.
AMOUNT_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN)


def _amount_text(value: object) -> object:
    # Money is exact text: a JSON number may already have lost cents (0.1 + 0.2), and
    # pydantic's own schema for a Decimal is a pattern that lets trailing text through.
    if isinstance(value, Decimal) or (isinstance(value, str) and _AMOUNT.fullmatch(value)):
        return value
    raise ValueError("an amount is a string of digits with at most 2 decimals, e.g. \"1234.50\"")


Amount = Annotated[Decimal, BeforeValidator(_amount_text),
                   WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["1234.50"]})]


class CostStore(Protocol):
    def put_channel_cost(self, month: str, channel: str, cost: dict) -> None: ...

    def put_partner_cost(self, month: str, partner_id: str, cost: dict) -> None: ...


class ChannelCostInput(BaseModel):
    """`PUT /reports/costs`: what a channel cost in a month (ads, fees, a salary share)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"month": "2026-11", "channel": "google", "amount": "1234.50", "currency": "EUR"},
        {"month": "2026-11", "partner": "bni-downtown", "amount": "150.00", "currency": "EUR"}]})

    # `month`, as the answer (ChannelCost) and the reports name it; `period`, its first
    # name, is still taken from clients written before.
    month: str = Field(description="the month, YYYY-MM", examples=["2026-11"],
                       validation_alias=AliasChoices("month", "period"))
    channel: str | None = Field(default=None, min_length=1, max_length=200,
                                description="a channel as reports show it: a utm_source such as `google`, or "
                                            "`(referral)`; or, instead, `partner`")
    # What a referral partner cost (a lead group's membership, meals): the partner report
    # gives the cost per converted referral from it (leadflow.referrals.report).
    partner: str | None = Field(default=None, min_length=1, max_length=40,
                                description="a referral partner's code (its group's monthly fee, say), instead of "
                                            "`channel`")
    amount: Amount = Field(ge=0, max_digits=14, decimal_places=2, description="e.g. \"1234.50\"")
    currency: str = Field(pattern=r"^[A-Za-z]{3}$", description="ISO 4217 code, e.g. EUR")

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @field_validator("partner")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.strip().lower() if value is not None else None



class Money(BaseModel):
    amount: Decimal
    currency: str


class ChannelCost(BaseModel):
    """A channel's cost for one month (`STAT#<month>` / `cost#<channel>`), or a referral
    partner's (`partner`, `channel` empty: `STAT#<month>` / `partnercost#<partner>`)."""

    month: str
    channel: str = ""
    partner: str | None = None
    amount: Decimal
    currency: str
    entered_by: str
    entered_at: datetime


def channel_cost(entry: ChannelCostInput, by: str, now: datetime) -> ChannelCost:
    """The cost to store, with the month checked and the channel spelled as in reports."""
    channel = dimension_value(entry.channel or "", "")
    if not channel:
        raise InvalidReportQuery("invalid_channel", "name the channel")
    return ChannelCost(month=parse_month(entry.month.strip()), channel=channel, amount=entry.amount.quantize(CENT),
                       currency=entry.currency, entered_by=by, entered_at=now)


def enter_channel_cost(store: CostStore, entry: ChannelCostInput, by: str, now: datetime,
                       partner_exists: Callable[[str], bool] | None = None) -> ChannelCost:
    """Store (or replace) a channel's, or a referral partner's, cost for a month."""
    # One payer per figure: a rule the document cannot say, so a refusal of its own (400).
    if (entry.channel is None) == (entry.partner is None):
        raise InvalidReportQuery("channel_or_partner", "name either a `channel` or a `partner`, not both")
    if entry.partner is not None:
        if partner_exists is not None and not partner_exists(entry.partner):
            raise InvalidReportQuery("unknown_partner", f"no partner has the code {entry.partner}")
        cost = ChannelCost(month=parse_month(entry.month.strip()), partner=entry.partner,
                           amount=entry.amount.quantize(CENT), currency=entry.currency, entered_by=by, entered_at=now)
        store.put_partner_cost(cost.month, entry.partner, {**cost.model_dump(mode="json"), "partner_id": entry.partner})
        return cost
    cost = channel_cost(entry, by, now)
    store.put_channel_cost(cost.month, cost.channel, cost.model_dump(mode="json"))
    return cost


def per_unit(amount: Decimal, count: int, currency: str) -> Money | None:
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
