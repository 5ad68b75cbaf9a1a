"""`python -m infra.local`'s options: where local mode's emails go, where OAuth logins return,
and where platform credentials come from."""

from pathlib import Path

import pytest

from infra.local.__main__ import (
    DEFAULT_CREDENTIALS,
    DEFAULT_OUTBOX,
    base_url,
    credentials_file,
    main,
    parse_args,
    platform_environment,
    prepare_outbox,
)

ROOT = Path(__file__).resolve().parents[2]


def test_emails_go_to_an_ignored_folder_of_the_repository_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HERALD_MAIL_OUTBOX_DIR", raising=False)

    assert parse_args([]).outbox == DEFAULT_OUTBOX == ROOT / ".local" / "outbox"
    assert ".local/" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_outbox_comes_from_the_option_or_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HERALD_MAIL_OUTBOX_DIR", "/tmp/from-env")

    assert parse_args([]).outbox == Path("/tmp/from-env")
    assert parse_args(["--outbox", "mail"]).outbox == Path("mail")


def test_the_outbox_is_made_absolute_and_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    outbox = prepare_outbox(Path("mail/outbox"))

    assert outbox == tmp_path / "mail" / "outbox"
    assert outbox.is_dir()
    assert prepare_outbox(outbox) == outbox  # already there: fine


def test_an_unusable_outbox_is_reported_before_start_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    assert main(["--port", "0", "--outbox", str(blocker / "outbox")]) == 1
    assert f"Cannot use {blocker / 'outbox'} as the outbox" in capsys.readouterr().err


def test_platform_credentials_are_read_from_an_ignored_file_of_the_repository_when_present(
    tmp_path: Path,
) -> None:
    assert DEFAULT_CREDENTIALS == ROOT / ".local" / "platform-credentials.json"
    present = tmp_path / "platform-credentials.json"
    present.write_text('{"x": {"client_id": "id", "client_secret": "secret"}}')

    assert credentials_file({}, present) == present
    assert credentials_file({}, tmp_path / "missing.json") is None


def test_the_shell_may_name_another_credentials_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.json").write_text("{}")
    default = tmp_path / "default.json"
    default.write_text("{}")

    found = credentials_file({"HERALD_PLATFORM_CREDENTIALS_FILE": "mine.json"}, default)

    assert found == tmp_path / "mine.json"  # made absolute


def test_a_missing_credentials_file_named_by_the_shell_is_reported_before_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    monkeypatch.setenv("HERALD_PLATFORM_CREDENTIALS_FILE", str(missing))

    with pytest.raises(FileNotFoundError, match="HERALD_PLATFORM_CREDENTIALS_FILE"):
        credentials_file({"HERALD_PLATFORM_CREDENTIALS_FILE": str(missing)})
    assert main(["--port", "0", "--outbox", str(tmp_path / "outbox")]) == 1
    assert (
        f"Cannot read the platform credentials: HERALD_PLATFORM_CREDENTIALS_FILE names {missing}"
        in capsys.readouterr().err
    )


def test_functions_read_the_credentials_file_and_never_the_secret_locally(tmp_path: Path) -> None:
    credentials = tmp_path / "platform-credentials.json"

    variables = platform_environment(
        {
            "HERALD_PLATFORM_CREDENTIALS_SECRET": "arn:aws:secretsmanager:placeholder",
            "HERALD_UNSUBSCRIBE_SECRET": "arn:aws:secretsmanager:placeholder",
            "HERALD_AI_API_KEY_SECRET": "arn:aws:secretsmanager:placeholder",
        },
        server_url="http://127.0.0.1:8000",
        credentials=credentials,
    )

    assert variables["HERALD_PLATFORM_CREDENTIALS_FILE"] == str(credentials)
    # The template's secret is a placeholder locally; the functions would prefer it to the file.
    assert variables["HERALD_PLATFORM_CREDENTIALS_SECRET"] == ""
    assert variables["HERALD_UNSUBSCRIBE_SECRET"] == ""  # a random key per process instead
    assert variables["HERALD_AI_API_KEY_SECRET"] == ""  # HERALD_AI_API_KEY from the shell instead
    without = platform_environment({}, server_url="http://127.0.0.1:8000", credentials=None)
    assert without["HERALD_PLATFORM_CREDENTIALS_FILE"] == ""  # sandbox only


def test_oauth_logins_return_to_the_local_server_unless_the_shell_names_another() -> None:
    local = platform_environment({}, server_url="http://127.0.0.1:9000", credentials=None)
    tunnel = platform_environment(
        {"HERALD_API_BASE_URL": "https://herald.example-tunnel.dev"},
        server_url="http://127.0.0.1:9000",
        credentials=None,
    )

    assert local["HERALD_API_BASE_URL"] == "http://127.0.0.1:9000"
    assert tunnel["HERALD_API_BASE_URL"] == "https://herald.example-tunnel.dev"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),  # noqa: S104 (an address, no binding)
        ("192.168.1.20", 9000, "http://192.168.1.20:9000"),
        ("::", 8000, "http://[::1]:8000"),
        ("::1", 8001, "http://[::1]:8001"),
    ],
)
def test_the_local_server_url_is_one_a_browser_can_reach(
    host: str, port: int, expected: str
) -> None:
    assert base_url(host, port) == expected
