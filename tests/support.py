"""What several test suites share: sample events and reading the table back."""

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/, the same file `sam local invoke -e` uses."""
    return json.loads((EVENTS / f"{name}.json").read_text("utf-8"))


def all_items(table: Any) -> list[dict[str, Any]]:
    """Every item in the table (tests may Scan; request paths never do)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = table.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def items_of(table: Any, item_type: str) -> list[dict[str, Any]]:
    return [i for i in all_items(table) if i.get("item_type") == item_type]


def repository_of(stack: Any) -> Any:
    """The domain's repository on the local stack's table."""
    from leadflow.repository import LeadRepository

    return LeadRepository(stack.table_name(), stack.client("dynamodb"))


def post_hot_lead(stack: Any, email: str = "jane@acme-corp.com") -> str:
    """A hot lead through the whole pipeline (captured, scored, assigned); its lead id."""
    from leadflow.models import ContactCard

    body = {"name": "Jane Doe", "email": email, "phone": "+14155550134", "company": "Acme Corp",
            "job_title": "VP Sales", "interest": "quote", "country": "US"}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    assert response.status == 202, response.body
    stack.drain()
    lead_id = repository_of(stack).find_lead_id(ContactCard(name="Jane Doe", email=email))
    assert lead_id
    return lead_id
