"""Large CSV exports in the media bucket, under the workspace's prefix
(`workspaces/<ws>/exports/<id>.csv`), tagged to expire (functions/shared/storage.py)."""

from urllib.parse import urlencode

from ulid import ULID

from functions.shared import aws
from functions.shared.settings import get_settings
from functions.shared.storage import EXPIRING_DOWNLOAD_TAG, presign_download, workspace_key

EXPORTS_FOLDER = "exports"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def store(workspace_id: str, text: str) -> str:
    """Write the export; answers its object key."""
    key = workspace_key(workspace_id, EXPORTS_FOLDER, f"{ULID()}.csv")
    aws.s3().put_object(
        Bucket=get_settings().media_bucket,
        Key=key,
        Body=text.encode(),
        ContentType=CSV_MEDIA_TYPE,
        Tagging=urlencode([EXPIRING_DOWNLOAD_TAG]),
    )
    return key


def download_url(key: str, filename: str, expires_in: int) -> str:
    return presign_download(key, expires_in=expires_in, filename=filename)
