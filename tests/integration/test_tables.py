"""The application table base: versioned, conditional writes and tenant-safe keys, against moto."""

from collections.abc import Iterator

import pytest
from moto import mock_aws
from pynamodb.attributes import UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.transactions import TransactWrite

from functions.shared.problems import Conflict
from functions.shared.tables import AppItem, conflict_on_condition_failure, key

WORKSPACE = "01JD5W3X8F2Q9Y7K6T4M2N1P0R"


class Note(AppItem):
    body = UnicodeAttribute()


@pytest.fixture
def table() -> Iterator[None]:
    with mock_aws():
        Note.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        yield


@pytest.mark.usefixtures("table")
def test_items_are_versioned_and_timestamped() -> None:
    note = Note(key(WORKSPACE), key("NOTE", "1"), body="first")
    note.save()

    stored = Note.get(key(WORKSPACE), key("NOTE", "1"))

    assert stored.version == 1
    assert stored.body == "first"
    assert stored.created_at is not None
    assert stored.updated_at is not None


@pytest.mark.usefixtures("table")
def test_a_stale_copy_cannot_overwrite_a_newer_one() -> None:
    Note(WORKSPACE, key("NOTE", "1"), body="first").save()
    mine = Note.get(WORKSPACE, key("NOTE", "1"))
    theirs = Note.get(WORKSPACE, key("NOTE", "1"))
    theirs.body = "their edit"
    theirs.save()

    mine.body = "my edit"
    with (
        pytest.raises(Conflict, match="changed since you read it"),
        conflict_on_condition_failure("The note changed since you read it."),
    ):
        mine.save()

    assert Note.get(WORKSPACE, key("NOTE", "1")).body == "their edit"


@pytest.mark.usefixtures("table")
def test_a_failed_transaction_condition_is_a_conflict_and_writes_nothing() -> None:
    Note(WORKSPACE, key("NOTE", "1"), body="first").save()
    stale = Note(WORKSPACE, key("NOTE", "1"), body="stale", version=7)
    fresh = Note(WORKSPACE, key("NOTE", "2"), body="second")

    def write_both() -> None:
        with (
            conflict_on_condition_failure("Conflict"),
            TransactWrite(connection=Connection(region="us-east-1")) as transaction,
        ):
            transaction.save(fresh)
            transaction.save(stale)

    with pytest.raises(Conflict):
        write_both()

    assert Note.count(WORKSPACE) == 1


@pytest.mark.parametrize("parts", [(), ("",), ("a#b",), (WORKSPACE, "")])
def test_key_parts_cannot_blur_their_boundaries(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="key parts"):
        key(*parts)
