"""Card files (``catalog/cards/<slug>.yaml``): data a collectivity maintains.

A card model says what a record holds (a room: name, capacity, equipment, price);
each site fills in its own records (in its site file or through the back office), and
forms use them as option lists (``source: {type: card, card: salles}``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from formflow.definitions.common import Definition, Identifier, Slug, Template, Text
from formflow.definitions.forms import AnyField

__all__ = ["CardDefinition"]


class CardDefinition(Definition):
    """The model of a card's records.

    Example (YAML)::

        format: 1
        slug: salles
        title: Salles municipales
        key: code
        label: "{{ nom }} ({{ capacite }} places)"
        fields:
          - {id: code, type: text, label: Code}
          - {id: nom, type: text, label: Nom}
          - {id: capacite, type: integer, label: Capacité, min: 1}
    """

    slug: Slug
    title: Text
    description: Text | None = None
    key: Identifier
    """The field whose value identifies a record (stored in answers that choose it)."""
    label: Template
    """How a record is shown in option lists, e.g. ``{{ nom }}``."""
    fields: Annotated[list[AnyField], Field(min_length=1)]
