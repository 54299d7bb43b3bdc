"""What the storage tests run on, and ``sys.path`` for the circuit catalogue of tests/engine.

Imported with a plain ``import storage_env`` before ``circuit`` or the workflow tests:
pytest only puts a test file's own folder on the path. Not a plugin, so test modules may
import it (importing `storage_support`, a plugin, would defeat its assertion rewriting).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["ENGINE_TESTS", "POSTGRES_URL", "SQL_KINDS", "STORE_KINDS"]

ENGINE_TESTS = str(Path(__file__).resolve().parent.parent / "engine")
if ENGINE_TESTS not in sys.path:
    sys.path.insert(0, ENGINE_TESTS)

#: A PostgreSQL database the tests may use (they work in a schema of their own).
POSTGRES_URL = os.environ.get("FORMFLOW_TEST_DATABASE_URL")
SQL_KINDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]
STORE_KINDS = ["memory", *SQL_KINDS]
