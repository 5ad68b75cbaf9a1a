"""The signed-in user's own profile."""

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from functions.auth.domain.models import ProfileUpdate, User
from functions.shared.access import require_user
from functions.shared.auth import UserPrincipal

router = APIRouter(prefix="/v1/me", tags=["me"])
Me = Annotated[UserPrincipal, Depends(require_user)]


@router.get("")
async def get_me(principal: Me) -> User:
    from functions.auth.domain import profiles

    return await run_in_threadpool(profiles.get_profile, principal)


@router.patch("")
async def update_me(principal: Me, body: ProfileUpdate) -> User:
    """Change name, time zone, locale, theme or notification preferences."""
    from functions.auth.domain import profiles

    return await run_in_threadpool(profiles.update_profile, principal, body)
