"""The definition language: frozen pydantic models of the four file kinds.

* `FormDefinition` — ``catalog/forms/<slug>.yaml``
* `WorkflowDefinition` — ``catalog/workflows/<slug>.yaml``
* `CardDefinition` — ``catalog/cards/<slug>.yaml``
* `SiteDefinition` — ``catalog/sites/<slug>.yaml`` (one collectivity)

The models check the shape of one file; `formflow.catalog` checks what spans files
(references, expression names, workflow reachability) and locates every problem.
"""

from __future__ import annotations

from typing import Final

from formflow.definitions.cards import CardDefinition
from formflow.definitions.common import (
    FORMAT_VERSION,
    Definition,
    parse_duration,
    text_for,
)
from formflow.definitions.forms import FIELD_TYPES, AnyField, FormDefinition, Page
from formflow.definitions.sites import Adoption, SiteDefinition
from formflow.definitions.workflows import Action, Status, WorkflowDefinition

__all__ = [
    "FIELD_TYPES",
    "FORMAT_VERSION",
    "KINDS",
    "Action",
    "Adoption",
    "AnyField",
    "CardDefinition",
    "Definition",
    "FormDefinition",
    "Page",
    "SiteDefinition",
    "Status",
    "WorkflowDefinition",
    "parse_duration",
    "text_for",
]

#: File kind -> model; the kind is also the catalogue sub-directory (``forms/`` …).
KINDS: Final[dict[str, type[Definition]]] = {
    "forms": FormDefinition,
    "workflows": WorkflowDefinition,
    "cards": CardDefinition,
    "sites": SiteDefinition,
}
