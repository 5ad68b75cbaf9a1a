"""What published posts earned, summed and ranked from the post rollups (metrics_rollups): the
figures of the analytics group's engagement and top-posts reports (docs/analytics.md,
"Engagement reports") and of the AI strategist's tools, so both answer the same numbers.

Each reads one query of the period's post items (days x accounts), never a scan. Days are the
workspace's, as the posts were counted when published.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from functions.shared.metrics_rollups import PublishedPost, published_posts, summed
from functions.shared.post_metrics import engagements

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


class Totals(BaseModel):
    posts: int = Field(description="Posts published in the period.")
    impressions: int = Field(description="Impressions (or views) those posts have earned.")
    engagements: int = Field(description="likes + comments + shares + quotes + saves.")
    engagement_rate: float | None = Field(
        description="engagements / impressions; null without impressions."
    )
    metrics: dict[str, int] = Field(description="Every summed normalized metric.")


class DayTotals(Totals):
    day: str = Field(description="The day of publishing, in the workspace's timezone.")


class HourTotals(Totals):
    weekday: int = Field(description="Local weekday of publishing; 0 is Monday.")
    hour: int = Field(description="Local hour of publishing, 0 to 23.")


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


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A period's posts together, per day (every day of the period, in order), per platform,
    and per local weekday and hour of publishing (those with posts)."""

    totals: Totals
    by_day: list[DayTotals]
    by_platform: dict[str, Totals]
    by_weekday_hour: list[HourTotals]


def totals(posts: int, earned: dict[str, int]) -> Totals:
    """The report's figures of `posts` that together earned `earned` (every summed metric)."""
    engaged = engagements(earned)
    impressions = earned["impressions"]
    return Totals(
        posts=posts,
        impressions=impressions,
        engagements=engaged,
        engagement_rate=round(engaged / impressions, 6) if impressions else None,
        metrics=earned,
    )


def totals_of(posts: Iterable[PublishedPost]) -> Totals:
    listed = list(posts)
    return totals(len(listed), summed(post.metrics for post in listed))


def breakdown(workspace_id: str, first: date, last: date, platform: str | None) -> Breakdown:
    posts = [
        post
        for post in published_posts(workspace_id, first, last)
        if platform is None or post.platform == platform
    ]
    by_day: dict[str, list[PublishedPost]] = defaultdict(list)
    by_platform: dict[str, list[PublishedPost]] = defaultdict(list)
    by_slot: dict[tuple[int, int], list[PublishedPost]] = defaultdict(list)
    for post in posts:
        by_day[post.day].append(post)
        by_platform[post.platform].append(post)
        by_slot[(post.weekday, post.hour)].append(post)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return Breakdown(
        totals=totals_of(posts),
        by_day=[
            DayTotals(day=day.isoformat(), **totals_of(by_day[day.isoformat()]).model_dump())
            for day in days
        ],
        by_platform={name: totals_of(group) for name, group in sorted(by_platform.items())},
        by_weekday_hour=[
            HourTotals(weekday=weekday, hour=hour, **totals_of(group).model_dump())
            for (weekday, hour), group in sorted(by_slot.items())
        ],
    )


def top_posts(
    workspace_id: str,
    first: date,
    last: date,
    metric: TopMetric,
    platform: str | None,
    label: str | None,
    limit: int,
) -> list[TopPost]:
    """The period's posts best first by `metric` over their targets that match the filters;
    posts without the metric (a rate without impressions) left out."""
    per_post: dict[str, list[PublishedPost]] = defaultdict(list)
    for post in published_posts(workspace_id, first, last):
        if (platform is None or post.platform == platform) and (
            label is None or label in post.labels
        ):
            per_post[post.post_id].append(post)
    ranked = []
    for post_id, targets in per_post.items():
        figures = totals_of(targets)
        value = _value(figures, metric)
        if value is not None:
            ranked.append((value, min(t.published_at for t in targets), post_id, figures))
    ranked.sort(key=lambda entry: (-entry[0], -entry[1].timestamp(), entry[2]))
    return [
        TopPost(
            rank=rank,
            post_id=post_id,
            value=value,
            published_at=published_at,
            labels=sorted({name for t in per_post[post_id] for name in t.labels}),
            totals=figures,
            targets=[
                TopPostTarget(
                    account_id=target.account_id,
                    platform=target.platform,
                    published_at=target.published_at,
                    metrics=dict(target.metrics),
                )
                for target in sorted(per_post[post_id], key=lambda t: t.account_id)
            ],
        )
        for rank, (value, published_at, post_id, figures) in enumerate(ranked[:limit], 1)
    ]


def _value(figures: Totals, metric: TopMetric) -> float | None:
    """The post's figure for `metric`; None when it has none to rank by (a rate without
    impressions)."""
    if metric == "engagement_rate":
        return figures.engagement_rate
    if metric == "engagements":
        return figures.engagements
    return figures.metrics[metric]
