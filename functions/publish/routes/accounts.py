"""Social accounts of the workspace, and the platforms Herald publishes to."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status
from starlette.concurrency import run_in_threadpool

from functions.publish.domain.models import Account, CheckResult, SandboxAccountCreate
from functions.publish.domain.platforms import PLATFORMS, PlatformInfo
from functions.shared.access import (
    ID_PATTERN,
    Permission,
    Role,
    Scope,
    WorkspaceAccess,
    require_workspace,
)
from functions.shared.pagination import Page, PageRequest, page_request

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

READ = Permission(Role.VIEWER, Scope.ACCOUNTS_READ)
MANAGE = Permission(Role.ADMIN, Scope.ACCOUNTS_WRITE)
ReadAccess = Annotated[WorkspaceAccess, Depends(require_workspace(READ))]
ManageAccess = Annotated[WorkspaceAccess, Depends(require_workspace(MANAGE))]
Paging = Annotated[PageRequest, Depends(page_request)]
AccountId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.get("/platforms", description=READ.description)
async def list_platforms(access: ReadAccess) -> list[PlatformInfo]:
    """Every platform with its content types and limits: the rules preflight enforces."""
    return list(PLATFORMS)


@router.post("", status_code=status.HTTP_201_CREATED, description=MANAGE.description)
async def add_account(access: ManageAccess, body: SandboxAccountCreate) -> Account:
    """Add the built-in sandbox account (real platforms connect through OAuth)."""
    from functions.publish.domain import accounts

    return await run_in_threadpool(accounts.add_sandbox_account, access, body)


@router.get("", description=READ.description)
async def list_accounts(access: ReadAccess, page: Paging) -> Page[Account]:
    from functions.publish.domain import accounts

    items, cursor = await run_in_threadpool(accounts.list_accounts, access, page)
    return Page(items=items, next_cursor=cursor)


@router.get("/{account_id}", description=READ.description)
async def get_account(access: ReadAccess, account_id: AccountId) -> Account:
    from functions.publish.domain import accounts

    return await run_in_threadpool(accounts.get_account, access, account_id)


@router.post("/{account_id}/check", description=MANAGE.description)
async def check_account(access: ManageAccess, account_id: AccountId) -> CheckResult:
    """Verify the connection live with the platform."""
    from functions.publish.domain import accounts

    return await run_in_threadpool(accounts.check_account, access, account_id)


@router.delete(
    "/{account_id}", status_code=status.HTTP_204_NO_CONTENT, description=MANAGE.description
)
async def disconnect_account(access: ManageAccess, account_id: AccountId) -> None:
    """Disconnect the account and delete its tokens."""
    from functions.publish.domain import accounts

    await run_in_threadpool(accounts.disconnect_account, access, account_id)
