"""formflow.server and the serve/worker/db commands, on a temporary SQLite database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from formflow.cli import main
from formflow.server import Settings, build_app, build_engine, mailer_from
from formflow.storage import SqlStore


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'formflow.db'}",
        environ={
            "FORMFLOW_MAIL_DIR": str(tmp_path / "mail"),
            "FORMFLOW_SECRET_KEY": "k",
            "FORMFLOW_BLOB_DIR": str(tmp_path / "files"),
        },
    )


def test_the_first_start_creates_the_database_and_seeds_the_cards(settings: Settings) -> None:
    engine = build_engine(settings)
    assert isinstance(engine.store, SqlStore)
    records = engine.store.card_records("demo", "modeles-de-bac")
    assert [r["code"] for r in records] == ["om-120", "om-240", "tri-240", "bio-40"]
    # A second start keeps what the database holds.
    engine.store.import_cards("demo", {"modeles-de-bac": [{"code": "x"}]})
    assert build_engine(settings).store.card_records("demo", "modeles-de-bac") == [{"code": "x"}]


def test_the_app_serves_the_demo_site_and_runs_the_worker(settings: Settings) -> None:
    app = build_app(settings)
    with TestClient(app) as client:  # the lifespan starts and stops the worker thread
        page = client.get("/")
        assert page.status_code == 200
        assert "Demander un bac à déchets" in page.text


def test_mail_goes_to_files_without_smtp_and_to_smtp_with_a_url(settings: Settings) -> None:
    engine = build_engine(settings)
    assert type(mailer_from(settings, engine.site)).__name__ == "FileMailer"
    smtp = Settings(environ={"FORMFLOW_SMTP_URL": "smtp://u:p%40ss@mail.example:587?starttls=1"})
    mailer = mailer_from(smtp, engine.site)
    assert type(mailer).__name__ == "SmtpMailer"
    with pytest.raises(ValueError, match="FORMFLOW_SMTP_URL"):
        mailer_from(Settings(environ={"FORMFLOW_SMTP_URL": "http://nope"}), engine.site)


def test_db_upgrade_and_worker_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["db", "upgrade", "--database-url", url]) == 0
    assert re.search(r"database at revision \w+", capsys.readouterr().out)
    assert main(["worker", "--once", "--database-url", url]) == 0
    assert "timers fired: 0, delivered: 0" in capsys.readouterr().out
