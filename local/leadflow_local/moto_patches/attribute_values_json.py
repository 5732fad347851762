"""Write DynamoDB attribute values in moto's JSON answers directly, not by shape walk.

moto serializes an answer by walking botocore's output shape; an AttributeValue is a
structure of ten members (S, N, B, SS, NS, BS, M, L, NULL, BOOL), each looked up under
its aliases for every value, so an item costs hundreds of lookups: a BatchGetItem of
two lead items, or an UpdateItem returning the new item, took ~5 ms. moto's items are
already in the wire format (DynamoDB JSON, `{"S": "…"}`); such a value is written as
it is, with the one conversion moto's serializer makes on it: binaries (B, BS, also
inside M and L) base64 encoded (stream_records_json.py does the same for GetRecords).
Any value not in that form (not one key of the ten, or an unexpected inner type) goes
through moto's own walk, as before.

Relies on moto internals (tests/local/test_moto_patches.py checks that answers are
the ones moto's own serializer gives, for every attribute type):
`BaseJSONSerializer._serialize_type_structure(serialized, value, shape, key)` and
`_default_serialize`, the output shapes naming the attribute value `AttributeValue`."""

from __future__ import annotations

import threading
from typing import Any

from leadflow_local.moto_patches.stream_records_json import _base64

_lock = threading.Lock()
_patched = False
# moto's own method, as it was before the patch (its test compares with it).
original_serialize_structure: Any = None


class NotWireFormat(Exception):
    """A value the fast path does not write: moto's walk writes it."""


def write_attribute_values_directly() -> None:
    """Install the patch (once per process)."""
    global _patched, original_serialize_structure  # noqa: PLW0603 - one process-wide patch
    with _lock:
        if _patched:
            return
        from moto.core.serialize import BaseJSONSerializer

        original = original_serialize_structure = BaseJSONSerializer._serialize_type_structure

        def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
            if shape.name == "AttributeValue" and key and not shape.is_document_type:
                try:
                    written = wire_attribute(value)
                except NotWireFormat:
                    pass
                else:
                    self._default_serialize(serialized, written, shape, key)
                    return
            original(self, serialized, value, shape, key)

        _serialize_type_structure.leadflow_direct = True  # type: ignore[attr-defined]
        BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
        _patched = True


def wire_attribute(value: Any) -> dict[str, Any]:
    """An attribute value in wire format, as moto's serializer writes it (NotWireFormat
    for anything else)."""
    if type(value) is not dict or len(value) != 1:
        raise NotWireFormat
    (kind, inner), = value.items()
    write = _WRITERS.get(kind)
    if write is None:
        raise NotWireFormat
    return {kind: write(inner)}


def _string(inner: Any) -> str:
    if type(inner) is not str:
        raise NotWireFormat
    return inner


def _strings(inner: Any) -> list[str]:
    if type(inner) is not list:
        raise NotWireFormat
    return [_string(s) for s in inner]


def _flag(inner: Any) -> bool:
    if type(inner) is not bool:
        raise NotWireFormat
    return inner


def _binary(inner: Any) -> str:
    if not isinstance(inner, (str, bytes)):
        raise NotWireFormat
    return _base64(inner)


def _binaries(inner: Any) -> list[str]:
    if type(inner) is not list:
        raise NotWireFormat
    return [_binary(b) for b in inner]


def _map(inner: Any) -> dict[str, Any]:
    if type(inner) is not dict:
        raise NotWireFormat
    return {_string(k): wire_attribute(v) for k, v in inner.items()}


def _list(inner: Any) -> list[Any]:
    if type(inner) is not list:
        raise NotWireFormat
    return [wire_attribute(v) for v in inner]


_WRITERS: dict[str, Any] = {"S": _string, "N": _string, "SS": _strings, "NS": _strings, "BOOL": _flag,
                            "NULL": _flag, "B": _binary, "BS": _binaries, "M": _map, "L": _list}
