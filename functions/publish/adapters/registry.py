"""Builds the adapter for a platform from the OAuth client credentials configured for it.

Credentials come from the Secrets Manager secret in AWS (read once per process) or, locally, from
a JSON file; a platform without credentials cannot be connected (503 saying so). Meta's login
serves Instagram and Facebook; Google's serves YouTube.
"""

import json
from functools import cache
from pathlib import Path

import httpx

from functions.publish.adapters.platforms.base import PlatformAdapter
from functions.publish.domain.platforms import CREDENTIALS_ENTRY
from functions.shared import aws
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings


@cache
def platform_credentials() -> dict[str, dict[str, str]]:
    settings = get_settings()
    if settings.platform_credentials_secret:
        text = aws.secretsmanager().get_secret_value(SecretId=settings.platform_credentials_secret)[
            "SecretString"
        ]
    elif settings.platform_credentials_file and Path(settings.platform_credentials_file).exists():
        text = Path(settings.platform_credentials_file).read_text()
    else:
        return {}
    credentials: dict[str, dict[str, str]] = json.loads(text)
    return credentials


def oauth_adapter(platform: str, http: httpx.AsyncClient) -> PlatformAdapter:
    """The adapter of a real platform, configured; 503 when it has no credentials here."""
    entry = platform_credentials().get(CREDENTIALS_ENTRY[platform])
    if not entry or not entry.get("client_id") or not entry.get("client_secret"):
        raise ServiceUnavailable(
            f"Connecting {platform} is not configured here: its OAuth client credentials "
            f"({CREDENTIALS_ENTRY[platform]!r}) are missing."
        )
    client_id, client_secret = entry["client_id"], entry["client_secret"]
    settings = get_settings()
    match platform:
        case "x":
            from functions.publish.adapters.platforms.x import XAdapter

            return XAdapter(client_id=client_id, client_secret=client_secret, http=http)
        case "instagram":
            from functions.publish.adapters.platforms.instagram import InstagramAdapter

            return InstagramAdapter(
                client_id=client_id,
                client_secret=client_secret,
                http=http,
                api_version=settings.meta_graph_version,
            )
        case "facebook":
            from functions.publish.adapters.platforms.facebook import FacebookAdapter

            return FacebookAdapter(
                client_id=client_id,
                client_secret=client_secret,
                http=http,
                api_version=settings.meta_graph_version,
            )
        case "threads":
            from functions.publish.adapters.platforms.threads import ThreadsAdapter

            return ThreadsAdapter(
                client_id=client_id,
                client_secret=client_secret,
                http=http,
                api_version=settings.threads_api_version,
            )
        case "linkedin":
            from functions.publish.adapters.platforms.linkedin import LinkedInAdapter

            return LinkedInAdapter(
                client_id=client_id,
                client_secret=client_secret,
                http=http,
                api_version=settings.linkedin_api_version,
            )
        case "tiktok":
            from functions.publish.adapters.platforms.tiktok import TikTokAdapter

            return TikTokAdapter(client_key=client_id, client_secret=client_secret, http=http)
        case "youtube":
            from functions.publish.adapters.platforms.youtube import YouTubeAdapter

            return YouTubeAdapter(client_id=client_id, client_secret=client_secret, http=http)
    raise ServiceUnavailable(f"{platform} has no adapter.")
