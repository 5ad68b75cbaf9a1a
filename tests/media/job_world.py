"""Media jobs as the API leaves them, for the tests of the workflow's steps and executions."""

from typing import Any

from ulid import ULID

from functions.media.adapters import job_items
from functions.media.adapters.job_items import MediaJobItem

WORKSPACE = "01JC0000000000000000000WS1"
CREATOR = "user:01JC00000000000000000USER"


def new_job(workspace_id: str, operation: dict[str, Any]) -> dict[str, Any]:
    """A job as the API leaves it (queued); the workflow's input."""
    job_id = str(ULID())
    ids = [operation[name] for name in ("asset_id", "music_asset_id") if name in operation]
    job_items.new_job(
        workspace_id,
        job_id,
        operation=operation,
        input_asset_ids=operation.get("asset_ids", ids),
        created_by=CREATOR,
    ).save()
    return {"workspace_id": workspace_id, "job_id": job_id}


def job_of(state: dict[str, Any]) -> MediaJobItem:
    found = MediaJobItem.find(state["workspace_id"], state["job_id"])
    assert found is not None
    return found
