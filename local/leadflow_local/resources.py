"""template.yaml's resources created on AWS (moto) from their own properties.

Tables (keys, indexes, stream, TTL), the bus, queues (with their redrive policies),
topics, the Cognito user pool, app client and groups, secrets (generated as
CloudFormation would), and the sender's SES identity. Functions, the API, the layer and
alarms have nothing to create: the other modules of the local stack do their work.
Every name and reference is what the template says, resolved."""

from __future__ import annotations

import json
import secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from leadflow_local.api_destinations import ApiDestination, DestinationRule, PipeRoute, connection_headers
from leadflow_local.aws import AwsClients
from leadflow_local.moto_patches import add_event_destination
from leadflow_local.template import Resolver, Template


@dataclass
class Deployment:
    """What creating the resources gave: the ids and ARNs the rest of the stack needs."""

    resolve: Resolver
    function_arns: dict[str, str] = field(default_factory=dict)  # Lambda ARN -> logical id (Scheduler targets)
    user_pools: dict[str, str] = field(default_factory=dict)  # logical id -> user pool id
    user_pool_clients: dict[str, str] = field(default_factory=dict)  # logical id -> app client id
    # API destinations by ARN, the rule targets and pipes that post to them (api_destinations.py).
    destinations: dict[str, ApiDestination] = field(default_factory=dict)
    destination_rules: list[DestinationRule] = field(default_factory=list)
    pipes: list[PipeRoute] = field(default_factory=list)
    connections: dict[str, dict[str, str]] = field(default_factory=dict)  # connection ARN -> its headers


class TemplateResources:
    """Creates a template's resources for one stack (name, region, account)."""

    # Resources made through their AWS API from the template's own properties.
    _CREATORS = {
        "AWS::SNS::Topic": "_create_topic",
        "AWS::Cognito::UserPool": "_create_user_pool",
        "AWS::Cognito::UserPoolClient": "_create_user_pool_client",
        "AWS::Cognito::UserPoolDomain": "_create_user_pool_domain",
        "AWS::Cognito::UserPoolGroup": "_create_user_pool_group",
        "AWS::SecretsManager::Secret": "_create_secret",
        "AWS::Scheduler::ScheduleGroup": "_create_schedule_group",
        "AWS::SES::ConfigurationSet": "_create_configuration_set",
        "AWS::SES::ConfigurationSetEventDestination": "_create_event_destination",
        "AWS::Events::Connection": "_create_connection",
        "AWS::Events::ApiDestination": "_create_api_destination",
        "AWS::Events::Rule": "_create_rule",
        "AWS::Pipes::Pipe": "_create_pipe",
    }

    def __init__(self, template: Template, clients: AwsClients, *, stack_name: str, region: str,
                 account_id: str) -> None:
        self.template = template
        self.client = clients
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id

    def create(self, parameters: dict[str, Any]) -> Deployment:
        """Every resource of the template whose Condition holds, referenced ones first."""
        refs: dict[str, Any] = {
            **parameters, "AWS::StackName": self.stack_name, "AWS::Region": self.region,
            "AWS::AccountId": self.account_id, "AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws",
            "AWS::StackId": stack_id(self.region, self.account_id, self.stack_name),
        }
        attrs: dict[str, Any] = {}
        resolve = Resolver(refs, attrs, self.template.doc.get("Conditions", {}))
        deployment = Deployment(resolve)
        queues: list[tuple[str, dict[str, Any]]] = []
        # Referenced resources first (an app client needs its pool's id).
        for lid in self.template.creation_order():
            res = self.template.resources[lid]
            kind, props = res["Type"], res.get("Properties", {})
            if "Condition" in res and not resolve.condition(res["Condition"]):
                continue
            if kind == "AWS::DynamoDB::Table":
                self._create_table(lid, resolve(props), refs, attrs)
            elif kind == "AWS::Events::EventBus":
                name = resolve(props.get("Name", lid))
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
                getattr(self, self._CREATORS[kind])(lid, resolve(props), refs, attrs, deployment)
            else:
                self._name_only(lid, kind, refs, attrs, deployment)
        # Queue attributes once every queue exists: a redrive policy names another queue.
        for url, props in queues:
            self._set_queue_attributes(url, resolve(props))
        if parameters.get("SenderEmail"):
            self._verify_sender(parameters["SenderEmail"])
        return deployment

    def _name_only(self, lid: str, kind: str, refs: dict[str, Any], attrs: dict[str, Any],
                   deployment: Deployment) -> None:
        """Functions, the API, the layer, alarms: nothing to create on moto; their work is
        done by the pumps. A name keeps references to them resolvable."""
        refs[lid] = f"{self.stack_name}-{lid}"
        # ARNs the code passes on (a Scheduler target, the role it assumes): a function's
        # is the one its invocations' context carries, so it maps back.
        if kind == "AWS::Serverless::Function":
            arn = self.function_arn(lid)
            attrs[f"{lid}.Arn"] = arn
            deployment.function_arns[arn] = lid
        elif kind == "AWS::IAM::Role":
            attrs[f"{lid}.Arn"] = f"arn:aws:iam::{self.account_id}:role/{self.stack_name}-{lid}"

    def function_arn(self, lid: str) -> str:
        """A function's ARN in this stack (the local stack names functions <stack>-<id>)."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.stack_name}-{lid}"

    def _verify_sender(self, address: str) -> None:
        """The sender must be a verified identity, as in a real SES account. Identities
        are the account's, not a stack's: another stack may have verified it already."""
        try:
            self.client("sesv2").create_email_identity(EmailIdentity=address)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                raise

    def _create_topic(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                      _deployment: Deployment) -> None:
        arn = self.client("sns").create_topic(Name=f"{self.stack_name}-{lid}")["TopicArn"]
        refs[lid] = arn
        attrs[f"{lid}.TopicName"] = f"{self.stack_name}-{lid}"

    def _request(self, service: str, operation: str, props: dict[str, Any], **fixed: Any) -> dict[str, Any]:
        """An API request from a resource's CloudFormation properties: those the
        operation takes (the names are the same for these resources) plus `fixed`."""
        shape = self.client(service).meta.service_model.operation_model(operation).input_shape
        return {**{k: v for k, v in props.items() if k in shape.members}, **fixed}

    def _create_user_pool(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                          deployment: Deployment) -> None:
        name = props.get("UserPoolName") or f"{self.stack_name}-{lid}"
        pool = self.client("cognito-idp").create_user_pool(
            **self._request("cognito-idp", "CreateUserPool", props, PoolName=name))["UserPool"]
        deployment.user_pools[lid] = refs[lid] = pool["Id"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        attrs.update({f"{lid}.Arn": pool["Arn"], f"{lid}.UserPoolId": pool["Id"], f"{lid}.ProviderName": provider,
                      f"{lid}.ProviderURL": f"https://{provider}"})

    def _create_user_pool_client(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                 attrs: dict[str, Any], deployment: Deployment) -> None:
        name = props.get("ClientName") or f"{self.stack_name}-{lid}"
        client = self.client("cognito-idp").create_user_pool_client(
            **self._request("cognito-idp", "CreateUserPoolClient", props, ClientName=name))["UserPoolClient"]
        deployment.user_pool_clients[lid] = refs[lid] = client["ClientId"]
        attrs.update({f"{lid}.ClientId": client["ClientId"], f"{lid}.Name": name})

    def _create_user_pool_domain(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                 attrs: dict[str, Any], _deployment: Deployment) -> None:
        """The pool's sign-in domain; Ref is its prefix. Its pages are the local stack's
        login emulation (managed_login.py), at the URL `local_login_url` maps it to."""
        self.client("cognito-idp").create_user_pool_domain(
            **self._request("cognito-idp", "CreateUserPoolDomain", props))
        refs[lid] = props["Domain"]
        attrs[f"{lid}.CloudFrontDistribution"] = f"{props['Domain']}.cloudfront.net"

    def _create_user_pool_group(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                attrs: dict[str, Any], _deployment: Deployment) -> None:
        name = props.get("GroupName") or f"{self.stack_name}-{lid}"
        self.client("cognito-idp").create_group(**self._request("cognito-idp", "CreateGroup", props, GroupName=name))
        refs[lid] = name

    def _create_secret(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                       _deployment: Deployment) -> None:
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

    def _create_schedule_group(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                               _deployment: Deployment) -> None:
        """A schedule group; Ref is its name, as in CloudFormation."""
        name = props.get("Name") or f"{self.stack_name}-{lid}"
        arn = self.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
        refs[lid] = name
        attrs[f"{lid}.Arn"] = arn

    def _create_configuration_set(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                  _attrs: dict[str, Any], _deployment: Deployment) -> None:
        """An SES configuration set; Ref is its name."""
        name = props.get("Name") or f"{self.stack_name}-{lid}"
        request = self._request("sesv2", "CreateConfigurationSet", props, ConfigurationSetName=name)
        self.client("sesv2").create_configuration_set(**request)
        refs[lid] = name

    def _create_event_destination(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                  _attrs: dict[str, Any], _deployment: Deployment) -> None:
        """Where SES publishes a set's events; moto's SESv2 API lacks it, so the local SES
        (moto_patches.ses_events) keeps it and publishes its mailbox simulator's events."""
        add_event_destination(self.account_id, self.region, props["ConfigurationSetName"],
                              _lower_event_types(props["EventDestination"]))
        refs[lid] = props["EventDestination"].get("Name", lid)

    def _create_connection(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                           deployment: Deployment) -> None:
        """An EventBridge connection; Ref is its name. Its auth is kept for the pump, which
        adds it to each call as EventBridge does (moto keeps it in a secret of its own)."""
        name = props.get("Name") or f"{self.stack_name}-{lid}"
        arn = self.client("events").create_connection(
            Name=name, AuthorizationType=props["AuthorizationType"], AuthParameters=props["AuthParameters"],
        )["ConnectionArn"]
        refs[lid] = name
        attrs[f"{lid}.Arn"] = arn
        deployment.connections[arn] = connection_headers(props["AuthorizationType"], props["AuthParameters"])

    def _create_api_destination(self, lid: str, props: dict[str, Any], refs: dict[str, Any],
                                attrs: dict[str, Any], deployment: Deployment) -> None:
        """An API destination; Ref is its name."""
        name = props.get("Name") or f"{self.stack_name}-{lid}"
        request = self._request("events", "CreateApiDestination", props, Name=name)
        arn = self.client("events").create_api_destination(**request)["ApiDestinationArn"]
        refs[lid] = name
        attrs[f"{lid}.Arn"] = arn
        deployment.destinations[arn] = ApiDestination(arn, props["InvocationEndpoint"], props["HttpMethod"],
                                                      deployment.connections[props["ConnectionArn"]])

    def _create_rule(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                     deployment: Deployment) -> None:
        """A rule of the template with the targets the local stack delivers to: SQS queues
        (moto delivers) and API destinations (through a queue of their own, for the pump).
        A rule with neither (an SNS topic's) is not created: nothing would deliver it."""
        name = props.get("Name") or f"{self.stack_name}-{lid}"
        bus = props.get("EventBusName", "default")
        arn = f"arn:aws:events:{self.region}:{self.account_id}:rule/{bus}/{name}"
        refs[lid], attrs[f"{lid}.Arn"] = name, arn
        targets = []
        for target in props.get("Targets", []):
            retries = int(target.get("RetryPolicy", {}).get("MaximumRetryAttempts", 185))
            dead_letter = target.get("DeadLetterConfig", {}).get("Arn")
            if ":sqs:" in target["Arn"]:
                targets.append({"Id": target["Id"], "Arn": target["Arn"]})
            elif target["Arn"] in deployment.destinations:
                queue_name = f"{name}-{target['Id']}-target"
                url = self.client("sqs").create_queue(QueueName=queue_name)["QueueUrl"]
                targets.append({"Id": target["Id"], "Arn": f"arn:aws:sqs:{self.region}:{self.account_id}:{queue_name}"})
                deployment.destination_rules.append(
                    DestinationRule(name, arn, target["Arn"], url, 1 + retries, dead_letter))
        if not targets:
            return
        events = self.client("events")
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]))
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)

    def _create_pipe(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any],
                     deployment: Deployment) -> None:
        """A pipe from an SQS queue to an API destination; the pump runs it (moto's pipes
        API keeps it, but runs none)."""
        name = props.get("Name") or f"{self.stack_name}-{lid}"
        arn = self.client("pipes").create_pipe(**self._request("pipes", "CreatePipe", props, Name=name))["Arn"]
        refs[lid], attrs[f"{lid}.Arn"] = name, arn
        source, target = props["Source"], props["Target"]
        if ":sqs:" not in source or target not in deployment.destinations:
            raise ValueError(f"{lid}: the local stack runs pipes from SQS to an API destination only")
        enrichment = props.get("Enrichment")
        batch = int(props.get("SourceParameters", {}).get("SqsQueueParameters", {}).get("BatchSize", 10))
        url = self.client("sqs").get_queue_url(QueueName=source.rsplit(":", 1)[-1])["QueueUrl"]
        deployment.pipes.append(PipeRoute(name, source, url, batch,
                                          deployment.function_arns[enrichment] if enrichment else None, target))

    def _set_queue_attributes(self, url: str, props: dict[str, Any]) -> None:
        attributes = {name: str(props[name]) for name in ("VisibilityTimeout", "MessageRetentionPeriod",
                                                          "DelaySeconds", "ReceiveMessageWaitTimeSeconds")
                      if name in props}
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        if attributes:
            self.client("sqs").set_queue_attributes(QueueUrl=url, Attributes=attributes)

    def _create_table(self, lid: str, props: dict[str, Any], refs: dict[str, Any], attrs: dict[str, Any]) -> None:
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


def stack_id(region: str, account_id: str, stack_name: str) -> str:
    """A stack's id as CloudFormation gives it (`AWS::StackId`), its UUID stable per name."""
    return f"arn:aws:cloudformation:{region}:{account_id}:stack/{stack_name}/" \
           f"{uuid.uuid5(uuid.NAMESPACE_URL, f'{account_id}/{region}/{stack_name}')}"


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


def _lower_event_types(destination: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation spells event types `bounce`, SESv2's API `BOUNCE`: one spelling."""
    return {**destination, "MatchingEventTypes": [str(t).lower() for t in destination.get("MatchingEventTypes", [])]}
