"""A file that enters the library is announced (`media.asset.ready`) with the catalogue's data,
once it is kept; a refused file is not."""

from tests.media.library_world import Library, jpeg
from tests.support.event_bus import bus_listener, catalogued, received


def test_a_completed_upload_is_announced_ready_with_what_probing_found(library: Library) -> None:
    events = bus_listener("media.asset.ready")

    asset = library.add(jpeg(800, 600), name="latte.jpg")

    [event] = received(events)
    assert event["source"] == "herald.media"
    assert catalogued(event) == {
        "asset_id": asset["id"],
        "kind": "image",
        "name": "latte.jpg",
        "content_type": "image/jpeg",
        "size_bytes": asset["size_bytes"],
        "width": 800,
        "height": 600,
        "duration_seconds": None,
        "source_asset_id": None,
        "job_id": None,
        "created_by": f"user:{library.owner.user_id}",
    }


def test_a_refused_file_is_not_announced(library: Library) -> None:
    events = bus_listener("media.asset.ready")

    refused = library.upload(b"not an image at all, just text", name="fake.jpg")

    assert refused.status_code == 400, refused.text
    assert received(events) == []
