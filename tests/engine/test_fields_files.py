"""The ``file`` field type: type sniffing, limits, names, storage, keeping files."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from formkit import codes, field_context, make_context, make_field

from formflow.engine.context import InMemoryBlobStore, Upload
from formflow.engine.errors import Rejected
from formflow.engine.fields import accepts, field_types, parse_field, sanitize_filename, sniff
from formflow.engine.values import FileRef

PDF = b"%PDF-1.7\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100
GIF = b"GIF89a" + b"x" * 100
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"x" * 100
FILE = {"id": "piece", "type": "file"}


def _zip(entries: dict[str, bytes], stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if stored_first is not None:
            archive.writestr(
                zipfile.ZipInfo("mimetype"), stored_first, compress_type=zipfile.ZIP_STORED
            )
        for name, data in entries.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


ODT = _zip({"content.xml": b"<x/>"}, stored_first="application/vnd.oasis.opendocument.text")
DOCX = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})
XLSX = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
PLAIN_ZIP = _zip({"a.txt": b"hello"})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (b"GIF87a...", "image/gif"),
        (WEBP, "image/webp"),
        (ODT, "application/vnd.oasis.opendocument.text"),
        (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (PLAIN_ZIP, "application/zip"),
        (b"PK\x03\x04 broken", "application/octet-stream"),
        (b"<html><script>", "application/octet-stream"),
        (b"MZ\x90\x00", "application/octet-stream"),  # a Windows executable
        (b"", "application/octet-stream"),
    ],
)
def test_sniff(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


def test_accepts() -> None:
    assert accepts(["image/*"], "image/gif")
    assert not accepts(["image/*"], "application/pdf")
    assert accepts(["application/zip"], "application/vnd.oasis.opendocument.text")
    assert accepts(["application/vnd.oasis.opendocument.text"], sniff(ODT))
    assert not accepts(["application/pdf"], sniff(ODT))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("recu.pdf", "recu.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ana\\recu.pdf", "recu.pdf"),
        ("re\u0301cu.pdf", "récu.pdf"),
        ("recu\x00.pdf", "recu.pdf"),
        ("facture\u202efdp.exe", "facturefdp.exe"),
        ("\ud800x.pdf", "x.pdf"),
        (".htaccess", "htaccess"),
        ("   ", "fichier"),
        ("a  \t b.pdf", "a b.pdf"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
        ("x" * 300, "x" * 200),
    ],
)
def test_sanitize_filename(name: str, expected: str) -> None:
    assert sanitize_filename(name) == expected


def _parse(spec: dict[str, Any], raw: object, **ctx_args: Any) -> tuple[Any, Any]:
    field = make_field(spec)
    ctx = field_context(field, make_context(**ctx_args))
    return parse_field(field, raw, ctx), ctx


def test_an_accepted_upload_is_stored_and_referenced() -> None:
    store = InMemoryBlobStore()
    value, ctx = _parse(FILE, Upload("dossier/Reçu.pdf", PDF), blob_store=store)
    assert value == [
        FileRef(
            value[0].id, "Reçu.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest()
        )
    ]
    assert store.get(value[0].id) == PDF
    assert ctx.files[value[0].id] == value[0]


def test_the_claimed_type_does_not_matter_the_content_does() -> None:
    value, _ = _parse(FILE | {"accept": ["application/pdf"]}, Upload("photo.pdf", PNG))
    assert codes(value) == ["file_type"]
    error = value.errors[0]
    assert error.message_fr.endswith("Formats acceptés : PDF.")


def test_image_wildcard() -> None:
    value, _ = _parse(FILE | {"accept": ["image/*"]}, Upload("a.webp", WEBP))
    assert value[0].content_type == "image/webp"
    refused, _ = _parse(FILE | {"accept": ["image/*"]}, Upload("a.pdf", PDF))
    assert codes(refused) == ["file_type"]
    assert "toute image" in refused.errors[0].message_fr


def test_zip_documents_only_when_accepted() -> None:
    spec = FILE | {"accept": ["application/pdf", "application/zip"]}
    assert _parse(spec, Upload("a.odt", ODT))[0][0].content_type.endswith("opendocument.text")
    assert codes(_parse(FILE, Upload("a.docx", DOCX))[0]) == ["file_type"]


@pytest.mark.parametrize(
    ("spec", "raw", "code"),
    [
        (FILE | {"max_size": "1KB"}, Upload("a.pdf", PDF + b"x" * 1000), "file_too_large"),
        (FILE, Upload("a.pdf", b""), "file_empty"),
        (FILE, [Upload("a.pdf", PDF), Upload("b.pdf", PDF + b"2")], "too_many_files"),
        (FILE, "not-a-known-blob", "invalid"),
        (FILE, 42, "invalid"),
        (FILE, [["nested"]], "invalid"),
        (FILE, Upload("a.exe", b"MZ\x90\x00"), "file_type"),
        (FILE, Upload("", b""), "required"),
        (FILE, None, "required"),
    ],
)
def test_refusals(spec: dict[str, Any], raw: object, code: str) -> None:
    assert codes(_parse(spec, raw)[0]) == [code]


def test_size_message_is_human() -> None:
    value, _ = _parse(FILE | {"max_size": "5MB"}, Upload("a.pdf", PDF + b"x" * 5_000_000))
    assert value.errors[0].message_fr.endswith("5 Mo.")
    assert value.errors[0].message_en.endswith("5 MB.")


def test_nothing_is_stored_when_there_are_too_many_files() -> None:
    store = InMemoryBlobStore()
    _parse(
        FILE | {"max_count": 2},
        [Upload(f"{i}.pdf", PDF + bytes([i])) for i in range(5)],
        blob_store=store,
    )
    assert len(store) == 0


def test_several_files_and_keeping_one_already_uploaded() -> None:
    spec = FILE | {"max_count": 3}
    field = make_field(spec)
    ctx = field_context(field)
    first = parse_field(field, Upload("a.pdf", PDF), ctx)
    again = parse_field(field, [first[0].id, Upload("b.png", PNG), Upload("", b"")], ctx)
    assert [ref.name for ref in again] == ["a.pdf", "b.png"]
    # The same file twice is kept once.
    assert len(parse_field(field, [first[0].id, first[0].id], ctx)) == 1


def test_another_runs_blob_cannot_be_claimed() -> None:
    store = InMemoryBlobStore()
    other = store.put(PDF, "application/pdf")
    value, _ = _parse(FILE, other, blob_store=store)
    assert codes(value) == ["invalid"]


def test_json_round_trip_and_description() -> None:
    spec = FILE | {"max_count": 2, "accept": ["application/pdf", "image/*"]}
    field = make_field(spec)
    value, ctx = _parse(spec, [Upload("a.pdf", PDF), Upload("b.gif", GIF)])
    implementation = field_types["file"]
    data = json.loads(json.dumps(implementation.to_json(field, value)))
    assert implementation.from_json(field, data) == value
    assert implementation.display(field, value, ctx) == "a.pdf, b.gif"
    described = implementation.describe(field, ctx)
    assert described["multiple"] is True
    assert described["max_size"] == 10_000_000
    with pytest.raises(ValueError, match="incomplete"):
        implementation.from_json(field, [{"id": "x"}])
    assert not isinstance(value, Rejected)
