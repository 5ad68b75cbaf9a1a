"""Setting an account's queue slots from its best times (docs/analytics.md, "Best times")."""

from functions.publish.domain.post_models import BestTimesQueue, BestTimesQueueRequest, QueueSlots
from functions.publish.domain.scheduling import put_slots
from functions.shared.access import WorkspaceAccess
from functions.shared.best_times import best_times


def apply(access: WorkspaceAccess, request: BestTimesQueueRequest) -> BestTimesQueue:
    """The account's best slots (history, and the defaults where it is thin) become its queue's
    weekly slots, replacing the ones it had; the workspace's slots stay as they are."""
    found = best_times(access.workspace_id, request.account_id, request.count)
    slots = QueueSlots.model_validate(
        {"slots": [{"weekday": slot.weekday, "time": slot.time} for slot in found.best]}
    )
    stored = put_slots(access, request.account_id, slots)
    return BestTimesQueue(slots=stored.slots, best_times=found)
