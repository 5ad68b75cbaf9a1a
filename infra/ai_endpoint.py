"""The AI endpoint's key, in Secrets Manager, the settings that name the endpoint, and the
`openai` package in a layer of its own on the functions that call the model (the shared
dependency layer must leave room for the media function's FFmpeg, as for DuckDB), and the read
of library images the vision routes need (`show_images`).

Only those functions read the secret: the publish API function (the `/v1/ai` routes), the
webhooks API function (the inbox's suggestions and classification), the inbox assistant and the
generation function (`/v1/media/generate`, and the StartVideo and PollVideo steps of generated
videos); each reads it once per warm container. The media API function and the FFmpeg job steps
are not served: the layer does not fit beside FFmpeg's 150 MiB, which is why generation is a
function of its own, with only ffprobe (docs/ai.md). The base URL and models
come from CDK context (`aiBaseUrl`, `aiTextModel`, `aiVisionModel`, `aiImageModel`,
`aiSpeechModel`, `aiVideoModel`); left empty, the AI routes answer 503 naming what to set
(docs/ai.md).
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
from infra.function_group import READ_SECRET
from infra.herald_function import HeraldFunction
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
    """The key, the layer and the settings; `serve` gives them to a function that calls the
    model (the publish, webhooks and generation API functions, and the inbox assistant)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        dependencies_layer_path: Path,
        config: HeraldConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._dependencies_layer_path = dependencies_layer_path
        self._openai_layer_path = build_openai_layer()
        self.openai_layer = lambda_.LayerVersion(
            self,
            "OpenAiLayer",
            code=lambda_.Code.from_asset(str(self._openai_layer_path)),
            compatible_runtimes=[lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.X86_64],
            description="The openai package for Herald's AI routes",
        )
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

    def serve(self, user: HeraldFunction, code_path: Path, *other_layers: Path) -> None:
        """`user` gets the layer, the endpoint's settings and the right to read the key.

        `other_layers`: the built directories of the layers it has besides the dependency layer,
        which count towards Lambda's 250 MiB with the openai layer."""
        check_fits(self._openai_layer_path, self._dependencies_layer_path, code_path, *other_layers)
        user.function.add_layers(self.openai_layer)
        user.function.add_environment("HERALD_AI_API_KEY_SECRET", self.api_key.secret_arn)
        user.allow(READ_SECRET, self.api_key.secret_arn)
        settings = {
            "HERALD_AI_BASE_URL": self._config.ai_base_url,
            "HERALD_AI_TEXT_MODEL": self._config.ai_text_model,
            "HERALD_AI_VISION_MODEL": self._config.ai_vision_model,
            "HERALD_AI_IMAGE_MODEL": self._config.ai_image_model,
            "HERALD_AI_SPEECH_MODEL": self._config.ai_speech_model,
            "HERALD_AI_VIDEO_MODEL": self._config.ai_video_model,
        }
        for variable, value in settings.items():
            if value:
                user.function.add_environment(variable, value)

    @staticmethod
    def show_images(user: HeraldFunction, media_bucket: s3.IBucket) -> None:
        """`user` may read library images, to show them to the vision model (alt text, captions
        that look at the post's images)."""
        media_objects = media_bucket.arn_for_objects("workspaces/*")
        user.allow(("s3:GetObject",), media_objects)
        acknowledge_wildcard(
            user.role,
            media_objects,
            "Reads workspace images to show them to the vision model; object keys are "
            "generated per upload, so a prefix is the narrowest grant.",
        )
