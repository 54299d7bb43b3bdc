"""What a form runs in: the site, the user, parameters, the clock, files, data sources.

A `FormContext` is built once per request by the host (or by `FormContext.from_site`)
and handed to `formflow.engine.forms.FormRun`. Everything that would otherwise be
global (the time, the blob store, HTTP access) is in it, so tests inject their own.

Example::

    >>> import datetime as dt
    >>> ctx = FormContext(parameters={"delai_jours": 10}, now=dt.datetime(2026, 1, 31, 9, 0))
    >>> ctx.today
    datetime.date(2026, 1, 31)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from formflow.definitions.common import text_for
from formflow.engine.datasources import DataSources

if TYPE_CHECKING:
    from formflow.catalog import Site

__all__ = [
    "BlobStore",
    "FormContext",
    "InMemoryBlobStore",
    "Upload",
    "UserProfile",
]


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as the client posted it: the name it gave and the raw bytes.

    >>> Upload("recu.pdf", b"%PDF-1.7 ...").filename
    'recu.pdf'
    """

    filename: str
    data: bytes

    def __repr__(self) -> str:
        # Never print megabytes of content in a traceback or a test failure.
        return f"Upload({self.filename!r}, <{len(self.data)} bytes>)"


@runtime_checkable
class BlobStore(Protocol):
    """Where uploaded files are kept; the answers only hold their ids.

    Example::

        store = InMemoryBlobStore()
        blob_id = store.put(b"%PDF-1.7", "application/pdf")
        assert store.get(blob_id) == b"%PDF-1.7"
    """

    def put(self, data: bytes, content_type: str) -> str:
        """Store ``data`` and return an id for it."""
        ...

    def get(self, blob_id: str) -> bytes:
        """The content stored under ``blob_id``; `KeyError` if there is none."""
        ...


class InMemoryBlobStore:
    """A `BlobStore` in a dict, for tests and the embedded default.

    Ids are content hashes, so storing the same file twice keeps one copy.

    >>> store = InMemoryBlobStore()
    >>> store.get(store.put(b"abc", "text/plain"))
    b'abc'
    """

    def __init__(self) -> None:
        self._blobs: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes, content_type: str) -> str:
        blob_id = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._blobs[blob_id] = (data, content_type)
        return blob_id

    def get(self, blob_id: str) -> bytes:
        with self._lock:
            return self._blobs[blob_id][0]

    def __len__(self) -> int:
        return len(self._blobs)

    def __bool__(self) -> bool:
        # An empty store is still a store: ``store or default`` must not replace it.
        return True


@dataclass(frozen=True, slots=True)
class UserProfile:
    """The signed-in user, as prefills (``profile: email``) and expressions see them.

    >>> UserProfile("u1", email="ana@example.org", extra={"city": "Lyon"}).extra["city"]
    'Lyon'
    """

    id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    #: Any other attribute the identity provider gives (``birth_date``, ``city`` …).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def attribute(self, name: str) -> Any:
        """A profile attribute by name: the fixed ones first, then ``extra``.

        >>> UserProfile("u1", first_name="Ana").attribute("first_name")
        'Ana'
        """
        if name in ("id", "email", "first_name", "last_name", "phone"):
            return getattr(self, name)
        return self.extra.get(name)


_SITE_DEFAULTS: dict[int, tuple[Site, DataSources, InMemoryBlobStore]] = {}
_SITE_DEFAULTS_LOCK = threading.Lock()


def _site_defaults(site: Site) -> tuple[DataSources, InMemoryBlobStore]:
    # Keyed by identity; the entry keeps the site alive so its id cannot be reused. Sites
    # are few and long-lived (one per loaded site file), so the dict stays small.
    with _SITE_DEFAULTS_LOCK:
        found = _SITE_DEFAULTS.get(id(site))
        if found is None or found[0] is not site:
            found = (site, DataSources.from_site(site), InMemoryBlobStore())
            _SITE_DEFAULTS[id(site)] = found
            if len(_SITE_DEFAULTS) > 64:
                del _SITE_DEFAULTS[next(iter(_SITE_DEFAULTS))]
        return found[1], found[2]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class FormContext:
    """Everything a form run needs besides its definition and its answers.

    ``now`` is the site's local time, without time zone; ``today`` defaults to its
    date. Tests pass both to get reproducible date bounds.

    >>> FormContext(user=UserProfile("u1", email="ana@example.org")).user.email
    'ana@example.org'
    """

    #: The procedure's parameter values on this site (``params`` in expressions).
    parameters: Mapping[str, Any] = field(default_factory=dict)
    #: The signed-in user, or None for an anonymous citizen.
    user: UserProfile | None = None
    #: Query-string parameters of the page that opened the form (for prefills).
    query: Mapping[str, str] = field(default_factory=dict)
    #: Site information (``site`` in expressions): name, slug, contact …
    site: Mapping[str, Any] = field(default_factory=dict)
    #: The language messages and labels are shown in first.
    language: str = "fr"
    now: dt.datetime = field(default_factory=_now)
    today: dt.date = None  # type: ignore[assignment]  # set from ``now`` when not given
    blob_store: BlobStore = field(default_factory=InMemoryBlobStore)
    data_sources: DataSources = field(default_factory=DataSources)

    def __post_init__(self) -> None:
        # Declared as a date for readers; None only until here.
        if cast("dt.date | None", self.today) is None:
            object.__setattr__(self, "today", self.now.date())

    @classmethod
    def from_site(
        cls,
        site: Site,
        procedure: str,
        *,
        user: UserProfile | None = None,
        query: Mapping[str, str] | None = None,
        language: str | None = None,
        blob_store: BlobStore | None = None,
        data_sources: DataSources | None = None,
        now: dt.datetime | None = None,
    ) -> FormContext:
        """The context of one of ``site``'s procedures: its parameters, cards, names.

        Without ``data_sources`` and ``blob_store``, every context of the same `Site`
        object shares one of each, so that JSON sources stay cached and uploads stay
        available from one request to the next (a production host passes a blob store
        that outlives the process).

        ::

            site = load_site("catalog/sites/demo.yaml", load_catalog("catalog"))
            ctx = FormContext.from_site(site, "demande-de-bac", user=profile)
        """
        shared_sources, shared_blob_store = _site_defaults(site)
        definition = site.definition
        language = language or definition.languages[0]
        info = {
            "slug": definition.slug,
            "name": text_for(definition.name, language),
            "languages": list(definition.languages),
            "email": definition.contact.email,
            "phone": definition.contact.phone,
            "url": definition.contact.url,
        }
        return cls(
            parameters=dict(site.procedure(procedure).parameters),
            user=user,
            query=query if query is not None else {},
            site=info,
            language=language,
            now=now or _now(),
            blob_store=blob_store if blob_store is not None else shared_blob_store,
            data_sources=data_sources if data_sources is not None else shared_sources,
        )

    def names(self) -> dict[str, Any]:
        """The global names of expressions: ``params``, ``user``, ``site``, dates."""
        return {
            "params": self.parameters,
            "user": self.user,
            "site": self.site,
            "today": self.today,
            "now": self.now,
            "true": True,
            "false": False,
            "none": None,
        }
