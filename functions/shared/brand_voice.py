"""The workspace's brand voice: how its posts sound, carried into every AI prompt."""

from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.ai_items import BrandVoiceItem
from functions.shared.ai_models import BrandVoice, BrandVoiceUpdate
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now


def _view(item: BrandVoiceItem | None) -> BrandVoice:
    if item is None:
        return BrandVoice()
    return BrandVoice(
        description=item.description,
        samples=list(item.samples),
        avoid=list(item.avoid),
        language=item.language,
        updated_by=item.updated_by,
        updated_at=item.updated_at.isoformat(),
    )


def brand_voice_of(workspace_id: str) -> BrandVoice:
    return _view(BrandVoiceItem.find(workspace_id))


def put_brand_voice(access: WorkspaceAccess, body: BrandVoiceUpdate) -> BrandVoice:
    keys = BrandVoiceItem.keys(access.workspace_id)
    # The stored item when there is one: its save is conditional on the version read.
    item = BrandVoiceItem.find_key(*keys) or BrandVoiceItem(*keys)
    item.description = body.description
    item.samples = list(body.samples)
    item.avoid = list(body.avoid)
    item.language = body.language
    item.updated_by = access.actor
    item.updated_at = utc_now()
    with (
        conflict_on_condition_failure("The brand voice changed meanwhile; reload and retry."),
        transaction() as write,
    ):
        write.save(item)
        write.save(
            activity_entry(access.workspace_id, actor=access.actor, action="ai.brand_voice_changed")
        )
    return _view(item)
