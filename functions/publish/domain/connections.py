"""Connecting real platforms: OAuth 2.0 authorization code, with PKCE where the platform has it.

`start` stores a pending login under the digest of a random 256-bit `state`, bound to the user,
the workspace and the platform, for 10 minutes. The callback spends it with a conditional delete,
so a state works once, only for its platform, only before it expires; a tampered or replayed
state finds nothing. Nothing about the login travels in the state itself, so there is nothing to
forge (a signature would protect data the state does not carry). The callback answers with a
redirect to the dashboard naming the outcome, never with tokens.
"""

import asyncio
import base64
import hashlib
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from pynamodb.exceptions import DeleteError
from ulid import ULID

from functions.publish.adapters import registry, token_vault
from functions.publish.adapters.items import OAuthStateItem, SelectionItem, SocialAccountItem
from functions.publish.adapters.platforms.base import (
    META_USER_KEY,
    ConnectedAccount,
    PlatformError,
    TokenSet,
)
from functions.publish.domain.account_metrics_collection import schedule_account
from functions.publish.domain.accounts import account_links, account_view, connected_event
from functions.publish.domain.models import (
    Account,
    Candidate,
    ConnectStart,
    Selection,
    SelectionChoice,
)
from functions.publish.domain.platform_calls import http_client
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.auth import digest
from functions.shared.events import DomainEvent, write_event
from functions.shared.observability import logger
from functions.shared.problems import FieldError, NotFound, ValidationFailed
from functions.shared.settings import get_settings
from functions.shared.tables import key, transaction, utc_now

STATE_LIFETIME = timedelta(minutes=10)
SELECTION_LIFETIME = timedelta(minutes=30)


def redirect_uri(platform: str) -> str:
    return f"{get_settings().api_base_url.rstrip('/')}/v1/accounts/callback/{platform}"


def _code_challenge(verifier: str) -> str:
    """RFC 7636 section 4.2, S256."""
    hashed = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(hashed).rstrip(b"=").decode()


def start(access: WorkspaceAccess, platform: str) -> ConnectStart:
    assert access.user_id is not None  # the route admits people only
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
    valid_until = utc_now() + STATE_LIFETIME
    url = asyncio.run(_authorization_url(platform, state, verifier))
    OAuthStateItem(
        *OAuthStateItem.keys(digest(state)),
        user_id=access.user_id,
        workspace_id=access.workspace_id,
        platform=platform,
        code_verifier=verifier,
        valid_until=valid_until,
        expires_at=valid_until,
    ).save()
    return ConnectStart(authorization_url=url, expires_in=int(STATE_LIFETIME.total_seconds()))


async def _authorization_url(platform: str, state: str, verifier: str) -> str:
    async with http_client() as http:
        return registry.oauth_adapter(platform, http).authorization_url(
            state=state,
            code_challenge=_code_challenge(verifier),
            redirect_uri=redirect_uri(platform),
        )


def _dashboard(outcome: dict[str, str]) -> str:
    return f"{get_settings().dashboard_url.rstrip('/')}/accounts/connect?{urlencode(outcome)}"


def _failure(platform: str, code: str, message: str) -> str:
    return _dashboard({"platform": platform, "status": "error", "error": code, "message": message})


def callback(
    platform: str,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    description: str | None,
) -> str:
    """Finish a login; the answer is where to send the browser."""
    if not state:
        return _failure(
            platform, "missing_state", "The platform sent the login back without its state."
        )
    pending = OAuthStateItem.find_key(*OAuthStateItem.keys(digest(state)))
    if pending is None or pending.platform != platform:
        return _failure(
            platform, "invalid_state", "This login link is invalid or was already used."
        )
    try:
        pending.delete()  # conditional on the version read: a replay racing this one fails
    except DeleteError:
        return _failure(
            platform, "invalid_state", "This login link is invalid or was already used."
        )
    if pending.valid_until <= utc_now():
        return _failure(platform, "expired_state", "The login took too long; please start again.")
    if error or not code:
        return _failure(platform, "denied", description or error or "The platform sent no code.")
    try:
        found = asyncio.run(_exchange(platform, code, pending.code_verifier))
    except PlatformError as failure:
        logger.warning(
            "oauth exchange failed", extra={"platform": platform, "class": type(failure).__name__}
        )
        return _failure(platform, "exchange_failed", failure.message)
    if not found:
        return _failure(
            platform, "no_accounts", "This login gives access to no account to publish to."
        )
    if len(found) == 1:
        identity, tokens = found[0]
        _save_account(pending.workspace_id, pending.user_id, platform, identity, tokens)
        return _dashboard({"platform": platform, "status": "connected", "count": "1"})
    selection_id = _save_selection(pending, found)
    return _dashboard({"platform": platform, "status": "choose", "selection": selection_id})


async def _exchange(
    platform: str, code: str, verifier: str
) -> list[tuple[ConnectedAccount, TokenSet]]:
    async with http_client() as http:
        adapter = registry.oauth_adapter(platform, http)
        tokens = await adapter.exchange_code(
            code=code, code_verifier=verifier, redirect_uri=redirect_uri(platform)
        )
        return await adapter.accounts(tokens)


def _save_account(
    workspace_id: str, user_id: str, platform: str, identity: ConnectedAccount, tokens: TokenSet
) -> SocialAccountItem:
    """Add the account, or refresh the tokens of the same identity connected before."""
    existing = next(
        (
            item
            for item in SocialAccountItem.query(
                key("WS", workspace_id),
                SocialAccountItem.sk.startswith("ACCOUNT#"),
                consistent_read=True,
            )
            if item.platform == platform
            and item.platform_account_id == identity.platform_account_id
        ),
        None,
    )
    account_id = existing.account_id if existing else str(ULID())
    item = SocialAccountItem(
        *SocialAccountItem.keys(workspace_id, account_id),
        account_id=account_id,
        workspace_id=workspace_id,
        platform=platform,
        platform_account_id=identity.platform_account_id,
        name=identity.name,
        handle=identity.handle,
        avatar_url=identity.avatar_url,
        kind=identity.kind,
        status="active",
        sealed_tokens=token_vault.seal(tokens, workspace_id=workspace_id, account_id=account_id),
        token_expires_at=tokens.expires_at,
        token_refresh_bucket=(
            SocialAccountItem.refresh_bucket(account_id) if tokens.expires_at else None
        ),
        connected_by=f"user:{user_id}",
        platform_user_id=identity.extra.get(META_USER_KEY),
    )
    if existing is not None:
        item.version = existing.version
        item.created_at = existing.created_at
    with transaction() as write:
        write.save(item)
        schedule_account(write, workspace_id, account_id, platform)
        links = account_links(item)
        kept = {(link.pk, link.sk) for link in links}
        # A link of the account as connected before that no longer holds (another Meta person).
        for link in account_links(existing) if existing is not None else []:
            if (link.pk, link.sk) not in kept:
                write.delete(link)
        for link in links:
            write.save(link)
        write.save(
            activity_entry(
                workspace_id,
                actor=f"user:{user_id}",
                action="account.reconnected" if existing else "account.connected",
                target=f"account:{account_id}",
                details={"platform": platform, "name": identity.name},
            )
        )
        write_event(
            write,
            DomainEvent(
                "publish",
                "account.connected",
                workspace_id,
                connected_event(item, reconnected=existing is not None),
            ),
        )
    if platform == "youtube":
        # New videos arrive by WebSub; the lease is renewed by the token refresher's run.
        from functions.publish.domain.websub_subscriptions import subscribe_channel

        subscribe_channel(identity.platform_account_id)
    elif platform == "x":
        # Mentions and replies arrive by Account Activity; a refusal is retried later.
        from functions.publish.domain.x_account_activity import subscribe_account

        subscribe_account(workspace_id, account_id, identity.platform_account_id, tokens)
    return item


def _save_selection(pending: OAuthStateItem, found: list[tuple[ConnectedAccount, TokenSet]]) -> str:
    selection_id = str(ULID())
    valid_until = utc_now() + SELECTION_LIFETIME
    candidates: list[dict[str, Any]] = [
        {
            "platform_account_id": identity.platform_account_id,
            "name": identity.name,
            "handle": identity.handle,
            "avatar_url": identity.avatar_url,
            "kind": identity.kind,
            "sealed_tokens": token_vault.seal(
                tokens, workspace_id=pending.workspace_id, account_id=selection_id
            ),
        }
        for identity, tokens in found
    ]
    SelectionItem(
        *SelectionItem.keys(pending.workspace_id, selection_id),
        selection_id=selection_id,
        workspace_id=pending.workspace_id,
        user_id=pending.user_id,
        platform=pending.platform,
        candidates=candidates,
        valid_until=valid_until,
        expires_at=valid_until,
    ).save()
    return selection_id


def _selection(access: WorkspaceAccess, selection_id: str) -> SelectionItem:
    item = SelectionItem.find_key(*SelectionItem.keys(access.workspace_id, selection_id))
    if item is None or item.valid_until <= utc_now() or item.user_id != access.user_id:
        raise NotFound(f"Selection {selection_id} was not found or has expired.")
    return item


def get_selection(access: WorkspaceAccess, selection_id: str) -> Selection:
    item = _selection(access, selection_id)
    return Selection(
        id=item.selection_id,
        platform=item.platform,
        candidates=[
            Candidate(**{k: v for k, v in candidate.items() if k != "sealed_tokens"})
            for candidate in item.candidates
        ],
        expires_at=item.valid_until.isoformat(),
    )


def choose(access: WorkspaceAccess, selection_id: str, choice: SelectionChoice) -> list[Account]:
    item = _selection(access, selection_id)
    offered = {candidate["platform_account_id"]: candidate for candidate in item.candidates}
    unknown = [chosen for chosen in choice.platform_account_ids if chosen not in offered]
    if unknown:
        raise ValidationFailed(
            "Choose among the accounts this login offered.",
            errors=[
                FieldError(
                    pointer="/body/platform_account_ids",
                    detail=f"Not offered by this login: {', '.join(unknown)}.",
                    code="not_offered",
                )
            ],
        )
    added = []
    for chosen in dict.fromkeys(choice.platform_account_ids):
        candidate = offered[chosen]
        tokens = token_vault.unseal(
            candidate["sealed_tokens"], workspace_id=access.workspace_id, account_id=selection_id
        )
        identity = ConnectedAccount(
            platform_account_id=chosen,
            name=candidate["name"],
            handle=candidate["handle"],
            avatar_url=candidate["avatar_url"],
            kind=candidate["kind"],
        )
        added.append(
            _save_account(access.workspace_id, item.user_id, item.platform, identity, tokens)
        )
    item.delete()
    return [account_view(account) for account in added]
