"""The ``file`` field type: uploads checked by content, kept in a `BlobStore`.

The type a client claims is ignored: the first bytes say what a file is, from a
small explicit table (PDF, PNG, JPEG, GIF, WebP, and zip containers: OpenDocument
and Office Open XML documents). A file is refused when its real type is not in the
field's ``accept`` (``image/*`` accepts any image; ``application/zip`` accepts the
zip-based documents), when it is larger than ``max_size``, or when there are more
than ``max_count``. The answer is a list of `FileRef`; the bytes stay in the store.

Example::

    >>> sniff(b"%PDF-1.7 ...")
    'application/pdf'
    >>> sanitize_filename("C:\\\\Users\\\\ana\\\\re\\u0301cu.pdf")
    'récu.pdf'
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from formflow.definitions.forms import FileField
from formflow.engine.context import Upload
from formflow.engine.errors import Localized, Reject
from formflow.engine.fields.base import FieldContext, FieldType, RawValue
from formflow.engine.values import FileRef

__all__ = [
    "FileType",
    "accepts",
    "file_ref_from_json",
    "file_ref_to_json",
    "sanitize_filename",
    "sniff",
]

_MAGIC: Final = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_ZIP: Final = "application/zip"
_OOXML: Final = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ODF_PREFIX: Final = "application/vnd.oasis.opendocument."
_FILENAME_MAX: Final = 200
# Short names for the accepted-types message: people know "PDF", not "application/pdf".
_SHORT_NAMES: Final = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WebP",
    _ZIP: "ZIP",
}


def sniff(data: bytes) -> str:
    """The type of ``data`` from its first bytes; ``application/octet-stream`` if unknown.

    >>> sniff(b"RIFF\\x00\\x00\\x00\\x00WEBPVP8 ")
    'image/webp'
    """
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"PK\x03\x04":
        return _zip_type(data)
    return "application/octet-stream"


def _zip_type(data: bytes) -> str:
    # Only the central directory is read (and one tiny stored entry): nothing is
    # decompressed, so a zip bomb costs no more than its own size.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.compress_type == zipfile.ZIP_STORED and info.file_size <= 100:
                    with archive.open(info) as entry:
                        declared = entry.read(101).decode("ascii", "replace").strip()
                    if declared.startswith(_ODF_PREFIX) and declared.isprintable():
                        return declared
            if "[Content_Types].xml" in names:
                for prefix, content_type in _OOXML.items():
                    if any(name.startswith(prefix) for name in names):
                        return content_type
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError):
        return "application/octet-stream"
    except (NotImplementedError, RuntimeError):  # encrypted or unusual entries
        return _ZIP
    return _ZIP


def _is_zip_family(content_type: str) -> bool:
    return content_type == _ZIP or content_type.startswith(
        (_ODF_PREFIX, "application/vnd.openxmlformats-officedocument.")
    )


def accepts(accept: list[str], content_type: str) -> bool:
    """Whether a file of ``content_type`` fits ``accept``.

    >>> accepts(["image/*"], "image/webp"), accepts(["application/pdf"], "image/png")
    (True, False)
    """
    if content_type in accept or f"{content_type.split('/')[0]}/*" in accept:
        return True
    return _is_zip_family(content_type) and _ZIP in accept


def sanitize_filename(name: str) -> str:
    """A file name safe to store and show: no directories, no control or bidi
    characters, NFC, no leading dots, at most 200 characters (the extension kept).

    >>> sanitize_filename("../../etc/passwd"), sanitize_filename("")
    ('passwd', 'fichier')
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1][-1000:]
    name = unicodedata.normalize("NFC", name)
    # Category C: controls, format characters (bidi overrides), surrogates, unassigned.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = " ".join(name.split()).lstrip(". ")
    if len(name) > _FILENAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: _FILENAME_MAX - len(extension) - 1] + "." + extension
        else:
            name = name[:_FILENAME_MAX]
    return name or "fichier"


def _human_size(size: int) -> Localized:
    if size >= 1_000_000:
        amount = f"{size / 1_000_000:g}"
        return Localized(f"{amount.replace('.', ',')} Mo", f"{amount} MB")
    amount = f"{max(size // 1000, 1)}"
    return Localized(f"{amount} ko", f"{amount} kB")


def _human_types(accept: list[str]) -> Localized:
    french, english = [], []
    for content_type in accept:
        if content_type == "image/*":
            french.append("toute image")
            english.append("any image")
        elif content_type.endswith("/*"):
            french.append(content_type)
            english.append(content_type)
        else:
            name = _SHORT_NAMES.get(content_type, content_type.split("/")[-1])
            french.append(name)
            english.append(name)
    return Localized(", ".join(french), ", ".join(english))


class FileType(FieldType[FileField, list[FileRef]]):
    """``file``: a list of `FileRef`.

    Each item of the input is an `Upload`, or the blob id (a string) of a file this
    run already accepted, which is how a page shown again keeps its files without a
    new upload. An empty upload without a name (an untouched file input) is skipped.
    """

    kind: ClassVar[str] = "file"

    def parse(self, field: FileField, raw: RawValue, ctx: FieldContext) -> list[FileRef] | None:
        if raw is None:
            return None
        if isinstance(raw, Upload | str):
            items: list[object] = [raw]
        elif isinstance(raw, list):
            items = raw
        elif isinstance(raw, Mapping):  # ``pieces.0``, ``pieces.1`` …
            items = list(raw.values())
        else:
            raise Reject("invalid")
        items = [item for item in items if not _untouched(item)]
        # Counted before anything is stored, so a flood of files costs nothing.
        if len(items) > field.max_count:
            raise Reject("too_many_files", max=field.max_count)
        refs: dict[str, FileRef] = {}
        for item in items:
            ref = self._one(field, item, ctx)
            refs.setdefault(ref.id, ref)
        return list(refs.values()) or None

    def _one(self, field: FileField, item: object, ctx: FieldContext) -> FileRef:
        if isinstance(item, str):
            known = ctx.files.get(item.strip())
            if known is None:  # only files this run accepted, never another's blob
                raise Reject("invalid")
            return known
        if not isinstance(item, Upload) or not isinstance(item.data, bytes | bytearray):
            raise Reject("invalid")
        data = bytes(item.data)
        if not data:
            raise Reject("file_empty")
        if len(data) > field.max_size:
            raise Reject("file_too_large", max_size=_human_size(int(field.max_size)))
        content_type = sniff(data)
        if not accepts(field.accept, content_type):
            raise Reject("file_type", accept=_human_types(field.accept))
        name = sanitize_filename(item.filename if isinstance(item.filename, str) else "")
        blob_id = ctx.form.blob_store.put(data, content_type)
        ref = FileRef(blob_id, name, content_type, len(data), hashlib.sha256(data).hexdigest())
        ctx.files[blob_id] = ref
        return ref

    def to_json(self, field: FileField, value: list[FileRef]) -> list[dict[str, Any]]:
        return [file_ref_to_json(ref) for ref in value]

    def from_json(self, field: FileField, data: Any) -> list[FileRef]:
        if not isinstance(data, list):
            raise ValueError("expected a list of files")
        return [file_ref_from_json(item) for item in data]

    def describe(self, field: FileField, ctx: FieldContext) -> dict[str, Any]:
        described = super().describe(field, ctx)
        described.update(
            accept=list(field.accept),
            max_size=int(field.max_size),
            max_count=field.max_count,
            multiple=field.max_count > 1,
        )
        return described

    def display(self, field: FileField, value: list[FileRef], ctx: FieldContext) -> str:
        return ", ".join(ref.name for ref in value)


def file_ref_to_json(ref: FileRef) -> dict[str, Any]:
    """A `FileRef` as JSON-serialisable data."""
    return {
        "id": ref.id,
        "name": ref.name,
        "content_type": ref.content_type,
        "size": ref.size,
        "sha256": ref.sha256,
    }


def file_ref_from_json(data: Any) -> FileRef:
    """A `FileRef` from its JSON form; `ValueError` if it is not one."""
    if not isinstance(data, Mapping):
        raise ValueError("expected a file object")
    parts = [data.get(key) for key in ("id", "name", "content_type", "sha256")]
    size = data.get("size")
    if not all(isinstance(part, str) for part in parts) or not isinstance(size, int):
        raise ValueError("incomplete file object")
    return FileRef(parts[0], parts[1], parts[2], size, parts[3])  # type: ignore[arg-type]


def _untouched(item: object) -> bool:
    if isinstance(item, Upload):
        return not item.data and not item.filename
    return isinstance(item, str) and not item.strip()
