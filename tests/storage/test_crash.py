"""Killing submitting processes with SIGKILL loses no acknowledged case and half-writes none.

Processes submit cases in a loop on one database (crash_child.py), printing each case
once `Engine.submit` has returned. Three at a time, each is killed with SIGKILL at a
random moment and replaced: 60 kills, in 20 seconds at most. Then every acknowledged
case must be there and complete (case row, history, outbox messages, timer), and no
case in the database may be incomplete, acknowledged or not. On SQLite, and on
PostgreSQL when FORMFLOW_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from storage_env import SQL_KINDS

from formflow.engine.store import CaseQuery, Store
from formflow.storage import SqlStore
from formflow.storage.schema import cases, history, outbox, timers

pytest_plugins = ["storage_support"]

CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 60
AT_ONCE = 3
BUDGET_SECONDS = 20.0
#: How long a process submits before it is killed, in seconds.
LIFETIME = (0.01, 0.5)


@pytest.fixture(params=SQL_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Outcome:
    kills: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def _kill_loop(url: str, seed: int, workdir: Path) -> Outcome:
    outcome = Outcome()
    errors = (workdir / "stderr.txt").open("w")
    forker = subprocess.Popen(
        [sys.executable, str(CHILD), url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        cwd=workdir,
    )
    assert forker.stdin is not None
    assert forker.stdout is not None
    assert forker.stdout.readline() == "ready\n", (workdir / "stderr.txt").read_text()
    started: queue.Queue[int] = queue.Queue()
    lines: list[str] = []

    def read(stream: object) -> None:
        # Every process writes whole lines in one write: lines never interleave.
        for line in stream:  # type: ignore[attr-defined]
            if line.startswith("started "):
                started.put(int(line.split()[1]))
            else:
                lines.append(line)

    reader = threading.Thread(target=read, args=(forker.stdout,))
    reader.start()
    go = threading.Lock()
    deadline = time.monotonic() + BUDGET_SECONDS
    begin = time.monotonic()

    def lane(kills: int, rng: random.Random) -> None:
        for _ in range(kills):
            if time.monotonic() > deadline:
                return
            with go:
                forker.stdin.write("go\n")  # type: ignore[union-attr]
                forker.stdin.flush()  # type: ignore[union-attr]
            pid = started.get(timeout=30)
            time.sleep(rng.uniform(*LIFETIME))
            os.kill(pid, signal.SIGKILL)
            with go:
                outcome.kills += 1

    rng = random.Random(seed)
    lanes = [
        threading.Thread(
            target=lane,
            args=(KILLS // AT_ONCE + (i < KILLS % AT_ONCE), random.Random(rng.random())),
        )
        for i in range(AT_ONCE)
    ]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    outcome.seconds = time.monotonic() - begin
    forker.stdin.close()
    forker.wait(timeout=30)
    reader.join(timeout=30)  # ends when the last killed process has closed the pipe
    forker.stdout.close()
    errors.close()
    assert (workdir / "stderr.txt").read_text() == ""  # no process failed on its own
    for line in lines:
        case_id, code = line.split()
        outcome.acknowledged[case_id] = code
    return outcome


def _check_complete(store: SqlStore, outcome: Outcome) -> int:
    """Every acknowledged case complete, and no incomplete case at all; returns the count."""
    for case_id, code in outcome.acknowledged.items():
        case = store.get(case_id)
        assert case.tracking_code == code
        assert [e.event for e in case.history] == ["submit"]
        assert len(store.messages(case_id)) == 2
        assert [t.kind for t in store.timers(case_id)] == ["timeout"]
    everything = store.cases(CaseQuery(limit=1_000_000))
    assert set(outcome.acknowledged) <= {c.id for c in everything}
    # Whole-table counts: a case without its history, messages or timer, or a row
    # without its case, would show here.
    with store.engine.connect() as conn:
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in (cases, history, outbox, timers)
        }
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    n = len(everything)
    assert counts == {
        "formflow_cases": n,
        "formflow_history": n,
        "formflow_outbox": 2 * n,
        "formflow_timers": n,
    }
    return n


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="the test forks submitting processes")
def test_sigkill_loses_no_acknowledged_submission(
    make_store: Callable[..., Store], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store()
    assert isinstance(store, SqlStore)
    url = store.engine.url.render_as_string(hide_password=False)
    seed = random.randrange(2**32)
    outcome = _kill_loop(url, seed, tmp_path)
    assert outcome.kills >= AT_ONCE, "the machine is too slow to kill anything in time"
    assert outcome.acknowledged, "no submission was acknowledged before a kill"
    stored = _check_complete(store, outcome)
    with capsys.disabled():
        print(
            f"\n[{store.engine.dialect.name}] seed {seed}: {outcome.kills} kills in "
            f"{outcome.seconds:.1f} s, {len(outcome.acknowledged)} acknowledged cases "
            f"verified, {stored} stored ({stored - len(outcome.acknowledged)} committed "
            "but killed before acknowledging)"
        )
