"""The answers of the engagement, top-posts and labels reports (docs/analytics.md, "Engagement
reports"); best times answer functions/shared/best_times.BestTimes."""

from pydantic import BaseModel, Field

from functions.shared.engagement_figures import (
    DayTotals,
    HourTotals,
    TopMetric,
    TopPost,
    Totals,
)


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
