"""A target's options are its platform's own: each platform's documented options are accepted and
kept as sent, an option the platform does not take is refused with a 422 naming it, and options
nested too deep or too large are refused before anything is written (they used to be stored, or
to fail with a 500 once they nested deeper than the serializer goes). Posts and templates alike.
"""

from typing import Any

import pytest

from tests.publish.posts_world import error_codes, problem
from tests.publish.studio import Studio
from tests.support.snapshots import workspace_items

# What each platform's adapter sends on, one valid set per platform (docs/posts.md lists them).
VALID_OPTIONS: dict[str, dict[str, Any]] = {
    "x": {"reply_settings": "following", "quote_tweet_id": "1445880548472328192"},
    "instagram": {
        "type": "reel",
        "share_to_feed": True,
        "location_id": "110843418940484",
        "collaborators": ["herald.app"],
        "cover_url": "https://cdn.example.com/cover.jpg",
        "thumb_offset": 1500,
        "audio_name": "Original audio",
    },
    "facebook": {"type": "post", "link": "https://example.com/launch", "title": "Launch"},
    "linkedin": {"visibility": "CONNECTIONS", "title": "Deck", "little_text": False},
    "tiktok": {
        "privacy_level": "SELF_ONLY",
        "title": "Menu",
        "disable_comment": True,
        "disable_duet": False,
        "disable_stitch": False,
        "video_cover_timestamp_ms": 1000,
        "brand_content_toggle": False,
        "brand_organic_toggle": True,
        "is_aigc": False,
        "auto_add_music": True,
        "photo_cover_index": 1,
    },
    "youtube": {
        "title": "Spring menu",
        "privacy_status": "unlisted",
        "made_for_kids": False,
        "tags": ["food", "spring"],
        "category_id": "26",
        "contains_synthetic_media": False,
    },
    "threads": {
        "reply_control": "accounts_you_follow",
        "link_attachment": "https://example.com/menu",
        "topic_tag": "food",
        "quote_post_id": "18012345678901234",
    },
    "sandbox": {"note": "menu"},
}


def account(studio: Studio, platform: str) -> str:
    if platform == "sandbox":
        return studio.sandbox()
    return studio.connect(platform, f"{platform}-1")


def nested(levels: int) -> dict[str, Any]:
    """An options object nesting `levels` objects deep in all."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("platform", sorted(VALID_OPTIONS))
def test_each_platform_s_options_are_accepted_and_kept_as_sent(
    studio: Studio, platform: str
) -> None:
    options = VALID_OPTIONS[platform]
    account_id = account(studio, platform)
    created = studio.create(
        text="Spring menu", targets=[{"account_id": account_id, "options": options}]
    )
    assert created["targets"][0]["options"] == options
    assert studio.post(created["id"])["targets"][0]["options"] == options
    invalid = [
        problem["field"]
        for target in created["preflight"]["targets"]
        for problem in target["problems"]
        if problem["code"] == "invalid_option"
    ]
    assert invalid == []


@pytest.mark.parametrize("platform", sorted(VALID_OPTIONS))
def test_an_option_the_platform_does_not_take_is_refused_by_name(
    studio: Studio, platform: str
) -> None:
    account_id = account(studio, platform)
    post = studio.create(text="Untouched", targets=[{"account_id": account_id}])
    before = workspace_items(studio.workspace_id)
    # Another platform's option: what used to be stored and then silently dropped.
    stray = "privacy_level" if platform != "tiktok" else "reply_settings"
    options = {**VALID_OPTIONS[platform], stray: "SELF_ONLY"}
    targets = [{"account_id": account_id, "options": options}]

    for method, url, body, pointer in (
        ("POST", "/v1/posts", {"text": "Hi", "targets": targets}, "/body/targets/0"),
        ("PATCH", f"/v1/posts/{post['id']}", {"targets": targets}, "/body/targets/0"),
        (
            "POST",
            "/v1/templates",
            {"name": "Menu", "content": {"targets": targets}},
            "/body/content/targets/0",
        ),
    ):
        response = studio.client.request(method, url, json=body, headers=studio.headers)
        refused = problem(response, 422)
        assert error_codes(refused) == {(f"{pointer}/options/{stray}", "extra_forbidden")}
        assert f"no option `{stray}`" in refused["detail"], refused
        assert refused["errors"][0]["detail"] == refused["detail"]

    assert workspace_items(studio.workspace_id) == before


def test_options_of_an_account_not_in_the_workspace_must_fit_some_platform(
    studio: Studio,
) -> None:
    """Found by the fuzz run: such options were stored and then broke the documented schema."""
    elsewhere = "01JB8Z6D3W5Y7A9C1E3G5J7K9M"
    before = workspace_items(studio.workspace_id)

    response = studio.client.post(
        "/v1/posts",
        json={
            "text": "Hi",
            "targets": [{"account_id": elsewhere, "options": {"note": "", "x": 1}}],
        },
        headers=studio.headers,
    )

    refused = problem(response, 422)
    assert error_codes(refused) == {("/body/targets/0/options", "options_fit_no_platform")}
    assert workspace_items(studio.workspace_id) == before
    kept = studio.create(
        text="Hi", targets=[{"account_id": elsewhere, "options": {"reply_settings": "following"}}]
    )
    assert kept["targets"][0]["options"] == {"reply_settings": "following"}


def test_a_wrong_value_is_refused_and_a_missing_required_option_is_left_to_preflight(
    studio: Studio,
) -> None:
    tiktok = studio.connect("tiktok", "tiktok-1")
    x = studio.connect("x", "x-1")
    response = studio.client.post(
        "/v1/posts",
        json={
            "text": "Hi",
            "targets": [
                {"account_id": x, "options": {"quote_tweet_id": "not-a-post"}},
                {"account_id": tiktok, "options": {"privacy_level": "EVERYONE"}},
            ],
        },
        headers=studio.headers,
    )
    refused = problem(response, 422)
    assert error_codes(refused) == {
        ("/body/targets/0/options/quote_tweet_id", "string_pattern_mismatch"),
        ("/body/targets/1/options/privacy_level", "literal_error"),
    }
    assert refused["detail"] == "2 options are invalid."
    # Kept as sent, so no coercion: `0` is not `false` (found by the fuzz run).
    coerced = studio.client.post(
        "/v1/posts",
        json={"text": "Hi", "targets": [{"account_id": tiktok, "options": {"disable_comment": 0}}]},
        headers=studio.headers,
    )
    assert error_codes(problem(coerced, 422)) == {
        ("/body/targets/0/options/disable_comment", "bool_type")
    }

    # A draft may wait for the creator's choice of privacy level: preflight says it is missing.
    draft = studio.create(text="Clip", targets=[{"account_id": tiktok}])
    problems = [
        (problem["code"], problem["field"])
        for problem in draft["preflight"]["targets"][0]["problems"]
    ]
    assert ("invalid_option", "options/privacy_level") in problems


@pytest.mark.parametrize("levels", [40, 300])
def test_options_nested_too_deep_are_refused_and_nothing_is_written(
    studio: Studio, levels: int
) -> None:
    sandbox = studio.sandbox()
    post = studio.create(text="Untouched", targets=[{"account_id": sandbox}])
    template = studio.client.post(
        "/v1/templates", json={"name": "Untouched", "content": {}}, headers=studio.headers
    ).json()
    before = workspace_items(studio.workspace_id)
    targets = [{"account_id": sandbox, "options": nested(levels)}]

    for method, url, body, pointer in (
        ("POST", "/v1/posts", {"text": "Hi", "targets": targets}, "/body/targets/0/options"),
        ("PATCH", f"/v1/posts/{post['id']}", {"targets": targets}, "/body/targets/0/options"),
        (
            "POST",
            "/v1/templates",
            {"name": "Deep", "content": {"targets": targets}},
            "/body/content/targets/0/options",
        ),
        (
            "PATCH",
            f"/v1/templates/{template['id']}",
            {"content": {"targets": targets}},
            "/body/content/targets/0/options",
        ),
    ):
        response = studio.client.request(method, url, json=body, headers=studio.headers)
        refused = problem(response, 422)
        assert error_codes(refused) == {(pointer, "json_too_deep")}, refused
        assert refused["errors"][0]["detail"] == (
            "JSON nested more than 3 levels deep is not accepted"
        )

    assert workspace_items(studio.workspace_id) == before


def test_options_too_large_are_refused(studio: Studio) -> None:
    sandbox = studio.sandbox()
    before = workspace_items(studio.workspace_id)
    response = studio.client.post(
        "/v1/posts",
        json={"targets": [{"account_id": sandbox, "options": {"note": "n" * 5000}}]},
        headers=studio.headers,
    )
    refused = problem(response, 422)
    assert error_codes(refused) == {("/body/targets/0/options", "json_too_large")}
    assert workspace_items(studio.workspace_id) == before


def test_openapi_documents_each_platform_s_options() -> None:
    from functions.publish.app import app

    models = {
        "XOptions",
        "InstagramOptions",
        "FacebookOptions",
        "LinkedInOptions",
        "TikTokOptions",
        "YouTubeOptions",
        "ThreadsOptions",
        "SandboxOptions",
    }
    schemas = app.openapi()["components"]["schemas"]
    targets = [schema for name, schema in schemas.items() if name.startswith("TargetSpec")]
    assert targets
    for target in targets:
        documented = {ref["$ref"] for ref in target["properties"]["options"]["anyOf"]}
        assert documented == {f"#/components/schemas/{name}" for name in models}
    for name in models:
        assert schemas[name]["additionalProperties"] is False
        assert "required" not in schemas[name], "a stored draft may lack what publishing needs"
    quote = schemas["XOptions"]["properties"]["quote_tweet_id"]
    assert "quote post" in quote["description"]
