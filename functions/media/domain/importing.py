"""Importing a file into the library from an https URL (the fetch itself: adapters/fetcher.py).

The file is fetched into a temporary folder, at most `IMPORT_MAX_BYTES` (or what is left of the
quota, if less) and within `IMPORT_TIMEOUT_SECONDS`, so the whole import fits in one API request
(API Gateway gives up after 29 s). Bigger files are uploaded instead. What arrived is then
checked exactly like an upload: its leading bytes must name an accepted format, Pillow or
ffprobe must read it as that format, and its kind's size cap applies.
"""

from pathlib import Path
from tempfile import TemporaryDirectory

from functions.media.adapters import fetcher
from functions.media.domain import keeping, quotas
from functions.media.domain.models import Asset, ImportRequest
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
        return keeping.keep_file(
            access,
            local,
            name=_name(request.name, fetched),
            action="media.imported",
            what="The URL's content",
        )


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
