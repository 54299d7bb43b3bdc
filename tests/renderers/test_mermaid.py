"""Tests for the Mermaid workflow diagrams.

A golden diagram written out in full, every catalogue workflow, hostile labels that try
to open markup or add edges, and a property: whatever the label text, the diagram has
one line per status and one per arrow.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formflow.catalog import load_catalog
from formflow.definitions.common import text_for
from formflow.definitions.workflows import WorkflowDefinition
from formflow.renderers import mermaid
from formflow.renderers.mermaid import escape_label, workflow_to_mermaid

CATALOG = Path(__file__).resolve().parents[2] / "catalog"
PROPERTY = settings(max_examples=200, deadline=None, database=None)
EDGE = re.compile(r"^    (\S+) --> (\S+)(?: : (.*))?$")
STATE = re.compile(r'^    state "([^"\n]*)" as ([A-Za-z0-9_]+)$')


def workflow(data: dict[str, Any]) -> WorkflowDefinition:
    return WorkflowDefinition.model_validate({"format": 1, "slug": "test", "title": "Test", **data})


GOLDEN = workflow(
    {
        "title": {"fr": "Démonstration", "en": "Demo"},
        "roles": {"agent": "Service instructeur"},
        "initial": "recue",
        "statuses": {
            "recue": {
                "label": {"fr": "Reçue", "en": "Received"},
                "actions": [
                    {"id": "prendre", "label": "Prendre en charge", "by": "agent", "to": "instr"},
                    {"id": "completer", "label": "Compléter", "by": "submitter"},
                ],
                "timeouts": [
                    {"after": "10 business days", "steps": [{"do": "comment", "text": "Relance"}]}
                ],
            },
            "instr": {
                "label": "En instruction",
                "jumps": [
                    {"to": "verif", "condition": "answers.montant > 1000"},
                    {"to": "acceptee"},
                ],
            },
            "verif": {
                "label": "Vérification",
                "visible": False,
                "actions": [
                    {
                        "id": "valider",
                        "label": {"fr": "Valider", "en": "Approve"},
                        "by": ["agent", "submitter"],
                        "to": "acceptee",
                    }
                ],
                "timeouts": [
                    {"at": "answers.date_rdv", "offset": "-1 day", "to": "acceptee"},
                    {"after": "2 hours", "to": "acceptee", "condition": "params.auto"},
                ],
            },
            "acceptee": {"label": "Acceptée", "final": True},
            "annulee": {"label": "Annulée", "final": True, "visible": False},
        },
        "global_actions": [
            {"id": "annuler", "label": "Annuler", "by": "submitter", "to": "annulee"},
            {
                "id": "relancer",
                "label": "Relancer",
                "statuses": ["instr"],
                "to": "verif",
                "timer": {"after": "30 days", "since": "last_change"},
            },
            {
                "id": "anonymiser",
                "label": "Anonymiser",
                "timer": {"after": "365 days"},
                "steps": [{"do": "anonymise"}],
            },
        ],
    }
)

GOLDEN_FR = """\
stateDiagram-v2
    accTitle: Démonstration
    state "Reçue" as recue
    state "En instruction" as instr
    state "Vérification" as verif
    state "Acceptée" as acceptee
    state "Annulée" as annulee
    [*] --> recue
    recue --> instr : Prendre en charge (agent)
    recue --> recue : Compléter (submitter)
    recue --> recue : ⏱ 10 business days
    instr --> verif : auto si answers.montant #gt; 1000
    instr --> acceptee : auto
    verif --> acceptee : Valider (agent, submitter)
    verif --> acceptee : ⏱ answers.date_rdv -1 day
    verif --> acceptee : ⏱ 2 hours si params.auto
    acceptee --> [*]
    annulee --> [*]
    recue --> annulee : Annuler (submitter)
    instr --> annulee : Annuler (submitter)
    verif --> annulee : Annuler (submitter)
    instr --> verif : Relancer ⏱ 30 days
    classDef hiddenStatus stroke-dasharray:5 5
    class verif,annulee hiddenStatus
    classDef currentStatus stroke-width:4px,font-weight:bold
    class instr currentStatus
"""


def test_golden_diagram() -> None:
    assert workflow_to_mermaid(GOLDEN, current="instr") == GOLDEN_FR


def test_golden_diagram_in_english_without_current() -> None:
    text = workflow_to_mermaid(GOLDEN, language="en")
    assert text.startswith('stateDiagram-v2\n    accTitle: Demo\n    state "Received" as recue\n')
    assert "    instr --> verif : auto if answers.montant #gt; 1000\n" in text
    assert "    verif --> acceptee : Approve (agent, submitter)\n" in text
    assert "currentStatus" not in text
    # Only the texts change with the language.
    assert len(text.splitlines()) == len(GOLDEN_FR.splitlines()) - 2


def test_output_is_deterministic() -> None:
    assert workflow_to_mermaid(GOLDEN) == workflow_to_mermaid(GOLDEN.model_copy(deep=True))


def test_doctests_pass() -> None:
    result = doctest.testmod(mermaid)
    assert result.attempted >= 5
    assert result.failed == 0


def test_every_catalogue_workflow_renders() -> None:
    catalog = load_catalog(CATALOG)
    assert catalog.workflows
    for slug, entry in catalog.workflows.items():
        definition = entry.definition
        text = workflow_to_mermaid(definition)
        lines = text.splitlines()
        assert lines[0] == "stateDiagram-v2", slug
        assert f"    [*] --> {definition.initial}" in lines
        for sid, status in definition.statuses.items():
            assert any(line.endswith(f" as {sid}") for line in lines), (slug, sid)
            assert (f"    {sid} --> [*]" in lines) == status.final
        for line in lines[2:]:
            assert STATE.match(line) or EDGE.match(line) or line.startswith("    class"), line
        for sid in definition.statuses:
            assert f"class {sid} currentStatus" in workflow_to_mermaid(definition, current=sid)


def test_catalogue_example_edges() -> None:
    text = workflow_to_mermaid(load_catalog(CATALOG).workflow("traitement-simple").definition)
    assert "    recue --> en_cours : Prendre en charge (receiver)\n" in text
    assert "    recue --> recue : ⏱ 10 business days\n" in text
    # The global cancel action names its statuses; anonymise has no target: no arrow.
    assert "    recue --> annulee : Annuler ma demande (submitter)\n" in text
    assert text.count("--> annulee") == 1
    assert "Anonymiser" not in text


def test_unknown_current_status_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'nowhere'.*recue"):
        workflow_to_mermaid(GOLDEN, current="nowhere")


def test_unknown_target_in_a_hand_built_model_is_refused() -> None:
    broken = workflow(
        {
            "initial": "a",
            "statuses": {"a": {"label": "A", "jumps": [{"to": "ghost"}]}},
        }
    )
    with pytest.raises(ValueError, match="unknown status 'ghost'"):
        workflow_to_mermaid(broken)


def test_global_action_with_a_closing_timer_applies_to_final_statuses_too() -> None:
    # Same rule as the catalogue's reachability check (formflow.checks).
    wf = workflow(
        {
            "initial": "a",
            "statuses": {
                "a": {"label": "A", "actions": [{"id": "x", "label": "X", "by": "r", "to": "b"}]},
                "b": {"label": "B", "final": True},
                "archive": {"label": "Archivée", "final": True},
            },
            "global_actions": [
                {
                    "id": "archiver",
                    "label": "Archiver",
                    "to": "archive",
                    "timer": {"after": "1 year"},
                }
            ],
        }
    )
    edges = [line for line in workflow_to_mermaid(wf).splitlines() if "Archiver" in line]
    assert edges == [
        "    a --> archive : Archiver ⏱ 1 year",
        "    b --> archive : Archiver ⏱ 1 year",
        "    archive --> archive : Archiver ⏱ 1 year",
    ]


# --- Hostile text -----------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a --> b : x",
    "x\n    evil --> [*]",
    "x\r\ny --> z",
    'say "hi" ; then: more # comment',
    "%%{init: {'securityLevel': 'loose'}}%%",
    "q [[fork]] <<choice>>",
    "Envoyer à la direction",
    "direction LR",
    "style x fill:#f00;",
    "&lt;already&gt; #quot;",
    "`markdown` **bold** {x}",
    "\u2028line\u2029separators\x00nul\x1b",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_are_escaped(label: str) -> None:
    wf = workflow(
        {
            "title": label,
            "initial": "a",
            "statuses": {
                "a": {
                    "label": label,
                    "actions": [{"id": "go", "label": label, "by": "r", "to": "b"}],
                    "jumps": [{"to": "b", "condition": label}],
                    "timeouts": [{"at": label, "offset": "-1 day", "to": "b"}],
                },
                "b": {"label": label, "final": True},
            },
        }
    )
    text = workflow_to_mermaid(wf, current="a")
    lines = text.splitlines()
    unquoted = re.sub(r'^    state "(.*)" as ', r"    \1 ", text, flags=re.MULTILINE)
    # What Mermaid's lexer sees: it swaps entities for placeholders before parsing.
    unquoted = re.sub(r"#\w+;", "", unquoted).replace("-->", "").replace("[*]", "")
    assert not re.search(r"[<>\"%;{}\[\]`\x00-\x09\x0b-\x1f\u2028\u2029]", unquoted)
    assert len([line for line in lines if "-->" in line]) == 5
    assert all(EDGE.match(line) for line in lines if "-->" in line)
    assert len([line for line in lines if line.startswith("    state ")]) == 2
    assert len(lines) == 1 + 1 + 2 + 5 + 2
    assert not re.search(r"direction\s", text, re.IGNORECASE)
    # The only colons are the edge separators and the ones of the fixed lines.
    assert text.count(":") == 3 + 1 + 2


def test_escape_label_examples() -> None:
    assert escape_label("Demande reçue") == "Demande reçue"
    assert (
        escape_label("L'usager n'a pas répondu (relance)") == "L'usager n'a pas répondu (relance)"
    )
    assert escape_label("<b>") == "#lt;b#gt;"
    assert escape_label("a\n\n  b") == "a b"
    assert escape_label("x#y") == "x#35;y"
    assert escape_label("100 %") == "100 #37;"
    assert escape_label("Sous-direction") == "Sous-directio#110;"
    assert escape_label("e\u0301") == "é"  # decomposed accents are composed first
    assert escape_label("👍") == "#128077;"


def test_status_ids_that_mermaid_would_misread_are_renamed() -> None:
    ids = ["state", "style", "default_case", "redirection", "tb_next", "root_end", "ok"]
    wf = workflow(
        {
            "initial": "state",
            "statuses": {
                sid: (
                    {"label": sid, "jumps": [{"to": ids[i + 1]}]}
                    if i + 1 < len(ids)
                    else {"label": sid, "final": True}
                )
                for i, sid in enumerate(ids)
            },
        }
    )
    text = workflow_to_mermaid(wf, current="style")
    assert '    state "state" as _s0\n    state "style" as _s1\n' in text
    assert '    state "default_case" as _s2\n    state "redirectio#110;" as _s3\n' in text
    assert '    state "tb_next" as tb_next\n    state "root_end" as _s5\n' in text
    assert "    [*] --> _s0\n    _s0 --> _s1 : auto\n" in text
    assert "    _s3 --> tb_next : auto\n" in text
    assert "    ok --> [*]\n" in text
    assert text.endswith("    class _s1 currentStatus\n")


def test_an_unnamed_status_shows_its_id() -> None:
    wf = workflow({"initial": "a", "statuses": {"a": {"label": " \n", "final": True}}})
    assert '    state "a" as a\n' in workflow_to_mermaid(wf)


# --- Properties -------------------------------------------------------------------------

LABELS = st.one_of(
    st.text(),
    st.text(alphabet="<>\"'&:;#%-{}[]`\n\r\t |\\/=direction LR", max_size=40),
    st.dictionaries(st.sampled_from(["fr", "en", "nl"]), st.text(), min_size=1, max_size=3),
)


@st.composite
def workflows(draw: st.DrawFn) -> WorkflowDefinition:
    count = draw(st.integers(min_value=1, max_value=5))
    ids = [f"s{i}" for i in range(count)]
    statuses: dict[str, Any] = {}
    for sid in ids:
        actions = [
            {"id": f"a{j}", "label": draw(LABELS), "by": "r", "to": draw(st.sampled_from(ids))}
            for j in range(draw(st.integers(0, 3)))
        ]
        jumps = [
            {"to": draw(st.sampled_from(ids)), "condition": draw(st.none() | st.text(min_size=1))}
            for _ in range(draw(st.integers(0, 2)))
        ]
        statuses[sid] = {
            "label": draw(LABELS),
            "final": draw(st.booleans()),
            "visible": draw(st.booleans()),
            "actions": actions,
            "jumps": jumps,
        }
    global_actions = [
        {
            "id": f"g{k}",
            "label": draw(LABELS),
            "by": "r",
            "to": draw(st.sampled_from(ids)),
            "statuses": draw(st.none() | st.lists(st.sampled_from(ids), unique=True)),
        }
        for k in range(draw(st.integers(0, 2)))
    ]
    return workflow(
        {
            "title": draw(LABELS),
            "initial": ids[0],
            "statuses": statuses,
            "global_actions": global_actions,
        }
    )


def expected_edges(wf: WorkflowDefinition) -> int:
    count = 1  # [*] --> initial
    for status in wf.statuses.values():
        count += len(status.actions) + len(status.jumps) + len(status.timeouts) + status.final
    for action in wf.global_actions:
        if action.statuses is not None:
            count += len(action.statuses)
        else:
            count += sum(not status.final for status in wf.statuses.values())
    return count


@PROPERTY
@given(wf=workflows(), language=st.sampled_from(["fr", "en", "nl"]))
def test_random_labels_never_add_lines_or_edges(wf: WorkflowDefinition, language: str) -> None:
    text = workflow_to_mermaid(wf, current="s0", language=language)
    lines = text.splitlines()
    edges = [line for line in lines if "-->" in line]
    assert len(edges) == expected_edges(wf)
    assert all(EDGE.match(line) for line in edges)
    assert sum(bool(STATE.match(line)) for line in lines) == len(wf.statuses)
    assert all(line.count('"') in (0, 2) for line in lines)
    assert "<" not in text
    assert ">" not in text.replace("-->", "")
    hidden = any(not status.visible for status in wf.statuses.values())
    titled = bool(escape_label(text_for(wf.title, language)))
    assert lines[1].startswith("    accTitle: ") == titled
    assert len(lines) == 1 + titled + len(wf.statuses) + len(edges) + 2 + 2 * hidden
