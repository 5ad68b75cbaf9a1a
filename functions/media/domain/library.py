"""The library: list with filters, read, rename and label, delete, download, usage."""

from datetime import UTC, datetime

from pynamodb.expressions.update import Action

from functions.media.adapters import asset_items, asset_store
from functions.media.domain import assets, quotas
from functions.media.domain.kinds import Kind
from functions.media.domain.models import Asset, AssetUpdate, Download, Usage
from functions.shared.access import WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.media_items import MediaAssetItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import FieldError, ValidationFailed
from functions.shared.tables import conflict_on_condition_failure, transaction, utc_now


def list_assets(
    access: WorkspaceAccess,
    page: PageRequest,
    *,
    kind: Kind | None = None,
    label: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> tuple[list[Asset], str | None]:
    """Newest first. A page may hold fewer than `limit` items when filters skip some; follow
    `next_cursor` until it is null."""
    created_from, created_to = _utc(created_from), _utc(created_to)
    if created_from is not None and created_to is not None and created_from > created_to:
        raise ValidationFailed(
            "created_from must not be after created_to.",
            errors=[
                FieldError(
                    pointer="/query/created_from",
                    detail="Must be at or before created_to.",
                    code="range",
                )
            ],
        )
    items, cursor = asset_items.list_assets(
        access.workspace_id,
        page,
        created_from=created_from,
        created_to=created_to,
        kind=kind,
        label=label.strip() if label is not None else None,
    )
    return [assets.asset_view(item) for item in items], cursor


def _utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is taken as UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def get_asset(access: WorkspaceAccess, asset_id: str) -> Asset:
    return assets.asset_view(assets.find_asset(access, asset_id))


def update_asset(access: WorkspaceAccess, asset_id: str, update: AssetUpdate) -> Asset:
    item = assets.find_asset(access, asset_id)
    changed = update.model_fields_set
    actions: list[Action] = [MediaAssetItem.updated_at.set(utc_now())]
    if "name" in changed and update.name is not None:
        actions.append(MediaAssetItem.name.set(update.name))
    if "labels" in changed:
        labels = set(update.labels or ())
        actions.append(
            MediaAssetItem.labels.set(labels) if labels else MediaAssetItem.labels.remove()
        )
    if "alt_text" in changed:
        actions.append(
            MediaAssetItem.alt_text.set(update.alt_text)
            if update.alt_text
            else MediaAssetItem.alt_text.remove()
        )
    with (
        conflict_on_condition_failure("The asset changed meanwhile; read it and try again."),
        transaction() as write,
    ):
        write.update(item, actions=actions, condition=MediaAssetItem.pk.exists())
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="media.updated",
                target=f"asset:{asset_id}",
                details={"fields": sorted(changed)},
            )
        )
    return get_asset(access, asset_id)


def delete_asset(access: WorkspaceAccess, asset_id: str) -> None:
    assets.remove_asset(access, assets.find_asset(access, asset_id))


def download_link(access: WorkspaceAccess, asset_id: str) -> Download:
    item = assets.find_asset(access, asset_id)
    return Download(
        url=asset_store.download_url(item.object_key, filename=item.name),
        filename=item.name,
        expires_in=asset_store.DOWNLOAD_EXPIRY_SECONDS,
    )


def usage(access: WorkspaceAccess) -> Usage:
    return quotas.usage(access.workspace_id)
