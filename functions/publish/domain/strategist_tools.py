"""The tools the AI strategist may call: reads of the workspace's own data, and draft creation.

Each tool is an OpenAI function tool (https://platform.openai.com/docs/guides/function-calling):
a name, a description, and parameters whose JSON schema is the pydantic model that validates
the model's arguments, so what the model is told and what Herald accepts cannot drift apart.
Arguments that fail validation, or a tool that is not offered, answer the model with an error,
never the person with a 4xx. Every result is bounded (`MAX_RESULT_CHARS`). Drafts are the only
thing the strategist writes: no tool schedules or publishes.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from functions.publish.adapters.post_items import PostItem
from functions.publish.domain import post_store, posts
from functions.publish.domain.post_models import AccountId, PostCreate, TargetSpec
from functions.shared import engagement_figures, workspace_reads
from functions.shared.access import ID_PATTERN, WorkspaceAccess
from functions.shared.best_times import best_times
from functions.shared.engagement_figures import TopMetric, Totals
from functions.shared.identity_items import WorkspaceItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import Problem

MAX_RESULT_CHARS = 6000
EXCERPT_CHARS = 200
MAX_CALENDAR_DAYS = 62
MAX_REPORT_DAYS = 366
MAX_CALENDAR_POSTS = 30
MAX_DRAFT_TEXT = 5000
# Every day of a trend is listed: a quarter's days fit a result.
MAX_TREND_DAYS = 92


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Period(_Args):
    start: date = Field(description="First day, YYYY-MM-DD (the workspace's time zone).")
    end: date = Field(description="Last day, YYYY-MM-DD, included.")

    @model_validator(mode="after")
    def _ordered(self) -> "_Period":
        if self.end < self.start:
            raise ValueError("`end` must not be before `start`")
        if (self.end - self.start).days + 1 > self.max_days():
            raise ValueError(f"a period spans at most {self.max_days()} days")
        return self

    @classmethod
    def max_days(cls) -> int:
        return MAX_REPORT_DAYS


class CalendarArgs(_Period):
    @classmethod
    def max_days(cls) -> int:
        return MAX_CALENDAR_DAYS


class OverviewArgs(_Period):
    pass


class TopPostsArgs(_Period):
    metric: TopMetric = Field("engagements", description="What to rank by.")
    limit: int = Field(5, ge=1, le=10, description="How many posts.")


class TrendArgs(_Period):
    platform: str | None = Field(
        None, pattern=r"^[a-z_]{1,32}$", description="Only posts on this platform (`x`, ...)."
    )

    @classmethod
    def max_days(cls) -> int:
        return MAX_TREND_DAYS


class PostMetricsArgs(_Args):
    post_id: str = Field(pattern=ID_PATTERN, description="The post's id (a ULID).")


class BestTimesArgs(_Args):
    account_id: AccountId = Field(description="The account's id (from the account list).")
    count: int = Field(5, ge=1, le=10, description="How many best weekly slots to return.")


class InboxThemesArgs(_Args):
    days: int = Field(7, ge=1, le=30, description="How many days back to look.")


class CreateDraftArgs(_Args):
    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_DRAFT_TEXT)] = Field(
        description="The draft's text."
    )
    account_ids: list[AccountId] = Field(
        default_factory=list,
        max_length=10,
        description="Accounts of the workspace the draft is for (ids from the account list); "
        "may be empty.",
    )


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    name: str
    ok: bool
    content: str  # what the model reads (JSON), bounded
    draft_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Tool[A: _Args]:
    name: str
    description: str
    arguments: type[A]
    run: Callable[[WorkspaceAccess, A], dict[str, Any]]

    def spec(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.arguments.model_json_schema(),
            },
        }


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _timezone(workspace_id: str) -> ZoneInfo:
    workspace = WorkspaceItem.find(workspace_id)
    return ZoneInfo(workspace.timezone if workspace is not None else "UTC")


def _post_texts(workspace_id: str, post_ids: Iterable[str]) -> dict[str, str]:
    keys = [PostItem.keys(workspace_id, post_id) for post_id in set(post_ids)]
    return {
        item.post_id: _excerpt(post_store.content_of(item).text)
        for item in PostItem.batch_get(keys)
    }


def _calendar(access: WorkspaceAccess, args: CalendarArgs) -> dict[str, Any]:
    zone = _timezone(access.workspace_id)
    start = datetime.combine(args.start, time(), zone).astimezone(UTC)
    end = datetime.combine(args.end + timedelta(days=1), time(), zone).astimezone(UTC)
    scheduled, more = posts.calendar(access, start, end, PageRequest(MAX_CALENDAR_POSTS, None))
    published = workspace_reads.published_targets(access.workspace_id, args.start, args.end)
    texts = _post_texts(access.workspace_id, {target.post_id for target in published})
    return {
        "timezone": zone.key,
        "scheduled": [
            {
                "post_id": post.id,
                "scheduled_at": post.scheduled_at,
                "status": post.status,
                "accounts": [target.account_id for target in post.targets],
                "text": _excerpt(post.text),
            }
            for post in scheduled
        ],
        "more_scheduled": more is not None,
        "published": [
            {
                "post_id": target.post_id,
                "account_id": target.account_id,
                "platform": target.platform,
                "published_at": target.published_at.isoformat(),
                "text": texts.get(target.post_id, ""),
            }
            for target in published[:MAX_CALENDAR_POSTS]
        ],
    }


def _overview(access: WorkspaceAccess, args: OverviewArgs) -> dict[str, Any]:
    length = args.end - args.start + timedelta(days=1)
    current = workspace_reads.period_totals(access.workspace_id, args.start, args.end)
    previous = workspace_reads.period_totals(
        access.workspace_id, args.start - length, args.start - timedelta(days=1)
    )
    return {
        "current": {"start": args.start.isoformat(), "end": args.end.isoformat()}
        | _totals(current),
        "previous_period": {
            "start": (args.start - length).isoformat(),
            "end": (args.start - timedelta(days=1)).isoformat(),
        }
        | _totals(previous),
    }


def _totals(totals: workspace_reads.PeriodTotals) -> dict[str, Any]:
    return {
        "posts": totals.posts,
        "impressions": totals.impressions,
        "engagements": totals.engagements,
        "by_platform": totals.by_platform,
    }


def _figures(totals: Totals) -> dict[str, Any]:
    """`totals` without the metrics nothing earned, to keep results short."""
    return {
        "posts": totals.posts,
        "impressions": totals.impressions,
        "engagements": totals.engagements,
        "engagement_rate": totals.engagement_rate,
        "metrics": {name: value for name, value in totals.metrics.items() if value},
    }


def _top_posts(access: WorkspaceAccess, args: TopPostsArgs) -> dict[str, Any]:
    """The ranking of GET /v1/analytics/top-posts, with each post's text."""
    ranked = engagement_figures.top_posts(
        access.workspace_id, args.start, args.end, args.metric, None, None, args.limit
    )
    texts = _post_texts(access.workspace_id, {post.post_id for post in ranked})
    return {
        "ranked_by": args.metric,
        "posts": [
            {
                "rank": post.rank,
                "post_id": post.post_id,
                "value": post.value,
                "published_at": post.published_at.isoformat(),
                "labels": post.labels,
                "accounts": {target.account_id: target.platform for target in post.targets},
                **_figures(post.totals),
                "text": texts.get(post.post_id, ""),
            }
            for post in ranked
        ],
    }


def _engagement_trends(access: WorkspaceAccess, args: TrendArgs) -> dict[str, Any]:
    """The figures of GET /v1/analytics/engagement per day and platform."""
    figures = engagement_figures.breakdown(access.workspace_id, args.start, args.end, args.platform)
    return {
        "timezone": _timezone(access.workspace_id).key,
        "platform": args.platform,
        "totals": _figures(figures.totals),
        "by_day": [
            {
                "day": day.day,
                "posts": day.posts,
                "impressions": day.impressions,
                "engagements": day.engagements,
            }
            for day in figures.by_day
        ],
        "by_platform": {name: _figures(totals) for name, totals in figures.by_platform.items()},
    }


def _post_metrics(access: WorkspaceAccess, args: PostMetricsArgs) -> dict[str, Any]:
    if PostItem.find(access.workspace_id, args.post_id) is None:
        return {"error": f"Post {args.post_id} was not found."}
    targets = workspace_reads.published_targets(
        access.workspace_id, date.min, date.max, post_id=args.post_id
    )
    return {
        "post_id": args.post_id,
        "targets": [
            {
                "account_id": target.account_id,
                "platform": target.platform,
                "published_at": target.published_at.isoformat(),
                "engagements": target.engagements,
                "metrics": target.metrics,
            }
            for target in targets
        ],
    }


def _best_times(access: WorkspaceAccess, args: BestTimesArgs) -> dict[str, Any]:
    """The same answer as GET /v1/analytics/best-times, without the full slot history."""
    found = best_times(access.workspace_id, args.account_id, args.count)
    return found.model_dump(mode="json", exclude={"history"})


def _inbox_themes(access: WorkspaceAccess, args: InboxThemesArgs) -> dict[str, Any]:
    items = workspace_reads.recent_inbox(access.workspace_id, args.days)
    labelled = [item.label for item in items if item.label is not None]

    def counted(values: Iterable[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for value in values:
            counts[value] = counts.get(value, 0) + 1
        return dict(sorted(counts.items(), key=lambda pair: -pair[1]))

    return {
        "days": args.days,
        "items": len(items),
        "by_status": counted(item.status for item in items),
        "by_platform": counted(item.platform for item in items),
        "by_kind": counted(item.kind for item in items),
        # The inbox assistant's classification (question, complaint, praise, spam, abusive).
        "by_label": counted(labelled),
        "unlabelled": len(items) - len(labelled),
        "recent": [
            {
                "platform": item.platform,
                "status": item.status,
                "label": item.label,
                "text": _excerpt(item.text),
            }
            for item in items[:10]
        ],
    }


def _create_draft(access: WorkspaceAccess, args: CreateDraftArgs) -> dict[str, Any]:
    body = PostCreate(
        text=args.text,
        targets=[
            TargetSpec(account_id=account_id) for account_id in dict.fromkeys(args.account_ids)
        ],
    )
    post = posts.create_post(access, body)
    return {
        "post_id": post.id,
        "status": post.status,
        "preflight_problems": [
            problem.message
            for target in (post.preflight.targets if post.preflight else [])
            for problem in target.problems
        ][:10],
    }


TOOLS: dict[str, _Tool[Any]] = {
    tool.name: tool
    for tool in (
        _Tool(
            "calendar",
            "Posts scheduled, and posts published, in a period of at most "
            f"{MAX_CALENDAR_DAYS} days: ids, times, accounts and text excerpts.",
            CalendarArgs,
            _calendar,
        ),
        _Tool(
            "analytics_overview",
            "What the workspace's posts earned in a period (impressions, engagements, posts, per "
            "platform), and in the period of the same length before it.",
            OverviewArgs,
            _overview,
        ),
        _Tool(
            "top_posts",
            "The workspace's best posts published in a period, ranked by their latest metrics "
            "as Herald's analytics rank them, with their text.",
            TopPostsArgs,
            _top_posts,
        ),
        _Tool(
            "engagement_trends",
            "What the posts published in a period of at most "
            f"{MAX_TREND_DAYS} days earned, per day of publishing and per platform: posts, "
            "impressions and engagements, to see trends.",
            TrendArgs,
            _engagement_trends,
        ),
        _Tool(
            "post_metrics",
            "The latest metrics of one post, per account it was published to.",
            PostMetricsArgs,
            _post_metrics,
        ),
        _Tool(
            "best_times",
            "One account's best weekly posting slots (weekday, hour in the workspace's "
            "timezone), with each slot's sample size, and whether defaults fill in thin history.",
            BestTimesArgs,
            _best_times,
        ),
        _Tool(
            "inbox_themes",
            "The recent comments, replies and mentions in the inbox: counts by status, platform, "
            "kind and the inbox assistant's label (question, complaint, praise, spam, abusive), "
            "and the latest few texts.",
            InboxThemesArgs,
            _inbox_themes,
        ),
        _Tool(
            "create_draft",
            "Create a draft post for people to review. It is never scheduled or published: "
            "a person does that.",
            CreateDraftArgs,
            _create_draft,
        ),
    )
}


def specs() -> list[dict[str, Any]]:
    return [tool.spec() for tool in TOOLS.values()]


def run(access: WorkspaceAccess, name: str, arguments: str) -> ToolOutcome:
    """Call tool `name` with the model's `arguments` (JSON text); errors go back to the model."""
    tool = TOOLS.get(name)
    if tool is None:
        return _refused(
            name, f"There is no tool named {name[:64]!r}; use one of: {', '.join(TOOLS)}."
        )
    try:
        args = tool.arguments.model_validate_json(arguments or "{}")
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'arguments'}: {issue['msg']}"
            for issue in error.errors(include_url=False)[:5]
        )
        return _refused(name, f"Invalid arguments: {problems}")
    try:
        result = tool.run(access, args)
    except Problem as problem:
        return _refused(name, problem.detail)
    failed = "error" in result
    return ToolOutcome(
        name=name,
        ok=not failed,
        content=_bounded(json.dumps(result, ensure_ascii=False, default=str)),
        draft_id=result.get("post_id") if name == "create_draft" else None,
    )


def _refused(name: str, message: str) -> ToolOutcome:
    return ToolOutcome(name=name, ok=False, content=json.dumps({"error": message}))


def _bounded(content: str) -> str:
    if len(content) <= MAX_RESULT_CHARS:
        return content
    return content[:MAX_RESULT_CHARS] + " …(cut: the result was longer)"
