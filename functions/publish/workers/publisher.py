"""The publish worker: schedules, the publish API and EventBridge rules invoke it with
`{"herald": "<task>", ...}`, and each task's domain code is imported when its first event comes.

Schedules and the publish API deliver at least once, so every task that touches a platform runs
through Powertools idempotency, keyed by what makes a delivery unique: a duplicate that arrives
while the first is running fails (and is retried by Lambda later, by which time it returns the
stored result), and one that arrives after returns the stored result. The conditional writes of
the domain make the same guarantee again underneath.
"""

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.workers import task_handler

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

IDEMPOTENCY_SECONDS = 6 * 3600  # longer than a schedule's delivery retries last


def _once(
    event: Mapping[str, Any], context: Any, fields: tuple[str, ...], work: Callable[[], Any]
) -> Any:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    store = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table_name, boto3_client=aws.dynamodb()
    )
    config = IdempotencyConfig(
        event_key_jmespath="[" + ",".join(fields) + "]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_SECONDS,
        lambda_context=context,
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="payload",
        persistence_store=store,
        config=config,
        key_prefix=f"publish.{event.get('herald')}",
    )
    def run(payload: dict[str, Any]) -> Any:
        return work()

    return run(payload=dict(event))


def _report_once(
    event: Mapping[str, Any],
    context: Any,
    fields: tuple[str, ...],
    publish: Callable[[], "DataclassInstance"],
) -> dict[str, Any]:
    """Runs a publishing call once per delivery; its report as a dict, which is the form the
    idempotency store keeps and answers a duplicate delivery with."""
    report: dict[str, Any] = _once(event, context, fields, lambda: asdict(publish()))
    return report


def publish_post(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.publishing import fire_post

    return _report_once(
        event,
        context,
        ("workspace_id", "post_id", "fire_id"),
        lambda: fire_post(event["workspace_id"], event["post_id"], event["fire_id"]),
    )


def publish_accounts(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.publishing import publish_accounts as publish

    return _report_once(
        event,
        context,
        ("workspace_id", "post_id", "run_id"),
        lambda: publish(event["workspace_id"], event["post_id"], event["account_ids"]),
    )


class _NotDueYet(Exception):
    """A step delivered before its time: raised through the idempotency layer, which forgets a
    run that raised, so that the delivery at the step's time is not answered "not_due" again."""


def advance_target(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.publishing import advance_target as advance

    def step() -> str:
        outcome = advance(
            event["workspace_id"],
            event["post_id"],
            event["account_id"],
            notified=bool(event.get("notified")),
        )
        if outcome == "not_due":
            raise _NotDueYet
        return outcome

    try:
        outcome = _once(event, context, ("workspace_id", "post_id", "account_id", "step"), step)
    except _NotDueYet:
        outcome = "not_due"
    return {"outcome": outcome}


def sweep(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.sweeper import sweep as run_sweep

    return asdict(run_sweep())


def refresh_tokens(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Every 30 minutes: tokens about to expire, WebSub leases about to end, X Account
    Activity subscriptions to try again (after the tokens, so that they subscribe with fresh
    ones), and, at most hourly, whether X still holds Herald's webhook valid."""
    from functions.publish.domain.refresher import refresh_due_tokens
    from functions.publish.domain.websub_subscriptions import renew_due_subscriptions
    from functions.publish.domain.x_account_activity import check_webhook, retry_due_subscriptions

    return asdict(refresh_due_tokens()) | {
        "websub": asdict(renew_due_subscriptions()),
        "x_account_activity": asdict(retry_due_subscriptions()),
        "x_webhook": check_webhook(),
    }


def release_x_accounts(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """A deleted workspace's X accounts, handed over by the publish events function."""
    from functions.publish.domain.x_account_activity import unsubscribe_workspace

    return {"x_accounts_released": unsubscribe_workspace(event["workspace_id"])}


def poll_engagement(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.engagement_polling import poll_due

    return asdict(poll_due())


handler = task_handler(
    {
        "publish-post": publish_post,
        "publish-accounts": publish_accounts,
        "advance-target": advance_target,
        "sweep": sweep,
        "refresh-tokens": refresh_tokens,
        "poll-engagement": poll_engagement,
        "release-x-accounts": release_x_accounts,
    }
)
