"""Each workspace's monthly AI budget: tokens, images and seconds of speech and video, counted per
call and refused with 429 once spent (docs/ai.md#budgets-and-usage).

WS#<workspace>   AIUSAGE#<YYYY-MM>   what one calendar month (UTC) spent

Before a call, one conditional UpdateItem counts it if the month still has room for what the
call needs, so concurrent calls on any number of instances agree without a read-modify-write
race. What is known before the call is charged by that same update: the images asked for, the
seconds of video asked for. What is known only after it is added then with an atomic `ADD`: the
tokens the endpoint reported, the seconds of speech probing found. A call started just under such
a budget may end beyond it by its own size, never more.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from functions.shared.ai_models import AiCallUsage, AiUsage
from functions.shared.ai_setup import Completion
from functions.shared.problems import TooManyRequests
from functions.shared.settings import Settings, get_settings
from functions.shared.tables import AppItem, condition_failed, key, utc_now


class AiUsageItem(Model):
    """Counters bumped atomically (ADD), so unversioned: concurrent calls must all land."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    tokens = NumberAttribute(default=0)
    prompt_tokens = NumberAttribute(default=0)
    completion_tokens = NumberAttribute(default=0)
    calls = NumberAttribute(default=0)
    images = NumberAttribute(default=0)
    audio_seconds = NumberAttribute(default=0)
    video_seconds = NumberAttribute(default=0)

    @staticmethod
    def keys(workspace_id: str, month: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("AIUSAGE", month)


@dataclass(frozen=True, slots=True)
class Meter:
    """One budgeted quantity: its counter, its monthly budget and how a refusal names it."""

    attribute: NumberAttribute
    unit: str
    budget: Callable[[Settings], int]


TOKENS = Meter(AiUsageItem.tokens, "tokens", lambda s: s.ai_monthly_token_budget)
IMAGES = Meter(AiUsageItem.images, "images", lambda s: s.ai_monthly_image_budget)
AUDIO_SECONDS = Meter(
    AiUsageItem.audio_seconds, "seconds of speech", lambda s: s.ai_monthly_audio_seconds_budget
)
VIDEO_SECONDS = Meter(
    AiUsageItem.video_seconds, "seconds of video", lambda s: s.ai_monthly_video_seconds_budget
)


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _next_month(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def _counter(workspace_id: str, moment: datetime) -> AiUsageItem:
    return AiUsageItem(*AiUsageItem.keys(workspace_id, month_of(moment)))


def reserve(workspace_id: str, meter: Meter, *, needs: int = 1, charge: int = 0) -> None:
    """Count one more call this month if `needs` more of `meter` fit in its budget, charging
    `charge` of it at once; 429 when they do not."""
    now = utc_now()
    budget = meter.budget(get_settings())
    if needs > budget:
        raise _spent(meter, budget, needs, charge, now)
    actions: list[Action] = [AiUsageItem.calls.add(1)]
    if charge:
        actions.append(meter.attribute.add(charge))
    try:
        _counter(workspace_id, now).update(
            actions=actions,
            condition=meter.attribute.does_not_exist() | (meter.attribute <= budget - needs),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise _spent(meter, budget, needs, charge, now) from None


def _spent(meter: Meter, budget: int, needs: int, charge: int, now: datetime) -> TooManyRequests:
    asked = "" if needs == 1 and not charge else f" (this request needs {needs})"
    return TooManyRequests(
        f"This workspace has spent its AI budget of {budget} {meter.unit} for "
        f"{month_of(now)}{asked}; it renews on the first of next month (UTC).",
        retry_after_seconds=int((_next_month(now) - now).total_seconds()),
    )


def reserve_call(workspace_id: str) -> None:
    """Count one more text call this month, or 429 when the month's tokens are spent."""
    reserve(workspace_id, TOKENS)


def add(workspace_id: str, meter: Meter, amount: float) -> None:
    """Add what a call spent once it is known (a negative amount gives back a reservation)."""
    _counter(workspace_id, utc_now()).update(actions=[meter.attribute.add(amount)])


def record(workspace_id: str, completion: Completion) -> None:
    _counter(workspace_id, utc_now()).update(
        actions=[
            AiUsageItem.tokens.add(completion.tokens),
            AiUsageItem.prompt_tokens.add(completion.prompt_tokens),
            AiUsageItem.completion_tokens.add(completion.completion_tokens),
        ]
    )


def usage_of(completions: list[Completion]) -> AiCallUsage:
    return AiCallUsage(
        prompt_tokens=sum(completion.prompt_tokens for completion in completions),
        completion_tokens=sum(completion.completion_tokens for completion in completions),
        calls=len(completions),
    )


def monthly_usage(workspace_id: str, month: str | None) -> AiUsage:
    month = month or month_of(utc_now())
    settings = get_settings()
    try:
        counter = AiUsageItem.get(*AiUsageItem.keys(workspace_id, month), consistent_read=True)
    except AiUsageItem.DoesNotExist:
        counter = AiUsageItem(*AiUsageItem.keys(workspace_id, month))
    tokens = int(counter.tokens)
    budget = TOKENS.budget(settings)
    return AiUsage(
        month=month,
        tokens=tokens,
        prompt_tokens=int(counter.prompt_tokens),
        completion_tokens=int(counter.completion_tokens),
        calls=int(counter.calls),
        budget=budget,
        remaining=max(0, budget - tokens),
        images=int(counter.images),
        images_budget=IMAGES.budget(settings),
        audio_seconds=round(float(counter.audio_seconds), 3),
        audio_seconds_budget=AUDIO_SECONDS.budget(settings),
        video_seconds=int(counter.video_seconds),
        video_seconds_budget=VIDEO_SECONDS.budget(settings),
    )
