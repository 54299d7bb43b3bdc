"""Processes that submit cases until killed; run by test_crash.py.

``python crash_child.py URL`` imports formflow and the circuit procedure once, prints
``ready``, then forks one submitting process per ``go`` line read on stdin (a fork
starts in milliseconds, where a new interpreter takes two seconds: the test can kill
many more processes in its time). Each forked process prints ``started <pid>``, opens
its own `SqlStore` and submits cases in a loop, printing ``<case id> <tracking code>``
once `Engine.submit` has returned, that is after the commit. A line the test read is a
submission the citizen was told about.

The forking process opens no database connection itself: a connection must never be
shared across a fork.
"""

from __future__ import annotations

import os
import signal
import sys

import storage_env  # noqa: F401 - before circuit: puts tests/engine on sys.path
from circuit import ANSWERS, CARD, CITIZEN, FORM, SITE, WORKFLOW

from formflow.catalog import Site, load_catalog, load_site
from formflow.engine.core import Engine
from formflow.storage import SqlStore, create_engine_from_url

__all__ = ["main", "say", "submit_until_killed"]


def say(line: str) -> None:
    """Write ``line`` in one system call: whole lines, whatever else shares the pipe.

    ``print`` makes a call per argument and one for the newline when Python runs
    unbuffered (PYTHONUNBUFFERED), and lines of several processes would interleave.
    """
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def submit_until_killed(site: Site, url: str) -> None:
    say(f"started {os.getpid()}")
    engine = Engine(site, SqlStore(url))
    count = 0
    while True:
        token = f"{os.getpid()}-{count}"
        case = engine.submit("demande-test", ANSWERS, CITIZEN, token=token)
        say(f"{case.id} {case.tracking_code}")
        count += 1


def main(url: str) -> None:
    files = {
        "workflows/circuit.yaml": WORKFLOW,
        "forms/demande-test.yaml": FORM,
        "cards/salles.yaml": CARD,
    }
    site = load_site(SITE, load_catalog(files))
    # Creating an engine imports the database driver (psycopg takes a while) and connects
    # to nothing: the forked processes start submitting sooner.
    create_engine_from_url(url).dispose()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed children reap themselves
    say("ready")
    for line in sys.stdin:
        if line.strip() != "go":
            continue
        if os.fork() == 0:
            try:
                submit_until_killed(site, url)
            finally:
                os._exit(1)  # only reached on an error: never run the parent's loop


if __name__ == "__main__":
    main(sys.argv[1])
