"""JSON Schemas of definition files: committed, current, and true to the catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import CATALOG, ROOT

from formflow.definitions.schemas import SCHEMA_FILES, definition_schemas, schema_text

SCHEMAS = ROOT / "schemas"


@pytest.mark.parametrize(("name", "schema"), sorted(definition_schemas().items()))
def test_committed_schemas_are_up_to_date(name: str, schema: dict[str, object]) -> None:
    path = SCHEMAS / name
    assert path.exists(), f"schemas/{name} is missing: run 'formflow schema'"
    assert path.read_text(encoding="utf-8") == schema_text(schema), (
        f"schemas/{name} is stale: run 'formflow schema' and commit the result"
    )


CATALOGUE_FILES = sorted(
    (kind, path) for kind in SCHEMA_FILES for path in (CATALOG / kind).glob("*.yaml")
)


@pytest.mark.parametrize(("kind", "path"), CATALOGUE_FILES, ids=lambda v: getattr(v, "name", v))
def test_catalogue_files_validate_against_their_schema(kind: str, path: Path) -> None:
    schema = json.loads((SCHEMAS / SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)


def test_catalogue_files_name_their_schema_for_editors() -> None:
    for kind, path in CATALOGUE_FILES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# yaml-language-server: $schema=../../schemas/{SCHEMA_FILES[kind]}"
