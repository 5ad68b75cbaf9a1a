"""The media world: the media bucket in moto, the media and generation apps, and a workspace's
library."""

from collections.abc import Iterator

import boto3
import pytest
from fastapi.testclient import TestClient

from functions.shared.groups import group_named
from functions.shared.settings import get_settings
from tests.media.library_world import Library
from tests.support.auth_world import Herald


@pytest.fixture
def media_bucket(cloud: None) -> str:
    """The media bucket, empty, in the test's moto account."""
    name = get_settings().media_bucket
    boto3.client("s3", region_name=get_settings().region).create_bucket(Bucket=name)
    return name


@pytest.fixture
def media(herald: Herald, media_bucket: str) -> Iterator[TestClient]:
    """The media and generation apps over HTTP, each path routed to its group as in AWS."""
    from functions.media.app import app
    from functions.media.generation_app import app as generation_app
    from infra.local.server import LocalGateway

    gateway = LocalGateway({group_named("media"): app, group_named("generation"): generation_app})
    with TestClient(gateway) as client:
        yield client


@pytest.fixture
def library(herald: Herald, media: TestClient) -> Library:
    """A workspace (with its owner) whose library the test fills."""
    owner = herald.sign_up("owner")
    return Library(herald, media, owner, herald.create_workspace(owner)["id"])
