"""Workflow files (``catalog/workflows/<slug>.yaml``): the state machine of a case.

A workflow names its **roles** (``receiver`` …; each site file maps them to agent
groups), its **statuses**, and in each status the **actions** people may take, the
automatic **jumps** tried on entry and the **timeouts**. Side effects are **steps**
(``do: email``, ``do: webhook`` …) run on entering a status, on an action or a timeout.

Templates and conditions see ``case`` (``case.tracking_code``, ``case.status`` …),
``answers`` (the form's answers by field id), ``params`` (the site's parameter values),
``site``, ``comment`` (the comment of the action being taken), ``today`` and ``now``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from formflow.definitions.common import (
    ColourHex,
    Definition,
    Duration,
    Expression,
    Flag,
    Identifier,
    Model,
    Slug,
    Template,
    Text,
)
from formflow.definitions.forms import AnyField

__all__ = [
    "SUBMITTER",
    "Action",
    "AnonymiseStep",
    "AssignStep",
    "CardStep",
    "CommentStep",
    "EmailStep",
    "GlobalAction",
    "GlobalTimer",
    "Jump",
    "MessageTemplate",
    "NotifyStep",
    "SetFieldStep",
    "Status",
    "Step",
    "Timeout",
    "WebhookStep",
    "WorkflowDefinition",
]

#: The reserved role of the person who submitted the case.
SUBMITTER = "submitter"


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


_Roles = Annotated[
    list[Identifier],
    BeforeValidator(_as_list, json_schema_input_type=Identifier | list[Identifier]),
]
#: Who receives an e-mail: ``submitter``, a role id, an address, or a template.
Recipient = Annotated[str, StringConstraints(min_length=1, max_length=500)]
_Recipients = Annotated[
    list[Recipient],
    BeforeValidator(_as_list, json_schema_input_type=Recipient | list[Recipient]),
    Field(min_length=1),
]


class _Step(Model):
    condition: Expression | None = None
    """The step runs only when this is true."""


class EmailStep(_Step):
    """Send an e-mail; subject and body are templates (or a named ``template``)."""

    do: Literal["email"]
    to: _Recipients
    """``submitter``, a role id (every agent of the mapped groups), an address or a template."""
    template: Identifier | None = None
    """A template of the workflow's ``templates``; or give ``subject`` and ``body``."""
    subject: Template | None = None
    body: Template | None = None

    @model_validator(mode="after")
    def _template_or_text(self) -> EmailStep:
        inline = self.subject is not None or self.body is not None
        if (self.template is not None) == inline:
            raise ValueError("give either template, or subject and body")
        if inline and (self.subject is None or self.body is None):
            raise ValueError("give both subject and body")
        return self


class WebhookStep(_Step):
    """POST the case as JSON to a URL, signed with HMAC-SHA256 when ``secret`` is set."""

    do: Literal["webhook"]
    url: Template
    payload: dict[Identifier, Template] | None = None
    """Keys and templated values to send; by default the case as JSON."""
    secret: Identifier | None = None
    """Name of a secret of the site file (``secrets:``) used to sign the body."""


class NotifyStep(_Step):
    """A notification in the citizen's account."""

    do: Literal["notify"]
    title: Template
    message: Template | None = None


class SetFieldStep(_Step):
    """Set a back-office field of the case."""

    do: Literal["set_field"]
    field: Identifier
    """A field of the workflow's ``backoffice_fields``."""
    value: Expression
    """An expression, e.g. ``today`` or ``answers.montant * 2``."""


class CommentStep(_Step):
    """Add a message to the case history."""

    do: Literal["comment"]
    text: Template
    visible_to_citizen: Flag = True


class AssignStep(_Step):
    """Assign the case to a role (its agents see it in "assigned to my groups")."""

    do: Literal["assign"]
    role: Identifier


class AnonymiseStep(_Step):
    """Erase personal answers (fields marked ``personal``, or those listed)."""

    do: Literal["anonymise"]
    fields: list[Identifier] | None = None
    """Fields to erase; by default every personal field."""
    keep: list[Identifier] = []
    """Fields kept even though personal (e.g. a postcode for statistics)."""


class CardStep(_Step):
    """Create a card record, or update the one ``match`` selects."""

    do: Literal["card"]
    card: Slug
    action: Literal["create", "update"] = "create"
    values: dict[Identifier, Template]
    """Card field -> template of its value."""
    match: Expression | None = None
    """For ``update``: true for the record to update (names: the record's fields)."""

    @model_validator(mode="after")
    def _update_needs_match(self) -> CardStep:
        if (self.action == "update") != (self.match is not None):
            raise ValueError("match is given for, and only for, action: update")
        return self


#: Any side-effect step, selected by ``do``.
Step = Annotated[
    EmailStep
    | WebhookStep
    | NotifyStep
    | SetFieldStep
    | CommentStep
    | AssignStep
    | AnonymiseStep
    | CardStep,
    Field(discriminator="do"),
]


class Action(Model):
    """Something a person may do on a case in a status."""

    id: Identifier
    label: Text
    """The button's text."""
    by: _Roles = []
    """Roles allowed: role ids of the workflow, or ``submitter`` for the citizen."""
    to: Identifier | None = None
    """The status the case moves to; none keeps the status (e.g. add a document)."""
    condition: Expression | None = None
    """Offered only when this is true."""
    comment: Literal["none", "optional", "required"] = "none"
    """Whether the person writes a comment (kept in the history)."""
    comment_visible_to_citizen: Flag = True
    form: list[AnyField] = []
    """A small form asked when taking the action; answers go to ``action.<id>``."""
    steps: list[Step] = []
    """Side effects of taking the action, before entering the next status."""
    confirm: Text | None = None
    """Ask for confirmation with this question."""


class GlobalTimer(Model):
    """A global action taken automatically some time after an event of the case."""

    after: Duration
    since: Literal["submission", "last_change", "closing"] = "closing"
    """Counted from the submission, the last status change, or entry into a final status."""


class GlobalAction(Action):
    """An action available in many statuses: cancel by the citizen, anonymise after 90 days."""

    statuses: list[Identifier] | None = None
    """Statuses where it applies; by default every non-final status (every status for a
    timer counted ``since: closing``)."""
    timer: GlobalTimer | None = None
    """Taken automatically; it may also have ``by`` for manual use."""


class Jump(Model):
    """An automatic move, tried on entering the status, in order; the first true wins."""

    to: Identifier
    condition: Expression | None = None
    """None: always (a pass-through status)."""


class Timeout(Model):
    """A move or side effect when time passes in a status.

    Either ``after`` a duration in the status (``10 business days``) or ``at`` a date
    taken from the case (``answers.date_reservation``), shifted by ``offset``.
    """

    after: Duration | None = None
    at: Expression | None = None
    """An expression giving a date or datetime, e.g. ``answers.date_reservation``."""
    offset: Duration | None = None
    """With ``at``: e.g. ``-1 day`` for the day before."""
    to: Identifier | None = None
    """The status to move to; none keeps the status (a reminder)."""
    condition: Expression | None = None
    """Checked when the time comes; false: nothing happens."""
    steps: list[Step] = []

    @model_validator(mode="after")
    def _when(self) -> Timeout:
        if (self.after is None) == (self.at is None):
            raise ValueError("give either after or at")
        if self.offset is not None and self.at is None:
            raise ValueError("offset goes with at")
        if self.to is None and not self.steps:
            raise ValueError("a timeout needs a target status (to) or steps")
        return self


class Status(Model):
    """One status of the workflow."""

    label: Text
    colour: ColourHex = "#5a6b7b"
    """Shown on badges in the back office."""
    visible: Flag = True
    """Shown to the citizen; a hidden status shows the citizen the last visible one."""
    final: Flag = False
    """The case is closed in this status."""
    message: Template | None = None
    """Shown to the citizen on the case page while in this status."""
    on_enter: list[Step] = []
    actions: list[Action] = []
    jumps: list[Jump] = []
    timeouts: list[Timeout] = []


class MessageTemplate(Model):
    """A named e-mail, reusable by several steps."""

    subject: Template
    body: Template


class WorkflowDefinition(Definition):
    """A workflow: the statuses a case goes through and what people may do in each.

    Example (YAML)::

        format: 1
        slug: traitement-simple
        title: Traitement simple
        roles: {receiver: Service instructeur}
        initial: recue
        statuses:
          recue:
            label: Demande reçue
            actions:
              - {id: accepter, label: Accepter, by: receiver, to: acceptee}
          acceptee: {label: Acceptée, final: true}
    """

    slug: Slug
    title: Text
    description: Text | None = None
    roles: dict[Identifier, Text] = {}
    """Role id -> what the role is; each site file maps role ids to agent groups."""
    initial: Identifier
    """The status a submitted case enters."""
    statuses: Annotated[dict[Identifier, Status], Field(min_length=1)]
    global_actions: list[GlobalAction] = []
    backoffice_fields: list[AnyField] = []
    """Fields agents fill in or steps set, kept with the case but not shown to citizens."""
    templates: dict[Identifier, MessageTemplate] = {}
    """Named e-mails used by ``do: email`` steps."""
    removed_statuses: dict[Identifier, Identifier] = {}
    """Statuses taken out of the workflow -> the status their open cases now count as.
    Stored cases keep the status they had; a status that vanished without an entry
    here stops the engine from starting while cases are in it."""
