"""What every route of the leads API shares: settings, the repository, the bus, the
reminder schedules, and who is calling. Imported by app.py and the *_routes modules."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from leadflow.access import Caller, caller_from_claims
from leadflow.events import EventPublisher
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
