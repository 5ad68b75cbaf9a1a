"""The metrics collector: every 15 minutes it collects the platform metrics that are due and
the accounts' daily numbers that are due (`collect-metrics`), and the analytics group invokes it
synchronously to refresh one post's now (`refresh-post-metrics`). It runs in the publish group
because that group holds the accounts' tokens; what it writes (snapshots and rollups,
functions/shared/post_metrics.py and functions/shared/account_metrics.py) the analytics group
reads."""

from dataclasses import asdict
from typing import Any

from functions.shared.observability import logger
from functions.shared.post_metrics import REFRESH_TASK
from functions.shared.workers import task_handler

COLLECT_TASK = "collect-metrics"


def collect(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.account_metrics_collection import collect_due_accounts
    from functions.publish.domain.metrics_collection import collect_due

    return asdict(collect_due()) | {"accounts": asdict(collect_due_accounts())}


def refresh(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.publish.domain.metrics_collection import refresh_post

    workspace_id, post_id = str(event["workspace_id"]), str(event["post_id"])
    logger.append_keys(workspace_id=workspace_id, post_id=post_id)
    return asdict(refresh_post(workspace_id, post_id))


handler = task_handler({COLLECT_TASK: collect, REFRESH_TASK: refresh})
