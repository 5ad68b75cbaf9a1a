"""Request and response bodies of the media library and image tools."""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions.media.domain.kinds import Kind, UploadContentType
from functions.shared.inputs import SingleLine
from functions.shared.platform_formats import ImageFormat
from functions.shared.probed_media import ProbedMedia

Label = Annotated[SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Labels = Annotated[list[Label], Field(max_length=20, description="At most 20 labels.")]
AssetName = Annotated[
    SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]
# X's alt text limit, the strictest of the platforms that take alt text.
AltText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
HexColour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="`#RRGGBB`.")]
MAX_SIDE = 8192


class Generation(BaseModel):
    """Where a generated asset came from (docs/ai.md#generated-media)."""

    prompt: str = Field(description="What the model was asked: the prompt, or the text spoken.")
    model: str = Field(description="The model that made it.")
    generated_at: str = Field(description="When it was generated (RFC 3339).")
    voice: str | None = Field(None, description="Speech: the voice it was read in.")


class AssetFile(BaseModel):
    id: str = Field(description="The asset's id (a ULID); posts attach media by this id.")
    kind: Kind = Field(description="What the file is: image, gif, video or audio.")
    name: str = Field(description="The file's name, shown in the library and downloads.")
    content_type: str = Field(description="The type the file's bytes were identified as.")
    size_bytes: int = Field(description="The file's size in bytes.")
    labels: list[str] = Field(description="Labels to filter the library by.")
    alt_text: str | None = Field(
        description="Text describing the image for screen readers, sent to platforms that take it."
    )
    source_asset_id: str | None = Field(description="The asset this one was made from.")
    generation: Generation | None = Field(
        None, description="For an asset an AI model generated: its prompt, model and time."
    )
    thumbnail_url: str | None = Field(
        description="A JPEG at most 640 pixels wide, through a link valid for 5 minutes."
    )


# The file, what probing found in it, then who added it and when: pydantic lays out the fields
# of the last base first.
class Asset(ProbedMedia, AssetFile):
    created_by: str = Field(description="Who added it: a user id, or `api_key:<id>`.")
    created_at: str = Field(description="When it was added (RFC 3339).")
    updated_at: str = Field(description="When it last changed (RFC 3339).")


class UploadRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "autumn-roast-teaser.mp4",
                    "content_type": "video/mp4",
                    "size_bytes": 48234112,
                }
            ]
        },
    )

    name: AssetName = Field(description="The file's name, shown in the library and downloads.")
    content_type: UploadContentType = Field(description="The file's type as the browser knows it.")
    size_bytes: int = Field(gt=0, description="The file's size; the upload may not exceed it.")


class Upload(BaseModel):
    upload_id: str = Field(
        description="Complete with POST /v1/media/uploads/{upload_id}/complete once the file is "
        "sent."
    )
    url: str = Field(description="POST `fields` and then the file (as `file`) here.")
    fields: dict[str, str] = Field(description="Form fields to send as they are, before the file.")
    max_bytes: int = Field(description="The largest file the form accepts (the declared size).")
    content_type: str = Field(description="The Content-Type the upload must carry.")
    expires_in: int = Field(description="Seconds the form stays valid.")


class AssetUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Autumn roast teaser",
                    "labels": ["autumn", "video"],
                    "alt_text": "A barista pours a flat white beside a bag of autumn roast beans.",
                }
            ]
        },
    )

    name: AssetName | None = None
    labels: Labels | None = None
    alt_text: AltText | None = Field(None, description="Null or empty removes it.")

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("change at least one of name, labels or alt_text")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("an asset keeps a name; send a new one instead of null")
        return self


class Download(BaseModel):
    url: str = Field(description="A link to the file, valid for `expires_in` seconds.")
    filename: str = Field(
        description="The file's name, as the link's Content-Disposition gives it."
    )
    expires_in: int = Field(description="Seconds the link stays valid.")


class Usage(BaseModel):
    used_bytes: int = Field(description="The sum of the library's file sizes.")
    quota_bytes: int = Field(description="The most the library may hold, in bytes.")
    asset_count: int = Field(description="Files in the library.")


class ImportRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://cdn.acme-coffee.example/press/autumn-roast.jpg",
                    "name": "autumn-roast.jpg",
                }
            ]
        },
    )

    url: str = Field(min_length=1, max_length=2048, description="An https URL of the file.")
    name: AssetName | None = Field(None, description="Defaults to the file's name in the URL.")


# Image tools --------------------------------------------------------------------------------------

Side = Annotated[int, Field(ge=1, le=MAX_SIDE)]


class ResizeOperation(BaseModel):
    """Scale keeping the aspect ratio: to `width`, to `height`, or to fit inside both."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["resize"]
    width: Side | None = None
    height: Side | None = None

    @model_validator(mode="after")
    def _a_side(self) -> Self:
        if self.width is None and self.height is None:
            raise ValueError("give width, height or both")
        return self


class CropOperation(BaseModel):
    """Cut out a box, in pixels of the upright image (EXIF orientation applied)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["crop"]
    left: int = Field(ge=0)
    top: int = Field(ge=0)
    width: Side
    height: Side


class FitOperation(BaseModel):
    """Scale to fit inside `width` x `height` and pad the rest with `background`."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["fit"]
    width: Side
    height: Side
    background: HexColour = "#FFFFFF"


class PresetOperation(BaseModel):
    """A platform's recommended size: filled by a centred crop, or fitted with padding."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["preset"]
    preset: ImageFormat = Field(
        description="A platform format of the shared catalogue (docs/media.md): its frame size."
    )
    mode: Literal["crop", "fit"] = "crop"
    background: HexColour = Field("#FFFFFF", description="Padding colour in `fit` mode.")


ImageOperation = Annotated[
    ResizeOperation | CropOperation | FitOperation | PresetOperation,
    Field(discriminator="type"),
]


class ImageRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "operation": {
                        "type": "preset",
                        "preset": "instagram_portrait",
                        "mode": "fit",
                        "background": "#1A1A1A",
                    },
                    "format": "jpeg",
                    "quality": 85,
                    "name": "autumn-roast-instagram.jpg",
                }
            ]
        },
    )

    operation: ImageOperation
    format: Literal["jpeg", "png", "webp"] = "jpeg"
    quality: int = Field(85, ge=1, le=100, description="JPEG and WebP quality; PNG is lossless.")
    name: AssetName | None = Field(None, description="Defaults to the source's name and the op.")
