"""The workflow runtime: moving cases through a workflow definition.

One `WorkflowRuntime` per workflow definition version, shared by every case; it owns
the only `transitions.Machine` for that version (this module is the adapter: nothing
else imports ``transitions``). Cases are immutable values: each call returns an
`Outcome` (the new case and the `Changes` to write with it in one transaction) or a
`Refusal` saying why nothing happened.

::

    runtime = runtimes.get(procedure.workflow)
    outcome = runtime.submit(case, ctx)                    # enter the initial status
    result = runtime.fire(outcome.case, "accepter", ctx)   # an agent's action
    if isinstance(result, Refusal):
        print(result.message_fr)
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from transitions import Machine, MachineError

from formflow.catalog import Entry, Procedure
from formflow.definitions.common import parse_duration, text_for
from formflow.definitions.workflows import (
    SUBMITTER,
    Action,
    GlobalAction,
    Status,
    WorkflowDefinition,
)
from formflow.engine.calendar import add_duration
from formflow.engine.cases import Actor, Case, Changes, HistoryEntry, Timer, new_id
from formflow.engine.context import FormContext
from formflow.engine.effects import StepContext, expression_context, run_steps
from formflow.engine.errors import FieldError, Reject, Rejected
from formflow.engine.fields.base import FieldContext, clean_text, field_types, parse_field
from formflow.exceptions import ExpressionError
from formflow.expressions import compile_expression

__all__ = [
    "MAX_ACTION_TEXT",
    "MAX_JUMPS",
    "Outcome",
    "Refusal",
    "RuntimeCache",
    "WorkflowRuntime",
    "roles_of",
]

#: Automatic jumps followed in a row before the runtime stops (a loop in a definition).
MAX_JUMPS = 20

RefusalCode = Literal[
    "unknown_action",
    "wrong_status",
    "not_allowed",
    "condition_false",
    "comment_required",
    "stale_timer",
    "invalid_input",
]
#: Longest comment or action-form answer kept, in characters.
MAX_ACTION_TEXT = 10_000

_MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_action": ("Cette action n'existe pas.", "This action does not exist."),
    "wrong_status": (
        "Cette action n'est pas possible dans le statut actuel de la demande.",
        "This action is not possible in the case's current status.",
    ),
    "not_allowed": (
        "Vous n'avez pas le droit de faire cette action.",
        "You are not allowed to take this action.",
    ),
    "condition_false": (
        "Les conditions de cette action ne sont pas remplies.",
        "The conditions of this action are not met.",
    ),
    "comment_required": (
        "Un commentaire est obligatoire pour cette action.",
        "A comment is required for this action.",
    ),
    "stale_timer": ("Ce délai ne s'applique plus.", "This timer no longer applies."),
    "invalid_input": (
        "Le commentaire ou une réponse contient des caractères non autorisés ou est trop long.",
        "The comment or an answer contains characters that are not allowed, or is too long.",
    ),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an action was not taken; nothing was changed."""

    code: RefusalCode
    message_fr: str
    message_en: str
    detail: str | None = None
    #: With ``invalid_input``: what is wrong with each answer of the action's form.
    errors: tuple[FieldError, ...] = ()

    @classmethod
    def of(
        cls, code: RefusalCode, detail: str | None = None, errors: tuple[FieldError, ...] = ()
    ) -> Refusal:
        fr, en = _MESSAGES[code]
        return cls(code, fr, en, detail, errors)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The case after an event, and what to write with it in the same transaction."""

    case: Case
    changes: Changes


def roles_of(actor: Actor, case: Case, procedure: Procedure) -> frozenset[str]:
    """The workflow roles ``actor`` plays on ``case``.

    Agents play the roles whose groups (in the site file) they belong to. A citizen
    is ``submitter`` of a case they submitted while signed in, or when the web layer
    vouches that they hold its tracking code (``Actor.id == "tracking:<code>"``).
    """
    if actor.kind == "agent":
        return frozenset(
            role for role, groups in procedure.roles.items() if actor.groups & set(groups)
        )
    if actor.kind == "citizen":
        own = actor.id is not None and actor.id == case.submitter_id
        holder = case.tracking_code is not None and actor.id == f"tracking:{case.tracking_code}"
        return frozenset({SUBMITTER}) if own or holder else frozenset()
    return frozenset()


class _Token:
    """The object the shared machine moves: nothing but a state attribute."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


class WorkflowRuntime:
    """The runtime of one workflow definition version."""

    def __init__(self, definition: WorkflowDefinition, version: str) -> None:
        self.definition = definition
        self.version = version
        statuses = list(definition.statuses)
        self._machine = Machine(
            model=None,
            states=statuses,
            initial=None,
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )
        for sid, status in definition.statuses.items():
            for action in status.actions:
                self._machine.add_transition(f"action:{action.id}", sid, action.to)
            for index, jump in enumerate(status.jumps):
                self._machine.add_transition(f"jump:{index}", sid, jump.to)
            for index, timeout in enumerate(status.timeouts):
                self._machine.add_transition(f"timeout:{index}", sid, timeout.to)
        for action in definition.global_actions:
            for sid in self._global_statuses(action):
                self._machine.add_transition(f"global:{action.id}", sid, action.to)

    # -- what is possible -----------------------------------------------------------

    def _global_statuses(self, action: GlobalAction) -> list[str]:
        if action.statuses is not None:
            return list(action.statuses)
        closing = action.timer is not None and action.timer.since == "closing"
        return [sid for sid, st in self.definition.statuses.items() if closing or not st.final]

    def status(self, case: Case) -> Status:
        return self.definition.statuses[case.status]

    def _find(self, case: Case, action_id: str) -> tuple[Action | None, str]:
        """The action ``action_id`` offered in the case's status, and its trigger."""
        for action in self.status(case).actions:
            if action.id == action_id:
                return action, f"action:{action.id}"
        for global_action in self.definition.global_actions:
            if global_action.id == action_id and case.status in self._global_statuses(
                global_action
            ):
                return global_action, f"global:{global_action.id}"
        return None, ""

    def available_actions(self, case: Case, actor: Actor, ctx: StepContext) -> list[Action]:
        """The actions ``actor`` may take on ``case`` now, in definition order."""
        roles = roles_of(actor, case, ctx.procedure)
        offered: list[Action] = [*self.status(case).actions]
        offered += [
            g
            for g in self.definition.global_actions
            if g.by and case.status in self._global_statuses(g)
        ]
        names: dict[str, Any] | None = None
        out = []
        for action in offered:
            if not roles & set(action.by):
                continue
            if action.condition is not None:
                names = names or expression_context(case, replace(ctx, actor=actor))
                if not _holds(action.condition, names):
                    continue
            out.append(action)
        return out

    # -- events ---------------------------------------------------------------------

    def submit(self, case: Case, ctx: StepContext) -> Outcome:
        """Enter the initial status of a newly submitted case."""
        initial = self.definition.initial
        case = case.evolve(status=initial, status_since=ctx.now, updated_at=ctx.now)
        changes = Changes()
        changes.history.append(
            HistoryEntry(ctx.now, ctx.actor, "submit", None, initial, visible_to_citizen=True)
        )
        changes.timers += self._global_timers(case, ctx, "submission")
        case = self._enter(case, ctx, changes)
        return Outcome(case, changes)

    def fire(
        self,
        case: Case,
        action_id: str,
        ctx: StepContext,
        *,
        comment: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Outcome | Refusal:
        """Take action ``action_id`` on ``case`` as ``ctx.actor``."""
        action, trigger = self._find(case, action_id)
        if action is None:
            exists = any(
                a.id == action_id for s in self.definition.statuses.values() for a in s.actions
            ) or any(g.id == action_id for g in self.definition.global_actions)
            return Refusal.of("wrong_status" if exists else "unknown_action", action_id)
        if not roles_of(ctx.actor, case, ctx.procedure) & set(action.by):
            return Refusal.of("not_allowed", action_id)
        try:
            # Cleaned like form answers: no NUL or control characters, bounded length.
            comment = clean_text(comment, MAX_ACTION_TEXT, multiline=True)
        except Reject:
            return Refusal.of("invalid_input", action_id)
        answers, errors = _read_action_form(action, data or {})
        if errors:
            return Refusal.of("invalid_input", action_id, errors)
        if action.comment == "required" and comment is None:
            return Refusal.of("comment_required", action_id)
        if action.comment == "none":
            comment = None
        data = answers
        ctx = replace(ctx, comment=comment, action=answers)
        if action.condition is not None and not _holds(
            action.condition, expression_context(case, ctx)
        ):
            return Refusal.of("condition_false", action_id)
        return self._move(
            case,
            ctx,
            trigger,
            action_id,
            action.to,
            action.steps,
            comment,
            action.comment_visible_to_citizen,
            dict(data or {}),
        )

    def fire_timer(self, case: Case, timer: Timer, ctx: StepContext) -> Outcome | Refusal:
        """Run a due timer; a timer left over from an earlier status is refused."""
        ctx = replace(ctx, actor=Actor.system())
        if timer.kind == "timeout":
            if timer.status != case.status or timer.index is None:
                return Refusal.of("stale_timer")
            timeout = self.status(case).timeouts[timer.index]
            if timeout.condition is not None and not _holds(
                timeout.condition, expression_context(case, ctx)
            ):
                return Refusal.of("condition_false", f"timeout {timer.index}")
            outcome = self._move(
                case,
                ctx,
                f"timeout:{timer.index}",
                "timeout",
                timeout.to,
                timeout.steps,
                None,
                False,
                {},
            )
            outcome.changes.fired_timers.append(timer.id)
            return outcome
        action, trigger = self._find(case, timer.action or "")
        if not isinstance(action, GlobalAction) or action.timer is None:
            return Refusal.of("stale_timer")
        if action.condition is not None and not _holds(
            action.condition, expression_context(case, ctx)
        ):
            return Refusal.of("condition_false", action.id)
        outcome = self._move(
            case, ctx, trigger, action.id, action.to, action.steps, None, False, {}
        )
        outcome.changes.fired_timers.append(timer.id)
        return outcome

    # -- mechanics --------------------------------------------------------------------

    def _move(
        self,
        case: Case,
        ctx: StepContext,
        trigger: str,
        event: str,
        target: str | None,
        steps: Any,
        comment: str | None,
        comment_visible: bool,
        data: dict[str, Any],
    ) -> Outcome:
        before = case.status
        case, changes = run_steps(steps, case, ctx, event)
        token = _Token(case.status)
        try:
            self._machine.events[trigger].trigger(token)
        except (KeyError, MachineError) as exc:  # pragma: no cover - checked at load
            raise RuntimeError(f"workflow {self.definition.slug!r}: {exc}") from exc
        visible = target is None or self.definition.statuses[token.state].visible
        entry = HistoryEntry(
            ctx.now,
            ctx.actor,
            event,
            before,
            token.state,
            comment,
            visible_to_citizen=visible and (comment is None or comment_visible),
            messages=tuple(m.id for m in changes.messages),
            data=data,
        )
        changes.history.insert(0, entry)
        case = case.evolve(updated_at=ctx.now)
        if target is not None:
            case = case.evolve(status=token.state, status_since=ctx.now)
            changes.timers += self._global_timers(case, ctx, "last_change")
            case = self._enter(case, ctx, changes)
        return Outcome(case, changes)

    def _enter(self, case: Case, ctx: StepContext, changes: Changes) -> Case:
        """Run the entry steps of the case's status, then its jumps, then set its timers."""
        for _ in range(MAX_JUMPS):
            status = self.status(case)
            case, entered = run_steps(status.on_enter, case, ctx, f"enter:{case.status}")
            changes.extend(entered)
            if status.final and case.closed_at is None:
                case = case.evolve(closed_at=ctx.now)
                changes.timers += self._global_timers(case, ctx, "closing")
            jump = self._first_jump(case, ctx)
            if jump is None:
                break
            index, target = jump
            token = _Token(case.status)
            self._machine.events[f"jump:{index}"].trigger(token)
            changes.history.append(
                HistoryEntry(
                    ctx.now,
                    Actor.system(),
                    "jump",
                    case.status,
                    token.state,
                    visible_to_citizen=self.definition.statuses[target].visible,
                )
            )
            case = case.evolve(status=token.state, status_since=ctx.now)
        else:
            raise RuntimeError(
                f"workflow {self.definition.slug!r}: more than {MAX_JUMPS} jumps in a row"
            )
        changes.cancel_timers.add("timeout")
        changes.timers += self._status_timers(case, ctx)
        return case

    def _first_jump(self, case: Case, ctx: StepContext) -> tuple[int, str] | None:
        jumps = self.status(case).jumps
        if not jumps:
            return None
        names = expression_context(case, ctx)
        for index, jump in enumerate(jumps):
            if jump.condition is None or _holds(jump.condition, names):
                return index, jump.to
        return None

    def _status_timers(self, case: Case, ctx: StepContext) -> list[Timer]:
        timers = []
        for index, timeout in enumerate(self.status(case).timeouts):
            due = self._due(case, ctx, timeout.after, timeout.at, timeout.offset)
            if due is not None:
                timers.append(
                    Timer(new_id(), case.id, due, "timeout", status=case.status, index=index)
                )
        return timers

    def _global_timers(self, case: Case, ctx: StepContext, since: str) -> list[Timer]:
        timers = []
        for action in self.definition.global_actions:
            if action.timer is not None and action.timer.since == since:
                due = add_duration(ctx.now, action.timer.after, ctx.site.country)
                timers.append(Timer(new_id(), case.id, due, "global", action=action.id))
        return timers

    def _due(
        self,
        case: Case,
        ctx: StepContext,
        after: str | None,
        at: str | None,
        offset: str | None,
    ) -> dt.datetime | None:
        if after is not None:
            return add_duration(ctx.now, after, ctx.site.country)
        assert at is not None
        try:
            value = compile_expression(at).evaluate(expression_context(case, ctx))
        except ExpressionError:
            return None  # e.g. the answer is empty: no timer rather than a failed submit
        moment = _as_datetime(value, ctx.now.tzinfo)
        if moment is None:
            return None
        return add_duration(moment, parse_duration(offset), ctx.site.country) if offset else moment

    def describe_status(self, case: Case, language: str = "fr") -> str:
        """The status label as a citizen sees it (hidden statuses show the last visible)."""
        statuses = self.definition.statuses
        if statuses[case.status].visible:
            return text_for(statuses[case.status].label, language)
        for entry in reversed(case.history):
            if entry.to_status in statuses and statuses[entry.to_status].visible:
                return text_for(statuses[entry.to_status].label, language)
        return text_for(statuses[self.definition.initial].label, language)


def _read_action_form(
    action: Action, data: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[FieldError, ...]]:
    """The action form's answers, parsed and checked by their field types (as JSON)."""
    context = FieldContext(FormContext(), dict(data))
    answers: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in action.form:
        if not field_types[field.type].holds_value:
            continue
        value = parse_field(field, data.get(field.id), context.child(field.id))
        if isinstance(value, Rejected):
            errors += value.errors
        elif value is not None:
            answers[field.id] = field_types[field.type].to_json(field, value)
    return answers, tuple(errors)


def _holds(condition: str, names: Mapping[str, Any]) -> bool:
    try:
        return compile_expression(condition).is_true(names)
    except ExpressionError:
        return False


def _as_datetime(value: Any, tz: dt.tzinfo | None) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=tz)
    return None


class RuntimeCache:
    """One runtime per workflow definition version, built on first use (thread-safe)."""

    def __init__(self) -> None:
        self._runtimes: dict[tuple[str, str], WorkflowRuntime] = {}
        self._lock = threading.Lock()

    def get(self, entry: Entry[WorkflowDefinition]) -> WorkflowRuntime:
        key = (entry.definition.slug, entry.version)
        runtime = self._runtimes.get(key)
        if runtime is None:
            with self._lock:
                runtime = self._runtimes.get(key)
                if runtime is None:
                    runtime = WorkflowRuntime(entry.definition, entry.version)
                    self._runtimes[key] = runtime
        return runtime
