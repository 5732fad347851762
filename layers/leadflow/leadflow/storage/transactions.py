"""Writing several items all or nothing, and reading why DynamoDB refused.

DynamoDB cancels a TransactWriteItems with one reason per item, in order: `None` for an
item that was fine, `ConditionalCheckFailed` for one whose condition failed,
`TransactionConflict` when another write on one of the items got in the way, and others
(throttling, validation) that are not about the items at all. Callers decide by the
position of the items they wrote; this module is the one place that reads the codes."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"
_ABOUT_THE_ITEMS = frozenset({"None", CONDITION_FAILED, CONFLICT})


class LeadChanged(Exception):
    """The lead (its status, its manager, a newer score, a new submission) or a
    manager's load changed between a read and the write that depended on it, or another
    write on it got in the way: read again and decide again."""


class Cancelled(Exception):
    """A transaction cancelled because of its own items: a condition failed, or another
    write on one of them got in the way (`conflict`). `error` is DynamoDB's error, for a
    caller that treats the cancellation as a failure of the storage."""

    def __init__(self, error: ClientError, reasons: list[str]) -> None:
        super().__init__(", ".join(reasons))
        self.error = error
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        """Whether the condition of the item at `index` failed."""
        return index < len(self.reasons) and self.reasons[index] == CONDITION_FAILED

    def item(self, index: int) -> dict[str, Any] | None:
        """The item as it was, in wire format, when the condition of the item at `index`
        failed and its operation asked for it (`ReturnValuesOnConditionCheckFailure`)."""
        reasons = self.error.response.get("CancellationReasons", [])
        return reasons[index].get("Item") if index < len(reasons) else None

    @property
    def conflict(self) -> bool:
        """Another write got in the way: nothing is known to be wrong; try again."""
        return CONFLICT in self.reasons


def cancellation_reasons(error: ClientError) -> list[str]:
    """The per-item reasons of a cancelled transaction; empty for any other error."""
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]


def write(client: Any, items: list[dict[str, Any]]) -> None:
    """TransactWriteItems; Cancelled when DynamoDB cancelled it because of its items,
    any other error (throttling, an outage) raised as it is."""
    try:
        client.transact_write_items(TransactItems=items)
    except ClientError as error:
        reasons = cancellation_reasons(error)
        if reasons and set(reasons) <= _ABOUT_THE_ITEMS and set(reasons) != {"None"}:
            raise Cancelled(error, reasons) from error
        raise


def condition_failed(error: ClientError) -> bool:
    """Whether a single conditional write (PutItem, UpdateItem...) failed its condition."""
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
