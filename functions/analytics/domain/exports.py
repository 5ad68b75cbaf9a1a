"""A report as CSV: in the answer when it is small, else through the media bucket
(docs/analytics.md#csv-export)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from functions.analytics.adapters import exports
from functions.analytics.domain.csv_tables import report_rows, write_csv
from functions.shared.settings import get_settings
from functions.shared.tables import utc_now

# Time enough to start the download the answer leads to; the object stays a day (lifecycle).
DOWNLOAD_URL_SECONDS = 300


class ExportLink(BaseModel):
    url: str = Field(description="Presigned download URL of the CSV file (`Location` too).")
    expires_at: datetime = Field(description="When the URL stops working (the file, a day on).")
    rows: int = Field(description="Data rows in the file (the header line not counted).")
    bytes: int = Field(description="Size of the file.")


@dataclass(frozen=True, slots=True)
class InlineCsv:
    text: str


def export_csv(workspace_id: str, report: BaseModel, filename: str) -> InlineCsv | ExportLink:
    rows = list(report_rows(report))
    text = write_csv(rows)
    size = len(text.encode())
    if size <= get_settings().analytics_export_inline_bytes:
        return InlineCsv(text)
    key = exports.store(workspace_id, text)
    return ExportLink(
        url=exports.download_url(key, filename, DOWNLOAD_URL_SECONDS),
        expires_at=utc_now() + timedelta(seconds=DOWNLOAD_URL_SECONDS),
        rows=len(rows),
        bytes=size,
    )
