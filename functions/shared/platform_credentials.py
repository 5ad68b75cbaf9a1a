"""The platforms' app credentials: OAuth clients for connecting accounts, and the secrets their
webhooks are signed with (docs/accounts.md lists the keys of each entry).

One JSON document, `{"<entry>": {"client_id": ..., "client_secret": ..., ...}}`, held in the
Secrets Manager secret in AWS (read once per process) or, locally, in a file. Both the publish
group (OAuth, adapters) and the webhooks group (verifying platform webhooks) read it, so it lives
here rather than in either group.
"""

import json
from functools import cache
from pathlib import Path

from functions.shared import aws
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


def platform_secret(entry: str, name: str) -> str | None:
    """One value of an entry (`platform_secret("meta", "client_secret")`), None when unset."""
    value = platform_credentials().get(entry, {}).get(name)
    return value or None
