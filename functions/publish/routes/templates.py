"""Post templates of the workspace."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from functions.publish.domain.post_models import Post, Template, TemplateCreate, TemplateUpdate
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import (
    Paging,
    PostsReader,
    PostsWriter,
)
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/templates", tags=["templates"])

TemplateId = Annotated[str, Path(pattern=ID_PATTERN, description="The template.")]


@router.get("", description=Permissions.POSTS_READ.description)
async def list_templates(
    access: PostsReader,
    paging: Paging,
    category: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=40)] = None,
) -> Page[Template]:
    from functions.publish.domain import templates

    items, cursor = await run_in_threadpool(templates.list_templates, access, paging, category)
    return Page(items=items, next_cursor=cursor)


@router.post(
    "", status_code=status.HTTP_201_CREATED, description=Permissions.POSTS_WRITE.description
)
async def create_template(access: PostsWriter, body: TemplateCreate) -> Template:
    from functions.publish.domain import templates

    return await run_in_threadpool(templates.create_template, access, body)


@router.get("/{template_id}", description=Permissions.POSTS_READ.description)
async def get_template(access: PostsReader, template_id: TemplateId) -> Template:
    from functions.publish.domain import templates

    return await run_in_threadpool(templates.get_template, access, template_id)


@router.patch("/{template_id}", description=Permissions.POSTS_WRITE.description)
async def update_template(
    access: PostsWriter, template_id: TemplateId, body: TemplateUpdate
) -> Template:
    from functions.publish.domain import templates

    return await run_in_threadpool(templates.update_template, access, template_id, body)


@router.delete(
    "/{template_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    description=Permissions.POSTS_WRITE.description,
)
async def delete_template(access: PostsWriter, template_id: TemplateId) -> Response:
    from functions.publish.domain import templates

    await run_in_threadpool(templates.delete_template, access, template_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{template_id}/use",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.POSTS_WRITE.description,
)
async def use_template(access: PostsWriter, template_id: TemplateId) -> Post:
    """A new draft from the template."""
    from functions.publish.domain import templates

    return await run_in_threadpool(templates.use_template, access, template_id)
