"""The layer's admin services on a target's resources: the stores each part owns, over
the target's table and clients. Imported inside the commands' run functions, so a
command that needs no deployment never loads boto3 or the layer."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from leadflow_cli.output import UsageError

if TYPE_CHECKING:
    from leadflow.capture.store import CaptureStore
    from leadflow.logins.pool import UserPool
    from leadflow.referrals.store import PartnerStore
    from leadflow.routing.roster import Roster
    from leadflow_cli.target import Target


def forms(target: Target) -> CaptureStore:
    from leadflow.capture.store import CaptureStore
    from leadflow.storage.table import Table

    return CaptureStore(Table(target.table_name, target.client("dynamodb")))


def roster(target: Target) -> Roster:
    from leadflow.routing.roster import Roster
    from leadflow.storage.table import Table

    return Roster(Table(target.table_name, target.client("dynamodb")))


def partners(target: Target) -> PartnerStore:
    from leadflow.referrals.store import PartnerStore
    from leadflow.storage.table import Table

    return PartnerStore(Table(target.table_name, target.client("dynamodb")))


def user_pool(target: Target) -> UserPool:
    from leadflow.logins.pool import UserPool

    return UserPool(target.require("user_pool_id", "user pool (UserPoolId output)"), target.client("cognito-idp"))


def api_url(target: Target) -> str:
    """Where landing pages post: the stack's ApiUrl output (the snippets are built from it)."""
    return target.require("api_url", "API URL (ApiUrl output)").rstrip("/")


def today() -> date:
    from leadflow.shared.clock import utc_now

    return utc_now().date()


def settings_of(pairs: list[str] | None) -> dict[str, Any]:
    """`--set KEY=VALUE` options as a JSON object: each value read as JSON when it is
    JSON (`30`, `true`, `null`, `["https://a.example"]`), as text otherwise (`Spring
    webinar`), so the common cases need no quoting."""
    values: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {pair!r}: write KEY=VALUE")
        try:
            values[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            values[key.strip()] = text
    return values
