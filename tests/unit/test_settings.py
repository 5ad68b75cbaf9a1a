"""Settings come from the environment, typed, and the README documents every one of them."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from functions.shared.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _variable_names() -> set[str]:
    return {
        str(field.validation_alias or f"HERALD_{name.upper()}")
        for name, field in Settings.model_fields.items()
    }


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README.read_text(), re.MULTILINE))

    assert _variable_names() <= documented


def test_values_come_from_herald_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_TABLE_NAME", "herald-prod-app")
    monkeypatch.setenv("HERALD_CORS_ORIGINS", "https://app.herald.example, https://staging.example")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    settings = Settings()

    assert settings.table_name == "herald-prod-app"
    assert settings.cors_origins == ("https://app.herald.example", "https://staging.example")
    assert settings.region == "eu-west-1"


def test_an_unknown_stage_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERALD_STAGE", "production-ish")

    with pytest.raises(ValidationError, match="stage"):
        Settings()
