"""Importing a file into the library from an https URL (the fetch itself: adapters/fetcher.py).

The file is fetched into a temporary folder, at most `IMPORT_MAX_BYTES` (or what is left of the
quota, if less) and within `IMPORT_TIMEOUT_SECONDS`, so the whole import fits in one API request
(API Gateway gives up after 29 s). Bigger files are uploaded instead. What arrived is then
checked exactly like an upload: its leading bytes must name an accepted format, Pillow or
ffprobe must read it as that format, and its kind's size cap applies.
"""

from pathlib import Path
from tempfile import TemporaryDirectory

from functions.media.adapters import asset_store, fetcher
from functions.media.domain import assets, kinds, probing, quotas
from functions.media.domain.models import Asset, ImportRequest
from functions.media.domain.sniffing import HEAD_BYTES, describe_unknown, sniff
from functions.shared.access import WorkspaceAccess
from functions.shared.problems import FieldError, ValidationFailed

IMPORT_MAX_BYTES = 256 * 1024 * 1024
IMPORT_TIMEOUT_SECONDS = 20.0
_NAME_LIMIT = 255


def import_from_url(access: WorkspaceAccess, request: ImportRequest) -> Asset:
    room = quotas.room_left(access.workspace_id)
    if room <= 0:
        raise quotas.exceeded(access.workspace_id)
    with TemporaryDirectory() as workdir:
        local = Path(workdir) / "download"
        try:
            fetched = fetcher.fetch_to_file(
                request.url,
                local,
                max_bytes=min(IMPORT_MAX_BYTES, room),
                timeout_seconds=IMPORT_TIMEOUT_SECONDS,
            )
        except fetcher.TooLarge:
            if room < IMPORT_MAX_BYTES:
                raise quotas.exceeded(access.workspace_id) from None
            raise _refused(
                f"the file is larger than the {IMPORT_MAX_BYTES} bytes an import may fetch; "
                "upload it instead"
            ) from None
        except fetcher.FetchRefused as refusal:
            raise _refused(str(refusal)) from None
        with local.open("rb") as file:
            head = file.read(HEAD_BYTES)
        sniffed = sniff(head)
        if sniffed is None:
            raise assets.FileRefused(
                f"The URL's content is {describe_unknown(head)} (judged by its bytes, not by "
                "its name or the type the server gave)."
            )
        too_big = kinds.size_limit_message(sniffed.kind, fetched.size)
        if too_big is not None:
            raise assets.FileRefused(too_big)
        try:
            inspection = probing.inspect(local, sniffed)
        except probing.MediaRefused as refusal:
            raise assets.FileRefused(str(refusal)) from None
        asset_id, created_at = assets.new_asset_id()
        object_key = asset_store.original_key(access.workspace_id, asset_id)
        asset_store.put_file(object_key, local, content_type=inspection.content_type)
    thumbnail_key = None
    try:
        if inspection.thumbnail is not None:
            thumbnail_key = asset_store.thumbnail_key(access.workspace_id, asset_id)
            asset_store.put_bytes(
                thumbnail_key,
                inspection.thumbnail,
                content_type=asset_store.THUMBNAIL_CONTENT_TYPE,
            )
        item = assets.new_asset_item(
            access.workspace_id,
            asset_id=asset_id,
            created_at=created_at,
            kind=inspection.kind,
            name=_name(request.name, fetched),
            content_type=inspection.content_type,
            size_bytes=fetched.size,
            object_key=object_key,
            thumbnail_key=thumbnail_key,
            created_by=access.actor,
            probed=inspection.probed,
        )
        assets.store_new_asset(item, actor=access.actor, action="media.imported")
    except BaseException:
        asset_store.delete(object_key, thumbnail_key)
        raise
    return assets.asset_view(item)


def _refused(reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"The URL cannot be imported: {reason}.",
        errors=[FieldError(pointer="/body/url", detail=reason, code="refused")],
    )


def _name(requested: str | None, fetched: fetcher.Fetched) -> str:
    if requested:
        return requested
    name = (fetched.filename or "").strip()
    return name[:_NAME_LIMIT] if name else "imported file"
