"""cdk-nag acknowledgements, each with the reason it is safe (cdk-nag 3 uses CDK Validations)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge `rule` (e.g. `AwsSolutions-APIG2`) on `scope` and everything under it."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def acknowledge_wildcard(scope: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge one wildcard resource of an IAM policy under `scope` (AwsSolutions-IAM5).

    `resource` is the value given to the policy statement (tokens allowed); the finding id is
    rendered the way cdk-nag renders it, so the acknowledgement covers exactly that resource.
    """
    finding = nag_finding(Stack.of(scope).resolve(resource))
    acknowledge(scope, f"AwsSolutions-IAM5[Resource::{finding}]", reason)


def nag_finding(value: Any) -> str:
    """Flatten a resolved CloudFormation value like cdk-nag does (`<Logical.Attr>`, `<Ref>`)."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(nag_finding(item) for item in items)
        if "Fn::Sub" in value:
            return nag_finding(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{nag_finding(resource)}.{nag_finding(attribute)}>"
        if "Fn::ImportValue" in value:
            return nag_finding(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{nag_finding(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))
