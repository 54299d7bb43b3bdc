"""The form engine and workflow runtime: pure logic, no web and no storage.

Run a form::

    from formflow.engine import FormContext, FormRun

    run = FormRun.start(form, FormContext(parameters={"delai_jours": 10}))
    result = run.submit({"motif": "nouveau"})
    result.errors, result.next_page, result.done

Modules: `formflow.engine.forms` (the run), `formflow.engine.fields` (field types),
`formflow.engine.context` (what a run needs from its host),
`formflow.engine.datasources` (option lists), `formflow.engine.errors` (messages),
`formflow.engine.values` (structured answers), `formflow.engine.validators`.
"""

from __future__ import annotations

from formflow.engine.context import BlobStore, FormContext, InMemoryBlobStore, Upload, UserProfile
from formflow.engine.datasources import ChoiceOption, DataSourceError, DataSources, SourceFunction
from formflow.engine.errors import MESSAGES, FieldError, Reject, Rejected
from formflow.engine.fields import FieldContext, FieldType, field_types, register_field_type
from formflow.engine.forms import FormRun, PageResult, SummaryPage
from formflow.engine.values import Address, FileRef, GeoPoint

__all__ = [
    "MESSAGES",
    "Address",
    "BlobStore",
    "ChoiceOption",
    "DataSourceError",
    "DataSources",
    "FieldContext",
    "FieldError",
    "FieldType",
    "FileRef",
    "FormContext",
    "FormRun",
    "GeoPoint",
    "InMemoryBlobStore",
    "PageResult",
    "Reject",
    "Rejected",
    "SourceFunction",
    "SummaryPage",
    "Upload",
    "UserProfile",
    "field_types",
    "register_field_type",
]
