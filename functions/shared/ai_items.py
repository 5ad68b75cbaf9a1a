"""Items of the AI features: each workspace's brand voice and its monthly usage counters.

WS#<workspace>   SETTINGS#BRAND_VOICE     the brand voice every prompt carries
WS#<workspace>   AIUSAGE#<YYYY-MM>        tokens and calls of one calendar month (UTC)
"""

from typing import Self

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from functions.shared.identity_items import FindableItem
from functions.shared.tables import AppItem, key


class BrandVoiceItem(FindableItem):
    description = UnicodeAttribute(default="")
    samples: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    avoid: ListAttribute[str] = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    language = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute()

    @staticmethod
    def keys(workspace_id: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("SETTINGS", "BRAND_VOICE")

    @classmethod
    def find(cls, workspace_id: str) -> Self | None:
        return cls.find_key(*cls.keys(workspace_id))


class AiUsageItem(Model):
    """Counters bumped atomically (ADD), so unversioned: concurrent calls must all land."""

    class Meta(AppItem.Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    tokens = NumberAttribute(default=0)
    prompt_tokens = NumberAttribute(default=0)
    completion_tokens = NumberAttribute(default=0)
    calls = NumberAttribute(default=0)

    @staticmethod
    def keys(workspace_id: str, month: str) -> tuple[str, str]:
        return key("WS", workspace_id), key("AIUSAGE", month)
