"""Settings come from the environment, typed, and docs/configuration.md lists every one of them."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from functions.shared.settings import Settings, environment_variables

CONFIGURATION_DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = set(
        re.findall(r"^\| `([A-Z0-9_]+)` \|", CONFIGURATION_DOC.read_text(), re.MULTILINE)
    )

    assert set(environment_variables().values()) <= documented


def test_values_come_from_herald_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_TABLE_NAME", "herald-prod-app")
    monkeypatch.setenv("HERALD_CORS_ORIGINS", "https://app.herald.example, https://staging.example")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    settings = Settings.from_environment()

    assert settings.table_name == "herald-prod-app"
    assert settings.cors_origins == ("https://app.herald.example", "https://staging.example")
    assert settings.region == "eu-west-1"


def test_an_unknown_stage_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_STAGE", "production-ish")

    with pytest.raises(ValidationError, match="stage"):
        Settings.from_environment()


def test_unset_variables_take_the_documented_defaults() -> None:
    settings = Settings.from_environment({"HERALD_MEDIA_BUCKET": "media-prod"})

    assert settings.media_bucket == "media-prod"
    assert settings.table_name == "herald-app"
    assert settings.stage == "local"
