"""Running a form: pages, visibility, validation, computed values, drafts.

A `FormRun` is one citizen filling in one form. It holds the answers given so far
(typed values, keyed by field id), the page shown and the pages visited, and moves
forward one submitted page at a time::

    run = FormRun.start(form, ctx)
    result = run.submit({"motif": "nouveau", "foyer": "3"})
    if result.errors:
        ...                          # show result.next_page again, with the messages
    elif result.done:
        run.json_answers()           # hand the case over to the workflow
    run.back()                       # the previous visible page; answers are kept

Rules the run keeps:

* a page or field whose ``show_if`` is false is skipped, and its answer is dropped
  (also when the client sends one);
* fields of a page are read in order, so a condition may use an earlier field of the
  same page; page ``checks`` run once every field of the page is valid;
* computed fields are evaluated after each page, in order; ``freeze`` keeps the first
  value that is not None;
* a locked prefill wins over whatever the client sends.

Conditions and templates are compiled once per definition (`compiled_form`); the
visibility of every page and field is computed once per request and kept.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from formflow.definitions.common import text_for
from formflow.definitions.forms import (
    AnyField,
    CardSource,
    ComputedField,
    FormDefinition,
    Page,
    iter_fields,
)
from formflow.engine.context import FormContext
from formflow.engine.errors import FieldError, Reject, Rejected
from formflow.engine.fields import (
    FieldContext,
    compute_value,
    field_types,
    parse_field,
    unflatten,
)
from formflow.engine.fields.files import file_ref_from_json, file_ref_to_json
from formflow.engine.values import FileRef
from formflow.exceptions import ExpressionError
from formflow.expressions import compile_expression, compile_template

__all__ = [
    "DRAFT_FORMAT",
    "CompiledForm",
    "FormRun",
    "PageResult",
    "SummaryPage",
    "compiled_form",
]

#: Version of the dict `FormRun.to_json` writes; `FormRun.from_json` reads it.
DRAFT_FORMAT = 1
# More passes would mean conditions that keep flipping each other; stop there.
_MAX_SETTLE_PASSES = 20


@dataclass(frozen=True, slots=True)
class PageResult:
    """What submitting a page gives.

    On errors, ``next_page`` is the same page (to show again, with ``errors``); else
    it is the page to show next, or None with ``done`` when the form is complete::

        result = run.submit(post)
        if not result.ok:
            show(result.next_page, errors={e.path: e.message(lang) for e in result.errors})
    """

    errors: list[FieldError]
    next_page: Page | None
    done: bool

    @property
    def ok(self) -> bool:
        """Whether the page was accepted."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class SummaryPage:
    """One page of the summary: its visible, answered fields and their values as text::

    for section in run.summary("fr"):
        print(section.page.title)
        for field, text in section.items:
            print(f"  {field.label} : {text}")
    """

    page: Page
    items: list[tuple[AnyField, str]]


class CompiledForm:
    """What a form definition needs at run time, built once per definition.

    Indexes (field by id, page of a field) and every condition and template compiled,
    so a definition with an invalid expression fails here, not in a citizen's request::

        compiled_form(form).page_of["adresse"]   # 'adresse'
    """

    def __init__(self, form: FormDefinition) -> None:
        self.form = form
        #: Top-level fields by id (block rows' fields are not answers of their own).
        self.fields: dict[str, Any] = {}
        #: The page each top-level field is on.
        self.page_of: dict[str, str] = {}
        self.pages: dict[str, Page] = {page.id: page for page in form.pages}
        self.page_order: dict[str, int] = {page.id: i for i, page in enumerate(form.pages)}
        every_id: list[str] = []
        #: Fields whose condition reads a field of the same page: renderers show them
        #: and toggle them live, since their visibility is known only at submit.
        self.live: set[str] = set()
        #: Choice fields whose options come from a card: field id -> card slug.
        self.card_fields: dict[str, str] = {}
        for page in form.pages:
            page_ids = {field.id for _, field in iter_fields(page.fields)}
            self._compile(page.show_if)
            for check in page.checks:
                self._compile(check.condition)
            for field in page.fields:
                self.fields[field.id] = field
                self.page_of[field.id] = page.id
                source = getattr(field, "source", None)
                if isinstance(source, CardSource):
                    self.card_fields[field.id] = source.card
            for _, field in iter_fields(page.fields):
                every_id.append(field.id)
                condition = self._compile(field.show_if)
                if condition is not None and condition.names & page_ids:
                    self.live.add(field.id)
                self._compile(getattr(field, "expression", None))
                prefill = getattr(field, "prefill", None)
                if prefill is not None and prefill.template is not None:
                    compile_template(prefill.template)
                if getattr(field, "row_label", None) is not None:
                    compile_template(field.row_label)
        #: Every field id, block rows' included: each is a name in expressions.
        self.ids: tuple[str, ...] = tuple(every_id)

    @staticmethod
    def _compile(source: str | None) -> Any:
        return compile_expression(source) if source is not None else None


_COMPILED: OrderedDict[int, CompiledForm] = OrderedDict()
_COMPILED_LOCK = threading.Lock()
_COMPILED_SIZE = 256


def compiled_form(form: FormDefinition) -> CompiledForm:
    """The `CompiledForm` of ``form``, built on first use and kept (a bounded cache).

    Definitions are immutable, so the object identifies its version; the cache keeps
    the definition alive, which stops its ``id`` from being reused by another::

        assert compiled_form(form) is compiled_form(form)
    """
    key = id(form)
    with _COMPILED_LOCK:
        found = _COMPILED.get(key)
        if found is not None and found.form is form:
            _COMPILED.move_to_end(key)
            return found
    compiled = CompiledForm(form)
    with _COMPILED_LOCK:
        _COMPILED[key] = compiled
        while len(_COMPILED) > _COMPILED_SIZE:
            _COMPILED.popitem(last=False)
    return compiled


def _as_raw(value: Any) -> object:
    """A prefill value (YAML literal, profile attribute …) as a client would post it."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_as_raw(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _as_raw(item) for key, item in value.items()}
    return str(value)


class FormRun:
    """One filling-in of a form: state and the operations that move it.

    Build it with `FormRun.start` or `FormRun.from_json`, never directly.

    Example::

        run = FormRun.start(form, FormContext(parameters={"delai_jours": 10}))
        run.page.id                     # 'demande'
        run.submit({"motif": "nouveau", "modele": "om-120", "foyer": "3"})
    """

    def __init__(self, form: FormDefinition, context: FormContext) -> None:
        self.form = form
        self.context = context
        self._compiled = compiled_form(form)
        self._answers: dict[str, Any] = {}
        self._current: str | None = None
        self._stack: list[str] = []
        self._files: dict[str, FileRef] = {}
        self._visible_pages: set[str] = set()
        self._visible_fields: set[str] = set()
        self._names: dict[str, Any] = {}

    # --- building -------------------------------------------------------------------

    @classmethod
    def start(cls, form: FormDefinition, context: FormContext) -> FormRun:
        """A new run of ``form``, on its first visible page.

        >>> from formflow.definitions.forms import FormDefinition
        >>> form = FormDefinition.model_validate({"format": 1, "slug": "f", "title": "F",
        ...     "workflow": "w",
        ...     "pages": [{"id": "p", "title": "P",
        ...                "fields": [{"id": "nom", "type": "text", "label": "Nom"}]}]})
        >>> FormRun.start(form, FormContext()).page.id
        'p'
        """
        run = cls(form, context)
        run._settle()
        first = run._next_visible(-1)
        run._current = first.id if first is not None else None
        return run

    @classmethod
    def from_json(cls, form: FormDefinition, context: FormContext, data: Any) -> FormRun:
        """A run saved with `to_json` (a draft), on ``form`` (possibly a newer version).

        Answers to fields the form no longer has, or that no longer fit their field's
        type, are dropped. `ValueError` if ``data`` is not a saved run of this form.
        """
        if not isinstance(data, Mapping) or data.get("format") != DRAFT_FORMAT:
            raise ValueError("not a saved form run (unknown format)")
        if data.get("form") != form.slug:
            raise ValueError(f"a saved run of {data.get('form')!r}, not of {form.slug!r}")
        run = cls(form, context)
        compiled = run._compiled
        files = data.get("files")
        for item in files if isinstance(files, list) else []:
            try:
                ref = file_ref_from_json(item)
            except ValueError:
                continue
            run._files[ref.id] = ref
        answers = data.get("answers")
        for field_id, value in (answers if isinstance(answers, Mapping) else {}).items():
            field = compiled.fields.get(field_id)
            if field is None or value is None:
                continue
            try:
                run._answers[field_id] = field_types[field.type].from_json(field, value)
            except (ValueError, TypeError, KeyError, ArithmeticError):
                continue  # the field changed type since the draft was saved
        stack = data.get("stack")
        run._stack = [p for p in (stack if isinstance(stack, list) else []) if p in compiled.pages]
        run._settle()
        current = data.get("page")
        # Complete only if every page now shown was submitted: a newer version of the
        # form may have added one.
        if data.get("done") is True and run._visible_pages <= set(run._stack):
            run._current = None
        elif isinstance(current, str) and current in run._visible_pages:
            run._current = current
        else:
            missing = [p for p in form.pages if p.id in run._visible_pages - set(run._stack)]
            run._current = missing[0].id if missing else None
        return run

    def to_json(self) -> dict[str, Any]:
        """The run as JSON-serialisable data, to save a draft; `from_json` reads it."""
        return {
            "format": DRAFT_FORMAT,
            "form": self.form.slug,
            "page": self._current,
            "stack": list(self._stack),
            "done": self._current is None,
            "answers": self.json_answers(),
            "files": [file_ref_to_json(ref) for ref in self._files.values()],
        }

    # --- reading ----------------------------------------------------------------------

    @property
    def page(self) -> Page | None:
        """The page to show, or None once the last page is submitted."""
        return self._compiled.pages[self._current] if self._current is not None else None

    @property
    def complete(self) -> bool:
        """Whether every visible page has been submitted."""
        return self._current is None

    def visible_pages(self) -> list[Page]:
        """The pages shown given the answers so far, in order (for a progress bar)."""
        return [page for page in self.form.pages if page.id in self._visible_pages]

    def visible_fields(self, page: Page | None = None) -> list[AnyField]:
        """The fields of ``page`` (default: the current one) shown given the answers so far.

        A field whose condition reads a field of the same page is included only if
        that condition holds now; `describe_page` marks such fields ``live``.
        """
        page = page or self.page
        if page is None or page.id not in self._visible_pages:
            return []
        return [field for field in page.fields if field.id in self._visible_fields]

    def answers(self) -> dict[str, Any]:
        """The typed answers of visible fields, computed ones included, by field id."""
        return copy.deepcopy(self._answers)

    def json_answers(self) -> dict[str, Any]:
        """`answers` as JSON-serialisable data (decimals as strings, dates in ISO …)."""
        fields = self._compiled.fields
        return {
            field_id: field_types[fields[field_id].type].to_json(fields[field_id], value)
            for field_id, value in self._ordered_answers()
        }

    def summary(self, language: str | None = None) -> list[SummaryPage]:
        """Visible pages with their visible, answered fields, values shown as text."""
        ctx = self._field_context(language=language)
        pages = []
        for page in self.form.pages:
            if page.id not in self._visible_pages:
                continue
            items: list[tuple[AnyField, str]] = []
            for field in page.fields:
                value = self._answers.get(field.id)
                if value is None or not getattr(field, "in_summary", True):
                    continue
                if isinstance(field, ComputedField) and not field.visible:
                    continue
                implementation = field_types[field.type]
                items.append((field, implementation.display(field, value, ctx.child(field.id))))
            if items:
                pages.append(SummaryPage(page, items))
        return pages

    def describe_page(self, page: Page | None = None) -> list[dict[str, Any]]:
        """What a renderer needs for each field of ``page`` (default: the current one).

        Each field's type description plus ``value`` (the answer, else the prefill, as
        JSON), ``locked``, ``visible`` (now) and ``live`` (its condition reads this
        page: render it and let the browser toggle it; the server decides at submit).
        """
        page = page or self.page
        if page is None:
            return []
        ctx = self._field_context()
        described = []
        for field in page.fields:
            implementation = field_types[field.type]
            field_ctx = ctx.child(field.id)
            entry = implementation.describe(field, field_ctx)
            if implementation.holds_value:
                value = self._answers.get(field.id)
                prefill = getattr(field, "prefill", None)
                if value is None and isinstance(field, ComputedField):
                    value = compute_value(field, field_ctx)
                elif value is None:
                    value = self._prefill(field, field_ctx)
                entry["value"] = None if value is None else implementation.to_json(field, value)
                entry["locked"] = bool(prefill is not None and prefill.locked and value is not None)
            entry["visible"] = field.id in self._visible_fields
            entry["live"] = field.id in self._compiled.live
            described.append(entry)
        return described

    # --- moving -----------------------------------------------------------------------

    def submit(self, raw: Mapping[str, object]) -> PageResult:
        """Submit the current page's raw input: errors, or the next page.

        ``raw`` is a form post (``{name: str | list[str] | Upload}``, dotted names for
        parts and rows). Keys of other pages and of hidden fields are ignored; nothing
        a client sends raises.
        """
        page = self.page
        if page is None:
            return PageResult([], None, True)
        tree = unflatten(raw) if isinstance(raw, Mapping) else {}
        names = self._base_names()
        for _, field in iter_fields(page.fields):
            names[field.id] = None  # this page is read afresh, in order
        ctx = self._field_context(names)
        values: dict[str, Any] = {}
        hidden: list[str] = []
        errors: list[FieldError] = []
        for field in page.fields:
            field_ctx = ctx.child(field.id)
            if not field_ctx.visible(field):
                hidden.append(field.id)
                continue
            if not field_types[field.type].holds_value:
                continue
            value = self._read(field, tree.get(field.id), field_ctx)
            if isinstance(value, Rejected):
                errors += value.errors
                continue
            values[field.id] = names[field.id] = value
            if field.id in self._compiled.card_fields:
                # Later fields of this page may read the record just chosen.
                names["records"] = {**names["records"], **self._records({field.id: value})}
        if not errors:
            errors = self._check(page, names, set(values))
        if errors:
            return PageResult(errors, page, False)
        for field_id in hidden:
            self._answers.pop(field_id, None)
        for field_id, value in values.items():
            if value is None:
                self._answers.pop(field_id, None)
            else:
                self._answers[field_id] = value
        self._stack.append(page.id)
        self._settle()
        following = self._next_visible(self._compiled.page_order[page.id])
        self._current = following.id if following is not None else None
        return PageResult([], following, following is None)

    def back(self) -> Page | None:
        """Return to the previous visible page, keeping every answer; returns the page
        now shown (the same one when there is no page before it)."""
        while self._stack:
            previous = self._stack.pop()
            if previous in self._visible_pages:
                self._current = previous
                return self._compiled.pages[previous]
        return self.page

    # --- internals --------------------------------------------------------------------

    def _read(self, field: Any, raw: object, ctx: FieldContext) -> Any:
        if isinstance(field, ComputedField):
            kept = self._answers.get(field.id)
            return kept if field.freeze and kept is not None else compute_value(field, ctx)
        prefill = getattr(field, "prefill", None)
        if prefill is not None and prefill.locked:
            locked = self._prefill(field, ctx)
            if locked is not None:
                return locked  # what the client sent for it is ignored
        return parse_field(field, raw, ctx)

    def _prefill(self, field: Any, ctx: FieldContext) -> Any:
        """The typed prefill value of ``field``, or None (no source value, or invalid)."""
        prefill = field.prefill
        if prefill is None:
            return None
        raw: Any
        if prefill.template is not None:
            try:
                raw = ctx.render(prefill.template)
            except ExpressionError:
                return None
        elif prefill.profile is not None:
            user = self.context.user
            raw = user.attribute(prefill.profile) if user is not None else None
        elif prefill.query is not None:
            raw = self.context.query.get(prefill.query)
        else:
            raw = prefill.value
        raw = _as_raw(raw)
        if raw is None:
            return None
        try:
            value = field_types[field.type].parse(field, raw, ctx)
        except Reject:
            return None
        return None if isinstance(value, Rejected) else value

    def _check(self, page: Page, names: Mapping[str, Any], shown: set[str]) -> list[FieldError]:
        errors = []
        for check in page.checks:
            try:
                holds = compile_expression(check.condition).is_true(names)
            except ExpressionError:
                # It reads an optional answer left empty (``None > date``): each field
                # is valid on its own, and there is nothing to compare.
                continue
            if holds:
                continue
            fr, en = text_for(check.message, "fr"), text_for(check.message, "en")
            targets: list[str | None] = [f for f in check.fields if f in shown] or [None]
            errors += [FieldError(t, t or page.id, "check", fr, en) for t in targets]
        return errors

    def _base_names(self) -> dict[str, Any]:
        names: dict[str, Any] = dict.fromkeys(self._compiled.ids)
        names.update(self._answers)
        names.update(self.context.names())
        names["records"] = self._records()
        return names

    def _records(self, answers: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``records.<field>``: the card record a card-sourced choice points at (a list
        of records for a multiple choice), so computed values can use its fields."""
        sources = self.context.data_sources
        only_given = answers is not None  # refresh just these fields
        answers = self._answers if answers is None else answers
        records: dict[str, Any] = {}
        for field_id, card in self._compiled.card_fields.items():
            if only_given and field_id not in answers:
                continue
            value = answers.get(field_id)
            if isinstance(value, list):
                found = [sources.card_record(card, item) for item in value]
                records[field_id] = [record for record in found if record is not None]
            else:
                records[field_id] = sources.card_record(card, value)
        return records

    def _field_context(
        self, names: dict[str, Any] | None = None, *, language: str | None = None
    ) -> FieldContext:
        return FieldContext(
            self.context,
            self._names if names is None else names,
            language=language,
            files=self._files,
        )

    def _next_visible(self, after: int) -> Page | None:
        for page in self.form.pages[after + 1 :]:
            if page.id in self._visible_pages:
                return page
        return None

    def _ordered_answers(self) -> list[tuple[str, Any]]:
        return [(fid, self._answers[fid]) for fid in self._compiled.fields if fid in self._answers]

    def _settle(self) -> None:
        """Recompute visibility and computed values from the answers, drop the answers
        of hidden pages and fields, and keep the result for this request.

        Dropping an answer can hide another field (even an earlier one), so passes
        repeat until nothing changes.
        """
        reached = set(self._stack)
        for _ in range(_MAX_SETTLE_PASSES):
            names = self._base_names()
            ctx = self._field_context(names)
            visible_pages: set[str] = set()
            visible_fields: set[str] = set()
            changed = False
            for page in self.form.pages:
                shown = page.show_if is None or ctx.is_true(page.show_if)
                if shown:
                    visible_pages.add(page.id)
                for field in page.fields:
                    if not shown or not ctx.visible(field):
                        names[field.id] = None
                        if self._answers.pop(field.id, None) is not None:
                            changed = True
                        continue
                    visible_fields.add(field.id)
                    # Computed once its page is submitted, then kept up to date, also
                    # while the citizen is back on an earlier page.
                    if isinstance(field, ComputedField) and (
                        page.id in reached or field.id in self._answers
                    ):
                        changed |= self._recompute(field, ctx)
                        names[field.id] = self._answers.get(field.id)
            if not changed:
                break
        self._visible_pages = visible_pages
        self._visible_fields = visible_fields
        self._stack = [page_id for page_id in self._stack if page_id in visible_pages]
        self._names = names

    def _recompute(self, field: ComputedField, ctx: FieldContext) -> bool:
        old = self._answers.get(field.id)
        if field.freeze and old is not None:
            return False
        value = compute_value(field, ctx)
        if value is None:
            self._answers.pop(field.id, None)
        else:
            self._answers[field.id] = value
        return bool(value != old or type(value) is not type(old))
