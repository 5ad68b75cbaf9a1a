"""Bulk scheduling from a CSV file: one post per row, created and scheduled whole or not at all.

Columns (header row required, any order): `text`, `accounts` (account ids separated by spaces),
`at` (RFC 3339; without an offset, the workspace's timezone), and optionally `media` (asset ids
separated by spaces), `labels` (separated by `;`) and `first_comment`. Every row is reported: a
valid row becomes a scheduled post (or one waiting for approval); an invalid row says exactly
why and leaves nothing behind, even when it fails at the last step.
"""

import csv
import io

from pydantic import ValidationError

from functions.publish.adapters.post_items import PostItem, PostVersionItem
from functions.publish.domain import post_store, scheduling
from functions.publish.domain.post_models import (
    BulkReport,
    BulkRow,
    PostContent,
    PostCreate,
    Preflight,
    Problem,
    TargetSpec,
)
from functions.publish.domain.wall_time import resolve_time
from functions.shared.access import WorkspaceAccess
from functions.shared.inputs import parse_date_time
from functions.shared.problems import FieldError, ValidationFailed
from functions.shared.problems import Problem as ProblemError
from functions.shared.tables import utc_now

REQUIRED_COLUMNS = ("text", "accounts", "at")
OPTIONAL_COLUMNS = ("media", "labels", "first_comment")
# The column a field of the parsed row comes from, where their names differ.
_COLUMN_OF = {"account_id": "accounts", "targets": "accounts"}
MAX_ROWS = 500
MAX_BYTES = 1024 * 1024


def _file_problem(detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[FieldError(pointer="/body", detail=detail, code=code)])


def read_rows(data: bytes) -> list[dict[str, str]]:
    if len(data) > MAX_BYTES:
        raise _file_problem(f"The file is larger than {MAX_BYTES // 1024} KB.", "too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_problem("The file is not UTF-8 text.", "encoding") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise _file_problem(f"The header row lacks {', '.join(missing)}.", "columns")
    unknown = [name for name in header if name not in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)]
    if unknown:
        raise _file_problem(f"Unknown columns: {', '.join(unknown)}.", "columns")
    try:
        rows = [
            {(key or "").strip(): (value or "") for key, value in row.items()} for row in reader
        ]
    except csv.Error as error:
        raise _file_problem(f"The CSV cannot be read: {error}.", "syntax") from None
    if not rows:
        raise _file_problem("The file has no rows.", "empty")
    if len(rows) > MAX_ROWS:
        raise _file_problem(f"At most {MAX_ROWS} rows per file.", "too_many_rows")
    return rows


def import_csv(access: WorkspaceAccess, data: bytes) -> BulkReport:
    timezone = scheduling.workspace_timezone(access.workspace_id)
    report = [
        _import_row(access, line, row, timezone)
        for line, row in enumerate(read_rows(data), start=2)
    ]
    created = sum(1 for row in report if row.status == "created")
    return BulkReport(created=created, invalid=len(report) - created, rows=report)


def _parse(row: dict[str, str]) -> PostCreate:
    first_comment = row.get("first_comment", "").strip() or None
    return PostCreate(
        text=row["text"],
        media=row.get("media", "").split(),
        targets=[
            TargetSpec(account_id=account_id, first_comment=first_comment)
            for account_id in row["accounts"].split()
        ],
        labels=[label for label in row.get("labels", "").split(";") if label.strip()],
    )


def _import_row(access: WorkspaceAccess, line: int, row: dict[str, str], timezone: str) -> BulkRow:
    try:
        body = _parse(row)
    except ValidationError as invalid:
        return BulkRow(
            row=line,
            status="invalid",
            problems=[
                Problem(
                    code=str(error["type"]),
                    message=f"{error['msg']}: `{error['input']}`"
                    if isinstance(error["input"], str)
                    else str(error["msg"]),
                    field=_COLUMN_OF.get(str(error["loc"][0]), str(error["loc"][0])),
                )
                for error in invalid.errors()
            ],
        )
    try:
        at = resolve_time(parse_date_time(row["at"].strip()), timezone)
    except ValueError:
        return _invalid(line, "at", "time", f"`{row['at']}` is not an RFC 3339 time.")
    except ValidationFailed as problem:
        code = problem.errors[0].code if problem.errors else "time"
        return _invalid(line, "at", code, problem.detail)
    if at < utc_now() - scheduling.PAST_TOLERANCE:
        return _invalid(line, "at", "past", "The time is in the past.")
    if not body.targets:
        return _invalid(line, "accounts", "no_targets", "Name at least one account.")
    content = PostContent(text=body.text, media=body.media, targets=body.targets)
    item = post_store.new_post_item(access.workspace_id, content, body.labels, access.actor)
    # Checked before anything is written, so that an invalid row leaves no trace at all.
    checked = scheduling.full_preflight(access.workspace_id, item, at)
    if not checked.ok:
        return BulkRow(row=line, status="invalid", problems=_preflight_problems(checked))
    post_store.save_new(item, access.actor, "post.created", {"source": "bulk"})
    try:
        scheduling.schedule_created(access, item, at, timezone)
    except ProblemError as refused:
        _remove(item)
        return BulkRow(
            row=line,
            status="invalid",
            problems=[
                Problem(code=error.code, message=error.detail, field=error.pointer)
                for error in refused.errors or []
            ]
            or [Problem(code="refused", message=refused.detail)],
        )
    except Exception:
        _remove(item)
        raise
    return BulkRow(row=line, status="created", post_id=item.post_id)


def _preflight_problems(checked: Preflight) -> list[Problem]:
    """Every problem, each target's placed under `targets/<account>`, fixes kept."""
    found = list(checked.problems)
    for target in checked.targets:
        found.extend(
            problem.model_copy(
                update={
                    "field": "/".join(filter(None, ("targets", target.account_id, problem.field)))
                }
            )
            for problem in target.problems
        )
    return found


def _invalid(line: int, field: str, code: str, message: str) -> BulkRow:
    return BulkRow(
        row=line, status="invalid", problems=[Problem(code=code, message=message, field=field)]
    )


def _remove(item: PostItem) -> None:
    version = PostVersionItem(*PostVersionItem.keys(item.workspace_id, item.post_id, 1))
    version.delete(add_version_condition=False)
    item.delete(add_version_condition=False)
