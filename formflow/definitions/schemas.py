"""JSON Schemas of the four file kinds, for editors and other tools.

``formflow schema`` writes them to ``schemas/``; an editor running yaml-language-server
validates and completes a catalogue file that starts with
``# yaml-language-server: $schema=../../schemas/form.schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from formflow.definitions import KINDS

__all__ = ["SCHEMA_FILES", "definition_schemas", "schema_text"]

#: File kind -> schema file name.
SCHEMA_FILES = {
    "forms": "form.schema.json",
    "workflows": "workflow.schema.json",
    "cards": "card.schema.json",
    "sites": "site.schema.json",
}


def definition_schemas() -> dict[str, dict[str, Any]]:
    """Schema file name -> JSON Schema (draft 2020-12) of what a file may contain."""
    out = {}
    for kind, model in KINDS.items():
        schema = model.model_json_schema(mode="validation")
        name = SCHEMA_FILES[kind]
        out[name] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://formflow.invalid/schemas/{name}",
            **schema,
        }
    return out


def schema_text(schema: dict[str, Any]) -> str:
    """The schema as written to disk: stable, readable, ending with a newline."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
