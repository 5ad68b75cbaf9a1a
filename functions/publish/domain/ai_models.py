"""Request and response bodies of the AI composer and the brand voice."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions.publish.domain.platform_options import TargetOptions
from functions.publish.domain.post_models import (
    AccountId,
    AssetId,
    Strict,
    TargetPreflight,
)
from functions.shared.ai_usage_models import AiCallUsage
from functions.shared.inputs import SingleLine

X_ACCOUNT = "01JB8Z6D3W5Y7A9C1E3G5J7K9M"
LINKEDIN_ACCOUNT = "01JB8Z7F4X6Z8B0D2F4H6K8M0N"
MAX_BRIEF = 4000
MAX_AI_TARGETS = 10
# Text given to rewrite, shorten or split; a thread of 25 parts of 500 characters fits.
MAX_SOURCE_TEXT = 12_500
Tone = Literal["neutral", "friendly", "professional", "playful", "bold", "formal", "casual"]
AvoidedWord = Annotated[SingleLine, StringConstraints(min_length=1, max_length=60)]
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
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        max_length=35,
        description="BCP 47 language tag to write in, e.g. `en` or `pt-BR`; null: the brief's.",
    )


class BrandVoice(BrandVoiceUpdate):
    updated_by: str | None = Field(None, description="Who last changed it; null: never set.")
    updated_at: str | None = Field(None, description="When it last changed (RFC 3339).")
