"""CSV export of any report: `Accept: text/csv` or `?format=csv` (docs/analytics.md#csv-export).

A report route takes `export: Export` as its last parameter, declares
`response_model=<its report>, responses=CSV_EXPORT`, and answers `await export.respond(access,
report)`: the report as JSON, as CSV, or a 303 to a presigned download of a large CSV.
"""

from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from functions.analytics.domain.exports import ExportLink, InlineCsv
from functions.shared.access import WorkspaceAccess
from functions.shared.problems import PROBLEM_MEDIA_TYPE, NotAcceptable

CSV = "text/csv"
JSON = "application/json"
_CSV_RANGES = (CSV, "text/*", "*/*")
_JSON_RANGES = (JSON, "application/*", "*/*")

CSV_EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: JSON, or CSV with `Accept: text/csv` or `format=csv` (one "
        "table, a row per entry of the report, its `section` column naming the part).",
        "content": {CSV: {"schema": {"type": "string"}}},
    },
    303: {
        "description": "A CSV export too large to answer here: `Location` is a presigned "
        "download URL (valid 5 minutes), also in the body.",
        "model": ExportLink,
        "headers": {
            "Location": {
                "description": "The CSV file's download URL.",
                "schema": {"type": "string"},
            }
        },
    },
    406: {
        "description": "The `Accept` header admits neither JSON nor CSV.",
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    },
}


def _quality(accept: str, ranges: tuple[str, ...]) -> tuple[float, bool]:
    """The weight `accept` gives a media type whose matching ranges are `ranges` (most specific
    first, RFC 9110 section 12.5.1), and whether the type itself was named."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = min(1.0, max(0.0, float(value)))
                except ValueError:
                    weight = 0.0
        weights.setdefault(media_range.lower(), weight)
    for media_range in ranges:
        if media_range in weights:
            return weights[media_range], media_range == ranges[0]
    return 0.0, False


def wants_csv(accept: str | None, requested: str | None) -> bool:
    """CSV or JSON for `format` (which wins) and `Accept`; 406 when Accept admits neither."""
    if requested is not None:
        return requested == "csv"
    if not accept or not accept.strip():
        return False
    csv_weight, csv_named = _quality(accept, _CSV_RANGES)
    json_weight, json_named = _quality(accept, _JSON_RANGES)
    if csv_weight == 0 and json_weight == 0:
        raise NotAcceptable(
            "This report is available as application/json or text/csv; the Accept header "
            "admits neither."
        )
    # A type named outright beats one only a wildcard admits; JSON stays the default.
    return (csv_weight, csv_named) > (json_weight, json_named)


@dataclass(frozen=True, slots=True)
class ReportExport:
    as_csv: bool
    filename: str

    async def respond[Report: BaseModel](
        self, access: WorkspaceAccess, report: Report
    ) -> Report | Response:
        """The report as asked for: the model itself (FastAPI answers JSON), or CSV."""
        if not self.as_csv:
            return report
        from functions.analytics.domain.exports import export_csv

        exported = await run_in_threadpool(export_csv, access.workspace_id, report, self.filename)
        if isinstance(exported, InlineCsv):
            return Response(
                exported.text,
                media_type=f"{CSV}; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{self.filename}"',
                    "Vary": "Accept",
                },
            )
        return JSONResponse(
            exported.model_dump(mode="json"),
            status_code=HTTPStatus.SEE_OTHER,
            headers={"Location": exported.url, "Vary": "Accept"},
        )


def _filename(path: str) -> str:
    """`/v1/analytics/posts/<id>/attribution` -> `analytics-posts-<id>-attribution.csv`; path
    parameters are patterned ids, so the name needs no quoting."""
    segments = [segment for segment in path.split("/") if segment][1:]
    return "-".join(segments) + ".csv"


async def report_export(
    request: Request,
    requested: Annotated[
        Literal["json", "csv"] | None,
        Query(alias="format", description="`csv` for the report as CSV, whatever `Accept` says."),
    ] = None,
) -> ReportExport:
    as_csv = wants_csv(request.headers.get("accept"), requested)
    return ReportExport(as_csv=as_csv, filename=_filename(request.url.path))


Export = Annotated[ReportExport, Depends(report_export)]
