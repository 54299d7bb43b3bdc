"""The citizen front office through Starlette's TestClient: pages and error paths."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from formflow.catalog import Site
from formflow.engine.core import Engine
from formflow.engine.store import CaseQuery, InMemoryStore
from formflow.web import create_app
from formflow.web.security import CONTENT_SECURITY_POLICY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def engine(demo_site: Site) -> Engine:
    return Engine(demo_site, InMemoryStore(cards={"demo": demo_site.definition.cards}))


@pytest.fixture
def client(engine: Engine) -> TestClient:
    return TestClient(create_app(engine, secret_key="test-key"), follow_redirects=False)


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _fill(client: TestClient, url: str, data: dict[str, str], files: object = None) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    response = client.post(
        url, data={**data, "csrf_token": _csrf(page.text), "_action": "next"}, files=files
    )  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    return response.headers["location"]


BAC = "/demarches/demande-de-bac"


def _complete_demande_de_bac(client: TestClient) -> None:
    assert _fill(client, BAC, {"motif": "nouveau", "modele": "om-120", "foyer": "3"}) == BAC
    assert (
        _fill(
            client,
            BAC,
            {
                "adresse.street": "1 rue de la Paix",
                "adresse.postcode": "75002",
                "adresse.city": "Paris",
            },
        )
        == BAC
    )
    assert (
        _fill(
            client,
            BAC,
            {
                "nom": "Martin",
                "prenom": "Ana",
                "courriel": "ana@example.org",
                "telephone": "06 12 34 56 78",
            },
        )
        == f"{BAC}/recapitulatif"
    )


def test_home_lists_procedures_by_category(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Déchets et propreté" in page.text
    assert f'href="{BAC}"' in page.text


@pytest.mark.parametrize(
    ("query", "found"),
    [("poubelle", True), ("DECHETS", True), ("bac déchets", True), ("piscine", False)],
)
def test_home_search_matches_titles_keywords_and_ignores_accents(
    client: TestClient, query: str, found: bool
) -> None:
    page = client.get("/", params={"q": query})
    assert (f'href="{BAC}"' in page.text) is found
    assert ("Aucune démarche" in page.text) is not found


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for url in ("/", BAC, "/suivi", "/nowhere", "/static/formflow.css"):
        response = client.get(url)
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


def test_session_cookie_flags(client: TestClient) -> None:
    cookie = client.get(BAC).headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()


def test_a_citizen_completes_the_procedure_and_tracks_it(
    client: TestClient, engine: Engine
) -> None:
    _complete_demande_de_bac(client)
    summary = client.get(f"{BAC}/recapitulatif")
    assert summary.status_code == 200
    assert "Vérifiez votre demande" in summary.text
    assert "Un nouveau bac" in summary.text
    assert "1 rue de la Paix, 75002 Paris" in summary.text
    assert "06 12 34 56 78" in summary.text  # stored as +33612345678, shown as written
    token = TOKEN.search(summary.text)
    assert token
    sent = client.post(
        f"{BAC}/recapitulatif", data={"csrf_token": _csrf(summary.text), "token": token.group(1)}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"{BAC}/envoyee"
    done = client.get(f"{BAC}/envoyee")
    code = re.search(r'class="tracking-code"><strong>([A-Z0-9-]+)</strong>', done.text)
    assert code, done.text
    [case] = engine.store.cases(CaseQuery())
    assert case.tracking_code == code.group(1)
    assert case.answers["motif"] == "nouveau"
    assert case.submitter_email == "ana@example.org"
    tracking = client.get(f"/suivi/{code.group(1)}")
    assert tracking.status_code == 200
    assert "Demande reçue" in tracking.text


def test_submitting_twice_with_one_token_makes_one_case(client: TestClient, engine: Engine) -> None:
    _complete_demande_de_bac(client)
    summary = client.get(f"{BAC}/recapitulatif")
    data = {"csrf_token": _csrf(summary.text), "token": TOKEN.search(summary.text).group(1)}  # type: ignore[union-attr]
    client.post(f"{BAC}/recapitulatif", data=data)
    # The citizen's browser sends the same form again (double click, back button).
    _complete_demande_de_bac(client)
    client.post(f"{BAC}/recapitulatif", data=data)
    assert len(engine.store.cases(CaseQuery())) == 1


def test_errors_are_summarised_linked_and_the_answers_kept(client: TestClient) -> None:
    page = client.get(BAC)
    response = client.post(
        BAC,
        data={
            "csrf_token": _csrf(page.text),
            "_action": "next",
            "motif": "nouveau",
            "foyer": "beaucoup",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert "<title>Erreur : Votre demande" in html
    assert 'class="error-summary" role="alert"' in html
    assert '<a href="#foyer">' in html
    assert '<a href="#modele">' in html
    assert 'aria-invalid="true"' in html
    assert 'id="foyer-error"' in html
    assert 'value="beaucoup"' in html  # what the citizen typed is shown back
    assert 'value="nouveau" checked' in html


def test_hidden_fields_sent_by_a_client_are_discarded(client: TestClient, engine: Engine) -> None:
    page = client.get(BAC)
    client.post(
        BAC,
        data={
            "csrf_token": _csrf(page.text),
            "_action": "next",
            "motif": "nouveau",
            "modele": "om-120",
            "foyer": "2",
            "numero_bac": "HIDDEN-123",
        },
    )
    _fill(
        client,
        BAC,
        {"adresse.street": "1 rue A", "adresse.postcode": "75002", "adresse.city": "Paris"},
    )
    _fill(client, BAC, {"nom": "M", "prenom": "A", "courriel": "a@example.org"})
    summary = client.get(f"{BAC}/recapitulatif")
    assert "HIDDEN-123" not in summary.text
    client.post(
        f"{BAC}/recapitulatif",
        data={"csrf_token": _csrf(summary.text), "token": TOKEN.search(summary.text).group(1)},
    )  # type: ignore[union-attr]
    [case] = engine.store.cases(CaseQuery())
    assert "numero_bac" not in case.answers or case.answers["numero_bac"] is None


def test_back_keeps_the_answers(client: TestClient) -> None:
    _fill(client, BAC, {"motif": "volume", "modele": "om-240", "foyer": "4"})
    page = client.get(BAC)
    assert "Étape 2 sur 4" in page.text
    client.post(BAC, data={"csrf_token": _csrf(page.text), "_action": "back"})
    first = client.get(BAC)
    assert "Étape 1 sur 4" in first.text
    assert 'value="volume" checked' in first.text
    assert 'value="4"' in first.text


def test_change_links_on_the_summary_go_back_to_the_page(client: TestClient) -> None:
    _complete_demande_de_bac(client)
    page = client.get(BAC, params={"page": "adresse"})
    assert "Adresse de livraison" in page.text
    assert 'value="1 rue de la Paix"' in page.text


def test_posts_without_the_csrf_token_are_refused(client: TestClient, engine: Engine) -> None:
    client.get(BAC)
    response = client.post(BAC, data={"motif": "nouveau", "_action": "next"})
    assert response.status_code == 403
    response = client.post(BAC, data={"motif": "nouveau", "csrf_token": "forged"})
    assert response.status_code == 403
    assert client.post("/suivi", data={"code": "ABCD-EFGH-JK"}).status_code == 403
    assert client.post(f"{BAC}/recapitulatif", data={"token": "x"}).status_code == 403


@pytest.mark.parametrize("code", ["", "abc", "0000-0000-00", "<script>", "A" * 5000])
def test_tracking_lookup_explains_a_malformed_code(client: TestClient, code: str) -> None:
    page = client.get("/suivi")
    response = client.post("/suivi", data={"csrf_token": _csrf(page.text), "code": code})
    assert response.status_code == 422
    assert "Saisissez le code de suivi" in response.text
    assert "<script>" not in response.text


def test_an_unknown_tracking_code_is_a_404_with_the_form(client: TestClient) -> None:
    response = client.get("/suivi/ABCD-EFGH-JK")
    assert response.status_code == 404
    assert "Aucune demande ne correspond" in response.text


def test_tracking_codes_are_normalised(client: TestClient) -> None:
    page = client.get("/suivi")
    response = client.post(
        "/suivi", data={"csrf_token": _csrf(page.text), "code": " abcd efgh jk "}
    )
    assert response.headers["location"] == "/suivi/ABCD-EFGH-JK"


def test_unknown_pages_and_procedures_are_friendly_404s(client: TestClient) -> None:
    for url in ("/nowhere", "/demarches/nope", "/demarches/nope/recapitulatif"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Page introuvable" in response.text


def test_oversized_bodies_are_refused(engine: Engine) -> None:
    client = TestClient(create_app(engine, secret_key="k", max_body=1000))
    response = client.post(
        BAC, content=b"x" * 5000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def test_an_unexpected_error_shows_a_reference_not_a_traceback(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(create_app(engine, secret_key="k"), raise_server_exceptions=False)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("formflow.web.front._load_run", broken)
    response = client.get(BAC)
    assert response.status_code == 500
    assert "Une erreur est survenue" in response.text
    assert re.search(r"<code>[0-9A-F]{12}</code>", response.text)
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_pages_declare_the_language_they_are_written_in(client: TestClient) -> None:
    # The interface exists in French only until its English catalogue is written: a
    # browser asking for English still gets lang="fr" over French words, and no
    # switch to a language the page would not be in.
    for response in (
        client.get("/", params={"lang": "en"}),
        client.get("/", headers={"accept-language": "en-GB,en;q=0.8"}),
    ):
        assert '<html lang="fr">' in response.text
        assert "Démarches en ligne" in response.text
        assert 'hreflang="en"' not in response.text


def test_theme_uses_the_site_colours(client: TestClient) -> None:
    css = client.get("/theme.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--primary: #1e3a8a" in css.text


def test_an_address_part_error_is_shown_once_at_the_part(client: TestClient) -> None:
    _fill(client, BAC, {"motif": "nouveau", "modele": "om-120", "foyer": "3"})
    page = client.get(BAC)
    response = client.post(
        BAC,
        data={
            "csrf_token": _csrf(page.text),
            "_action": "next",
            "adresse.street": "1 rue A",
            "adresse.postcode": "99999",
            "adresse.city": "Paris",
        },
    )
    assert response.status_code == 422
    body = response.text.split('<form method="post"', 1)[1]
    assert body.count("Saisissez un code postal français") == 1
    assert 'id="adresse.postcode-error"' in body
    assert '<a href="#adresse.postcode">' in response.text


def test_times_are_shown_on_the_site_clock(client: TestClient, engine: Engine) -> None:
    import datetime as dt

    engine.clock = lambda: dt.datetime(2026, 11, 23, 16, 38, tzinfo=dt.UTC)
    _complete_demande_de_bac(client)
    summary = client.get(f"{BAC}/recapitulatif")
    client.post(
        f"{BAC}/recapitulatif",
        data={"csrf_token": _csrf(summary.text), "token": TOKEN.search(summary.text).group(1)},
    )  # type: ignore[union-attr]
    [case] = engine.store.cases(CaseQuery())
    tracking = client.get(f"/suivi/{case.tracking_code}")
    assert "23/11/2026 17:38" in tracking.text  # Europe/Paris, UTC+1 in November
    [mail] = [m for m in engine.store.messages(case.id) if m.payload["to"] == ["ana@example.org"]]
    assert "le 23/11/2026 17:38" in mail.payload["body"]
