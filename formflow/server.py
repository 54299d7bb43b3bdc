"""The bundled server: a site, its store, its mail, and the worker, from settings.

`formflow serve` and `formflow worker` build everything here from a `Settings`
read from the command line and the environment:

=============================  ==========================================================
``FORMFLOW_DATABASE_URL``      SQLAlchemy URL; default ``sqlite:///formflow.db``
``FORMFLOW_SECRET_KEY``        signs session cookies; random (sessions end at restart) if unset
``FORMFLOW_BASE_URL``          public URL of the site, for links in e-mails
``FORMFLOW_SMTP_URL``          ``smtp://user:password@host:587?starttls=1`` (or
                               ``smtps://``); without it, e-mails are written as ``.eml``
                               files in ``FORMFLOW_MAIL_DIR`` (default ``formflow-mail/``)
``FORMFLOW_MAIL_FROM``         sender address; default: the site's contact e-mail
``FORMFLOW_HTTPS``             ``1`` behind HTTPS: session cookies get ``Secure``
=============================  ==========================================================
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import urllib.parse
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from formflow.catalog import Site, load_catalog, load_site
from formflow.delivery import (
    FileMailer,
    InMemoryNotifier,
    Mailer,
    SmtpMailer,
    StaticDirectory,
    WebhookSender,
)
from formflow.engine.core import Engine
from formflow.loaders import bundled_catalog
from formflow.storage import SqlStore, default_url, upgrade
from formflow.web import create_app
from formflow.worker import Worker

__all__ = ["Settings", "build_app", "build_engine", "build_worker", "mailer_from"]

log = logging.getLogger("formflow.server")


@dataclass(frozen=True)
class Settings:
    """Where the catalogue, the site and the database are, and how to send mail."""

    catalog: str | None = None
    site: str = "demo"
    database_url: str | None = None
    #: Run the worker loop inside the web process (the embedded default).
    worker_in_process: bool = True
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings `formflow serve` hands to its worker processes."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            catalog=env.get("FORMFLOW_CATALOG") or None,
            site=env.get("FORMFLOW_SITE") or "demo",
            database_url=env.get("FORMFLOW_DATABASE_URL") or None,
            worker_in_process=env.get("FORMFLOW_WORKER_IN_PROCESS", "1") == "1",
            environ=env,
        )

    def to_environ(self) -> dict[str, str]:
        return {
            "FORMFLOW_CATALOG": self.catalog or "",
            "FORMFLOW_SITE": self.site,
            "FORMFLOW_DATABASE_URL": self.database_url or "",
            "FORMFLOW_WORKER_IN_PROCESS": "1" if self.worker_in_process else "0",
        }


def load(settings: Settings) -> Site:
    """The site of ``settings``, with every problem of its files reported at once."""
    catalog = load_catalog(settings.catalog if settings.catalog else bundled_catalog())
    return load_site(settings.site, catalog)


def build_engine(settings: Settings) -> Engine:
    """The engine of the configured site on its database, migrated to the latest schema."""
    site = load(settings)
    url = settings.database_url or default_url()
    upgrade(url)  # the first run creates the database; later runs change nothing
    store = SqlStore(url)
    slug = site.definition.slug
    # The site file seeds its cards once; afterwards the database is the reference
    # (workflows and agents change records), so a restart must not overwrite them.
    missing = {
        card: records
        for card, records in site.definition.cards.items()
        if not store.card_records(slug, card)
    }
    if missing:
        store.import_cards(slug, missing)
    engine = Engine(site, store, base_url=settings.environ.get("FORMFLOW_BASE_URL", ""))
    engine.check_statuses()
    return engine


def mailer_from(settings: Settings, site: Site) -> Mailer:
    """SMTP from ``FORMFLOW_SMTP_URL``, else ``.eml`` files in ``FORMFLOW_MAIL_DIR``."""
    env = settings.environ
    sender = env.get("FORMFLOW_MAIL_FROM") or site.definition.contact.email or "formflow@localhost"
    url = env.get("FORMFLOW_SMTP_URL")
    if not url:
        return FileMailer(env.get("FORMFLOW_MAIL_DIR") or "formflow-mail", sender)
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("FORMFLOW_SMTP_URL must look like smtp://user:password@host:587")
    query = urllib.parse.parse_qs(parts.query)
    return SmtpMailer(
        parts.hostname,
        parts.port or (465 if parts.scheme == "smtps" else 25),
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        ssl=parts.scheme == "smtps",
        starttls=query.get("starttls", ["0"])[0] == "1",
        sender=sender,
    )


def build_worker(engine: Engine, settings: Settings) -> Worker:
    """The outbox and timer worker for ``engine``.

    Agents' e-mail addresses come with agent accounts; until then a message to a role
    is kept as failed ("no agent e-mail for role …"), visible on the case.
    """
    return Worker(
        engine,
        mailer=mailer_from(settings, engine.site),
        webhooks=WebhookSender(),
        notifier=InMemoryNotifier(),
        directory=StaticDirectory({}),
        environ=settings.environ,
    )


def build_app(settings: Settings | None = None) -> Any:
    """The ASGI app `formflow serve` runs (a factory: uvicorn calls it in each worker)."""
    settings = settings or Settings.from_environ()
    engine = build_engine(settings)
    blob_store = engine.store.blobs if isinstance(engine.store, SqlStore) else None
    app = create_app(
        engine,
        blob_store=blob_store,
        https_only=settings.environ.get("FORMFLOW_HTTPS") == "1",
    )
    if settings.worker_in_process:
        return _WithWorker(app, build_worker(engine, settings))
    return app


class _WithWorker:
    """Runs the worker loop in a thread for as long as the server runs."""

    def __init__(self, app: Any, worker: Worker, interval: float = 5.0) -> None:
        self.app = app
        self.worker = worker
        self.interval = interval
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        async with self._running():
            await self.app(scope, receive, send)

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = threading.Thread(
            target=self.worker.run_forever,
            args=(stop, self.interval),
            name="formflow-worker",
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)
