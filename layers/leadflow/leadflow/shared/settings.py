"""Environment of each function, validated at cold start so a missing variable
fails loudly at init instead of on the first lead.

Each group of variables is defined once and a function's settings are the groups its
template `Environment` gives it; the parts turn them into their collaborators (e.g.
`leadflow.lifecycle.links.signing.action_links`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from leadflow.shared.models import Temperature


@dataclass(frozen=True)
class Sla:
    """Minutes until a lead of each temperature must have been called."""

    hot: int = 15
    warm: int = 240
    cold: int = 2880

    def minutes(self, temperature: Temperature) -> int:
        return int(getattr(self, temperature.value))


class _FromEnv(BaseModel):
    model_config = ConfigDict(populate_by_name=True, frozen=True)

    @classmethod
    def from_env(cls) -> _FromEnv:
        return cls.model_validate(dict(os.environ))


class _Table(_FromEnv):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class _Bus(_FromEnv):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)


class _Console(_FromEnv):
    console_url: str = Field(alias="CONSOLE_URL", default="")  # empty: emails and pages link to no console


class _Mail(_Console):
    sender_email: str = Field(alias="SENDER_EMAIL", min_length=3)
    # Every email goes through it (leadflow.notification.mailer).
    mail_configuration_set: str = Field(alias="MAIL_CONFIGURATION_SET", min_length=1)
    admin_email: str = Field(alias="ADMIN_EMAIL", default="")


class _SpeedToLead(_FromEnv):
    """Speed-to-lead: minutes until a lead of each temperature must have been called."""

    sla_hot_minutes: int = Field(alias="SLA_HOT_MINUTES", default=15, ge=1)
    sla_warm_minutes: int = Field(alias="SLA_WARM_MINUTES", default=240, ge=1)
    sla_cold_minutes: int = Field(alias="SLA_COLD_MINUTES", default=2880, ge=1)

    def sla(self) -> Sla:
        return Sla(hot=self.sla_hot_minutes, warm=self.sla_warm_minutes, cold=self.sla_cold_minutes)


class ScheduleSettings(_FromEnv):
    """The Scheduler target of reminders and follow-ups: the remind function (empty:
    no schedules), the role Scheduler assumes, the dead-letter queue of failed ones, and
    the stack's own schedule group (its functions' IAM reaches no other)."""

    remind_function_arn: str = Field(alias="REMIND_FUNCTION_ARN", default="")
    scheduler_role_arn: str = Field(alias="SCHEDULER_ROLE_ARN", default="")
    reminder_dead_letter_arn: str = Field(alias="REMINDER_DLQ_ARN", default="")
    schedule_group: str = Field(alias="SCHEDULE_GROUP", min_length=1)


class LinkSettings(_FromEnv):
    """Signed links in manager emails (leadflow.lifecycle.links); empty URL: no links."""

    public_api_url: str = Field(alias="PUBLIC_API_URL", default="")
    action_link_secret_arn: str = Field(alias="ACTION_LINK_SECRET_ARN", default="")
    action_link_days: int = Field(alias="ACTION_LINK_DAYS", default=7, ge=1, le=30)


class _HashKey(_FromEnv):
    """The key of every hash of personal data (leadflow.shared.hashing)."""

    hash_key_secret_arn: str = Field(alias="HASH_KEY_SECRET_ARN", min_length=1)


class CaptureSettings(_Table, _HashKey):
    fallback_queue_url: str = Field(alias="FALLBACK_QUEUE_URL", min_length=1)
    # Forms with `captcha: turnstile` name a secret under this prefix (leadflow.capture.captcha).
    turnstile_secret_prefix: str = Field(alias="TURNSTILE_SECRET_PREFIX", default="leadflow/turnstile/")
    turnstile_verify_url: str = Field(alias="TURNSTILE_VERIFY_URL",
                                      default="https://challenges.cloudflare.com/turnstile/v0/siteverify")


class StoreFallbackSettings(_Table):
    pass


class ScoreSettings(_Table, _Bus, _SpeedToLead):
    pass


class NotifySettings(_Table, _Mail, _SpeedToLead, ScheduleSettings, LinkSettings, _HashKey):
    hot_lead_topic_arn: str = Field(alias="HOT_LEAD_TOPIC_ARN", default="")  # empty: no hot-lead topic
    dead_letter_queue_url: str = Field(alias="DEAD_LETTER_QUEUE_URL", default="")


class RemindSettings(_Table, _Bus, _Mail, _SpeedToLead, ScheduleSettings, LinkSettings):
    # Where a reminder the sweep gave up on is parked (alarmed), to be redriven to remind.
    dead_letter_queue_url: str = Field(alias="DEAD_LETTER_QUEUE_URL", default="")
    reassign_on_second_miss: bool = Field(alias="REASSIGN_ON_SECOND_MISS", default=True)


class ApiSettings(_Table, _Bus, _SpeedToLead, ScheduleSettings, _HashKey):
    """What a function that changes leads needs: the table, the bus, and the Scheduler
    target that brings a postponed lead back (and the SLA of its new clock); and, for
    the admin API, the user pool whose logins it manages."""

    user_pool_id: str = Field(alias="USER_POOL_ID", min_length=1)
    # Where a CSV import's chunks are queued for the import function.
    import_queue_url: str = Field(alias="IMPORT_QUEUE_URL", min_length=1)


class ActionsSettings(_Table, _Bus, _SpeedToLead, ScheduleSettings, _Console):
    # The pages behind the links verify them: without the key they cannot work at all.
    action_link_secret_arn: str = Field(alias="ACTION_LINK_SECRET_ARN", min_length=1)


class ReportSettings(_Table):
    pass


class ImportSettings(_Table, _Mail, _HashKey):
    """The import function: the table, the hash key (a row's marker) and the sender of
    the managers' summary emails."""


class ChatSettings(_Table, _Console):
    """The hot-lead chat message's enrichment: the table it reads, the console it links."""


class ConsoleSettings(_FromEnv):
    """The console function needs no variable: what it tells the browser comes from the
    API stage's variables (leadflow.console.site.ConsoleConfig)."""
