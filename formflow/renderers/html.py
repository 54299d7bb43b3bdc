"""HTML pages from jinja2 templates, with autoescape always on.

The templates live in ``formflow/renderers/templates`` and the stylesheet in
``formflow/renderers/static``. Texts of the interface go through gettext (``_()``),
so translations are Babel catalogues; texts of the catalogue (labels, hints) come in
each definition's own languages and are picked with `text_for`.

This environment renders formflow's own templates. Catalogue templates (a comment
quoting an answer) are rendered in the sandbox of `formflow.expressions` first, and
arrive here as plain text, escaped like any other value.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from formflow.definitions.common import text_for

__all__ = ["INTERFACE_LANGUAGES", "STATIC_DIR", "TEMPLATE_DIR", "HtmlRenderer"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: Languages the interface's own texts exist in. A page may only be offered in these,
#: or it would declare ``lang="en"`` over French words; English comes with its Babel
#: catalogue.
INTERFACE_LANGUAGES = ("fr",)
STATIC_DIR = Path(__file__).resolve().parent / "static"


class HtmlRenderer:
    """Renders formflow's pages; one per application.

    >>> page = HtmlRenderer().render("error.html", title="Oups", message="Perdu",
    ...                               reference=None, site=None, language="fr")
    >>> "<title>Oups" in page
    True
    """

    def __init__(self, template_dir: Path = TEMPLATE_DIR) -> None:
        self.environment = Environment(
            loader=FileSystemLoader(template_dir),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.install_gettext_translations(  # type: ignore[attr-defined]
            gettext.NullTranslations(), newstyle=True
        )
        self.environment.filters["text"] = _text_filter
        self.environment.globals["field_error"] = _field_error

    def render(self, template: str, **context: Any) -> str:
        """The page ``template`` rendered with ``context``."""
        return self.environment.get_template(template).render(**context)


def _text_filter(value: str | Mapping[str, str] | None, language: str = "fr") -> str:
    return text_for(value if not isinstance(value, Mapping) else dict(value), language)


def _field_error(errors: Mapping[str, Any], name: str) -> Any:
    """The first error of the field named ``name`` (or of one of its parts)."""
    if name in errors:
        return errors[name]
    prefix = name + "."
    return next((error for key, error in errors.items() if key.startswith(prefix)), None)
