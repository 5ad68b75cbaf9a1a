"""Cursor pagination: `limit` and an opaque `cursor` in, `next_cursor` out.

A cursor is DynamoDB's LastEvaluatedKey, base64url-encoded JSON. Decoding checks that it stays in
the partition being queried, so a doctored cursor can never start a read in another workspace.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, TypeGuard

from pydantic import BaseModel, Field

from functions.shared.problems import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

DynamoKey = dict[str, dict[str, str]]


class Page[T](BaseModel):
    items: list[T] = Field(description="This page's items, in the list's order.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    cursor: str | None


def encode_cursor(last_evaluated_key: DynamoKey | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(
    cursor: str | None, *, partition_attribute: str, partition: str
) -> DynamoKey | None:
    """The ExclusiveStartKey for a query of `partition`, or None for the first page."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key: object = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("The cursor is not one this API issued.") from None
    if not _is_dynamo_key(key) or key.get(partition_attribute) != {"S": partition}:
        raise BadRequest("The cursor is not one this API issued.")
    return key


def _is_dynamo_key(value: Any) -> TypeGuard[DynamoKey]:
    return (
        isinstance(value, dict)
        and 0 < len(value) <= 4
        and all(
            isinstance(name, str)
            and isinstance(typed, dict)
            and len(typed) == 1
            and next(iter(typed)) in ("S", "N", "B")
            and isinstance(next(iter(typed.values())), str)
            for name, typed in value.items()
        )
    )
