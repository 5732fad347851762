"""EventBridge rules of the template delivered to their functions.

Each `EventBridgeRule` event becomes a rule on its bus with an SQS queue as target, so
moto's own pattern matching decides what matches; the pump reads those queues and
invokes the function as an asynchronous invocation would (retries, then the
function's dead-letter queue)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from leadflow_local.aws import AwsClients, queue_may_have_messages
from leadflow_local.functions import AsyncInvocation, Invoke, invoke_async


@dataclass
class RuleDelivery:
    function_id: str
    rule_name: str
    queue_url: str
    attempts: int
    dead_letter_arn: str | None


def create_rule(clients: AwsClients, *, stack_name: str, region: str, account_id: str, function_id: str,
                event_name: str, props: dict[str, Any], invocation: AsyncInvocation) -> RuleDelivery:
    """The rule a function's (resolved) `EventBridgeRule` event declares, on its bus,
    with a queue of its own as target."""
    rule_name = f"{stack_name}-{function_id}-{event_name}"
    queue = clients("sqs").create_queue(QueueName=f"{rule_name}-target")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{region}:{account_id}:{rule_name}-target"
    events = clients("events")
    bus = props.get("EventBusName", "default")
    events.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(props["Pattern"]))
    events.put_targets(Rule=rule_name, EventBusName=bus, Targets=[{"Id": "function", "Arn": queue_arn}])
    return RuleDelivery(function_id, rule_name, queue, invocation.attempts, invocation.dead_letter_arn)


class EventRulesPump:
    """Delivers what moto routed to each rule's queue."""

    def __init__(self, rules: list[RuleDelivery], clients: AwsClients, invoke: Invoke, failures: list[str]) -> None:
        self.rules = rules
        self.client = clients
        self._invoke = invoke
        self.failures = failures

    def pump(self, wait_seconds: int = 0) -> int:
        """One receive per rule; returns events delivered."""
        sqs = self.client("sqs")
        delivered = 0
        for rule in self.rules:
            if not queue_may_have_messages(rule.queue_url, sqs.meta.region_name):
                continue  # nothing routed to it since its last message was delivered
            messages = sqs.receive_message(QueueUrl=rule.queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=wait_seconds).get("Messages", [])
            for message in messages:
                invocation = AsyncInvocation(rule.attempts, rule.dead_letter_arn)
                invoke_async(self._invoke, rule.function_id, invocation, json.loads(message["Body"]), self.failures,
                             sqs)
                sqs.delete_message(QueueUrl=rule.queue_url, ReceiptHandle=message["ReceiptHandle"])
                delivered += 1
        return delivered
