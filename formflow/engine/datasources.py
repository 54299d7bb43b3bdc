"""Option lists from outside the form: cards, JSON over HTTP, named sources.

A choice field gives its options inline or names a ``source``; `DataSources` turns a
source into a list of `ChoiceOption`:

* ``{type: card, card: salles}``: the records the site keeps for that card, labelled
  with the card's (or the source's) template and kept when ``filter`` holds;
* ``{type: json, url: …}``: a JSON document fetched with httpx, bounded in size and
  time, cached per URL for the source's ``cache`` duration;
* ``{type: named, name: …}``: a function the host registered with `DataSources.register`.

When a source cannot answer (network error, bad JSON, unknown card) it raises
`DataSourceError`; the form engine shows the citizen a "try again later" message.

Example::

    >>> from formflow.definitions.forms import NamedSource
    >>> sources = DataSources()
    >>> sources.register("jours", lambda names: [ChoiceOption("lun", "Lundi")])
    >>> [o.value for o in sources.options(NamedSource(type="named", name="jours"), {})]
    ['lun']
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import httpx

from formflow.definitions.cards import CardDefinition
from formflow.definitions.common import Text, parse_duration
from formflow.definitions.forms import CardSource, JsonSource, NamedSource
from formflow.exceptions import ExpressionError, FormflowError
from formflow.expressions import GLOBAL_NAMES, compile_expression, compile_template

if TYPE_CHECKING:
    from formflow.catalog import Site

__all__ = [
    "ChoiceOption",
    "DataSourceError",
    "DataSources",
    "SourceFunction",
]


@dataclass(frozen=True, slots=True)
class ChoiceOption:
    """One option of a choice field, whatever its source.

    >>> ChoiceOption("om-120", "Bac ordures ménagères (120 litres)").hint is None
    True
    """

    #: What the answer stores.
    value: str
    #: What the citizen reads: a string or ``{lang: text}``.
    label: Text
    hint: Text | None = None


#: A named source: receives the expression names (answers so far, ``params``, ``user`` …)
#: and returns options, as `ChoiceOption`, ``{"value": …, "label": …}`` or plain strings.
SourceFunction: TypeAlias = Callable[
    [Mapping[str, Any]], Iterable[ChoiceOption | Mapping[str, Any] | str]
]


class DataSourceError(FormflowError):
    """A data source could not give its options (network, bad data, unknown name).

    The form engine turns it into a ``source_unavailable`` error for the citizen::

        try:
            options = sources.options(field.source, names)
        except DataSourceError as exc:
            log.warning("options of %s unavailable: %s", field.id, exc)
    """


#: Largest JSON document read from a URL, in bytes: an option list, not a data dump.
MAX_JSON_BYTES = 2_000_000
#: Options kept from any source; more would not be usable by a citizen anyway.
MAX_OPTIONS = 5_000
_MAX_VALUE = 200
_SECONDS = {
    "minutes": 60,
    "hours": 3600,
    "days": 86400,
    "business_days": 86400,
    "weeks": 7 * 86400,
    "months": 30 * 86400,
    "years": 365 * 86400,
}


def _seconds(duration: str) -> float:
    parsed = parse_duration(duration)
    return max(parsed.amount, 0) * _SECONDS[parsed.unit]


class DataSources:
    """Resolves choice sources; one per site, shared by requests (thread-safe).

    ``cards`` maps a card slug to its records (as in a site file's ``cards``), and
    ``card_definitions`` gives each card's key and label template. ``http`` is the
    client JSON sources use (tests pass one with an ``httpx.MockTransport``);
    ``clock`` measures cache lifetimes.

    Example::

        sources = DataSources(
            cards={"salles": [{"code": "a", "nom": "Salle A"}]},
            card_definitions={"salles": salles_model},
            http=httpx.Client(transport=httpx.MockTransport(handler)),
        )
    """

    def __init__(
        self,
        cards: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        card_definitions: Mapping[str, CardDefinition] | None = None,
        named: Mapping[str, SourceFunction] | None = None,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        cache_size: int = 256,
    ) -> None:
        self.cards: Mapping[str, Sequence[Mapping[str, Any]]] = cards or {}
        self.card_definitions: Mapping[str, CardDefinition] = card_definitions or {}
        self._named: dict[str, SourceFunction] = dict(named or {})
        self._http = http
        self._own_http = False
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_site(cls, site: Site, **kwargs: Any) -> DataSources:
        """The sources of ``site``: its card records and the catalogue's card models."""
        return cls(
            cards=site.definition.cards,
            card_definitions={slug: e.definition for slug, e in site.catalog.cards.items()},
            **kwargs,
        )

    def register(self, name: str, function: SourceFunction) -> None:
        """Make ``function`` available as ``source: {type: named, name: <name>}``."""
        self._named[name] = function

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._own_http and self._http is not None:
            self._http.close()
            self._http = None

    def card_record(self, card: str, key: object) -> dict[str, Any] | None:
        """The record of ``card`` whose key is ``key`` (as a choice stores it), or None.

        >>> DataSources(cards={"salles": [{"code": "a", "places": 40}]},
        ...             card_definitions={}).card_record("salles", "a") is None
        True
        """
        definition = self.card_definitions.get(card)
        if definition is None or key is None:
            return None
        wanted = str(key)
        for record in self.cards.get(card, ()):
            if str(record.get(definition.key)) == wanted:
                return dict(record)
        return None

    def options(
        self, source: CardSource | JsonSource | NamedSource, names: Mapping[str, Any]
    ) -> list[ChoiceOption]:
        """The options of ``source``; ``names`` are the expression names of the form.

        Raises `DataSourceError` when the source cannot answer.
        """
        if isinstance(source, CardSource):
            return self._card_options(source, names)
        if isinstance(source, JsonSource):
            return self._json_options(source, names)
        function = self._named.get(source.name)
        if function is None:
            raise DataSourceError(f"no data source named {source.name!r}")
        try:
            found = list(_take(function(names), MAX_OPTIONS))
        except DataSourceError:
            raise
        except Exception as exc:  # a host's function failing must not fail the page
            raise DataSourceError(f"data source {source.name!r} failed: {exc}") from exc
        return [option for item in found if (option := _as_option(item)) is not None]

    # --- cards ---------------------------------------------------------------------

    def _card_options(self, source: CardSource, names: Mapping[str, Any]) -> list[ChoiceOption]:
        records = self.cards.get(source.card)
        if records is None:
            raise DataSourceError(f"no records for card {source.card!r}")
        model = self.card_definitions.get(source.card)
        key = model.key if model is not None else "id"
        label_source = source.label or (model.label if model is not None else None)
        field_ids = [f.id for f in model.fields] if model is not None else []
        # A card filter sees the record's fields and the globals, never the answers:
        # the catalogue checks it that way, and it keeps the list the same on every page.
        base = {name: names[name] for name in GLOBAL_NAMES if name in names}
        try:
            condition = compile_expression(source.filter) if source.filter else None
            label = compile_template(label_source) if label_source else None
        except ExpressionError as exc:
            raise DataSourceError(str(exc)) from exc
        options = []
        for record in _take(records, MAX_OPTIONS):
            value = _scalar(record.get(key))
            if value is None:
                continue
            scope = base | dict.fromkeys(field_ids) | dict(record)
            try:
                if condition is not None and not condition.is_true(scope):
                    continue
                text = label.render(scope) if label is not None else value
            except ExpressionError:
                continue  # one odd record must not hide the others
            options.append(ChoiceOption(value, text.strip() or value))
        return options

    # --- JSON ----------------------------------------------------------------------

    def _json_options(self, source: JsonSource, names: Mapping[str, Any]) -> list[ChoiceOption]:
        try:
            url = compile_template(source.url).render(names).strip()
        except ExpressionError as exc:
            raise DataSourceError(f"cannot build the URL: {exc}") from exc
        document = self._fetch(url, source.timeout, _seconds(source.cache))
        items: Any = document
        for part in filter(None, source.items.split(".")):
            items = items.get(part) if isinstance(items, Mapping) else None
        if not isinstance(items, list):
            raise DataSourceError(f"{url}: no list at {source.items!r}")
        options = []
        for item in items[:MAX_OPTIONS]:
            if not isinstance(item, Mapping):
                continue
            value = _scalar(item.get(source.value))
            if value is None:
                continue
            label = _scalar(item.get(source.label)) or value
            options.append(ChoiceOption(value, label))
        return options

    def _fetch(self, url: str, timeout: float, ttl: float) -> Any:
        if not url.startswith(("https://", "http://")):
            raise DataSourceError(f"not an HTTP(S) URL: {url[:200]!r}")
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and cached[0] > now:
                self._cache.move_to_end(url)
                return cached[1]
        document = self._download(url, timeout)
        if ttl > 0:
            with self._lock:
                self._cache[url] = (now + ttl, document)
                self._cache.move_to_end(url)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return document

    def _download(self, url: str, timeout: float) -> Any:
        client = self._client()
        body = bytearray()
        try:
            with client.stream(
                "GET", url, timeout=timeout, headers={"Accept": "application/json"}
            ) as response:
                if response.status_code != 200:
                    raise DataSourceError(f"{url}: HTTP {response.status_code}")
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_JSON_BYTES:
                        raise DataSourceError(f"{url}: more than {MAX_JSON_BYTES} bytes")
            return json.loads(body)
        except httpx.HTTPError as exc:
            raise DataSourceError(f"{url}: {type(exc).__name__}: {exc}") from exc
        except (ValueError, RecursionError) as exc:
            raise DataSourceError(f"{url}: not JSON") from exc

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                # Redirects are not followed: a source is where the catalogue says.
                self._http = httpx.Client(follow_redirects=False)
                self._own_http = True
            return self._http


def _take(items: Iterable[Any], count: int) -> Iterable[Any]:
    for index, item in enumerate(items):
        if index >= count:
            return
        yield item


def _scalar(value: Any) -> str | None:
    """A record's value as option text: strings and numbers, never containers."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text if 0 < len(text) <= _MAX_VALUE else None
    return None


def _as_option(item: object) -> ChoiceOption | None:
    if isinstance(item, ChoiceOption):
        return item
    if isinstance(item, str):
        return ChoiceOption(item, item) if 0 < len(item) <= _MAX_VALUE else None
    if isinstance(item, Mapping):
        value = _scalar(item.get("value", item.get("id")))
        if value is None:
            return None
        label = item.get("label", item.get("text"))
        return ChoiceOption(value, label if isinstance(label, str | dict) else value)
    return None
