"""The few deploy-time choices, read from CDK context (`cdk.json` or `-c key=value`)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
}


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
    version: str

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
            version=project_version(),
        )
