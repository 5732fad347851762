"""What every route of the leads API shares: settings, the parts' stores, the bus, the
reminder schedules, and who is calling. Imported by app.py and the *_routes modules."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from leadflow.lifecycle.schedules import reminders_for
from leadflow.lifecycle.store import LifecycleStore
from leadflow.privacy.store import ErasureStore
from leadflow.reporting.store import ListingStore, ReportingStore
from leadflow.shared.access import Caller, caller_from_claims
from leadflow.shared.bus import EventPublisher
from leadflow.shared.hashing import PersonalDataHasher
from leadflow.shared.secrets import SecretKeys
from leadflow.shared.settings import ApiSettings
from leadflow.storage.table import Table

settings = ApiSettings.from_env()
table = Table(settings.table_name)
leads = LifecycleStore(table)
listing = ListingStore(table)
reports = ReportingStore(table)
erasures = ErasureStore(table)
publisher = EventPublisher(settings.event_bus_name)
hasher = PersonalDataHasher(SecretKeys(settings.hash_key_secret_arn))
reminders = reminders_for(settings)


def caller(router: Router) -> Caller:
    """The Cognito user behind the current request (the authorizer checked the token)."""
    authorizer = router.current_event.request_context.authorizer
    return caller_from_claims(authorizer.claims if authorizer else None)
