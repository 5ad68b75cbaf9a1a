"""Context handling of the CDK app."""

from __future__ import annotations

import json

import pytest
from aws_cdk import CfnElement
from constructs import Construct

from infra.app import STACK_NAME, build_app
from infra.config import HeraldConfig, project_version
from infra.function_group import mail_identity_arn
from infra.stack import HeraldStack


def test_defaults() -> None:
    config = HeraldConfig.from_context({})
    assert config.stage == "dev"
    assert config.cors_origins == ("http://localhost:3000",)
    assert config.mail_from == "Herald <no-reply@example.com>"
    assert config.mail_domain == "example.com"
    assert config.dashboard_url == "http://localhost:3000"
    assert config.api_base_url == ""  # the REST API's own stage URL
    assert config.version == project_version()


@pytest.mark.parametrize(
    ("mail_from", "domain"),
    [
        ("Herald <no-reply@Mail.Example.org>", "mail.example.org"),
        ("no-reply@example.com", "example.com"),
        ('"Herald, by Acme" <hello@acme.io>', "acme.io"),
    ],
)
def test_mail_from_names_the_domain_herald_sends_as(mail_from: str, domain: str) -> None:
    config = HeraldConfig.from_context({"mailFrom": mail_from})
    assert config.mail_from == mail_from
    assert config.mail_domain == domain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://app.example.com/", "https://app.example.com"),
        ("https://example.com/herald", "https://example.com/herald"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://127.0.0.1:5173/", "http://127.0.0.1:5173"),
    ],
)
def test_dashboard_url_is_kept_without_a_final_slash(url: str, expected: str) -> None:
    assert HeraldConfig.from_context({"dashboardUrl": url}).dashboard_url == expected


def test_cors_origins_from_a_comma_separated_string_or_a_list() -> None:
    expected = ("https://app.example.com", "https://admin.example.com")
    from_string = {"corsOrigins": "https://app.example.com, https://admin.example.com"}
    from_list = {"corsOrigins": list(expected)}
    assert HeraldConfig.from_context(from_string).cors_origins == expected
    assert HeraldConfig.from_context(from_list).cors_origins == expected


def test_api_base_url_is_an_https_url_kept_without_a_final_slash() -> None:
    config = HeraldConfig.from_context({"apiBaseUrl": "https://api.example.com/herald/"})
    assert config.api_base_url == "https://api.example.com/herald"


def test_the_ai_endpoint_comes_from_context_and_is_optional() -> None:
    config = HeraldConfig.from_context(
        {
            "aiBaseUrl": "https://api.openai.com/v1/",
            "aiTextModel": " gpt-5-mini ",
            "aiVisionModel": "gpt-5",
        }
    )
    assert (config.ai_base_url, config.ai_text_model, config.ai_vision_model) == (
        "https://api.openai.com/v1",
        "gpt-5-mini",
        "gpt-5",
    )
    assert (
        HeraldConfig.from_context({}).ai_base_url,
        HeraldConfig.from_context({}).ai_text_model,
    ) == ("", "")


@pytest.mark.parametrize(
    "context",
    [
        {"stage": "local"},
        {"stage": "qa"},
        {"corsOrigins": "*"},
        {"corsOrigins": " , "},
        {"mailFrom": "Herald"},
        {"mailFrom": "Herald <no-reply>"},
        {"mailFrom": "no-reply@localhost"},
        {"mailFrom": "@example.com"},
        {"mailFrom": "no-reply@example..com"},
        {"dashboardUrl": "http://app.example.com"},
        {"dashboardUrl": "app.example.com"},
        {"dashboardUrl": "ftp://app.example.com"},
        {"dashboardUrl": "https://"},
        {"dashboardUrl": "https://app.example.com/?next=1"},
        {"apiBaseUrl": "http://api.example.com"},
        {"apiBaseUrl": "http://localhost:8000"},
        {"apiBaseUrl": "api.example.com"},
        {"apiBaseUrl": "https://api.example.com/#top"},
        {"aiBaseUrl": "http://api.openai.com/v1"},
        {"aiBaseUrl": "api.openai.com"},
    ],
)
def test_invalid_context_is_refused(context: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="context"):
        HeraldConfig.from_context(context)


def test_build_app_passes_context_to_the_stack() -> None:
    app = build_app(
        stage="prod",
        corsOrigins="https://app.example.com",
        mailFrom="Herald <hello@mail.example.org>",
        dashboardUrl="https://app.example.com",
        nag=False,
    )
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, HeraldStack)
    assert stack.config.stage == "prod"
    assert stack.config.cors_origins == ("https://app.example.com",)
    assert stack.config.mail_from == "Herald <hello@mail.example.org>"
    assert stack.config.dashboard_url == "https://app.example.com"
    identity = json.dumps(stack.resolve(mail_identity_arn(stack, stack.config)))
    assert identity.endswith(':identity/mail.example.org"]]}'), identity


def test_a_custom_api_domain_becomes_the_publish_functions_api_base_url() -> None:
    app = build_app(apiBaseUrl="https://api.example.com", nag=False)
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, HeraldStack)
    assert stack.api.base_url == "https://api.example.com"
    assert stack.groups["publish"].api_base_url == "https://api.example.com"


def test_the_ai_endpoint_of_the_context_reaches_the_functions_that_call_the_model() -> None:
    app = build_app(
        aiBaseUrl="https://api.openai.com/v1",
        aiTextModel="gpt-5-mini",
        aiVisionModel="gpt-5",
        nag=False,
    )
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, HeraldStack)
    resources = app.synth().get_stack_by_name(stack.stack_name).template["Resources"]

    def logical_id(construct: Construct) -> str:
        element = construct.node.default_child
        assert isinstance(element, CfnElement)
        return str(stack.resolve(stack.get_logical_id(element)))

    def variables(group: str) -> dict[str, object]:
        resource = resources[logical_id(stack.groups[group].function)]
        found: dict[str, object] = resource["Properties"]["Environment"]["Variables"]
        return found

    assistant = resources[logical_id(stack.inbox_assistant.function.function)]
    for found in (
        variables("publish"),
        variables("webhooks"),
        assistant["Properties"]["Environment"]["Variables"],
    ):
        assert found["HERALD_AI_BASE_URL"] == "https://api.openai.com/v1"
        assert found["HERALD_AI_TEXT_MODEL"] == "gpt-5-mini"
        assert found["HERALD_AI_VISION_MODEL"] == "gpt-5"
        assert found["HERALD_AI_API_KEY_SECRET"] == {"Ref": logical_id(stack.ai_endpoint.api_key)}
    assert not any(name.startswith("HERALD_AI_") for name in variables("media"))
