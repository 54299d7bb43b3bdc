"""Workflow diagrams as Mermaid ``stateDiagram-v2`` source.

Each status is a state showing its label; each action, jump, timeout and applicable
global action is an arrow. The text is meant for a Mermaid renderer in the back office
or the documentation, so everything that comes from a catalogue file (labels,
conditions, durations) is written with Mermaid's ``#code;`` entities: a label cannot
start a new statement, an edge, a comment, a directive or HTML markup.

>>> from formflow.definitions.workflows import WorkflowDefinition
>>> workflow = WorkflowDefinition.model_validate({
...     "format": 1, "slug": "mini", "title": "Mini", "initial": "recue",
...     "statuses": {
...         "recue": {"label": "Reçue", "actions": [
...             {"id": "clore", "label": "Clore", "by": "agent", "to": "close"}]},
...         "close": {"label": "Close", "final": True}}})
>>> print(workflow_to_mermaid(workflow))
stateDiagram-v2
    accTitle: Mini
    state "Reçue" as recue
    state "Close" as close
    [*] --> recue
    recue --> close : Clore (agent)
    close --> [*]
<BLANKLINE>
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from formflow.definitions.common import text_for
from formflow.definitions.workflows import Status, WorkflowDefinition

__all__ = ["escape_label", "workflow_to_mermaid"]

_INDENT = "    "
# Class names are namespaced: an SVG embedded in a page also gets the page's CSS, where
# a bare "hidden" or "current" class may mean display: none.
_HIDDEN_CLASS = "hiddenStatus"
_CURRENT_CLASS = "currentStatus"
_HIDDEN_STYLE = "stroke-dasharray:5 5"
_CURRENT_STYLE = "stroke-width:4px,font-weight:bold"

# Conditions can be 2,000 characters long; a diagram only needs their gist.
_CONDITION_LENGTH = 60

_WORDS = {
    "fr": {"auto": "auto", "if": "si"},
    "en": {"auto": "auto", "if": "if"},
}

# Characters written as they are: letters and digits of any script, the space and
# punctuation that means nothing to Mermaid's state-diagram lexer. Everything else
# becomes an entity, which Mermaid swaps for a placeholder before it parses the text.
_PLAIN_PUNCTUATION = frozenset(" .,!?'’()/+*=_@$€«»…-")
_NAMED_ENTITIES = {'"': "quot", "<": "lt", ">": "gt", "&": "amp"}
# Mermaid's lexer turns any line containing "direction TB" (or BT, LR, RL) into a layout
# statement, eating the rest of the line and the next one's start: "direction" never
# reaches it whole.
_DIRECTION = re.compile(r"(?<=directio)n", re.IGNORECASE)

# Status ids Mermaid 11 cannot take as state names (checked against its parser): words
# its lexer reads as keywords, and the ids it gives the start and end pseudo-states.
# Older lexers took the first rule that matched, so "default" was a keyword even as the
# start of "default_x"; and "direction" at a line's end may pair with the next line.
_RESERVED_IDS = frozenset(
    {
        "accdescr",
        "acctitle",
        "class",
        "classdef",
        "click",
        "default",
        "href",
        "note",
        "root_end",
        "root_start",
        "scale",
        "state",
        "statediagram",
        "style",
    }
)


def escape_label(text: str) -> str:
    """``text`` made safe inside a Mermaid state description or edge label.

    Whitespace runs (newlines included) become one space and control characters are
    dropped; characters other than letters, digits and harmless punctuation become
    ``#quot;``-style entities, which Mermaid shows as the character itself.

    >>> escape_label('a --> b : "x" <br>')
    'a --#gt; b #58; #quot;x#quot; #lt;br#gt;'
    """
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    out: list[str] = []
    for char in text:
        if char.isalnum() or char in _PLAIN_PUNCTUATION:
            out.append(char)
        elif char in _NAMED_ENTITIES:
            out.append(f"#{_NAMED_ENTITIES[char]};")
        elif unicodedata.category(char) in ("Cc", "Cs"):
            continue  # no entity shows a NUL or a lone surrogate
        else:
            out.append(f"#{ord(char)};")
    return _DIRECTION.sub("#110;", "".join(out))


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _node_ids(workflow: WorkflowDefinition) -> dict[str, str]:
    """The Mermaid id of each status: the status id, unless Mermaid would misread it."""
    ids: dict[str, str] = {}
    for index, sid in enumerate(workflow.statuses):
        risky = sid in _RESERVED_IDS or sid.startswith("default") or "direction" in sid
        # Status ids start with a letter, so a name starting with "_" never collides with
        # one, whatever the case.
        ids[sid] = f"_s{index}" if risky else sid
    return ids


def _applies_to(
    workflow: WorkflowDefinition, statuses: list[str] | None, after_closing: bool
) -> list[str]:
    """Where a global action applies: the rule `formflow.checks` uses for reachability.

    Its ``statuses`` if given, else every non-final status; a timer counted from the
    closing applies to final statuses too (it is meant for them: archive, anonymise).
    """
    if statuses is not None:
        return list(statuses)
    return [sid for sid, st in workflow.statuses.items() if not st.final or after_closing]


def _edge_label(*parts: str) -> str:
    label = " ".join(part for part in parts if part)
    return f" : {label}" if label else ""


def _roles(roles: list[str]) -> str:
    return f"({', '.join(roles)})" if roles else ""


def _condition(words: dict[str, str], condition: str | None) -> str:
    if condition is None:
        return ""
    return f"{words['if']} {escape_label(_shorten(condition, _CONDITION_LENGTH))}"


def _status_edges(
    sid: str, status: Status, node: dict[str, str], language: str, words: dict[str, str]
) -> Iterator[str]:
    here = node[sid]
    for action in status.actions:
        target = here if action.to is None else _node(node, action.to)
        label = _edge_label(escape_label(text_for(action.label, language)), _roles(action.by))
        yield f"{here} --> {target}{label}"
    for jump in status.jumps:
        label = _edge_label(words["auto"], _condition(words, jump.condition))
        yield f"{here} --> {_node(node, jump.to)}{label}"
    for timeout in status.timeouts:
        target = here if timeout.to is None else _node(node, timeout.to)
        if timeout.after is not None:
            when = escape_label(timeout.after)
        else:
            when = escape_label(
                f"{_shorten(timeout.at or '', _CONDITION_LENGTH)} {timeout.offset or ''}"
            )
        label = _edge_label(f"⏱ {when}", _condition(words, timeout.condition))
        yield f"{here} --> {target}{label}"
    if status.final:
        yield f"{here} --> [*]"


def _node(node: dict[str, str], sid: str) -> str:
    try:
        return node[sid]
    except KeyError:
        # load_catalog refuses such workflows; a model built in Python may still have one.
        raise ValueError(f"unknown status {sid!r}; statuses: {', '.join(node)}") from None


def workflow_to_mermaid(
    workflow: WorkflowDefinition, *, current: str | None = None, language: str = "fr"
) -> str:
    """The workflow as a Mermaid ``stateDiagram-v2``, one statement a line.

    Arrows are labelled with the action's label and roles, ``auto`` (``si`` and the
    condition) for a jump, ``⏱`` and the delay for a timeout; an action or timeout
    without a target loops on its status. Global actions with a target get an arrow
    from every status they apply to. Hidden statuses are dashed; ``current``, a status
    id, is drawn with a thick border. Texts are taken in ``language`` (see `text_for`).

    Raises ValueError when ``current`` or a target is not a status of the workflow.

    >>> from formflow.definitions.workflows import WorkflowDefinition
    >>> wf = WorkflowDefinition.model_validate({"format": 1, "slug": "w", "title": "W",
    ...     "initial": "a", "statuses": {"a": {"label": "A", "final": True}}})
    >>> print(workflow_to_mermaid(wf, current="a").splitlines()[-2:])
    ['    classDef currentStatus stroke-width:4px,font-weight:bold', '    class a currentStatus']
    """
    if current is not None and current not in workflow.statuses:
        raise ValueError(
            f"current status {current!r} is not in workflow {workflow.slug!r}; "
            f"statuses: {', '.join(workflow.statuses)}"
        )
    words = _WORDS.get(language.split("-")[0], _WORDS["fr"])
    node = _node_ids(workflow)
    lines = ["stateDiagram-v2"]
    title = escape_label(text_for(workflow.title, language))
    if title:
        lines.append(f"accTitle: {title}")
    for sid, status in workflow.statuses.items():
        # Mermaid cannot parse an empty description: an unnamed status shows its id.
        label = escape_label(text_for(status.label, language)) or escape_label(sid)
        lines.append(f'state "{label}" as {node[sid]}')
    lines.append(f"[*] --> {_node(node, workflow.initial)}")
    for sid, status in workflow.statuses.items():
        lines += _status_edges(sid, status, node, language, words)
    for action in workflow.global_actions:
        if action.to is None:
            continue  # a side effect only (anonymise…): nothing to draw
        after_closing = action.timer is not None and action.timer.since == "closing"
        target = _node(node, action.to)
        label = _edge_label(
            escape_label(text_for(action.label, language)),
            _roles(action.by),
            f"⏱ {escape_label(action.timer.after)}" if action.timer else "",
        )
        for sid in _applies_to(workflow, action.statuses, after_closing):
            lines.append(f"{_node(node, sid)} --> {target}{label}")
    hidden = [node[sid] for sid, status in workflow.statuses.items() if not status.visible]
    if hidden:
        lines.append(f"classDef {_HIDDEN_CLASS} {_HIDDEN_STYLE}")
        lines.append(f"class {','.join(hidden)} {_HIDDEN_CLASS}")
    if current is not None:
        lines.append(f"classDef {_CURRENT_CLASS} {_CURRENT_STYLE}")
        lines.append(f"class {node[current]} {_CURRENT_CLASS}")
    return "\n".join([lines[0], *(_INDENT + line for line in lines[1:])]) + "\n"
