"""Subscribing connected X accounts to Herald's webhook (Account Activity), and unsubscribing them.

Herald's webhook (`<api>/v1/webhooks/platforms/x`) is registered once per app and environment:
on the first subscription, or beforehand with
`python -m functions.publish.domain.x_account_activity` (docs/inbox.md); its id is kept as
`XWEBHOOK#<client id>` / `URL#<callback>`. Connecting an X account subscribes the X user with the
account's own token; disconnecting the last Herald account of that user deletes the subscription
with the app's bearer token, and so does deleting the workspace that held it (the publish events
function's `workspace.deleted`). A refused or failed call never stops any of these: it is logged,
counted (`XAccountActivityPostponed`) and left on the `by-due` index, where the token refresher's
30-minute run tries it again. Without the app's bearer token (`bearer_token` of the
`x` credentials entry) nothing is subscribed and X's engagement is polled.
"""

import asyncio
import sys
from dataclasses import dataclass
from datetime import timedelta

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from pynamodb.exceptions import DeleteError, PutError, UpdateError

from functions.publish.adapters import token_vault, worker_calls
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import Permanent, PlatformError, TokenSet
from functions.publish.adapters.platforms.x_account_activity import XAccountActivity
from functions.publish.adapters.x_activity_items import (
    DUE_BUCKET,
    XActivityAccountItem,
    XActivityItem,
    XWebhookItem,
)
from functions.publish.domain.platform_calls import http_client
from functions.shared.observability import logger
from functions.shared.platform_credentials import platform_secret
from functions.shared.settings import get_settings
from functions.shared.tables import condition_failed, utc_now

# A refusal (an app without Account Activity access, say) is asked again an hour later, then
# after twice as long each time, at most daily.
RETRY_AFTER = timedelta(hours=1)
MAX_RETRY_AFTER = timedelta(days=1)
POSTPONED_METRIC = "XAccountActivityPostponed"
# X itself runs the CRC hourly; asking more often would not find an invalid webhook sooner.
WEBHOOK_CHECK_INTERVAL = timedelta(hours=1)
REVALIDATION_METRIC = "XWebhookRevalidations"
RELEASE_TASK = "release-x-accounts"


@dataclass(frozen=True, slots=True)
class XApp:
    client_id: str
    bearer_token: str


def configured_app() -> XApp | None:
    client_id = platform_secret("x", "client_id")
    bearer_token = platform_secret("x", "bearer_token")
    if client_id is None or bearer_token is None:
        return None
    return XApp(client_id, bearer_token)


def callback_url() -> str:
    return f"{get_settings().api_base_url.rstrip('/')}/v1/webhooks/platforms/x"


async def ensure_webhook(api: XAccountActivity, app: XApp) -> str:
    """The id of the app's webhook for this environment's callback, registered if need be."""
    url = callback_url()
    keys = XWebhookItem.keys(app.client_id, url)
    known = XWebhookItem.find_key(*keys)
    if known is not None:
        return known.webhook_id
    try:
        webhook_id = await api.register_webhook(url)
    except Permanent:
        # Registered before (by the command, or a concurrent first connect): X refuses the same
        # URL twice, and lists it.
        found = await api.find_webhook(url)
        if found is None:
            raise
        webhook_id = found
    try:
        XWebhookItem(*keys, webhook_id=webhook_id, url=url).save()
    except PutError as error:
        if not condition_failed(error):
            raise
    return webhook_id


def check_webhook() -> str:
    """The refresher's check of Herald's webhook, at most once an hour: X marks a webhook that
    failed its hourly CRC invalid and then delivers nothing until it passes again, so an invalid
    one is re-validated at once. The outcome: `valid`, `revalidated`, `failed` (X refused or
    could not be reached), `missing` (X no longer lists it), or why nothing was asked
    (`not_configured`, `not_registered`, `not_due`)."""
    app = configured_app()
    if app is None:
        return "not_configured"
    webhook = XWebhookItem.find_key(*XWebhookItem.keys(app.client_id, callback_url()))
    if webhook is None:
        return "not_registered"
    now = utc_now()
    try:
        # Claimed before X is asked, so that overlapping runs ask once.
        webhook.update(
            actions=[XWebhookItem.checked_at.set(now)],
            condition=XWebhookItem.checked_at.does_not_exist()
            | (XWebhookItem.checked_at <= now - WEBHOOK_CHECK_INTERVAL),
            add_version_condition=False,
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        return "not_due"
    outcome = asyncio.run(_check_at_x(app, webhook.webhook_id))
    extra = {"webhook_id": webhook.webhook_id, "outcome": outcome}
    if outcome == "valid":
        logger.info("x webhook checked", extra=extra)
        return outcome
    with single_metric(
        name=REVALIDATION_METRIC, unit=MetricUnit.Count, value=1, namespace="Herald"
    ) as metric:
        metric.add_dimension(name="outcome", value=outcome)
    logger.warning("x webhook was invalid", extra=extra)
    return outcome


async def _check_at_x(app: XApp, webhook_id: str) -> str:
    async with http_client() as http:
        api = XAccountActivity(bearer_token=app.bearer_token, http=http)
        try:
            valid = await api.webhook_valid(webhook_id)
            if valid is None:
                return "missing"
            if valid:
                return "valid"
            await api.revalidate_webhook(webhook_id)
        except PlatformError as failure:
            logger.warning(
                "x webhook check failed",
                extra={"class": type(failure).__name__, "code": failure.code},
            )
            return "failed"
    return "revalidated"


def register_webhook() -> str:
    app = configured_app()
    if app is None:
        raise SystemExit("X's client_id and bearer_token are not configured.")

    async def run() -> str:
        async with http_client() as http:
            api = XAccountActivity(bearer_token=app.bearer_token, http=http)
            return await ensure_webhook(api, app)

    return asyncio.run(run())


def _postpone(item: XActivityItem, operation: str, failure: PlatformError) -> None:
    delay = min(RETRY_AFTER * 2 ** min(item.attempts or 0, 5), MAX_RETRY_AFTER)
    item.update(
        actions=[
            XActivityItem.attempts.add(1),
            XActivityItem.last_error.set(failure.message[:500]),
            XActivityItem.due_bucket.set(DUE_BUCKET),
            XActivityItem.due_at.set(utc_now() + delay),
            XActivityItem.updated_at.set(utc_now()),
        ]
    )
    with single_metric(
        name=POSTPONED_METRIC, unit=MetricUnit.Count, value=1, namespace="Herald"
    ) as metric:
        metric.add_dimension(name="operation", value=operation)
    logger.warning(
        "x account activity postponed",
        extra={"operation": operation, "class": type(failure).__name__, "code": failure.code},
    )


async def _subscribe_at_x(app: XApp, tokens: TokenSet) -> str:
    async with http_client() as http:
        api = XAccountActivity(bearer_token=app.bearer_token, http=http)
        webhook_id = await ensure_webhook(api, app)
        await api.subscribe(webhook_id, tokens)
        return webhook_id


def _subscribe(app: XApp, item: XActivityItem, tokens: TokenSet) -> bool:
    try:
        webhook_id = asyncio.run(_subscribe_at_x(app, tokens))
    except PlatformError as failure:
        _postpone(item, "subscribe", failure)
        return False
    item.update(
        actions=[
            XActivityItem.state.set("subscribed"),
            XActivityItem.webhook_id.set(webhook_id),
            XActivityItem.attempts.set(0),
            XActivityItem.last_error.remove(),
            XActivityItem.due_bucket.remove(),
            XActivityItem.due_at.remove(),
            XActivityItem.updated_at.set(utc_now()),
        ]
    )
    return True


def subscribe_account(workspace_id: str, account_id: str, user_id: str, tokens: TokenSet) -> None:
    """Called once the account is saved; never raises for X's sake."""
    app = configured_app()
    if app is None:
        return
    XActivityAccountItem.of(workspace_id, account_id, user_id).save()
    item = XActivityItem(*XActivityItem.keys(user_id))
    item.update(
        actions=[
            XActivityItem.accounts.add({XActivityItem.account_ref(workspace_id, account_id)}),
            XActivityItem.user_id.set(user_id),
            XActivityItem.state.set(XActivityItem.state | "pending"),
        ]
    )
    if item.state == "subscribed":
        return  # subscribed already, for another workspace connecting the same X user
    # Due before X is asked, so that a crash in between leaves it to the retry run.
    item.update(
        actions=[
            XActivityItem.state.set("pending"),
            XActivityItem.due_bucket.set(DUE_BUCKET),
            XActivityItem.due_at.set(utc_now() + RETRY_AFTER),
        ]
    )
    _subscribe(app, item, tokens)


def _unsubscribe(item: XActivityItem) -> bool:
    """Delete the subscription at X and forget it; False when postponed."""
    app = configured_app()
    if item.webhook_id is not None:

        async def run(app: XApp, webhook_id: str) -> None:
            async with http_client() as http:
                api = XAccountActivity(bearer_token=app.bearer_token, http=http)
                await api.unsubscribe(webhook_id, item.user_id)

        try:
            if app is None:
                raise Permanent("x", "X's bearer_token is not configured.")
            asyncio.run(run(app, item.webhook_id))
        except PlatformError as failure:
            item.update(actions=[XActivityItem.state.set("unsubscribing")])
            _postpone(item, "unsubscribe", failure)
            return False
    try:
        item.delete(condition=XActivityItem.accounts.does_not_exist())
    except DeleteError as error:
        if not condition_failed(error):
            raise
        # The user was connected again meanwhile: subscribe once more on the next run.
        item.update(
            actions=[
                XActivityItem.state.set("pending"),
                XActivityItem.due_bucket.set(DUE_BUCKET),
                XActivityItem.due_at.set(utc_now()),
            ]
        )
    return True


def unsubscribe_account(workspace_id: str, account_id: str, user_id: str) -> None:
    """Called once the account is deleted; X's subscription goes with the user's last account."""
    item = XActivityItem(*XActivityItem.keys(user_id))
    try:
        item.update(
            actions=[
                XActivityItem.accounts.delete({XActivityItem.account_ref(workspace_id, account_id)})
            ],
            condition=XActivityItem.pk.exists(),
        )
    except UpdateError as error:
        if not condition_failed(error):
            raise
        # The condition failed: never subscribed (X was not configured at the connect).
    else:
        if not item.accounts:
            _unsubscribe(item)
    XActivityAccountItem.of(workspace_id, account_id, user_id).delete()


def start_workspace_release(workspace_id: str) -> bool:
    """On `workspace.deleted`, in the publish events function, whose role may not read the app's
    credentials: hands the workspace's X accounts, if it had any, to the publish worker
    (`release-x-accounts`, `unsubscribe_workspace`). Whether it did."""
    if not XActivityAccountItem.of_workspace(workspace_id, limit=1):
        return False
    worker_calls.start({"herald": RELEASE_TASK, "workspace_id": workspace_id})
    return True


def unsubscribe_workspace(workspace_id: str) -> int:
    """Each of a deleted workspace's X accounts leaves its user's entry, and a user left with no
    account is unsubscribed, as disconnecting does. How many accounts left."""
    accounts = XActivityAccountItem.of_workspace(workspace_id)
    for account in accounts:
        unsubscribe_account(workspace_id, account.account_id, account.user_id)
    return len(accounts)


def x_activity_subscribed(workspace_id: str, account_id: str) -> bool:
    """Whether X pushes this account's mentions and replies (the poller can skip them)."""
    account = SocialAccountItem.find(workspace_id, account_id)
    if account is None or account.platform != "x":
        return False
    item = XActivityItem.find(account.platform_account_id)
    return (
        item is not None
        and item.state == "subscribed"
        and XActivityItem.account_ref(workspace_id, account_id) in (item.accounts or set())
    )


def _tokens_of(item: XActivityItem) -> TokenSet | None:
    """The token of an active Herald account linking the user, to subscribe with."""
    for ref in sorted(item.accounts or set()):
        workspace_id, _, account_id = ref.partition("/")
        account = SocialAccountItem.find(workspace_id, account_id)
        if account is not None and account.status == "active":
            return token_vault.unseal(
                account.sealed_tokens, workspace_id=workspace_id, account_id=account_id
            )
    return None


@dataclass
class RetryReport:
    subscribed: int = 0
    unsubscribed: int = 0
    postponed: int = 0


def retry_due_subscriptions() -> RetryReport:
    report = RetryReport()
    due = XActivityItem.by_due.query(DUE_BUCKET, XActivityItem.due_at <= utc_now())
    for entry in list(due):
        item = XActivityItem.find(entry.pk.removeprefix("XACTIVITY#"))
        if item is None or item.due_at is None:
            continue
        if not item.accounts:
            done = _unsubscribe(item)
            report.unsubscribed += done
        else:
            app = configured_app()
            tokens = _tokens_of(item)
            if app is None or tokens is None:
                reason = "not configured" if app is None else "no active account to subscribe with"
                _postpone(item, "subscribe", Permanent("x", f"X's subscription waits: {reason}."))
                done = False
            else:
                done = _subscribe(app, item, tokens)
            report.subscribed += done
        report.postponed += not done
    if report.subscribed or report.unsubscribed or report.postponed:
        logger.info("x account activity retried", extra=vars(report))
    return report


if __name__ == "__main__":
    # Registering the webhook at deploy time, rather than on the first connect: prints its id.
    sys.stdout.write(register_webhook() + "\n")
