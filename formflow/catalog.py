"""Loading a catalogue and a collectivity's site file, with every problem located.

::

    from formflow.catalog import load_catalog, load_site

    catalog = load_catalog("catalog/")                 # or a Loader
    site = load_site("catalog/sites/demo.yaml", catalog)
    procedure = site.procedure("demande-de-bac")
    procedure.form.definition.title, procedure.parameters["delai_jours"]

Loading reads every file, migrates old formats, validates each against its model,
then checks what spans files (`formflow.checks`) and compiles every condition and
template in the sandbox. It either returns a usable catalogue or raises one
`DefinitionError` listing all problems of the run, each as
``catalog/forms/x.yaml:42: pages[1].fields[3].show_if: unknown field 'tpye_bac'
(did you mean 'type_bac'?)``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from formflow import checks
from formflow.definitions import KINDS
from formflow.definitions.cards import CardDefinition
from formflow.definitions.common import Definition, Text
from formflow.definitions.forms import CUSTOM_FIELD_TYPES, FIELD_TYPES, FormDefinition
from formflow.definitions.migrations import migrate
from formflow.definitions.sites import SiteDefinition
from formflow.definitions.workflows import WorkflowDefinition
from formflow.exceptions import DefinitionError, NotFoundError, Problem
from formflow.loaders import DictLoader, FileSystemLoader, Loader
from formflow.sources import ParsedSource, parse

__all__ = [
    "Catalog",
    "Entry",
    "Procedure",
    "Site",
    "definition_version",
    "load_catalog",
    "load_site",
    "read_definition",
]

D = TypeVar("D", bound=Definition)


@dataclass(frozen=True, slots=True)
class Entry(Generic[D]):
    """A loaded definition with its version and where it came from."""

    #: The validated definition.
    definition: D
    #: Content hash of the definition (formatting and comments do not change it).
    version: str
    #: The file it was read from, as shown in messages.
    file: str


def definition_version(definition: Definition) -> str:
    """A short content hash: equal for equal definitions, whatever their layout."""
    canonical = json.dumps(
        definition.model_dump(mode="json"),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Catalog:
    """Forms, workflows and cards, checked together. Build it with `load_catalog`."""

    forms: Mapping[str, Entry[FormDefinition]]
    workflows: Mapping[str, Entry[WorkflowDefinition]]
    cards: Mapping[str, Entry[CardDefinition]]
    #: Where the files came from; site files of ``sites/`` are read from it too.
    loader: Loader = field(repr=False)

    def form(self, slug: str) -> Entry[FormDefinition]:
        """The form ``slug``; `NotFoundError` (with a suggestion) if there is none."""
        return _get(self.forms, slug, "form")

    def workflow(self, slug: str) -> Entry[WorkflowDefinition]:
        """The workflow ``slug``; `NotFoundError` if there is none."""
        return _get(self.workflows, slug, "workflow")

    def card(self, slug: str) -> Entry[CardDefinition]:
        """The card model ``slug``; `NotFoundError` if there is none."""
        return _get(self.cards, slug, "card")

    def site_files(self) -> list[str]:
        """The site files shipped in the catalogue's ``sites/``."""
        return self.loader.list_files("sites")


def _get(entries: Mapping[str, Entry[D]], slug: str, what: str) -> Entry[D]:
    try:
        return entries[slug]
    except KeyError:
        raise NotFoundError(f"no {what} {slug!r}{checks.suggest(slug, entries)}") from None


@dataclass(frozen=True)
class Procedure:
    """A form as one site adopted it: definitions, parameter values, role mapping."""

    slug: str
    form: Entry[FormDefinition]
    workflow: Entry[WorkflowDefinition]
    #: Every parameter of the form: the site's value, else the default.
    parameters: Mapping[str, Any]
    #: Workflow role -> the agent groups that play it on this site.
    roles: Mapping[str, tuple[str, ...]]
    #: The title shown on this site.
    title: Text
    enabled: bool = True


@dataclass(frozen=True)
class Site:
    """A collectivity's configuration, resolved against a catalogue."""

    definition: SiteDefinition
    catalog: Catalog
    procedures: Mapping[str, Procedure]
    version: str
    file: str

    def procedure(self, slug: str) -> Procedure:
        """The adopted procedure ``slug``; `NotFoundError` if the site does not offer it."""
        found = self.procedures.get(slug)
        if found is None or not found.enabled:
            offered = [s for s, p in self.procedures.items() if p.enabled]
            raise NotFoundError(
                f"site {self.definition.slug!r} offers no procedure {slug!r}"
                f"{checks.suggest(slug, offered)}"
            )
        return found


@dataclass
class ReadResult:
    """One file read and validated: what `read_definition` returns."""

    #: The definition, or None when the file is not valid.
    definition: Definition | None
    #: When the file is not valid: the definition with the invalid parts cut out, so
    #: that the cross-file checks can still report the file's other problems at once.
    partial: Definition | None
    #: The parsed file, for locating problems; None when it could not be parsed.
    source: ParsedSource | None
    problems: list[Problem]
    #: Ids and keys of the parts cut out (not reported again as unknown names).
    pruned: set[str] = field(default_factory=set)

    @property
    def usable(self) -> Definition | None:
        return self.definition or self.partial


def read_definition(data: bytes | str, kind: str, name: str = "<string>") -> ReadResult:
    """Parse, migrate and validate one file of ``kind`` (``forms``, ``workflows`` …)."""
    model = KINDS[kind]
    source, problems = parse(data, name)
    if source is None:
        return ReadResult(None, None, None, problems)
    if not isinstance(source.data, dict):
        problems.append(source.problem((), f"a {kind[:-1]} file must be a mapping of keys"))
        return ReadResult(None, None, source, problems)
    migrated, error = migrate(kind, source.data)
    if error:
        problems.append(source.problem(("format",), error))
        return ReadResult(None, None, source, problems)
    try:
        return ReadResult(model.model_validate(migrated), None, source, problems)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    problems.extend(_describe(source, error) for error in errors)
    partial, pruned, pruned_source = _validate_pruned(model, migrated, source, errors)
    return ReadResult(None, partial, pruned_source, _dedupe(problems), pruned)


def _validate_pruned(
    model: type[Definition], data: dict[str, Any], source: ParsedSource, errors: list[Any]
) -> tuple[Definition | None, set[str], ParsedSource]:
    """Cut the failing parts out until the rest validates (a few rounds at most).

    Returns the definition (or None), the names cut out, and a source whose
    `ParsedSource.problem` maps paths of the pruned data back onto the file.
    """
    pruned: set[str] = set()
    rounds: list[dict[tuple[str | int, ...], set[int]]] = []
    current: Any = data
    for _ in range(8):
        paths = [_data_path(current, e["loc"]) for e in errors]
        current, cut, removed = _without(current, paths)
        if not cut and not removed:
            break
        pruned |= cut
        rounds.append(removed)
        try:
            definition = model.model_validate(current)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            continue
        return definition, pruned, _PrunedSource(source, rounds)
    return None, pruned, source


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """The part of a pydantic location that names values in ``data`` (tags dropped)."""
    out: list[str | int] = []
    for part in loc:
        here = _value_at(data, out)
        if (isinstance(here, dict) and part in here) or (
            isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here)
        ):
            out.append(part)
    if loc and (not out or out[-1] != loc[-1]) and isinstance(loc[-1], str):
        out.append(loc[-1])  # a missing or unknown key: `_without` drops its holder
    return tuple(out)


class _PrunedSource(ParsedSource):
    """A source whose problem paths come from data with list items removed."""

    def __init__(self, source: ParsedSource, rounds: list[dict[tuple[str | int, ...], set[int]]]):
        super().__init__(source.name, source.data, source.lines, source.text)
        self.rounds = rounds

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        return super().problem(_original_path(tuple(path), self.rounds), message)


def _original_path(
    path: tuple[str | int, ...], rounds: list[dict[tuple[str | int, ...], set[int]]]
) -> tuple[str | int, ...]:
    """Undo the index shifts of each pruning round, last round first."""
    for removed in reversed(rounds):
        out = list(path)
        for prefix in sorted(removed, key=len):
            depth = len(prefix)
            index = out[depth] if len(out) > depth else None
            if tuple(out[:depth]) == prefix and isinstance(index, int):
                gone = removed[prefix]
                kept = [i for i in range(index + len(gone) + 1) if i not in gone]
                out[depth] = kept[index]
        path = tuple(out)
    return path


def _without(
    data: Any, paths: list[tuple[str | int, ...]]
) -> tuple[Any, set[str], dict[tuple[str | int, ...], set[int]]]:
    """A copy of ``data`` without the value at each path (a missing key: its parent).

    Returns the copy, the names cut out, and the indexes removed from each list.
    """
    cut: set[str] = set()
    removed: dict[tuple[str | int, ...], set[int]] = {}
    result = json.loads(json.dumps(data))
    targets: set[tuple[str | int, ...]] = set()
    for path in paths:
        parent = _value_at(result, path[:-1]) if path else None
        present = isinstance(parent, dict | list) and _value_at(result, path) is not None
        if path and not present and (not isinstance(parent, dict) or path[-1] not in parent):
            path = path[:-1]  # a missing key: drop what should have held it
        if path:
            targets.add(path)
    # Drop only the outermost of nested targets, then deepest first, and list items
    # from the end, so that each removal leaves the other paths valid.
    outer = {t for t in targets if not any(t[: len(o)] == o and t != o for o in targets)}
    for path in sorted(
        outer, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1), reverse=True
    ):
        parent = _value_at(result, path[:-1])
        last = path[-1]
        if isinstance(parent, dict) and last in parent:
            cut |= _names_in(last, parent.pop(last))
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            cut |= _names_in(None, parent.pop(last))
            removed.setdefault(path[:-1], set()).add(last)
            if len(path) > 1 and isinstance(path[-2], str):
                # roles.receiver[0] cut out: `receiver` lost a value, don't call it empty.
                cut.add(path[-2])
    return result, cut, removed


def _names_in(key: str | int | None, value: Any) -> set[str]:
    names = {key} if isinstance(key, str) else set()
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            names.add(value["id"])
        for child in value.values():
            names |= _names_in(None, child)
    elif isinstance(value, list):
        for child in value:
            names |= _names_in(None, child)
    return names


def _dedupe(problems: list[Problem]) -> list[Problem]:
    # A union member that fails reports once per candidate model; keep the first.
    seen: set[tuple[str, str]] = set()
    out = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


# Every key any model accepts: the vocabulary for "did you mean" on unknown keys.
def _vocabulary() -> dict[str, set[str]]:
    from typing import Annotated, get_args, get_origin

    from formflow.definitions import forms, workflows

    everything: set[str] = set()
    for module in (forms, workflows, *(sys.modules[m.__module__] for m in KINDS.values())):
        for name in dir(module):
            value = getattr(module, name)
            if isinstance(value, type) and hasattr(value, "model_fields"):
                everything |= set(value.model_fields)
    by_tag: dict[str, set[str]] = {"": everything}
    # Only the members of the two tagged unions: a `type` or `do` key elsewhere (a
    # parameter's `type: text`) must not stand for a field or a step.
    for tag_key, union in (("type", forms.AnyField), ("do", workflows.Step)):
        for member in get_args(get_args(union)[0]):
            model = get_args(member)[0] if get_origin(member) is Annotated else member
            for tag in get_args(model.model_fields[tag_key].annotation):
                if isinstance(tag, str):
                    by_tag[f"{tag_key}:{tag}"] = set(model.model_fields)
    return by_tag


_VOCABULARY = _vocabulary()


def _describe(source: ParsedSource, error: Any) -> Problem:
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = error["type"]
    path = source.lines.resolve(loc, missing=kind == "missing")
    message = error["msg"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = _value_at(source.data, path[:-1])
        tag = ""
        if isinstance(parent, dict):
            if isinstance(parent.get("type"), str):
                tag = f"type:{parent['type']}"
            elif isinstance(parent.get("do"), str):
                tag = f"do:{parent['do']}"
        known = _VOCABULARY.get(tag, _VOCABULARY[""])
        message = f"unknown key {key!r}{checks.suggest(key, known)}"
    elif kind == "missing":
        message = f"missing required key {str(loc[-1])!r}"
    elif kind == "union_tag_invalid":
        tag = str(error["ctx"]["tag"])
        discriminator = str(error["ctx"]["discriminator"]).strip("'")
        if discriminator.endswith("()"):
            discriminator = "type"  # the field union picks its model with a function
        if discriminator == "type" and path and "fields" in path:
            choices: Sequence[str] = [*FIELD_TYPES, *CUSTOM_FIELD_TYPES]
        else:
            choices = [t.strip(" '") for t in str(error["ctx"]["expected_tags"]).split(",")]
        path = (*path, discriminator)
        message = f"unknown {discriminator} {tag!r}{checks.suggest(tag, choices)}"
    elif kind == "union_tag_not_found":
        discriminator = str(error["ctx"]["discriminator"]).strip("'")
        if discriminator.endswith("()"):
            discriminator = "type"
        message = f"missing required key {discriminator!r}"
    elif kind == "literal_error":
        value = error.get("input")
        expected = str(error["ctx"]["expected"])
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
        hint = checks.suggest(str(value), choices) if isinstance(value, str) else ""
        message = f"{value!r} is not one of {expected}{hint}"
    elif kind == "string_pattern_mismatch":
        words = _PATTERN_WORDS.get(str(error.get("ctx", {}).get("pattern")), _pattern_words(loc))
        message = f"{error.get('input')!r} is not valid here ({words})"
    elif kind.startswith("value_error"):
        message = message.removeprefix("Value error, ")
    return source.problem(path, message)


_SLUG_WORDS = "a slug: lowercase letters, digits and hyphens, e.g. 'demande-de-bac'"
_ID_WORDS = "an id: lowercase letter first, then lowercase letters, digits or '_'"
_PATTERN_WORDS = {
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$": _SLUG_WORDS,
    r"^[a-z][a-z0-9_]*$": _ID_WORDS,
    r"^#[0-9a-fA-F]{6}$": "a colour such as '#1e40af'",
}


def _pattern_words(loc: tuple[str | int, ...]) -> str:
    last = next((str(p) for p in reversed(loc) if isinstance(p, str) and p != "[key]"), "")
    if last in ("slug", "workflow", "card", "category") or ("[key]" in loc and "procedures" in loc):
        return "a slug: lowercase letters, digits and hyphens, e.g. 'demande-de-bac'"
    if last in ("id", "initial", "to", "by", "field", "role") or "[key]" in loc:
        return "an id: lowercase letter first, then lowercase letters, digits or '_'"
    if last in ("after", "offset", "cache"):
        return "a duration such as '10 days', '10 business days' or '-1 day'"
    if last in ("min", "max"):
        return "a date such as '2025-01-01', 'today' or 'today - 18 years'"
    if last == "colour" or last in ("primary", "accent"):
        return "a colour such as '#1e40af'"
    return "it does not have the expected form"


def _value_at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def load_catalog(source: str | Path | Loader | Mapping[str, Any]) -> Catalog:
    """Load and check a catalogue: a directory, a `Loader`, or ``{name: content}``.

    Raises `DefinitionError` with every problem found.
    """
    loader = _as_loader(source)
    problems: list[Problem] = []
    loaded: dict[str, dict[str, tuple[Any, ParsedSource, str]]] = {}
    # Slugs of files that exist but are invalid: their own problems are reported, and
    # references to them are not reported again as unknown.
    broken: dict[str, set[str]] = {}
    ignored: dict[tuple[str, str], set[str]] = {}
    for kind in ("forms", "workflows", "cards"):
        loaded[kind] = {}
        broken[kind] = set()
        for name in loader.list_files(kind):
            display = loader.display_name(name)
            result = read_definition(loader.get_source(name), kind, display)
            problems += result.problems
            definition, parsed = result.usable, result.source
            if result.definition is None:
                slug = _value_at(parsed.data if parsed else None, ("slug",))
                broken[kind].add(slug if isinstance(slug, str) else "")
            if definition is None or parsed is None:
                continue
            ignored[kind, definition.slug] = result.pruned  # type: ignore[attr-defined]
            slug = definition.slug  # type: ignore[attr-defined]
            if slug in loaded[kind]:
                problems.append(
                    parsed.problem(
                        ("slug",), f"slug {slug!r} is also used by {loaded[kind][slug][1].name}"
                    )
                )
                continue
            loaded[kind][slug] = (definition, parsed, display)

    workflows = {slug: d for slug, (d, _, _) in loaded["workflows"].items()}
    cards = {slug: d for slug, (d, _, _) in loaded["cards"].items()}
    for card, parsed, _ in loaded["cards"].values():
        problems += checks.check_card(card, parsed, ignore=ignored["cards", card.slug])
    for workflow, parsed, _ in loaded["workflows"].values():
        problems += checks.check_workflow(
            workflow, parsed, cards, ignore=ignored["workflows", workflow.slug]
        )
    card_models: dict[str, CardDefinition | None] = dict.fromkeys(broken["cards"])
    card_models.update(cards)
    for form, parsed, _ in loaded["forms"].values():
        problems += checks.check_form(
            form,
            parsed,
            workflows.keys() | broken["workflows"],
            card_models,
            ignore=ignored["forms", form.slug],
        )
        if form.workflow in loaded["workflows"]:
            workflow, wf_parsed, _ = loaded["workflows"][form.workflow]
            problems += [
                _for_form(problem, form.slug)
                for problem in checks.check_workflow(
                    workflow,
                    wf_parsed,
                    cards,
                    answers={f.id for _, f in _all_fields(form)} | ignored["forms", form.slug],
                    params=set(form.parameters),
                    ignore=ignored["workflows", workflow.slug],
                )
            ]
    if problems:
        raise DefinitionError(_dedupe(problems))
    return Catalog(
        forms=_entries(loaded["forms"]),
        workflows=_entries(loaded["workflows"]),
        cards=_entries(loaded["cards"]),
        loader=loader,
    )


def _for_form(problem: Problem, slug: str) -> Problem:
    return Problem(
        problem.file,
        problem.line,
        problem.path,
        f"{problem.message} (with form {slug!r})",
        problem.source_line,
    )


def _all_fields(form: FormDefinition) -> list[tuple[Any, Any]]:
    from formflow.definitions.forms import iter_fields

    return [item for page in form.pages for item in iter_fields(page.fields)]


def _entries(loaded: Mapping[str, tuple[Any, ParsedSource, str]]) -> dict[str, Entry[Any]]:
    return {
        slug: Entry(definition, definition_version(definition), display)
        for slug, (definition, _, display) in sorted(loaded.items())
    }


def _as_loader(source: str | Path | Loader | Mapping[str, Any]) -> Loader:
    if isinstance(source, Loader):
        return source
    if isinstance(source, str | Path):
        return FileSystemLoader(source)
    return DictLoader(source)


def load_site(
    source: str | Path | bytes | Mapping[str, Any], catalog: Catalog, *, name: str | None = None
) -> Site:
    """Load a site file (a path, YAML bytes, or plain data) against ``catalog``.

    A bare name such as ``"demo"`` is looked up in the catalogue's ``sites/``.
    Raises `DefinitionError` with every problem found.
    """
    data, display = _site_source(source, catalog, name)
    result = read_definition(data, "sites", display)
    problems, parsed, usable = result.problems, result.source, result.usable
    if isinstance(usable, SiteDefinition) and parsed is not None:
        problems += checks.check_site(
            usable,
            parsed,
            {s: e.definition for s, e in catalog.forms.items()},
            {s: e.definition for s, e in catalog.workflows.items()},
            {s: e.definition for s, e in catalog.cards.items()},
            ignore=result.pruned,
        )
    definition = result.definition
    if problems or not isinstance(definition, SiteDefinition):
        raise DefinitionError(_dedupe(problems))
    procedures = {}
    for slug, adoption in definition.procedures.items():
        form = catalog.forms[slug]
        values = adoption.parameters if adoption else {}
        local_roles = adoption.roles if adoption else {}
        workflow = catalog.workflows[form.definition.workflow]
        procedures[slug] = Procedure(
            slug=slug,
            form=form,
            workflow=workflow,
            parameters={
                name: values.get(
                    name,
                    False
                    if parameter.default is None and parameter.type == "boolean"
                    else parameter.default,
                )
                for name, parameter in form.definition.parameters.items()
            },
            roles={
                role: tuple(local_roles.get(role, definition.roles.get(role, ())))
                for role in workflow.definition.roles
            },
            title=(adoption.title if adoption and adoption.title else form.definition.title),
            enabled=adoption.enabled if adoption else True,
        )
    return Site(definition, catalog, procedures, definition_version(definition), display)


def _site_source(
    source: str | Path | bytes | Mapping[str, Any], catalog: Catalog, name: str | None
) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, name or "<site>"
    if isinstance(source, Mapping):
        return DictLoader({"sites/x.yaml": source}).get_source("sites/x.yaml"), name or "<site>"
    path = Path(source)
    if path.suffix not in (".yaml", ".yml", ".json") and "/" not in str(source):
        for candidate in catalog.site_files():
            if candidate.rsplit("/", 1)[-1].rsplit(".", 1)[0] == str(source):
                return catalog.loader.get_source(candidate), catalog.loader.display_name(candidate)
        raise NotFoundError(f"no site {str(source)!r} in the catalogue's sites/")
    try:
        return path.read_bytes(), name or str(source)
    except FileNotFoundError:
        raise NotFoundError(f"site file {str(source)!r} does not exist") from None
