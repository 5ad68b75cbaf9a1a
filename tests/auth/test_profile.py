"""The signed-in user's own profile: GET and PATCH /v1/me."""

from typing import Any

import httpx
import pytest

from tests.support.auth_world import Account, Herald

DEFAULT_NOTIFICATIONS = {
    "post_published": True,
    "post_failed": True,
    "account_needs_reconnect": True,
    "weekly_report": False,
}


def patch_me(herald: Herald, account: Account, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = herald.client.patch("/v1/me", json=body, headers=account.headers)
    return response


def get_me(herald: Herald, account: Account) -> dict[str, Any]:
    response = herald.client.get("/v1/me", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_me_is_my_profile(herald: Herald) -> None:
    account = herald.sign_up("grace")

    me = get_me(herald, account)

    assert me == {
        "id": account.user_id,
        "email": account.email,
        "email_verified": True,
        "name": "Grace",
        "timezone": "UTC",
        "locale": "en",
        "theme": "system",
        "notifications": DEFAULT_NOTIFICATIONS,
        "avatar_url": None,
        "default_workspace_id": None,
        "created_at": me["created_at"],
    }


def test_me_needs_a_signed_in_user(herald: Herald) -> None:
    response = herald.client.get("/v1/me")

    assert response.status_code == 401
    assert response.json()["detail"] == "A bearer token is required in the Authorization header."


def test_patching_me_changes_the_given_fields_and_keeps_the_rest(herald: Herald) -> None:
    account = herald.sign_up("grace")
    before = get_me(herald, account)
    notifications = {
        "post_published": False,
        "post_failed": True,
        "account_needs_reconnect": False,
        "weekly_report": True,
    }

    response = patch_me(
        herald,
        account,
        {
            "name": "  Grace Hopper  ",
            "timezone": "America/New_York",
            "locale": "en-US",
            "theme": "dark",
            "notifications": notifications,
        },
    )
    theme_only = patch_me(herald, account, {"theme": "light"})

    assert response.status_code == 200, response.text
    assert response.json() == before | {
        "name": "Grace Hopper",
        "timezone": "America/New_York",
        "locale": "en-US",
        "theme": "dark",
        "notifications": notifications,
    }
    assert theme_only.status_code == 200
    assert theme_only.json() == response.json() | {"theme": "light"}
    assert get_me(herald, account) == theme_only.json()


def test_patching_some_notification_preferences_keeps_the_others(herald: Herald) -> None:
    account = herald.sign_up("grace")
    patch_me(herald, account, {"notifications": {"weekly_report": True, "post_failed": False}})

    response = patch_me(herald, account, {"notifications": {"post_published": False}})

    assert response.status_code == 200, response.text
    assert response.json()["notifications"] == {
        "post_published": False,
        "post_failed": False,
        "account_needs_reconnect": True,
        "weekly_report": True,
    }


def test_an_empty_patch_changes_nothing(herald: Herald) -> None:
    account = herald.sign_up("grace")
    before = get_me(herald, account)

    response = patch_me(herald, account, {})

    assert response.status_code == 200
    assert response.json() == before


@pytest.mark.parametrize(
    ("body", "pointer", "code"),
    [
        ({"name": "   "}, "/body/name", "string_too_short"),
        ({"name": "x" * 101}, "/body/name", "string_too_long"),
        ({"name": "Ada\r\nBcc: victim@example.com"}, "/body/name", "control_character"),
        ({"timezone": "Mars/Olympus_Mons"}, "/body/timezone", "value_error"),
        ({"locale": "english"}, "/body/locale", "string_pattern_mismatch"),
        ({"theme": "neon"}, "/body/theme", "literal_error"),
        (
            {"notifications": {"post_failed": "sometimes"}},
            "/body/notifications/post_failed",
            "bool_parsing",
        ),
        ({"notifications": "all"}, "/body/notifications", "model_attributes_type"),
    ],
    ids=[
        "blank_name",
        "long_name",
        "control_character",
        "timezone",
        "locale",
        "theme",
        "notification",
        "notifications",
    ],
)
def test_invalid_values_are_422_with_a_pointer_and_change_nothing(
    herald: Herald, body: dict[str, Any], pointer: str, code: str
) -> None:
    account = herald.sign_up("grace")
    before = get_me(herald, account)

    # A valid change sent along with the invalid one is not applied either.
    response = patch_me(herald, account, {"theme": "dark", **body})

    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [(pointer, code)]
    assert get_me(herald, account) == before


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"email": "someone.else@example.com"}, "/body/email"),
        ({"email_verified": True}, "/body/email_verified"),
        ({"notifications": {"sms": True}}, "/body/notifications/sms"),
    ],
    ids=["email", "email_verified", "nested"],
)
def test_unknown_fields_are_422(herald: Herald, body: dict[str, Any], pointer: str) -> None:
    """Fields that are not part of the profile (the address among them) cannot be set here."""
    account = herald.sign_up("grace")
    before = get_me(herald, account)

    response = patch_me(herald, account, body)

    assert response.status_code == 422
    assert [(e["pointer"], e["code"]) for e in response.json()["errors"]] == [
        (pointer, "extra_forbidden")
    ]
    assert get_me(herald, account) == before
