"""Where catalogue files come from: a directory, a Python package, or memory.

A loader lists the files of each kind (``forms``, ``workflows``, ``cards``, ``sites``)
and returns their bytes; `formflow.catalog` does the parsing and checking. The shape
follows jinja2's loaders::

    FileSystemLoader("catalog/")                 # catalog/forms/*.yaml …
    PackageLoader("my_commune", "catalog")       # shipped inside a Python package
    DictLoader({"forms/x.yaml": "format: 1 …"})  # tests, generated catalogues
"""

from __future__ import annotations

import importlib.resources
from abc import ABC, abstractmethod
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from formflow.exceptions import NotFoundError

__all__ = [
    "EXTENSIONS",
    "DictLoader",
    "FileSystemLoader",
    "Loader",
    "PackageLoader",
    "bundled_catalog",
]

#: File name endings read as definition files.
EXTENSIONS = (".yaml", ".yml", ".json")
_KINDS = ("forms", "workflows", "cards", "sites")


class Loader(ABC):
    """Lists and reads catalogue files; names are relative, like ``forms/x.yaml``."""

    @abstractmethod
    def list_files(self, kind: str) -> list[str]:
        """The files of one kind, sorted, as ``kind/name.ext``."""

    @abstractmethod
    def get_source(self, name: str) -> bytes:
        """The bytes of one file; `NotFoundError` if there is none."""

    def display_name(self, name: str) -> str:
        """How the file is named in error messages."""
        return name


class FileSystemLoader(Loader):
    """Reads ``<root>/forms/*.yaml``, ``<root>/workflows/*.yaml`` and so on."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise NotFoundError(f"catalogue directory {str(self.root)!r} does not exist")

    def list_files(self, kind: str) -> list[str]:
        folder = self.root / kind
        if not folder.is_dir():
            return []
        return sorted(
            f"{kind}/{path.name}"
            for path in folder.iterdir()
            if path.suffix in EXTENSIONS and path.is_file()
        )

    def get_source(self, name: str) -> bytes:
        path = _safe_join(self.root, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no file {name!r} in {str(self.root)!r}") from None

    def display_name(self, name: str) -> str:
        return str(self.root / name)


class PackageLoader(Loader):
    """Reads a catalogue shipped inside an installed Python package."""

    def __init__(self, package: str, directory: str = "catalog") -> None:
        self.package = package
        self.directory = directory
        self._root: Traversable = importlib.resources.files(package).joinpath(directory)
        if not self._root.is_dir():
            raise NotFoundError(f"package {package!r} has no directory {directory!r}")

    def list_files(self, kind: str) -> list[str]:
        folder = self._root.joinpath(kind)
        if not folder.is_dir():
            return []
        return sorted(
            f"{kind}/{item.name}"
            for item in folder.iterdir()
            if item.name.endswith(EXTENSIONS) and item.is_file()
        )

    def get_source(self, name: str) -> bytes:
        if ".." in name.split("/"):
            raise NotFoundError(f"no file {name!r} in package {self.package!r}")
        item = self._root.joinpath(*name.split("/"))
        if not item.is_file():
            raise NotFoundError(f"no file {name!r} in package {self.package!r}")
        return item.read_bytes()

    def display_name(self, name: str) -> str:
        return f"{self.package}:{self.directory}/{name}"


class DictLoader(Loader):
    """Files held in memory: text, bytes, or plain data (written out as YAML)."""

    def __init__(self, files: Mapping[str, str | bytes | Mapping[str, Any]]) -> None:
        self.files: dict[str, bytes] = {}
        for name, content in files.items():
            if isinstance(content, str):
                self.files[name] = content.encode()
            elif isinstance(content, bytes):
                self.files[name] = content
            else:
                text = yaml.safe_dump(dict(content), allow_unicode=True, sort_keys=False)
                self.files[name] = text.encode()

    def list_files(self, kind: str) -> list[str]:
        return sorted(
            name
            for name in self.files
            if name.startswith(kind + "/") and name.endswith(EXTENSIONS) and name.count("/") == 1
        )

    def get_source(self, name: str) -> bytes:
        try:
            return self.files[name]
        except KeyError:
            raise NotFoundError(f"no file {name!r} in memory") from None


def _safe_join(root: Path, name: str) -> Path:
    parts = Path(name).parts
    if Path(name).is_absolute() or ".." in parts:
        raise NotFoundError(f"file name {name!r} leaves the catalogue directory")
    return root.joinpath(*parts)


def bundled_catalog() -> Loader:
    """The catalogue shipped with formflow (the repository's ``catalog/``)."""
    packaged = importlib.resources.files("formflow").joinpath("_bundled_catalog")
    if packaged.is_dir():
        return PackageLoader("formflow", "_bundled_catalog")
    # A source checkout or an editable install: the catalogue sits beside the package.
    return FileSystemLoader(Path(__file__).resolve().parent.parent / "catalog")
