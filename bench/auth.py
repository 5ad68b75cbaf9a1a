"""Sign-in and token-verification cost, measured locally against moto in the same process.

Prints medians of:
- login: `POST /v1/auth/login` through the auth app (routing, validation, argon2id verification,
  lockout and throttle bookkeeping, session write, KMS signing), for a known address with the
  right password, a known address with a wrong one, and an unknown address: the last two should
  match, which is what keeps sign-in from telling which addresses have accounts;
- password reset request for a known and an unknown address (both held to the uniform floor);
- token verification per request: the ES256 signature and claims alone, and the whole
  `principal_for` (signature plus the consistent session read, here from moto).

moto answers in-process, so the DynamoDB and KMS parts are cheaper than over a network; argon2
and signature work are what they are. Usage: `python bench/auth.py [--runs N]`.
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.moto_environment import use_moto_environment  # noqa: E402

use_moto_environment()

import boto3  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from moto import mock_aws  # noqa: E402

from functions.shared.auth import principal_for, verify_access_token  # noqa: E402
from functions.shared.settings import get_settings  # noqa: E402
from functions.shared.tables import AppItem  # noqa: E402

PASSWORD = "violet-harbour-kettle-42"  # noqa: S105 (a benchmark account's password)


def _median_ms(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def _sign_up(client: TestClient, email: str) -> None:
    from email import message_from_bytes

    client.post("/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Bench"})
    outbox = Path(get_settings().mail_outbox_dir)
    message = message_from_bytes(sorted(outbox.glob("*verify_email.eml"))[-1].read_bytes())
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    token = body.decode().split("?token=")[1].split()[0]
    client.post("/v1/auth/email/verify", json={"token": token})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=25)
    runs = parser.parse_args().runs

    with mock_aws():
        AppItem.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
            "KeyId"
        ]
        kms.create_alias(AliasName=get_settings().jwt_signing_key_id, TargetKeyId=key_id)
        from functions.auth.app import app

        # A fresh client address per measurement series keeps the per-IP limit out of the way.
        def client(series: int) -> TestClient:
            return TestClient(app, client=(f"203.0.113.{series}", 40000))

        _sign_up(client(1), "bench@example.com")
        addresses = iter(range(10, 250))

        def login(email: str, password: str) -> Callable[[], object]:
            def attempt() -> object:
                # A new address each time: the lockout counter never builds up.
                return client(next(addresses)).post(
                    "/v1/auth/login", json={"email": email, "password": password}
                )

            return attempt

        figures = {
            "login, right password": _median_ms(login("bench@example.com", PASSWORD), runs),
        }
        # Wrong passwords count toward the lockout: keep below its threshold per series.
        # Unknown addresses lock alike, so each series uses an address of its own.
        wrong = []
        unknown = []
        for series in range(max(1, runs // 4)):
            wrong.append(_median_ms(login("bench@example.com", "not-the-password"), 4))
            unknown.append(_median_ms(login(f"nobody-{series}@example.com", "not-the-password"), 4))
            client(1).post(
                "/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD}
            )  # a success clears the failure count
        figures["login, wrong password"] = statistics.median(wrong)
        figures["login, unknown address"] = statistics.median(unknown)

        reset_client = client(2)
        figures["reset request, known address"] = _median_ms(
            lambda: reset_client.post(
                "/v1/auth/password/reset", json={"email": "bench@example.com"}
            ),
            min(runs, 9),
        )
        reset_client = client(3)
        figures["reset request, unknown address"] = _median_ms(
            lambda: reset_client.post(
                "/v1/auth/password/reset", json={"email": "nobody@example.com"}
            ),
            min(runs, 9),
        )

        token = (
            client(4)
            .post("/v1/auth/login", json={"email": "bench@example.com", "password": PASSWORD})
            .json()["access_token"]
        )
        verify_runs = runs * 40
        figures["token verification: signature and claims"] = _median_ms(
            lambda: verify_access_token(token), verify_runs
        )
        figures["token verification: with session check (moto)"] = _median_ms(
            lambda: principal_for(token), verify_runs
        )

    print(f"auth: medians over {runs} logins, {verify_runs} verifications (moto in-process)")
    for name, value in figures.items():
        print(f"{name:<50} {value:8.2f} ms")


if __name__ == "__main__":
    main()
