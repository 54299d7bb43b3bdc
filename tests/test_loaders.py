"""formflow.loaders: filesystem, package and in-memory catalogue sources."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import CATALOG

from formflow.catalog import load_catalog
from formflow.exceptions import NotFoundError
from formflow.loaders import DictLoader, FileSystemLoader, PackageLoader, bundled_catalog


def test_filesystem_loader_lists_each_kind() -> None:
    loader = FileSystemLoader(CATALOG)
    assert "forms/demande-de-bac.yaml" in loader.list_files("forms")
    assert loader.list_files("nothing") == []
    assert loader.get_source("forms/demande-de-bac.yaml").startswith(b"# yaml-language-server")
    assert loader.display_name("forms/x.yaml").endswith("catalog/forms/x.yaml")


@pytest.mark.parametrize("name", ["../pyproject.toml", "/etc/passwd", "forms/../../x"])
def test_filesystem_loader_stays_inside_its_root(name: str) -> None:
    with pytest.raises(NotFoundError):
        FileSystemLoader(CATALOG).get_source(name)


def test_filesystem_loader_errors() -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        FileSystemLoader("/nonexistent/catalog")
    with pytest.raises(NotFoundError):
        FileSystemLoader(CATALOG).get_source("forms/missing.yaml")


def test_package_loader_reads_a_catalogue_shipped_in_a_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "ma_commune"
    (package / "catalogue" / "cards").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "catalogue" / "cards" / "x.yaml").write_text(
        "format: 1\nslug: x\ntitle: X\nkey: a\nlabel: '{{ a }}'\n"
        "fields: [{id: a, type: text, label: A}]\n"
    )
    (package / "catalogue" / "cards" / "notes.txt").write_text("ignored")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        loader = PackageLoader("ma_commune", "catalogue")
        assert loader.list_files("cards") == ["cards/x.yaml"]
        assert loader.list_files("forms") == []
        assert loader.display_name("cards/x.yaml") == "ma_commune:catalogue/cards/x.yaml"
        assert load_catalog(loader).card("x").definition.key == "a"
        with pytest.raises(NotFoundError):
            loader.get_source("cards/missing.yaml")
        with pytest.raises(NotFoundError):
            loader.get_source("../__init__.py")
        with pytest.raises(NotFoundError, match="has no directory"):
            PackageLoader("ma_commune", "nowhere")
    finally:
        sys.modules.pop("ma_commune", None)


def test_dict_loader_takes_text_bytes_or_data() -> None:
    loader = DictLoader(
        {
            "forms/a.yaml": "format: 1",
            "forms/b.json": b"{}",
            "cards/c.yaml": {"format": 1, "title": "Cé"},
            "forms/sub/d.yaml": "ignored: nested",
            "forms/e.txt": "ignored: extension",
        }
    )
    assert loader.list_files("forms") == ["forms/a.yaml", "forms/b.json"]
    assert b"title: C\xc3\xa9" in loader.get_source("cards/c.yaml")
    with pytest.raises(NotFoundError):
        loader.get_source("forms/zzz.yaml")


def test_bundled_catalogue_is_the_repository_catalogue() -> None:
    catalog = load_catalog(bundled_catalog())
    assert "demande-de-bac" in catalog.forms
    assert "sites/demo.yaml" in catalog.site_files()
