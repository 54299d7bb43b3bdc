"""`Engine`: a site's procedures, their workflows and a store, behind one object.

::

    from formflow import Engine, InMemoryStore, load_catalog, load_site
    from formflow.engine.cases import Actor

    site = load_site("catalog/sites/demo.yaml", load_catalog("catalog/"))
    engine = Engine(site, InMemoryStore())
    case = engine.submit("demande-de-bac", answers, Actor("citizen", "u1", email="a@b.fr"))
    engine.act(case.id, "accepter", Actor("agent", "a1", groups=frozenset({"proprete"})))
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from formflow.catalog import Procedure, Site
from formflow.definitions.forms import EmailField, iter_fields
from formflow.definitions.workflows import Action
from formflow.engine.cases import (
    Actor,
    Case,
    Changes,
    Channel,
    Timer,
    new_id,
    new_tracking_code,
)
from formflow.engine.effects import StepContext
from formflow.engine.store import Store
from formflow.engine.workflow import Outcome, Refusal, RuntimeCache, WorkflowRuntime
from formflow.exceptions import ConflictError, DefinitionError, Problem

__all__ = ["Engine"]

log = logging.getLogger("formflow.engine")

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Engine:
    """Runs the procedures of one site on one store.

    Cases pin the definition versions they started with; the engine keeps one
    workflow runtime per version (`RuntimeCache`), so a case started before a
    catalogue upgrade goes on with the workflow it began with, as long as the site
    still has that version loaded.
    """

    def __init__(
        self, site: Site, store: Store, *, clock: Clock = _utc_now, base_url: str = ""
    ) -> None:
        self.site = site
        self.store = store
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.runtimes = RuntimeCache()

    # -- lookups ----------------------------------------------------------------------

    def procedure(self, slug: str) -> Procedure:
        """The adopted procedure ``slug`` (`NotFoundError` if the site has none)."""
        return self.site.procedure(slug)

    def runtime(self, procedure: Procedure) -> WorkflowRuntime:
        return self.runtimes.get(procedure.workflow)

    def context(self, procedure: Procedure, actor: Actor) -> StepContext:
        return StepContext(procedure, self.site.definition, self.clock(), actor, self.base_url)

    def get(self, case_id: str) -> Case:
        """A stored case, its status mapped through ``removed_statuses`` if need be."""
        return self._current(self.store.get(case_id))

    def _current(self, case: Case) -> Case:
        workflow = self.procedure(case.form).workflow.definition
        if case.status not in workflow.statuses and case.status in workflow.removed_statuses:
            return case.evolve(status=workflow.removed_statuses[case.status])
        return case

    def check_statuses(self) -> None:
        """Refuse to run while open cases sit in a status their workflow no longer has.

        Raises `DefinitionError` naming the workflow file, the status and what to add
        (``removed_statuses``), so that an upgrade of the catalogue never strands cases.
        """
        workflows = {p.workflow.definition.slug: p.workflow for p in self.site.procedures.values()}
        problems = []
        for slug, status in sorted(self.store.open_statuses(self.site.definition.slug)):
            entry = workflows.get(slug)
            if entry is None:
                continue  # a workflow the site no longer uses: its cases are read-only
            definition = entry.definition
            if status not in definition.statuses and status not in definition.removed_statuses:
                problems.append(
                    Problem(
                        entry.file,
                        None,
                        "removed_statuses",
                        f"open cases are in status {status!r}, which the workflow no longer has: "
                        f"map it to a status in 'removed_statuses' ({status}: <status>)",
                    )
                )
        if problems:
            raise DefinitionError(problems)

    # -- events -----------------------------------------------------------------------

    def submit(
        self,
        form: str,
        answers: Mapping[str, Any],
        actor: Actor,
        *,
        token: str | None = None,
        channel: Channel = "web",
        submitter_email: str | None = None,
    ) -> Case:
        """Store a new case for ``answers`` (JSON-ready, by field id) and start its workflow.

        ``token`` makes the submission idempotent: the same token again returns the
        case created the first time.
        """
        procedure = self.procedure(form)
        ctx = self.context(procedure, actor)
        definition = procedure.form.definition
        submitter = actor if actor.kind == "citizen" else None
        case = Case(
            id=new_id(),
            site=self.site.definition.slug,
            form=form,
            form_version=procedure.form.version,
            workflow=procedure.workflow.definition.slug,
            workflow_version=procedure.workflow.version,
            status=procedure.workflow.definition.initial,
            answers=dict(answers),
            created_at=ctx.now,
            updated_at=ctx.now,
            status_since=ctx.now,
            tracking_code=self._unique_tracking_code() if definition.tracking_code else None,
            submitter_id=submitter.id if submitter else None,
            submitter_email=submitter_email
            or (submitter.email if submitter else None)
            or _first_email(answers, procedure),
            channel=channel,
        )
        outcome = self.runtime(procedure).submit(case, ctx)
        return self.store.submit(outcome.case, outcome.changes, token=token)

    def _unique_tracking_code(self) -> str:
        for _ in range(10):
            code = new_tracking_code()
            if self.store.by_tracking_code(self.site.definition.slug, code) is None:
                return code
        raise RuntimeError("could not draw a free tracking code")  # pragma: no cover

    def actions(self, case: Case, actor: Actor) -> list[Action]:
        """The actions ``actor`` may take on ``case`` now."""
        procedure = self.procedure(case.form)
        return self.runtime(procedure).available_actions(
            case, actor, self.context(procedure, actor)
        )

    def act(
        self,
        case_id: str,
        action: str,
        actor: Actor,
        *,
        comment: str | None = None,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Case | Refusal:
        """Take ``action`` on a case; a `Refusal` says why not.

        With ``expected_version`` (the version the agent saw), a case changed in the
        meantime raises `ConflictError` instead of acting on what the agent did not see.
        """
        case = self.get(case_id)
        if expected_version is not None and expected_version != case.version:
            raise ConflictError(
                f"case {case_id} changed since version {expected_version} "
                f"(now {case.version}): reload it"
            )
        procedure = self.procedure(case.form)
        result = self.runtime(procedure).fire(
            case, action, self.context(procedure, actor), comment=comment, data=data
        )
        if isinstance(result, Refusal):
            return result
        return self.store.save(result.case, result.changes, expected_version=case.version)

    def run_timers(self, limit: int = 100) -> int:
        """Fire the timers due now; returns how many fired.

        Safe to run in several workers at once: a timer whose case changed meanwhile
        is left for the next run. A timer that fails (its procedure was removed, an
        expression raises) is logged and skipped, so it never holds the others back.
        """
        fired = 0
        for timer in self.store.due_timers(self.clock(), limit):
            try:
                fired += self._fire_timer(timer)
            except ConflictError:
                continue
            except Exception:  # one broken timer must not stop every other one
                log.exception("timer %s of case %s failed", timer.id, timer.case_id)
        return fired

    def _fire_timer(self, timer: Timer) -> int:
        case = self.get(timer.case_id)
        procedure = self.procedure(case.form)
        result = self.runtime(procedure).fire_timer(
            case, timer, self.context(procedure, Actor.system())
        )
        outcome = (
            result
            if isinstance(result, Outcome)
            else Outcome(case, Changes(fired_timers=[timer.id]))
        )
        self.store.save(outcome.case, outcome.changes, expected_version=case.version)
        return 1 if isinstance(result, Outcome) else 0


def _first_email(answers: Mapping[str, Any], procedure: Procedure) -> str | None:
    for page in procedure.form.definition.pages:
        for _, field in iter_fields(page.fields):
            value = answers.get(field.id)
            if isinstance(field, EmailField) and isinstance(value, str) and value:
                return value
    return None
