"""The sweeper: the safety net under every schedule (an EventBridge rule, every 5 minutes).

Posts still `scheduled` after their time and targets whose next step (retry, status check,
reconciliation) is overdue are on the table's sparse `by-due` index; the sweeper queries it,
never scans, and runs what was missed. A grace period leaves the schedules the first chance, and
the conditional writes of publishing make a race with a late schedule harmless. A target still
`publishing` past its deadline (the worker was cut off) becomes `unconfirmed` and is reconciled.
Targets of a deleted post whose platform post links were left behind (the deletion was cut off
after its post's transaction) are deleted with their links.
"""

from dataclasses import dataclass
from datetime import timedelta

from functions.publish.adapters.post_items import DUE_SHARDS, PostItem, TargetItem
from functions.publish.domain.posts import unlink_deleted_targets
from functions.publish.domain.publishing import advance_target, fire_post
from functions.shared.observability import logger
from functions.shared.tables import key, utc_now

GRACE = timedelta(minutes=2)


@dataclass
class SweepReport:
    posts_fired: int = 0
    targets_advanced: int = 0
    targets_unlinked: int = 0


def sweep() -> SweepReport:
    report = SweepReport()
    limit = utc_now() - GRACE
    for shard in range(DUE_SHARDS):
        for entry in PostItem.by_due.query(key("POSTS", str(shard)), PostItem.due_at <= limit):
            post = PostItem.find(entry.workspace_id, entry.post_id)
            if post is not None and post.status == "scheduled" and post.fire_id:
                fire_post(post.workspace_id, post.post_id, post.fire_id)
                report.posts_fired += 1
        for target in TargetItem.by_due.query(
            key("TARGETS", str(shard)), TargetItem.due_at <= limit
        ):
            advance_target(target.workspace_id, target.post_id, target.account_id)
            report.targets_advanced += 1
    report.targets_unlinked = unlink_deleted_targets()
    logger.info("sweep finished", extra=vars(report))
    return report
