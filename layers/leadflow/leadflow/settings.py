"""Environment of each function, validated at cold start so a missing variable
fails loudly at init instead of on the first lead."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

from leadflow.action_links import ActionLinks, SecretKeys
from leadflow.reminders import Sla


class _FromEnv(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    @classmethod
    def from_env(cls) -> _FromEnv:
        return cls.model_validate(dict(os.environ))


class CaptureSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    fallback_queue_url: str = Field(alias="FALLBACK_QUEUE_URL", min_length=1)


class StoreFallbackSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class ScoreSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


class _FollowUpSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=3)
    console_url: str = Field(alias="CONSOLE_URL", default="")
    # Speed-to-lead: minutes until a lead of each temperature must have been called.
    sla_hot_minutes: int = Field(alias="SLA_HOT_MINUTES", default=15, ge=1)
    sla_warm_minutes: int = Field(alias="SLA_WARM_MINUTES", default=240, ge=1)
    sla_cold_minutes: int = Field(alias="SLA_COLD_MINUTES", default=2880, ge=1)
    scheduler_role_arn: str = Field(alias="SCHEDULER_ROLE_ARN", default="")
    reminder_dead_letter_arn: str = Field(alias="REMINDER_DLQ_ARN", default="")
    admin_email: str = Field(alias="ADMIN_EMAIL", default="")
    # Signed links in manager emails (leadflow.action_links); empty URL: no links.
    public_api_url: str = Field(alias="PUBLIC_API_URL", default="")
    action_link_secret_arn: str = Field(alias="ACTION_LINK_SECRET_ARN", default="")
    action_link_days: int = Field(alias="ACTION_LINK_DAYS", default=7, ge=1, le=30)

    def action_links(self) -> ActionLinks | None:
        """The signed links of this deployment's emails; None without a public URL and key."""
        if not (self.public_api_url and self.action_link_secret_arn):
            return None
        return ActionLinks(self.public_api_url, SecretKeys(self.action_link_secret_arn), days=self.action_link_days)

    def sla(self) -> Sla:
        return Sla(hot=self.sla_hot_minutes, warm=self.sla_warm_minutes, cold=self.sla_cold_minutes)


class NotifySettings(_FollowUpSettings):
    remind_function_arn: str = Field(alias="REMIND_FUNCTION_ARN", default="")  # empty: no reminders
    hot_lead_topic_arn: str = Field(alias="HOT_LEAD_TOPIC_ARN", default="")  # empty: no hot-lead topic
    dead_letter_queue_url: str = Field(alias="DEAD_LETTER_QUEUE_URL", default="")


class RemindSettings(_FollowUpSettings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    reassign_on_second_miss: bool = Field(alias="REASSIGN_ON_SECOND_MISS", default=True)


class _LifecycleSettings(_FromEnv):
    """What a function that changes leads needs: the table, the bus, and the Scheduler
    target that brings a postponed lead back (and the SLA of its new clock)."""

    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
    sla_hot_minutes: int = Field(alias="SLA_HOT_MINUTES", default=15, ge=1)
    sla_warm_minutes: int = Field(alias="SLA_WARM_MINUTES", default=240, ge=1)
    sla_cold_minutes: int = Field(alias="SLA_COLD_MINUTES", default=2880, ge=1)
    remind_function_arn: str = Field(alias="REMIND_FUNCTION_ARN", default="")  # empty: no schedules
    scheduler_role_arn: str = Field(alias="SCHEDULER_ROLE_ARN", default="")
    reminder_dead_letter_arn: str = Field(alias="REMINDER_DLQ_ARN", default="")

    def sla(self) -> Sla:
        return Sla(hot=self.sla_hot_minutes, warm=self.sla_warm_minutes, cold=self.sla_cold_minutes)


class ApiSettings(_LifecycleSettings):
    pass


class ActionsSettings(_LifecycleSettings):
    action_link_secret_arn: str = Field(alias="ACTION_LINK_SECRET_ARN", min_length=1)
    console_url: str = Field(alias="CONSOLE_URL", default="")  # empty: the pages link to no console


class ReportSettings(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
