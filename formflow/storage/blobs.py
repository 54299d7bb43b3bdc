"""Uploaded files on disk: a content-addressed `BlobStore`.

Answers never hold file contents, only a `formflow.engine.values.FileRef` whose ``id`` is
a blob id; the bytes live in a blob store. `FileSystemBlobStore` is the default one::

    blobs = FileSystemBlobStore("/var/lib/formflow/files")
    blob_id = blobs.put(b"%PDF-1.7 ...", "application/pdf")
    blobs.get(blob_id)          # the bytes; KeyError if unknown

A blob id is the SHA-256 of the content in lowercase hex: the same file uploaded twice
is kept once, and an id names a file under the root and nothing else (anything but 64
hex digits is refused before a path is built, so ``../`` cannot escape the root).
Files are written to a temporary file in the target folder, flushed to disk, then
renamed into place: a crash leaves either the whole file or none, never half of one.
The content type is not kept here: the `FileRef` in the answers and the
``formflow_attachments`` table already record it, from the content itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["FileSystemBlobStore"]

_BLOB_ID: Final = re.compile(r"[0-9a-f]{64}")


class FileSystemBlobStore:
    """A `formflow.engine.context.BlobStore` in a folder: ``root/ab/abcdef…`` per blob.

    The folder is created on the first `put`, not before: configuring a store writes
    nothing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path(self, blob_id: str) -> Path:
        """Where ``blob_id`` is (or would be) kept; `KeyError` for an id that is not one."""
        if not _BLOB_ID.fullmatch(blob_id):
            raise KeyError(blob_id)
        # 256 sub-folders keep each one small enough to list.
        return self.root / blob_id[:2] / blob_id

    def put(self, data: bytes, content_type: str) -> str:
        """Store ``data`` durably and return its id (its SHA-256)."""
        blob_id = hashlib.sha256(data).hexdigest()
        target = self.path(blob_id)
        if target.exists():
            return blob_id  # same content, same id: already there
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        _fsync_dir(target.parent)
        return blob_id

    def get(self, blob_id: str) -> bytes:
        """The content of ``blob_id``; `KeyError` if there is none."""
        try:
            return self.path(blob_id).read_bytes()
        except FileNotFoundError:
            raise KeyError(blob_id) from None

    def __contains__(self, blob_id: object) -> bool:
        try:
            return isinstance(blob_id, str) and self.path(blob_id).is_file()
        except KeyError:
            return False

    def delete(self, blob_id: str) -> None:
        """Forget a blob (once no case or draft refers to it); unknown ids are ignored."""
        with contextlib.suppress(FileNotFoundError):
            self.path(blob_id).unlink()


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk too.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
