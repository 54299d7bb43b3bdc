"""Shared fixtures: the bundled catalogue and the demo site, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from formflow.catalog import Catalog, Site, load_catalog, load_site

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="session")
def demo_site(catalog: Catalog) -> Site:
    return load_site(CATALOG / "sites" / "demo.yaml", catalog)
