"""The local stack: template.yaml's resources created on moto, its wiring run by hand.

It works against any boto3 endpoint; it runs on moto in process (`mock_aws`: the
integration tests, the bench and `make dev`, whose moto server on AWS_PORT serves the
same backends to the `leadflow` command and `make token`).
`LocalStack` is the small facade the server, the tests and the bench use; each emulated
AWS piece has its own module:

- resources.py     the template's tables, queues, bus, topics, Cognito pool, client and
                   groups, secrets and the sender's SES identity;
- functions.py     Lambda: each function in a container of its own (its environment,
                   its modules), one invocation at a time, AWS calls counted;
- iam.py           IAM: every AWS call a function makes (at its start too) checked
                   against its role in the template as deployed; refused as AWS does;
- api_gateway.py   `handle_http`: the template's API routes as REST proxy events, after
                   the route's Cognito authorizer (auth.py);
- streams.py       `pump_streams`: the table's stream to the stream functions
                   (FilterCriteria, BatchSize, partial failures, bisection, retries,
                   OnFailure);
- event_rules.py   `pump_events`: each EventBridgeRule on the bus with an SQS target, so
                   moto's own matching decides; delivered as asynchronous invocations;
- queue_sources.py `pump_queues`: SQS event sources;
- scheduler.py     `pump_schedules`: EventBridge Scheduler's due one-time schedules;
- api_destinations.py `pump_destinations`: rules' API-destination targets and pipes,
                   posted over real HTTP with their connection's auth, retries, DLQs;
- moto_patches/    where moto needs help to behave like AWS.

Everything is read from the template: names of functions, routes, patterns, batch sizes,
retry counts and dead-letter targets are never restated here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from leadflow_local import moto_patches
from leadflow_local.api_destinations import ApiDestination, DestinationRule, DestinationsPump, PipeRoute
from leadflow_local.api_gateway import (
    ApiGateway,
    ApiRoute,
    HttpResponse,
    api_gateway_event,
    api_route,
    local_api_url,
    local_api_urls,
)
from leadflow_local.auth import PASSWORD_FLOWS, TokenVerifier, sign_in
from leadflow_local.aws import AwsClients
from leadflow_local.event_rules import EventRulesPump, RuleDelivery, create_rule
from leadflow_local.functions import AsyncInvocation, CallCounter, LambdaContext, LambdaFunction
from leadflow_local.iam import Permissions, function_permissions
from leadflow_local.managed_login import ManagedLogin, OAuthClient, local_login_url
from leadflow_local.queue_sources import QueueSource, QueueSourcesPump
from leadflow_local.resources import TemplateResources, generate_secret_string
from leadflow_local.scheduler import SchedulePump, create_recurring_schedule
from leadflow_local.streams import StreamMapping, StreamPump
from leadflow_local.template import LOCAL_PARAMETERS, ROOT, FunctionSpec, Resolver, Template

# What tests, the server and the bench import from here.
__all__ = ["SEED_PATH", "ApiRoute", "CallCounter", "HttpResponse", "LambdaContext", "LocalStack",
           "QueueSource", "RuleDelivery", "StackState", "StreamMapping", "api_gateway_event",
           "generate_secret_string"]

SEED_PATH = ROOT / "local" / "seed.json"


@dataclass(frozen=True)
class StackState:
    """The stack's own mutable state at one moment (`LocalStack.state`), to put back
    with `LocalStack.restore` together with the AWS state of the same moment."""

    stream_positions: list[dict[str, str | None]]
    failures: list[str]
    schedules_seen: dict[tuple[str, Any, Any], dict[str, Any]]
    passwords: dict[str, str]
    schedules_next_runs: dict[tuple[str, Any, Any], datetime]


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
        declared = self.template.parameter_defaults()
        self.parameters = {**declared, **{k: v for k, v in LOCAL_PARAMETERS.items() if k in declared},
                           **(parameters or {})}
        # What runs for a function id: its container, unless a test put a wrapper here
        # (until `restore`).
        self.functions: dict[str, Callable[..., Any]] = {}
        self.containers: dict[str, LambdaFunction] = {}
        self.specs: dict[str, FunctionSpec] = {}
        self.environments: dict[str, dict[str, str]] = {}  # logical id -> the function's own variables
        self.permissions: dict[str, Permissions] = {}  # logical id -> what its role allows, as deployed
        self.routes: list[ApiRoute] = []
        self.streams: list[StreamMapping] = []
        self.rules: list[RuleDelivery] = []
        self.queue_sources: list[QueueSource] = []
        self.destinations: dict[str, ApiDestination] = {}  # API destination ARN -> where it posts
        self.destination_rules: list[DestinationRule] = []
        self.pipes: list[PipeRoute] = []
        self.resolve: Resolver = Resolver({})
        self.failures: list[str] = []  # what the pumps could not deliver, for the console
        self.function_arns: dict[str, str] = {}  # Lambda ARN -> logical id, for Scheduler targets
        self.user_pools: dict[str, str] = {}  # logical id -> user pool id
        self.user_pool_clients: dict[str, str] = {}  # logical id -> app client id
        self.passwords: dict[str, str] = {}  # seeded users' (lowercase) usernames -> their demo password
        self._clients = AwsClients(region)
        self._verifier: TokenVerifier | None = None
        self._managed_login: ManagedLogin | None = None
        # The pumps call `self.invoke` as it is at the time (tests and the bench wrap it).
        def invoke(function_id: str, event: dict[str, Any]) -> Any:
            return self.invoke(function_id, event)
        self._api = ApiGateway(self.routes, self.token_verifier, invoke)
        self._stream_pump = StreamPump(self.streams, self._clients, invoke, self.failures,
                                       function_arn=self.function_arn, region=region, account_id=account_id)
        self._event_pump = EventRulesPump(self.rules, self._clients, invoke, self.failures)
        self._queue_pump = QueueSourcesPump(self.queue_sources, self._clients, invoke, region)
        self._destinations_pump = DestinationsPump(self.destinations, self.destination_rules, self.pipes,
                                                   self._clients, invoke, self.failures, region)
        self._schedule_pump = SchedulePump(self.function_arns, self._async_invocation, self._clients, invoke,
                                           self.failures)
        CallCounter.install()
        moto_patches.install()

    # -- deploy --------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """The stack's own client for an AWS service (one per service)."""
        return self._clients(service)

    def deploy(self, *, start_functions: bool = True) -> LocalStack:
        """Create the template's resources and wire its functions' events. With
        `start_functions`, each function's container starts now (as `make dev` wants:
        an import error shows at once); otherwise on its first invocation."""
        deployment = TemplateResources(self.template, self._clients, stack_name=self.stack_name,
                                       region=self.region, account_id=self.account_id).create(self.parameters)
        self.resolve = deployment.resolve
        self.function_arns.update(deployment.function_arns)
        self.user_pools.update(deployment.user_pools)
        self.user_pool_clients.update(deployment.user_pool_clients)
        self.destinations.update(deployment.destinations)
        self.destination_rules.extend(deployment.destination_rules)
        self.pipes.extend(deployment.pipes)
        # Each role resolved once: the check on every call only matches.
        self.permissions.update(function_permissions(self.template, self.resolve, stack_name=self.stack_name,
                                                     account_id=self.account_id))
        for spec in self.template.functions(self.resolve):
            self._add_function(spec)
        if start_functions:
            for function_id in self.containers:
                self.module(function_id)
        return self

    def _add_function(self, spec: FunctionSpec) -> None:
        lid = spec.logical_id
        self.specs[lid] = spec
        # Exactly what Lambda would give it: its template variables and the region.
        self.environments[lid] = {
            **spec.resolved_environment(self.resolve), "AWS_DEFAULT_REGION": self.region,
            **local_api_urls(self.template, spec, self.resolve, self.region, self.public_url)}
        self.containers[lid] = self.functions[lid] = LambdaFunction(spec, self.environments[lid],
                                                                    self.permissions[lid])
        for event in spec.events:
            if event.type == "Api":
                self.routes.append(api_route(self.template, spec, event, self.resolve,
                                                 region=self.region, public_url=self.public_url))
                continue
            props = self.resolve(event.properties)
            if event.type == "DynamoDB":
                self.streams.append(StreamMapping.of(spec, props))
            elif event.type == "EventBridgeRule":
                self.rules.append(create_rule(
                    self._clients, stack_name=self.stack_name, region=self.region, account_id=self.account_id,
                    function_id=lid, event_name=event.name, props=props, invocation=self._async_invocation(lid)))
            elif event.type == "SQS":
                self.queue_sources.append(QueueSource.of(spec, props, self._clients))
            elif event.type == "ScheduleV2":
                create_recurring_schedule(self._clients("scheduler"), self.function_arn(lid), props)

    def _async_invocation(self, function_id: str) -> AsyncInvocation:
        return AsyncInvocation.of(self.specs[function_id], self.resolve)

    def seed(self, path: Path = SEED_PATH, local_origin: str = "http://127.0.0.1:3000") -> None:
        """Apply a seed file as `leadflow apply` does (the same code: there is no second
        loader): its forms, managers and users, the users with their demo passwords.
        `${LOCAL_ORIGIN}` and `${LOCAL_ORIGIN_BY_NAME}` in it become the local pages'
        origins, so the demo form allows exactly the page that `make dev` serves."""
        from leadflow_cli import setup_file

        origins = {"LOCAL_ORIGIN": local_origin,
                   "LOCAL_ORIGIN_BY_NAME": local_origin.replace("://127.0.0.1", "://localhost")}
        target = self.operator_target()
        applied = setup_file.apply(target, setup_file.plan(target, setup_file.read_file(path, origins)))
        self.passwords.update(applied.passwords)

    def operator_target(self) -> Any:
        """The `leadflow` command's target for this stack: its outputs and resources as
        CloudFormation would describe them, on the endpoint boto3 is pointed at."""
        import boto3

        from leadflow_cli.target import StackDescription, Target

        description = StackDescription(stack_name=self.stack_name, region=self.region, outputs=self.outputs(),
                                       resources=self.resource_ids())
        return Target.of(description, boto3.Session(region_name=self.region), label=f"local stack {self.stack_name}",
                         local=True)

    def id_token(self, username: str, password: str | None = None) -> str:
        """A user's Cognito ID token, signed in as `make token` does (USER_PASSWORD_AUTH);
        the seeded users' password is known. For tests and tools."""
        password = password if password is not None else self.passwords[username.lower()]
        return sign_in(self.client("cognito-idp"), self._password_client_id(), username, password)

    def _password_client_id(self) -> str:
        for lid, client_id in self.user_pool_clients.items():
            flows = self.resolve(self.template.resources[lid].get("Properties", {}).get("ExplicitAuthFlows", []))
            if PASSWORD_FLOWS & set(flows):
                return client_id
        raise LookupError("no app client of the template allows USER_PASSWORD_AUTH")

    def table_name(self) -> str:
        (lid,) = self.template.of_type("AWS::DynamoDB::Table")
        return str(self.resolve({"Ref": lid}))

    def outputs(self) -> dict[str, str]:
        """The template's Outputs as DescribeStacks would give them for this stack (those
        whose Condition holds), API URLs pointing at the local server: what the `leadflow`
        command reads to find the stack's resources (the dev server's /_local/stack.json)."""
        outputs = {}
        for name, output in self.template.doc.get("Outputs", {}).items():
            if "Condition" in output and not self.resolve.condition(output["Condition"]):
                continue
            value = str(self.resolve(output["Value"]))
            outputs[name] = local_login_url(value, self.public_url) or local_api_url(
                self.template, self.resolve, self.region, self.public_url, value)
        return outputs

    def managed_login(self) -> ManagedLogin:
        """The user pool domain's sign-in pages and OAuth endpoints, emulated on moto
        (managed_login.py) for the template's app clients that allow the code flow,
        their callback and sign-out URLs pointing at the local server as the API's do."""
        if self._managed_login is None:
            clients = []
            for lid, client_id in self.user_pool_clients.items():
                props = self.resolve(self.template.resources[lid].get("Properties", {}))
                if "code" not in props.get("AllowedOAuthFlows", []):
                    continue
                local = [local_api_url(self.template, self.resolve, self.region, self.public_url, str(url))
                         for url in (*props.get("CallbackURLs", []), *props.get("LogoutURLs", []))]
                callbacks = len(props.get("CallbackURLs", []))
                clients.append(OAuthClient(client_id, frozenset(local[:callbacks]), frozenset(local[callbacks:])))
            self._managed_login = ManagedLogin(self.client("cognito-idp"), clients)
        return self._managed_login

    def resource_ids(self) -> dict[str, str]:
        """Each deployed resource's Ref by logical id: its physical id, as ListStackResources
        gives it for the resources the `leadflow` command looks up (a secret's ARN, a
        schedule group's name)."""
        return {lid: str(self.resolve.refs[lid]) for lid in self.template.resources if lid in self.resolve.refs}

    def schedule_group(self) -> str:
        """The stack's own schedule group (reminders, follow-ups, visit digests)."""
        (lid,) = self.template.of_type("AWS::Scheduler::ScheduleGroup")
        return str(self.resolve({"Ref": lid}))

    def schedules(self) -> dict[str, dict[str, Any]]:
        """The stack's pending schedules by name, each as GetSchedule returns it."""
        scheduler, group = self.client("scheduler"), self.schedule_group()
        return {s["Name"]: scheduler.get_schedule(Name=s["Name"], GroupName=group)
                for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group)
                for s in page["Schedules"]}

    # -- invoking ------------------------------------------------------------------------

    def invoke(self, function_id: str, event: dict[str, Any]) -> Any:
        """Call a function's handler as Lambda would, in its container (started first if
        cold), counting the AWS calls the invocation makes (not those of the start); every
        call, the start's too, is checked against the function's role."""
        context = LambdaContext(function_name=f"{self.stack_name}-{function_id}",
                                invoked_function_arn=self.function_arn(function_id))
        with self.containers[function_id].running(), CallCounter.counting_for(function_id):
            return self.functions[function_id](event, context)

    def function_arn(self, function_id: str) -> str:
        """A function's ARN, as its invocations' context and the template's GetAtt give it."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.stack_name}-{function_id}"

    def module(self, function_id: str) -> ModuleType:
        """The function's handler module in its current container (started if cold):
        for tests that replace one of its collaborators for one test."""
        return self.containers[function_id].module()

    # -- API Gateway ---------------------------------------------------------------------

    def handle_http(self, method: str, path: str, headers: dict[str, str], body: bytes,
                    query: str = "", source_ip: str = "127.0.0.1") -> HttpResponse:
        """Serve one request through the template's API routes (REST proxy integration),
        after the route's Cognito authorizer: without a valid ID token, 401 and the
        function never runs."""
        return self._api.handle(method, path, headers, body, query, source_ip)

    def token_verifier(self) -> TokenVerifier:
        if self._verifier is None:
            self._verifier = TokenVerifier(self.client("cognito-idp"), self.region)
        return self._verifier

    # -- event sources -------------------------------------------------------------------

    def pump_streams(self) -> int:
        """Poll every stream mapping until caught up; returns how many records were read."""
        return self._stream_pump.pump()

    def pump_queues(self) -> int:
        """One batch from each SQS event source; returns messages delivered."""
        return self._queue_pump.pump()

    def pump_events(self, wait_seconds: int = 0) -> int:
        """Deliver what moto routed to each rule's queue; returns events delivered."""
        return self._event_pump.pump(wait_seconds)

    def pump_destinations(self) -> int:
        """Post what reached the rules' API-destination targets, and run the pipes."""
        return self._destinations_pump.pump()

    def pump_schedules(self, now: datetime | None = None) -> int:
        """Fire the one-time `at(...)` schedules due by `now` (default: now; tests pass a
        later time instead of waiting) whose target is one of the template's functions."""
        return self._schedule_pump.pump(now)

    # -- running -------------------------------------------------------------------------

    def drain(self, timeout: float = 10.0) -> None:
        """Pump queues, streams and events until all are quiet (for tests and the bench)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pump_queues() == 0 and self.pump_streams() == 0 and self.pump_events() == 0 \
                    and self.pump_destinations() == 0 and self.pump_schedules() == 0:
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
                                ("queue-pump", self.pump_queues), ("schedule-pump", self._schedule_pump.poll),
                                ("destinations-pump", self.pump_destinations))]
        for thread in threads:
            thread.start()
        return threads

    # -- back to a known state (tests) ---------------------------------------------------

    def state(self) -> StackState:
        """The stack's own mutable state now (where its pumps are, what failed...)."""
        return StackState(self._stream_pump.positions(), list(self.failures), dict(self._schedule_pump.seen),
                          dict(self.passwords), dict(self._schedule_pump.next_runs))

    def restore(self, state: StackState) -> None:
        """Put back a `state` taken when AWS was as it is being put back to: the pumps'
        positions, the failures, the functions (no test's wrapper), and a new container
        for every function, as after a deploy (nothing a container cached survives)."""
        self._stream_pump.set_positions(state.stream_positions)
        self.failures[:] = state.failures
        self._schedule_pump.seen = dict(state.schedules_seen)
        self._schedule_pump.next_runs = dict(state.schedules_next_runs)
        self.passwords = dict(state.passwords)
        self.functions.clear()
        self.functions.update(self.containers)
        for container in self.containers.values():
            container.retire()
        self._verifier = None  # it caches the pools' app clients
        self._clients.forget()  # a test may have hooked handlers on one
