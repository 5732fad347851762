"""The local stack's only door into the layer package (`leadflow.*`).

The stack itself knows nothing of leads: it only seeds the demo forms and managers
(written as the domain writes them) and, for the dev server's `/_local/leads.json`,
reads items back as the domain reads them. Keep every `leadflow` import here, so a
change in the layer's layout is one edit in the local stack."""

from __future__ import annotations

from typing import Any


def put_forms_and_managers(table_name: str, dynamodb: Any, forms: list[dict[str, Any]],
                           managers: list[dict[str, Any]]) -> None:
    """Validate the seed's forms and managers as the domain's models and store them
    through the parts that own them (capture's forms, routing's roster)."""
    from leadflow.capture.store import CaptureStore
    from leadflow.routing.roster import Roster
    from leadflow.shared.models import FormConfig, Manager
    from leadflow.storage.table import Table

    table = Table(table_name, dynamodb)
    for form in forms:
        CaptureStore(table).put_form(FormConfig.model_validate(form))
    for manager in managers:
        Roster(table).put(Manager.model_validate(manager))


def item_as_dict(item: dict[str, Any]) -> dict[str, Any]:
    """A stored item (DynamoDB's wire format) as plain Python, without its keys."""
    from leadflow.storage.codec import from_item  # the item format is the storage kernel's to know

    return from_item(item)
