"""What several test suites share: sample events and reading the table back."""

import json
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Stores:
    """Each part's store on one table, for tests that arrange or read what handlers do."""

    table: Any
    capture: Any
    routing: Any
    roster: Any
    notification: Any
    lifecycle: Any
    reporting: Any
    listing: Any
    privacy: Any

    def history(self, lead_id: str) -> list[Any]:
        """A lead's history entries, oldest first."""
        from leadflow.shared.models import Activity
        from leadflow.storage.codec import from_item, wire

        items = self.table.query(ConsistentRead=True, KeyConditionExpression="PK = :pk AND begins_with(SK, :act)",
                                 ExpressionAttributeValues=wire({":pk": f"LEAD#{lead_id}", ":act": "ACT#"}))
        return [Activity.model_validate(from_item(i)) for i in items]


def hasher_of(stack: Any) -> Any:
    """The personal-data hasher with the stack's own HashKeySecret, as its functions hash."""
    from leadflow.shared.hashing import PersonalDataHasher
    from leadflow.shared.secrets import SecretKeys

    return PersonalDataHasher(SecretKeys(stack.resolve({"Ref": "HashKeySecret"}), client=stack.client("secretsmanager")))


def cli_target(stack: Any) -> Any:
    """The `leadflow` command's target for a stack deployed in this process: its
    outputs and resources as `--stack` reads them from CloudFormation (and `--local`
    from the dev server), on the process's moto."""
    import boto3

    from leadflow_cli.target import StackDescription, Target

    description = StackDescription(stack_name=stack.stack_name, region=stack.region, outputs=stack.outputs(),
                                   resources=stack.resource_ids())
    return Target.of(description, boto3.Session(region_name=stack.region))


def stores_of(stack: Any) -> Stores:
    """The parts' stores on the local stack's table."""
    from leadflow.capture.store import CaptureStore
    from leadflow.lifecycle.store import LifecycleStore
    from leadflow.notification.store import NotificationStore
    from leadflow.privacy.store import ErasureStore
    from leadflow.reporting.store import ListingStore, ReportingStore
    from leadflow.routing.roster import Roster
    from leadflow.routing.store import RoutingStore
    from leadflow.storage.table import Table

    table = Table(stack.table_name(), stack.client("dynamodb"))
    return Stores(table=table, capture=CaptureStore(table), routing=RoutingStore(table), roster=Roster(table),
                  notification=NotificationStore(table), lifecycle=LifecycleStore(table),
                  reporting=ReportingStore(table), listing=ListingStore(table), privacy=ErasureStore(table))


def post_hot_lead(stack: Any, email: str = "jane@acme-corp.com") -> str:
    """A hot lead through the whole pipeline (captured, scored, assigned); its lead id."""
    from leadflow.shared.models import ContactCard

    body = {"name": "Jane Doe", "email": email, "phone": "+14155550134", "company": "Acme Corp",
            "job_title": "VP Sales", "interest": "quote", "country": "US"}
    response = stack.handle_http("POST", "/forms/demo/submissions", {"Content-Type": "application/json"},
                                 json.dumps(body).encode())
    assert response.status == 202, response.body
    stack.drain()
    lead_id = stores_of(stack).capture.find_lead_id(ContactCard(name="Jane Doe", email=email))
    assert lead_id
    return lead_id


def claims_of(manager_id: str | None = None, *, admin: bool = False, sub: str | None = None) -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes on for a user (all strings)."""
    claims = {"sub": sub or f"user-{manager_id or 'admin'}", "token_use": "id"}
    if manager_id:
        claims["custom:manager_id"] = manager_id
    if admin:
        claims["cognito:groups"] = "admins"
    return claims


def api_event(method: str, path: str, *, claims: dict[str, str] | None, body: Any = None,
              query: dict[str, str] | None = None, resource: str | None = None,
              path_params: dict[str, str] | None = None) -> dict[str, Any]:
    """A REST proxy event for the leads API as it arrives after the Cognito authorizer
    (`claims` None: no authorizer context, as on a route without one)."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    return {
        "resource": resource or path, "path": path, "httpMethod": method.upper(),
        "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params or None, "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path, "httpMethod": method.upper(), "path": f"/v1{path}",
            "stage": "v1", "requestId": "test-request", "accountId": "123456789012", "apiId": "local",
            "identity": {"sourceIp": "127.0.0.1"},
            **({"authorizer": {"claims": claims}} if claims is not None else {}),
        },
        "body": text, "isBase64Encoded": False,
    }


class RouteAnswer:
    """A route's answer, as its function returned it to API Gateway."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.status = int(result["statusCode"])
        self.body = result["body"]
        # JSON, but for the few routes answering something else (a QR code's SVG).
        self.json = json.loads(self.body) if self.body[:1] in ("{", "[") else None

    @property
    def code(self) -> str:
        return str(self.json["code"])

    def fields(self) -> dict[str, str]:
        """The field errors: field -> code."""
        return {e["field"]: e["code"] for e in self.json["errors"]}


def call_route(stack: Any, method: str, path: str, claims: dict[str, str] | None, body: Any = None,
               query: str = "") -> RouteAnswer:
    """A JSON request through the template's route for it, as API Gateway sends it once
    its authorizer let the token through (`claims`)."""
    from leadflow_local.api_gateway import api_gateway_event

    for route in stack.routes:
        match = route.regex.match(path)
        if match and route.method == method:
            raw = b"" if body is None else json.dumps(body).encode()
            event = api_gateway_event(route, match.groupdict(), method, path, {"Content-Type": "application/json"},
                                      raw, query, "127.0.0.1", claims)
            return RouteAnswer(stack.invoke(route.function_id, event))
    raise AssertionError(f"template.yaml has no route {method} {path}")



def running_clock(stack: Any, lead_id: str) -> dict[str, Any] | None:
    """The lead's speed-to-lead clock while it runs (its card in the clocks' index,
    leadflow.lifecycle.clocks): `due_at` and the reminder it will send; else None."""
    from leadflow.storage.codec import plain
    from leadflow.storage.keys import lead_key

    clocks = stack.client("dynamodb").query(
        TableName=stack.table_name(), IndexName="GSI3", KeyConditionExpression="GSI3PK = :clocks",
        ExpressionAttributeValues={":clocks": {"S": "CLOCKS"}})["Items"]
    mine = [plain(c) for c in clocks if c["PK"] == {"S": lead_key(lead_id)["PK"]}]
    if not mine:
        return None
    [clock] = mine
    return {"due_at": clock["GSI3SK"].split("#", 1)[0], **clock["reminder_due"]}
