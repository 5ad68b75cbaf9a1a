"""Bodies every AI feature shares: the workspace's brand voice and what AI calls spent."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.shared.inputs import SingleLine

AvoidedWord = Annotated[SingleLine, StringConstraints(min_length=1, max_length=60)]
Sample = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
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


class AiCallUsage(BaseModel):
    prompt_tokens: int = Field(description="Tokens of the prompts sent.")
    completion_tokens: int = Field(description="Tokens of the model's answers.")
    calls: int = Field(description="Calls made to the model.")


class BrandVoiceUpdate(BaseModel):
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
    calls: int = Field(description="Calls made to the endpoint, for text and media alike.")
    budget: int = Field(description="Tokens the workspace may spend per month.")
    remaining: int = Field(description="Tokens left this month (never negative).")
    images: int = Field(description="Images generated.")
    images_budget: int = Field(description="Images the workspace may generate per month.")
    audio_seconds: float = Field(description="Seconds of speech generated.")
    audio_seconds_budget: int = Field(
        description="Seconds of speech the workspace may generate per month."
    )
    video_seconds: int = Field(description="Seconds of video generated (as requested).")
    video_seconds_budget: int = Field(
        description="Seconds of video the workspace may generate per month."
    )
