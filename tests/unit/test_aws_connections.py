"""The AWS clients a post's target threads share keep a connection for each target: botocore
keeps 10 by default, and a call beyond them opens a connection (a TLS handshake, in AWS) and
discards it afterwards ("Connection pool is full, discarding connection")."""

import pytest
from annotated_types import MaxLen

from functions.publish.adapters.items import SocialAccountItem
from functions.publish.adapters.post_items import PostItem, TargetItem
from functions.publish.domain.post_models import PostContent
from functions.shared import aws


def most_targets_of_a_post() -> int:
    limits = PostContent.model_fields["targets"].metadata
    return next(limit.max_length for limit in limits if isinstance(limit, MaxLen))


@pytest.mark.usefixtures("cloud")
def test_every_client_a_target_uses_keeps_a_connection_per_target() -> None:
    most = most_targets_of_a_post()
    for client in (aws.kms(), aws.events(), aws.dynamodb()):
        pool: int = client.meta.config.max_pool_connections  # type: ignore[attr-defined]
        assert pool >= most, client.meta.service_model.service_name
    for model in (PostItem, TargetItem, SocialAccountItem):
        assert model.Meta.max_pool_connections >= most, model.__name__
