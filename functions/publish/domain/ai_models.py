"""Request and response bodies of the AI composer (brand voice and usage: shared/ai_models)."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions.publish.domain.platform_options import TargetOptions
from functions.publish.domain.post_models import (
    AccountId,
    AssetId,
    Strict,
    TargetPreflight,
)
from functions.shared.access import ID_PATTERN
from functions.shared.ai_models import AiCallUsage, LanguageTag
from functions.shared.inputs import SingleLine

X_ACCOUNT = "01JB8Z6D3W5Y7A9C1E3G5J7K9M"
LINKEDIN_ACCOUNT = "01JB8Z7F4X6Z8B0D2F4H6K8M0N"
MAX_BRIEF = 4000
MAX_AI_TARGETS = 10
# Text given to rewrite, shorten or split; a thread of 25 parts of 500 characters fits.
MAX_SOURCE_TEXT = 12_500
# Platforms whose posts carry alt text (docs/ai.md#alt-text cites each limit).
AltTextPlatform = Literal["x", "instagram", "facebook", "linkedin", "threads"]
Tone = Literal["neutral", "friendly", "professional", "playful", "bold", "formal", "casual"]
StrategyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)]
PostId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class AiTarget(Strict):
    account_id: AccountId = Field(description="A connected account of the workspace (its ULID).")
    options: TargetOptions = Field(
        default_factory=dict,
        description="The target's platform options, as on a post: they decide the content type "
        "whose text rules apply.",
    )


class _Targets(Strict):
    targets: list[AiTarget] = Field(
        min_length=1,
        max_length=MAX_AI_TARGETS,
        description="The accounts to write for; each gets its own text, checked by preflight.",
    )
    media: list[AssetId] = Field(
        default_factory=list,
        max_length=20,
        description="Media the post will carry (library asset ids): preflight checks the text "
        "with them, since they decide a target's content type.",
    )

    @model_validator(mode="after")
    def _targets_unique(self) -> "_Targets":
        seen = [target.account_id for target in self.targets]
        if len(set(seen)) != len(seen):
            raise ValueError("each account may be targeted once")
        return self


class CaptionsRequest(_Targets):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "brief": "Announce the autumn roast: fig, cocoa, orange; in stock until "
                    "Friday; link https://acme-coffee.example/autumn",
                    "targets": [
                        {"account_id": X_ACCOUNT},
                        {"account_id": LINKEDIN_ACCOUNT},
                    ],
                }
            ]
        },
    )

    brief: str = Field(
        min_length=1,
        max_length=MAX_BRIEF,
        description="What the post is about: facts, offer, audience, call to action.",
    )
    strategy: StrategyId | None = Field(
        None,
        description="A preset of the strategies library (`GET /v1/ai/strategies`) whose "
        "guidance the prompt carries.",
    )
    look_at_media: bool = Field(
        False,
        description="Show the `media` images (up to 4, downscaled) to the vision model "
        "(`HERALD_AI_VISION_MODEL`), so the captions can speak of what they show.",
    )


class RewriteRequest(_Targets):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Our autumn roast is back. Notes of fig and cocoa.",
                    "tone": "playful",
                    "length": "shorter",
                    "targets": [{"account_id": X_ACCOUNT}],
                }
            ]
        },
    )

    text: str = Field(min_length=1, max_length=MAX_SOURCE_TEXT, description="The text to rewrite.")
    tone: Tone = Field("neutral", description="The tone to write in.")
    length: Literal["shorter", "same", "longer"] = Field(
        "same", description="Length relative to the original (within each platform's limit)."
    )


class ShortenRequest(_Targets):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Our autumn roast is back, with notes of fig, cocoa and orange, "
                    "roasted in small batches every morning in our shop on Harbour Street.",
                    "targets": [{"account_id": X_ACCOUNT}],
                }
            ]
        },
    )

    text: str = Field(
        min_length=1,
        max_length=MAX_SOURCE_TEXT,
        description="The text to fit; a target it already fits gets it back unchanged.",
    )


class HashtagsRequest(_Targets):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Our autumn roast is back: fig, cocoa and orange.",
                    "count": 3,
                    "targets": [{"account_id": X_ACCOUNT}],
                }
            ]
        },
    )

    text: str = Field(min_length=1, max_length=MAX_SOURCE_TEXT, description="The post's text.")
    count: int = Field(5, ge=1, le=30, description="How many hashtags to suggest.")


class TranslateRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Our autumn roast is back: fig, cocoa and orange.",
                    "language": "pt-BR",
                    "targets": [{"account_id": X_ACCOUNT}],
                },
                {"post_id": "01JB8Z9K2M4P6R8T0V2X4Z6B8D", "language": "de"},
            ]
        },
    )

    language: LanguageTag = Field(
        description="The BCP 47 tag of the language to translate into, e.g. `de` or `pt-BR`."
    )
    text: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_SOURCE_TEXT,
        description="The text to translate for each of `targets` (or give `post_id`).",
    )
    targets: list[AiTarget] = Field(
        default_factory=list,
        max_length=MAX_AI_TARGETS,
        description="With `text`: the accounts to translate for.",
    )
    media: list[AssetId] = Field(
        default_factory=list,
        max_length=20,
        description="With `text`: media the post will carry, as for the other routes.",
    )
    post_id: PostId | None = Field(
        None,
        description="Instead of `text`: a post of the workspace whose every target's text "
        "(its own or the shared one) is translated, checked with that target's media.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> "TranslateRequest":
        if self.post_id is not None:
            if self.text is not None or self.targets or self.media:
                raise ValueError("give either post_id, or text with targets")
            return self
        if self.text is None or not self.targets:
            raise ValueError("give text with targets, or post_id")
        accounts = [target.account_id for target in self.targets]
        if len(set(accounts)) != len(accounts):
            raise ValueError("each account may be targeted once")
        return self


class AltTextRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "asset_id": "01JB8Z9K2M4P6R8T0V2X4Z6B8D",
                    "platforms": ["x", "instagram"],
                    "context": "Our autumn roast launch",
                    "save": True,
                }
            ]
        },
    )

    asset_id: AssetId = Field(description="An image (or GIF) of the workspace's media library.")
    platforms: list[AltTextPlatform] = Field(
        default_factory=list,
        max_length=8,
        description="Platforms the image will go to: the text fits the strictest of their alt "
        "text limits, and never more than the library's 1,000 characters (X's limit).",
    )
    max_length: int | None = Field(
        None,
        ge=20,
        le=1000,
        description="A shorter bound of your own, in characters (e.g. 125 for brief alt text).",
    )
    language: LanguageTag | None = Field(
        None, description="BCP 47 tag of the language to write in; the brand voice's if left out."
    )
    context: str | None = Field(
        None,
        max_length=MAX_BRIEF,
        description="What the post is about, so the description stresses what matters.",
    )
    save: bool = Field(False, description="Store the text as the asset's `alt_text` too.")


class AltTextResult(BaseModel):
    asset_id: str = Field(description="The image described.")
    alt_text: str = Field(description="The description, within `max_length` characters.")
    max_length: int = Field(description="The limit it was written for (characters).")
    saved: bool = Field(description="Whether it was stored as the asset's `alt_text`.")
    attempts: int = Field(description="Model calls it took.")
    usage: AiCallUsage = Field(description="What the request spent of the workspace's budget.")


class StrategyCategory(Strict):
    id: StrategyId = Field(description="The category's id, to filter `GET /v1/ai/strategies`.")
    name: Annotated[SingleLine, StringConstraints(min_length=1, max_length=60)] = Field(
        description="Its name, for display."
    )
    description: Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="What posts of this category are for."
    )


class Strategy(Strict):
    id: StrategyId = Field(description="What a caption request's `strategy` names.")
    category: StrategyId = Field(description="The category's id.")
    name: Annotated[SingleLine, StringConstraints(min_length=1, max_length=60)] = Field(
        description="Its name, for display."
    )
    description: Annotated[SingleLine, StringConstraints(min_length=1, max_length=200)] = Field(
        description="What it does, for display."
    )
    guidance: Annotated[str, StringConstraints(min_length=1, max_length=600)] = Field(
        description="What the prompt tells the model when the strategy is chosen."
    )


class StrategyLibrary(BaseModel):
    categories: list[StrategyCategory] = Field(description="Every category, in display order.")
    strategies: list[Strategy] = Field(description="The strategies (of the category asked for).")


class ThreadRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "How we roast, step by step. First we choose green beans from "
                    "three farms we visit every year...",
                    "account_id": X_ACCOUNT,
                }
            ]
        },
    )

    text: str = Field(
        min_length=1, max_length=MAX_SOURCE_TEXT, description="The long text to split."
    )
    account_id: AccountId = Field(description="An X or Threads account of the workspace.")


class GeneratedText(BaseModel):
    account_id: str = Field(description="The target's account.")
    platform: str = Field(description="The account's platform.")
    text: str = Field(description="The text, as preflight checked it.")
    hashtags: list[str] | None = Field(
        None, description="Hashtags suggested (hashtags only), already appended to `text`."
    )
    preflight: TargetPreflight = Field(
        description="Preflight of the target with this text: no text problem is ever left; "
        "problems of the account or media (a reconnect, missing media) are listed."
    )
    attempts: int = Field(
        description="Model calls this text took (0: the input already fitted and is returned)."
    )


class Generated(BaseModel):
    items: list[GeneratedText] = Field(description="One text per target, in request order.")
    usage: AiCallUsage = Field(description="What the request spent of the workspace's budget.")


class GeneratedThread(BaseModel):
    account_id: str = Field(description="The account the thread is for.")
    platform: str = Field(description="`x` or `threads`.")
    parts: list[str] = Field(description="The first post, then each reply, in order.")
    preflight: TargetPreflight = Field(description="Preflight of the thread as a post.")
    attempts: int = Field(description="Model calls the thread took.")
    usage: AiCallUsage = Field(description="What the request spent of the workspace's budget.")
