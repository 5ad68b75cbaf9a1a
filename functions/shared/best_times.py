"""An account's best weekly times to publish, from its own history (docs/analytics.md,
"Best times"): what its posts earned per local weekday and hour of publishing, read from one
item (functions/shared/metrics_rollups.py). The analytics group answers it; the publish group
sets an account's queue slots from it.

A slot counts once at least MIN_POSTS_PER_SLOT posts were published in it: fewer is luck, not a
pattern. Slots rank by engagement rate (engagements / impressions); on platforms that give no
impressions (Facebook, LinkedIn) by engagements per post. When fewer slots than asked for have
enough history, the rest come from DEFAULT_SLOTS, marked as such."""

from typing import Literal

from pydantic import BaseModel, Field

from functions.shared.identity_items import WorkspaceItem
from functions.shared.metrics_rollups import SlotHistory, account_platform, account_slots
from functions.shared.problems import NotFound

MIN_POSTS_PER_SLOT = 3
MAX_SLOTS = 15
# The fallback: weekday working-hours slots (Tuesday to Thursday first, then Monday and Friday;
# mornings, then lunchtime, then late afternoon). A neutral starting point for every platform,
# chosen by Herald, not measured from anyone's audience; the account's own history replaces it
# slot by slot as it grows.
DEFAULT_SLOTS = tuple((weekday, hour) for hour in (9, 12, 17) for weekday in (1, 2, 3, 0, 4))

Ranking = Literal["engagement_rate", "engagements_per_post"]


class Slot(BaseModel):
    weekday: int = Field(description="0 is Monday.")
    hour: int = Field(description="Hour of the day, 0 to 23, in the workspace's timezone.")
    time: str = Field(description="`HH:00`, as a queue slot takes it.")
    source: Literal["history", "default"] = Field(
        description="`history`: ranked from the account's posts; `default`: the fallback."
    )
    posts: int = Field(description="The sample size: posts published in this slot.")
    impressions: int = Field(description="What those posts earned.")
    engagements: int = Field(description="likes + comments + shares + quotes + saves.")
    engagement_rate: float | None = Field(
        description="engagements / impressions; null without impressions."
    )
    engagements_per_post: float | None = Field(description="null without posts.")


class Fallback(BaseModel):
    used: bool = Field(description="Whether any of `best` comes from the defaults.")
    reason: str | None = Field(description="Why, when used.")
    min_posts_per_slot: int = Field(description="History a slot needs to be ranked.")
    defaults: str = Field(description="What the default slots are.")


class BestTimes(BaseModel):
    account_id: str = Field(description="The account.")
    platform: str = Field(description="Its platform.")
    timezone: str = Field(description="The workspace's IANA timezone the slots are in.")
    ranked_by: Ranking = Field(
        description="engagement_rate, or engagements_per_post when the account's posts have "
        "no impressions."
    )
    posts: int = Field(description="Posts in the account's history.")
    best: list[Slot] = Field(description="The best slots, best first.")
    history: list[Slot] = Field(
        description="Every weekday and hour the account has published in, with its sample size "
        "(by weekday, then hour)."
    )
    fallback: Fallback = Field(description="Whether and why defaults fill `best`.")


def _slot(weekday: int, hour: int, history: SlotHistory, source: str) -> Slot:
    return Slot.model_validate(
        {
            "weekday": weekday,
            "hour": hour,
            "time": f"{hour:02d}:00",
            "source": source,
            "posts": history.posts,
            "impressions": history.impressions,
            "engagements": history.engagements,
            "engagement_rate": round(history.engagements / history.impressions, 6)
            if history.impressions
            else None,
            "engagements_per_post": round(history.engagements / history.posts, 6)
            if history.posts
            else None,
        }
    )


def best_times(workspace_id: str, account_id: str, count: int) -> BestTimes:
    """The account's `count` best slots; 404 if the workspace has no such account."""
    platform = account_platform(workspace_id, account_id)
    if platform is None:
        raise NotFound(f"Account {account_id} was not found.")
    found = account_slots(workspace_id, account_id)
    workspace = WorkspaceItem.find(workspace_id)
    history = [
        _slot(weekday, hour, numbers, "history")
        for (weekday, hour), numbers in sorted(found.items())
        if numbers.posts > 0
    ]
    ranked_by: Ranking = (
        "engagement_rate" if any(slot.impressions for slot in history) else "engagements_per_post"
    )
    enough = [slot for slot in history if slot.posts >= MIN_POSTS_PER_SLOT]
    if ranked_by == "engagement_rate":
        enough = [slot for slot in enough if slot.engagement_rate is not None]
    best = sorted(
        enough,
        key=lambda slot: (-(getattr(slot, ranked_by) or 0.0), -slot.posts, slot.weekday, slot.hour),
    )[:count]
    ranked = len(best)
    chosen = {(slot.weekday, slot.hour) for slot in best}
    for weekday, hour in DEFAULT_SLOTS:
        if len(best) >= count:
            break
        if (weekday, hour) not in chosen:
            numbers = found.get((weekday, hour), SlotHistory())
            best.append(_slot(weekday, hour, numbers, "default"))
    defaulted = len(best) - ranked
    return BestTimes(
        account_id=account_id,
        platform=platform,
        timezone=workspace.timezone if workspace is not None else "UTC",
        ranked_by=ranked_by,
        posts=sum(slot.posts for slot in history),
        best=best,
        history=history,
        fallback=Fallback(
            used=defaulted > 0,
            reason=(
                f"{ranked} of the {count} slots asked for have at least "
                f"{MIN_POSTS_PER_SLOT} posts in the account's history; {defaulted} come from "
                "the defaults"
            )
            if defaulted
            else None,
            min_posts_per_slot=MIN_POSTS_PER_SLOT,
            defaults="Tuesday to Thursday, then Monday and Friday, at 09:00, then 12:00, then "
            "17:00 (the workspace's timezone): a neutral starting point, not measured",
        ),
    )
