"""Migrations of definition files from older formats to the current one.

Each file carries ``format: N``. When formflow reads a file of an older format it
applies, in order, the migration from each version to the next before validation,
so catalogues written for an older formflow keep loading. A migration is a pure
function from plain data to plain data, registered in `MIGRATIONS` under the version
it upgrades *from*; it never drops information it cannot convert without saying so.

Format 1 is the first format: there is nothing to migrate yet. The mechanism is in
place so that format 2 adds one function and one test that loads frozen format-1
files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from formflow.definitions.common import FORMAT_VERSION

__all__ = ["MIGRATIONS", "Kind", "migrate"]

#: The four file kinds.
Kind = str
Migration = Callable[[Kind, dict[str, Any]], dict[str, Any]]

#: ``{from_version: migration}``; ``MIGRATIONS[1]`` would upgrade format 1 to 2.
MIGRATIONS: dict[int, Migration] = {}


def migrate(kind: Kind, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Bring ``data`` to the current format.

    Returns the data and, when it cannot be migrated, a message saying why (the
    data is then returned unchanged, for validation to report the rest).
    """
    version = data.get("format", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        return data, f"format must be a whole number, got {version!r}"
    if version > FORMAT_VERSION:
        return data, (
            f"format {version} is newer than this formflow understands "
            f"(up to {FORMAT_VERSION}); upgrade formflow"
        )
    if version < 1:
        return data, f"format {version} does not exist; the first format is 1"
    while version < FORMAT_VERSION:
        data = MIGRATIONS[version](kind, data)
        version += 1
        data["format"] = version
    return data, None
