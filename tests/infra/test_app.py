"""Context handling of the CDK app."""

from __future__ import annotations

import pytest

from infra.app import STACK_NAME, build_app
from infra.config import HeraldConfig, project_version
from infra.stack import HeraldStack


def test_defaults() -> None:
    config = HeraldConfig.from_context({})
    assert config.stage == "dev"
    assert config.cors_origins == ("http://localhost:3000",)
    assert config.version == project_version()


def test_cors_origins_from_a_comma_separated_string_or_a_list() -> None:
    expected = ("https://app.example.com", "https://admin.example.com")
    from_string = {"corsOrigins": "https://app.example.com, https://admin.example.com"}
    from_list = {"corsOrigins": list(expected)}
    assert HeraldConfig.from_context(from_string).cors_origins == expected
    assert HeraldConfig.from_context(from_list).cors_origins == expected


@pytest.mark.parametrize(
    "context",
    [{"stage": "local"}, {"stage": "qa"}, {"corsOrigins": "*"}, {"corsOrigins": " , "}],
)
def test_invalid_context_is_refused(context: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="context"):
        HeraldConfig.from_context(context)


def test_build_app_passes_context_to_the_stack() -> None:
    app = build_app(stage="prod", corsOrigins="https://app.example.com", nag=False)
    stack = app.node.find_child(STACK_NAME)
    assert isinstance(stack, HeraldStack)
    assert stack.config.stage == "prod"
    assert stack.config.cors_origins == ("https://app.example.com",)
