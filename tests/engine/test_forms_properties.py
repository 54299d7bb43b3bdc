"""Property tests: generated forms, generated (often hostile) input.

Whatever a client posts, a page submit returns a `PageResult` and never raises; the
answers it keeps belong to visible fields and round-trip through JSON, alone and
inside a saved draft.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from formkit import NOW, make_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from formflow.definitions.forms import FormDefinition
from formflow.engine.context import FormContext, Upload, UserProfile
from formflow.engine.errors import FieldError
from formflow.engine.fields import field_types
from formflow.engine.forms import FormRun, PageResult

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
OPTIONS = ["a", "b", "c", "d"]
PDF = b"%PDF-1.7 generated"
PNG = b"\x89PNG\r\n\x1a\n generated"

# --- generated field definitions -----------------------------------------------------------

_flag = st.booleans()


def _field_specs() -> st.SearchStrategy[dict[str, Any]]:
    simple = st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("text"), "required": _flag},
            optional={
                "max_length": st.integers(1, 40),
                "validator": st.sampled_from(["siret", "fr_postcode", "email", "iban"]),
                "pattern": st.sampled_from(["[a-z]+", "(a|b)*c?", ".{2,5}"]),
            },
        ),
        st.fixed_dictionaries({"type": st.just("textarea"), "required": _flag}),
        st.fixed_dictionaries({"type": st.just("email"), "required": _flag}),
        st.fixed_dictionaries(
            {
                "type": st.just("phone"),
                "required": _flag,
                "region": st.sampled_from(["FR", "BE", None]),
            }
        ),
        st.fixed_dictionaries(
            {"type": st.just("integer"), "required": _flag},
            optional={
                "min": st.integers(-5, 0),
                "max": st.integers(1, 60),
                "step": st.integers(1, 3),
            },
        ),
        st.fixed_dictionaries(
            {"type": st.just("decimal"), "required": _flag},
            optional={"places": st.integers(0, 3), "max": st.just("100")},
        ),
        st.fixed_dictionaries(
            {"type": st.just("date"), "required": _flag},
            optional={
                "min": st.sampled_from(["today", "2020-01-01", "today - 18 years"]),
                "max": st.sampled_from(["today + 1 year", "2030-12-31"]),
            },
        ),
        st.fixed_dictionaries(
            {"type": st.just("time"), "required": _flag},
            optional={"step_minutes": st.sampled_from([1, 15])},
        ),
        st.fixed_dictionaries({"type": st.just("datetime"), "required": _flag}),
        st.fixed_dictionaries({"type": st.just("boolean"), "required": _flag}),
        st.fixed_dictionaries(
            {"type": st.just("choice"), "required": _flag, "options": st.just(OPTIONS)}
        ),
        st.fixed_dictionaries(
            {"type": st.just("multichoice"), "required": _flag, "options": st.just(OPTIONS)},
            optional={"max_choices": st.integers(1, 4)},
        ),
        st.fixed_dictionaries(
            {"type": st.just("file"), "required": _flag, "max_count": st.integers(1, 2)}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("address"),
                "required": _flag,
                "country": st.sampled_from(["FR", "BE"]),
            }
        ),
        st.fixed_dictionaries({"type": st.just("map"), "required": _flag}),
        st.just({"type": "title", "label": "Titre"}),
        st.just({"type": "comment", "text": "Bonjour {{ params.nom }}"}),
    )
    block = st.fixed_dictionaries(
        {
            "type": st.just("block"),
            "required": _flag,
            "max_rows": st.integers(1, 3),
            "min_rows": st.just(1),
            "fields": st.lists(simple, min_size=1, max_size=3).map(_without_display),
        }
    )
    return st.one_of(simple, simple, simple, block)


def _without_display(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = [s for s in specs if s["type"] not in ("title", "comment")]
    return [dict(s, id=f"r{i}") for i, s in enumerate(kept or [{"type": "text"}])]


@st.composite
def forms(draw: st.DrawFn) -> FormDefinition:
    """1 to 3 pages of 1 to 5 fields, some shown only under a condition on an earlier
    field, a computed field, and a page check."""
    pages = []
    ids: list[str] = []
    count = 0
    for p in range(draw(st.integers(1, 3))):
        fields = []
        for spec in draw(st.lists(_field_specs(), min_size=1, max_size=5)):
            field = dict(spec, id=f"f{count}")
            if field["type"] == "block":
                field["fields"] = [dict(c, id=f"f{count}_{c['id']}") for c in field["fields"]]
            count += 1
            if draw(st.booleans()) and ids:
                other = draw(st.sampled_from(ids))
                field["show_if"] = draw(
                    st.sampled_from([f"{other} is not none", f"{other} == 'a'", f"not {other}"])
                )
            ids.append(field["id"])
            fields.append(field)
        if draw(st.booleans()):
            fields.append(
                {
                    "id": f"c{p}",
                    "type": "computed",
                    "expression": f"{ids[-1]} ~ ''",
                    "freeze": draw(st.booleans()),
                }
            )
        page: dict[str, Any] = {"id": f"p{p}", "fields": fields}
        if p and draw(st.booleans()):
            page["show_if"] = f"{draw(st.sampled_from(ids))} is none"
        if len(fields) > 1 and draw(st.booleans()):
            page["checks"] = [
                {
                    "condition": f"{fields[0]['id']} != {fields[1]['id']}",
                    "message": "Différents.",
                    "fields": [fields[1]["id"]],
                }
            ]
        pages.append(page)
    return make_form(*pages)


# --- generated raw input -------------------------------------------------------------------

_scalar_junk = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=10),
    st.sampled_from(
        [
            "\x00",
            "\ud800",
            "\u202e",
            "１２",
            "٣",
            "1e999",
            "NaN",
            "-0",
            " ",
            "on",
            "0" * 200,
            "a" * 300_000,
            "31/02/2026",
            "25:61",
            "+33 1 23 45 67 89",
        ]
    ),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=20),
    st.builds(Upload, st.text(max_size=20), st.sampled_from([b"", PDF, PNG, b"MZ", b"PK\x03\x04"])),
)
_junk = st.recursive(
    _scalar_junk,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=12,
)


def _plausible(spec: Any) -> st.SearchStrategy[Any]:
    """Input of the right shape, often valid: what a real browser would post."""
    kind = spec.type
    words = st.text(alphabet="abcdefgh ", min_size=1, max_size=12)
    if kind in ("text", "textarea"):
        return st.one_of(words, st.sampled_from(["73282932000074", "75001", "a@b.fr", "abc"]))
    if kind == "email":
        return st.sampled_from(["ana@example.org", "Bo@Mairie.FR", "x@", ""])
    if kind == "phone":
        return st.sampled_from(["01 23 45 67 89", "+32 2 123 45 67", "02 123 45 67", "123"])
    if kind == "integer":
        return st.integers(-10, 70).map(str)
    if kind == "decimal":
        return st.decimals(-10, 200, places=3).map(lambda d: str(d).replace(".", ","))
    if kind in ("date", "datetime"):
        dates = st.dates(dt.date(1990, 1, 1), dt.date(2032, 1, 1))
        if kind == "date":
            return st.one_of(dates.map(str), dates.map(lambda d: d.strftime("%d/%m/%Y")))
        return dates.map(lambda d: f"{d}T10:15")
    if kind == "time":
        return st.times().map(lambda t: t.strftime("%H:%M"))
    if kind == "boolean":
        return st.sampled_from(["on", None, ""])
    if kind == "choice":
        return st.sampled_from([*OPTIONS, "z"])
    if kind == "multichoice":
        return st.lists(st.sampled_from(OPTIONS), max_size=4)
    if kind == "file":
        return st.sampled_from([Upload("a.pdf", PDF), Upload("b.png", PNG), [Upload("a.pdf", PDF)]])
    if kind == "address":
        return st.fixed_dictionaries(
            {
                "street": words,
                "postcode": st.sampled_from(["75001", "1000", "99999"]),
                "city": words,
            }
        )
    if kind == "map":
        return st.fixed_dictionaries(
            {
                "lat": st.decimals(-95, 95, places=4).map(str),
                "lon": st.decimals(-185, 185, places=4).map(str),
            }
        )
    if kind == "block":
        row = st.fixed_dictionaries({child.id: _plausible(child) for child in spec.fields})
        return st.dictionaries(st.sampled_from(["0", "1", "2", "5"]), row, max_size=3)
    return st.none()


@st.composite
def page_inputs(draw: st.DrawFn, run: FormRun) -> dict[Any, Any]:
    page = run.page
    assert page is not None
    raw: dict[Any, Any] = {}
    for field in page.fields:
        choice = draw(st.integers(0, 9))
        if choice < 7:
            raw[field.id] = draw(_plausible(field))
        elif choice < 9:
            raw[field.id] = draw(_junk)
    raw.update(draw(st.dictionaries(st.text(max_size=12), _junk, max_size=3)))
    return raw


# --- properties ----------------------------------------------------------------------------


def _context() -> FormContext:
    return FormContext(
        parameters={"nom": "Démoville"},
        user=UserProfile("u1", email="ana@example.org"),
        now=NOW,
    )


def _check_result(run: FormRun, result: Any) -> None:
    assert isinstance(result, PageResult)
    for error in result.errors:
        assert isinstance(error, FieldError)
        assert error.code
        assert error.message_fr
        assert error.message_en
        assert isinstance(error.path, str)
    if result.errors:
        assert not result.done
        assert result.next_page is not None
    else:
        assert result.done == (result.next_page is None) == run.complete


def _check_answers(run: FormRun) -> None:
    answers = run.answers()
    visible = {f.id for page in run.form.pages for f in run.visible_fields(page)}
    assert set(answers) <= visible
    assert None not in answers.values()
    data = json.loads(json.dumps(run.json_answers()))
    fields = {f.id: f for page in run.form.pages for f in page.fields}
    for field_id, value in answers.items():
        field = fields[field_id]
        implementation = field_types[field.type]
        assert implementation.from_json(field, data[field_id]) == value
        assert not isinstance(value, float)
    restored = FormRun.from_json(run.form, run.context, json.loads(json.dumps(run.to_json())))
    assert restored.answers() == answers
    assert (restored.page.id if restored.page else None) == (run.page.id if run.page else None)


@SETTINGS
@given(data=st.data(), form=forms())
def test_a_submit_returns_errors_or_a_valid_result(
    data: st.DataObject, form: FormDefinition
) -> None:
    run = FormRun.start(form, _context())
    for _ in range(6):
        if run.complete:
            break
        result = run.submit(data.draw(page_inputs(run)))
        _check_result(run, result)
        _check_answers(run)
        if data.draw(st.integers(0, 4)) == 0:
            run.back()
    for page in run.summary():
        assert all(isinstance(text, str) for _, text in page.items)


@SETTINGS
@given(form=forms(), raw=st.dictionaries(st.text(max_size=15), _junk, max_size=8))
def test_junk_never_raises(form: FormDefinition, raw: dict[str, Any]) -> None:
    run = FormRun.start(form, _context())
    _check_result(run, run.submit(raw))
    _check_answers(run)
    assert json.loads(json.dumps(run.describe_page(), default=str)) is not None


@settings(deadline=None, max_examples=200)
@given(
    value=st.decimals(
        allow_nan=False,
        allow_infinity=False,
        places=2,
        min_value=Decimal("-1e12"),
        max_value=Decimal("1e12"),
    )
)
def test_decimals_round_trip_exactly(value: Decimal) -> None:
    form = make_form({"id": "p", "fields": [{"id": "m", "type": "decimal"}]})
    run = FormRun.start(form, _context())
    assert run.submit({"m": format(value, "f").replace(".", ",")}).ok
    assert run.answers()["m"] == value
    assert FormRun.from_json(form, run.context, run.to_json()).answers()["m"] == value


class FormRunMachine(RuleBasedStateMachine):
    """Random submits, backs and save/load cycles on one generated form."""

    def __init__(self) -> None:
        super().__init__()
        self.run: FormRun | None = None

    @precondition(lambda self: self.run is None)
    @rule(form=forms())
    def start(self, form: FormDefinition) -> None:
        self.run = FormRun.start(form, _context())

    @precondition(lambda self: self.run is not None and not self.run.complete)
    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        assert self.run is not None
        _check_result(self.run, self.run.submit(data.draw(page_inputs(self.run))))

    @precondition(lambda self: self.run is not None)
    @rule()
    def back(self) -> None:
        assert self.run is not None
        before = self.run.answers()
        self.run.back()
        assert self.run.answers() == before

    @precondition(lambda self: self.run is not None)
    @rule()
    def save_and_load(self) -> None:
        assert self.run is not None
        saved = json.loads(json.dumps(self.run.to_json()))
        self.run = FormRun.from_json(self.run.form, self.run.context, saved)

    @invariant()
    def answers_are_visible_and_serialisable(self) -> None:
        if self.run is not None:
            _check_answers(self.run)


TestFormRunMachine = FormRunMachine.TestCase
TestFormRunMachine.settings = settings(
    max_examples=60,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
