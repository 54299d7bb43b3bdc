"""Drafts: a form saved half-way, resumed by its owner or through a secret link.

A signed-in citizen resumes a draft because it is theirs (``owner_id``). An anonymous
citizen gets a link carrying a secret (`new_resume_secret`, 192 random bits); only
its hash is stored (`Draft.secret_hash`), so a leaked database gives no working link,
and it is compared in constant time.

::

    secret = new_resume_secret()
    store.save_draft(Draft(..., secret_hash=hash_secret(secret)))
    link = f"/reprendre/{draft.id}/{secret}"
    draft = resume_draft(store, draft_id, secret=secret_from_link)   # None if wrong
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from formflow.engine.store import Draft, Store

__all__ = ["hash_secret", "new_resume_secret", "resume_draft"]


def new_resume_secret() -> str:
    """A fresh secret for a resume link (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


def hash_secret(secret: str) -> str:
    """What is stored of a resume secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def resume_draft(
    store: Store, draft_id: str, *, secret: str | None = None, owner_id: str | None = None
) -> Draft | None:
    """The draft, if ``owner_id`` owns it or ``secret`` is its link's; else None.

    None does not say which check failed, nor whether the draft exists.
    """
    draft = store.get_draft(draft_id)
    if draft is None:
        return None
    owned = owner_id is not None and owner_id == draft.owner_id
    linked = (
        secret is not None
        and draft.secret_hash is not None
        and hmac.compare_digest(hash_secret(secret), draft.secret_hash)
    )
    return draft if owned or linked else None
