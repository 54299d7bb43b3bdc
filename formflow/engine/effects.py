"""Side-effect steps of a workflow (``do: email`` …), run during a transition.

Steps that change the case (``set_field``, ``comment``, ``assign``, ``anonymise``) are
applied to it at once; steps that reach outside (``email``, ``webhook``, ``notify``)
become `OutboxMessage`s rendered now, written in the same transaction as the status
change and delivered later by the worker, so a slow mail server never blocks a
citizen and a failed delivery is kept and retried. ``card`` steps become
`CardChange`s the store applies in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from formflow.catalog import Procedure
from formflow.definitions.common import text_for
from formflow.definitions.forms import iter_fields
from formflow.definitions.sites import SiteDefinition
from formflow.definitions.workflows import (
    SUBMITTER,
    AnonymiseStep,
    AssignStep,
    CardStep,
    CommentStep,
    EmailStep,
    NotifyStep,
    SetFieldStep,
    WebhookStep,
)
from formflow.engine.cases import (
    Actor,
    CardChange,
    Case,
    Changes,
    HistoryEntry,
    OutboxMessage,
    new_id,
)
from formflow.expressions import compile_expression, compile_template

__all__ = ["StepContext", "expression_context", "local_time", "run_steps"]


@dataclass(frozen=True, slots=True)
class StepContext:
    """What steps need besides the case: the procedure, the site, the time, the actor."""

    procedure: Procedure
    site: SiteDefinition
    now: dt.datetime
    actor: Actor
    #: Public base URL of the site, for links in e-mails (``case.url``).
    base_url: str = ""
    comment: str | None = None
    #: Answers of the action's small form.
    action: Mapping[str, Any] | None = None


def _json_ready(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_ready(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def expression_context(case: Case, ctx: StepContext) -> dict[str, Any]:
    """The names workflow conditions and templates see (see docs/definition-format.md).

    Times are given in the site's time zone: "reçue le 23/11/2026 17:38" must read as
    the citizen's clock does, whatever the server's.
    """
    zone = _zone(ctx.site.timezone)
    now = ctx.now.astimezone(zone)
    form = ctx.procedure.form.definition
    statuses = ctx.procedure.workflow.definition.statuses
    answers = {f.id: None for page in form.pages for _, f in iter_fields(page.fields)}
    answers.update(case.answers)
    status = statuses.get(case.status)
    url = f"{ctx.base_url}/suivi/{case.tracking_code}" if case.tracking_code else ctx.base_url
    return {
        "case": {
            "id": case.id,
            "number": case.id[:8],
            "tracking_code": case.tracking_code,
            "form": case.form,
            "form_title": text_for(ctx.procedure.title, "fr"),
            "status": case.status,
            "status_label": text_for(status.label, "fr") if status else case.status,
            "submitted_at": case.created_at.astimezone(zone),
            "updated_at": case.updated_at.astimezone(zone),
            "url": url,
            "channel": case.channel,
            "urgent": case.urgent,
            "submitter": {"id": case.submitter_id, "email": case.submitter_email},
        },
        "answers": answers,
        "backoffice": {f.id: None for f in ctx.procedure.workflow.definition.backoffice_fields}
        | dict(case.backoffice),
        "action": dict(ctx.action or {}),
        "comment": ctx.comment,
        "params": dict(ctx.procedure.parameters),
        "site": {
            "slug": ctx.site.slug,
            "name": text_for(ctx.site.name, "fr"),
            "email": ctx.site.contact.email,
            "phone": ctx.site.contact.phone,
            "url": ctx.site.contact.url,
        },
        "user": {
            "id": ctx.actor.id,
            "name": ctx.actor.name,
            "email": ctx.actor.email,
            "kind": ctx.actor.kind,
        },
        "today": now.date(),
        "now": now,
    }


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC  # a site file with an unknown zone: UTC rather than a failure


def local_time(moment: dt.datetime, site: SiteDefinition) -> dt.datetime:
    """``moment`` on the site's clock."""
    return moment.astimezone(_zone(site.timezone))


def run_steps(
    steps: Sequence[Any], case: Case, ctx: StepContext, event: str
) -> tuple[Case, Changes]:
    """Run ``steps`` in order; returns the updated case and what to write with it.

    Each step sees the case as the steps before it left it. A step whose condition
    is false is skipped.
    """
    changes = Changes()
    for step in steps:
        names = expression_context(case, ctx)
        if step.condition is not None and not compile_expression(step.condition).is_true(names):
            continue
        case = _run_step(step, case, ctx, names, changes, event)
    return case, changes


def _render(source: str | None, names: Mapping[str, Any]) -> str:
    return compile_template(source).render(names) if source is not None else ""


def _message(
    case: Case, ctx: StepContext, kind: Any, payload: dict[str, Any], event: str, changes: Changes
) -> None:
    index = len(changes.messages)
    changes.messages.append(
        OutboxMessage(
            id=new_id(),
            case_id=case.id,
            kind=kind,
            payload=payload,
            created_at=ctx.now,
            # Stable for this case, event, moment and step: a receiver can drop a repeat.
            idempotency_key=f"{case.id}:{case.version}:{event}:{index}",
            next_attempt_at=ctx.now,
        )
    )


def _run_step(
    step: Any,
    case: Case,
    ctx: StepContext,
    names: Mapping[str, Any],
    changes: Changes,
    event: str,
) -> Case:
    workflow = ctx.procedure.workflow.definition
    if isinstance(step, EmailStep):
        if step.template is not None:
            template = workflow.templates[step.template]
            subject, body = template.subject, template.body
        else:
            subject, body = step.subject or "", step.body or ""
        recipients = _recipients(step.to, case, names)
        if recipients:
            payload = {
                "to": recipients,
                "subject": " ".join(_render(subject, names).split()),
                "body": _render(body, names),
                "reply_to": ctx.site.contact.email,
            }
            _message(case, ctx, "email", payload, event, changes)
    elif isinstance(step, WebhookStep):
        if step.payload is None:
            content: Any = {
                "case": _json_ready(names["case"]),
                "answers": _json_ready(case.answers),
                "backoffice": _json_ready(case.backoffice),
            }
        else:
            content = {key: _render(value, names) for key, value in step.payload.items()}
        payload = {"url": _render(step.url, names).strip(), "json": content, "secret": step.secret}
        _message(case, ctx, "webhook", payload, event, changes)
    elif isinstance(step, NotifyStep):
        if case.submitter_id is not None:
            payload = {
                "user": case.submitter_id,
                "title": _render(step.title, names),
                "message": _render(step.message, names),
            }
            _message(case, ctx, "notify", payload, event, changes)
    elif isinstance(step, SetFieldStep):
        value = _json_ready(compile_expression(step.value).evaluate(names))
        case = case.evolve(backoffice={**case.backoffice, step.field: value})
    elif isinstance(step, CommentStep):
        changes.history.append(
            HistoryEntry(
                ctx.now,
                Actor.system(),
                "comment",
                case.status,
                case.status,
                comment=_render(step.text, names),
                visible_to_citizen=step.visible_to_citizen,
            )
        )
    elif isinstance(step, AssignStep):
        case = case.evolve(assigned_roles=(step.role,))
    elif isinstance(step, AnonymiseStep):
        case = _anonymise(case, ctx, step)
    elif isinstance(step, CardStep):
        values = {key: _render(value, names) for key, value in step.values.items()}
        changes.cards.append(CardChange(step.card, values, step.match))
    return case


def _recipients(targets: Sequence[str], case: Case, names: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for target in targets:
        if target == SUBMITTER:
            if case.submitter_email:
                out.append(case.submitter_email)
        elif "{{" in target:
            rendered = _render(target, names)
            out += [part.strip() for part in rendered.replace(";", ",").split(",") if "@" in part]
        elif "@" in target:
            out.append(target)
        else:
            # A role: the delivery resolves it to the e-mails of the agents of its groups.
            out.append(f"role:{target}")
    return list(dict.fromkeys(out))


def _anonymise(case: Case, ctx: StepContext, step: AnonymiseStep) -> Case:
    form = ctx.procedure.form.definition
    fields = [f for page in form.pages for _, f in iter_fields(page.fields)]
    if step.fields is not None:
        erase = set(step.fields)
    else:
        erase = {f.id for f in fields if getattr(f, "personal", False)}
    erase -= set(step.keep)
    answers = {k: (None if k in erase else v) for k, v in case.answers.items()}
    return case.evolve(answers=answers, submitter_email=None, anonymised=True)


def canonical_json(value: Any) -> bytes:
    """The bytes a webhook signs and sends: compact, keys sorted, UTF-8."""
    return json.dumps(
        _json_ready(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
