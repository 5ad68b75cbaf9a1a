"""Platform ids mapped to Herald's accounts and targets by key, for platform webhooks.

A platform's webhook names its own ids: the page, user or channel an event is for, and the post
a comment is on. The webhooks group's processor finds what they are in Herald with one query of
a key made from those ids, never a scan (docs/access-patterns.md#platform-links):

    PLATFORM#<platform>#<platform account id>   ACCOUNT#<ws>#<account>         connected account
    PLATFORM#meta_user#<app-scoped user id>     ACCOUNT#<ws>#<account>         a Page or Instagram
                                                                               account, by the
                                                                               Meta user who
                                                                               connected it
    PLATFORMPOST#<platform>#<platform post id>  TARGET#<ws>#<post>#<target>    published target

The same platform account may be connected in several workspaces: each has its link in the
platform account's partition. The publish group writes an account's link in the transaction that
connects it and deletes it in the one that disconnects it; a target's link is written with its
published state and deleted with its post (functions/publish/domain/posts.py). Deleting a
workspace removes its links with its partition (the auth group's purge derives each link's key
from the account and target items it deletes).

Links are plain items (no version): writing one again is harmless, and they change only by
being written or deleted.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Self

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from functions.shared.tables import KEY_SEPARATOR, AppItem, key

# The "platform" of the links by which Meta's app callbacks (deauthorize, data deletion), which
# name the person and not their Pages, find the Facebook Pages and Instagram accounts that person
# connected through Herald's Facebook Login app (the account's `platform_user_id`).
META_USER = "meta_user"

# Platform ids are short (numbers, `urn:li:...`, base64-like strings); a longer one, or one
# containing the key separator, is digested so a key stays bounded and unambiguous.
MAX_KEY_PART_LENGTH = 200


def key_part(platform_id: str) -> str:
    """A platform's id as a key part: itself when short and free of `#`, else its digest."""
    if platform_id and len(platform_id) <= MAX_KEY_PART_LENGTH and KEY_SEPARATOR not in platform_id:
        return platform_id
    return "sha256:" + hashlib.sha256(platform_id.encode()).hexdigest()


class PlatformAccountLink(Model):
    """A connected account, found by its platform's id for it."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    workspace_id = UnicodeAttribute()
    account_id = UnicodeAttribute()

    @staticmethod
    def partition(platform: str, platform_account_id: str) -> str:
        return key("PLATFORM", platform, key_part(platform_account_id))

    @classmethod
    def of(
        cls, platform: str, platform_account_id: str, workspace_id: str, account_id: str
    ) -> Self:
        return cls(
            cls.partition(platform, platform_account_id),
            key("ACCOUNT", workspace_id, account_id),
            workspace_id=workspace_id,
            account_id=account_id,
        )

    @classmethod
    def linked(cls, platform: str, platform_account_id: str) -> list[Self]:
        """Every workspace's account for this platform account (one query of its partition)."""
        return list(
            cls.query(
                cls.partition(platform, platform_account_id),
                cls.sk.startswith("ACCOUNT#"),
                consistent_read=True,
            )
        )


class PlatformPostLink(Model):
    """A target Herald published, found by its platform's id for the post."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    workspace_id = UnicodeAttribute()
    post_id = UnicodeAttribute()
    target_id = UnicodeAttribute()  # the target's account id, as the posts API names targets
    # Set on the link of a publishing in progress (TikTok's `publish_id`, which its webhooks
    # name): no item keeps that id once the target is published, so a purge could not find it.
    expires_at = TTLAttribute(null=True)

    @staticmethod
    def partition(platform: str, platform_post_id: str) -> str:
        return key("PLATFORMPOST", platform, key_part(platform_post_id))

    @classmethod
    def of(
        cls, platform: str, platform_post_id: str, workspace_id: str, post_id: str, target_id: str
    ) -> Self:
        return cls(
            cls.partition(platform, platform_post_id),
            key("TARGET", workspace_id, post_id, target_id),
            workspace_id=workspace_id,
            post_id=post_id,
            target_id=target_id,
        )

    @classmethod
    def find(cls, platform: str, platform_post_id: str, workspace_id: str) -> Self | None:
        """The workspace's target published as this platform post, if any."""
        return next(
            iter(
                cls.query(
                    cls.partition(platform, platform_post_id),
                    cls.sk.startswith(key("TARGET", workspace_id) + KEY_SEPARATOR),
                    consistent_read=True,
                    limit=1,
                )
            ),
            None,
        )


def target_post_ids(platform_post_id: str | None, parts: Iterable[str] | None) -> list[str]:
    """The platform ids a published target is known by: its post, and each part of a thread."""
    return list(dict.fromkeys([*([platform_post_id] if platform_post_id else []), *(parts or [])]))


def target_links(
    platform: str,
    workspace_id: str,
    post_id: str,
    target_id: str,
    platform_ids: Iterable[str],
) -> list[PlatformPostLink]:
    """The links of one target, one per platform id it is known by: what deleting the target
    deletes with it (each key derived from the ids, no query)."""
    return [
        PlatformPostLink.of(platform, platform_id, workspace_id, post_id, target_id)
        for platform_id in dict.fromkeys(platform_ids)
    ]


def links_of_partition_item(
    workspace_id: str, sort_key: str, attributes: Mapping[str, Any]
) -> list[Model]:
    """The links pointing at one item of a workspace's partition, from the item's raw DynamoDB
    attributes (`platform`, `platform_account_id`, `platform_post_id`, `parts`): what a purge
    deletes with it."""

    def text(name: str) -> str | None:
        value = attributes.get(name, {}).get("S")
        return str(value) if value else None

    platform = text("platform")
    if platform is None:
        return []
    parts = sort_key.split(KEY_SEPARATOR)
    if parts[0] == "ACCOUNT" and len(parts) == 2 and (account := text("platform_account_id")):
        links: list[Model] = [PlatformAccountLink.of(platform, account, workspace_id, parts[1])]
        if person := text("platform_user_id"):
            links.append(PlatformAccountLink.of(META_USER, person, workspace_id, parts[1]))
        return links
    if parts[0] == "TARGET" and len(parts) == 3:
        thread = json.loads(text("parts") or "null")
        return list(
            target_links(
                platform,
                workspace_id,
                parts[1],
                parts[2],
                target_post_ids(text("platform_post_id"), thread),
            )
        )
    return []
