"""The answers of the engagement, top-posts and labels reports (docs/analytics.md, "Engagement
reports"); best times answer functions/shared/best_times.BestTimes."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from functions.analytics.domain.metrics_models import Totals

TopMetric = Literal[
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "quotes",
    "saves",
    "link_clicks",
    "video_views",
    "watch_time_seconds",
    "profile_visits",
    "follows",
    "engagements",
    "engagement_rate",
]


class DayTotals(Totals):
    day: str = Field(description="The day of publishing, in the workspace's timezone.")


class HourTotals(Totals):
    weekday: int = Field(description="Local weekday of publishing; 0 is Monday.")
    hour: int = Field(description="Local hour of publishing, 0 to 23.")


class Engagement(BaseModel):
    timezone: str = Field(description="The workspace's IANA timezone the days and hours are in.")
    from_date: str = Field(description="First day, included.")
    to_date: str = Field(description="Last day, included.")
    platform: str | None = Field(description="The platform asked for; null for all.")
    totals: Totals = Field(description="Every post of the period.")
    by_day: list[DayTotals] = Field(description="Every day of the period, in order.")
    by_platform: dict[str, Totals] = Field(description="Per platform name.")
    by_weekday_hour: list[HourTotals] = Field(
        description="Per local weekday and hour of publishing that has posts, by weekday, then "
        "hour."
    )


class TopPostTarget(BaseModel):
    account_id: str = Field(description="The account the post went out on.")
    platform: str = Field(description="Its platform.")
    published_at: datetime = Field(description="When (UTC).")
    metrics: dict[str, int] = Field(description="Its latest normalized metrics.")


class TopPost(BaseModel):
    rank: int = Field(description="1 is the best.")
    post_id: str = Field(description="The post.")
    value: float | None = Field(
        description="The metric ranked by, over the post's targets that match the filters."
    )
    published_at: datetime = Field(description="Its first target's publication (UTC).")
    labels: list[str] = Field(description="Its labels when it was published.")
    totals: Totals = Field(description="Its matching targets together (`posts`: their number).")
    targets: list[TopPostTarget] = Field(description="Its matching targets.")


class TopPosts(BaseModel):
    timezone: str = Field(description="The workspace's IANA timezone the days are in.")
    metric: TopMetric = Field(description="What the posts are ranked by.")
    from_date: str = Field(description="First day of publishing, included.")
    to_date: str = Field(description="Last day, included.")
    platform: str | None = Field(description="The platform asked for; null for all.")
    label: str | None = Field(description="The label asked for; null for all.")
    posts: list[TopPost] = Field(description="Best first; posts without the metric left out.")


class LabelTotals(Totals):
    label: str = Field(description="The label.")


class Labels(BaseModel):
    timezone: str = Field(description="The workspace's IANA timezone the days are in.")
    from_date: str = Field(description="First day of publishing, included.")
    to_date: str = Field(description="Last day, included.")
    labels: list[LabelTotals] = Field(
        description="Every label of a post published in the period, most engagements first."
    )
