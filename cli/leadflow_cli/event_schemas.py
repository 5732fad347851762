"""`python -m leadflow_cli.event_schemas schemas/events` (what `make schemas` runs): one
JSON Schema per event Leadflow puts on its bus, generated from the pydantic models of
leadflow.shared.events, as a webhook subscriber (a CRM, Zapier, n8n) receives it: the
EventBridge envelope with the detail. tests/template/test_event_schemas.py fails when
the checked-in files are stale."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from leadflow.shared.events import DETAIL_MODELS, SOURCE

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def file_name(detail_type: str) -> str:
    """`Lead Status Changed` → `lead-status-changed.json`."""
    return re.sub(r"[^a-z0-9]+", "-", detail_type.lower()).strip("-") + ".json"


def event_schema(detail_type: str) -> dict[str, Any]:
    """The schema of one event as an API destination posts it: EventBridge's envelope
    (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html) with
    this detail-type's model as `detail` (ids and scores, never contact data)."""
    detail = DETAIL_MODELS[detail_type].model_json_schema(mode="serialization")
    definitions = detail.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "title": detail_type,
        "description": (f"The `{detail_type}` event as a webhook receives it. Its `id` stays the same when "
                        "EventBridge retries a delivery: receivers dedupe on it."),
        "type": "object",
        "required": ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
        "properties": {
            "version": {"type": "string", "const": "0"},
            "id": {"type": "string", "description": "Unique per event; the same on every retry."},
            "detail-type": {"type": "string", "const": detail_type},
            "source": {"type": "string", "const": SOURCE},
            "account": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "detail": detail,
        },
    }
    if definitions:
        schema["$defs"] = definitions
    return schema


def write_schemas(folder: Path) -> list[Path]:
    """Every event's schema in `folder` (old files of events no longer published removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for detail_type in sorted(DETAIL_MODELS):
        path = folder / file_name(detail_type)
        path.write_text(json.dumps(event_schema(detail_type), indent=2, ensure_ascii=False) + "\n", "utf-8")
        written.append(path)
    for stale in set(folder.glob("*.json")) - set(written):
        stale.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for path in write_schemas(Path(args[0] if args else "schemas/events")):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
