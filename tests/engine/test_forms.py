"""`FormRun`: pages, visibility, checks, computed values, prefill, drafts, summaries."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from formkit import NOW, make_context, make_form

from formflow.catalog import Site
from formflow.definitions.forms import FormDefinition
from formflow.engine.context import FormContext, Upload, UserProfile
from formflow.engine.forms import FormRun, compiled_form
from formflow.engine.values import Address
from formflow.exceptions import ExpressionError

PDF = b"%PDF-1.7 test"


def _page_id(run: FormRun) -> str | None:
    return run.page.id if run.page is not None else None


def _codes(result: Any) -> list[tuple[str | None, str]]:
    return [(error.path, error.code) for error in result.errors]


# --- a small form used by most tests -----------------------------------------------------

DEMARCHE = make_form(
    {
        "id": "demande",
        "fields": [
            {"id": "titre", "type": "title", "label": "Votre demande"},
            {"id": "motif", "type": "choice", "options": ["nouveau", "remplacement"]},
            {"id": "numero", "type": "text", "show_if": "motif == 'remplacement'"},
            {"id": "nombre", "type": "integer", "min": 1, "max": 5},
        ],
    },
    {
        "id": "vol",
        "show_if": "motif == 'remplacement'",
        "fields": [{"id": "plainte", "type": "file", "required": False}],
    },
    {
        "id": "dates",
        "fields": [
            {"id": "debut", "type": "date"},
            {"id": "fin", "type": "date", "required": False},
        ],
        "checks": [
            {
                "condition": "fin is none or fin >= debut",
                "message": {"fr": "La fin doit suivre le début.", "en": "End after start."},
                "fields": ["fin"],
            }
        ],
    },
    {
        "id": "contact",
        "fields": [
            {"id": "courriel", "type": "email", "prefill": {"profile": "email", "locked": True}},
            {"id": "nom", "type": "text", "prefill": {"profile": "last_name"}},
            {
                "id": "total",
                "type": "computed",
                "expression": "nombre * params.prix",
                "visible": True,
                "label": "Total",
            },
        ],
    },
)
USER = UserProfile("u1", email="ana@example.org", first_name="Ana", last_name="Martin")


def _run(**ctx_args: Any) -> FormRun:
    ctx_args.setdefault("parameters", {"prix": Decimal("2.50")})
    ctx_args.setdefault("user", USER)
    return FormRun.start(DEMARCHE, make_context(**ctx_args))


def _fill(run: FormRun, *pages: dict[str, object]) -> None:
    for raw in pages:
        result = run.submit(raw)
        assert result.ok, result.errors


def test_start_on_the_first_page() -> None:
    run = _run()
    assert _page_id(run) == "demande"
    assert not run.complete
    assert [f.id for f in run.visible_fields()] == ["titre", "motif", "nombre"]


def test_a_page_with_errors_is_shown_again_and_nothing_is_kept() -> None:
    run = _run()
    result = run.submit({"motif": "inconnu", "nombre": "9"})
    assert _codes(result) == [("motif", "invalid_choice"), ("nombre", "too_large")]
    assert result.next_page is run.page
    assert not result.done
    assert run.answers() == {}


def test_hidden_pages_are_skipped() -> None:
    run = _run()
    assert [p.id for p in run.visible_pages()] == ["demande", "dates", "contact"]
    result = run.submit({"motif": "nouveau", "nombre": "2"})
    assert result.next_page is not None
    assert result.next_page.id == "dates"
    assert run.visible_fields(DEMARCHE.pages[1]) == []


def test_answers_to_hidden_fields_are_discarded() -> None:
    run = _run()
    # A client posts the hidden "numero" and fields of other pages anyway.
    _fill(run, {"motif": "nouveau", "numero": "B-42", "nombre": "2", "debut": "2026-02-01"})
    assert run.answers() == {"motif": "nouveau", "nombre": 2}
    assert "numero" not in run.json_answers()


def test_a_field_may_depend_on_an_earlier_field_of_the_same_page() -> None:
    run = _run()
    result = run.submit({"motif": "remplacement", "numero": "", "nombre": "2"})
    assert _codes(result) == [("numero", "required")]
    _fill(run, {"motif": "remplacement", "numero": "B-42", "nombre": "2"})
    assert run.answers()["numero"] == "B-42"
    assert _page_id(run) == "vol"


def test_changing_an_answer_drops_the_answers_it_hid() -> None:
    run = _run()
    _fill(
        run,
        {"motif": "remplacement", "numero": "B-42", "nombre": "2"},
        {"plainte": Upload("p.pdf", PDF)},
    )
    assert "plainte" in run.answers()
    run.back()
    assert run.back() is not None
    assert _page_id(run) == "demande"
    _fill(run, {"motif": "nouveau", "nombre": "2"})
    assert "numero" not in run.answers()
    assert "plainte" not in run.answers()
    assert _page_id(run) == "dates"


def test_back_then_forward_keeps_answers() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01", "fin": "2026-02-03"})
    assert _page_id(run) == "contact"
    assert run.back() is not None
    assert _page_id(run) == "dates"
    described = {entry["id"]: entry for entry in run.describe_page()}
    assert described["debut"]["value"] == "2026-02-01"
    assert run.back() is not None
    assert _page_id(run) == "demande"
    assert run.back() is not None
    assert _page_id(run) == "demande"
    _fill(run, {"motif": "nouveau", "nombre": "3"})
    assert _page_id(run) == "dates"
    assert run.answers()["debut"] == dt.date(2026, 2, 1)
    assert run.answers()["fin"] == dt.date(2026, 2, 3)


def test_back_skips_pages_that_became_hidden() -> None:
    # A later answer hides an earlier page: its answers go, and back skips it.
    form = make_form(
        {"id": "p1", "fields": [{"id": "a", "type": "text"}]},
        {"id": "p2", "show_if": "not sans_p2", "fields": [{"id": "b", "type": "text"}]},
        {"id": "p3", "fields": [{"id": "sans_p2", "type": "boolean"}]},
        {"id": "p4", "fields": [{"id": "d", "type": "text"}]},
    )
    run = FormRun.start(form, make_context())
    _fill(run, {"a": "1"}, {"b": "2"}, {"sans_p2": "on"})
    assert _page_id(run) == "p4"
    assert run.answers() == {"a": "1", "sans_p2": True}
    assert run.back() is not None
    assert _page_id(run) == "p3"
    assert run.back() is not None
    assert _page_id(run) == "p1"


def test_a_page_check_attaches_its_message_to_its_fields() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"})
    result = run.submit({"debut": "2026-02-05", "fin": "2026-02-01"})
    assert _codes(result) == [("fin", "check")]
    error = result.errors[0]
    assert (error.message_fr, error.message_en) == (
        "La fin doit suivre le début.",
        "End after start.",
    )
    _fill(run, {"debut": "2026-02-05"})  # no end date: nothing to compare


def test_page_checks_wait_for_valid_fields() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"})
    result = run.submit({"debut": "pas une date", "fin": "2026-02-01"})
    assert _codes(result) == [("debut", "invalid_date")]


def test_a_check_without_fields_is_a_page_error() -> None:
    form = make_form(
        {
            "id": "p",
            "fields": [{"id": "a", "type": "integer"}, {"id": "b", "type": "integer"}],
            "checks": [{"condition": "a + b <= 10", "message": "Total trop grand."}],
        }
    )
    run = FormRun.start(form, make_context())
    result = run.submit({"a": "6", "b": "6"})
    assert [(e.field_id, e.path, e.code) for e in result.errors] == [(None, "p", "check")]


def test_a_locked_prefill_ignores_what_the_client_sends() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"})
    described = {entry["id"]: entry for entry in run.describe_page()}
    assert described["courriel"]["value"] == "ana@example.org"
    assert described["courriel"]["locked"] is True
    assert described["nom"] == described["nom"] | {"value": "Martin", "locked": False}
    _fill(run, {"courriel": "pirate@evil.example", "nom": "Dupont"})
    assert run.answers()["courriel"] == "ana@example.org"
    assert run.answers()["nom"] == "Dupont"


def test_a_locked_prefill_without_a_value_lets_the_citizen_answer() -> None:
    run = _run(user=None)
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"})
    assert {e["id"]: e for e in run.describe_page()}["courriel"]["locked"] is False
    result = run.submit({"nom": "Martin"})
    assert _codes(result) == [("courriel", "required")]
    _fill(run, {"nom": "Martin", "courriel": "martin@example.org"})
    assert run.answers()["courriel"] == "martin@example.org"


@pytest.mark.parametrize(
    ("prefill", "context", "expected"),
    [
        ({"value": 3}, {}, 3),
        ({"value": "abc"}, {}, None),  # not a valid integer: no prefill
        ({"template": "{{ params.defaut }}"}, {"parameters": {"defaut": 4}}, 4),
        ({"template": "{{ params.absent }}"}, {}, None),
        ({"query": "n"}, {"query": {"n": "5"}}, 5),
        ({"query": "n"}, {"query": {"n": "\x00"}}, None),
        ({"profile": "enfants"}, {"user": UserProfile("u", extra={"enfants": 2})}, 2),
    ],
)
def test_prefill_sources(prefill: dict[str, Any], context: dict[str, Any], expected: Any) -> None:
    form = make_form({"id": "p", "fields": [{"id": "n", "type": "integer", "prefill": prefill}]})
    run = FormRun.start(form, make_context(**context))
    assert run.describe_page()[0]["value"] == expected


def test_computed_fields_follow_the_answers() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"})
    # Shown on its page before it is submitted, kept once it is.
    assert {e["id"]: e for e in run.describe_page()}["total"]["value"] == {"$decimal": "5.00"}
    assert "total" not in run.answers()
    _fill(run, {"nom": "Martin"})
    assert run.answers()["total"] == Decimal("5.00")
    for _ in range(3):
        run.back()
    _fill(run, {"motif": "nouveau", "nombre": "4"})
    assert run.answers()["total"] == Decimal("10.00")


def test_a_frozen_computed_field_keeps_its_first_value() -> None:
    form = make_form(
        {"id": "p1", "fields": [{"id": "n", "type": "integer"}]},
        {
            "id": "p2",
            "fields": [
                {"id": "prix", "type": "computed", "expression": "n * 10", "freeze": True},
                {"id": "suivi", "type": "computed", "expression": "n * 10"},
                {"id": "ok", "type": "boolean"},
            ],
        },
    )
    run = FormRun.start(form, make_context())
    _fill(run, {"n": "1"}, {"ok": "on"})
    assert run.answers() | {} == {"n": 1, "prix": 10, "suivi": 10, "ok": True}
    run.back()
    run.back()
    _fill(run, {"n": "2"}, {"ok": "on"})
    assert run.answers()["prix"] == 10
    assert run.answers()["suivi"] == 20


def test_the_last_page_completes_the_run() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"})
    result = run.submit({"nom": "Martin"})
    assert result.ok
    assert result.done
    assert result.next_page is None
    assert run.complete
    assert run.page is None
    assert run.submit({"nom": "x"}).done  # nothing left to submit
    assert run.back() is not None
    assert _page_id(run) == "contact"


def test_summary_lists_visible_answered_fields() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"}, {"nom": "Martin"})
    summary = run.summary()
    assert [(page.page.id, [(f.id, text) for f, text in page.items]) for page in summary] == [
        ("demande", [("motif", "nouveau"), ("nombre", "2")]),
        ("dates", [("debut", "01/02/2026")]),
        ("contact", [("courriel", "ana@example.org"), ("nom", "Martin"), ("total", "5,00")]),
    ]
    english = run.summary("en")
    assert english[2].items[2][1] == "5.00"


def test_json_answers_are_json() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"}, {"nom": "Martin"})
    answers = run.json_answers()
    assert json.loads(json.dumps(answers)) == answers
    assert answers == {
        "motif": "nouveau",
        "nombre": 2,
        "debut": "2026-02-01",
        "courriel": "ana@example.org",
        "nom": "Martin",
        "total": {"$decimal": "5.00"},
    }


def test_drafts_round_trip() -> None:
    run = _run()
    _fill(
        run,
        {"motif": "remplacement", "numero": "B-42", "nombre": "2"},
        {"plainte": Upload("plainte.pdf", PDF)},
    )
    saved = json.loads(json.dumps(run.to_json()))
    restored = FormRun.from_json(DEMARCHE, run.context, saved)
    assert restored.answers() == run.answers()
    assert restored.page is not None
    assert restored.page.id == "dates"
    assert restored.to_json() == saved
    assert restored.back() is not None
    assert restored.page is not None
    assert restored.page.id == "vol"
    # A file uploaded before the draft was saved can be kept by its id.
    blob_id = run.answers()["plainte"][0].id
    _fill(restored, {"plainte": blob_id})
    assert restored.answers()["plainte"] == run.answers()["plainte"]


def test_a_draft_of_an_older_form_keeps_what_still_fits() -> None:
    saved = {
        "format": 1,
        "form": "essai",
        "page": "disparue",
        "stack": ["demande", "disparue"],
        "done": False,
        "answers": {"motif": "nouveau", "nombre": "pas un nombre", "ancien": "x", "debut": None},
        "files": [{"id": "x"}],
    }
    run = FormRun.from_json(DEMARCHE, make_context(), saved)
    assert run.answers() == {"motif": "nouveau"}
    assert _page_id(run) == "dates"


@pytest.mark.parametrize("data", [None, [], {"format": 2}, {"format": 1, "form": "autre"}])
def test_a_foreign_draft_is_refused(data: Any) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        FormRun.from_json(DEMARCHE, make_context(), data)


def test_a_completed_draft_of_an_older_form_asks_for_the_new_page() -> None:
    old = make_form({"id": "p1", "fields": [{"id": "a", "type": "text"}]})
    new = make_form(
        {"id": "p1", "fields": [{"id": "a", "type": "text"}]},
        {"id": "p2", "fields": [{"id": "b", "type": "text"}]},
    )
    run = FormRun.start(old, make_context())
    _fill(run, {"a": "x"})
    restored = FormRun.from_json(new, run.context, run.to_json())
    assert not restored.complete
    assert _page_id(restored) == "p2"
    assert restored.answers() == {"a": "x"}


def test_a_completed_draft_stays_complete() -> None:
    run = _run()
    _fill(run, {"motif": "nouveau", "nombre": "2"}, {"debut": "2026-02-01"}, {"nom": "Martin"})
    restored = FormRun.from_json(DEMARCHE, run.context, run.to_json())
    assert restored.complete
    assert restored.answers() == run.answers()


def test_live_fields_are_marked_for_renderers() -> None:
    described = {entry["id"]: entry for entry in _run().describe_page()}
    assert described["numero"]["live"] is True
    assert described["numero"]["visible"] is False
    assert described["motif"]["live"] is False
    assert described["motif"]["visible"] is True
    assert "value" not in described["titre"]


def test_conditions_see_params_user_site_and_today() -> None:
    form = make_form(
        {
            "id": "p",
            "fields": [
                {"id": "a", "type": "text", "required": False, "show_if": "params.option"},
                {"id": "b", "type": "text", "required": False, "show_if": "user and user.email"},
                {"id": "c", "type": "text", "required": False, "show_if": "site.slug == 'demo'"},
                {"id": "d", "type": "text", "required": False, "show_if": "today.year == 2026"},
                {"id": "e", "type": "text", "required": False, "show_if": "now.hour == 10"},
            ],
        }
    )
    ctx = make_context(parameters={"option": True}, user=USER, site={"slug": "demo"})
    assert len(FormRun.start(form, ctx).visible_fields()) == 5
    assert FormRun.start(form, make_context()).visible_fields()[0].id == "d"


def test_a_condition_that_fails_counts_as_false() -> None:
    form = make_form(
        {
            "id": "p",
            "fields": [
                {"id": "n", "type": "integer", "required": False},
                {"id": "m", "type": "text", "show_if": "n > 3"},  # None > 3 fails
            ],
        }
    )
    run = FormRun.start(form, make_context())
    _fill(run, {"m": "ignored"})
    assert run.complete
    assert run.answers() == {}


def test_an_invalid_expression_fails_when_the_definition_is_compiled() -> None:
    form = make_form({"id": "p", "fields": [{"id": "n", "type": "text", "show_if": "n ==="}]})
    with pytest.raises(ExpressionError):
        FormRun.start(form, make_context())


def test_definitions_are_compiled_once() -> None:
    assert compiled_form(DEMARCHE) is compiled_form(DEMARCHE)


def test_blocks_in_a_form_run() -> None:
    form = make_form(
        {
            "id": "famille",
            "fields": [
                {
                    "id": "enfants",
                    "type": "block",
                    "max_rows": 5,
                    "row_label": "{{ prenom }}",
                    "fields": [
                        {"id": "prenom", "type": "text"},
                        {"id": "naissance", "type": "date", "max": "today"},
                    ],
                },
                {"id": "nombre", "type": "computed", "expression": "enfants | length"},
            ],
        }
    )
    run = FormRun.start(form, make_context())
    result = run.submit(
        {
            "enfants.0.prenom": "Ana",
            "enfants.0.naissance": "01/02/2020",
            "enfants.1.prenom": "",
            "enfants.1.naissance": "",
            "enfants.2.prenom": "Bo",
            "enfants.2.naissance": "2030-01-01",
        }
    )
    assert _codes(result) == [("enfants.2.naissance", "date_too_late")]
    _fill(
        run,
        {
            "enfants.0.prenom": "Ana",
            "enfants.0.naissance": "01/02/2020",
            "enfants.2.prenom": "Bo",
            "enfants.2.naissance": "2021-03-04",
        },
    )
    assert run.answers() == {
        "enfants": [
            {"prenom": "Ana", "naissance": dt.date(2020, 2, 1)},
            {"prenom": "Bo", "naissance": dt.date(2021, 3, 4)},
        ],
        "nombre": 2,
    }
    text = run.summary()[0].items[0][1]
    assert text.splitlines() == [
        "Ana — Prenom : Ana; Naissance : 01/02/2020",
        "Bo — Prenom : Bo; Naissance : 04/03/2021",
    ]
    restored = FormRun.from_json(form, run.context, json.loads(json.dumps(run.to_json())))
    assert restored.answers() == run.answers()


@pytest.mark.parametrize(
    "raw",
    [
        {"motif": ["nouveau", "remplacement"], "nombre": {"$gt": ""}},
        {"motif": "nouveau\x00", "nombre": "2" * 10_000_000},
        {"motif.x.y.z": "nouveau", "nombre.0": "2"},
        {"motif": Upload("x", b"\x00" * 100), "nombre": b"2"},
        {1: "x", None: "y", ("a",): "z"},
        {"motif": "nоuveau", "nombre": "２"},  # Cyrillic o, full-width 2
    ],
)
def test_hostile_pages_give_errors_not_exceptions(raw: Any) -> None:
    run = _run()
    result = run.submit(raw)
    assert result.errors
    assert not result.done
    assert run.answers() == {}


def test_a_raw_input_that_is_not_a_mapping_is_empty() -> None:
    result = _run().submit(["motif", "nouveau"])  # type: ignore[arg-type]
    assert [code for _, code in _codes(result)] == ["required", "required"]


# --- the catalogue's demande-de-bac, end to end ----------------------------------------------


def test_demande_de_bac_end_to_end(demo_site: Site) -> None:
    form = demo_site.procedure("demande-de-bac").form.definition
    ctx = FormContext.from_site(demo_site, "demande-de-bac", user=USER, now=NOW)
    assert ctx.parameters == {"delai_jours": 10, "service": "Service propreté"}
    run = FormRun.start(form, ctx)
    options = {e["id"]: e for e in run.describe_page()}["modele"]["options"]
    assert options[0] == {
        "value": "om-120",
        "label": "Bac ordures ménagères (120 litres)",
        "hint": None,
    }
    result = run.submit(
        {"motif": "remplacement", "modele": "om-999", "vol_constate": "on", "foyer": "3"}
    )
    assert _codes(result) == [("modele", "invalid_choice"), ("declaration_vol", "required")]
    _fill(
        run,
        {
            "motif": "remplacement",
            "modele": "om-240",
            "numero_bac": "AB 1234",
            "vol_constate": "on",
            "declaration_vol": Upload("récépissé.pdf", PDF),
            "foyer": "3",
        },
        {
            "adresse.street": "12 rue des Lilas",
            "adresse.postcode": "99999",
            "adresse.city": "Démoville",
        }
        and {
            "adresse.street": "12 rue des Lilas",
            "adresse.postcode": "75011",
            "adresse.city": "Démoville",
            "consignes": "Digicode 1234\r\nBâtiment B",
        },
    )
    page = run.describe_page()
    assert {e["id"]: e for e in page}["info_delai"]["text"].startswith(
        "Le Service propreté vous livrera dans un délai d'environ 10"
    )
    assert {e["id"]: e for e in page}["prenom"]["value"] == "Ana"
    result = run.submit(
        {
            "nom": "Martin",
            "prenom": "Ana",
            "courriel": "ana@example.org",
            "telephone": "06 12 34 56 78",
        }
    )
    assert result.done
    assert run.complete
    answers = run.answers()
    assert answers["adresse"] == Address("12 rue des Lilas", "75011", "Démoville", "FR")
    assert answers["consignes"] == "Digicode 1234\nBâtiment B"
    assert answers["telephone"] == "+33612345678"
    assert answers["foyer"] == 3
    assert answers["vol_constate"] is True
    assert answers["declaration_vol"][0].name == "récépissé.pdf"
    summary = {item[0].id: item[1] for page in run.summary() for item in page.items}
    assert summary["modele"] == "Bac ordures ménagères (240 litres)"
    assert summary["motif"] == "Le remplacement d'un bac cassé ou volé"
    assert json.loads(json.dumps(run.json_answers()))["adresse"]["postcode"] == "75011"


def test_demande_de_bac_address_errors(demo_site: Site) -> None:
    form = demo_site.procedure("demande-de-bac").form.definition
    run = FormRun.start(form, FormContext.from_site(demo_site, "demande-de-bac", now=NOW))
    _fill(run, {"motif": "nouveau", "modele": "bio-40", "foyer": "1"})
    result = run.submit({"adresse.street": "1 rue X", "adresse.postcode": "99999"})
    assert _codes(result) == [
        ("adresse.postcode", "invalid_fr_postcode"),
        ("adresse.city", "required"),
    ]


# --- a large generated form ------------------------------------------------------------------


def _large_form(seed: int) -> tuple[FormDefinition, dict[str, int], dict[str, tuple[str, int]]]:
    """10 pages of 50 integer fields; 200 of them shown only if an earlier field is
    above a threshold (on an earlier page or earlier on the same page)."""
    rng = random.Random(seed)
    values: dict[str, int] = {}
    conditions: dict[str, tuple[str, int]] = {}
    ids = [f"f{i}" for i in range(500)]
    conditional = set(rng.sample(range(1, 500), 200))
    pages = []
    for p in range(10):
        fields = []
        for i in range(p * 50, p * 50 + 50):
            field: dict[str, Any] = {"id": ids[i], "type": "integer", "min": 0, "max": 9}
            if i in conditional:
                other = ids[rng.randrange(0, i)]
                threshold = rng.randrange(0, 10)
                conditions[ids[i]] = (other, threshold)
                field["show_if"] = f"{other} is not none and {other} > {threshold}"
            fields.append(field)
            values[ids[i]] = rng.randrange(0, 10)
        pages.append({"id": f"p{p}", "fields": fields})
    return make_form(*pages), values, conditions


def test_a_form_of_500_fields_and_200_conditions() -> None:
    form, values, conditions = _large_form(seed=7)
    # What the answers must be: a field is answered when it is shown.
    expected: dict[str, int] = {}
    for field_id, value in values.items():
        condition = conditions.get(field_id)
        if condition is None or expected.get(condition[0], -1) > condition[1]:
            expected[field_id] = value
    assert 50 < len(expected) - 300 < 200  # some conditional fields shown, some hidden

    run = FormRun.start(form, make_context())
    pages = 0
    while not run.complete:
        assert run.page is not None
        # The client posts every field of the page, hidden ones included.
        raw = {f.id: str(values[f.id]) for f in run.page.fields}
        result = run.submit(raw)
        assert result.ok, result.errors[:3]
        pages += 1
    assert pages == 10
    assert run.answers() == expected


def test_changing_an_early_answer_of_a_large_form_hides_what_depends_on_it() -> None:
    form, values, conditions = _large_form(seed=11)
    run = FormRun.start(form, make_context())
    while not run.complete:
        assert run.page is not None
        assert run.submit({f.id: str(values[f.id]) for f in run.page.fields}).ok
    while run.page is None or run.page.id != "p0":
        run.back()
    zeroes = {f.id: "0" for f in form.pages[0].fields}
    assert run.submit(zeroes).ok
    answers = run.answers()
    for field_id, (other, threshold) in conditions.items():
        if field_id in answers:
            assert answers.get(other, -1) > threshold
