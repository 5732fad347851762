"""Items in DynamoDB's wire format and back: models in, plain Python out."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Attributes that are keys, index keys or bookkeeping: ids and times, never the person.
KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "item_type",
                            "expires_at"})


def exact_numbers(value: Any) -> Any:
    """DynamoDB numbers are decimals; floats (a form's min fill time) go in as Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: exact_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact_numbers(v) for v in value]
    return value


def wire(values: dict[str, Any]) -> dict[str, Any]:
    """Plain values (keys, expression values) in wire format."""
    return {k: _serializer.serialize(v) for k, v in values.items()}


def to_item(keys: dict[str, str], item_type: str, model: BaseModel | None = None, **extra: Any) -> dict[str, Any]:
    """A model as a DynamoDB item in wire format (None fields left out)."""
    plain: dict[str, Any] = model.model_dump(mode="json", exclude_none=True) if model else {}
    plain.update(keys, item_type=item_type, **extra)
    return {k: _serializer.serialize(exact_numbers(v)) for k, v in plain.items()}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """Wire format to plain Python, keys included."""
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Wire format to plain Python, without the key attributes."""
    return {k: v for k, v in plain(item).items() if k not in KEY_ATTRIBUTES}


def without_keys(image: dict[str, Any]) -> dict[str, Any]:
    """An item already in plain Python (a stream image) without the key attributes."""
    return {k: v for k, v in image.items() if k not in KEY_ATTRIBUTES}
