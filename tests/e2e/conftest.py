"""The local stack the end-to-end tests run against: one server process per test module."""

from collections.abc import Iterator

import pytest

from tests.e2e.local_stack import LocalServer, local_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with local_server(tmp_path_factory.mktemp("local-stack")) as running:
        yield running
