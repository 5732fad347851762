"""The local stack's only door into the layer package (`leadflow.*`).

The stack itself knows nothing of leads: its seed goes through `leadflow apply`
(leadflow_cli.setup_file), and for the dev server's `/_local/leads.json` it reads
items back as the domain reads them. Keep every `leadflow` import here, so a
change in the layer's layout is one edit in the local stack."""

from __future__ import annotations

from typing import Any


def item_as_dict(item: dict[str, Any]) -> dict[str, Any]:
    """A stored item (DynamoDB's wire format) as plain Python, without its keys."""
    from leadflow.storage.codec import from_item  # the item format is the storage kernel's to know

    return from_item(item)
