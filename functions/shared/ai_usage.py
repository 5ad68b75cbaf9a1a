"""Each workspace's monthly AI budget: tokens counted per call, refused with 429 once spent.

One counter item per workspace and calendar month (UTC). Before a model call, one conditional
UpdateItem counts the call if the month's tokens are still under the budget, so concurrent calls
on any number of instances agree without a read-modify-write race; after the call, an atomic
`ADD` counts the tokens the endpoint reported. A call started just under the budget may end
beyond it by its own size, never more.
"""

from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from functions.shared.ai_items import AiUsageItem
from functions.shared.ai_models import AiCallUsage, AiUsage
from functions.shared.ai_setup import Completion
from functions.shared.problems import TooManyRequests
from functions.shared.settings import get_settings
from functions.shared.tables import condition_failed, utc_now


def month_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _next_month(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def reserve_call(workspace_id: str) -> None:
    """Count one more call this month, or 429 when the month's tokens are spent."""
    now = utc_now()
    budget = get_settings().ai_monthly_token_budget
    counter = AiUsageItem(*AiUsageItem.keys(workspace_id, month_of(now)))
    try:
        counter.update(
            actions=[AiUsageItem.calls.add(1)],
            condition=AiUsageItem.tokens.does_not_exist() | (AiUsageItem.tokens < budget),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        raise TooManyRequests(
            f"This workspace has spent its AI budget of {budget} tokens for {month_of(now)}; "
            "it renews on the first of next month (UTC).",
            retry_after_seconds=int((_next_month(now) - now).total_seconds()),
        ) from None


def record(workspace_id: str, completion: Completion) -> None:
    counter = AiUsageItem(*AiUsageItem.keys(workspace_id, month_of(utc_now())))
    counter.update(
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
    budget = get_settings().ai_monthly_token_budget
    try:
        counter = AiUsageItem.get(*AiUsageItem.keys(workspace_id, month), consistent_read=True)
    except AiUsageItem.DoesNotExist:
        counter = AiUsageItem(*AiUsageItem.keys(workspace_id, month))
    tokens = int(counter.tokens)
    return AiUsage(
        month=month,
        tokens=tokens,
        prompt_tokens=int(counter.prompt_tokens),
        completion_tokens=int(counter.completion_tokens),
        calls=int(counter.calls),
        budget=budget,
        remaining=max(0, budget - tokens),
    )
