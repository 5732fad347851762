"""EventBridge API destinations and Pipes of the template, delivered over real HTTP.

moto keeps connections, API destinations and pipes but delivers to none of them (its
API-destination target sends no body and no auth; its pipes never run), so the local
stack does it, from the template's own properties:

- a rule target that is an API destination gets a queue of its own as the rule's
  target (moto's matching decides, as in event_rules.py); the pump POSTs each event,
  with the connection's auth header, as EventBridge would: a 429, 5xx, 401, 407 or 409 is
  retried (the message comes back after a growing delay) up to the target's
  RetryPolicy; any other answer, or the last failure, puts the event in the target's
  dead-letter queue with EventBridge's error attributes;
- a pipe reads its SQS source (BatchSize), calls its enrichment function with the
  records (a JSON array, as Pipes does) and POSTs what it returns to its API
  destination (`[]`, `{}`, `""`: nothing to post). A failure leaves the messages in the
  queue: they come back after its visibility timeout, and its redrive policy moves them
  to its dead-letter queue, as with Pipes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import ProxyHandler, Request, build_opener

from leadflow_local.aws import AwsClients, queue_may_have_messages
from leadflow_local.functions import Invoke

# What EventBridge retries (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html).
RETRIED = {401, 407, 409, 429}
USER_AGENT = "Amazon/EventBridge/ApiDestinations"
TIMEOUT_S = 5.0  # EventBridge waits 5 seconds for an API destination
_direct = build_opener(ProxyHandler({}))  # the receiver is local: no proxy from the environment


@dataclass(frozen=True)
class ApiDestination:
    """Where an API destination posts and the headers its connection adds."""

    arn: str
    endpoint: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DestinationRule:
    """A rule's API-destination target, fed through a queue of its own."""

    rule_name: str
    rule_arn: str
    target_arn: str
    queue_url: str
    attempts: int  # the first try and the RetryPolicy's retries
    dead_letter_arn: str | None


@dataclass(frozen=True)
class PipeRoute:
    """A pipe from an SQS queue, through an optional enrichment function, to an API destination."""

    name: str
    queue_arn: str
    queue_url: str
    batch_size: int
    enrichment: str | None  # the function's logical id
    target_arn: str


def connection_headers(authorization_type: str, auth: dict[str, Any]) -> dict[str, str]:
    """The headers a connection adds to every call (its secret, its invocation headers)."""
    headers: dict[str, str] = {}
    if authorization_type == "API_KEY":
        key = auth["ApiKeyAuthParameters"]
        headers[str(key["ApiKeyName"])] = str(key["ApiKeyValue"])
    elif authorization_type == "BASIC":
        basic = auth["BasicAuthParameters"]
        token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    for header in auth.get("InvocationHttpParameters", {}).get("HeaderParameters", []):
        headers[str(header["Key"])] = str(header["Value"])
    return headers


def post(destination: ApiDestination, body: Any) -> int:
    """One call of an API destination with a JSON body; its HTTP status (0: unreachable)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **destination.headers}
    request = Request(destination.endpoint, data=data, method=destination.method, headers=headers)  # noqa: S310 - the template's URL
    try:
        with _direct.open(request, timeout=TIMEOUT_S) as response:
            return int(response.status)
    except HTTPError as error:
        return int(error.code)
    except (URLError, OSError):
        return 0


def _retried(status: int) -> bool:
    return status == 0 or status >= 500 or status in RETRIED


class DestinationsPump:
    """Delivers what moto routed to the API-destination targets' queues, and runs the pipes."""

    def __init__(self, destinations: dict[str, ApiDestination], rules: list[DestinationRule],
                 pipes: list[PipeRoute], clients: AwsClients, invoke: Invoke, failures: list[str],
                 region: str) -> None:
        self.destinations = destinations
        self.rules = rules
        self.pipes = pipes
        self.client = clients
        self._invoke = invoke
        self.failures = failures
        self.region = region

    def pump(self) -> int:
        """One receive per rule target and per pipe; returns messages handled."""
        return sum(self._deliver(rule) for rule in self.rules) + sum(self._run(pipe) for pipe in self.pipes)

    def _deliver(self, rule: DestinationRule) -> int:
        sqs = self.client("sqs")
        if not queue_may_have_messages(rule.queue_url, self.region):
            return 0
        messages = sqs.receive_message(QueueUrl=rule.queue_url, MaxNumberOfMessages=10,
                                       AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
        for message in messages:
            status = post(self.destinations[rule.target_arn], json.loads(message["Body"]))
            attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            if 200 <= status < 300:
                sqs.delete_message(QueueUrl=rule.queue_url, ReceiptHandle=message["ReceiptHandle"])
            elif _retried(status) and attempt < rule.attempts:
                # EventBridge backs off between retries: the message comes back later.
                sqs.change_message_visibility(QueueUrl=rule.queue_url, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=min(2 ** (attempt - 1), 60))
            else:
                self._dead_letter(rule, message["Body"], status)
                sqs.delete_message(QueueUrl=rule.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def _dead_letter(self, rule: DestinationRule, body: str, status: int) -> None:
        """The event in the target's dead-letter queue, with the attributes EventBridge sets."""
        self.failures.append(f"{rule.rule_name}: event sent to the dead-letter queue (HTTP {status or 'unreachable'})")
        if not rule.dead_letter_arn:
            return
        sqs = self.client("sqs")
        code = "SDK_CLIENT_ERROR" if status == 0 else f"{status}"
        attributes = {"RULE_ARN": rule.rule_arn, "TARGET_ARN": rule.target_arn, "ERROR_CODE": code,
                      "ERROR_MESSAGE": f"Received a {status} response" if status else "Unreachable endpoint"}
        url = sqs.get_queue_url(QueueName=rule.dead_letter_arn.rsplit(":", 1)[-1])["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
            name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()})

    def _run(self, pipe: PipeRoute) -> int:
        sqs = self.client("sqs")
        if not queue_may_have_messages(pipe.queue_url, self.region):
            return 0
        messages = sqs.receive_message(QueueUrl=pipe.queue_url, MaxNumberOfMessages=min(pipe.batch_size, 10),
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        records = [self._record(message, pipe) for message in messages]
        try:
            payload: Any = self._invoke(pipe.enrichment, records) if pipe.enrichment else records
        except Exception:  # noqa: BLE001 - an enrichment error: the batch stays in the queue
            self.failures.append(f"{pipe.name}: enrichment failed; the messages are retried")
            return len(messages)
        bodies = [] if payload in ([], {}, "", None) else payload if isinstance(payload, list) else [payload]
        statuses = [post(self.destinations[pipe.target_arn], body) for body in bodies]
        if all(200 <= status < 300 for status in statuses):
            sqs.delete_message_batch(QueueUrl=pipe.queue_url, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)])
        else:
            self.failures.append(f"{pipe.name}: the target answered {statuses}; the messages are retried")
        return len(messages)

    def _record(self, message: dict[str, Any], pipe: PipeRoute) -> dict[str, Any]:
        """An SQS message as Pipes hands it on (the shape of Lambda's SQS records)."""
        return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
                "attributes": message.get("Attributes", {}), "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
                "eventSourceARN": pipe.queue_arn, "awsRegion": self.region}
