"""The AI endpoint's key, in Secrets Manager, the settings that name the endpoint, and the
`openai` package in a layer of its own on the publish API function (the shared dependency layer
must leave room for the media function's FFmpeg, as for DuckDB), and the read of library images
the vision routes need.

Only the publish API function (the `/v1/ai` routes) reads the secret; it reads it once per warm
container. The base URL and text model come from CDK context (`aiBaseUrl`, `aiTextModel`); left
empty, the AI routes answer 503 naming what to set (docs/ai.md).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra import bundling
from infra.config import HeraldConfig
from infra.function_group import READ_SECRET, FunctionGroupConstruct
from infra.nag import acknowledge, acknowledge_wildcard
from layers.ffmpeg.build import check_fits

OPENAI_LAYER_DIR = bundling.BUILD_DIR / "layers" / "openai"
OPENAI_LAYER_STAMP = bundling.BUILD_DIR / "layers" / "openai.stamp"
# `openai` and what it needs beyond the shared layer (which holds httpx, pydantic and anyio),
# at the versions uv.lock pins; the layer is installed without resolving dependencies.
OPENAI_LAYER_PACKAGES = ("openai", "distro", "jiter", "sniffio", "tqdm")


def build_openai_layer() -> Path:
    """`build/layers/openai/python`: the packages above, for Lambda's platform."""
    requirements = "".join(f"{name}=={version(name)}\n" for name in OPENAI_LAYER_PACKAGES)
    return bundling.build_python_layer(OPENAI_LAYER_DIR, OPENAI_LAYER_STAMP, requirements)


class AiEndpoint(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publish: FunctionGroupConstruct,
        code_path: Path,
        dependencies_layer_path: Path,
        media_bucket: s3.IBucket,
        config: HeraldConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        openai_layer_path = build_openai_layer()
        check_fits(openai_layer_path, dependencies_layer_path, code_path)
        self.openai_layer = lambda_.LayerVersion(
            self,
            "OpenAiLayer",
            code=lambda_.Code.from_asset(str(openai_layer_path)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="The openai package for Herald's AI routes",
        )
        publish.function.add_layers(self.openai_layer)
        # Created with a random placeholder: ops put the provider's key (docs/ai.md), which
        # stack updates leave alone.
        self.api_key = secretsmanager.Secret(
            self,
            "ApiKey",
            description="Herald: API key of the OpenAI-compatible AI endpoint",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=32, exclude_punctuation=True
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.api_key,
            "AwsSolutions-SMG4",
            "The key is issued by the AI provider's console and rotated there, by hand, then "
            "put here; a rotation Lambda has nothing it could rotate.",
        )
        publish.function.add_environment("HERALD_AI_API_KEY_SECRET", self.api_key.secret_arn)
        publish.allow(READ_SECRET, self.api_key.secret_arn)
        if config.ai_base_url:
            publish.function.add_environment("HERALD_AI_BASE_URL", config.ai_base_url)
        if config.ai_text_model:
            publish.function.add_environment("HERALD_AI_TEXT_MODEL", config.ai_text_model)
        if config.ai_vision_model:
            publish.function.add_environment("HERALD_AI_VISION_MODEL", config.ai_vision_model)
        # The vision routes (alt text, captions that look at images) read library images.
        media_objects = media_bucket.arn_for_objects("workspaces/*")
        publish.allow(("s3:GetObject",), media_objects)
        acknowledge_wildcard(
            publish.role,
            media_objects,
            "Reads workspace images to show them to the vision model; object keys are "
            "generated per upload, so a prefix is the narrowest grant.",
        )
