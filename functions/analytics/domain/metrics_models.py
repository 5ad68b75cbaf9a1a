"""The answers of the platform-metrics reports (docs/analytics.md, "Reports")."""

from datetime import datetime

from pydantic import BaseModel, Field

from functions.analytics.domain.account_models import FollowerGrowthSummary, MedianComparison
from functions.shared.engagement_figures import Totals


class Snapshot(BaseModel):
    taken_at: datetime = Field(description="When the numbers were read from the platform (UTC).")
    metrics: dict[str, int] = Field(description="Normalized metrics (docs/analytics.md).")
    extras: dict[str, int] = Field(description="What the platform reports beyond them.")


class TargetMetrics(BaseModel):
    account_id: str = Field(description="The social account the target published to.")
    platform: str = Field(description="The account's platform.")
    platform_post_id: str = Field(description="The post's id on the platform.")
    published_at: datetime = Field(description="When it was published (UTC).")
    collected_at: datetime | None = Field(description="The latest snapshot's time, if any.")
    next_collection_at: datetime | None = Field(
        description="The next scheduled collection; null once the 90-day schedule has ended or "
        "the post is gone from the platform."
    )
    metrics: dict[str, int] = Field(description="The latest normalized metrics.")
    extras: dict[str, int] = Field(description="The latest platform extras.")
    engagements: int = Field(description="likes + comments + shares + quotes + saves.")
    series: list[Snapshot] = Field(description="Every snapshot, oldest first.")
    account_median: MedianComparison | None = Field(
        description="The target against its account's median recent post; null when none of "
        "the account's earlier posts has metrics yet."
    )


class PostMetrics(BaseModel):
    post_id: str = Field(description="The post.")
    targets: list[TargetMetrics] = Field(description="One per published target.")


class Period(BaseModel):
    from_date: str = Field(description="First day (the workspace's timezone), included.")
    to_date: str = Field(description="Last day, included.")
    totals: Totals = Field(description="Every account of the workspace together.")
    by_platform: dict[str, Totals] = Field(description="Per platform name.")
    by_account: dict[str, Totals] = Field(description="Per account id.")
    followers: FollowerGrowthSummary = Field(
        description="Follower growth over the period, from the accounts' daily numbers."
    )


class Overview(BaseModel):
    timezone: str = Field(description="The workspace's IANA timezone the days are in.")
    current: Period = Field(description="The period asked for.")
    previous: Period = Field(description="The period of the same length just before.")


class RefreshOutcome(BaseModel):
    collected: int = Field(description="Targets whose metrics were read now.")
    gone: int = Field(description="Targets the platform no longer has.")
    postponed: int = Field(description="Targets the platform could not answer for now.")
    post: PostMetrics = Field(description="The post's report after the refresh.")
