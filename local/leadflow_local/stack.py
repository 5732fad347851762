"""The local stack: template.yaml's resources created on moto, its wiring run by hand.

It works against any boto3 endpoint: moto in-process (`mock_aws`, used by the
integration tests and the bench) or moto's server (`make dev`, the end-to-end tests).
What Lambda, API Gateway and EventBridge do in AWS is done here by three small pumps:

- `handle_http`  turns an HTTP request into an API Gateway REST proxy event, after
                 checking the route's Cognito authorizer as API Gateway would (auth.py);
- `pump_streams` polls the table's stream and delivers batches to stream functions,
                 honouring FilterCriteria, BatchSize, partial batch failures, bisection,
                 MaximumRetryAttempts and the OnFailure destination;
- `pump_events`  creates each EventBridgeRule on the bus with an SQS target, so moto's
                 own rule matching decides; it reads those queues and invokes the
                 function like an asynchronous invocation (retries, then the DLQ).
- `pump_schedules` fires EventBridge Scheduler's one-time `at(...)` schedules that are
                 due (moto stores schedules but never fires them), the same way.

Everything is read from the template: names of functions, routes, patterns, batch sizes,
retry counts and dead-letter targets are never restated here.
"""

from __future__ import annotations

import base64
import contextvars
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote
from zoneinfo import ZoneInfo

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from leadflow_local.atomic import roll_back_only_what_a_transaction_touched, serialize_moto_requests
from leadflow_local.auth import (
    PASSWORD_FLOWS,
    CognitoAuthorizer,
    TokenVerifier,
    Unauthorized,
    authorizer_claims,
    cognito_authorizer,
    route_authorizer,
    sign_in,
)
from leadflow_local.moto_speed import query_reads_one_partition
from leadflow_local.template import ROOT, FunctionSpec, Resolver, Template

SEED_PATH = ROOT / "local" / "seed.json"

# Addresses the local SES treats as on its account-level suppression list (bounced or
# complained), lowercase. moto has no suppression list; tests add to this set.
SES_SUPPRESSED: set[str] = set()


def support_ses_suppression_list() -> None:
    """moto lacks SES v2 GetSuppressedDestination (it raises NotImplementedError): answer
    it from SES_SUPPRESSED, NotFoundException meaning "not suppressed" as in AWS."""
    from moto.core.exceptions import JsonRESTError
    from moto.sesv2.responses import SESV2Response

    if getattr(SESV2Response, "_leadflow_suppression", False):
        return

    def get_suppressed_destination(self: Any) -> str:
        address = unquote(self.path.rstrip("/").rsplit("/", 1)[-1])
        if address.lower() not in SES_SUPPRESSED:
            raise JsonRESTError("NotFoundException", f"{address} is not on the suppression list")
        return json.dumps({"SuppressedDestination": {"EmailAddress": address, "Reason": "BOUNCE",
                                                     "LastUpdateTime": time.time()}})

    SESV2Response.get_suppressed_destination = get_suppressed_destination  # type: ignore[attr-defined]
    # moto's server (make dev) routes only the paths its url table lists.
    from moto.sesv2 import urls

    urls.url_paths["{0}/v2/email/suppression/addresses/(?P<EmailAddress>[^/]+)$"] = SESV2Response.dispatch
    SESV2Response._leadflow_suppression = True  # type: ignore[attr-defined]

# -- counting AWS calls made by functions (not by the pumps) -----------------------------

_one_invocation_at_a_time = threading.RLock()
_in_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("leadflow_in_function", default=None)


class CallCounter:
    """Counts AWS API calls made while a function runs, by `service.Operation`."""

    _installed = False
    _lock = threading.Lock()
    calls: Counter[str] = Counter()
    by_function: Counter[str] = Counter()  # "<FunctionId> <service>.<Operation>"

    @classmethod
    def install(cls) -> None:
        with cls._lock:
            if cls._installed:
                return
            original = BaseClient._make_api_call

            def counting(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
                function_id = _in_function.get()
                if function_id is not None:
                    call = f"{client.meta.service_model.service_name}.{operation_name}"
                    with cls._lock:
                        cls.calls[call] += 1
                        cls.by_function[f"{function_id} {call}"] += 1
                return original(client, operation_name, api_params)

            BaseClient._make_api_call = counting  # type: ignore[method-assign]
            cls._installed = True

    @classmethod
    def reset(cls) -> Counter[str]:
        with cls._lock:
            snapshot = Counter(cls.calls)
            cls.calls.clear()
            cls.by_function.clear()
            return snapshot


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""
    timeout_ms: int = 15000
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.timeout_ms - (time.monotonic() - self._started) * 1000))


@dataclass
class ApiRoute:
    method: str
    path: str  # template form: /forms/{form_id}/submissions
    function_id: str
    regex: re.Pattern[str]
    authorizer: CognitoAuthorizer | None = None  # None: a public route


@dataclass
class StreamMapping:
    function_id: str
    stream_arn: str
    batch_size: int
    max_retries: int
    bisect: bool
    partial_failures: bool
    filters: list[Any]  # moto EventPattern objects
    on_failure_arn: str | None
    starting_position: str
    positions: dict[str, str | None] = field(default_factory=dict)  # shard id -> last sequence read


@dataclass
class QueueSource:
    """An SQS event source mapping: the queue's messages in batches to a function."""

    function_id: str
    queue_arn: str
    queue_url: str
    batch_size: int
    partial_failures: bool


@dataclass
class RuleDelivery:
    function_id: str
    rule_name: str
    queue_url: str
    attempts: int
    dead_letter_arn: str | None


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class LocalStack:
    """template.yaml deployed on whatever AWS endpoint boto3 is pointed at."""

    def __init__(self, template: Template | None = None, *, stack_name: str = "leadflow-local",
                 region: str = "us-east-1", account_id: str = "123456789012",
                 parameters: dict[str, str] | None = None, public_url: str = "http://127.0.0.1:3000") -> None:
        self.template = template or Template()
        # Where the template's API is reachable from outside (the dev server's base URL):
        # what the functions get wherever the template gives them the API's execute-api URL.
        self.public_url = public_url.rstrip("/")
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.parameters = {**self.template.parameter_defaults(), **(parameters or {})}
        self.functions: dict[str, Callable[..., Any]] = {}
        self.specs: dict[str, FunctionSpec] = {}
        self.routes: list[ApiRoute] = []
        self.streams: list[StreamMapping] = []
        self.rules: list[RuleDelivery] = []
        self.queue_sources: list[QueueSource] = []
        self.resolve: Resolver = Resolver({})
        self.failures: list[str] = []  # what the pumps could not deliver, for the console
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self.function_arns: dict[str, str] = {}  # Lambda ARN -> logical id, for Scheduler targets
        self.environments: dict[str, dict[str, str]] = {}  # logical id -> the function's environment
        self.user_pools: dict[str, str] = {}  # logical id -> user pool id
        self.user_pool_clients: dict[str, str] = {}  # logical id -> app client id
        self.passwords: dict[str, str] = {}  # seeded users' (lowercase) usernames -> their demo password
        self._verifier: TokenVerifier | None = None
        # Scheduler: each schedule's details by (ARN, created, last modified), so a poll
        # reads only the schedules it has not seen as they are, not every pending one.
        self._schedules_seen: dict[tuple[str, Any, Any], dict[str, Any]] = {}
        CallCounter.install()
        serialize_moto_requests()
        roll_back_only_what_a_transaction_touched()
        query_reads_one_partition()
        support_ses_suppression_list()

    # -- deploy --------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """One client per service. Account-id endpoints are off: moto answers on the
        classic host names only (botocore now routes streams to <account>.streams-ddb)."""
        with self._lock:
            if service not in self._clients:
                self._clients[service] = boto3.client(
                    service, region_name=self.region, config=Config(account_id_endpoint_mode="disabled"))
            return self._clients[service]

    def deploy(self) -> LocalStack:
        """Create the template's resources, load its functions and wire their events."""
        refs: dict[str, Any] = {
            **self.parameters, "AWS::StackName": self.stack_name, "AWS::Region": self.region,
            "AWS::AccountId": self.account_id, "AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws",
        }
        attrs: dict[str, Any] = {}
        queues: list[tuple[str, dict[str, Any]]] = []
        self.resolve = Resolver(refs, attrs, self.template.doc.get("Conditions", {}))
        # Referenced resources first (an app client needs its pool's id).
        for lid in self.template.creation_order():
            res = self.template.resources[lid]
            kind, props = res["Type"], res.get("Properties", {})
            if "Condition" in res and not self.resolve.condition(res["Condition"]):
                continue
            if kind == "AWS::DynamoDB::Table":
                self._create_table(lid, props, refs, attrs)
            elif kind == "AWS::Events::EventBus":
                name = self.resolve(props.get("Name", lid))
                self.client("events").create_event_bus(Name=name)
                refs[lid] = name
                attrs[f"{lid}.Name"] = name
                attrs[f"{lid}.Arn"] = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/{name}"
            elif kind == "AWS::SQS::Queue":
                name = f"{self.stack_name}-{lid}"
                url = self.client("sqs").create_queue(QueueName=name)["QueueUrl"]
                refs[lid] = url
                attrs.update({f"{lid}.QueueName": name, f"{lid}.QueueUrl": url,
                              f"{lid}.Arn": f"arn:aws:sqs:{self.region}:{self.account_id}:{name}"})
                queues.append((url, props))
            elif kind in self._CREATORS:
                getattr(self, self._CREATORS[kind])(lid, self.resolve(props), refs, attrs)
            else:
                # Functions, the API, the layer, alarms: nothing to create on moto; their
                # work is done by the pumps below. A name keeps references resolvable.
                refs[lid] = f"{self.stack_name}-{lid}"
                # ARNs the code passes on (a Scheduler target, the role it assumes): a
                # function's is the one `invoke` gives its context, so it maps back.
                if kind == "AWS::Serverless::Function":
                    arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.stack_name}-{lid}"
                    attrs[f"{lid}.Arn"] = arn
                    self.function_arns[arn] = lid
                elif kind == "AWS::IAM::Role":
                    attrs[f"{lid}.Arn"] = f"arn:aws:iam::{self.account_id}:role/{self.stack_name}-{lid}"
        # Queue attributes once every queue exists: a redrive policy names another queue.
        for url, props in queues:
            self._set_queue_attributes(url, self.resolve(props))
        # The sender must be a verified identity, as in a real SES account.
        if self.parameters.get("SenderEmail"):
            self.client("sesv2").create_email_identity(EmailIdentity=self.parameters["SenderEmail"])

        for spec in self.template.functions():
            self._load_function(spec)
        return self

    # Resources made through their AWS API from the template's own properties.
    _CREATORS = {
        "AWS::SNS::Topic": "_create_topic",
        "AWS::Cognito::UserPool": "_create_user_pool",
        "AWS::Cognito::UserPoolClient": "_create_user_pool_client",
        "AWS::Cognito::UserPoolGroup": "_create_user_pool_group",
        "AWS::SecretsManager::Secret": "_create_secret",
    }

    def _create_topic(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any]) -> None:
        arn = self.client("sns").create_topic(Name=f"{self.stack_name}-{lid}")["TopicArn"]
        refs[lid] = arn
        attrs[f"{lid}.TopicName"] = f"{self.stack_name}-{lid}"

    def _request(self, service: str, operation: str, props: dict[str, Any], **fixed: Any) -> dict[str, Any]:
        """An API request from a resource's CloudFormation properties: those the
        operation takes (the names are the same for these resources) plus `fixed`."""
        shape = self.client(service).meta.service_model.operation_model(operation).input_shape
        return {**{k: v for k, v in props.items() if k in shape.members}, **fixed}

    def _create_user_pool(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any]) -> None:
        name = props.get("UserPoolName") or f"{self.stack_name}-{lid}"
        pool = self.client("cognito-idp").create_user_pool(
            **self._request("cognito-idp", "CreateUserPool", props, PoolName=name))["UserPool"]
        self.user_pools[lid] = refs[lid] = pool["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        attrs.update({f"{lid}.Arn": pool["Arn"], f"{lid}.UserPoolId": pool["Id"], f"{lid}.ProviderName": provider,
                      f"{lid}.ProviderURL": f"https://{provider}"})

    def _create_user_pool_client(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                 attrs: dict[str, Any]) -> None:
        name = props.get("ClientName") or f"{self.stack_name}-{lid}"
        client = self.client("cognito-idp").create_user_pool_client(
            **self._request("cognito-idp", "CreateUserPoolClient", props, ClientName=name))["UserPoolClient"]
        self.user_pool_clients[lid] = refs[lid] = client["ClientId"]
        attrs.update({f"{lid}.ClientId": client["ClientId"], f"{lid}.Name": name})

    def _create_user_pool_group(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                attrs: dict[str, Any]) -> None:
        name = props.get("GroupName") or f"{self.stack_name}-{lid}"
        self.client("cognito-idp").create_group(**self._request("cognito-idp", "CreateGroup", props, GroupName=name))
        refs[lid] = name

    def _create_secret(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any]) -> None:
        """A secret; with GenerateSecretString, a random value made as its properties say
        (CloudFormation asks Secrets Manager for one at deploy). Ref is the ARN, as there."""
        value = props.get("SecretString")
        if value is None:
            value = generate_secret_string(props.get("GenerateSecretString", {}))
        request = self._request("secretsmanager", "CreateSecret", props,
                                Name=props.get("Name") or f"{self.stack_name}-{lid}", SecretString=value)
        arn = self.client("secretsmanager").create_secret(**request)["ARN"]
        refs[lid] = arn
        attrs[f"{lid}.Id"] = arn

    def _set_queue_attributes(self, url: str, props: dict[str, Any]) -> None:
        attributes = {name: str(props[name]) for name in ("VisibilityTimeout", "MessageRetentionPeriod",
                                                          "DelaySeconds", "ReceiveMessageWaitTimeSeconds")
                      if name in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if attributes:
            self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes=attributes)

    def _create_table(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any]) -> None:
        props = self.resolve(props)
        name = props.get("TableName") or f"{self.stack_name}-{lid}"
        request: dict[str, Any] = {
            "TableName": name, "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if request["BillingMode"] == "PROVISIONED":
            request["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        if props.get("GlobalSecondaryIndexes"):
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        ddb = self.client("dynamodb")
        table = ddb.create_table(**request)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        refs[lid] = name
        attrs[f"{lid}.Arn"] = table["TableArn"]
        if "LatestStreamArn" in table:
            attrs[f"{lid}.StreamArn"] = table["LatestStreamArn"]

    def _load_function(self, spec: FunctionSpec) -> None:
        self.specs[spec.logical_id] = spec
        environment = {"AWS_DEFAULT_REGION": self.region, **self._local_api_urls(spec)}
        self.environments[spec.logical_id] = {
            **{k: str(self.resolve(v)) for k, v in spec.environment.items()}, **environment}
        self.functions[spec.logical_id] = spec.load_handler(self.resolve, environment)
        for event in spec.events:
            props = self.resolve(event.properties)
            if event.type == "Api":
                regex = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(props["Path"])) + "$")
                self.routes.append(ApiRoute(props["Method"].upper(), props["Path"], spec.logical_id, regex,
                                            self._route_authorizer(event.properties)))
            elif event.type == "DynamoDB":
                self.streams.append(self._stream_mapping(spec, props))
            elif event.type == "EventBridgeRule":
                self.rules.append(self._rule_delivery(spec, event.name, props))
            elif event.type == "SQS":
                queue_name = props["Queue"].rsplit(":", 1)[-1]
                self.queue_sources.append(QueueSource(
                    function_id=spec.logical_id, queue_arn=props["Queue"],
                    queue_url=self.client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"],
                    batch_size=int(props.get("BatchSize", 10)),
                    partial_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                ))

    def _local_api_urls(self, spec: FunctionSpec) -> dict[str, str]:
        """The function's variables that hold one of the template's APIs' execute-api URL
        (such as the signed links' PUBLIC_API_URL), pointing at `public_url` instead: the
        local server serves the routes at its root, without the stage."""
        suffix = self.resolve({"Ref": "AWS::URLSuffix"})
        bases = [f"https://{self.resolve({'Ref': lid})}.execute-api.{self.region}.{suffix}/"
                 f"{self.template.api_properties(lid).get('StageName', '')}".rstrip("/")
                 for lid in self.template.of_type("AWS::Serverless::Api")]
        local = {}
        for name, value in spec.environment.items():
            resolved = str(self.resolve(value))
            for base in bases:
                if resolved == base or resolved.startswith(base + "/"):
                    local[name] = self.public_url + resolved[len(base):]
        return local

    def _route_authorizer(self, event_props: dict[str, Any]) -> CognitoAuthorizer | None:
        """The authorizer API Gateway runs before this route's function (None: public)."""
        api_ref = event_props.get("RestApiId")
        if not (isinstance(api_ref, dict) and api_ref.get("Ref") in self.template.resources):
            return None  # SAM's implicit API: no Auth in this template's Globals
        api = self.template.api_properties(api_ref["Ref"])
        auth = api.get("Auth", {})
        name = route_authorizer(auth, event_props.get("Auth"), event_props["Method"])
        if name is None:
            return None
        return cognito_authorizer(name, self.resolve(auth.get("Authorizers", {})[name]))

    def _stream_mapping(self, spec: FunctionSpec, props: dict[str, Any]) -> StreamMapping:
        from moto.events.models import EventPattern  # moto's own pattern matcher

        filters = [EventPattern.load(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", [])]
        on_failure = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return StreamMapping(
            function_id=spec.logical_id, stream_arn=props["Stream"], batch_size=int(props.get("BatchSize", 100)),
            max_retries=int(props.get("MaximumRetryAttempts", -1)),
            bisect=bool(props.get("BisectBatchOnFunctionError", False)),
            partial_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            filters=filters, on_failure_arn=on_failure, starting_position=props.get("StartingPosition", "LATEST"),
        )

    def _async_invocation(self, spec: FunctionSpec) -> tuple[int, str | None]:
        """Attempts and dead-letter ARN of a function's asynchronous invocations."""
        wanted = ("EventInvokeConfig", "DeadLetterQueue")
        fn_props = self.resolve({k: v for k, v in spec.properties.items() if k in wanted})
        retries = int(fn_props.get("EventInvokeConfig", {}).get("MaximumRetryAttempts", 2))
        dlq = fn_props.get("DeadLetterQueue", {}).get("TargetArn") or \
            fn_props.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return 1 + retries, dlq

    def _rule_delivery(self, spec: FunctionSpec, event_name: str, props: dict[str, Any]) -> RuleDelivery:
        rule_name = f"{self.stack_name}-{spec.logical_id}-{event_name}"
        queue = self.client("sqs").create_queue(QueueName=f"{rule_name}-target")["QueueUrl"]
        queue_arn = f"arn:aws:sqs:{self.region}:{self.account_id}:{rule_name}-target"
        events = self.client("events")
        bus = props.get("EventBusName", "default")
        events.put_rule(Name=rule_name, EventBusName=bus, EventPattern=json.dumps(props["Pattern"]))
        events.put_targets(Rule=rule_name, EventBusName=bus, Targets=[{"Id": "function", "Arn": queue_arn}])
        attempts, dlq = self._async_invocation(spec)
        return RuleDelivery(spec.logical_id, rule_name, queue, attempts=attempts, dead_letter_arn=dlq)

    def seed(self, path: Path = SEED_PATH, local_origin: str = "http://127.0.0.1:3000") -> None:
        """Put the demo forms and managers of a seed file in the table. `${LOCAL_ORIGIN}`
        and `${LOCAL_ORIGIN_BY_NAME}` in it become the local pages' origins, so the demo
        form allows exactly the page that `make dev` serves, on whatever port."""
        from leadflow.capture.store import CaptureStore
        from leadflow.routing.roster import Roster
        from leadflow.shared.models import FormConfig, Manager
        from leadflow.storage.table import Table

        by_name = local_origin.replace("://127.0.0.1", "://localhost")
        text = string.Template(path.read_text("utf-8")).safe_substitute(
            LOCAL_ORIGIN=local_origin, LOCAL_ORIGIN_BY_NAME=by_name)
        data = json.loads(text)
        table = Table(self.table_name(), self.client("dynamodb"))
        for form in data.get("forms", []):
            CaptureStore(table).put_form(FormConfig.model_validate(form))
        for manager in data.get("managers", []):
            Roster(table).put(Manager.model_validate(manager))
        self._seed_users(data.get("users", []), {m["manager_id"] for m in data.get("managers", [])})

    def _seed_users(self, users: list[dict[str, Any]], manager_ids: set[str]) -> None:
        """The demo sign-ins: a user per manager (`custom:manager_id`) and admins (groups),
        each with a permanent password, so a token is one USER_PASSWORD_AUTH away."""
        if not users:
            return
        (pool_id,) = self.user_pools.values()
        cognito = self.client("cognito-idp")
        for user in users:
            email, manager_id = user["email"], user.get("manager_id")
            if manager_id is not None and manager_ids and manager_id not in manager_ids:
                raise ValueError(f"seed user {email}: no manager {manager_id!r} in the seed")
            attributes = [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
            if manager_id is not None:
                attributes.append({"Name": "custom:manager_id", "Value": manager_id})
            cognito.admin_create_user(UserPoolId=pool_id, Username=email, UserAttributes=attributes,
                                      MessageAction="SUPPRESS")
            cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=user["password"],
                                            Permanent=True)
            for group in user.get("groups", []):
                cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
            self.passwords[email.lower()] = user["password"]

    def id_token(self, username: str, password: str | None = None) -> str:
        """A user's Cognito ID token, signed in as `make token` does (USER_PASSWORD_AUTH);
        the seeded users' password is known. For tests and tools."""
        password = password if password is not None else self.passwords[username.lower()]
        return sign_in(self.client("cognito-idp"), self._password_client_id(), username, password)

    def _password_client_id(self) -> str:
        for lid, client_id in self.user_pool_clients.items():
            flows = self.template.resources[lid].get("Properties", {}).get("ExplicitAuthFlows", [])
            if PASSWORD_FLOWS & set(flows):
                return client_id
        raise LookupError("no app client of the template allows USER_PASSWORD_AUTH")

    def table_name(self) -> str:
        (lid,) = self.template.of_type("AWS::DynamoDB::Table")
        return str(self.resolve({"Ref": lid}))

    # -- invoking ------------------------------------------------------------------------

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        """Call a function's handler as Lambda would, counting its AWS calls.

        One invocation at a time in this process: Lambda never runs two in one process,
        and Powertools relies on it (the REST resolver keeps the current event in a
        class attribute, the Logger its keys per service), so concurrent local calls
        would read each other's requests."""
        context = LambdaContext(
            function_name=f"{self.stack_name}-{function_id}",
            invoked_function_arn=f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.stack_name}-{function_id}",
        )
        with _one_invocation_at_a_time:
            token = _in_function.set(function_id)
            try:
                return self.functions[function_id](event, context)
            finally:
                _in_function.reset(token)

    # -- API Gateway ---------------------------------------------------------------------

    def handle_http(self, method: str, path: str, headers: dict[str, str], body: bytes,
                    query: str = "", source_ip: str = "127.0.0.1") -> HttpResponse:
        """Serve one request through the template's API routes (REST proxy integration),
        after the route's Cognito authorizer: without a valid ID token, 401 and the
        function never runs."""
        for route in self.routes:
            match = route.regex.match(path)
            if match and route.method in (method.upper(), "ANY"):
                claims = None
                if route.authorizer is not None:
                    try:
                        claims = authorizer_claims(self.token_verifier().verify(route.authorizer, headers))
                    except Unauthorized as refused:
                        return _unauthorized(str(refused))
                event = api_gateway_event(route, match.groupdict(), method, path, headers, body, query, source_ip,
                                          claims)
                return _http_response(self.invoke(route.function_id, event))
        known_path = any(r.regex.match(path) for r in self.routes)
        status = 405 if known_path else 404
        message = {"message": "Method Not Allowed" if known_path else "Missing Authentication Token"}
        return HttpResponse(status, {"Content-Type": "application/json"}, json.dumps(message).encode())

    def token_verifier(self) -> TokenVerifier:
        if self._verifier is None:
            self._verifier = TokenVerifier(self.client("cognito-idp"), self.region)
        return self._verifier

    # -- streams -------------------------------------------------------------------------

    def pump_streams(self) -> int:
        """Poll every stream mapping until caught up; returns how many records were read."""
        streams = self.client("dynamodbstreams")
        read = 0
        for mapping in self.streams:
            shards = streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"]
            for shard in shards:
                mapping.positions.setdefault(shard["ShardId"], None)
            for shard_id in list(mapping.positions):
                read += self._poll_shard(streams, mapping, shard_id)
        _forget_moto_iterators(self.account_id, self.region)
        return read

    def _poll_shard(self, streams: Any, mapping: StreamMapping, shard_id: str) -> int:
        """Read a shard until caught up, in batches of the mapping's BatchSize.

        A fresh iterator after the last sequence number read, every time: moto
        restores a whole table object when a transaction is cancelled, which leaves
        iterators taken earlier reading a stale copy of the shard."""
        read = 0
        while True:
            last = mapping.positions[shard_id]
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last} if last \
                else {"ShardIteratorType": mapping.starting_position}
            iterator = streams.get_shard_iterator(StreamArn=mapping.stream_arn, ShardId=shard_id, **position)
            page = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=mapping.batch_size)
            records = [self._lambda_record(r, mapping) for r in page.get("Records", [])]
            if not records:
                return read
            read += len(records)
            mapping.positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            # Lambda drops records that match no filter, before the function sees them.
            batch = [r for r in records if not mapping.filters or any(f.matches_event(r) for f in mapping.filters)]
            if batch:
                self._deliver_stream_batch(mapping, shard_id, batch, mapping.max_retries)

    def _lambda_record(self, record: dict[str, Any], mapping: StreamMapping) -> dict[str, Any]:
        ddb = dict(record["dynamodb"])
        created = ddb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            ddb["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record.get("eventID", uuid.uuid4().hex), "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb",
            "awsRegion": self.region, "dynamodb": ddb, "eventSourceARN": mapping.stream_arn,
        }

    def _deliver_stream_batch(self, mapping: StreamMapping, shard_id: str, batch: list[dict[str, Any]],
                              retries_left: int) -> None:
        """Lambda's retry semantics for one batch: resume from the first reported failure,
        split the batch on a function error when bisecting, give up to OnFailure."""
        function_error = False
        try:
            response = self.invoke(mapping.function_id, {"Records": batch})
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])} \
                if mapping.partial_failures else set()
            first = next((i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed), None)
        except Exception:  # noqa: BLE001 - a function error, as Lambda sees it
            function_error, first = True, 0
        if first is None:
            return
        remaining = batch[first:]
        if retries_left == 0:
            self._stream_gave_up(mapping, shard_id, remaining)
            return
        next_retries = retries_left - 1 if retries_left > 0 else -1
        if function_error and mapping.bisect and len(remaining) > 1:
            half = len(remaining) // 2
            self._deliver_stream_batch(mapping, shard_id, remaining[:half], next_retries)
            self._deliver_stream_batch(mapping, shard_id, remaining[half:], next_retries)
        else:
            self._deliver_stream_batch(mapping, shard_id, remaining, next_retries)

    def _stream_gave_up(self, mapping: StreamMapping, shard_id: str, batch: list[dict[str, Any]]) -> None:
        """What Lambda sends to a stream's OnFailure destination: where the batch lies."""
        seqs = [r["dynamodb"]["SequenceNumber"] for r in batch]
        self.failures.append(f"{mapping.function_id}: gave up on {len(batch)} stream record(s)")
        if not mapping.on_failure_arn:
            return
        message = {
            "requestContext": {"condition": "RetryAttemptsExhausted",
                               "functionArn": f"{self.stack_name}-{mapping.function_id}"},
            "DDBStreamBatchInfo": {
                "shardId": shard_id, "startSequenceNumber": seqs[0], "endSequenceNumber": seqs[-1],
                "batchSize": len(batch), "streamArn": mapping.stream_arn,
            },
        }
        self._send_to_queue_arn(mapping.on_failure_arn, message)

    # -- SQS event sources ---------------------------------------------------------------

    def pump_queues(self) -> int:
        """One batch from each SQS source. Messages the function reports as failed (or
        all, on a function error) are left in the queue: they come back after the
        visibility timeout, and the queue's redrive policy moves them to its DLQ."""
        sqs = self.client("sqs")
        delivered = 0
        for source in self.queue_sources:
            messages = sqs.receive_message(QueueUrl=source.queue_url, MaxNumberOfMessages=min(source.batch_size, 10),
                                           AttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            delivered += len(messages)
            event = {"Records": [self._sqs_record(m, source) for m in messages]}
            try:
                response = self.invoke(source.function_id, event)
                failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])} \
                    if source.partial_failures else set()
            except Exception:  # noqa: BLE001 - a function error: the whole batch stays
                failed = {m["MessageId"] for m in messages}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                sqs.delete_message_batch(QueueUrl=source.queue_url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)])
        return delivered

    def _sqs_record(self, message: dict[str, Any], source: QueueSource) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": source.queue_arn, "awsRegion": self.region,
        }

    # -- EventBridge ---------------------------------------------------------------------

    def pump_events(self, wait_seconds: int = 0) -> int:
        """Deliver what moto routed to each rule's queue; returns events delivered."""
        sqs = self.client("sqs")
        delivered = 0
        for rule in self.rules:
            messages = sqs.receive_message(QueueUrl=rule.queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=wait_seconds).get("Messages", [])
            for message in messages:
                self._deliver_event(rule, json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=rule.queue_url, ReceiptHandle=message["ReceiptHandle"])
                delivered += 1
        return delivered

    def _deliver_event(self, rule: RuleDelivery, event: dict[str, Any]) -> None:
        """An asynchronous invocation: the first try plus the function's retries, with
        a short backoff, then the event goes to the dead-letter queue."""
        for attempt in range(rule.attempts):
            try:
                self.invoke(rule.function_id, event)
                return
            except Exception:  # noqa: BLE001 - a function error, as Lambda sees it
                if attempt + 1 < rule.attempts:
                    time.sleep(min(0.05 * 2**attempt, 1.0))
        self.failures.append(f"{rule.function_id}: event {event.get('id')} sent to the dead-letter queue")
        if rule.dead_letter_arn:
            self._send_to_queue_arn(rule.dead_letter_arn, event)

    # -- EventBridge Scheduler -----------------------------------------------------------

    def pump_schedules(self, now: datetime | None = None) -> int:
        """Fire the one-time `at(...)` schedules due by `now` (default: now; tests pass a
        later time instead of waiting), as EventBridge Scheduler would: delete the
        schedule (ActionAfterCompletion DELETE), then invoke its Lambda target
        asynchronously with the target's Input (retries, then the function's DLQ).
        Schedules whose target is not one of the template's functions are left alone."""
        scheduler = self.client("scheduler")
        now = now or datetime.now(timezone.utc)
        fired = 0
        # Every page: moto, like Scheduler, lists 50 at a time, newest first, so the first
        # page alone would leave the oldest, earliest-due schedules unfired.
        summaries = [summary for page in scheduler.get_paginator("list_schedules").paginate()
                     for summary in page.get("Schedules", [])]
        listed = {(s["Arn"], s.get("CreationDate"), s.get("LastModificationDate")): s for s in summaries}
        # Forget what was deleted or changed since the last poll.
        self._schedules_seen = {key: seen for key, seen in self._schedules_seen.items() if key in listed}
        for key, summary in listed.items():
            group = summary.get("GroupName") or "default"
            schedule = self._schedules_seen.get(key)
            if schedule is None:
                schedule = self._schedules_seen[key] = scheduler.get_schedule(Name=summary["Name"], GroupName=group)
            function_id = self.function_arns.get(schedule["Target"]["Arn"].split(":$")[0])
            match = re.fullmatch(r"at\((.+)\)", schedule.get("ScheduleExpression", ""))
            if function_id is None or match is None or schedule.get("State") == "DISABLED":
                continue
            zone = ZoneInfo(schedule.get("ScheduleExpressionTimezone") or "UTC")
            if datetime.fromisoformat(match.group(1)).replace(tzinfo=zone) > now:
                continue
            if schedule.get("ActionAfterCompletion") == "DELETE":
                scheduler.delete_schedule(Name=summary["Name"], GroupName=group)
            attempts, dlq = self._async_invocation(self.specs[function_id])
            delivery = RuleDelivery(function_id, f"schedule {summary['Name']}", "", attempts, dlq)
            self._deliver_event(delivery, json.loads(schedule["Target"].get("Input") or "{}"))
            fired += 1
        return fired

    def _send_to_queue_arn(self, arn: str, body: dict[str, Any]) -> None:
        name = arn.rsplit(":", 1)[-1]
        sqs = self.client("sqs")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody=json.dumps(body))

    # -- running -------------------------------------------------------------------------

    def drain(self, timeout: float = 10.0) -> None:
        """Pump queues, streams and events until all are quiet (for tests and the bench)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pump_queues() == 0 and self.pump_streams() == 0 and self.pump_events() == 0 \
                    and self.pump_schedules() == 0:
                return
        raise TimeoutError("the local pipeline did not settle")

    def run_pumps(self, stop: threading.Event, busy: float = 0.02, idle: float = 0.4) -> list[threading.Thread]:
        """Background threads that keep the streams and the bus flowing until `stop`.

        Each poll backs off from `busy` to `idle` seconds while nothing happens, so an
        idle stack costs little, and a new lead still reaches the mailbox in about a
        second (two pumps, each at most `idle` behind)."""

        def loop(pump: Callable[[], int]) -> None:
            wait = busy
            while not stop.is_set():
                try:
                    wait = busy if pump() else min(wait * 2, idle)
                except Exception as exc:  # noqa: BLE001 - keep the dev stack alive, report it
                    self.failures.append(f"pump error: {exc!r}")
                    wait = 1.0
                stop.wait(wait)

        threads = [threading.Thread(target=loop, args=(p,), daemon=True, name=n)
                   for n, p in (("stream-pump", self.pump_streams), ("event-pump", self.pump_events),
                                ("queue-pump", self.pump_queues), ("schedule-pump", self.pump_schedules))]
        for thread in threads:
            thread.start()
        return threads


def _forget_moto_iterators(account_id: str, region: str) -> None:
    """moto keeps every shard iterator it ever handed out; the pump asks for one per
    poll, so a long `make dev` would grow without bound. Only the pump reads streams."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    dynamodbstreams_backends[account_id][region].shard_iterators.clear()


def generate_secret_string(spec: dict[str, Any]) -> str:
    """What Secrets Manager generates for a GenerateSecretString: a random password of
    PasswordLength (default 32) from the character classes it does not exclude, or, with
    SecretStringTemplate and GenerateStringKey, that JSON with the password added."""
    alphabet = "".join(chars for flag, chars in (
        ("ExcludeLowercase", string.ascii_lowercase), ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeNumbers", string.digits), ("ExcludePunctuation", string.punctuation),
    ) if not spec.get(flag)) + (" " if spec.get("IncludeSpace") else "")
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec and "GenerateStringKey" in spec:
        return json.dumps({**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: password})
    return password


def _unauthorized(message: str) -> HttpResponse:
    """API Gateway's own 401 when its Cognito authorizer refuses a request."""
    return HttpResponse(401, {"Content-Type": "application/json", "x-amzn-ErrorType": "UnauthorizedException"},
                        json.dumps({"message": message}).encode())


def api_gateway_event(route: ApiRoute, path_params: dict[str, str], method: str, path: str,
                      headers: dict[str, str], body: bytes, query: str, source_ip: str,
                      claims: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event, as the deployed API would send it; `claims`
    are the Cognito authorizer's, on a route that has one."""
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    multi_query = parse_qs(query, keep_blank_values=True) if query else None
    return {
        "resource": route.path, "path": path, "httpMethod": method.upper(),
        "headers": dict(headers), "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_params or None, "stageVariables": None,
        "requestContext": {
            "resourcePath": route.path, "httpMethod": method.upper(), "path": f"/v1{path}", "stage": "v1",
            "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
            "accountId": "123456789012", "apiId": "local",
            "identity": {"sourceIp": source_ip, "userAgent": headers.get("User-Agent") or headers.get("user-agent")},
            **({"authorizer": {"claims": claims}} if claims is not None else {}),
        },
        "body": text, "isBase64Encoded": is_base64,
    }


def _http_response(result: dict[str, Any]) -> HttpResponse:
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(v) for v in values)
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return HttpResponse(int(result["statusCode"]), headers, raw)
