"""What every route of the leads API shares: settings, the repository, the bus, the
reminder schedules, and who is calling. Imported by app.py and the *_routes modules."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from leadflow.access import Caller, caller_from_claims
from leadflow.errors import FieldError
from leadflow.events import EventPublisher
from leadflow.models import LeadStatus
from leadflow.reminders import Reminders, ReminderTarget
from leadflow.repository import LeadRepository
from leadflow.settings import ApiSettings

settings = ApiSettings.from_env()
repository = LeadRepository(settings.table_name)
publisher = EventPublisher(settings.event_bus_name)
reminders: Reminders | None = Reminders(ReminderTarget(
    settings.remind_function_arn, settings.scheduler_role_arn, settings.reminder_dead_letter_arn,
)) if settings.remind_function_arn else None


def caller(router: Router) -> Caller:
    """The Cognito user behind the current request (the authorizer checked the token)."""
    authorizer = router.current_event.request_context.authorizer
    return caller_from_claims(authorizer.claims if authorizer else None)


class ApiError(BaseModel):
    """The body of every error of the leads API (leadflow.web.api_error), for the OpenAPI
    document: `errors`, each with a machine-readable `code`, and what a client acts on."""

    model_config = ConfigDict(extra="allow")

    errors: list[FieldError] = Field(description="what is wrong: `field` (null: the request as a whole), "
                                                 "a stable `code`, a message for people")
    code: str | None = Field(default=None, description="with several field errors: the request's code")
    status: LeadStatus | None = Field(default=None, description="409 `transition_not_allowed`: the lead's status")
    allowed: list[LeadStatus] | None = Field(
        default=None, description="409 `transition_not_allowed`: the statuses the lead may go to from here")
