"""Follower growth and the median post, as the platform-metrics reports show them
(docs/analytics.md, "Account metrics")."""

from pydantic import BaseModel, Field


class FollowerGrowth(BaseModel):
    start: int | None = Field(
        description="Followers before the period: the last day read before it, or else the "
        "period's first day read; null when no day of the period was read."
    )
    end: int | None = Field(description="Followers on the period's last day read.")
    growth: int | None = Field(description="end - start; null when either is unknown.")


class FollowerGrowthSummary(BaseModel):
    growth: int = Field(description="Follower growth of every account whose growth is known.")
    by_platform: dict[str, int] = Field(description="Per platform name.")
    by_account: dict[str, FollowerGrowth] = Field(description="Per account id.")


class MedianComparison(BaseModel):
    posts: int = Field(
        description="How many of the account's recent posts the median is of: its latest 20 "
        "published before this one with metrics collected (docs/analytics.md)."
    )
    metrics: dict[str, float] = Field(description="The median of each normalized metric.")
    engagements: float = Field(description="The median post's engagements.")
    ratio: dict[str, float] = Field(
        description="This target's metric over the median, for each metric whose median is "
        "above zero (1.5: half again as much as the account's median post)."
    )
