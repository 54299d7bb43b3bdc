"""Fixtures of the storage tests: one store per kind of database, each test on a clean one.

Loaded by the test modules with ``pytest_plugins = ["storage_support"]`` rather than
from a ``tests/storage/conftest.py``: the tests have no ``__init__.py``, so every
conftest is the module ``conftest``, and a second one would shadow ``tests/conftest.py``
for the modules that do ``from conftest import ROOT``.

Kinds: ``memory`` (`InMemoryStore`), ``sqlite`` (a `SqlStore` on a file migrated with
`upgrade`; each test gets a copy of one migrated file) and ``postgres``, when
``FORMFLOW_TEST_DATABASE_URL`` is set: the session migrates a schema of its own
(``search_path`` in the URL), empties its tables before each test and drops it at the
end, so the database named by the URL is left as it was.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from storage_env import POSTGRES_URL, STORE_KINDS

from formflow.engine.store import InMemoryStore, Store
from formflow.storage import FileSystemBlobStore, SqlStore, upgrade
from formflow.storage.database import create_engine_from_url
from formflow.storage.schema import metadata

__all__ = [
    "Databases",
    "databases",
    "make_store",
    "store",
    "store_kind",
]

StoreFactory = Callable[..., Store]


class Databases:
    """Clean, migrated databases for the session: `fresh` hands one out."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._template: Path | None = None
        self._postgres: str | None = None
        self._schema: str | None = None
        self._cleaner: Engine | None = None

    def fresh(self, kind: str) -> str:
        """The URL of an empty, migrated database of ``kind`` (sqlite, postgres)."""
        if kind == "sqlite":
            return self._fresh_sqlite()
        if kind == "postgres":
            return self._fresh_postgres()
        raise ValueError(kind)

    def _fresh_sqlite(self) -> str:
        if self._template is None:
            template = self.root / "template.db"
            upgrade(f"sqlite:///{template}")
            self._template = template
        # Migrating once and copying the file is ten times faster than migrating each time.
        copy = self.root / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self._template, copy)
        return f"sqlite:///{copy}"

    def _fresh_postgres(self) -> str:
        if POSTGRES_URL is None:
            pytest.skip("FORMFLOW_TEST_DATABASE_URL is not set")
        if self._postgres is None:
            self._schema = f"formflow_test_{uuid.uuid4().hex[:12]}"
            with self._admin().begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{self._schema}"'))
            self._postgres = self.schema_url(self._schema)
            upgrade(self._postgres)
            self._cleaner = create_engine_from_url(self._postgres, poolclass=NullPool)
        assert self._cleaner is not None
        # DELETE, not TRUNCATE: on a few rows it is ten times faster.
        with self._cleaner.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        return self._postgres

    def _admin(self) -> Engine:
        assert POSTGRES_URL is not None
        return create_engine_from_url(POSTGRES_URL, poolclass=NullPool)

    @staticmethod
    def schema_url(schema: str) -> str:
        """``FORMFLOW_TEST_DATABASE_URL`` with ``schema`` first on the search path."""
        assert POSTGRES_URL is not None
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        if self._cleaner is not None:
            self._cleaner.dispose()
        if self._schema is not None:
            with self._admin().begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{self._schema}" CASCADE'))


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    found = Databases(tmp_path_factory.mktemp("databases"))
    yield found
    found.close()


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(store_kind: str, databases: Databases, tmp_path: Path) -> Iterator[StoreFactory]:
    """``make_store(cards=…)``: a store of this test's kind; SQL stores share one database.

    Several stores on one database are what several processes would have: their own
    connections and pools.
    """
    url = None if store_kind == "memory" else databases.fresh(store_kind)
    made: list[SqlStore] = []

    def make(cards: Mapping[str, Mapping[str, list[dict[str, Any]]]] | None = None) -> Store:
        if url is None:
            return InMemoryStore(cards=cards)
        sql = SqlStore(url, blobs=FileSystemBlobStore(tmp_path / "blobs"))
        for site, by_card in (cards or {}).items():
            sql.import_cards(site, by_card)
        made.append(sql)
        return sql

    yield make
    for sql in made:
        sql.close()


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store()
