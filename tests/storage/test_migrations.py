"""Alembic migrations: they create exactly `schema.metadata`, once, and ship in the package."""

from __future__ import annotations

import importlib.resources
import io
import threading
import uuid
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from storage_env import POSTGRES_URL, SQL_KINDS

from formflow.storage import current_revision, upgrade
from formflow.storage.database import create_engine_from_url
from formflow.storage.migrate import VERSION_TABLE, alembic_config, head_revision
from formflow.storage.schema import metadata

TABLES = {
    "formflow_attachments",
    "formflow_cards",
    "formflow_cases",
    "formflow_drafts",
    "formflow_history",
    "formflow_outbox",
    "formflow_timers",
}


@pytest.fixture(params=SQL_KINDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/empty.db"
        return
    assert POSTGRES_URL is not None
    schema = f"formflow_mig_{uuid.uuid4().hex[:12]}"
    admin = create_engine_from_url(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine_from_url(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _differences(url: str, target: sa.MetaData = metadata) -> list[object]:
    engine = create_engine_from_url(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_upgrade_creates_the_schema_of_the_metadata(empty_url: str) -> None:
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert _tables(empty_url) == {*TABLES, VERSION_TABLE}
    assert current_revision(empty_url) == head_revision() == "0001"
    assert _differences(empty_url) == []


def test_the_comparison_would_see_a_difference(empty_url: str) -> None:
    upgrade(empty_url)
    changed = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["formflow_cases"].append_column(sa.Column("extra", sa.Integer()))
    assert [d[0] for d in _differences(empty_url, changed)] == ["add_column"]  # type: ignore[index]


def test_upgrading_twice_changes_nothing(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create_engine_from_url(empty_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO formflow_cards (site, card, record) VALUES ('v', 'c', '{}')")
        )
    upgrade(empty_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM formflow_cards")).scalar() == 1
    engine.dispose()
    assert current_revision(empty_url) == "0001"


def test_processes_starting_together_migrate_once(empty_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(empty_url)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert current_revision(empty_url) == "0001"


def test_downgrade_removes_the_tables(empty_url: str) -> None:
    upgrade(empty_url)
    engine = create_engine_from_url(empty_url)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    engine.dispose()
    assert _tables(empty_url) == {VERSION_TABLE}
    upgrade(empty_url)
    assert _tables(empty_url) == {*TABLES, VERSION_TABLE}


def test_alembic_can_also_connect_by_url_or_write_sql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/by-url.db"
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")
    assert current_revision(url) == "0001"
    out = io.StringIO()
    config.output_buffer = out
    with redirect_stdout(out):
        command.upgrade(config, "base:head", sql=True)
    assert "CREATE TABLE formflow_cases" in out.getvalue()


def test_the_migrations_ship_inside_the_package() -> None:
    folder = importlib.resources.files("formflow.storage") / "migrations"
    for name in ("env.py", "script.py.mako", "versions/0001_initial.py"):
        assert (folder / name).is_file(), name
    # Not a package: importing formflow.* never runs env.py by accident.
    assert not (folder / "__init__.py").is_file()
