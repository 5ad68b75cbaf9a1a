"""Platform tokens at rest: KMS envelope encryption bound to workspace and account (DESIGN 4)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from moto import mock_aws

from functions.publish.adapters import token_vault
from functions.publish.adapters.platforms.base import TokenSet
from functions.shared import aws
from functions.shared.settings import get_settings
from tests.publish.sealed import readable_secrets, with_flipped_byte

WORKSPACE = "01JD5W3X8F2Q9Y7K6T4M2N1P0R"
ACCOUNT = "01JD5W3X8F2Q9Y7K6T4M2N1P0S"
TOKENS = TokenSet(
    access_token="platform-access-secret",
    refresh_token="platform-refresh-secret",
    expires_at=datetime(2027, 1, 1, 12, 0, tzinfo=UTC),
    scopes=("tweet.read", "tweet.write"),
)


@pytest.fixture(autouse=True)
def data_key() -> Iterator[None]:
    with mock_aws():
        aws.reset_clients()
        kms = boto3.client("kms", region_name=get_settings().region)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=get_settings().kms_key_id, TargetKeyId=key_id)
        yield
        aws.reset_clients()


def test_a_sealed_token_set_opens_for_its_own_account_only() -> None:
    sealed = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)

    assert token_vault.unseal(sealed, workspace_id=WORKSPACE, account_id=ACCOUNT) == TOKENS
    with pytest.raises(ClientError, match="InvalidCiphertextException"):
        token_vault.unseal(sealed, workspace_id=WORKSPACE, account_id=WORKSPACE)


def test_nothing_of_the_tokens_is_readable_in_the_sealed_form() -> None:
    sealed = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)
    again = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)

    # Decoded, not only as stored: an encoding alone would pass a look at the text.
    secrets = [TOKENS.access_token, str(TOKENS.refresh_token), *TOKENS.scopes, "2027-01-01"]
    assert readable_secrets(sealed, secrets) == []
    assert sealed != again  # a fresh data key and nonce each time


@pytest.mark.parametrize(
    ("part", "index"),
    [
        pytest.param(3, 0, id="first ciphertext byte"),
        pytest.param(3, -1, id="last byte of the GCM tag"),
        pytest.param(2, 5, id="nonce"),
    ],
)
def test_a_flipped_bit_in_the_sealed_form_does_not_open(part: int, index: int) -> None:
    sealed = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)

    with pytest.raises(InvalidTag):
        token_vault.unseal(
            with_flipped_byte(sealed, part, index), workspace_id=WORKSPACE, account_id=ACCOUNT
        )
