"""The AI endpoint's configuration: what is missing is named, the key comes from Secrets Manager
once per warm container, and `openai` stays out of every cold start (DESIGN section 10)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import boto3
import pytest

from functions.shared import ai_endpoint
from functions.shared.ai_setup import ChatMessage, endpoint_for
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings
from tests.support.fake_model import API_KEY, FakeModel, fake_model

__all__ = ["fake_model"]

ROOT = Path(__file__).resolve().parents[2]


def modules_after(statement: str) -> set[str]:
    probe = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(run.stdout))


def test_the_publish_app_loads_without_openai_and_the_composer_with_it() -> None:
    app_only = modules_after(
        "from functions.publish.app import app; app.openapi(); list(app.routes)"
    )
    composer = modules_after("import functions.publish.domain.composer")

    assert "functions.publish.routes.ai" in app_only
    assert "openai" not in app_only
    assert "openai" in composer


def test_each_missing_setting_is_named_per_task(
    fake_model: FakeModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HERALD_AI_IMAGE_MODEL")
    get_settings.cache_clear()
    assert endpoint_for("text").model == "fake-text-model"
    with pytest.raises(ServiceUnavailable) as refused:
        endpoint_for("image")
    assert refused.value.detail == (
        "AI image generation is not configured: set HERALD_AI_IMAGE_MODEL. See docs/ai.md."
    )


@pytest.mark.usefixtures("cloud")
def test_in_aws_the_key_is_read_from_its_secret_once_per_container(
    fake_model: FakeModel,
) -> None:
    secrets = boto3.client("secretsmanager", region_name=get_settings().region)
    secret_arn = secrets.create_secret(Name="herald-ai-key", SecretString="sk-from-the-secret\n")[
        "ARN"
    ]
    ai_endpoint._secret_key.cache_clear()
    messages = [ChatMessage("user", "Hello")]
    with mock.patch.dict(os.environ, {"HERALD_AI_API_KEY_SECRET": secret_arn}):
        get_settings.cache_clear()
        try:
            ai_endpoint.complete(endpoint_for("text"), messages)
            secrets.put_secret_value(SecretId=secret_arn, SecretString="sk-rotated")
            ai_endpoint.complete(endpoint_for("text"), messages)
        finally:
            ai_endpoint._secret_key.cache_clear()
            get_settings.cache_clear()

    keys = [received.headers["authorization"] for received in fake_model.received]
    # The secret wins over the plain setting, and is not read again while the container lives.
    assert keys == ["Bearer sk-from-the-secret", "Bearer sk-from-the-secret"]
    assert API_KEY not in " ".join(keys)


@pytest.mark.usefixtures("cloud")
def test_a_key_secret_that_cannot_be_read_is_a_503_that_names_it(fake_model: FakeModel) -> None:
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:herald-ai-key-gone"
    ai_endpoint._secret_key.cache_clear()
    with mock.patch.dict(os.environ, {"HERALD_AI_API_KEY_SECRET": missing}):
        get_settings.cache_clear()
        try:
            with pytest.raises(ServiceUnavailable) as refused:
                ai_endpoint.complete(endpoint_for("text"), [ChatMessage("user", "Hello")])
        finally:
            ai_endpoint._secret_key.cache_clear()
            get_settings.cache_clear()

    assert "HERALD_AI_API_KEY_SECRET" in refused.value.detail
    assert fake_model.received == []  # no call without its key
