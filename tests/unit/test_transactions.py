"""A DynamoDB transaction reuses the process's client: building a botocore client reads and
parses the service model again, about 100 ms of CPU, which every transaction used to pay."""

from unittest import mock

import botocore.session
import pytest

from functions.shared.tables import CounterItem, transaction


def counter(name: str) -> CounterItem:
    return CounterItem(pk="TEST", sk=name, hits=1)


@pytest.mark.usefixtures("cloud")
def test_a_transaction_builds_no_new_client() -> None:
    with transaction() as write:
        write.save(counter("first"))
    refuse = AssertionError("a transaction built a new botocore client")
    with (
        mock.patch.object(botocore.session.Session, "create_client", side_effect=refuse),
        transaction() as write,
    ):
        write.save(counter("second"))
    stored = CounterItem.get("TEST", "second", consistent_read=True)
    assert stored.hits == 1
