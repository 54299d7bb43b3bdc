"""formflow.engine.drafts: resuming by owner or by secret link."""

from __future__ import annotations

import datetime as dt

import pytest

from formflow.engine.drafts import hash_secret, new_resume_secret, resume_draft
from formflow.engine.store import Draft, InMemoryStore

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


def _draft(store: InMemoryStore, **kwargs: object) -> Draft:
    draft = Draft("d1", "demo", "demande-de-bac", "v1", {"page": "p"}, NOW, **kwargs)  # type: ignore[arg-type]
    store.save_draft(draft)
    return draft


def test_a_secret_link_resumes_an_anonymous_draft(store: InMemoryStore) -> None:
    secret = new_resume_secret()
    draft = _draft(store, secret_hash=hash_secret(secret))
    assert resume_draft(store, "d1", secret=secret) == draft
    assert draft.secret_hash != secret  # only the hash is stored


@pytest.mark.parametrize("secret", [None, "", "wrong", "x" * 1000])
def test_a_wrong_or_missing_secret_resumes_nothing(
    store: InMemoryStore, secret: str | None
) -> None:
    _draft(store, secret_hash=hash_secret(new_resume_secret()))
    assert resume_draft(store, "d1", secret=secret) is None


def test_the_owner_resumes_and_nobody_else(store: InMemoryStore) -> None:
    draft = _draft(store, owner_id="u1")
    assert resume_draft(store, "d1", owner_id="u1") == draft
    assert resume_draft(store, "d1", owner_id="u2") is None
    assert resume_draft(store, "d1") is None
    assert resume_draft(store, "missing", owner_id="u1") is None


def test_secrets_are_long_and_distinct() -> None:
    secrets = {new_resume_secret() for _ in range(1000)}
    assert len(secrets) == 1000
    assert all(len(s) == 32 for s in secrets)
