"""Items of the AI features: each workspace's brand voice (usage: functions/shared/ai_usage.py).

WS#<workspace>   SETTINGS#BRAND_VOICE     the brand voice every prompt carries
"""

from typing import Self

from pynamodb.attributes import ListAttribute, UnicodeAttribute

from functions.shared.identity_items import FindableItem
from functions.shared.tables import key


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
