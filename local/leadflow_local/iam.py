"""IAM in the local stack: each function's AWS calls checked against its role as deployed.

moto allows every call; AWS allows a function what its execution role grants. At deploy,
`function_permissions` reads each function's role from the template as deployed (after
aws-sam-translator: policy templates expanded, DeadLetterQueuePolicy added), resolved
with the stack's parameters and conditions. The local stack's one botocore hook
(functions.py) calls `Permissions.check` for every call a function makes, at its cold
start and in its invocations; a call the role does not allow fails as in AWS, with a
ClientError (AccessDeniedException; AccessDenied for SQS and CloudWatch,
AuthorizationError for SNS) naming the function, the action and the resource.

`required` maps a call to (IAM action, resource ARN); `*` for actions without
resource-level permissions (Scheduler ListSchedules, SES's suppression list, SQS
ListQueues, CloudWatch PutMetricData, ...). Where it derives no resource, the action alone
is checked (a grant of it on any resource allows): a call naming no table, stream,
transaction, schedule, queue, topic, secret or sender identity (DynamoDB DescribeLimits,
Secrets Manager ListSecrets, ...), every EventBridge call but PutEvents, and every
call to Lambda, Cognito, CloudWatch (but PutMetricData) or any service not named in
_MAPPERS. PartiQL (ExecuteStatement) is checked under that name, which no grant gives:
refused (its real actions, PartiQLSelect..., are not mapped).

Only Allow statements with Action and Resource are understood: Deny, NotAction,
NotResource and Condition are refused at deploy (the template uses none; half-supporting
them would allow what AWS denies, or deny what it allows)."""

from __future__ import annotations

import copy
import re
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from leadflow_local.template import LOCAL_PARAMETERS, Resolver, Template, translate_document

Authorization = tuple[str, str | None]  # (IAM action, resource ARN; None: the action alone)
Grant = tuple[tuple[str, ...], tuple[str, ...]]  # one Allow statement: (actions, resources)

_POLICY = "arn:aws:iam::aws:policy/"
# What SAM attaches to every function's role: CloudWatch Logs and X-Ray, used by the
# Lambda runtime and the X-Ray daemon, never by a function's boto3 calls: not checked.
_RUNTIME_ONLY = {f"{_POLICY}service-role/AWSLambdaBasicExecutionRole", f"{_POLICY}AWSXrayWriteOnlyAccess"}
# What SAM attaches for an event source: Lambda's poller uses it, but the code could too.
_EVENT_SOURCE = {
    f"{_POLICY}service-role/AWSLambdaSQSQueueExecutionRole":
        ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    f"{_POLICY}service-role/AWSLambdaDynamoDBExecutionRole":
        ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"),
}
_PREFIX = {"sesv2": "ses"}  # botocore's service name where it is not the IAM prefix
_ACTION = {("sqs", "SendMessageBatch"): "SendMessage", ("sqs", "DeleteMessageBatch"): "DeleteMessage",
           ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility", ("sns", "PublishBatch"): "Publish",
           ("lambda", "Invoke"): "InvokeFunction"}
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
_ANY_RESOURCE = {("scheduler", "ListSchedules"), ("dynamodb", "ListTables"), ("cloudwatch", "PutMetricData"),
                 *(("sesv2", f"{verb}SuppressedDestination") for verb in ("Get", "Put", "Delete")),
                 ("sesv2", "ListSuppressedDestinations"), ("sesv2", "GetAccount")}
_DENIED_CODE = {"sqs": "AccessDenied", "cloudwatch": "AccessDenied", "sns": "AuthorizationError"}


def required(service_name: str, operation: str, params: Mapping[str, Any], *, region: str,
             account_id: str) -> list[Authorization]:
    """The authorizations AWS checks for one boto3 call (`service_name` as botocore names
    it, `operation` as the API does), each once, in the request's order."""
    prefix = _PREFIX.get(service_name, service_name)
    call = _Call(prefix, f"{prefix}:{_ACTION.get((service_name, operation), operation)}", operation, params,
                 region, account_id)
    if (service_name, operation) in _ANY_RESOURCE:
        return [(call.action, "*")]
    mapper = _MAPPERS.get(service_name)
    return list(dict.fromkeys(mapper(call))) if mapper else [(call.action, None)]


@dataclass(frozen=True)
class _Call:
    prefix: str
    action: str
    operation: str
    params: Mapping[str, Any]
    region: str
    account_id: str

    def arn(self, resource: str, account: str | None = None) -> str:
        return f"arn:aws:{self.prefix}:{self.region}:{account or self.account_id}:{resource}"

    def named(self, name: str, kind: str) -> str:
        """An ARN given as is, or a name made into one (`kind/name`)."""
        return name if name.startswith("arn:") else self.arn(f"{kind}{name}")


def _dynamodb(c: _Call) -> Iterator[Authorization]:
    if c.operation in ("TransactWriteItems", "TransactGetItems"):  # no action of their own: each item's
        for item in c.params.get("TransactItems", []):
            for kind, request in item.items():
                yield f"dynamodb:{_TRANSACT_ACTIONS[kind]}", c.named(request["TableName"], "table/")
    elif c.operation in ("BatchGetItem", "BatchWriteItem"):
        for name in c.params.get("RequestItems", {}):
            yield c.action, c.named(name, "table/")
    elif "TableName" in c.params:
        index = c.params.get("IndexName") if c.operation in ("Query", "Scan") else None
        yield c.action, c.named(c.params["TableName"], "table/") + (f"/index/{index}" if index else "")
    else:
        yield c.action, c.params.get("StreamArn") or c.params.get("ResourceArn")


def _scheduler(c: _Call) -> Iterator[Authorization]:
    if c.operation.endswith("ScheduleGroup"):
        yield c.action, c.arn(f"schedule-group/{c.params['Name']}")
    elif c.operation.endswith("Schedule"):
        yield c.action, c.arn(f"schedule/{c.params.get('GroupName') or 'default'}/{c.params['Name']}")
        if c.params.get("Target", {}).get("RoleArn"):  # Scheduler is handed a role to act as: checked too
            yield "iam:PassRole", c.params["Target"]["RoleArn"]
    else:
        yield c.action, c.params.get("ResourceArn")


def _sqs(c: _Call) -> Iterator[Authorization]:
    if "QueueUrl" in c.params:  # <endpoint>/<account>/<name>
        account, _, name = urlsplit(c.params["QueueUrl"]).path.strip("/").rpartition("/")
        yield c.action, c.arn(name, account.rpartition("/")[2])
    elif "QueueName" in c.params:
        yield c.action, c.arn(c.params["QueueName"], c.params.get("QueueOwnerAWSAccountId"))
    else:
        yield c.action, "*" if c.operation == "ListQueues" else None


def _sns(c: _Call) -> Iterator[Authorization]:
    yield c.action, c.params.get("TopicArn") or c.params.get("TargetArn")


def _events(c: _Call) -> Iterator[Authorization]:
    if c.operation != "PutEvents":  # rules, buses, archives...: not derived
        yield c.action, None
    for entry in c.params.get("Entries", []):  # each to its own bus, the default one if it names none
        yield c.action, c.named(entry.get("EventBusName") or "default", "event-bus/")


def _secretsmanager(c: _Call) -> Iterator[Authorization]:
    secret = c.params.get("SecretId") or c.params.get("Name")  # an ARN, a partial one or a name: see _aliases
    yield c.action, c.named(secret, "secret:") if secret else None


def _sesv2(c: _Call) -> Iterator[Authorization]:
    if c.operation in ("SendEmail", "SendBulkEmail"):
        sender = parseaddr(c.params.get("FromEmailAddress", ""))[1]
        # The sender's identity: the address's, or its domain's (see _aliases).
        yield c.action, c.params.get("FromEmailAddressIdentityArn") or (
            c.arn(f"identity/{sender}") if sender else None)
        if c.params.get("ConfigurationSetName"):
            yield c.action, c.arn(f"configuration-set/{c.params['ConfigurationSetName']}")
    else:
        yield c.action, c.arn(f"identity/{c.params['EmailIdentity']}") if "EmailIdentity" in c.params else None


_MAPPERS: dict[str, Callable[[_Call], Iterator[Authorization]]] = {
    "dynamodb": _dynamodb, "scheduler": _scheduler, "sqs": _sqs, "sns": _sns, "events": _events,
    "secretsmanager": _secretsmanager, "sesv2": _sesv2}


@dataclass
class Permissions:
    """What one function's role allows (its grants, resolved), and the check of its calls."""

    function_id: str
    principal: str  # the role's session, as AWS names it in a denial
    account_id: str
    grants: list[Grant]
    _by_action: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)

    def allows(self, action: str, resource: str | None) -> bool:
        """Whether a grant gives `action` on `resource` (None: on any resource)."""
        pattern = self._by_action.get(action, _UNSEEN)
        if pattern is _UNSEEN:  # compiled once per action: the check runs on every call
            pattern = self._by_action[action] = _resources_pattern(self.grants, action)
        return pattern is not None and (resource is None or pattern.fullmatch(resource) is not None)

    def check(self, client: Any, operation: str, params: Mapping[str, Any]) -> None:
        """Raise what AWS raises when the role does not allow this boto3 call."""
        service = client.meta.service_model
        for action, resource in required(service.service_name, operation, params,
                                         region=client.meta.region_name, account_id=self.account_id):
            if not self.allows(action, resource):
                on = f" on resource: {resource}" if resource else ""
                code = _DENIED_CODE.get(service.service_name, "AccessDeniedException")
                message = (f"User: {self.principal} is not authorized to perform: {action}{on} because no "
                           f"identity-based policy allows the {action} action (local stack: the role of "
                           f"{self.function_id} in the template as deployed)")
                status = 400 if service.protocol == "json" and service.service_name != "sqs" else 403
                response = {"Error": {"Code": code, "Message": message, "Type": "Sender"},
                            "ResponseMetadata": {"HTTPStatusCode": status}}
                raise client.exceptions.from_code(code)(response, operation)


_UNSEEN: Any = object()


def _glob(pattern: str) -> str:
    """An IAM pattern as a regex: `*` any run of characters (`/` and `:` too), `?` one."""
    return "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)


def _aliases(resource: str) -> list[str]:
    """A granted resource and the names AWS resolves to it: a secret's ARN also covers a
    request by its name or partial ARN (without the 6-character suffix); a domain's SES
    identity covers the addresses of the domain (SES authorizes a send by either)."""
    found = [resource]
    if resource.startswith("arn:aws:secretsmanager:"):
        found.append(re.sub(r"-([A-Za-z0-9]{6}|\?{6})$", "", resource))
    elif resource.startswith("arn:aws:ses:") and re.search(r":identity/[^@/]+$", resource):
        head, _, domain = resource.rpartition("/")
        found.append(f"{head}/*@{domain}")
    return found


def _resources_pattern(grants: list[Grant], action: str) -> re.Pattern[str] | None:
    """One regex of every resource granted with `action` (actions match case-blind, as in
    IAM); None if no grant gives it."""
    resources = [alias for actions, granted in grants
                 if any(re.fullmatch(_glob(a), action, re.IGNORECASE) for a in actions)
                 for resource in granted for alias in _aliases(resource)]
    return re.compile("|".join(f"(?:{_glob(r)})" for r in dict.fromkeys(resources))) if resources else None


def function_permissions(template: Template, resolve: Resolver, *, stack_name: str,
                         account_id: str) -> dict[str, Permissions]:
    """Each function's permissions: its role in the template as deployed, resolved with
    the stack's `resolve` (its parameters, conditions and created resources), but for the
    parameters only the local stack sets (LOCAL_PARAMETERS): a role is what it would be
    in an AWS account, never more because the stack is local."""
    in_aws = {name: value for name, value in template.parameter_defaults().items() if name in LOCAL_PARAMETERS}
    resolve = Resolver(ChainMap(in_aws, resolve.refs), resolve.attrs, resolve.conditions)
    resources = translate_document(_with_runtimes(template.doc))["Resources"]
    permissions = {}
    for spec in template.functions(resolve):
        lid = spec.logical_id
        role_id = _role_of(lid, resources)
        props = resources[role_id].get("Properties", {})
        documents = [p["PolicyDocument"] for p in resolve(props.get("Policies", []))] + [
            resolve(r["Properties"]["PolicyDocument"]) for r in resources.values()
            if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            and {"Ref": role_id} in r["Properties"].get("Roles", [])]
        grants = [_grant(statement, f"{role_id} of {lid}") for document in documents
                  for statement in _as_list(document["Statement"])]
        for arn in resolve(props.get("ManagedPolicyArns", [])):
            if arn in _EVENT_SOURCE:
                grants.append((_EVENT_SOURCE[arn], ("*",)))
            elif arn not in _RUNTIME_ONLY:
                raise ValueError(f"{lid}: managed policy {arn} is not known to the local stack; add what it grants")
        principal = f"arn:aws:sts::{account_id}:assumed-role/{stack_name}-{role_id}/{stack_name}-{lid}"
        permissions[lid] = Permissions(lid, principal, account_id, grants)
    return permissions


def _role_of(function_id: str, resources: Mapping[str, Any]) -> str:
    """The logical id of a function's role (SAM's `<Function>Role`, or the template's own)."""
    role = resources[function_id]["Properties"].get("Role")
    target = role.get("Fn::GetAtt") if isinstance(role, dict) else None
    if isinstance(target, list) and resources.get(target[0], {}).get("Type") == "AWS::IAM::Role":
        return str(target[0])
    raise ValueError(f"{function_id}: its role {role!r} is not a role of the template; "
                     "the local stack cannot tell what it allows")


def _grant(statement: Mapping[str, Any], where: str) -> Grant:
    unknown = set(statement) - {"Sid", "Effect", "Action", "Resource"}
    if statement.get("Effect") != "Allow" or unknown or "Action" not in statement or "Resource" not in statement:
        raise ValueError(f"{where}: statement {dict(statement)} is not emulated by the local stack "
                         "(only Allow with Action and Resource; refused rather than half-checked)")
    return tuple(_as_list(statement["Action"])), tuple(str(r) for r in _as_list(statement["Resource"]))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _with_runtimes(doc: dict[str, Any]) -> dict[str, Any]:
    """The template as SAM takes it. A function with no Runtime (a small test template's)
    is given one: SAM refuses a zip function without it, and its roles do not depend on it
    (the local stack runs every function on this process's Python)."""
    if "Runtime" in doc.get("Globals", {}).get("Function", {}):
        return doc
    doc = copy.deepcopy(doc)
    for resource in doc.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {}).setdefault("Runtime", "python3.13")
    return doc
