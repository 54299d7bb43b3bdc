"""FileSystemBlobStore: content-addressed, atomic, durable, and no way out of its folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from formflow.engine.context import BlobStore
from formflow.storage import FileSystemBlobStore


@pytest.fixture
def blobs(tmp_path: Path) -> FileSystemBlobStore:
    return FileSystemBlobStore(tmp_path / "files")


def test_it_is_a_blob_store(blobs: FileSystemBlobStore) -> None:
    assert isinstance(blobs, BlobStore)


def test_a_blob_reads_back_under_its_sha256(blobs: FileSystemBlobStore) -> None:
    data = b"%PDF-1.7 \x00\xff" * 1000
    blob_id = blobs.put(data, "application/pdf")
    assert blob_id == hashlib.sha256(data).hexdigest()
    assert blobs.get(blob_id) == data
    assert blob_id in blobs
    assert blobs.path(blob_id) == blobs.root / blob_id[:2] / blob_id


def test_the_same_content_is_kept_once(blobs: FileSystemBlobStore) -> None:
    assert blobs.put(b"abc", "text/plain") == blobs.put(b"abc", "application/octet-stream")
    assert [p.name for p in blobs.root.rglob("*") if p.is_file()] == [
        hashlib.sha256(b"abc").hexdigest()
    ]


def test_no_temporary_file_is_left_behind(blobs: FileSystemBlobStore) -> None:
    for i in range(5):
        blobs.put(bytes([i]) * 10, "application/octet-stream")
    assert not list(blobs.root.rglob(".upload-*"))


def test_a_failed_write_leaves_nothing(
    blobs: FileSystemBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken)
    with pytest.raises(OSError, match="disk full"):
        blobs.put(b"data", "text/plain")
    assert [p for p in blobs.root.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    "bad",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "a" * 63,
        "A" * 64,
        "a" * 64 + "/..",
        "..",
        "",
        "a" * 62 + "/x",
    ],
)
def test_ids_that_are_not_sha256_never_become_paths(blobs: FileSystemBlobStore, bad: str) -> None:
    with pytest.raises(KeyError):
        blobs.get(bad)
    with pytest.raises(KeyError):
        blobs.path(bad)
    assert bad not in blobs


def test_unknown_blobs(blobs: FileSystemBlobStore) -> None:
    with pytest.raises(KeyError):
        blobs.get("0" * 64)
    assert "0" * 64 not in blobs
    assert 42 not in blobs
    blobs.delete("0" * 64)  # nothing to forget


def test_a_deleted_blob_is_gone(blobs: FileSystemBlobStore) -> None:
    blob_id = blobs.put(b"x", "text/plain")
    blobs.delete(blob_id)
    assert blob_id not in blobs
    with pytest.raises(KeyError):
        blobs.get(blob_id)


def test_the_folder_is_made_on_the_first_upload(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b"
    blobs = FileSystemBlobStore(root)
    assert not root.exists()
    blobs.put(b"x", "text/plain")
    assert root.is_dir()
