"""Replying, hiding, unhiding and deleting through the publish group's engagement function (the
sandbox platform), exactly once under retries, and what each platform failure answers."""

import threading
from typing import Any

import pytest

from functions.publish.adapters.platforms import sandbox
from functions.webhooks.adapters import engagement_function
from tests.support.snapshots import workspace_items
from tests.webhooks.inbox_world import Inbox, inbox

__all__ = ["inbox"]


def reply(world: Inbox, item_id: str, text: str = "Thanks Maria!", key: str | None = None) -> Any:
    headers = world.headers | ({"Idempotency-Key": key} if key else {})
    return world.client.post(f"/v1/inbox/{item_id}/reply", json={"text": text}, headers=headers)


def test_a_reply_goes_out_through_the_account_and_joins_the_thread(inbox: Inbox) -> None:
    item_id = inbox.arrive()

    response = reply(inbox, item_id)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["item"]["status"] == "replied"
    posted = answer["reply"]
    assert posted["kind"] == "reply"
    assert posted["text"] == "Thanks Maria!"
    assert posted["author"]["name"] == "Acme Coffee"  # the account, as the sandbox has it
    assert posted["parent_id"] == answer["item"]["platform_item_id"]
    assert [entry["id"] for entry in inbox.item(item_id)["thread"]] == [item_id, posted["id"]]
    (call,) = inbox.calls
    assert call["action"] == "reply"
    assert call["account_id"] == inbox.account_id
    assert call["engagement"]["platform_item_id"] == answer["item"]["platform_item_id"]
    # The sandbox holds the reply under the account, as a platform would.
    held = [
        r.engagement.platform_item_id for r in sandbox._engagements.of(inbox.platform_account())
    ]
    assert posted["platform_item_id"] in held


def test_a_retried_reply_answers_the_kept_result_without_a_second_call(inbox: Inbox) -> None:
    item_id = inbox.arrive()

    first = reply(inbox, item_id, key="reply-1")
    again = reply(inbox, item_id, key="reply-1")
    same_text = reply(inbox, item_id)  # no key: the same reply to the same item is the same
    same_text_again = reply(inbox, item_id)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert same_text_again.json() == same_text.json()
    assert len(inbox.calls) == 2
    thread = inbox.item(item_id)["thread"]
    assert len(thread) == 3  # the item and two replies, not four


def test_a_reused_idempotency_key_with_another_text_is_refused(inbox: Inbox) -> None:
    item_id = inbox.arrive()
    assert reply(inbox, item_id, "One", key="k").status_code == 200

    response = reply(inbox, item_id, "Two", key="k")

    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert len(inbox.calls) == 1


def test_concurrent_identical_replies_call_the_platform_once(inbox: Inbox) -> None:
    item_id = inbox.arrive()
    statuses: list[int] = []

    def send() -> None:
        statuses.append(reply(inbox, item_id, key="same").status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(inbox.calls) == 1
    assert 200 in statuses
    assert set(statuses) <= {200, 409}
    assert len(inbox.item(item_id)["thread"]) == 2


def test_hide_unhide_and_delete(inbox: Inbox) -> None:
    item_id = inbox.arrive()
    inbox.client.post(f"/v1/inbox/{item_id}/read", headers=inbox.headers)
    platform_id = inbox.on_the_sandbox(item_id)

    hidden = inbox.client.post(f"/v1/inbox/{item_id}/hide", headers=inbox.headers)
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["item"]["status"] == "hidden"
    assert platform_id in sandbox.hidden_engagements(inbox.platform_account())
    hidden_again = inbox.client.post(f"/v1/inbox/{item_id}/hide", headers=inbox.headers)
    assert hidden_again.json()["item"]["status"] == "hidden"
    assert len(inbox.calls) == 1  # already hidden: no second call

    shown = inbox.client.post(f"/v1/inbox/{item_id}/unhide", headers=inbox.headers)
    assert shown.json()["item"]["status"] == "read"  # what it was before hiding
    assert platform_id not in sandbox.hidden_engagements(inbox.platform_account())

    deleted = inbox.client.delete(f"/v1/inbox/{item_id}", headers=inbox.headers)
    assert deleted.status_code == 200
    assert deleted.json()["item"]["status"] == "deleted"
    assert len(inbox.calls) == 3
    after = reply(inbox, item_id)
    assert after.status_code == 409
    assert len(inbox.calls) == 3


def test_what_the_platform_cannot_do_is_a_422_naming_it(inbox: Inbox) -> None:
    mention = inbox.arrive(kind="mention", text="@acmecoffee best beans in town")
    before = workspace_items(inbox.hooks.workspace_id)

    response = inbox.client.post(f"/v1/inbox/{mention}/hide", headers=inbox.headers)

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:herald:problem:not-supported"
    assert problem["detail"].startswith("sandbox does not allow this: The sandbox cannot hide")
    assert inbox.item(mention)["status"] == "new"
    # The claim was released: nothing of the attempt stays but the rate-limit counters.
    assert workspace_items(inbox.hooks.workspace_id) == before


@pytest.mark.parametrize(
    ("fail_with", "status"), [("permanent", 422), ("reauth", 409), ("retryable", 503)]
)
def test_platform_failures_release_the_claim(inbox: Inbox, fail_with: str, status: int) -> None:
    account = inbox.add_account(inbox.headers, fail_with=fail_with)
    item_id = inbox.arrive(account_id=account)

    first = reply(inbox, item_id)
    second = reply(inbox, item_id)

    assert first.status_code == status, first.text
    assert first.headers["content-type"] == "application/problem+json"
    assert second.status_code == status
    assert len(inbox.calls) == 2  # nothing was sent, so trying again is allowed
    assert inbox.item(item_id)["status"] == "new"


def test_an_unanswered_call_is_never_repeated(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = inbox.arrive()

    def lost(call: Any) -> Any:
        inbox.calls.append(call.to_event())
        raise engagement_function.EngagementUnanswered

    monkeypatch.setattr(engagement_function, "invoke", lost)
    first = reply(inbox, item_id)
    second = reply(inbox, item_id)

    assert first.status_code == 502
    assert first.json()["type"] == "urn:herald:problem:outcome-unknown"
    assert second.status_code == 409
    assert len(inbox.calls) == 1


def test_bulk_hide_reports_each_item(inbox: Inbox) -> None:
    comment = inbox.arrive()
    mention = inbox.arrive(kind="mention")

    response = inbox.client.post(
        "/v1/inbox/bulk",
        json={"action": "hide", "item_ids": [comment, mention]},
        headers=inbox.headers,
    )

    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [(comment, 200), (mention, 422)]
    assert results[0]["item"]["status"] == "hidden"
