"""Social accounts of the workspace, and the platforms Herald publishes to."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from functions.publish.domain.models import (
    Account,
    CheckResult,
    ConnectStart,
    SandboxAccountCreate,
    SandboxCommentCreate,
    SandboxCommentSent,
    Selection,
    SelectionChoice,
)
from functions.publish.domain.platforms import OAUTH_PLATFORMS, PLATFORMS, PlatformInfo
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import (
    AccountsManager,
    AccountsReader,
    Paging,
    PostsWriter,
    WorkspaceAdmin,
)
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

# OAuth logins belong to a person: API keys cannot start or finish one.
OAuthPlatform = Annotated[
    str, Path(pattern="^(" + "|".join(OAUTH_PLATFORMS) + ")$", description="The platform.")
]
AccountId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("/platforms", description=Permissions.ACCOUNTS_READ.description)
async def list_platforms(access: AccountsReader) -> list[PlatformInfo]:
    """Every platform with its content types and limits: the rules preflight enforces."""
    return list(PLATFORMS)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.ACCOUNTS_WRITE.description,
    name="add_sandbox_account",
)
async def add_account(access: AccountsManager, body: SandboxAccountCreate) -> Account:
    """Add the built-in sandbox account (real platforms connect through OAuth)."""
    from functions.publish.domain import accounts

    return await run_in_threadpool(accounts.add_sandbox_account, access, body)


@router.post(
    "/connect/{platform}", description=Permissions.ADMINS.description, name="connect_account"
)
async def connect(access: WorkspaceAdmin, platform: OAuthPlatform) -> ConnectStart:
    """Start connecting a platform: send the browser to `authorization_url`."""
    from functions.publish.domain import connections

    return await run_in_threadpool(connections.start, access, platform)


@router.get(
    "/callback/{platform}",
    status_code=status.HTTP_302_FOUND,
    response_class=RedirectResponse,
    description="Public: the platform sends the browser here; the answer redirects to the "
    "dashboard with `status` connected, choose (with `selection`) or error (with `error` and "
    "`message`).",
    name="complete_account_connection",
)
async def callback(
    platform: OAuthPlatform,
    code: Annotated[str | None, Query(max_length=2048)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    error_description: Annotated[str | None, Query(max_length=1000)] = None,
) -> RedirectResponse:
    from functions.publish.domain import connections

    target = await run_in_threadpool(
        lambda: connections.callback(
            platform, code=code, state=state, error=error, description=error_description
        )
    )
    return RedirectResponse(target, status_code=status.HTTP_302_FOUND)


@router.get(
    "/selections/{selection_id}",
    description=Permissions.ADMINS.description,
    name="get_account_selection",
)
async def get_selection(access: WorkspaceAdmin, selection_id: AccountId) -> Selection:
    """The pages, organizations or channels one login exposed, to choose from."""
    from functions.publish.domain import connections

    return await run_in_threadpool(connections.get_selection, access, selection_id)


@router.post(
    "/selections/{selection_id}",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.ADMINS.description,
    name="choose_accounts",
)
async def choose(
    access: WorkspaceAdmin, selection_id: AccountId, body: SelectionChoice
) -> list[Account]:
    """Add the chosen identities as accounts."""
    from functions.publish.domain import connections

    return await run_in_threadpool(connections.choose, access, selection_id, body)


@router.get("", description=Permissions.ACCOUNTS_READ.description)
async def list_accounts(access: AccountsReader, page: Paging) -> Page[Account]:
    from functions.publish.domain import accounts

    items, cursor = await run_in_threadpool(accounts.list_accounts, access, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/{account_id}", description=Permissions.ACCOUNTS_READ.description)
async def get_account(access: AccountsReader, account_id: AccountId) -> Account:
    from functions.publish.domain import accounts

    return await run_in_threadpool(accounts.get_account, access, account_id)


@router.post("/{account_id}/check", description=Permissions.ACCOUNTS_WRITE.description)
async def check_account(access: AccountsManager, account_id: AccountId) -> CheckResult:
    """Verify the connection live with the platform."""
    from functions.publish.domain import accounts

    return await run_in_threadpool(accounts.check_account, access, account_id)


@router.delete(
    "/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    description=Permissions.ACCOUNTS_WRITE.description,
)
async def disconnect_account(access: AccountsManager, account_id: AccountId) -> None:
    """Disconnect the account and delete its tokens."""
    from functions.publish.domain import accounts

    await run_in_threadpool(accounts.disconnect_account, access, account_id)


@router.post(
    "/{account_id}/sandbox/comments",
    description=Permissions.POSTS_WRITE.description,
    name="send_sandbox_comment",
)
async def send_sandbox_comment(
    access: PostsWriter, account_id: AccountId, body: SandboxCommentCreate
) -> SandboxCommentSent:
    """Someone on the sandbox comments on one of the account's posts, replies, or mentions it:
    delivered to Herald's inbox through the signed webhook a real platform would send."""
    from functions.publish.domain import sandbox_comments

    return await run_in_threadpool(sandbox_comments.send_comment, access, account_id, body)
