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
from functions.shared import aws, sealing
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
        sealing.opened_keys.clear()
        yield
        sealing.opened_keys.clear()
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


def _decrypts_counted() -> list[str]:
    """The KMS `Decrypt` calls of Herald's client from now on."""
    calls: list[str] = []
    aws.kms().meta.events.register(
        "before-call.kms.Decrypt", lambda **kwargs: calls.append("Decrypt")
    )
    return calls


def test_a_token_set_opened_moments_ago_opens_again_without_kms() -> None:
    sealed = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)
    decrypts = _decrypts_counted()

    for _ in range(3):
        assert token_vault.unseal(sealed, workspace_id=WORKSPACE, account_id=ACCOUNT) == TOKENS

    assert decrypts == ["Decrypt"]


def test_an_opened_key_is_not_a_key_for_another_account() -> None:
    sealed = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)
    token_vault.unseal(sealed, workspace_id=WORKSPACE, account_id=ACCOUNT)

    # The same sealed value copied onto another account goes to KMS, which refuses it.
    with pytest.raises(ClientError, match="InvalidCiphertextException"):
        token_vault.unseal(sealed, workspace_id=WORKSPACE, account_id=WORKSPACE)


def test_an_opened_key_expires_by_age_and_by_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=ACCOUNT)
    decrypts = _decrypts_counted()
    now = [1000.0]
    monkeypatch.setattr(sealing.opened_keys, "clock", lambda: now[0])
    monkeypatch.setattr(sealing.opened_keys, "max_uses", 2)

    def open_it() -> None:
        assert token_vault.unseal(sealed, workspace_id=WORKSPACE, account_id=ACCOUNT) == TOKENS

    open_it()  # KMS
    open_it()  # second use: kept
    open_it()  # past max uses: KMS again
    now[0] += sealing.opened_keys.max_age + 1
    open_it()  # too old: KMS again

    assert decrypts == ["Decrypt", "Decrypt", "Decrypt"]


def test_the_least_recently_opened_key_leaves_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sealing.opened_keys, "max_entries", 2)
    accounts = [f"{ACCOUNT[:-1]}{letter}" for letter in "ABC"]
    sealed = {
        account: token_vault.seal(TOKENS, workspace_id=WORKSPACE, account_id=account)
        for account in accounts
    }
    decrypts = _decrypts_counted()

    for account in [*accounts, accounts[2], accounts[0]]:
        token_vault.unseal(sealed[account], workspace_id=WORKSPACE, account_id=account)

    # A, B, C opened (A pushed out by C), C kept, A opened again.
    assert decrypts == ["Decrypt"] * 4
