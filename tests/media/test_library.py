"""The library over HTTP: filters and pages, edits, deletion, downloads, tenancy and roles."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine

from functions.shared.media_items import MediaAssetItem
from tests.media.library_world import Library, jpeg, object_keys
from tests.support.ffmpeg_samples import make_tone
from tests.support.snapshots import workspace_items, workspace_objects

GREEN = (30, 160, 60)


def listed(library: Library, headers: dict[str, str] | None = None, **query: Any) -> dict[str, Any]:
    response = library.client.get("/v1/media", params=query, headers=headers or library.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def every_page(library: Library, **query: Any) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = listed(library, **query, **({"cursor": cursor} if cursor else {}))
        pages.append([asset["id"] for asset in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def label(library: Library, asset_id: str, *labels: str) -> None:
    response = library.client.patch(
        f"/v1/media/{asset_id}", json={"labels": list(labels)}, headers=library.headers
    )
    assert response.status_code == 200, response.text


# Listing ----------------------------------------------------------------------------------------


def test_the_library_lists_newest_first_in_pages(library: Library) -> None:
    ids = [library.add(jpeg(60 + index, 40), f"photo-{index}.jpg")["id"] for index in range(5)]

    pages = every_page(library, limit=2)

    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]


@pytest.mark.ffmpeg
def test_kind_and_label_filters_page_through_the_matches_only(
    library: Library, tmp_path: Path
) -> None:
    photos = [library.add(jpeg(50 + index, 50), f"p{index}.jpg")["id"] for index in range(6)]
    tone = library.add(
        make_tone(tmp_path / "t.mp3", seconds=1.0).read_bytes(), "t.mp3", "audio/mpeg"
    )
    for photo in photos[::2]:
        label(library, photo, "summer", "launch")
    label(library, tone["id"], "summer")

    summer_images = every_page(library, kind="image", label="summer", limit=2)
    audio = listed(library, kind="audio")["items"]
    launch = listed(library, label="launch")["items"]

    assert summer_images == [[photos[4], photos[2]], [photos[0]]]
    assert [asset["id"] for asset in audio] == [tone["id"]]
    assert [asset["labels"] for asset in launch] == [["launch", "summer"]] * 3


def test_a_created_date_range_selects_by_creation_time(library: Library) -> None:
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=True):
        early = library.add(jpeg(), "early.jpg")
    with time_machine.travel(start + timedelta(minutes=2), tick=True):
        middle = library.add(jpeg(), "middle.jpg")
    with time_machine.travel(start + timedelta(minutes=4), tick=True):
        late = library.add(jpeg(), "late.jpg")
        after_early = (start + timedelta(minutes=1)).isoformat()
        before_late = (start + timedelta(minutes=3)).isoformat()
        between = listed(library, created_from=after_early, created_to=before_late)["items"]
        since = listed(library, created_from=after_early)["items"]
        until = listed(library, created_to=before_late)["items"]
        exact = listed(library, created_from=middle["created_at"], created_to=middle["created_at"])

    assert [asset["id"] for asset in between] == [middle["id"]]
    assert [asset["id"] for asset in since] == [late["id"], middle["id"]]
    assert [asset["id"] for asset in until] == [middle["id"], early["id"]]
    assert [asset["id"] for asset in exact["items"]] == [middle["id"]]


def test_a_date_range_reaching_before_1970_reads_as_unbounded(library: Library) -> None:
    """Asset ids are ULIDs, which name no time before 1970 (this answered 500)."""
    asset = library.add(jpeg())

    since_778 = listed(library, created_from="0778-04-19T06:14:59Z")["items"]
    until_year_1 = listed(library, created_to="0001-01-01T00:00:00Z")["items"]

    assert [found["id"] for found in since_778] == [asset["id"]]
    assert until_year_1 == []


def test_a_reversed_date_range_or_a_foreign_cursor_is_refused(library: Library) -> None:
    reversed_range = library.client.get(
        "/v1/media",
        params={"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
        headers=library.headers,
    )
    doctored = library.client.get(
        "/v1/media",
        params={"cursor": "eyJQSyI6eyJTIjoiV1MjT1RIRVIifSwiU0siOnsiUyI6IkFTU0VUI1gifX0"},
        headers=library.headers,
    )

    assert reversed_range.status_code == 422
    assert reversed_range.json()["errors"][0]["pointer"] == "/query/created_from"
    assert doctored.status_code == 400


# Reading, editing, deleting, downloading ----------------------------------------------------------


def test_name_labels_and_alt_text_can_be_changed_and_removed(library: Library) -> None:
    asset = library.add(jpeg())
    path = f"/v1/media/{asset['id']}"

    changed = library.client.patch(
        path,
        json={
            "name": " Beach day.jpg ",
            "labels": ["summer", "summer", "beach"],
            "alt_text": "Sea",
        },
        headers=library.headers,
    )
    cleared = library.client.patch(
        path, json={"labels": [], "alt_text": None}, headers=library.headers
    )
    fetched = library.client.get(path, headers=library.headers)

    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["labels"], changed.json()["alt_text"]) == (
        "Beach day.jpg",
        ["beach", "summer"],
        "Sea",
    )
    assert (cleared.json()["labels"], cleared.json()["alt_text"]) == ([], None)
    assert fetched.json()["name"] == "Beach day.jpg"
    item = MediaAssetItem.find(library.workspace_id, asset["id"])
    assert item is not None
    assert not item.labels
    assert item.alt_text is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": None},
        {"labels": ["x" * 51]},
        {"labels": ["beach\nday"]},
        {"name": "Beach\r\nday.jpg"},
        {"labels": ["a"] * 21},
        {"alt_text": "x" * 1001},
        {"size_bytes": 1},
    ],
)
def test_invalid_edits_are_refused(library: Library, body: dict[str, Any]) -> None:
    asset = library.add(jpeg())

    response = library.client.patch(f"/v1/media/{asset['id']}", json=body, headers=library.headers)

    assert response.status_code == 422


def test_deleting_an_asset_removes_its_files_and_gives_back_its_bytes(library: Library) -> None:
    kept, gone = library.add(jpeg(), "kept.jpg"), library.add(jpeg(900, 700), "gone.jpg")
    used_before = library.client.get("/v1/media/usage", headers=library.headers).json()

    deleted = library.client.delete(f"/v1/media/{gone['id']}", headers=library.headers)
    again = library.client.delete(f"/v1/media/{gone['id']}", headers=library.headers)
    used_after = library.client.get("/v1/media/usage", headers=library.headers).json()

    assert (deleted.status_code, again.status_code) == (204, 404)
    assert library.client.get(f"/v1/media/{gone['id']}", headers=library.headers).status_code == 404
    folder = f"workspaces/{library.workspace_id}/media"
    assert object_keys(library.workspace_id) == {
        f"{folder}/{kept['id']}/original",
        f"{folder}/{kept['id']}/thumbnail.jpg",
    }
    assert used_after["used_bytes"] == used_before["used_bytes"] - gone["size_bytes"]
    assert used_after["asset_count"] == used_before["asset_count"] - 1 == 1
    activity = library.herald.client.get(
        f"/v1/workspaces/{library.workspace_id}/activity", headers=library.owner.headers
    ).json()["items"]
    assert [entry["action"] for entry in activity][:3] == [
        "media.deleted",
        "media.uploaded",
        "media.uploaded",
    ]


def test_the_download_link_is_short_lived_and_names_the_file(library: Library) -> None:
    asset = library.add(jpeg(), "Beach day.jpg")

    response = library.client.get(f"/v1/media/{asset['id']}/download", headers=library.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    url = urlparse(body["url"])
    query = parse_qs(url.query)
    assert url.path == f"/workspaces/{library.workspace_id}/media/{asset['id']}/original"
    assert query["response-content-disposition"] == ["attachment; filename*=UTF-8''Beach%20day.jpg"]
    # Signature Version 4, which states the lifetime: S3 buckets created since June 2020 refuse
    # version 2 (https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html).
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    assert "Signature" not in query
    assert (body["filename"], body["expires_in"]) == ("Beach day.jpg", 300)


# Tenancy and roles ------------------------------------------------------------------------------


def test_another_workspace_s_media_answers_404_everywhere(library: Library) -> None:
    asset = library.add(jpeg())
    pending = library.start("later.jpg", "image/jpeg", 1000).json()
    intruder = library.herald.sign_up("intruder")
    own_workspace = library.herald.create_workspace(intruder, "Intruder Brand")["id"]
    mine = intruder.headers | {"X-Workspace-Id": own_workspace}
    theirs = intruder.headers | {"X-Workspace-Id": library.workspace_id}
    client, path = library.client, f"/v1/media/{asset['id']}"
    image_op = {"operation": {"type": "resize", "width": 100}}
    items_before = workspace_items(library.workspace_id)
    objects_before = workspace_objects(library.workspace_id)

    # The intruder names their own workspace: the asset and the upload are not in it.
    answers = {
        "get": client.get(path, headers=mine),
        "patch": client.patch(path, json={"name": "mine"}, headers=mine),
        "delete": client.delete(path, headers=mine),
        "download": client.get(f"{path}/download", headers=mine),
        "image": client.post(f"{path}/image", json=image_op, headers=mine),
        "complete": client.post(f"/v1/media/uploads/{pending['upload_id']}/complete", headers=mine),
    }
    # The intruder names the library's workspace: they are no member of it.
    answers |= {
        f"{name} (their workspace)": response
        for name, response in {
            "list": client.get("/v1/media", headers=theirs),
            "usage": client.get("/v1/media/usage", headers=theirs),
            "get": client.get(path, headers=theirs),
            "patch": client.patch(path, json={"name": "mine"}, headers=theirs),
            "delete": client.delete(path, headers=theirs),
            "download": client.get(f"{path}/download", headers=theirs),
            "image": client.post(f"{path}/image", json=image_op, headers=theirs),
            "start": client.post(
                "/v1/media/uploads",
                json={"name": "x.jpg", "content_type": "image/jpeg", "size_bytes": 10},
                headers=theirs,
            ),
            "complete": client.post(
                f"/v1/media/uploads/{pending['upload_id']}/complete", headers=theirs
            ),
            "import": client.post(
                "/v1/media/import", json={"url": "https://example.com/a.jpg"}, headers=theirs
            ),
        }.items()
    }

    # The route's own answer, not any 404 (a path no route serves answers 404 too).
    asset_unknown = f"Asset {asset['id']} was not found."
    upload_unknown = (
        f"No upload {pending['upload_id']} is waiting to be completed: start one with "
        "POST /v1/media/uploads and post the file to its form first (an upload completes "
        "once, within 24 hours)."
    )
    workspace_unknown = f"Workspace {library.workspace_id} was not found."

    def refusal(name: str) -> tuple[int, str]:
        if "their workspace" in name:
            return 404, workspace_unknown
        return 404, upload_unknown if name == "complete" else asset_unknown

    assert {name: (r.status_code, r.json().get("detail")) for name, r in answers.items()} == {
        name: refusal(name) for name in answers
    }
    assert {r.headers["content-type"] for r in answers.values()} == {"application/problem+json"}
    assert workspace_items(library.workspace_id) == items_before
    assert workspace_objects(library.workspace_id) == objects_before
    assert listed(library, headers=mine)["items"] == []
    assert client.get(path, headers=library.headers).json()["name"] == "photo.jpg"


def test_viewers_read_and_only_editors_write(library: Library) -> None:
    asset = library.add(jpeg())
    viewer, editor = library.herald.sign_up("viewer"), library.herald.sign_up("editor")
    library.herald.add_member(library.owner, library.workspace_id, viewer, "viewer")
    library.herald.add_member(library.owner, library.workspace_id, editor, "editor")
    as_viewer, client, path = library.headers_of(viewer), library.client, f"/v1/media/{asset['id']}"
    upload = {"name": "x.jpg", "content_type": "image/jpeg", "size_bytes": 10}

    reads = [
        client.get("/v1/media", headers=as_viewer),
        client.get("/v1/media/usage", headers=as_viewer),
        client.get(path, headers=as_viewer),
        client.get(f"{path}/download", headers=as_viewer),
    ]
    writes = [
        client.post("/v1/media/uploads", json=upload, headers=as_viewer),
        client.post(f"/v1/media/uploads/{asset['id']}/complete", headers=as_viewer),
        client.post(
            "/v1/media/import", json={"url": "https://example.com/a.jpg"}, headers=as_viewer
        ),
        client.patch(path, json={"name": "x"}, headers=as_viewer),
        client.delete(path, headers=as_viewer),
        client.post(
            f"{path}/image", json={"operation": {"type": "resize", "width": 9}}, headers=as_viewer
        ),
    ]
    by_editor = client.patch(path, json={"name": "edited"}, headers=library.headers_of(editor))

    assert [response.status_code for response in reads] == [200] * 4
    assert [response.status_code for response in writes] == [403] * 6
    assert writes[0].json()["detail"] == "This needs the editor role or above; yours is viewer."
    assert by_editor.status_code == 200


def test_api_keys_need_the_media_scopes(library: Library) -> None:
    def key_with(*scopes: str) -> dict[str, str]:
        created = library.herald.client.post(
            f"/v1/workspaces/{library.workspace_id}/api-keys",
            json={"name": "robot", "scopes": list(scopes)},
            headers=library.owner.headers,
        )
        assert created.status_code == 201, created.text
        return {"Authorization": f"Bearer {created.json()['key']}"}

    reader, writer = key_with("media:read"), key_with("media:read", "media:write")
    upload = {"name": "x.jpg", "content_type": "image/jpeg", "size_bytes": 10}

    assert library.client.get("/v1/media", headers=reader).status_code == 200
    refused = library.client.post("/v1/media/uploads", json=upload, headers=reader)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API key lacks the `media:write` scope."
    assert library.client.post("/v1/media/uploads", json=upload, headers=writer).status_code == 201


def test_the_media_app_loads_without_pillow_pynamodb_httpx_or_boto3() -> None:
    # Cold starts pay only for what a request uses: these load inside the routes that need them.
    script = (
        "import sys\n"
        "import functions.media.app\n"
        "heavy = {'PIL', 'pynamodb', 'httpx', 'boto3'}\n"
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] in heavy)\n"
        "assert not loaded, loaded\n"
    )

    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])
