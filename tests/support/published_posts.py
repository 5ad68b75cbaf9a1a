"""Posts published into the metrics rollups, as the publish transaction records them, and the
collector reading their platform numbers: the analytics reports and the AI strategist's tools
read what these leave (functions/shared/metrics_rollups.py)."""

import itertools
from datetime import datetime
from typing import Protocol

from ulid import ULID

from functions.publish.adapters.post_items import PostItem, TargetItem
from functions.publish.domain import metrics_collection
from functions.shared.post_metrics import MetricsTargetItem
from functions.shared.tables import transaction

_post_numbers = itertools.count(1)


class InWorkspace(Protocol):
    @property
    def workspace_id(self) -> str: ...


def published(
    studio: InWorkspace,
    account_id: str,
    at: datetime,
    labels: tuple[str, ...] = (),
    platform: str = "sandbox",
    post_id: str | None = None,
    text: str = "",
) -> MetricsTargetItem:
    """A post with `text` published on the account at `at`, as the publish transaction
    records it."""
    post_id = post_id or str(ULID())
    if PostItem.find(studio.workspace_id, post_id) is None:
        PostItem(
            *PostItem.keys(studio.workspace_id, post_id),
            post_id=post_id,
            workspace_id=studio.workspace_id,
            status="published",
            content={"text": text},
            labels=set(labels) or None,
            created_by="user:test",
        ).save()
    target = TargetItem(
        *TargetItem.keys(studio.workspace_id, post_id, account_id),
        post_id=post_id,
        workspace_id=studio.workspace_id,
        account_id=account_id,
        platform=platform,
    )
    with transaction() as write:
        metrics_collection.start_metrics(write, target, f"pp{next(_post_numbers)}", at)
    found = MetricsTargetItem.find_key(
        *MetricsTargetItem.keys(studio.workspace_id, post_id, account_id)
    )
    assert found is not None
    return found


def look(target: MetricsTargetItem, **reported: int) -> None:
    """The collector reading the platform's numbers for the target (sandbox names are the
    normalized ones)."""
    fresh = MetricsTargetItem.find_key(target.pk, target.sk)
    assert fresh is not None
    metrics_collection._record(fresh, reported, metrics_collection.CollectionReport(), False)
