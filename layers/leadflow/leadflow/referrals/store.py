"""The partners over the one table: PARTNER items, listed through GSI1 (`PARTNERS`)."""

from __future__ import annotations

from leadflow.shared.models import Partner
from leadflow.storage import keys
from leadflow.storage.table import Table


class PartnerStore:
    """Reads and writes of partners; every part that needs a partner comes here."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def get(self, partner_id: str, *, consistent: bool = True) -> Partner | None:
        """The partner with this code, or None."""
        return self.table.get_model(keys.partner_key(partner_id), Partner, consistent=consistent)
