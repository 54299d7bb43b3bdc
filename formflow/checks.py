"""Checks that span a definition or several: names, references, reachability.

The models (`formflow.definitions`) check the shape of each file. These checks find
what the shape cannot: a condition naming a field that does not exist, an action
leading to an unknown status, a status no case can reach, a role no site maps, a
parameter a site forgets. Each problem is located in its file and, where a name is
wrong, suggests the nearest valid one.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import re2

from formflow.definitions.cards import CardDefinition
from formflow.definitions.common import text_for
from formflow.definitions.forms import (
    BlockField,
    CardSource,
    ChoiceField,
    CommentField,
    ComputedField,
    FormDefinition,
    JsonSource,
    MultiChoiceField,
    TextField,
    iter_fields,
)
from formflow.definitions.sites import SiteDefinition
from formflow.definitions.workflows import (
    SUBMITTER,
    Action,
    AnonymiseStep,
    CardStep,
    CommentStep,
    EmailStep,
    NotifyStep,
    SetFieldStep,
    WebhookStep,
    WorkflowDefinition,
)
from formflow.exceptions import ExpressionError, Problem
from formflow.expressions import GLOBAL_NAMES, compile_expression, compile_template
from formflow.sources import ParsedSource

__all__ = [
    "CASE_ATTRIBUTES",
    "WORKFLOW_NAMES",
    "Report",
    "check_card",
    "check_form",
    "check_site",
    "check_workflow",
    "suggest",
]

Path = tuple[str | int, ...]
#: Root name -> allowed attributes (None: any attribute).
Namespaces = Mapping[str, Collection[str] | None]

#: What ``case.<x>`` offers in workflow templates.
CASE_ATTRIBUTES = frozenset(
    {
        "id",
        "number",
        "tracking_code",
        "form",
        "form_title",
        "status",
        "status_label",
        "submitted_at",
        "updated_at",
        "url",
        "channel",
        "urgent",
        "submitter",
    }
)
#: Names workflow conditions and templates may use.
WORKFLOW_NAMES = frozenset(
    {"case", "answers", "backoffice", "action", "comment", "params", "site", "user", "today", "now"}
)
#: Names a form cannot use as field ids: they are taken by the expression context.
RESERVED_IDS = GLOBAL_NAMES | WORKFLOW_NAMES | {"loop", "self", "records"}


_RE2_QUIET = re2.Options()
_RE2_QUIET.log_errors = False  # report through problems, not on stderr


def suggest(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest candidate, or an empty string."""
    match = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


class Report:
    """Collects the problems found in one file."""

    def __init__(
        self,
        source: ParsedSource,
        ignore: Collection[str] = (),
        *,
        only_roots: Collection[str] | None = None,
    ) -> None:
        self.source = source
        self.problems: list[Problem] = []
        #: Names of parts cut out of an invalid file: never reported as unknown.
        self.ignore = frozenset(ignore)
        #: When set, report only unknown attributes of these roots (``answers.x``):
        #: used to re-check a shared workflow against each form, without repeating
        #: the problems of the workflow itself.
        self.only_roots = None if only_roots is None else frozenset(only_roots)

    def add(self, path: Sequence[str | int], message: str) -> None:
        if self.only_roots is None:
            self.problems.append(self.source.problem(path, message))

    def per_form(self, path: Sequence[str | int], message: str) -> None:
        """Report a problem that depends on the form a shared workflow is used with."""
        if self.only_roots is not None:
            self.problems.append(self.source.problem(path, message))

    def unknown(
        self,
        path: Sequence[str | int],
        what: str,
        name: str,
        known: Iterable[str],
        where: str = "",
    ) -> None:
        """Report ``unknown <what> 'name'<where> (did you mean …?)``."""
        if name in self.ignore:
            return
        near = suggest(name, [*known, *self.ignore])
        self.add(path, f"unknown {what} {name!r}{where}{near}")

    def expression(
        self, path: Path, source: str | None, names: Namespaces, *, template: bool = False
    ) -> None:
        """Compile ``source`` and check every name it reads against ``names``."""
        if source is None:
            return
        try:
            compiled = compile_template(source) if template else compile_expression(source)
        except ExpressionError as exc:
            self.add(path, f"invalid {'template' if template else 'expression'}: {exc.reason}")
            return
        for attribute in sorted(compiled.private):
            self.add(path, f"{attribute!r}: names starting with '_' are not allowed")
        for name in sorted(compiled.names - names.keys() - self.ignore):
            kind = "name" if template else "field"
            self.add(path, f"unknown {kind} {name!r}{suggest(name, names.keys() | self.ignore)}")
        for root, attribute in sorted(compiled.paths):
            allowed = names.get(root)
            if allowed is not None and attribute not in allowed and attribute not in self.ignore:
                near = suggest(attribute, allowed).replace("'", f"'{root}.", 1)
                message = f"unknown {root}.{attribute}{near}"
                if self.only_roots is None:
                    self.add(path, message)
                elif root in self.only_roots:
                    self.problems.append(self.source.problem(path, message))

    def text(self, path: Path, text: str | Mapping[str, str] | None, names: Namespaces) -> None:
        """Check a `Text` that is also a template, in each of its languages."""
        if isinstance(text, Mapping):
            for language, value in text.items():
                self.expression((*path, language), value, names, template=True)
        else:
            self.expression(path, text, names, template=True)


def _globals(params: Collection[str]) -> dict[str, Collection[str] | None]:
    names: dict[str, Collection[str] | None] = dict.fromkeys(GLOBAL_NAMES - {"params"})
    names["params"] = params
    return names


def _check_file_name(report: Report, slug: str) -> None:
    """A file is named after its slug, so that ``forms/<slug>.yaml`` finds it."""
    name = report.source.name.rsplit("/", 1)[-1]
    stem, dot, extension = name.rpartition(".")
    if dot and extension in ("yaml", "yml", "json") and stem != slug:
        report.add(("slug",), f"slug {slug!r} differs from the file name {stem!r}")


def check_form(
    form: FormDefinition,
    source: ParsedSource,
    workflows: Collection[str],
    cards: Mapping[str, CardDefinition | None],
    *,
    ignore: Collection[str] = (),
) -> list[Problem]:
    """Ids, references and expression names of one form.

    ``workflows`` are the slugs that exist; ``cards`` maps each card slug to its model,
    or to None for a card file that exists but is itself invalid (not checked again).
    """
    report = Report(source, ignore)
    _check_file_name(report, form.slug)
    if form.workflow not in workflows:
        report.unknown(("workflow",), "workflow", form.workflow, workflows)
    params = set(form.parameters)
    everything = [
        (("pages", p, "fields", *path), field)
        for p, page in enumerate(form.pages)
        for path, field in iter_fields(page.fields)
    ]
    field_ids = {field.id for _, field in everything}
    names: dict[str, Collection[str] | None] = _globals(params) | dict.fromkeys(field_ids)
    # records.<field>: the card record a card-sourced choice points at.
    names["records"] = {
        field.id
        for _, field in everything
        if isinstance(getattr(field, "source", None), CardSource)
    }

    seen_pages: set[str] = set()
    for p, page in enumerate(form.pages):
        if page.id in seen_pages:
            report.add(("pages", p, "id"), f"page id {page.id!r} is used twice")
        seen_pages.add(page.id)
        report.expression(("pages", p, "show_if"), page.show_if, names)
        report.text(("pages", p, "title"), page.title, names)
        page_ids = {f.id for _, f in iter_fields(page.fields)}
        for c, check in enumerate(page.checks):
            report.expression(("pages", p, "checks", c, "condition"), check.condition, names)
            for i, target in enumerate(check.fields):
                if target not in page_ids:
                    report.unknown(
                        ("pages", p, "checks", c, "fields", i),
                        "field",
                        target,
                        page_ids,
                        " on this page",
                    )

    for name, parameter in form.parameters.items():
        if parameter.default is not None:
            error = _check_parameter_value(parameter, parameter.default)
            if error:
                report.add(("parameters", name, "default"), error)
    seen: set[str] = set()
    for path, field in everything:
        if isinstance(field, BlockField) and path.count("fields") > 1:
            report.add((*path, "type"), "a block cannot hold another block")
        if field.id in seen:
            report.add((*path, "id"), f"field id {field.id!r} is used twice in this form")
        seen.add(field.id)
        if field.id in RESERVED_IDS:
            report.add((*path, "id"), f"{field.id!r} is a reserved name; choose another id")
        _check_field(report, path, field, names, cards)
    return report.problems


def _check_field(
    report: Report,
    path: Path,
    field: Any,
    names: Namespaces,
    cards: Mapping[str, CardDefinition | None],
) -> None:
    report.expression((*path, "show_if"), field.show_if, names)
    if isinstance(field, BlockField):
        # The row's own fields are names too: `names` holds every field of the form.
        report.expression((*path, "row_label"), field.row_label, names, template=True)
    if isinstance(field, TextField) and field.pattern is not None:
        try:
            re2.compile(field.pattern, _RE2_QUIET)
        except re2.error as exc:
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            report.add((*path, "pattern"), f"invalid regular expression: {reason}")
    if isinstance(field, ComputedField):
        report.expression((*path, "expression"), field.expression, names)
    if isinstance(field, CommentField):
        report.text((*path, "text"), field.text, names)
    prefill = getattr(field, "prefill", None)
    if prefill is not None:
        report.expression((*path, "prefill", "template"), prefill.template, names, template=True)
    if isinstance(field, ChoiceField | MultiChoiceField):
        source = field.source
        if isinstance(source, CardSource):
            card = cards.get(source.card)
            if source.card not in cards:
                report.unknown((*path, "source", "card"), "card", source.card, cards)
            elif card is not None:
                card_names = _globals(()) | dict.fromkeys(f.id for f in card.fields)
                report.expression((*path, "source", "filter"), source.filter, card_names)
                report.expression(
                    (*path, "source", "label"), source.label, card_names, template=True
                )
        elif isinstance(source, JsonSource):
            report.expression((*path, "source", "url"), source.url, names, template=True)


def _workflow_names(
    workflow: WorkflowDefinition,
    answers: Collection[str] | None = None,
    params: Collection[str] | None = None,
) -> dict[str, Collection[str] | None]:
    names: dict[str, Collection[str] | None] = dict.fromkeys(WORKFLOW_NAMES)
    names["case"] = CASE_ATTRIBUTES
    names["backoffice"] = {f.id for f in workflow.backoffice_fields}
    names["answers"] = answers
    names["params"] = params
    return names


def check_workflow(
    workflow: WorkflowDefinition,
    source: ParsedSource,
    cards: Mapping[str, CardDefinition],
    *,
    answers: Collection[str] | None = None,
    params: Collection[str] | None = None,
    ignore: Collection[str] = (),
) -> list[Problem]:
    """References, expression names and static checks of one workflow.

    With ``answers`` and ``params`` (a form's field ids and parameters), only the
    expression names are checked, against that form.
    """
    per_form = answers is not None
    report = Report(source, ignore, only_roots={"answers", "params"} if per_form else None)
    names = _workflow_names(workflow, answers, params)
    for path, step in _iter_steps(workflow):
        _check_step(report, path, step, workflow, names, cards)
    for path, action in _iter_actions(workflow):
        report.expression((*path, "condition"), action.condition, names)
    for sid, status in workflow.statuses.items():
        report.expression(("statuses", sid, "message"), status.message, names, template=True)
        for j, jump in enumerate(status.jumps):
            report.expression(("statuses", sid, "jumps", j, "condition"), jump.condition, names)
        for t, timeout in enumerate(status.timeouts):
            here = ("statuses", sid, "timeouts", t)
            report.expression((*here, "at"), timeout.at, names)
            report.expression((*here, "condition"), timeout.condition, names)
    if not per_form:
        _check_structure(report, workflow)
    return report.problems


def _iter_actions(workflow: WorkflowDefinition) -> list[tuple[Path, Action]]:
    found: list[tuple[Path, Action]] = [
        (("statuses", sid, "actions", a), action)
        for sid, status in workflow.statuses.items()
        for a, action in enumerate(status.actions)
    ]
    found += [(("global_actions", g), action) for g, action in enumerate(workflow.global_actions)]
    return found


def _iter_steps(workflow: WorkflowDefinition) -> list[tuple[Path, Any]]:
    found: list[tuple[Path, Any]] = []
    for sid, status in workflow.statuses.items():
        found += [(("statuses", sid, "on_enter", i), s) for i, s in enumerate(status.on_enter)]
        for t, timeout in enumerate(status.timeouts):
            found += [
                (("statuses", sid, "timeouts", t, "steps", i), s)
                for i, s in enumerate(timeout.steps)
            ]
    for path, action in _iter_actions(workflow):
        found += [((*path, "steps", i), s) for i, s in enumerate(action.steps)]
    return found


def _check_step(
    report: Report,
    path: Path,
    step: Any,
    workflow: WorkflowDefinition,
    names: Namespaces,
    cards: Mapping[str, CardDefinition],
) -> None:
    report.expression((*path, "condition"), step.condition, names)
    if isinstance(step, EmailStep):
        for i, recipient in enumerate(step.to):
            if "{{" in recipient:
                report.expression((*path, "to", i), recipient, names, template=True)
            elif (
                recipient != SUBMITTER and "@" not in recipient and recipient not in workflow.roles
            ):
                report.unknown(
                    (*path, "to", i), "recipient", recipient, [SUBMITTER, *workflow.roles]
                )
        if step.template is not None and step.template not in workflow.templates:
            report.unknown((*path, "template"), "template", step.template, workflow.templates)
        report.expression((*path, "subject"), step.subject, names, template=True)
        report.expression((*path, "body"), step.body, names, template=True)
    elif isinstance(step, WebhookStep):
        report.expression((*path, "url"), step.url, names, template=True)
        for key, value in (step.payload or {}).items():
            report.expression((*path, "payload", key), value, names, template=True)
    elif isinstance(step, NotifyStep):
        report.expression((*path, "title"), step.title, names, template=True)
        report.expression((*path, "message"), step.message, names, template=True)
    elif isinstance(step, SetFieldStep):
        known = {f.id for f in workflow.backoffice_fields}
        if step.field not in known:
            report.unknown((*path, "field"), "back-office field", step.field, known)
        report.expression((*path, "value"), step.value, names)
    elif isinstance(step, CommentStep):
        report.expression((*path, "text"), step.text, names, template=True)
    elif isinstance(step, CardStep):
        card = cards.get(step.card)
        if card is None:
            report.unknown((*path, "card"), "card", step.card, cards)
        else:
            card_fields = {f.id for f in card.fields}
            for key, value in step.values.items():
                if key not in card_fields:
                    report.unknown(
                        (*path, "values", key), "field", key, card_fields, f" in card {step.card!r}"
                    )
                report.expression((*path, "values", key), value, names, template=True)
            report.expression((*path, "match"), step.match, {**dict.fromkeys(card_fields), **names})
    elif isinstance(step, AnonymiseStep):
        answers = names.get("answers")
        for key in ("fields", "keep"):
            for i, name in enumerate(getattr(step, key) or ()):
                if answers is not None and name not in answers:
                    near = suggest(name, answers)
                    report.per_form((*path, key, i), f"unknown field {name!r}{near}")
    elif getattr(step, "role", None) is not None and step.role not in workflow.roles:
        report.unknown((*path, "role"), "role", step.role, workflow.roles)


def _check_structure(report: Report, workflow: WorkflowDefinition) -> None:
    """Targets, roles, reachability and dead ends."""
    statuses = workflow.statuses
    _check_file_name(report, workflow.slug)
    if SUBMITTER in workflow.roles:
        report.add(
            ("roles", SUBMITTER),
            f"{SUBMITTER!r} is the reserved role of the citizen "
            "who submitted the case; do not declare it",
        )
    global_ids = [g.id for g in workflow.global_actions]
    for g, action_id in enumerate(global_ids):
        if action_id in global_ids[:g]:
            report.add(("global_actions", g, "id"), f"global action id {action_id!r} is used twice")
    if workflow.initial not in statuses:
        report.unknown(("initial",), "status", workflow.initial, statuses)
    roles = set(workflow.roles) | {SUBMITTER}
    for path, action in _iter_actions(workflow):
        if action.to is not None and action.to not in statuses:
            report.unknown((*path, "to"), "status", action.to, statuses)
        for i, role in enumerate(action.by):
            if role not in roles:
                report.unknown((*path, "by", i), "role", role, roles)
        timer = getattr(action, "timer", None)
        if not action.by and timer is None:
            report.add((*path, "by"), f"no role can take action {action.id!r}: give 'by'")
    for g, action in enumerate(workflow.global_actions):
        for i, sid in enumerate(action.statuses or ()):
            if sid not in statuses:
                report.unknown(("global_actions", g, "statuses", i), "status", sid, statuses)
    for sid, status in statuses.items():
        ids = [a.id for a in status.actions]
        for a, action_id in enumerate(ids):
            if action_id in ids[:a]:
                report.add(
                    ("statuses", sid, "actions", a, "id"),
                    f"action id {action_id!r} is used twice in this status",
                )
        for j, jump in enumerate(status.jumps):
            if jump.to not in statuses:
                report.unknown(("statuses", sid, "jumps", j, "to"), "status", jump.to, statuses)
        for t, timeout in enumerate(status.timeouts):
            if timeout.to is not None and timeout.to not in statuses:
                report.unknown(
                    ("statuses", sid, "timeouts", t, "to"), "status", timeout.to, statuses
                )
    for old, new in workflow.removed_statuses.items():
        if old in statuses:
            report.add(
                ("removed_statuses", old),
                f"status {old!r} is still in the workflow: it cannot be removed",
            )
        if new not in statuses:
            report.unknown(("removed_statuses", old), "status", new, statuses)
    if workflow.initial not in statuses:
        return
    exits = _exits(workflow)
    reachable = _reachable(workflow.initial, exits)
    for sid, status in statuses.items():
        if sid not in reachable:
            report.add(
                ("statuses", sid), f"status {sid!r} cannot be reached from {workflow.initial!r}"
            )
        elif not status.final and not (exits[sid] - {sid}):
            report.add(
                ("statuses", sid),
                f"status {sid!r} is not final and has no way out "
                "(no action, jump or timeout to another status)",
            )


def _exits(workflow: WorkflowDefinition) -> dict[str, set[str]]:
    statuses = workflow.statuses
    exits: dict[str, set[str]] = {sid: set() for sid in statuses}
    for sid, status in statuses.items():
        targets = [a.to for a in status.actions] + [j.to for j in status.jumps]
        targets += [t.to for t in status.timeouts]
        exits[sid].update(t for t in targets if t in statuses)
    for action in workflow.global_actions:
        if action.to not in statuses:
            continue
        applies = action.statuses or [
            sid
            for sid, st in statuses.items()
            if not st.final or (action.timer is not None and action.timer.since == "closing")
        ]
        for sid in applies:
            if sid in exits:
                exits[sid].add(action.to)
    return exits


def _reachable(start: str, exits: Mapping[str, set[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in exits.get(todo.pop(), ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def check_card(
    card: CardDefinition, source: ParsedSource, *, ignore: Collection[str] = ()
) -> list[Problem]:
    """Ids, key and label template of one card model."""
    report = Report(source, ignore)
    _check_file_name(report, card.slug)
    ids = [f.id for f in card.fields]
    for i, field_id in enumerate(ids):
        if field_id in ids[:i]:
            report.add(("fields", i, "id"), f"field id {field_id!r} is used twice")
    if card.key not in ids:
        report.unknown(("key",), "field", card.key, ids)
    names = _globals(()) | dict.fromkeys(ids)
    report.expression(("label",), card.label, names, template=True)
    for i, field in enumerate(card.fields):
        report.expression(("fields", i, "show_if"), field.show_if, names)
    return report.problems


def check_site(
    site: SiteDefinition,
    source: ParsedSource,
    forms: Mapping[str, FormDefinition],
    workflows: Mapping[str, WorkflowDefinition],
    cards: Mapping[str, CardDefinition],
    *,
    ignore: Collection[str] = (),
) -> list[Problem]:
    """Adopted procedures, parameter values, role mapping, groups, cards, secrets."""
    report = Report(source, ignore)
    _check_file_name(report, site.slug)
    groups = set(site.groups)
    all_roles: set[str] = set()
    categories: set[str] = set()
    for slug, adoption in site.procedures.items():
        here: Path = ("procedures", slug)
        form = forms.get(slug)
        if form is None:
            report.unknown(here, "procedure", slug, forms)
            continue
        if form.category:
            categories.add(form.category)
        values = adoption.parameters if adoption else {}
        for name, value in values.items():
            parameter = form.parameters.get(name)
            if parameter is None:
                report.unknown(
                    (*here, "parameters", name),
                    "parameter",
                    name,
                    form.parameters,
                    f" of {slug!r}",
                )
            else:
                error = _check_parameter_value(parameter, value)
                if error:
                    report.add((*here, "parameters", name), error)
        for name, parameter in form.parameters.items():
            # A boolean parameter without a default is simply false.
            if name not in values and parameter.default is None and parameter.type != "boolean":
                report.add(
                    (*here, "parameters") if adoption else here,
                    f"parameter {name!r} of {slug!r} has no default: set it here "
                    f"({text_for(parameter.label, 'en')})",
                )
        workflow = workflows.get(form.workflow)
        if workflow is None:
            continue
        local_roles = adoption.roles if adoption else {}
        all_roles.update(workflow.roles)
        for role in local_roles:
            if role not in workflow.roles:
                report.unknown(
                    (*here, "roles", role),
                    "role",
                    role,
                    workflow.roles,
                    f" in workflow {workflow.slug!r}",
                )
        for role in workflow.roles:
            mapped = local_roles.get(role, site.roles.get(role))
            if not mapped and role not in report.ignore:
                report.add(
                    here,
                    f"role {role!r} of workflow {workflow.slug!r} is given to no "
                    "group: map it in 'roles'",
                )
        for role, role_groups in local_roles.items():
            for i, group in enumerate(role_groups):
                if group not in groups:
                    report.unknown((*here, "roles", role, i), "group", group, groups)
        for _, step in _iter_steps(workflow):
            if isinstance(step, WebhookStep) and step.secret and step.secret not in site.secrets:
                report.add(
                    here,
                    f"workflow {workflow.slug!r} signs webhooks with secret "
                    f"{step.secret!r}: add it to 'secrets'",
                )
    for role, role_groups in site.roles.items():
        if role not in all_roles:
            report.unknown(
                ("roles", role),
                "role",
                role,
                all_roles,
                " (no adopted procedure's workflow has it)",
            )
        for i, group in enumerate(role_groups):
            if group not in groups:
                report.unknown(("roles", role, i), "group", group, groups)
    for category in site.categories:
        if category not in categories:
            report.unknown(
                ("categories", category),
                "category",
                category,
                categories,
                " (no adopted form has it)",
            )
    for slug, records in site.cards.items():
        card = cards.get(slug)
        if card is None:
            report.unknown(("cards", slug), "card", slug, cards)
            continue
        _check_records(report, ("cards", slug), card, records)
    return report.problems


def _check_records(
    report: Report, path: Path, card: CardDefinition, records: list[dict[str, Any]]
) -> None:
    ids = {f.id for f in card.fields}
    keys: set[str] = set()
    for r, record in enumerate(records):
        for name in record:
            if name not in ids:
                report.unknown((*path, r, name), "field", name, ids, f" in card {card.slug!r}")
        key = record.get(card.key)
        if key is None:
            report.add((*path, r), f"record has no {card.key!r} (the card's key)")
        elif str(key) in keys:
            report.add((*path, r, card.key), f"{card.key} {key!r} is used by two records")
        else:
            keys.add(str(key))


def _check_parameter_value(parameter: Any, value: Any) -> str | None:
    kind = parameter.type
    checks: dict[str, tuple[type | tuple[type, ...], str]] = {
        "integer": (int, "a whole number"),
        "decimal": ((int, float), "a number"),
        "boolean": (bool, "true or false"),
    }
    if kind in checks:
        expected, words = checks[kind]
        if not isinstance(value, expected) or (kind != "boolean" and isinstance(value, bool)):
            return f"expected {words}, got {value!r}"
        return None
    if not isinstance(value, str):
        return f"expected text, got {value!r}"
    if kind == "email" and not re2.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return f"expected an e-mail address, got {value!r}"
    if kind == "url" and not value.startswith(("https://", "http://")):
        return f"expected an http(s) URL, got {value!r}"
    if kind == "date" and not re2.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return f"expected a date as YYYY-MM-DD, got {value!r}"
    if kind == "choice":
        allowed = [o.value for o in parameter.options]
        if value not in allowed:
            return f"expected one of {', '.join(map(repr, allowed))}, got {value!r}"
    return None
