"""The key that signs unsubscribe links: a Secrets Manager secret in AWS (read once per process).

Locally (`make dev`, tests) no secret is configured: a random key lives as long as the process,
as every local item does (local mode starts empty each time)."""

import secrets
from functools import cache

from functions.shared import aws
from functions.shared.problems import ServiceUnavailable
from functions.shared.settings import get_settings

LOCAL_STAGES = ("local", "test")


@cache
def signing_key() -> bytes:
    settings = get_settings()
    if settings.unsubscribe_secret:
        value = aws.secretsmanager().get_secret_value(SecretId=settings.unsubscribe_secret)
        return value["SecretString"].encode()
    if settings.stage in LOCAL_STAGES:
        return secrets.token_bytes(32)
    raise ServiceUnavailable("Unsubscribe links are not configured (HERALD_UNSUBSCRIBE_SECRET).")
