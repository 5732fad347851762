"""Which Leadflow deployment a command acts on, and the names of its resources.

`--stack NAME` reads a deployed stack's CloudFormation outputs (DescribeStacks), and the
physical ids of the few resources the template does not output yet (ListStackResources).
`--local` asks the running `make dev` for the same description (`GET /_local/stack.json`
on PORT, default 3000): the dev server knows the names it gave the template's resources
on its moto, so nothing here restates how the local stack names things.

Either way the result is one `Target`: the resolved names and a boto3 session with its
endpoint, shared by every subcommand. Tests build one for an in-process stack with
`Target.of(...)` and hand it to `leadflow_cli.main.main`."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.error import URLError
from urllib.request import ProxyHandler, build_opener

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

# Output name of the template (template.yaml `Outputs`) -> Target field.
OUTPUTS: dict[str, str] = {
    "TableName": "table_name",
    "EventBusName": "event_bus_name",
    "ApiUrl": "api_url",
    "UserPoolId": "user_pool_id",
    "UserPoolClientId": "user_pool_client_id",
    "FallbackQueueUrl": "fallback_queue_url",
    "ScoreFailureQueueUrl": "score_failure_queue_url",
    "NotifyDeadLetterQueueUrl": "notify_dead_letter_queue_url",
    "RemindDeadLetterQueueUrl": "remind_dead_letter_queue_url",
    "ReportDeadLetterQueueUrl": "report_dead_letter_queue_url",
    "UnassignedLeadsTopicArn": "unassigned_leads_topic_arn",
    "HotLeadTopicArn": "hot_lead_topic_arn",
    "ImportQueueUrl": "import_queue_url",
    "SpeedToLeadSla": "speed_to_lead_sla",
}
# Not outputs of the template (yet): found among the stack's resources by logical id.
# An output of the same field, should the template add one, wins.
RESOURCES: dict[str, str] = {
    "HashKeySecret": "hash_key_secret_arn",
    "ReminderScheduleGroup": "schedule_group",
}
# Without these a stack is not a Leadflow stack.
REQUIRED_OUTPUTS = ("TableName", "EventBusName")

LOCAL_HOST = "127.0.0.1"
LOCAL_STACK_PATH = "/_local/stack.json"
# moto accepts any key; fixed fake ones so an operator's real keys never leave for moto.
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # noqa: S105


class TargetError(Exception):
    """The deployment cannot be found or is not a Leadflow stack: a usage error (exit 2),
    in words for the person at the terminal."""


class StackDescription(BaseModel):
    """What CloudFormation says about a stack: its outputs, and each resource's physical id."""

    stack_name: str
    region: str
    outputs: dict[str, str]
    resources: dict[str, str] = Field(default_factory=dict)  # logical id -> physical id


class LocalStackDescription(StackDescription):
    """The dev server's `/_local/stack.json`: the description, and where its moto listens."""

    aws_endpoint: str


class Target(BaseModel):
    """A Leadflow deployment's resource names and the AWS session that reaches them."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    label: str  # how messages name it: "stack leadflow-prod (eu-west-1)", "make dev on ..."
    stack_name: str
    region: str
    endpoint_url: str | None = None  # None: AWS itself
    local: bool = False  # `make dev` (or a test's stack): its seed may hold passwords
    table_name: str
    event_bus_name: str
    api_url: str | None = None
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    fallback_queue_url: str | None = None
    score_failure_queue_url: str | None = None
    notify_dead_letter_queue_url: str | None = None
    remind_dead_letter_queue_url: str | None = None
    report_dead_letter_queue_url: str | None = None
    unassigned_leads_topic_arn: str | None = None
    hot_lead_topic_arn: str | None = None
    import_queue_url: str | None = None
    speed_to_lead_sla: str | None = None  # "hot=15,warm=240,cold=2880"
    hash_key_secret_arn: str | None = None
    schedule_group: str | None = None
    session: Any = Field(exclude=True, repr=False)  # a boto3.Session
    _clients: dict[str, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, description: StackDescription, session: Any, *, endpoint_url: str | None = None,
           label: str | None = None, local: bool = False) -> Target:
        """The target a stack description names; TargetError when it lacks what every
        Leadflow stack outputs."""
        missing = [name for name in REQUIRED_OUTPUTS if not description.outputs.get(name)]
        label = label or f"stack {description.stack_name} ({description.region})"
        if missing:
            raise TargetError(f"{label} has no {' or '.join(missing)} output: is it a Leadflow stack?")
        values: dict[str, Any] = {field: description.resources.get(lid) for lid, field in RESOURCES.items()}
        values |= {field: description.outputs[name] for name, field in OUTPUTS.items() if description.outputs.get(name)}
        return cls(label=label, stack_name=description.stack_name, region=description.region,
                   endpoint_url=endpoint_url, session=session, local=local, **values)

    def client(self, service: str) -> Any:
        """One boto3 client per service, on the target's session and endpoint."""
        if service not in self._clients:
            from botocore.config import Config

            if self.endpoint_url:
                # The local moto: answers at once or not at all, and only on the classic
                # host names (botocore may otherwise send DynamoDB to <account>.ddb...).
                config = Config(connect_timeout=3, retries={"mode": "standard", "max_attempts": 2},
                                account_id_endpoint_mode="disabled")
            else:
                config = Config(retries={"mode": "standard"})
            self._clients[service] = self.session.client(service, region_name=self.region,
                                                         endpoint_url=self.endpoint_url, config=config)
        return self._clients[service]

    def require(self, field: str, what: str) -> str:
        """A name only some commands need; TargetError naming what is missing."""
        value = getattr(self, field)
        if not value:
            raise TargetError(f"{self.label} has no {what}: was it deployed from this version of template.yaml?")
        return str(value)


# -- --stack -------------------------------------------------------------------------------


def stack_target(stack_name: str, *, region: str | None = None, profile: str | None = None) -> Target:
    """The deployed stack `stack_name`, through the operator's own AWS credentials."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise TargetError(str(error)) from None
    if not session.region_name:
        raise TargetError("no AWS region: give --region (or set AWS_REGION, or a region in your AWS profile)")
    try:
        description = describe_stack(session.client("cloudformation"), stack_name, session.region_name)
    except NoCredentialsError:
        raise TargetError("no AWS credentials: configure them as for the AWS CLI (or give --profile)") from None
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            raise TargetError(f"no stack {stack_name!r} in {session.region_name} (check --stack and --region)") \
                from None
        raise TargetError(f"CloudFormation refused: {error}") from None
    except BotoCoreError as error:
        raise TargetError(f"CloudFormation could not be reached: {error}") from None
    return Target.of(description, session)


def describe_stack(cloudformation: Any, stack_name: str, region: str) -> StackDescription:
    """A stack's outputs (DescribeStacks) and its resources' physical ids (ListStackResources)."""
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                 for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
                 for r in page["StackResourceSummaries"] if r.get("PhysicalResourceId")}
    return StackDescription(stack_name=stack["StackName"], region=region, outputs=outputs, resources=resources)


# -- --local -------------------------------------------------------------------------------


def local_target(environ: Mapping[str, str] | None = None, timeout: float = 5.0) -> Target:
    """The running `make dev`: found on PORT (default 3000), as it was started; its moto
    is the one it names, or AWS_PORT when set (as `make token` reads it)."""
    env = os.environ if environ is None else environ
    port = _port(env, "PORT", 3000)
    aws_port = _port(env, "AWS_PORT", None)
    url = f"http://{LOCAL_HOST}:{port}{LOCAL_STACK_PATH}"
    try:
        # Local URLs never go through a proxy from the environment.
        with build_opener(ProxyHandler({})).open(url, timeout=timeout) as answer:
            description = LocalStackDescription.model_validate(json.load(answer))
    except URLError as error:
        raise TargetError(f"no `make dev` answering on {LOCAL_HOST}:{port} ({error.reason}): start it, or set "
                          f"PORT to the port it runs on") from None
    except (OSError, ValueError, ValidationError) as error:
        raise TargetError(f"{url} did not describe a local stack ({error.__class__.__name__}): is `make dev` "
                          f"what runs on port {port}?") from None
    import boto3

    endpoint = f"http://{LOCAL_HOST}:{aws_port}" if aws_port else description.aws_endpoint
    session = boto3.Session(region_name=description.region, **LOCAL_CREDENTIALS)
    return Target.of(description, session, endpoint_url=endpoint, label=f"make dev on {LOCAL_HOST}:{port}",
                     local=True)


def _port(env: Mapping[str, str], name: str, default: int | None) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise TargetError(f"{name}={text!r} is not a port number")
    return int(text)
