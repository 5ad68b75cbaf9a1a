"""Platform ids found by key (functions/shared/platform_links.py): a sandbox account's link lives
as long as the account, a published target's links (its post and each thread part) are written
with its published state and deleted with its post (in the post's transaction, or right after it
when they do not fit one, with the sweeper as the safety net), and deleting the workspace removes
every link it had, no other."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import (
    META_USER_KEY,
    ConnectedAccount,
    PublishResult,
    TokenSet,
)
from functions.publish.adapters.post_items import PostItem, TargetItem
from functions.publish.domain import connections, posts, publishing
from functions.publish.domain.sweeper import sweep
from functions.shared.inbound import InboundDelivery
from functions.shared.platform_links import (
    MAX_KEY_PART_LENGTH,
    PlatformAccountLink,
    PlatformPostLink,
    key_part,
)
from functions.shared.settings import get_settings
from functions.shared.tables import key
from functions.webhooks.adapters.inbox_items import InboxItem
from functions.webhooks.domain.inbound_processing import process
from tests.publish.posts_world import later, table_keys, tiktok_processing_target
from tests.publish.studio import Studio


def _published(studio: Studio, account_id: str, text: str, *thread: str) -> TargetItem:
    """A post published by the sandbox, with each of `thread` a further part (a reply)."""
    created = studio.create(
        text=text,
        targets=[{"account_id": account_id, "thread": [{"text": part} for part in thread]}],
    )
    studio.schedule(created["id"], later())
    report = studio.fire(created["id"])
    assert report["result"]["outcome"] == "published", report
    target = TargetItem.find(studio.workspace_id, created["id"], account_id)
    assert target is not None
    return target


def _platform_id(studio: Studio, account_id: str) -> str:
    account = SocialAccountItem.find(studio.workspace_id, account_id)
    assert account is not None
    return account.platform_account_id


def _link_keys() -> set[tuple[str, str]]:
    """Every link item of the table (a test may scan; no request path does)."""
    table = boto3.client("dynamodb", region_name=get_settings().region)
    items = table.scan(TableName=get_settings().table_name)["Items"]
    return {
        (item["PK"]["S"], item["SK"]["S"])
        for item in items
        if item["PK"]["S"].startswith(("PLATFORM#", "PLATFORMPOST#"))
    }


def test_a_sandbox_account_is_linked_while_it_is_connected(studio: Studio) -> None:
    account_id = studio.sandbox()
    platform_id = _platform_id(studio, account_id)

    [link] = PlatformAccountLink.linked("sandbox", platform_id)
    assert (link.workspace_id, link.account_id) == (studio.workspace_id, account_id)

    response = studio.client.delete(f"/v1/accounts/{account_id}", headers=studio.headers)
    assert response.status_code == 204, response.text
    assert PlatformAccountLink.linked("sandbox", platform_id) == []


def test_a_published_target_is_found_by_each_of_its_platform_post_ids(studio: Studio) -> None:
    account_id = studio.sandbox()
    target = _published(studio, account_id, "First part", "Second part")

    assert target.parts is not None
    assert len(target.parts) == 2
    for platform_post_id in target.parts:
        link = PlatformPostLink.find("sandbox", platform_post_id, studio.workspace_id)
        assert link is not None
        assert (link.post_id, link.target_id) == (target.post_id, account_id)
        assert link.expires_at is None
    # Another workspace's lookup of the same platform post finds nothing of this one.
    assert PlatformPostLink.find("sandbox", target.parts[0], "01JQ7ZZZZZZZZZZZZZZZZZZZZZ") is None


def test_deleting_the_workspace_removes_its_links_and_no_others(studio: Studio) -> None:
    neighbour_owner = studio.herald.sign_up("neighbour")
    neighbour = studio.herald.create_workspace(neighbour_owner, "Neighbour")["id"]
    theirs = studio.client.post(
        "/v1/accounts",
        json={"platform": "sandbox", "name": "Theirs"},
        headers=neighbour_owner.headers | {"X-Workspace-Id": neighbour},
    )
    assert theirs.status_code == 201, theirs.text
    kept = _link_keys()
    account_id = studio.sandbox()
    _published(studio, account_id, "Hello", "Again")
    identity = ConnectedAccount("1001", "Page", kind="page", extra={META_USER_KEY: "218471"})
    connections._save_account(
        studio.workspace_id, studio.owner.user_id, "facebook", identity, TokenSet("token")
    )
    # the sandbox account, two thread parts, the Page by its id and by its Meta user
    assert len(_link_keys() - kept) == 5

    response = studio.herald.client.delete(
        f"/v1/workspaces/{studio.workspace_id}", headers=studio.owner.headers
    )

    assert response.status_code == 204, response.text
    assert _link_keys() == kept


def test_a_platform_id_with_the_key_separator_or_too_long_becomes_a_digest() -> None:
    assert key_part("17841400008460056") == "17841400008460056"
    assert key_part("urn:li:organization:2414183") == "urn:li:organization:2414183"
    for awkward in ("a#b", "x" * (MAX_KEY_PART_LENGTH + 1)):
        digested = key_part(awkward)
        assert digested.startswith("sha256:")
        assert "#" not in digested
        assert len(digested) == len("sha256:") + 64
    assert key_part("a#b") != key_part("a#c")
    link = PlatformAccountLink.of(
        "x", "a#b", "01JQ7ZZZZZZZZZZZZZZZZZZZZZ", "01JQ7ZM2D4F6H8K0N3P5R7T9V1"
    )
    assert link.pk == f"PLATFORM#x#{key_part('a#b')}"


def _post_links_of(post_id: str) -> set[tuple[str, str]]:
    return {(pk, sk) for pk, sk in _link_keys() if pk.startswith("PLATFORMPOST#") and post_id in sk}


def _comment_on(studio: Studio, account_id: str, platform_post_id: str) -> InboxItem:
    """A sandbox comment on `platform_post_id`, as the inbound processor records it."""
    body = {
        "event_id": "evt-after-delete",
        "account_id": _platform_id(studio, account_id),
        "item": {
            "id": "c-after-delete",
            "kind": "comment",
            "text": "Where did the post go?",
            "author": {"id": "u-42", "name": "Ada Baker"},
            "created_at": "2026-12-05T07:00:00Z",
            "post_id": platform_post_id,
        },
    }
    assert process(InboundDelivery("sandbox", "evt-after-delete", body)).recorded == 1
    [item] = InboxItem.query(
        key("WS", studio.workspace_id), InboxItem.sk.startswith("INBOX#"), consistent_read=True
    )
    return item


def test_deleting_a_published_post_removes_its_links(studio: Studio) -> None:
    account_id = studio.sandbox()
    target = _published(studio, account_id, "First part", "Second part")
    assert target.parts is not None
    assert len(_post_links_of(target.post_id)) == 2

    response = studio.client.delete(f"/v1/posts/{target.post_id}", headers=studio.headers)

    assert response.status_code == 204, response.text
    assert _post_links_of(target.post_id) == set()
    assert TargetItem.find(studio.workspace_id, target.post_id, account_id) is None
    # A later comment on the platform post still reaches the inbox, naming no Herald post.
    item = _comment_on(studio, account_id, target.parts[1])
    assert (item.account_id, item.platform_post_id) == (account_id, target.parts[1])
    assert item.post_id is None
    assert item.target_id is None


def test_a_processing_targets_publish_id_link_goes_with_its_post(studio: Studio) -> None:
    """TikTok's publish webhooks name the `publish_id`: its link is kept on the target's
    `processing_id` so that deleting the post finds it."""
    target = tiktok_processing_target(studio, studio.sandbox())
    publishing._wait_for_processing(
        target, PublishResult(state="processing", progress={"publish_id": "v_pub_1"})
    )
    stored = TargetItem.find(studio.workspace_id, target.post_id, target.account_id)
    assert stored is not None
    assert stored.processing_id == "v_pub_1"
    assert PlatformPostLink.find("tiktok", "v_pub_1", studio.workspace_id) is not None

    response = studio.client.delete(f"/v1/posts/{target.post_id}", headers=studio.headers)

    assert response.status_code == 204, response.text
    assert PlatformPostLink.find("tiktok", "v_pub_1", studio.workspace_id) is None


def _thread_post(studio: Studio, accounts: list[str]) -> str:
    """One post on every account, each a thread of the longest length the API takes."""
    created = studio.create(
        text="Part 1",
        targets=[
            {"account_id": account, "thread": [{"text": f"Part {n}"} for n in range(2, 26)]}
            for account in accounts
        ],
    )
    studio.schedule(created["id"], later())
    report = studio.fire(created["id"])
    assert report["result"]["outcome"] == "published", report
    return str(created["id"])


def test_links_past_one_transaction_are_deleted_right_after_it(studio: Studio) -> None:
    accounts = [studio.sandbox(f"Sandbox {n}") for n in range(4)]
    post_id = _thread_post(studio, accounts)
    # 4 targets and 100 links, with the post and its activity entry: past DynamoDB's 100.
    assert len(_post_links_of(post_id)) == 100

    response = studio.client.delete(f"/v1/posts/{post_id}", headers=studio.headers)

    assert response.status_code == 204, response.text
    assert _post_links_of(post_id) == set()
    assert table_keys(studio.workspace_id, f"TARGET#{post_id}") == []


def test_links_left_by_a_deletion_cut_off_are_deleted_by_the_sweeper(
    studio: Studio, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = [studio.sandbox(f"Sandbox {n}") for n in range(4)]
    post_id = _thread_post(studio, accounts)
    deleted_at = datetime.now(UTC)

    def cut_off(target: TargetItem, links: object) -> None:
        raise ConnectionError("the function stopped here")

    with monkeypatch.context() as patched:
        patched.setattr(posts, "_unlink", cut_off)
        response = studio.client.delete(f"/v1/posts/{post_id}", headers=studio.headers)
    assert response.status_code == 500  # the function died after the post's transaction
    assert PostItem.find(studio.workspace_id, post_id) is None
    assert len(_post_links_of(post_id)) == 100
    assert sweep().targets_unlinked == 0  # the deletion's own grace first

    with time_machine.travel(deleted_at + posts.UNLINK_GRACE + timedelta(seconds=1)):
        report = sweep()

    assert report.targets_unlinked == 4
    assert _post_links_of(post_id) == set()
    assert table_keys(studio.workspace_id, f"TARGET#{post_id}") == []
