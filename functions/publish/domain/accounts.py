"""Connected social accounts: add (the sandbox directly), list, read, check, disconnect.

Tokens are sealed by the token vault before they are stored and never leave this module in a
response. A check that the platform refuses marks the account `needs_reconnect` and announces it
on the bus; a temporary platform failure never does.
"""

import asyncio
import secrets

from ulid import ULID

from functions.publish.adapters import token_vault
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    ConnectedAccount,
    PlatformAdapter,
    ReauthRequired,
    Retryable,
    TokenSet,
)
from functions.publish.adapters.platforms.sandbox import SandboxAdapter
from functions.publish.domain.models import Account, CheckResult, SandboxAccountCreate
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.events import publish_event
from functions.shared.pagination import PageRequest
from functions.shared.problems import NotFound, ServiceUnavailable
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


def adapter_for(item: SocialAccountItem) -> PlatformAdapter:
    if item.platform == "sandbox":
        return SandboxAdapter(fail_with=(item.options or {}).get("fail_with"))
    raise ServiceUnavailable(f"Publishing to {item.platform} is not configured on this stage.")


def connected(item: SocialAccountItem) -> ConnectedAccount:
    return ConnectedAccount(
        platform_account_id=item.platform_account_id,
        name=item.name,
        handle=item.handle,
        avatar_url=item.avatar_url,
        kind=item.kind,
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
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="account.connected",
                target=f"account:{account_id}",
                details={"platform": "sandbox", "name": request.name},
            )
        )
    return account_view(item)


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
    tokens = token_vault.unseal(
        item.sealed_tokens, workspace_id=access.workspace_id, account_id=account_id
    )
    adapter = adapter_for(item)
    try:
        asyncio.run(adapter.accounts(tokens))
    except ReauthRequired as error:
        _mark(item, status="needs_reconnect", error=error.message)
        publish_event(
            "publish",
            "account.needs_reconnect",
            {
                "workspace_id": access.workspace_id,
                "account_id": account_id,
                "reason": error.message,
            },
        )
        return CheckResult(account=account_view(item), healthy=False, detail=error.message)
    except Retryable as error:
        # A platform hiccup says nothing about the connection: the status stays as it was.
        _mark(item, status=item.status, error=error.message)
        return CheckResult(
            account=account_view(item),
            healthy=False,
            detail=f"The platform could not be asked right now: {error.message}",
        )
    _mark(item, status="active", error=None)
    return CheckResult(account=account_view(item), healthy=True, detail="The connection works.")


def _mark(item: SocialAccountItem, *, status: str, error: str | None) -> None:
    with conflict_on_condition_failure("The account changed meanwhile; try the check again."):
        item.update(
            actions=[
                SocialAccountItem.status.set(status),
                SocialAccountItem.last_checked_at.set(utc_now()),
                (
                    SocialAccountItem.last_error.set(error)
                    if error
                    else SocialAccountItem.last_error.remove()
                ),
            ]
        )


def disconnect_account(access: WorkspaceAccess, account_id: str) -> None:
    item = _account(access, account_id)
    with transaction() as write:
        write.delete(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="account.disconnected",
                target=f"account:{account_id}",
                details={"platform": item.platform, "name": item.name},
            )
        )
