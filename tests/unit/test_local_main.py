"""`python -m infra.local`'s options: where local mode's emails go."""

from pathlib import Path

import pytest

from infra.local.__main__ import DEFAULT_OUTBOX, main, parse_args, prepare_outbox

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
