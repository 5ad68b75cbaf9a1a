"""The event types an endpoint may subscribe to: the one list outbound webhooks read.

It is issue 13's event contract until the event catalogue (functions/shared/event_catalogue.py)
is merged; then this module should read the catalogue's names instead of listing them.
"""

SUBSCRIBABLE_EVENT_TYPES: tuple[str, ...] = (
    "post.scheduled",
    "post.published",
    "post.partially_failed",
    "post.failed",
    "post.approval_requested",
    "post.approved",
    "post.rejected",
    "account.connected",
    "account.needs_reconnect",
    "account.disconnected",
    "media.asset.ready",
    "media.job.succeeded",
    "media.job.failed",
    "member.joined",
    "member.removed",
    "workspace.deleted",
)
# Sent only by `POST /v1/webhooks/endpoints/{id}/test`, to that endpoint, whatever it subscribes.
TEST_EVENT_TYPE = "webhook.test"
