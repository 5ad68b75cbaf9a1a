"""What Herald answers the platforms' webhooks and handshakes (routes/platform_hooks.py)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class DeliveriesAccepted(BaseModel):
    received: int = Field(description="Events the verified request carried that Herald reads.")
    queued: int = Field(description="Of those, the ones seen for the first time and queued.")


class XChallengeAnswer(BaseModel):
    response_token: str = Field(description="`sha256=` and the base64 HMAC of the crc_token.")


class LinkedInChallengeAnswer(BaseModel):
    challengeCode: str = Field(description="The challenge LinkedIn sent.")
    challengeResponse: str = Field(description="Hex HMAC-SHA256 of the challenge.")


class DataDeletionConfirmation(BaseModel):
    url: str = Field(description="Where the user follows their request.")
    confirmation_code: str = Field(description="The request's code, shown to the user by Meta.")


class DataDeletionStatus(BaseModel):
    confirmation_code: str = Field(description="The request's code, as Meta showed it.")
    status: Literal["pending", "completed"] = Field(
        description="`pending`: Herald is deleting what it keeps of the user; `completed`: done."
    )
    requested_at: datetime = Field(description="When Meta sent the request.")
    completed_at: datetime | None = Field(None, description="When the deletion completed.")
    detail: str = Field(description="What Herald does with the request, in words.")
