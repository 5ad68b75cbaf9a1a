"""Templates: reusable post content of a workspace, listed by category, turned into drafts."""

from typing import Any

from tests.publish.posts_world import activity_actions, error_codes, problem
from tests.publish.studio import Studio


def create_template(studio: Studio, **body: Any) -> dict[str, Any]:
    response = studio.client.post("/v1/templates", json=body, headers=studio.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_a_template_is_created_listed_by_category_edited_used_and_deleted(studio: Studio) -> None:
    sandbox = studio.sandbox()
    content = {
        "text": "Today's special: {dish}",
        "targets": [{"account_id": sandbox, "options": {"note": "menu"}}],
    }
    menu = create_template(
        studio, name="Daily special", category="menu", content=content, labels=["food"]
    )
    create_template(studio, name="Opening hours", category="info", content={"text": "Open 8-6"})
    create_template(studio, name="Plain", content={})

    assert menu["content"]["text"] == "Today's special: {dish}"
    assert menu["content"]["targets"][0]["account_id"] == sandbox
    assert menu["labels"] == ["food"]
    listed = studio.client.get("/v1/templates", headers=studio.headers).json()
    assert [t["name"] for t in listed["items"]] == ["Daily special", "Opening hours", "Plain"]
    assert [t["category"] for t in listed["items"]] == ["menu", "info", "general"]
    by_category = studio.client.get(
        "/v1/templates", params={"category": "menu"}, headers=studio.headers
    )
    assert [t["id"] for t in by_category.json()["items"]] == [menu["id"]]
    first = studio.client.get("/v1/templates", params={"limit": 2}, headers=studio.headers).json()
    rest = studio.client.get(
        "/v1/templates", params={"limit": 2, "cursor": first["next_cursor"]}, headers=studio.headers
    ).json()
    assert [t["name"] for t in first["items"] + rest["items"]] == [
        "Daily special",
        "Opening hours",
        "Plain",
    ]
    assert rest["next_cursor"] is None

    edited = studio.client.patch(
        f"/v1/templates/{menu['id']}",
        json={"name": "Special of the day", "content": {**content, "text": "Special: soup"}},
        headers=studio.headers,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["category"]) == ("Special of the day", "menu")
    assert edited.json()["content"]["text"] == "Special: soup"

    used = studio.client.post(f"/v1/templates/{menu['id']}/use", headers=studio.headers)
    assert used.status_code == 201, used.text
    draft = used.json()
    assert draft["status"] == "draft"
    assert (draft["text"], draft["labels"]) == ("Special: soup", ["food"])
    (target,) = draft["targets"]
    assert (target["account_id"], target["options"]) == (sandbox, {"note": "menu"})
    assert draft["preflight"]["ok"] is True
    assert studio.post(draft["id"])["text"] == "Special: soup"

    deleted = studio.client.delete(f"/v1/templates/{menu['id']}", headers=studio.headers)
    assert deleted.status_code == 204
    gone = studio.client.get(f"/v1/templates/{menu['id']}", headers=studio.headers)
    assert problem(gone, 404)["detail"] == f"Template {menu['id']} was not found."
    # The draft made from it stays.
    assert studio.post(draft["id"])["status"] == "draft"
    assert activity_actions(studio)[:4] == [
        "template.deleted",
        "post.created",
        "template.updated",
        "template.created",
    ]


def test_template_bodies_and_queries_are_validated(studio: Studio) -> None:
    template = create_template(studio, name="Plain", content={})

    def refused(method: str, url: str, **kwargs: Any) -> set[tuple[str, str]]:
        response = studio.client.request(method, url, headers=studio.headers, **kwargs)
        return error_codes(problem(response, 422))

    assert refused("POST", "/v1/templates", json={"name": ""}) == {
        ("/body/name", "string_too_short"),
        ("/body/content", "missing"),
    }
    assert refused("POST", "/v1/templates", json={"name": "A", "content": {}, "colour": "red"}) == {
        ("/body/colour", "extra_forbidden")
    }
    assert refused(
        "POST", "/v1/templates", json={"name": "A", "content": {}, "category": "Big News"}
    ) == {("/body/category", "string_pattern_mismatch")}
    assert refused(
        "POST", "/v1/templates", json={"name": "A", "content": {"targets": [{"account_id": "x"}]}}
    ) == {("/body/content/targets/0/account_id", "string_pattern_mismatch")}
    assert refused("PATCH", f"/v1/templates/{template['id']}", json={"labels": [""]}) == {
        ("/body/labels/0", "string_too_short")
    }
    assert refused("GET", "/v1/templates", params={"category": "NEWS"}) == {
        ("/query/category", "string_pattern_mismatch")
    }
    assert refused("GET", "/v1/templates/not-a-ulid") == {
        ("/path/template_id", "string_pattern_mismatch")
    }
    bad_cursor = studio.client.get(
        "/v1/templates", params={"cursor": "bm90IGEgY3Vyc29y"}, headers=studio.headers
    )
    assert problem(bad_cursor, 400)["detail"] == "The cursor is not one this API issued."
