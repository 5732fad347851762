"""What every route of the leads API shares: settings, the parts' stores, the bus, the
reminder schedules, the user pool, who is calling and the API's own URL. Imported by
app.py and the *_routes modules."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from leadflow.capture.importing.service import Importer
from leadflow.capture.importing.store import ImportStore
from leadflow.capture.store import CaptureStore
from leadflow.lifecycle.schedules import reminders_for
from leadflow.lifecycle.store import LifecycleStore
from leadflow.logins.pool import UserPool
from leadflow.privacy.store import ErasureStore
from leadflow.reporting.store import ListingStore, ReportingStore
from leadflow.routing.roster import Roster
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
reminders = reminders_for(settings, table)
forms = CaptureStore(table)
roster = Roster(table)
logins = UserPool(settings.user_pool_id)
importer = Importer(ImportStore(table), forms, hasher)


def caller(router: Router) -> Caller:
    """The Cognito user behind the current request (the authorizer checked the token)."""
    authorizer = router.current_event.request_context.authorizer
    return caller_from_claims(authorizer.claims if authorizer else None)


class StageVariables(BaseModel):
    """The stage's variables (template.yaml, LeadsApi `Variables`), sent with every request."""

    public_api_url: str = Field(alias="publicApiUrl", min_length=1)


def public_api_url(router: Router) -> str:
    """The deployed API's base URL (the stack's `ApiUrl`), where landing pages post: a
    stage variable, since the function's environment cannot name its own API. Missing,
    the deployment is broken, and says so (500) rather than hand out snippets that post
    nowhere."""
    return StageVariables.model_validate(router.current_event.stage_variables or {}).public_api_url
