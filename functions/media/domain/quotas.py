"""The storage quota of a workspace's media library (`HERALD_MEDIA_QUOTA_BYTES`).

Usage is the sum of the library's file sizes, kept by a counter that changes in the same
transaction as the asset it counts (adapters/asset_items.py). Starting an upload checks the
declared size against what is left, so a browser is not sent off to upload a file that cannot
be kept; creating the asset then enforces the quota atomically with the real size.

A job's result is charged the same way when the job keeps it (job_workflow_steps.py); its size
is unknown until FFmpeg has run, so a job is refused at the start only when the library is full,
and fails with its own message when the result turns out larger than what is left.
"""

from http import HTTPStatus

from functions.media.adapters import asset_items
from functions.media.domain.kinds import size_phrase
from functions.media.domain.models import Usage
from functions.shared.problems import Problem
from functions.shared.settings import get_settings


class QuotaExceeded(Problem):
    status = HTTPStatus.FORBIDDEN
    type = "urn:herald:problem:quota"


def quota_bytes() -> int:
    return get_settings().media_quota_bytes


def usage(workspace_id: str) -> Usage:
    used, count = asset_items.used_bytes(workspace_id)
    return Usage(used_bytes=used, quota_bytes=quota_bytes(), asset_count=count)


def room_left(workspace_id: str) -> int:
    used, _ = asset_items.used_bytes(workspace_id)
    return max(0, quota_bytes() - used)


def exceeded(workspace_id: str, size_bytes: int | None = None) -> QuotaExceeded:
    """The refusal of a file of `size_bytes` (None: larger than what is left)."""
    used, _ = asset_items.used_bytes(workspace_id)
    quota = quota_bytes()
    needs = f"needs {size_bytes} bytes" if size_bytes is not None else "is larger than that"
    return QuotaExceeded(
        f"The media library has {max(0, quota - used)} bytes left of its {size_phrase(quota)} "
        f"quota ({used} bytes used) and this file {needs}. Delete assets you no longer need "
        "to make room."
    )


def ensure_room(workspace_id: str, size_bytes: int) -> None:
    if size_bytes > room_left(workspace_id):
        raise exceeded(workspace_id, size_bytes)


def ensure_room_for_a_result(workspace_id: str) -> None:
    """Refuse a job that could keep no result at all, before it spends minutes of FFmpeg."""
    used, _ = asset_items.used_bytes(workspace_id)
    quota = quota_bytes()
    if used >= quota:
        raise QuotaExceeded(
            f"The media library is full ({used} bytes used of its {size_phrase(quota)} quota), "
            "so the job's result could not be kept. Delete assets you no longer need to make "
            "room."
        )
