"""The synthesized Herald app, and how the infra tests read its CloudFormation template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from infra.stack import HeraldStack

Resources = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Synthesized:
    app: cdk.App
    stack: HeraldStack
    template: Template
    resources: Resources

    def of_type(self, cfn_type: str) -> Resources:
        return {
            logical_id: resource
            for logical_id, resource in self.resources.items()
            if resource["Type"] == cfn_type
        }

    def logical_id(self, construct: Any) -> str:
        """Logical id of an L2 construct's CloudFormation resource."""
        resolved: str = self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))
        return resolved

    def function_id(self, group_name: str) -> str:
        return self.logical_id(self.stack.groups[group_name].function)


def statements_of_role(synthesized: Synthesized, role_id: str) -> list[dict[str, Any]]:
    role = synthesized.resources[role_id]["Properties"]
    assert "ManagedPolicyArns" not in role, "no AWS managed policies on function roles"
    assert "Policies" not in role
    policies = [
        policy["Properties"]
        for policy in synthesized.of_type("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    for policy in policies:
        assert policy["Roles"] == [{"Ref": role_id}], "a policy shared between roles"
    return [s for policy in policies for s in policy["PolicyDocument"]["Statement"]]


def flatten(value: Any) -> str:
    """A readable form of a resource: `<Logical.Arn>/index/*`, `<AWS::Region>`..."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        delimiter, parts = value["Fn::Join"]
        return str(delimiter).join(flatten(part) for part in parts)
    if "Fn::GetAtt" in value:
        return f"<{value['Fn::GetAtt'][0]}.{value['Fn::GetAtt'][1]}>"
    if "Ref" in value:
        return f"<{value['Ref']}>"
    raise AssertionError(f"unexpected intrinsic in a policy resource: {value}")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
