"""Creates, in moto, the resources of a synthesized template that local mode emulates.

Tables, buckets, queues, KMS keys and aliases, event buses, schedule groups, state machines and
Firehose delivery streams are created in moto. Python Lambda functions are not: they become
in-process functions (see `runtime`), and their environment variables, resolved to the local
resources, become the environment of the local process. Event source mappings on a table's
stream become `StreamMapping`s, which local mode runs with `stream_relay.StreamRelay`. Every
other resource (roles, policies, API Gateway, alarms...) is only given a stable made-up identity,
so that references to it still resolve.
"""

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.local.cloud import ClientFactory
from infra.local.event_rules import RuleRoute
from infra.local.queue_sources import QueueMapping
from infra.local.runtime import LocalFunction
from infra.local.template import (
    LocalResource,
    Resolver,
    Template,
    TemplateError,
    creation_order,
    local_name,
)

logger = logging.getLogger(__name__)

SHARED_SERVICE_NAME = "herald-local"
"""All functions share one process, hence one Powertools service name."""

_PER_FUNCTION_VARIABLES = frozenset({"POWERTOOLS_SERVICE_NAME"})

LOCAL_VARIABLES = {
    "HERALD_STAGE": "local",
    "POWERTOOLS_SERVICE_NAME": SHARED_SERVICE_NAME,
    # Metrics would print one EMF document per invocation into the terminal.
    "POWERTOOLS_METRICS_DISABLED": "true",
    # moto's Athena answers no SQL: DuckDB runs the same queries over the same files.
    "HERALD_ANALYTICS_ENGINE": "duckdb",
}


@dataclass(frozen=True, slots=True)
class StreamMapping:
    """A function fed by a DynamoDB stream, with the mapping's filters and batch size."""

    function: str
    stream_arn: str
    filters: list[dict[str, Any]]
    batch_size: int


@dataclass(slots=True)
class Deployment:
    """What provisioning produced: local identities, in-process functions and their environment."""

    resources: dict[str, LocalResource] = field(default_factory=dict)
    functions: list[LocalFunction] = field(default_factory=list)
    rule_routes: list[RuleRoute] = field(default_factory=list)
    """Event-pattern rules targeting functions, delivered by infra/local/event_rules.py."""
    stream_mappings: list[StreamMapping] = field(default_factory=list)
    queue_mappings: list[QueueMapping] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    """Variables whose value names a local resource: always applied."""
    default_environment: dict[str, str] = field(default_factory=dict)
    """Literal variables of the template: a value already set in the shell wins."""
    _origins: dict[str, str] = field(default_factory=dict)

    def process_environment(self, current: Mapping[str, str]) -> dict[str, str]:
        """The variables to set in the local process, whose environment is now `current`."""
        variables = {k: v for k, v in self.default_environment.items() if k not in current}
        variables.update(self.environment)
        variables.update(LOCAL_VARIABLES)
        return variables

    def add_variable(self, function: str, name: str, value: str, *, derived: bool) -> None:
        if name in _PER_FUNCTION_VARIABLES:
            return
        known = self.environment.get(name, self.default_environment.get(name))
        if known is not None and known != value:
            raise TemplateError(
                f"Environment variable {name} is {known!r} for {self._origins[name]} but "
                f"{value!r} for {function}; one local process cannot hold both"
            )
        (self.environment if derived else self.default_environment)[name] = value
        self._origins.setdefault(name, function)


@dataclass(slots=True)
class _Context:
    clients: ClientFactory
    resolver: Resolver
    region: str
    account: str


Creator = Callable[[str, dict[str, Any], _Context], LocalResource]


def _create_table(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    dynamodb = ctx.clients("dynamodb")
    name = props.get("TableName") or local_name(logical_id, max_length=255)

    def index(spec: dict[str, Any]) -> dict[str, Any]:
        return {key: spec[key] for key in ("IndexName", "KeySchema", "Projection")}

    # Capacity means nothing to moto, so every table is on-demand locally.
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if props.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = [index(i) for i in props["GlobalSecondaryIndexes"]]
    if props.get("LocalSecondaryIndexes"):
        request["LocalSecondaryIndexes"] = [index(i) for i in props["LocalSecondaryIndexes"]]
    stream = props.get("StreamSpecification", {}).get("StreamViewType")
    if stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    table = dynamodb.create_table(**request)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification", {})
    if ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return LocalResource(ref=name, attributes=attributes)


def _create_bucket(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    s3 = ctx.clients("s3")
    name = props.get("BucketName") or local_name(logical_id, max_length=63, lowercase=True)
    s3.create_bucket(Bucket=name)
    rules = props.get("CorsConfiguration", {}).get("CorsRules", [])
    if rules:
        renamed = {
            "AllowedHeaders": "AllowedHeaders",
            "AllowedMethods": "AllowedMethods",
            "AllowedOrigins": "AllowedOrigins",
            "ExposedHeaders": "ExposeHeaders",
            "Id": "ID",
            "MaxAge": "MaxAgeSeconds",
        }
        cors = [{renamed.get(key, key): value for key, value in rule.items()} for rule in rules]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": cors})
    versioning = props.get("VersioningConfiguration", {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    return LocalResource(
        ref=name,
        attributes={
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{ctx.region}.amazonaws.com",
        },
    )


_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "VisibilityTimeout",
)


def _queue_attribute(value: Any) -> str:
    """CloudFormation gives queue attributes as JSON values; the SQS API wants strings."""
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _create_queue(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    sqs = ctx.clients("sqs")
    fifo = str(props.get("FifoQueue", "")).lower() == "true"
    name = props.get("QueueName") or local_name(logical_id, max_length=75) + (
        ".fifo" if fifo else ""
    )
    attributes = {key: _queue_attribute(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return LocalResource(ref=url, attributes={"Arn": arn, "QueueName": name, "QueueUrl": url})


def _create_key(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    kms = ctx.clients("kms")
    request = {key: props[key] for key in ("Description", "KeyUsage", "KeySpec") if key in props}
    key = kms.create_key(**request)["KeyMetadata"]
    if props.get("EnableKeyRotation") in (True, "true"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return LocalResource(ref=key["KeyId"], attributes={"Arn": key["Arn"], "KeyId": key["KeyId"]})


def _create_alias(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    target = str(props["TargetKeyId"]).rsplit("key/", 1)[-1]
    ctx.clients("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=target)
    return LocalResource(ref=props["AliasName"])


def _create_event_bus(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    events = ctx.clients("events")
    name = props["Name"]
    if name == "default":
        arn = events.describe_event_bus(Name=name)["Arn"]
    else:
        arn = events.create_event_bus(Name=name)["EventBusArn"]
    return LocalResource(ref=name, attributes={"Arn": arn, "Name": name})


def _create_schedule_group(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    name = props.get("Name") or local_name(logical_id)
    arn = ctx.clients("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
    return LocalResource(ref=name, attributes={"Arn": arn, "Name": name})


def _create_state_machine(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    name = props.get("StateMachineName") or local_name(logical_id, max_length=80)
    definition = props.get("DefinitionString") or json.dumps(props["Definition"])
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace(f"${{{key}}}", str(value))
    arn = ctx.clients("stepfunctions").create_state_machine(
        name=name,
        definition=definition,
        roleArn=props["RoleArn"],
        type=props.get("StateMachineType", "STANDARD"),
    )["stateMachineArn"]
    return LocalResource(ref=arn, attributes={"Arn": arn, "Name": name})


def _create_delivery_stream(logical_id: str, props: dict[str, Any], ctx: _Context) -> LocalResource:
    """A Firehose stream to S3; moto_quirks makes its deliveries partition as Firehose's do."""
    firehose = ctx.clients("firehose")
    name = props.get("DeliveryStreamName") or local_name(logical_id, max_length=64)
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType=props.get("DeliveryStreamType", "DirectPut"),
        ExtendedS3DestinationConfiguration=props["ExtendedS3DestinationConfiguration"],
    )
    arn = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
        "DeliveryStreamARN"
    ]
    return LocalResource(ref=name, attributes={"Arn": arn})


_CREATORS: Mapping[str, Creator] = {
    "AWS::DynamoDB::Table": _create_table,
    "AWS::DynamoDB::GlobalTable": _create_table,
    "AWS::S3::Bucket": _create_bucket,
    "AWS::SQS::Queue": _create_queue,
    "AWS::KMS::Key": _create_key,
    "AWS::KMS::Alias": _create_alias,
    "AWS::Events::EventBus": _create_event_bus,
    "AWS::Scheduler::ScheduleGroup": _create_schedule_group,
    "AWS::StepFunctions::StateMachine": _create_state_machine,
    "AWS::KinesisFirehose::DeliveryStream": _create_delivery_stream,
}


def _placeholder(logical_id: str, resource_type: str, ctx: _Context) -> LocalResource:
    name = local_name(logical_id)
    parts = resource_type.split("::")
    service, kind = parts[1].lower(), parts[-1].lower()
    if resource_type == "AWS::IAM::Role":
        arn = f"arn:aws:iam::{ctx.account}:role/{name}"
    else:
        arn = f"arn:aws:{service}:{ctx.region}:{ctx.account}:{kind}/{name}"
    return LocalResource(ref=name, attributes={"Arn": arn}, placeholder=True)


def _register_function(
    logical_id: str, resource: Mapping[str, Any], ctx: _Context, deployment: Deployment
) -> LocalResource:
    raw = resource.get("Properties", {})
    resolve = ctx.resolver.resolve_string
    if not str(raw.get("Runtime", "")).startswith("python"):
        # CDK's own custom-resource providers (Node.js) are not part of Herald's code.
        return _placeholder(logical_id, "AWS::Lambda::Function", ctx)
    name = resolve(raw["FunctionName"]) if "FunctionName" in raw else local_name(logical_id)
    arn = f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{name}"
    deployment.functions.append(
        LocalFunction(
            name=name,
            arn=arn,
            handler=resolve(raw["Handler"]),
            timeout_seconds=int(raw.get("Timeout", 3)),
            memory_mb=int(raw.get("MemorySize", 128)),
        )
    )
    for variable, value in raw.get("Environment", {}).get("Variables", {}).items():
        derived = not isinstance(value, str)
        deployment.add_variable(name, variable, resolve(value), derived=derived)
    return LocalResource(ref=name, attributes={"Arn": arn})


def _create_rule(
    logical_id: str, props: dict[str, Any], ctx: _Context, deployment: Deployment
) -> LocalResource:
    """An event-pattern rule that targets functions: in moto with a queue as its target, the
    queue routed to the functions (moto delivers to no Lambda target)."""
    functions = {function.arn for function in deployment.functions}
    targets = [t["Arn"] for t in props.get("Targets", []) if t["Arn"] in functions]
    if "EventPattern" not in props or not targets:
        return _placeholder(logical_id, "AWS::Events::Rule", ctx)
    name = local_name(logical_id)
    bus = props.get("EventBusName", "default")
    sqs, events = ctx.clients("sqs"), ctx.clients("events")
    queue_url = sqs.create_queue(QueueName=f"rule-{name}"[:80])["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    arn = events.put_rule(
        Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"])
    )["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "local", "Arn": queue_arn}])
    deployment.rule_routes.extend(RuleRoute(name, queue_url, target) for target in targets)
    return LocalResource(ref=name, attributes={"Arn": arn})


def _register_stream_mapping(
    logical_id: str, resource: Mapping[str, Any], ctx: _Context, deployment: Deployment
) -> LocalResource:
    props = ctx.resolver.resolve(resource.get("Properties", {}))
    source = str(props.get("EventSourceArn", ""))
    if ":dynamodb:" in source and "/stream/" in source:
        deployment.stream_mappings.append(
            StreamMapping(
                function=str(props["FunctionName"]),
                stream_arn=source,
                filters=[
                    json.loads(rule["Pattern"])
                    for rule in props.get("FilterCriteria", {}).get("Filters", [])
                ],
                batch_size=int(props.get("BatchSize", 100)),
            )
        )
    elif ":sqs:" in source:
        deployment.queue_mappings.append(
            QueueMapping(
                function=str(props["FunctionName"]),
                queue_arn=source,
                batch_size=int(props.get("BatchSize", 10)),
            )
        )
    return _placeholder(logical_id, "AWS::Lambda::EventSourceMapping", ctx)


def provision(
    template: Template,
    clients: ClientFactory,
    *,
    region: str = "us-east-1",
    account: str = "123456789012",
    stack_name: str = "Herald",
) -> Deployment:
    """Create the template's emulated resources through `clients` (boto3 clients for moto)."""
    deployment = Deployment()
    resolver = Resolver(
        template,
        region=region,
        account=account,
        stack_name=stack_name,
        resources=deployment.resources,
    )
    ctx = _Context(clients=clients, resolver=resolver, region=region, account=account)
    resources: Mapping[str, Any] = template.get("Resources", {})
    for logical_id in creation_order(template):
        resource = resources[logical_id]
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        resource_type = resource["Type"]
        if resource_type == "AWS::Lambda::Function":
            local = _register_function(logical_id, resource, ctx, deployment)
        elif resource_type == "AWS::Events::Rule":
            properties = resolver.resolve(resource.get("Properties", {}))
            local = _create_rule(logical_id, properties, ctx, deployment)
        elif resource_type == "AWS::Lambda::EventSourceMapping":
            local = _register_stream_mapping(logical_id, resource, ctx, deployment)
        elif resource_type in _CREATORS:
            properties = resolver.resolve(resource.get("Properties", {}))
            local = _CREATORS[resource_type](logical_id, properties, ctx)
            logger.debug("Created %s %s as %s", resource_type, logical_id, local.ref)
        else:
            local = _placeholder(logical_id, resource_type, ctx)
        deployment.resources[logical_id] = local
    return deployment
