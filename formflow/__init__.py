"""formflow: online public-service procedures from a shared catalogue.

A procedure is a form file and a workflow file. Load a catalogue, then a
collectivity's site file that adopts procedures and sets their parameters::

    import formflow

    catalog = formflow.load_catalog("catalog/")
    site = formflow.load_site("catalog/sites/demo.yaml", catalog)
    site.procedure("demande-de-bac").parameters
"""

from __future__ import annotations

from formflow.catalog import Catalog, Entry, Procedure, Site, load_catalog, load_site
from formflow.definitions import (
    CardDefinition,
    FormDefinition,
    SiteDefinition,
    WorkflowDefinition,
)
from formflow.exceptions import (
    DefinitionError,
    ExpressionError,
    FormflowError,
    NotFoundError,
    Problem,
)
from formflow.loaders import DictLoader, FileSystemLoader, Loader, PackageLoader, bundled_catalog

__version__ = "0.1.0"

__all__ = [
    "CardDefinition",
    "Catalog",
    "DefinitionError",
    "DictLoader",
    "Entry",
    "ExpressionError",
    "FileSystemLoader",
    "FormDefinition",
    "FormflowError",
    "Loader",
    "NotFoundError",
    "PackageLoader",
    "Problem",
    "Procedure",
    "Site",
    "SiteDefinition",
    "WorkflowDefinition",
    "__version__",
    "bundled_catalog",
    "load_catalog",
    "load_site",
]
