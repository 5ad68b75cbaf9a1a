"""The workspace's inbox assistant settings: what it does by itself when an item arrives
(inbox_assistant.on_arrival). All off until an admin turns them on; every change is logged."""

from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now
from functions.webhooks.adapters.inbox_items import InboxAiSettingsItem
from functions.webhooks.domain.inbox_ai_models import InboxAiSettings, InboxAiSettingsUpdate


def _settings_view(item: InboxAiSettingsItem | None) -> InboxAiSettings:
    if item is None:
        return InboxAiSettings()
    return InboxAiSettings(
        classify_on_arrival=item.classify_on_arrival,
        hide_spam=item.hide_spam,
        hide_abusive=item.hide_abusive,
        min_confidence=item.min_confidence,
        draft_replies=item.draft_replies,
        send_drafts_unreviewed=item.send_drafts_unreviewed,
        updated_by=item.updated_by,
        updated_at=item.updated_at.isoformat(),
    )


def settings_of(workspace_id: str) -> InboxAiSettings:
    return _settings_view(InboxAiSettingsItem.find(workspace_id))


def put_settings(access: WorkspaceAccess, body: InboxAiSettingsUpdate) -> InboxAiSettings:
    keys = InboxAiSettingsItem.keys(access.workspace_id)
    item = InboxAiSettingsItem.find_key(*keys) or InboxAiSettingsItem(*keys)
    for name, value in body.model_dump().items():
        setattr(item, name, value)
    item.updated_by = access.actor
    item.updated_at = utc_now()
    with (
        conflict_on_condition_failure("The inbox AI settings changed meanwhile; reload, retry."),
        transaction() as write,
    ):
        write.save(item)
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="inbox.ai_settings_changed",
                details=body.model_dump(),
            )
        )
    return _settings_view(item)
