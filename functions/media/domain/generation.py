"""Generated images and speech, kept in the library like uploads (docs/ai.md#generated-media).

Each request is checked in this order: the endpoint and its model are configured (503 naming
what to set), the library has room (403), the month's budget has room (429, ai_usage.py). Then
the endpoint is called, and what it made is checked and kept exactly like an upload
(keeping.py: sniffed, probed, thumbnailed, charged to the quota), with its provenance: the
prompt, the model and the time. A file the endpoint made that Herald cannot read is the
endpoint's fault (502), not the user's.

Images are asked for at the provider size closest to the preset's shape and then cropped and
scaled to the preset exactly by the image tools' own pixel work (image_ops.py).

`openai` (ai_endpoint) is imported once the endpoint is known to be configured: a function
without it (see docs/ai.md, AWS) answers the 503 that says what to configure.
"""

import re
from pathlib import Path
from tempfile import TemporaryDirectory

from functions.media.domain import assets, image_ops, keeping, quotas
from functions.media.domain.generation_models import (
    GeneratedImages,
    ImageGenerationRequest,
    SpeechGenerationRequest,
)
from functions.media.domain.models import Asset, Generation, ImageRequest, PresetOperation
from functions.shared import ai_usage
from functions.shared.access import WorkspaceAccess
from functions.shared.ai_setup import AiEndpointFailed, ImageSize, endpoint_for
from functions.shared.images import ImageRejected
from functions.shared.platform_formats import size_of
from functions.shared.tables import utc_now

_NAME_WORDS = 60
_EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}


def name_from(text: str, extension: str, *, number: int | None = None) -> str:
    """`A flat white on a wooden counter (2).jpg`: the text's first words, single-line."""
    words = re.sub(r"\s+", " ", text).strip()[:_NAME_WORDS].strip() or "generated"
    return f"{words}{f' ({number})' if number else ''}.{extension}"


def provider_size(preset: str) -> ImageSize:
    """The GPT Image size of the preset's shape: landscape, portrait or square."""
    width, height = size_of(preset)
    if width > height * 1.2:
        return "1536x1024"
    if height > width * 1.2:
        return "1024x1536"
    return "1024x1024"


def _provenance(prompt: str, model: str, *, voice: str | None = None) -> Generation:
    return Generation(prompt=prompt, model=model, generated_at=utc_now().isoformat(), voice=voice)


def _keep_generated(
    access: WorkspaceAccess, data: bytes, filename: str, *, name: str, generation: Generation
) -> Asset:
    with TemporaryDirectory() as workdir:
        local = Path(workdir) / filename
        local.write_bytes(data)
        try:
            return keeping.keep_file(
                access,
                local,
                name=name,
                action="media.generated",
                what="The AI endpoint's file",
                generation=generation,
            )
        except assets.FileRefused as refusal:
            raise AiEndpointFailed(
                f"The AI endpoint made a file Herald cannot keep: {refusal.detail}"
            ) from None


def generate_images(access: WorkspaceAccess, request: ImageGenerationRequest) -> GeneratedImages:
    endpoint = endpoint_for("image")
    from functions.shared import ai_endpoint

    quotas.ensure_room_for_a_result(access.workspace_id)
    ai_usage.reserve(
        access.workspace_id, ai_usage.IMAGES, needs=request.count, charge=request.count
    )
    try:
        pictures = ai_endpoint.generate_images(
            endpoint, request.prompt, count=request.count, size=provider_size(request.preset)
        )
    except AiEndpointFailed:
        # Nothing was made: the images asked for are given back to the month's budget.
        ai_usage.add(access.workspace_id, ai_usage.IMAGES, -request.count)
        raise
    fitting = ImageRequest(
        operation=PresetOperation(type="preset", preset=request.preset, mode="crop"),
        format=request.format,
    )
    generation = _provenance(request.prompt, endpoint.model)
    extension = _EXTENSIONS[request.format]
    kept = []
    for number, picture in enumerate(pictures, start=1):
        try:
            fitted = image_ops.render(picture, fitting)
        except ImageRejected as refusal:
            raise AiEndpointFailed(
                f"The AI endpoint answered an image Herald cannot read: {refusal}"
            ) from None
        name = _image_name(request, extension, number)
        kept.append(
            _keep_generated(
                access, fitted.data, f"image.{extension}", name=name, generation=generation
            )
        )
    return GeneratedImages(items=kept)


def _image_name(request: ImageGenerationRequest, extension: str, number: int) -> str:
    if request.name and request.count == 1:
        return request.name
    return name_from(
        request.name or request.prompt, extension, number=number if request.count > 1 else None
    )


def generate_speech(access: WorkspaceAccess, request: SpeechGenerationRequest) -> Asset:
    endpoint = endpoint_for("speech")
    from functions.shared import ai_endpoint

    quotas.ensure_room_for_a_result(access.workspace_id)
    ai_usage.reserve(access.workspace_id, ai_usage.AUDIO_SECONDS)
    audio = ai_endpoint.speak(
        endpoint, request.text, voice=request.voice, audio_format=request.format
    )
    asset = _keep_generated(
        access,
        audio,
        f"speech.{request.format}",
        name=request.name or name_from(request.text, request.format),
        generation=_provenance(request.text, endpoint.model, voice=request.voice),
    )
    ai_usage.add(access.workspace_id, ai_usage.AUDIO_SECONDS, asset.duration_seconds or 0)
    return asset
