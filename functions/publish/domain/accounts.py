"""Connected social accounts: add (the sandbox directly), list, read, check, disconnect.

Tokens are sealed by the token vault before they are stored and never leave this module in a
response. A check that the platform refuses marks the account `needs_reconnect` and announces it
on the bus; a temporary platform failure never does.
"""

import asyncio
import secrets
from typing import Any

from ulid import ULID

from functions.publish.adapters import token_vault
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    PlatformAdapter,
    PlatformError,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.domain.account_metrics_collection import schedule_account
from functions.publish.domain.models import Account, CheckResult, SandboxAccountCreate
from functions.publish.domain.platform_calls import adapter_for, call_platform, http_client
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.event_catalogue import AccountConnectedData, AccountDisconnectedData
from functions.shared.events import DomainEvent, write_event
from functions.shared.observability import logger
from functions.shared.pagination import PageRequest
from functions.shared.platform_links import META_USER, PlatformAccountLink
from functions.shared.problems import NotFound
from functions.shared.tables import (
    conflict_on_condition_failure,
    key,
    query_page,
    transaction,
    utc_now,
)


def account_view(item: SocialAccountItem) -> Account:
    return Account(
        id=item.account_id,
        platform=item.platform,
        platform_account_id=item.platform_account_id,
        name=item.name,
        handle=item.handle,
        avatar_url=item.avatar_url,
        kind=item.kind,
        status="needs_reconnect" if item.status == "needs_reconnect" else "active",
        token_expires_at=item.token_expires_at.isoformat() if item.token_expires_at else None,
        last_checked_at=item.last_checked_at.isoformat() if item.last_checked_at else None,
        last_error=item.last_error,
        connected_at=item.created_at.isoformat(),
    )


def add_sandbox_account(access: WorkspaceAccess, request: SandboxAccountCreate) -> Account:
    account_id = str(ULID())
    # A real secret all the same, so the sandbox exercises the vault like any platform.
    tokens = TokenSet(access_token=secrets.token_urlsafe(32))
    item = SocialAccountItem(
        *SocialAccountItem.keys(access.workspace_id, account_id),
        account_id=account_id,
        workspace_id=access.workspace_id,
        platform="sandbox",
        platform_account_id=f"sandbox-{account_id}",
        name=request.name,
        kind="profile",
        sealed_tokens=token_vault.seal(
            tokens, workspace_id=access.workspace_id, account_id=account_id
        ),
        connected_by=access.actor,
        options={"fail_with": request.fail_with} if request.fail_with else None,
    )
    with transaction() as write:
        write.save(item, condition=SocialAccountItem.pk.does_not_exist())
        schedule_account(write, access.workspace_id, account_id, "sandbox")
        for link in account_links(item):
            write.save(link)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="account.connected",
                target=f"account:{account_id}",
                details={"platform": "sandbox", "name": request.name},
            )
        )
        write_event(
            write,
            DomainEvent(
                "publish",
                "account.connected",
                access.workspace_id,
                connected_event(item, reconnected=False),
            ),
        )
    return account_view(item)


def account_links(item: SocialAccountItem) -> list[PlatformAccountLink]:
    """The keys that find this account from its platform's webhooks: its platform id, and for
    a Page or Instagram account the Meta user who connected it (Meta's app callbacks name the
    person)."""
    links = [
        PlatformAccountLink.of(
            item.platform, item.platform_account_id, item.workspace_id, item.account_id
        )
    ]
    if item.platform_user_id:
        links.append(
            PlatformAccountLink.of(
                META_USER, item.platform_user_id, item.workspace_id, item.account_id
            )
        )
    return links


def connected_event(item: SocialAccountItem, *, reconnected: bool) -> dict[str, Any]:
    """The data of `account.connected` for an account just saved."""
    return AccountConnectedData(
        account_id=item.account_id,
        platform=item.platform,
        platform_account_id=item.platform_account_id,
        name=item.name,
        handle=item.handle,
        connected_by=item.connected_by,
        reconnected=reconnected,
    ).data()


def _account(access: WorkspaceAccess, account_id: str) -> SocialAccountItem:
    item = SocialAccountItem.find(access.workspace_id, account_id)
    if item is None:
        raise NotFound(f"Account {account_id} was not found.")
    return item


def list_accounts(access: WorkspaceAccess, page: PageRequest) -> tuple[list[Account], str | None]:
    items, cursor = query_page(SocialAccountItem, key("WS", access.workspace_id), "ACCOUNT#", page)
    return [account_view(item) for item in items], cursor


def get_account(access: WorkspaceAccess, account_id: str) -> Account:
    return account_view(_account(access, account_id))


def check_account(access: WorkspaceAccess, account_id: str) -> CheckResult:
    """Ask the platform, live, whether the connection still works."""
    item = _account(access, account_id)

    async def identities(
        adapter: PlatformAdapter, tokens: TokenSet, _: ConnectedAccount
    ) -> list[tuple[ConnectedAccount, TokenSet]]:
        return await adapter.accounts(tokens)

    try:
        asyncio.run(call_platform(item, identities))
    except ReauthRequired as refused:
        return CheckResult(account=_reloaded(item), healthy=False, detail=refused.message)
    except Retryable as error:
        # A platform hiccup says nothing about the connection: the status stays as it was.
        _checked(item, error=error.message)
        return CheckResult(
            account=_reloaded(item),
            healthy=False,
            detail=f"The platform could not be asked right now: {error.message}",
        )
    except PlatformError as refused:
        # Permanent, or any other refusal: the check did its job, and its answer is "not healthy".
        _checked(item, error=refused.message)
        return CheckResult(
            account=_reloaded(item),
            healthy=False,
            detail=f"The platform refused the check: {refused.message}",
        )
    _checked(item, error=None)
    return CheckResult(account=_reloaded(item), healthy=True, detail="The connection works.")


def _reloaded(item: SocialAccountItem) -> Account:
    found = SocialAccountItem.find(item.workspace_id, item.account_id)
    return account_view(found if found is not None else item)


def _checked(item: SocialAccountItem, *, error: str | None) -> None:
    with conflict_on_condition_failure("The account changed meanwhile; try the check again."):
        SocialAccountItem(*SocialAccountItem.keys(item.workspace_id, item.account_id)).update(
            actions=[
                SocialAccountItem.last_checked_at.set(utc_now()),
                (
                    SocialAccountItem.last_error.set(error)
                    if error
                    else SocialAccountItem.last_error.remove()
                ),
            ],
            condition=SocialAccountItem.pk.exists(),
            add_version_condition=False,
        )


# Platforms whose revocation ends only this account's grant. Revoking at Meta or Google ends the
# person's whole grant to Herald, cutting off every page, Instagram account or channel they
# connected (in any workspace), so those tokens are only deleted here.
REVOKE_ON_DISCONNECT = frozenset({"x", "tiktok", "sandbox"})


def disconnect_account(access: WorkspaceAccess, account_id: str) -> None:
    """Revoke the grant at the platform where that is safe, then delete the tokens."""
    item = _account(access, account_id)
    if item.platform in REVOKE_ON_DISCONNECT:
        try:
            asyncio.run(_revoke(item))
        except PlatformError as failure:
            # The user asked to disconnect: the tokens go regardless, the platform may keep the
            # grant until it expires or the user removes the app there.
            logger.warning(
                "revocation failed",
                extra={"platform": item.platform, "class": type(failure).__name__},
            )
    remove_account(item, access.actor)


def remove_account(item: SocialAccountItem, actor: str) -> None:
    """Delete the account with its tokens and links, announced as `account.disconnected` by
    `actor`; then end what the platform keeps sending for it, unless another workspace still
    connects the same platform account."""
    with transaction() as write:
        write.delete(item)
        for link in account_links(item):
            write.delete(link)
        write.save(
            activity_entry(
                item.workspace_id,
                actor=actor,
                action="account.disconnected",
                target=f"account:{item.account_id}",
                details={"platform": item.platform, "name": item.name},
            )
        )
        write_event(
            write,
            DomainEvent(
                "publish",
                "account.disconnected",
                item.workspace_id,
                AccountDisconnectedData(
                    account_id=item.account_id,
                    platform=item.platform,
                    platform_account_id=item.platform_account_id,
                    name=item.name,
                    handle=item.handle,
                    disconnected_by=actor,
                ).data(),
            ),
        )
    if item.platform == "x":
        from functions.publish.domain.x_account_activity import unsubscribe_account

        unsubscribe_account(item.workspace_id, item.account_id, item.platform_account_id)
    elif item.platform == "youtube":
        from functions.publish.domain.websub_subscriptions import unsubscribe_channel

        unsubscribe_channel(item.platform_account_id)


async def _revoke(item: SocialAccountItem) -> None:
    tokens = token_vault.unseal(
        item.sealed_tokens, workspace_id=item.workspace_id, account_id=item.account_id
    )
    async with http_client() as http:
        await adapter_for(item, http).revoke(tokens)
