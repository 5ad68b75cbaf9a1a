"""Platform ids found by key (functions/shared/platform_links.py): a sandbox account's link lives
as long as the account, a published target's links (its post and each thread part) are written
with its published state, and deleting the workspace removes every link it had, no other."""

import boto3

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.platforms.base import META_USER_KEY, ConnectedAccount, TokenSet
from functions.publish.adapters.post_items import TargetItem
from functions.publish.domain import connections
from functions.shared.platform_links import (
    MAX_KEY_PART_LENGTH,
    PlatformAccountLink,
    PlatformPostLink,
    key_part,
)
from functions.shared.settings import get_settings
from tests.publish.posts_world import later
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
