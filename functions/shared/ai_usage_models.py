"""What AI generation spent: per request (composer answers) and per month (`GET /v1/ai/usage`)."""

from pydantic import BaseModel, Field


class AiCallUsage(BaseModel):
    prompt_tokens: int = Field(description="Tokens of the prompts sent.")
    completion_tokens: int = Field(description="Tokens of the model's answers.")
    calls: int = Field(description="Calls made to the model.")


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
