"""The reference of the definition language (docs/definition-format.md) keeps up with the models.

Conventions of that page, checked here:

* every model has a key table, announced by ``<!-- keys: ModelName -->`` on the line
  before it; keys shared by several models are documented once, in a table announced by
  ``<!-- keys: group-name -->``, and a model that has them says
  ``<!-- keys: ModelName; also: group-name, … -->``. Together, a model's tables list
  exactly its keys, and the Default column says ``required``, ``—`` (no default), or
  gives the default as YAML in backticks;
* every field type (``type: text`` …) and every step kind (``do: email`` …) has its own
  heading;
* a YAML example whose first line is ``# kind: forms`` (``workflows``, ``cards``,
  ``sites``) is a complete file; all of them together form a catalogue and site files
  that load without a problem;
* a YAML example whose first line is ``# model: Name`` is checked against that model (a
  list: each item); one whose first line is ``# model: Name.key`` holds that key alone,
  and its value is checked against the key's type.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter
from pydantic.fields import FieldInfo

from formflow.catalog import load_catalog, load_site, read_definition
from formflow.definitions import KINDS
from formflow.definitions.cards import CardDefinition
from formflow.definitions.forms import (
    FIELD_TYPES,
    AnyField,
    CardSource,
    Check,
    FormDefinition,
    JsonSource,
    NamedSource,
    Option,
    Page,
    Parameter,
    Prefill,
)
from formflow.definitions.sites import Adoption, Colours, Contact, SiteDefinition
from formflow.definitions.workflows import (
    Action,
    GlobalAction,
    GlobalTimer,
    Jump,
    MessageTemplate,
    Status,
    Step,
    Timeout,
    WorkflowDefinition,
)
from formflow.loaders import DictLoader
from formflow.sources import parse

DOC = Path(__file__).resolve().parent.parent / "docs" / "definition-format.md"
TEXT = DOC.read_text(encoding="utf-8")
LINES = TEXT.splitlines()


def _members(union: Any) -> list[type[BaseModel]]:
    """The models of a discriminated union such as `AnyField` or `Step`."""
    members = typing.get_args(typing.get_args(union)[0])
    # Members may be tagged (`Annotated[TextField, Tag("text")]`): keep the model.
    return [
        typing.get_args(m)[0] if typing.get_origin(m) is typing.Annotated else m for m in members
    ]


FIELD_MODELS = _members(AnyField)
STEP_MODELS = _members(Step)
STEP_KINDS = [typing.get_args(model.model_fields["do"].annotation)[0] for model in STEP_MODELS]

MODELS: list[type[BaseModel]] = [
    FormDefinition,
    Parameter,
    Option,
    Page,
    Check,
    Prefill,
    *FIELD_MODELS,
    CardSource,
    JsonSource,
    NamedSource,
    WorkflowDefinition,
    Status,
    Action,
    GlobalAction,
    GlobalTimer,
    Jump,
    Timeout,
    MessageTemplate,
    *STEP_MODELS,
    CardDefinition,
    SiteDefinition,
    Adoption,
    Colours,
    Contact,
]
MODELS_BY_NAME = {model.__name__: model for model in MODELS}


# --- Key tables -------------------------------------------------------------------------

_MARKER = re.compile(r"^<!-- keys: (?P<name>[\w-]+)(?:; also: (?P<also>[\w, -]+))? -->$")
# A cell separator: a pipe outside code spans (followed by an even number of backticks).
_CELL_SPLIT = re.compile(r"\|(?=(?:[^`]*`[^`]*`)*[^`]*$)")


@dataclass(frozen=True)
class Row:
    key: str
    default: str
    line: int


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    also: list[str]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SPLIT.split(line.strip().strip("|"))]


def _tables() -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for index, line in enumerate(LINES):
        match = _MARKER.match(line.strip())
        if match is None:
            continue
        name = match["name"]
        assert name not in tables, f"line {index + 1}: a second key table for {name}"
        body = []
        for following in LINES[index + 1 :]:
            if not following.startswith("|"):
                break
            body.append(following)
        assert len(body) > 2, f"line {index + 1}: no table after the marker for {name}"
        assert _cells(body[0])[:3] == ["Key", "Type", "Default"], f"line {index + 2}"
        rows = []
        for offset, row_line in enumerate(body[2:], start=index + 4):
            cells = _cells(row_line)
            key = re.fullmatch(r"`(\w+)`", cells[0])
            assert key is not None, f"line {offset}: the first cell is not a `key`"
            rows.append(Row(key[1], cells[2], offset))
        also = [n.strip() for n in (match["also"] or "").split(",") if n.strip()]
        tables[name] = Table(rows, also)
    return tables


TABLES = _tables()


def _documented(name: str) -> dict[str, Row]:
    """Key -> its row for a model: its own table first, then the tables it names."""
    table = TABLES.get(name)
    if table is None:
        return {}
    found: dict[str, Row] = {}
    for row in table.rows:
        assert row.key not in found, f"line {row.line}: key {row.key!r} given twice for {name}"
        found[row.key] = row
    for other in table.also:
        assert other in TABLES, f"{name} refers to a key table {other!r} that does not exist"
        for key, row in _documented(other).items():
            found.setdefault(key, row)
    return found


def _adapter(info: FieldInfo) -> TypeAdapter[Any]:
    """Validates values of one key as the model does, constraints included."""
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    return TypeAdapter(annotation)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_key_of_the_model_is_documented(model: type[BaseModel]) -> None:
    assert model.__name__ in TABLES, f"no key table <!-- keys: {model.__name__} --> in {DOC}"
    documented = _documented(model.__name__)
    missing = sorted(set(model.model_fields) - set(documented))
    extra = sorted(set(documented) - set(model.model_fields))
    assert not missing, f"{model.__name__}: keys missing from the reference: {missing}"
    assert not extra, f"{model.__name__}: the reference documents keys it lacks: {extra}"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_documented_defaults_match_the_model(model: type[BaseModel]) -> None:
    for key, row in _documented(model.__name__).items():
        info = model.model_fields.get(key)
        if info is None:
            continue  # reported by test_every_key_of_the_model_is_documented
        where = f"{model.__name__}.{key} (line {row.line}, default {row.default!r})"
        if row.default.startswith("required"):
            assert info.is_required(), f"{where}: the model has a default, {info.default!r}"
            continue
        assert not info.is_required(), f"{where}: the model requires this key"
        if row.default.startswith("—"):
            assert info.default is None, f"{where}: the model's default is {info.default!r}"
        elif row.default.startswith("`"):
            source, problems = parse(row.default.split("`")[1])
            assert source is not None, f"{where}: {problems}"
            assert not problems, f"{where}: {problems}"
            value = _adapter(info).validate_python(source.data)
            assert value == info.default, f"{where}: the model's default is {info.default!r}"
        # Otherwise the default is described in words (a nested model's own defaults).


def test_every_key_table_belongs_to_a_model() -> None:
    groups = {name for table in TABLES.values() for name in table.also}
    stray = sorted(set(TABLES) - set(MODELS_BY_NAME) - groups)
    assert not stray, f"key tables of no model (renamed or removed?): {stray}"


def _has_heading(text: str) -> bool:
    return any(line.startswith(("#", "|")) and text in line for line in LINES)


@pytest.mark.parametrize("field_type", FIELD_TYPES)
def test_every_field_type_has_a_heading(field_type: str) -> None:
    assert _has_heading(f"`type: {field_type}`"), f"no heading for field type {field_type!r}"


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_kind_has_a_heading(kind: str) -> None:
    assert _has_heading(f"`do: {kind}`"), f"no heading for step kind {kind!r}"


# --- Examples ---------------------------------------------------------------------------

_YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Example:
    line: int
    tag: str
    text: str


def _examples() -> list[Example]:
    found = []
    for match in _YAML_BLOCK.finditer(TEXT):
        text = match[1]
        line = TEXT.count("\n", 0, match.start()) + 2
        found.append(Example(line, text.split("\n", 1)[0], text))
    return found


EXAMPLES = _examples()
FILES = [e for e in EXAMPLES if e.tag.startswith("# kind: ")]
PARTS = [e for e in EXAMPLES if e.tag.startswith("# model: ")]


def _kind(example: Example) -> str:
    return example.tag.removeprefix("# kind: ").strip()


def test_every_yaml_example_is_checked() -> None:
    unchecked = [
        e.line
        for e in EXAMPLES
        if e not in FILES and e not in PARTS and not e.tag.startswith("# yaml-language-server:")
    ]
    assert not unchecked, f"YAML examples with no '# kind:' or '# model:' line: {unchecked}"
    assert {_kind(e) for e in FILES} == set(KINDS), "a complete example of each file kind"


@pytest.mark.parametrize("example", FILES, ids=lambda e: f"line{e.line}")
def test_complete_example_is_a_valid_file(example: Example) -> None:
    kind = _kind(example)
    assert kind in KINDS, f"line {example.line}: unknown kind {kind!r}"
    result = read_definition(example.text, kind, f"{DOC.name}:{example.line}")
    assert result.problems == []


def test_complete_examples_load_together() -> None:
    files = {}
    for example in FILES:
        kind = _kind(example)
        if kind != "sites":
            definition = read_definition(example.text, kind).definition
            assert definition is not None, f"line {example.line} is not a valid {kind} file"
            files[f"{kind}/{definition.slug}.yaml"] = example.text  # type: ignore[attr-defined]
    catalog = load_catalog(DictLoader(files))
    for example in FILES:
        if _kind(example) == "sites":
            load_site(example.text.encode(), catalog, name=f"{DOC.name}:{example.line}")


@pytest.mark.parametrize("example", PARTS, ids=lambda e: f"line{e.line}")
def test_partial_example_fits_its_model(example: Example) -> None:
    name, _, key = example.tag.removeprefix("# model: ").strip().partition(".")
    model = MODELS_BY_NAME.get(name)
    assert model is not None, f"line {example.line}: unknown model {name!r}"
    source, problems = parse(example.text)
    assert source is not None, problems
    assert problems == []
    if key:
        assert key in model.model_fields, f"line {example.line}: {name} has no key {key!r}"
        assert isinstance(source.data, dict), f"line {example.line}: expected '{key}:' alone"
        assert list(source.data) == [key], f"line {example.line}: expected '{key}:' alone"
        _adapter(model.model_fields[key]).validate_python(source.data[key])
    elif isinstance(source.data, list):
        for item in source.data:
            model.model_validate(item)
    else:
        model.model_validate(source.data)
