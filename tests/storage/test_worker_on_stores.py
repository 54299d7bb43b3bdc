"""Two workers deliver one outbox, on every store (PostgreSQL when configured):
each message reaches a local HTTP server exactly once, each e-mail the local SMTP
server once."""

from __future__ import annotations

import threading

import pytest
from test_worker import (  # noqa: F401 - fixtures and helpers of the worker's own tests
    Clock,
    HookServer,
    MailSink,
    MakeWorker,
    clock,
    enqueue,
    hooks,
    make_worker,
    site,
    smtp,
    stored,
    webhook,
)

from formflow.catalog import Site
from formflow.engine.core import Engine
from formflow.engine.store import Store
from formflow.worker import Report, Worker

pytest_plugins = ["storage_support"]


@pytest.fixture
def engine(site: Site, clock: Clock, store: Store) -> Engine:
    return Engine(site, store, clock=clock, base_url="https://ville.example")


def _drain_in_two_workers(make_worker: MakeWorker) -> list[Report]:
    workers = [make_worker(batch_size=3), make_worker(batch_size=3)]
    start = threading.Barrier(2)
    reports: list[Report] = []

    def drain(worker: Worker) -> None:
        start.wait()
        while (report := worker.run_once()).claimed:
            reports.append(report)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return reports


def test_two_workers_deliver_each_webhook_once(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer
) -> None:
    messages = [enqueue(engine, "webhook", webhook(hooks.url)) for _ in range(30)]
    reports = _drain_in_two_workers(make_worker)
    keys = sorted(r.headers["Idempotency-Key"] for r in hooks.requests)
    assert keys == sorted(m.idempotency_key for m in messages)
    assert sum(r.delivered for r in reports) == 30
    assert {stored(engine, m).state for m in messages} == {"delivered"}


def test_two_workers_send_each_email_once(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink
) -> None:
    payload = {"to": ["ana@example.org"], "subject": "Reçu", "body": "Bonjour", "reply_to": None}
    messages = [enqueue(engine, "email", dict(payload)) for _ in range(12)]
    _drain_in_two_workers(make_worker)
    assert len(smtp.accepted) == 12
    ids = sorted(mail["Message-ID"] for _, mail in smtp.accepted)
    assert len(set(ids)) == 12
    assert {stored(engine, m).state for m in messages} == {"delivered"}
