"""Media job items: what a job was asked to do and how far it got.

WS#<workspace>   JOB#<job>   one video or audio job; its ULID makes the partition list newest
                             last, so lists query it descending

The API creates the item (`queued`) and cancels it; the workflow's steps move it through
`running` to `succeeded` or `failed`. Every change after creation is conditional on the job not
having finished yet, so a late progress report or a step still running after a cancel can never
overwrite a final status.
"""

from datetime import datetime
from typing import Any, Literal, Self

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.update import Action

from functions.shared.events import DomainEvent, write_event
from functions.shared.identity_items import FindableItem
from functions.shared.pagination import PageRequest
from functions.shared.tables import condition_failed, key, query_page, transaction, utc_now

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
UNFINISHED: tuple[JobStatus, ...] = ("queued", "running")
SORT_PREFIX = "JOB#"


class MediaJobItem(FindableItem):
    job_id = UnicodeAttribute()
    workspace_id = UnicodeAttribute()
    operation = JSONAttribute()  # the request body, one of the JobOperation union
    # PynamoDB types a list by its element attribute; the values read are the strings.
    input_asset_ids: ListAttribute[str] = ListAttribute(of=UnicodeAttribute)  # type: ignore[arg-type]
    status = UnicodeAttribute(default="queued")
    percent = NumberAttribute(default=0)
    step = UnicodeAttribute(null=True)  # the workflow state running now: probe, process...
    error = UnicodeAttribute(null=True)  # a message for the user, never internals
    output_asset_id = UnicodeAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)

    @staticmethod
    def keys(workspace_id: str, job_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("JOB", job_id)

    @classmethod
    def find(cls, workspace_id: str, job_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id, job_id))


def new_job(
    workspace_id: str,
    job_id: str,
    *,
    operation: dict[str, Any],
    input_asset_ids: list[str],
    created_by: str,
) -> MediaJobItem:
    return MediaJobItem(
        *MediaJobItem.keys(workspace_id, job_id),
        job_id=job_id,
        workspace_id=workspace_id,
        operation=operation,
        input_asset_ids=input_asset_ids,
        status="queued",
        percent=0,
        created_by=created_by,
    )


def list_jobs(workspace_id: str, page: PageRequest) -> tuple[list[MediaJobItem], str | None]:
    """One page of the workspace's jobs, newest first."""
    return query_page(MediaJobItem, key("WS", workspace_id), SORT_PREFIX, page, newest_first=True)


def _unread(workspace_id: str, job_id: str) -> MediaJobItem:
    """The job's keys only, for updates that need no read first.

    A known version makes PynamoDB increment it (ADD 1) instead of resetting it to 1.
    """
    item = MediaJobItem(*MediaJobItem.keys(workspace_id, job_id))
    item.version = 0
    return item


def _update_unfinished(workspace_id: str, job_id: str, actions: list[Action]) -> bool:
    """Apply `actions` (which set `updated_at`) if the job exists and has not finished; False
    if it has (or is gone)."""
    item = _unread(workspace_id, job_id)
    try:
        item.update(
            actions=actions,
            condition=MediaJobItem.status.is_in(*UNFINISHED),
            add_version_condition=False,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def set_execution(workspace_id: str, job_id: str, execution_arn: str) -> None:
    """Remember the workflow execution running the job (whatever its status by now)."""
    _unread(workspace_id, job_id).update(
        actions=[MediaJobItem.execution_arn.set(execution_arn)],
        condition=MediaJobItem.pk.exists(),
        add_version_condition=False,
    )


def enter_step(workspace_id: str, job_id: str, step: str, *, percent: float) -> bool:
    """Mark the job as running `step`, which starts at `percent` of the whole job."""
    return _update_unfinished(
        workspace_id,
        job_id,
        [
            MediaJobItem.status.set("running"),
            MediaJobItem.step.set(step),
            MediaJobItem.percent.set(percent),
            MediaJobItem.updated_at.set(utc_now()),
        ],
    )


def record_progress(workspace_id: str, job_id: str, percent: float) -> bool:
    return _update_unfinished(
        workspace_id,
        job_id,
        [
            MediaJobItem.percent.set(round(min(max(percent, 0), 100), 1)),
            MediaJobItem.updated_at.set(utc_now()),
        ],
    )


def finish_actions(
    status: JobStatus,
    *,
    now: datetime,
    error: str | None = None,
    output_asset_id: str | None = None,
) -> list[Action]:
    actions: list[Action] = [
        MediaJobItem.status.set(status),
        MediaJobItem.finished_at.set(now),
        MediaJobItem.updated_at.set(now),
        MediaJobItem.step.remove(),
    ]
    if status == "succeeded":
        actions.append(MediaJobItem.percent.set(100))
    if error is not None:
        actions.append(MediaJobItem.error.set(error))
    if output_asset_id is not None:
        actions.append(MediaJobItem.output_asset_id.set(output_asset_id))
    return actions


def finish(
    workspace_id: str,
    job_id: str,
    status: JobStatus,
    *,
    error: str | None = None,
    event: DomainEvent | None = None,
) -> bool:
    """End an unfinished job (failed or cancelled), with the event that announces it in the same
    transaction; False (and no event) if it had already ended."""
    actions = finish_actions(status, now=utc_now(), error=error)
    if event is None:
        return _update_unfinished(workspace_id, job_id, actions)
    try:
        with transaction() as write:
            write.update(
                _unread(workspace_id, job_id),
                actions=actions,
                condition=MediaJobItem.status.is_in(*UNFINISHED),
                add_version_condition=False,
            )
            write_event(write, event)
    except TransactWriteError as refused:
        if condition_failed(refused):
            return False
        raise
    return True


def forget(item: MediaJobItem) -> None:
    """Delete a job that never started (its workflow could not be started)."""
    item.delete(condition=MediaJobItem.status == "queued", add_version_condition=False)
