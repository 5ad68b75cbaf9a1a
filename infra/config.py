"""The few deploy-time choices, read from CDK context (`cdk.json` or `-c key=value`)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("dev", "staging", "prod", "test")

DEFAULTS: dict[str, Any] = {
    "stage": "dev",
    "corsOrigins": "http://localhost:3000",
    "logLevel": "INFO",
    "apiRateLimit": 50,
    "apiBurstLimit": 100,
    # Requests per IP in any 5-minute window before WAF blocks that IP.
    "wafRateLimit": 2000,
    # Sender of Herald's emails; its domain must be a verified SES identity.
    "mailFrom": "Herald <no-reply@example.com>",
    # Where the links in emails lead.
    "dashboardUrl": "http://localhost:3000",
    # Public base URL of the API (a custom domain); empty: the REST API's stage URL.
    "apiBaseUrl": "",
    # The OpenAI-compatible AI endpoint and its models (docs/ai.md); empty: AI answers 503.
    "aiBaseUrl": "",
    "aiTextModel": "",
    "aiVisionModel": "",
    "aiImageModel": "",
    "aiSpeechModel": "",
    "aiVideoModel": "",
}
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


@dataclass(frozen=True, slots=True)
class HeraldConfig:
    stage: str
    cors_origins: tuple[str, ...]
    log_level: str
    api_rate_limit: int
    api_burst_limit: int
    waf_rate_limit: int
    mail_from: str
    dashboard_url: str
    version: str
    api_base_url: str = ""  # empty: the stage URL of the REST API (see HeraldApi.base_url)
    ai_base_url: str = ""
    ai_text_model: str = ""
    ai_vision_model: str = ""
    ai_image_model: str = ""
    ai_speech_model: str = ""
    ai_video_model: str = ""

    @property
    def mail_domain(self) -> str:
        """The domain of the sender address: the SES identity Herald sends as."""
        return parseaddr(self.mail_from)[1].rsplit("@", 1)[1].lower()

    @classmethod
    def from_context(cls, get: Mapping[str, Any]) -> HeraldConfig:
        """`get` maps context keys to values; missing keys take DEFAULTS."""

        def value(key: str) -> Any:
            found = get.get(key)
            return DEFAULTS[key] if found is None else found

        stage = str(value("stage"))
        if stage not in STAGES:
            raise ValueError(f"context `stage` must be one of {', '.join(STAGES)}, not {stage!r}")
        origins = value("corsOrigins")
        if isinstance(origins, str):
            origins = origins.split(",")
        cors_origins = tuple(str(origin).strip() for origin in origins if str(origin).strip())
        if not cors_origins or any("*" in origin for origin in cors_origins):
            raise ValueError("context `corsOrigins` must list explicit origins (no wildcard)")
        return cls(
            stage=stage,
            cors_origins=cors_origins,
            log_level=str(value("logLevel")).upper(),
            api_rate_limit=int(value("apiRateLimit")),
            api_burst_limit=int(value("apiBurstLimit")),
            waf_rate_limit=int(value("wafRateLimit")),
            mail_from=_mail_from(str(value("mailFrom"))),
            dashboard_url=_base_url("dashboardUrl", str(value("dashboardUrl")), local_http=True),
            version=project_version(),
            api_base_url=_api_base_url(str(value("apiBaseUrl"))),
            ai_base_url=(
                _base_url("aiBaseUrl", str(value("aiBaseUrl")), local_http=False)
                if str(value("aiBaseUrl")).strip()
                else ""
            ),
            ai_text_model=str(value("aiTextModel")).strip(),
            ai_vision_model=str(value("aiVisionModel")).strip(),
            ai_image_model=str(value("aiImageModel")).strip(),
            ai_speech_model=str(value("aiSpeechModel")).strip(),
            ai_video_model=str(value("aiVideoModel")).strip(),
        )


def _mail_from(value: str) -> str:
    """`Name <local@domain>` or `local@domain`, with a dotted domain."""
    value = value.strip()
    _, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    labels = domain.split(".")
    if not local or len(labels) < 2 or not all(labels) or any(c.isspace() for c in address):
        raise ValueError(
            f"context `mailFrom` must hold an email address with a domain, not {value!r}"
        )
    return value


def _api_base_url(value: str) -> str:
    """Empty (the REST API's own URL), or the https URL of a custom domain."""
    return _base_url("apiBaseUrl", value, local_http=False) if value.strip() else ""


def _base_url(key: str, value: str, *, local_http: bool) -> str:
    """An absolute https URL (http for this machine if `local_http`), without a final /."""
    url = value.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if (
        host is None
        or parts.scheme not in ("https", "http")
        or (parts.scheme == "http" and not (local_http and host in LOCAL_HOSTS))
        or parts.query
        or parts.fragment
    ):
        allowed = "an https URL (http only for localhost)" if local_http else "an https URL"
        raise ValueError(f"context `{key}` must be {allowed}, not {value!r}")
    return url
