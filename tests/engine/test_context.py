"""`FormContext` and what it carries: user profile, uploads, blob store."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from formkit import NOW

from formflow.catalog import Site
from formflow.engine.context import BlobStore, FormContext, InMemoryBlobStore, Upload, UserProfile
from formflow.engine.datasources import DataSources


def test_today_defaults_to_the_date_of_now() -> None:
    assert FormContext(now=NOW).today == dt.date(2026, 1, 31)
    assert FormContext(now=NOW, today=dt.date(2020, 1, 1)).today == dt.date(2020, 1, 1)
    assert FormContext().now.microsecond == 0


def test_the_context_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        FormContext().language = "en"  # type: ignore[misc]


def test_expression_names() -> None:
    user = UserProfile("u1", email="ana@example.org")
    names = FormContext(parameters={"a": 1}, user=user, site={"slug": "x"}, now=NOW).names()
    assert names["params"] == {"a": 1}
    assert names["user"] is user
    assert names["site"] == {"slug": "x"}
    assert (names["today"], names["now"]) == (NOW.date(), NOW)


def test_from_site(demo_site: Site) -> None:
    ctx = FormContext.from_site(demo_site, "demande-de-bac", query={"src": "mail"}, now=NOW)
    assert ctx.parameters["delai_jours"] == 10
    assert ctx.site["name"] == "Commune de Démoville"
    assert ctx.site["slug"] == "demo"
    assert ctx.language == "fr"
    assert ctx.query == {"src": "mail"}
    assert isinstance(ctx.data_sources, DataSources)
    assert "modeles-de-bac" in ctx.data_sources.cards


def test_user_profile_attributes() -> None:
    user = UserProfile("u1", first_name="Ana", extra={"city": "Lyon"})
    assert user.attribute("first_name") == "Ana"
    assert user.attribute("city") == "Lyon"
    assert user.attribute("email") is None
    assert user.attribute("absent") is None


def test_in_memory_blob_store() -> None:
    store = InMemoryBlobStore()
    assert isinstance(store, BlobStore)
    first = store.put(b"abc", "text/plain")
    assert store.put(b"abc", "text/plain") == first
    assert len(store) == 1
    assert store.get(first) == b"abc"
    with pytest.raises(KeyError):
        store.get("missing")


def test_upload_repr_hides_the_content() -> None:
    assert repr(Upload("a.pdf", b"x" * 10_000)) == "Upload('a.pdf', <10000 bytes>)"


def test_contexts_of_one_site_share_sources_and_blobs(demo_site: Site) -> None:
    first = FormContext.from_site(demo_site, "demande-de-bac")
    second = FormContext.from_site(demo_site, "demande-de-bac")
    assert first.data_sources is second.data_sources
    assert first.blob_store is second.blob_store
    own = InMemoryBlobStore()
    assert FormContext.from_site(demo_site, "demande-de-bac", blob_store=own).blob_store is own
