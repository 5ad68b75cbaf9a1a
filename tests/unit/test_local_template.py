"""Intrinsic functions and creation order, as the local stack reads synthesized templates."""

from typing import Any

import pytest

from infra.local.template import (
    LocalResource,
    Resolver,
    TemplateError,
    creation_order,
    local_name,
)

RESOURCES = {
    "Table": LocalResource(ref="herald-app", attributes={"Arn": "arn:table"}),
    "Role": LocalResource(ref="role-name", attributes={"Arn": "arn:role"}, placeholder=True),
}


def resolver(template: dict[str, Any] | None = None) -> Resolver:
    return Resolver(
        template or {},
        region="us-east-1",
        account="123456789012",
        stack_name="Herald",
        resources=RESOURCES,
    )


def test_ref_and_get_att_name_local_resources_and_pseudo_parameters() -> None:
    value = {
        "table": {"Ref": "Table"},
        "arn": {"Fn::GetAtt": ["Table", "Arn"]},
        "short": {"Fn::GetAtt": "Table.Arn"},
        "region": {"Ref": "AWS::Region"},
    }

    assert resolver().resolve(value) == {
        "table": "herald-app",
        "arn": "arn:table",
        "short": "arn:table",
        "region": "us-east-1",
    }


def test_sub_replaces_references_variables_and_keeps_escaped_dollars() -> None:
    text = "${Table}|${Table.Arn}|${AWS::AccountId}|${Name}|${!Literal}"

    resolved = resolver().resolve({"Fn::Sub": [text, {"Name": {"Ref": "Table"}}]})

    assert resolved == "herald-app|arn:table|123456789012|herald-app|${Literal}"


def test_join_select_and_split() -> None:
    joined = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Table"}]]}
    selected = {"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]}

    assert resolver().resolve(joined) == "arn:aws:s3:::herald-app"
    assert resolver().resolve(selected) == "b"


def test_conditions_choose_branches_and_no_value_removes_keys() -> None:
    template = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Conditions": {
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "IsNotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        },
    }
    value = {
        "level": {"Fn::If": ["IsProd", "WARNING", "DEBUG"]},
        "gone": {"Fn::If": ["IsNotProd", {"Ref": "AWS::NoValue"}, "kept"]},
        "list": ["a", {"Fn::If": ["IsProd", "b", {"Ref": "AWS::NoValue"}]}],
    }

    assert resolver(template).resolve(value) == {"level": "DEBUG", "list": ["a"]}


def test_placeholders_answer_any_attribute_but_real_resources_do_not() -> None:
    assert resolver().resolve({"Fn::GetAtt": ["Role", "RoleId"]}) == "role-name-RoleId"
    with pytest.raises(TemplateError, match=r"Table\.StreamArn is not emulated"):
        resolver().resolve({"Fn::GetAtt": ["Table", "StreamArn"]})


def test_unknown_references_and_functions_are_errors() -> None:
    with pytest.raises(TemplateError, match="Ref Missing"):
        resolver().resolve({"Ref": "Missing"})
    with pytest.raises(TemplateError, match="Fn::ImportValue is not supported"):
        resolver().resolve({"Fn::ImportValue": "Exported"})


def test_resources_are_created_after_what_they_refer_to() -> None:
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}},
                "DependsOn": ["Policy"],
            },
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}]}},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"Path": {"Fn::Sub": "/${AWS::Region}/"}},
            },
        }
    }

    assert creation_order(template) == ["Role", "Policy", "Machine"]


def test_a_circular_template_is_refused() -> None:
    template = {
        "Resources": {
            "A": {"Type": "X::Y::Z", "Properties": {"B": {"Ref": "B"}}},
            "B": {"Type": "X::Y::Z", "Properties": {"A": {"Fn::Sub": "${A.Arn}"}}},
        }
    }

    with pytest.raises(TemplateError, match="Circular dependency between resources: A, B"):
        creation_order(template)


def test_local_names_are_stable_and_fit_the_service_limit() -> None:
    long_id = "MediaBucketWithAVeryLongLogicalIdentifierIndeed0123456789ABCDEF"

    name = local_name(long_id, max_length=63, lowercase=True)

    assert name == local_name(long_id, max_length=63, lowercase=True)
    assert len(name) == 63
    assert name == name.lower()
    assert name != local_name(long_id + "X", max_length=63, lowercase=True)
    assert local_name("AppTable") == "herald-local-AppTable"
