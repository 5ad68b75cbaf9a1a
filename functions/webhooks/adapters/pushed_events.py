"""Which events the real-time pusher has already pushed: the contract's event ids are stable, so
a relayed duplicate is recognised by a conditional put of its id."""

from datetime import timedelta

from pynamodb.exceptions import PutError

from functions.shared.tables import key, utc_now
from functions.webhooks.adapters.connections import ExpiringItem

# Longer than EventBridge keeps retrying a delivery (24 hours at most).
REMEMBERED_FOR = timedelta(days=1)


class PushedEventItem(ExpiringItem):
    pass


def claim(workspace_id: str, event_id: str) -> bool:
    """True the first time an event id is claimed in the workspace, False for a duplicate."""
    marker = PushedEventItem(
        key("WS", workspace_id), key("RTPUSH", event_id), expires_at=utc_now() + REMEMBERED_FOR
    )
    try:
        marker.save(condition=PushedEventItem.pk.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
