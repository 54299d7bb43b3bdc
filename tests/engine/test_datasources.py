"""Option lists from cards, JSON over HTTP (never the network: httpx.MockTransport) and
named sources; and how choice fields use them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from formkit import codes, field_context, make_context, make_field, parse

from formflow.catalog import Site
from formflow.definitions.forms import CardSource, JsonSource, NamedSource
from formflow.engine.datasources import ChoiceOption, DataSourceError, DataSources
from formflow.engine.fields import field_types


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _server(
    handler: Callable[[httpx.Request], httpx.Response],
) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    return httpx.Client(transport=httpx.MockTransport(record)), seen


def _json(document: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=document)


COMMUNES = {"data": [{"id": "75056", "text": "Paris"}, {"id": "69123", "text": "Lyon"}]}
SOURCE = JsonSource(type="json", url="https://api.example/communes", cache="5 minutes")


def test_json_options() -> None:
    client, _ = _server(_json(COMMUNES))
    options = DataSources(http=client).options(SOURCE, {})
    assert options == [ChoiceOption("75056", "Paris"), ChoiceOption("69123", "Lyon")]


def test_json_responses_are_cached_per_url_for_the_source_duration() -> None:
    client, seen = _server(_json(COMMUNES))
    clock = FakeClock()
    sources = DataSources(http=client, clock=clock)
    sources.options(SOURCE, {})
    sources.options(SOURCE, {})
    assert len(seen) == 1
    clock.now += 299
    sources.options(SOURCE, {})
    assert len(seen) == 1
    clock.now += 2
    sources.options(SOURCE, {})
    assert len(seen) == 2


def test_the_url_is_a_template_over_the_answers() -> None:
    client, seen = _server(_json(COMMUNES))
    source = JsonSource(type="json", url="https://api.example/communes?cp={{ code_postal }}")
    DataSources(http=client).options(source, {"code_postal": "75001"})
    assert str(seen[0].url) == "https://api.example/communes?cp=75001"


def test_the_timeout_of_the_definition_is_used() -> None:
    client, seen = _server(_json(COMMUNES))
    source = JsonSource(type="json", url="https://api.example/x", timeout=2.5)
    DataSources(http=client).options(source, {})
    assert seen[0].extensions["timeout"]["read"] == 2.5


def test_items_value_and_label_keys() -> None:
    document = {
        "result": {
            "rows": [
                {"code": 1, "name": "Un"},
                {"code": "2"},
                {"name": "x"},
                "not an object",
                {"code": True, "name": "bool"},
            ]
        }
    }
    client, _ = _server(_json(document))
    source = JsonSource(
        type="json", url="https://api.example/x", items="result.rows", value="code", label="name"
    )
    options = DataSources(http=client).options(source, {})
    assert options == [ChoiceOption("1", "Un"), ChoiceOption("2", "2")]


def test_a_root_list() -> None:
    client, _ = _server(_json([{"id": "a", "text": "A"}]))
    source = JsonSource(type="json", url="https://api.example/x", items="")
    assert DataSources(http=client).options(source, {}) == [ChoiceOption("a", "A")]


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        (_json(COMMUNES, status=500), "HTTP 500"),
        (_json({"other": []}), "no list"),
        (lambda request: httpx.Response(200, content=b"<html>"), "not JSON"),
        (lambda request: httpx.Response(200, content=b"[" * 100_000), "not JSON"),
        (lambda request: httpx.Response(200, content=b" " * 3_000_000), "more than"),
        (lambda request: httpx.Response(302, headers={"Location": "http://10.0.0.1/"}), "302"),
    ],
)
def test_failures_raise_datasourceerror(
    handler: Callable[[httpx.Request], httpx.Response], reason: str
) -> None:
    client, _ = _server(handler)
    with pytest.raises(DataSourceError, match=reason):
        DataSources(http=client).options(SOURCE, {})


def test_network_errors_raise_datasourceerror() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("too slow", request=request)

    client, _ = _server(fail)
    with pytest.raises(DataSourceError, match="ConnectTimeout"):
        DataSources(http=client).options(SOURCE, {})


def test_only_http_urls_are_fetched() -> None:
    client, seen = _server(_json(COMMUNES))
    source = JsonSource(type="json", url="{{ adresse }}")
    with pytest.raises(DataSourceError, match="not an HTTP"):
        DataSources(http=client).options(source, {"adresse": "file:///etc/passwd"})
    assert seen == []


def test_failures_are_not_cached() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json=COMMUNES)])
    client, seen = _server(lambda request: next(answers))
    sources = DataSources(http=client)
    with pytest.raises(DataSourceError):
        sources.options(SOURCE, {})
    assert len(sources.options(SOURCE, {})) == 2
    assert len(seen) == 2


def test_the_cache_is_bounded() -> None:
    client, seen = _server(_json(COMMUNES))
    sources = DataSources(http=client, cache_size=2)
    for n in (1, 2, 3, 1):
        sources.options(JsonSource(type="json", url=f"https://api.example/{n}"), {})
    assert len(seen) == 4  # 1 was evicted by 3


# --- cards -----------------------------------------------------------------------------------


def test_card_options_use_the_card_label_and_key(demo_site: Site) -> None:
    sources = DataSources.from_site(demo_site)
    options = sources.options(CardSource(type="card", card="modeles-de-bac"), {})
    assert [o.value for o in options] == ["om-120", "om-240", "tri-240", "bio-40"]
    assert options[2].label == "Bac de tri jaune (240 litres)"


def test_card_filter_and_own_label(demo_site: Site) -> None:
    sources = DataSources.from_site(demo_site)
    source = CardSource(
        type="card", card="modeles-de-bac", filter="flux == params.flux", label="{{ volume }} L"
    )
    options = sources.options(source, {"params": {"flux": "om"}})
    assert options == [ChoiceOption("om-120", "120 L"), ChoiceOption("om-240", "240 L")]


def test_cards_without_a_model_use_id_and_the_raw_value() -> None:
    sources = DataSources(cards={"salles": [{"id": "a"}, {"id": ["bad"]}, {"nom": "x"}]})
    assert sources.options(CardSource(type="card", card="salles"), {}) == [ChoiceOption("a", "a")]


def test_an_unknown_card_is_unavailable() -> None:
    with pytest.raises(DataSourceError, match="no records"):
        DataSources().options(CardSource(type="card", card="inconnue"), {})


def test_a_failing_record_is_skipped() -> None:
    sources = DataSources(cards={"c": [{"id": "a", "n": 1}, {"id": "b", "n": "x"}]})
    source = CardSource(type="card", card="c", filter="n > 0")
    assert [o.value for o in sources.options(source, {})] == ["a"]


# --- named sources ---------------------------------------------------------------------------


def test_named_sources() -> None:
    sources = DataSources()
    sources.register(
        "creneaux",
        lambda names: [
            "9h",
            {"value": "10h", "label": "10 heures"},
            ChoiceOption("11h", "11 h"),
            {"label": "sans valeur"},
            42,  # type: ignore[list-item]  # a host's function may return anything
        ],
    )
    options = sources.options(NamedSource(type="named", name="creneaux"), {})
    assert options == [
        ChoiceOption("9h", "9h"),
        ChoiceOption("10h", "10 heures"),
        ChoiceOption("11h", "11 h"),
    ]


def test_named_sources_receive_the_names() -> None:
    received: list[Mapping[str, Any]] = []

    def source(names: Mapping[str, Any]) -> list[str]:
        received.append(names)
        return ["a"]

    sources = DataSources(named={"s": source})
    sources.options(NamedSource(type="named", name="s"), {"ville": "Lyon"})
    assert received == [{"ville": "Lyon"}]


def test_a_failing_or_unknown_named_source_is_unavailable() -> None:
    def broken(names: Mapping[str, Any]) -> list[str]:
        raise RuntimeError("boom")

    sources = DataSources(named={"broken": broken})
    with pytest.raises(DataSourceError, match="boom"):
        sources.options(NamedSource(type="named", name="broken"), {})
    with pytest.raises(DataSourceError, match="no data source"):
        sources.options(NamedSource(type="named", name="absent"), {})


# --- choice fields over sources ------------------------------------------------------------


def test_a_choice_over_json_checks_the_fetched_values() -> None:
    client, _ = _server(_json(COMMUNES))
    ctx = make_context(data_sources=DataSources(http=client))
    spec = {
        "id": "commune",
        "type": "choice",
        "source": {"type": "json", "url": "https://api.example/communes"},
    }
    assert parse(spec, "75056", ctx) == "75056"
    assert codes(parse(spec, "99999", ctx)) == ["invalid_choice"]
    field = make_field(spec)
    assert field_types["choice"].display(field, "69123", field_context(field, ctx)) == "Lyon"


def test_an_unavailable_source_is_an_error_for_the_citizen_not_a_crash() -> None:
    client, _ = _server(_json({}, status=500))
    ctx = make_context(data_sources=DataSources(http=client))
    spec = {
        "id": "commune",
        "type": "multichoice",
        "source": {"type": "json", "url": "https://api.example/communes"},
    }
    result = parse(spec, ["75056"], ctx)
    assert codes(result) == ["source_unavailable"]
    assert "Réessayez" in result.errors[0].message_fr
    field = make_field(spec)
    described = field_types["multichoice"].describe(field, field_context(field, ctx))
    assert described["unavailable"] is True
    assert described["options"] == []
    assert (
        field_types["multichoice"].display(field, ["75056"], field_context(field, ctx)) == "75056"
    )


def test_the_default_client_is_created_and_closed_by_the_sources() -> None:
    sources = DataSources()
    client = sources._client()
    assert isinstance(client, httpx.Client)
    assert not client.follow_redirects
    sources.close()
    assert client.is_closed
