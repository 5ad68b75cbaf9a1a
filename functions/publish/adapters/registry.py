"""Builds the adapter for a platform from the OAuth client credentials configured for it.

Credentials come from the platforms' credentials document (functions/shared/platform_credentials.py,
which the webhooks group reads too, for its webhook secrets); a platform without credentials
cannot be connected (503 saying so). Meta's login serves Instagram and Facebook; Google's serves
YouTube.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import httpx

from functions.publish.adapters.platforms.base import PlatformAdapter
from functions.publish.domain.platforms import CREDENTIALS_ENTRY
from functions.shared.platform_credentials import platform_credentials
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import Settings, get_settings


@dataclass(frozen=True, slots=True)
class AdapterClass:
    """A platform's adapter class, in the module named after the platform (imported on first
    use, so that a process loads only the platforms it serves), and how its constructor
    differs from the common one."""

    name: str
    client_id_parameter: str = "client_id"
    api_version: Callable[[Settings], str] | None = None  # the setting that pins the version


ADAPTER_CLASSES = {
    "x": AdapterClass("XAdapter"),
    "instagram": AdapterClass(
        "InstagramAdapter", api_version=lambda settings: settings.meta_graph_version
    ),
    "facebook": AdapterClass(
        "FacebookAdapter", api_version=lambda settings: settings.meta_graph_version
    ),
    "threads": AdapterClass(
        "ThreadsAdapter", api_version=lambda settings: settings.threads_api_version
    ),
    "linkedin": AdapterClass(
        "LinkedInAdapter", api_version=lambda settings: settings.linkedin_api_version
    ),
    "tiktok": AdapterClass("TikTokAdapter", client_id_parameter="client_key"),
    "youtube": AdapterClass("YouTubeAdapter"),
}


def oauth_adapter(platform: str, http: httpx.AsyncClient) -> PlatformAdapter:
    """The adapter of a real platform, configured; 503 when it has no credentials here."""
    entry = platform_credentials().get(CREDENTIALS_ENTRY[platform])
    if not entry or not entry.get("client_id") or not entry.get("client_secret"):
        raise ServiceUnavailable(
            f"Connecting {platform} is not configured here: its OAuth client credentials "
            f"({CREDENTIALS_ENTRY[platform]!r}) are missing."
        )
    adapter_class = ADAPTER_CLASSES.get(platform)
    if adapter_class is None:
        raise ServiceUnavailable(f"{platform} has no adapter.")
    arguments: dict[str, Any] = {
        adapter_class.client_id_parameter: entry["client_id"],
        "client_secret": entry["client_secret"],
        "http": http,
    }
    if adapter_class.api_version is not None:
        arguments["api_version"] = adapter_class.api_version(get_settings())
    module = import_module(f"functions.publish.adapters.platforms.{platform}")
    build: Callable[..., PlatformAdapter] = getattr(module, adapter_class.name)
    return build(**arguments)
