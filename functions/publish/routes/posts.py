"""Posts: composing, preflight, scheduling, approval, the queue, bulk import and publishing."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, status
from starlette.concurrency import run_in_threadpool

from functions.publish.domain.post_models import (
    ApprovalDecision,
    BestTimesQueue,
    BestTimesQueueRequest,
    BulkReport,
    Post,
    PostCreate,
    PostStatus,
    PostUpdate,
    PostVersion,
    Preflight,
    PublishingSettings,
    QueueRequest,
    QueueSlots,
    RejectDecision,
    RetryResult,
    ScheduleRequest,
)
from functions.shared.access import ID_PATTERN, Permissions
from functions.shared.http.dependencies import (
    Paging,
    PostsReader,
    PostsWriter,
    WorkspaceAdmin,
)
from functions.shared.inputs import Rfc3339DateTime, SingleLine
from functions.shared.pagination import Page

router = APIRouter(prefix="/v1/posts", tags=["posts"])

PostId = Annotated[str, Path(pattern=ID_PATTERN, description="The post.")]
AccountFilter = Annotated[str | None, Query(pattern=ID_PATTERN)]


@router.get("", description=Permissions.POSTS_READ.description)
async def list_posts(
    access: PostsReader,
    paging: Paging,
    status_filter: Annotated[PostStatus | None, Query(alias="status")] = None,
    account_id: AccountFilter = None,
    label: Annotated[SingleLine | None, Query(min_length=1, max_length=40)] = None,
    created_from: Annotated[
        Rfc3339DateTime | None,
        Query(alias="from", description="RFC 3339; no offset: workspace time."),
    ] = None,
    created_to: Annotated[
        Rfc3339DateTime | None,
        Query(alias="to", description="RFC 3339; no offset: workspace time."),
    ] = None,
) -> Page[Post]:
    """Newest first; filter by status, account, label and creation time (`from`, `to`)."""
    from functions.publish.domain import posts, scheduling, wall_time

    if created_from is not None or created_to is not None:
        timezone = await run_in_threadpool(scheduling.workspace_timezone, access.workspace_id)
        if created_from is not None:
            created_from = wall_time.resolve_time(created_from, timezone, "/query/from")
        if created_to is not None:
            created_to = wall_time.resolve_time(created_to, timezone, "/query/to")
    items, cursor = await run_in_threadpool(
        posts.list_posts,
        access,
        paging,
        status=status_filter,
        account_id=account_id,
        label=label,
        created_from=created_from,
        created_to=created_to,
    )
    return Page(items=items, next_cursor=cursor)


@router.post(
    "", status_code=status.HTTP_201_CREATED, description=Permissions.POSTS_WRITE.description
)
async def create_post(access: PostsWriter, body: PostCreate) -> Post:
    """A draft; the answer carries its preflight."""
    from functions.publish.domain import posts

    return await run_in_threadpool(posts.create_post, access, body)


@router.get("/calendar", description=Permissions.POSTS_READ.description, name="get_calendar")
async def calendar(
    access: PostsReader,
    paging: Paging,
    start: Annotated[
        Rfc3339DateTime, Query(alias="from", description="RFC 3339; no offset: workspace time.")
    ],
    end: Annotated[
        Rfc3339DateTime, Query(alias="to", description="RFC 3339; no offset: workspace time.")
    ],
) -> Page[Post]:
    """Posts scheduled in [from, to), in time order."""
    from functions.publish.domain import posts, scheduling, wall_time

    timezone = await run_in_threadpool(scheduling.workspace_timezone, access.workspace_id)
    items, cursor = await run_in_threadpool(
        posts.calendar,
        access,
        wall_time.resolve_time(start, timezone, "/query/from"),
        wall_time.resolve_time(end, timezone, "/query/to"),
        paging,
    )
    return Page(items=items, next_cursor=cursor)


@router.get(
    "/settings", description=Permissions.POSTS_READ.description, name="get_publishing_settings"
)
async def get_settings(access: PostsReader) -> PublishingSettings:
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.get_settings, access)


@router.put("/settings", description=Permissions.ADMINS.description, name="set_publishing_settings")
async def put_settings(access: WorkspaceAdmin, body: PublishingSettings) -> PublishingSettings:
    """Turn approval or tracked links on or off for the workspace."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.put_settings, access, body)


@router.get("/queue/slots", description=Permissions.POSTS_READ.description, name="get_queue_slots")
async def get_slots(access: PostsReader, account_id: AccountFilter = None) -> QueueSlots:
    """The queue's weekly slots: the workspace's, or one account's."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.get_slots, access, account_id)


@router.put("/queue/slots", description=Permissions.POSTS_WRITE.description, name="set_queue_slots")
async def put_slots(
    access: PostsWriter, body: QueueSlots, account_id: AccountFilter = None
) -> QueueSlots:
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.put_slots, access, account_id, body)


@router.post(
    "/queue/slots/best-times",
    description=Permissions.POSTS_WRITE.description,
    name="set_queue_slots_from_best_times",
)
async def put_best_times_slots(access: PostsWriter, body: BestTimesQueueRequest) -> BestTimesQueue:
    """Make the account's best times (`GET /v1/analytics/best-times`) its queue slots, in one
    call: they replace the account's slots."""
    from functions.publish.domain import queue_best_times

    return await run_in_threadpool(queue_best_times.apply, access, body)


@router.post(
    "/bulk",
    description=Permissions.POSTS_WRITE.description,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": (
                        "text,accounts,at,media,labels\n"
                        '"Autumn roast is back: fig, cocoa, orange.",'
                        "01JB8Z6D3W5Y7A9C1E3G5J7K9M 01JB8Z7F4X6Z8B0D2F4H6K8M0N,"
                        "2027-03-02T09:30:00+01:00,01JB8ZA1B2C3D4E5F6G7H8J9KA,launch;autumn\n"
                        '"Last day for the autumn roast!",01JB8Z6D3W5Y7A9C1E3G5J7K9M,'
                        "2027-03-06T17:00:00+01:00,,autumn\n"
                    ),
                }
            },
        }
    },
    name="bulk_schedule_posts",
)
async def bulk_schedule(
    access: PostsWriter, csv_body: Annotated[bytes, Body(media_type="text/csv")]
) -> BulkReport:
    """Create and schedule one post per CSV row (columns: `text`, `accounts`, `at`, and
    optionally `media`, `labels`, `first_comment`); each row is reported."""
    from functions.publish.domain import bulk

    return await run_in_threadpool(bulk.import_csv, access, csv_body)


@router.get("/{post_id}", description=Permissions.POSTS_READ.description)
async def get_post(access: PostsReader, post_id: PostId) -> Post:
    from functions.publish.domain import post_store

    return await run_in_threadpool(post_store.get_post, access, post_id)


@router.patch("/{post_id}", description=Permissions.POSTS_WRITE.description)
async def update_post(access: PostsWriter, post_id: PostId, body: PostUpdate) -> Post:
    """Edit content or labels; a new revision, kept in the version history."""
    from functions.publish.domain import posts

    return await run_in_threadpool(posts.update_post, access, post_id, body)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    description=Permissions.POSTS_WRITE.description,
)
async def delete_post(access: PostsWriter, post_id: PostId) -> Response:
    from functions.publish.domain import posts

    await run_in_threadpool(posts.delete_post, access, post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{post_id}/duplicate",
    status_code=status.HTTP_201_CREATED,
    description=Permissions.POSTS_WRITE.description,
)
async def duplicate_post(access: PostsWriter, post_id: PostId) -> Post:
    from functions.publish.domain import posts

    return await run_in_threadpool(posts.duplicate_post, access, post_id)


@router.get(
    "/{post_id}/versions", description=Permissions.POSTS_READ.description, name="list_post_versions"
)
async def list_versions(access: PostsReader, post_id: PostId, paging: Paging) -> Page[PostVersion]:
    """Every revision of the content, newest first."""
    from functions.publish.domain import posts

    items, cursor = await run_in_threadpool(posts.list_versions, access, post_id, paging)
    return Page(items=items, next_cursor=cursor)


@router.post("/{post_id}/validate", description=Permissions.POSTS_READ.description)
async def validate_post(access: PostsReader, post_id: PostId) -> Preflight:
    """Preflight: every problem per target, with a fix where one exists."""
    from functions.publish.domain import posts

    return await run_in_threadpool(posts.validate_post, access, post_id)


@router.post("/{post_id}/schedule", description=Permissions.POSTS_WRITE.description)
async def schedule_post(access: PostsWriter, post_id: PostId, body: ScheduleRequest) -> Post:
    """Schedule or reschedule. With approval on, an editor's request waits for an admin."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.schedule_post, access, post_id, body)


@router.delete("/{post_id}/schedule", description=Permissions.POSTS_WRITE.description)
async def unschedule_post(access: PostsWriter, post_id: PostId) -> Post:
    """Cancel the schedule; the post becomes a draft again."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.unschedule, access, post_id)


@router.post(
    "/{post_id}/publish",
    status_code=status.HTTP_202_ACCEPTED,
    description=Permissions.POSTS_WRITE.description,
    name="publish_post_now",
)
async def publish_now(access: PostsWriter, post_id: PostId) -> Post:
    """Publish now; follow its progress on the post."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.publish_now, access, post_id)


@router.post("/{post_id}/queue", description=Permissions.POSTS_WRITE.description)
async def queue_post(
    access: PostsWriter, post_id: PostId, body: QueueRequest | None = None
) -> Post:
    """Schedule in the queue's next free slot."""
    from functions.publish.domain import scheduling

    account_id = body.account_id if body is not None else None
    return await run_in_threadpool(scheduling.queue_post, access, post_id, account_id)


@router.post(
    "/{post_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    description=Permissions.POSTS_WRITE.description,
)
async def retry_post(access: PostsWriter, post_id: PostId) -> RetryResult:
    """Publish the failed targets again; published ones are not touched."""
    from functions.publish.domain import publishing

    post, retried = await run_in_threadpool(publishing.retry_post, access, post_id)
    return RetryResult(post=post, retried=retried)


@router.post("/{post_id}/submit", description=Permissions.POSTS_WRITE.description)
async def submit_post(access: PostsWriter, post_id: PostId) -> Post:
    """Ask an admin to approve the post."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.submit, access, post_id)


@router.post("/{post_id}/approve", description=Permissions.ADMINS.description)
async def approve_post(
    access: WorkspaceAdmin, post_id: PostId, body: ApprovalDecision | None = None
) -> Post:
    """Approve this revision; a requested time is scheduled."""
    from functions.publish.domain import scheduling

    comment = body.comment if body is not None else None
    return await run_in_threadpool(scheduling.approve, access, post_id, comment)


@router.post("/{post_id}/reject", description=Permissions.ADMINS.description)
async def reject_post(access: WorkspaceAdmin, post_id: PostId, body: RejectDecision) -> Post:
    """Send the post back to its author with a comment."""
    from functions.publish.domain import scheduling

    return await run_in_threadpool(scheduling.reject, access, post_id, body.comment)
