"""The answer of the account report (docs/analytics.md, "Account metrics")."""

from pydantic import BaseModel, Field

from functions.analytics.domain.account_models import FollowerGrowth
from functions.shared.engagement_figures import Totals


class AccountDay(BaseModel):
    day: str = Field(description="The day (the workspace's timezone).")
    metrics: dict[str, int] = Field(
        description="followers, following, posts and profile_views, as far as the platform "
        "offers them (docs/analytics.md)."
    )
    extras: dict[str, int] = Field(description="What the platform reports beyond them.")


class FollowerTrend(FollowerGrowth):
    series: list[AccountDay] = Field(description="One entry per day read, oldest first.")


class EngagementDay(BaseModel):
    day: str = Field(description="The day the posts were published (the workspace's timezone).")
    posts: int = Field(description="Posts the account published that day.")
    impressions: int = Field(description="Impressions (or views) those posts have earned.")
    engagements: int = Field(description="likes + comments + shares + quotes + saves.")
    engagement_rate: float | None = Field(description="engagements / impressions.")


class AccountReport(BaseModel):
    account_id: str = Field(description="The social account.")
    platform: str = Field(description="Its platform.")
    timezone: str = Field(description="The workspace's IANA timezone the days are in.")
    from_date: str = Field(description="First day, included.")
    to_date: str = Field(description="Last day, included.")
    followers: FollowerTrend = Field(description="The account's daily numbers and growth.")
    engagement: list[EngagementDay] = Field(
        description="Per publication day with posts, what those posts have earned so far."
    )
    totals: Totals = Field(description="The period's posts published and what they earned.")
