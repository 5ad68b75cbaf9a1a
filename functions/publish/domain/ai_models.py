"""Request and response bodies of the AI composer, the brand voice and AI usage."""

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
AvoidedWord = Annotated[SingleLine, StringConstraints(min_length=1, max_length=60)]
# A well-formed BCP 47 language tag (RFC 5646 section 2.1: language, extlangs, script, region,
# variants, extensions, private use), e.g. `en`, `pt-BR`, `zh-Hant-TW`, `sr-Latn`. The language
# subtag has 2 or 3 letters: the 4 to 8 letter forms are reserved, and no language uses them.
LanguageTag = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}(?:-[A-Za-z]{4})?"
        r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
        r"(?:-[0-9A-WYZa-wyz](?:-[A-Za-z0-9]{2,8})+)*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?$",
        max_length=35,
    ),
]
StrategyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)]
PostId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Sample = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


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


class AiCallUsage(BaseModel):
    prompt_tokens: int = Field(description="Tokens of the prompts sent.")
    completion_tokens: int = Field(description="Tokens of the model's answers.")
    calls: int = Field(description="Calls made to the model.")


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


class BrandVoiceUpdate(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Warm, precise, a little nerdy about coffee; never pushy.",
                    "samples": ["Fig, cocoa, orange: the autumn roast is back."],
                    "avoid": ["cheap", "best ever"],
                    "language": "en",
                }
            ]
        },
    )

    description: str = Field(
        "",
        max_length=2000,
        description="How the brand speaks: personality, audience, do's and don'ts.",
    )
    samples: list[Sample] = Field(
        default_factory=list, max_length=5, description="Posts that sound like the brand."
    )
    avoid: list[AvoidedWord] = Field(
        default_factory=list,
        max_length=50,
        description="Words and phrases generated text must not contain (checked, not only asked).",
    )
    language: LanguageTag | None = Field(
        None,
        description="BCP 47 language tag to write in, e.g. `en` or `pt-BR`; null: the brief's.",
    )


class BrandVoice(BrandVoiceUpdate):
    updated_by: str | None = Field(None, description="Who last changed it; null: never set.")
    updated_at: str | None = Field(None, description="When it last changed (RFC 3339).")


class AiUsage(BaseModel):
    month: str = Field(description="The calendar month (UTC), `YYYY-MM`.")
    tokens: int = Field(description="Tokens spent (prompt and completion).")
    prompt_tokens: int = Field(description="Tokens of the prompts.")
    completion_tokens: int = Field(description="Tokens of the answers.")
    calls: int = Field(description="Calls made to the model.")
    budget: int = Field(description="Tokens the workspace may spend per month.")
    remaining: int = Field(description="Tokens left this month (never negative).")
