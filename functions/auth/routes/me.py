"""The signed-in user's own profile and avatar."""

from typing import Annotated

from fastapi import APIRouter, Path, status
from starlette.concurrency import run_in_threadpool

from functions.auth.domain.models import AvatarUpload, AvatarUploadRequest, ProfileUpdate, User
from functions.shared.access import ID_PATTERN
from functions.shared.http.dependencies import (
    CurrentUser,
)

router = APIRouter(prefix="/v1/me", tags=["me"])
UploadId = Annotated[
    str, Path(pattern=ID_PATTERN, description="The `upload_id` from POST /v1/me/avatar.")
]


@router.get("")
async def get_me(principal: CurrentUser) -> User:
    from functions.auth.domain import profiles

    return await run_in_threadpool(profiles.get_profile, principal)


@router.patch("")
async def update_me(principal: CurrentUser, body: ProfileUpdate) -> User:
    """Change name, time zone, locale, theme or notification preferences."""
    from functions.auth.domain import profiles

    return await run_in_threadpool(profiles.update_profile, principal, body)


@router.post("/avatar", status_code=status.HTTP_201_CREATED)
async def start_avatar_upload(principal: CurrentUser, body: AvatarUploadRequest) -> AvatarUpload:
    """Get a form to upload an avatar straight to storage (one file, this type, <= 5 MB, 5 min).

    POST `fields` and then the file (as `file`) to `url` as multipart/form-data, then call
    POST /v1/me/avatar/{upload_id}/complete.
    """
    from functions.auth.domain import avatars

    return await run_in_threadpool(avatars.start_upload, principal, body.content_type)


@router.post("/avatar/{upload_id}/complete")
async def complete_avatar_upload(principal: CurrentUser, upload_id: UploadId) -> User:
    """Make the uploaded file your avatar, replacing the previous one.

    422 unless the file is a JPEG, PNG or WebP image (judged by its content) of at most 40
    megapixels. What is stored is a re-encoded 512x512 WebP without any metadata.
    """
    from functions.auth.domain import avatars

    return await run_in_threadpool(avatars.complete_upload, principal, upload_id)


@router.delete("/avatar", status_code=status.HTTP_204_NO_CONTENT)
async def delete_avatar(principal: CurrentUser) -> None:
    """Remove your avatar (and its stored file)."""
    from functions.auth.domain import avatars

    await run_in_threadpool(avatars.remove_avatar, principal)
