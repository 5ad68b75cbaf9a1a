"""A member's channels per event type: their own choices over the defaults of their role."""

from functions.shared.access import Role
from functions.shared.problems import ValidationFailed
from functions.shared.tables import conflict_on_condition_failure
from functions.webhooks.adapters.notification_items import PreferencesItem
from functions.webhooks.domain.notifications_models import ChannelChoice, Preferences
from functions.webhooks.domain.notifications_rules import RULES, Channel

Choices = dict[str, dict[str, bool]]


def stored_choices(workspace_id: str, user_id: str) -> Choices:
    item = PreferencesItem.find(workspace_id, user_id)
    return dict(item.choices) if item is not None else {}


def channels_for(role: Role, event_type: str, choices: Choices) -> frozenset[Channel]:
    """The channels that deliver `event_type` to a member with `role` and these choices."""
    defaults = RULES[event_type].defaults(role)
    chosen = choices.get(event_type, {})
    return frozenset(
        channel for channel in Channel if chosen.get(str(channel), channel in defaults)
    )


def preferences_view(role: Role, choices: Choices) -> Preferences:
    entries = []
    for event_type in RULES:
        channels = channels_for(role, event_type, choices)
        entries.append(
            ChannelChoice.model_validate(
                {"event_type": event_type, **{str(c): c in channels for c in Channel}}
            )
        )
    return Preferences(event_types=entries)


def get_preferences(workspace_id: str, user_id: str, role: Role) -> Preferences:
    return preferences_view(role, stored_choices(workspace_id, user_id))


def set_preferences(
    workspace_id: str, user_id: str, role: Role, update: Preferences
) -> Preferences:
    types = [entry.event_type for entry in update.event_types]
    if len(set(types)) != len(types):
        raise ValidationFailed("Each event type may be listed once.")
    changes: Choices = {
        entry.event_type: {str(channel): bool(getattr(entry, channel)) for channel in Channel}
        for entry in update.event_types
    }
    return preferences_view(role, _save(workspace_id, user_id, changes))


def turn_off(workspace_id: str, user_id: str, event_types: list[str], channel: Channel) -> None:
    """What an unsubscribe link does: `channel` off for `event_types`, other choices kept."""
    current = stored_choices(workspace_id, user_id)
    _save(
        workspace_id,
        user_id,
        {
            event_type: {**current.get(event_type, {}), str(channel): False}
            for event_type in event_types
        },
    )


def _save(workspace_id: str, user_id: str, changes: Choices) -> Choices:
    item = PreferencesItem.find(workspace_id, user_id) or PreferencesItem(
        *PreferencesItem.keys(workspace_id, user_id),
        workspace_id=workspace_id,
        user_id=user_id,
        choices={},
    )
    item.choices = {**(item.choices or {}), **changes}
    with conflict_on_condition_failure("The preferences changed meanwhile; reload and retry."):
        item.save()
    return dict(item.choices)
