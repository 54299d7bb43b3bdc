"""Site files (``catalog/sites/<slug>.yaml``): one collectivity's adoption of procedures.

A site file names the collectivity, its look and contact, its agent groups, the
procedures it adopts with their parameter values, and which agent groups play each
workflow role. Secrets are never written in it: ``secrets`` maps a name to
``env:VARIABLE``, read from the environment when needed.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, EmailStr, Field, StringConstraints

from formflow.definitions.common import (
    ColourHex,
    Definition,
    Flag,
    Identifier,
    LanguageCode,
    Model,
    Slug,
    Text,
)

__all__ = ["Adoption", "Colours", "Contact", "SiteDefinition"]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_Groups = Annotated[
    list[Identifier],
    BeforeValidator(_as_list, json_schema_input_type=Identifier | list[Identifier]),
]


class Colours(Model):
    """The site's colours; text on ``primary`` must keep a 4.5:1 contrast."""

    primary: ColourHex = "#000091"
    accent: ColourHex = "#e1000f"


class Contact(Model):
    """How citizens reach the collectivity (shown in the footer and in e-mails)."""

    email: EmailStr | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    address: Text | None = None
    url: Annotated[str, StringConstraints(pattern=r"^https?://")] | None = None


class Adoption(Model):
    """One adopted procedure: its parameter values and local settings."""

    parameters: dict[Identifier, Any] = {}
    """Values of the form's ``parameters``."""
    roles: dict[Identifier, _Groups] = {}
    """Workflow role -> agent groups, overriding the site-wide ``roles`` for this one."""
    title: Text | None = None
    """A local title replacing the catalogue's."""
    enabled: Flag = True
    """False keeps the settings but hides the procedure."""


class SiteDefinition(Definition):
    """A collectivity's configuration.

    Example (YAML)::

        format: 1
        slug: demo
        name: Commune de Démoville
        groups: {accueil: Accueil de la mairie}
        roles: {receiver: accueil}
        procedures:
          demande-de-bac:
            parameters: {delai_jours: 15}
    """

    slug: Slug
    name: Text
    """The collectivity's name, shown in the header."""
    logo: Annotated[str, StringConstraints(max_length=500)] | None = None
    """Path (relative to the site file) or URL of the logo."""
    colours: Colours = Colours()
    contact: Contact = Contact()
    languages: Annotated[list[LanguageCode], Field(min_length=1)] = ["fr", "en"]
    """Languages offered, the first being the default."""
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "FR"
    """Country whose public holidays count for business-day timeouts."""
    timezone: str = "Europe/Paris"
    categories: dict[Slug, Text] = {}
    """Titles of procedure categories on the home page (by category slug)."""
    groups: dict[Identifier, Text] = {}
    """Agent groups: id -> name."""
    roles: dict[Identifier, _Groups] = {}
    """Workflow role -> agent groups, for every adopted procedure."""
    procedures: dict[Slug, Adoption | None] = {}
    """Adopted procedures by slug; an empty entry takes every default."""
    cards: dict[Slug, list[dict[Identifier, Any]]] = {}
    """Records of cards, by card slug."""
    secrets: dict[
        Identifier, Annotated[str, StringConstraints(pattern=r"^env:[A-Z_][A-Z0-9_]*$")]
    ] = {}
    """Secret name -> ``env:VARIABLE`` holding it."""
