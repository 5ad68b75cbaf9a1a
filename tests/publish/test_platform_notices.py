"""Platform notices (functions/publish/domain/platform_notices.py), as the publish events
function receives them from the inbound processor: an internal `platform.notice` event on the
bus (source `herald-internal.webhooks`).

TikTok's webhooks (https://developers.tiktok.com/doc/webhooks-events): `authorization.removed`
when the user removes the app's access; `post.publish.complete` / `post.publish.failed` for a
Content Posting API upload, naming its `publish_id`."""

from typing import Any

import pytest
from ulid import ULID

from functions.publish.adapters import worker_calls
from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.post_items import TargetItem
from functions.publish.domain.publishing import advance_target
from functions.publish.workers import events as publish_events
from functions.shared.engagement import PLATFORM_NOTICE_EVENT, PlatformNotice, notice_data
from functions.shared.events import DomainEvent
from tests.publish.posts_world import tiktok_processing_target
from tests.publish.studio import Studio
from tests.support.event_bus import bus_listener, received


def notice_event(
    studio: Studio,
    account_id: str,
    kind: str,
    *,
    post_id: str | None = None,
    target_id: str | None = None,
) -> dict[str, Any]:
    """What the rule hands the function: the processor's event as the bus carries it."""
    notice = PlatformNotice("tiktok", "tiktok-open-id", kind, platform_post_id="v_pub_1")  # type: ignore[arg-type]
    event = DomainEvent(
        "webhooks",
        PLATFORM_NOTICE_EVENT,
        studio.workspace_id,
        notice_data(notice, account_id, post_id, target_id),
        internal=True,
    )
    return {"source": event.source, "detail-type": event.type, "detail": event.envelope()}


def test_a_removed_authorization_marks_the_account_once(studio: Studio) -> None:
    account_id = studio.connect("tiktok", "tiktok-open-id")
    listener = bus_listener("account.needs_reconnect")
    event = notice_event(studio, account_id, "authorization_removed")
    assert event["source"] == "herald-internal.webhooks"

    assert publish_events.handler(event, None) == {"outcome": "needs_reconnect"}
    assert publish_events.handler(event, None) == {"outcome": "duplicate"}

    account = SocialAccountItem.find(studio.workspace_id, account_id)
    assert account is not None
    assert account.status == "needs_reconnect"
    [announced] = received(listener)
    assert announced["detail"]["data"]["account_id"] == account_id


def test_a_publish_notice_starts_the_targets_check_at_once(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    account_id = studio.connect("tiktok", "tiktok-open-id")
    target = tiktok_processing_target(studio, account_id)
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(worker_calls, "start", started.append)
    event = notice_event(
        studio, account_id, "publish_complete", post_id=target.post_id, target_id=account_id
    )

    assert publish_events.handler(event, None) == {"outcome": "check_started"}

    assert started == [
        {
            "herald": "advance-target",
            "workspace_id": studio.workspace_id,
            "post_id": target.post_id,
            "account_id": account_id,
            "step": f"notice:{event['detail']['id']}",
            "notified": True,
        }
    ]


def test_a_publish_notice_for_no_target_of_ours_does_nothing(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    account_id = studio.connect("tiktok", "tiktok-open-id")
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(worker_calls, "start", started.append)

    unlinked = notice_event(studio, account_id, "publish_failed")
    gone = notice_event(
        studio, account_id, "publish_failed", post_id=str(ULID()), target_id=account_id
    )

    assert publish_events.handler(unlinked, None) == {"outcome": "gone"}
    assert publish_events.handler(gone, None) == {"outcome": "gone"}
    assert started == []


def test_a_notified_advance_brings_forward_only_a_status_check(studio: Studio) -> None:
    """A target waiting for a retry is not published early because a webhook came."""
    account_id = studio.sandbox()
    target = tiktok_processing_target(studio, account_id)
    target.update(actions=[TargetItem.state.set("retry_wait")])

    outcome = advance_target(studio.workspace_id, target.post_id, account_id, notified=True)

    assert outcome == "retry_wait"
