"""Workspace API keys: shown once, stored as a digest, scoped, optionally expiring."""

import secrets

from ulid import ULID

from functions.auth.adapters.items import ApiKeyItem
from functions.auth.domain.models import ApiKey, ApiKeyCreate, ApiKeyCreated
from functions.shared.access import Scope, WorkspaceAccess
from functions.shared.activity import activity_entry
from functions.shared.auth import API_KEY_PREFIX, digest
from functions.shared.identity_items import ApiKeyLookupItem
from functions.shared.pagination import PageRequest
from functions.shared.problems import FieldError, NotFound, ValidationFailed
from functions.shared.tables import key, query_page, transaction, utc_now

_HINT_LENGTH = len(API_KEY_PREFIX) + 6


def api_key_view(item: ApiKeyItem) -> ApiKey:
    return ApiKey(
        id=item.key_id,
        name=item.name,
        scopes=sorted(Scope(scope) for scope in item.scopes),
        hint=item.hint,
        created_by=item.created_by,
        created_at=item.created_at,
        expires_at=item.valid_until,
    )


def create_api_key(access: WorkspaceAccess, request: ApiKeyCreate) -> ApiKeyCreated:
    if request.expires_at is not None and (
        request.expires_at.tzinfo is None or request.expires_at <= utc_now()
    ):
        raise ValidationFailed(
            "The expiry must be a future time with a UTC offset.",
            errors=[
                FieldError(
                    pointer="/body/expires_at",
                    detail="Give a future RFC 3339 time with an offset, e.g. 2027-01-01T00:00:00Z.",
                    code="expiry_invalid",
                )
            ],
        )
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = str(ULID())
    scopes = {scope.value for scope in request.scopes}
    item = ApiKeyItem(
        *ApiKeyItem.keys(access.workspace_id, key_id),
        key_id=key_id,
        workspace_id=access.workspace_id,
        name=request.name,
        scopes=scopes,
        hint=secret[:_HINT_LENGTH],
        secret_digest=digest(secret),
        created_by=access.actor,
        valid_until=request.expires_at,
    )
    with transaction() as write:
        write.save(item, condition=ApiKeyItem.pk.does_not_exist())
        write.save(
            ApiKeyLookupItem(
                *ApiKeyLookupItem.keys(digest(secret)),
                key_id=key_id,
                workspace_id=access.workspace_id,
                scopes=scopes,
                valid_until=request.expires_at,
            ),
            condition=ApiKeyLookupItem.pk.does_not_exist(),
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="api_key.created",
                target=f"api_key:{key_id}",
                details={"name": request.name, "scopes": sorted(scopes)},
            )
        )
    return ApiKeyCreated(**api_key_view(item).model_dump(), key=secret)


def list_api_keys(access: WorkspaceAccess, page: PageRequest) -> tuple[list[ApiKey], str | None]:
    items, cursor = query_page(ApiKeyItem, key("WS", access.workspace_id), "APIKEY#", page)
    return [api_key_view(item) for item in items], cursor


def revoke_api_key(access: WorkspaceAccess, key_id: str) -> None:
    item = ApiKeyItem.find_key(*ApiKeyItem.keys(access.workspace_id, key_id))
    if item is None:
        raise NotFound(f"API key {key_id} was not found.")
    with transaction() as write:
        write.delete(item)
        write.delete(
            ApiKeyLookupItem(*ApiKeyLookupItem.keys(item.secret_digest)),
            add_version_condition=False,  # a fresh instance: it carries no version to check
        )
        write.save(
            activity_entry(
                access.workspace_id,
                actor=access.actor,
                action="api_key.revoked",
                target=f"api_key:{key_id}",
                details={"name": item.name},
            )
        )
