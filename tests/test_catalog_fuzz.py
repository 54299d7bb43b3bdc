"""Damaged catalogue files never crash the loader: they give a located `DefinitionError`.

Hypothesis takes the valid files of ``catalog/`` and damages one or more of them, either
as text (lines deleted, duplicated, swapped or re-indented, characters replaced, the file
truncated, YAML fragments inserted: unclosed brackets, recursive aliases, Python tags,
nesting 1000 levels deep, an alias bomb, invalid UTF-8 …) or as data (a value anywhere
replaced by one of another type, a key deleted, renamed with a typo or added), then
loads the catalogue and the site file. Either everything loads, or `DefinitionError` is
raised and every problem names its file, has a string path and, when it is tied to a
line, a line that exists. Any other exception is a bug of formflow; those found so far
are pinned with ``@example`` below.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from formflow.catalog import load_catalog, load_site
from formflow.exceptions import DefinitionError
from formflow.loaders import EXTENSIONS, DictLoader
from formflow.sources import MAX_DEPTH, MAX_NODES, MAX_SOURCE_BYTES

CATALOG = Path(__file__).resolve().parent.parent / "catalog"
#: The valid catalogue, as ``{"forms/demande-de-bac.yaml": b"..."}``.
ORIGINAL: dict[str, bytes] = {
    path.relative_to(CATALOG).as_posix(): path.read_bytes()
    for path in sorted(CATALOG.glob("*/*"))
    if path.suffix in EXTENSIONS
}
FORM = "forms/demande-de-bac.yaml"
WORKFLOW = "workflows/traitement-simple.yaml"
SITE = "sites/demo.yaml"

Files = dict[str, bytes]


# --- loading and checking the outcome ---------------------------------------------------


def load(files: Mapping[str, bytes]) -> None:
    """Load the catalogue, then every site file of it, as an application would."""
    catalog = load_catalog(DictLoader(files))
    for name in catalog.site_files():
        load_site(files[name], catalog, name=name)


def _line_count(content: bytes) -> int:
    # splitlines() breaks on every line break PyYAML knows (and a few more): an upper bound.
    return len(content.decode("utf-8", "replace").splitlines())


def assert_located(error: DefinitionError, files: Mapping[str, bytes]) -> None:
    assert error.problems
    assert str(error)
    for problem in error.problems:
        assert problem.file in files, problem
        assert isinstance(problem.path, str), problem
        assert isinstance(problem.message, str), problem
        assert problem.message, problem
        if problem.line is not None:
            assert type(problem.line) is int, problem
            assert 1 <= problem.line <= _line_count(files[problem.file]) + 1, problem
        if problem.path:
            # A problem about a value of the file: the value exists, so it has a line.
            assert problem.line is not None, problem
        assert str(problem)


def assert_loads_or_fails_cleanly(files: Mapping[str, bytes]) -> None:
    try:
        load(files)
    except DefinitionError as error:
        assert_located(error, files)


def only_problem(files: Mapping[str, bytes]) -> Any:
    with pytest.raises(DefinitionError) as info:
        load(files)
    assert_located(info.value, files)
    assert len(info.value.problems) == 1, str(info.value)
    return info.value.problems[0]


# --- building damaged files -------------------------------------------------------------


def replaced(name: str, old: str, new: str) -> Files:
    """The catalogue with ``old`` replaced by ``new`` in file ``name``."""
    text = ORIGINAL[name].decode()
    assert old in text, old
    return {**ORIGINAL, name: text.replace(old, new, 1).encode("utf-8", "surrogatepass")}


def nested(depth: int, opening: str = "[", closing: str = "]", inner: str = "") -> str:
    return opening * depth + inner + closing * depth


def alias_bomb(levels: int = 9, width: int = 10) -> str:
    """The "billion laughs": ``width ** levels`` values from a few lines."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


#: Pieces of YAML (and of jinja2) inserted somewhere in a file.
FRAGMENTS = [
    ": [",
    "[",
    "]",
    "{",
    "}",
    ": ",
    "- ",
    "? ",
    ",",
    "&a [*a]",
    "&a",
    "*a",
    "*nowhere",
    "<<: *a",
    "!!python/object:os.system",
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2024-01-01",
    "!!int 12",
    "!local x",
    "%YAML 1.1\n---\n",
    "---\n",
    "\n...\n",
    "\t",
    "'",
    '"',
    '"\\ud800"',
    "\ufeff",
    "\r",
    "\x85",
    "\u2028",
    "\x00",
    "\x1b",
    "#",
    "|\n",
    ">-\n",
    "9" * 5000,
    "1e400",
    "-.inf",
    ".nan",
    "0o777",
    "0x_",
    "~",
    "null",
    "true",
    "no",
    "10:30",
    "2024-01-01",
    "{{ ",
    " }}",
    "{% if %}",
    "{{ x.__class__.__mro__ }}",
    nested(1000),
    nested(1000, "{a: ", "}", "b"),
    nested(100, "(", ")", "motif"),
    "x" + "|abs" * 600,
    nested(25, "{% for a in b %}", "{% endfor %}"),
    alias_bomb(),
]

#: Values written in place of another one, of every type.
SPECIAL_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**30,
    float("nan"),
    float("inf"),
    -0.0,
    1e308,
    "",
    " ",
    "no",
    "on",
    "null",
    "007",
    "10:30",
    "2024-01-01",
    "1e5",
    "x" * 100_000,
    "\ud800",
    "{{ x.__class__ }}",
    "{% for %}",
    nested(100, "(", ")", "motif"),
    "1" + "+1" * 999,
    [],
    {},
    [None],
    {"?": None},
    {"type": "text"},
    {"do": "email"},
    [{"id": "x", "type": "text", "label": "X"}],
]

#: Text, lone surrogates and edge cases included.
strings = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=20),
    st.sampled_from([v for v in SPECIAL_VALUES if isinstance(v, str)]),
)
integers = st.one_of(
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**4000, -(10**4000)]),
)
_characters = st.one_of(
    st.characters(),
    st.sampled_from(list("\x00\t\r\n\x85\u2028\ufeff\ud800:'\"[]{}&*!%@`#|>-? ,~")),
)
_keys = st.one_of(
    st.text(string.ascii_lowercase + "_", min_size=1, max_size=12),
    st.sampled_from(["type", "do", "id", "slug", "format", "<<", "true", "1", ""]),
)
values = st.one_of(
    st.sampled_from(SPECIAL_VALUES),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(_keys, children, max_size=3)
        ),
        max_leaves=6,
    ),
    st.sampled_from([50, 300, 1000]).map(lambda depth: json.loads(nested(depth))),
)


@st.composite
def text_damage(draw: st.DrawFn, text: str) -> str:
    """``text`` with one random change."""
    lines = text.splitlines(keepends=True) or [""]
    index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    position = draw(st.integers(min_value=0, max_value=len(text)))
    kind = draw(
        st.sampled_from(
            [
                "delete line",
                "duplicate line",
                "swap lines",
                "indent line",
                "dedent line",
                "replace character",
                "truncate",
                "insert",
                "insert line",
                "replace value",
                "replace value",
            ]
        )
    )
    if kind == "delete line":
        del lines[index]
    elif kind == "duplicate line":
        lines.insert(index, lines[index])
    elif kind == "swap lines":
        other = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    elif kind == "indent line":
        lines[index] = draw(st.sampled_from([" ", "  ", "\t"])) + lines[index]
    elif kind == "dedent line":
        lines[index] = lines[index].lstrip(" ")
    elif kind == "replace character":
        if not text:
            return draw(_characters)
        position = min(position, len(text) - 1)
        return text[:position] + draw(_characters) + text[position + 1 :]
    elif kind == "truncate":
        return text[:position]
    elif kind == "insert":
        return text[:position] + draw(st.sampled_from(FRAGMENTS)) + text[position:]
    elif kind == "replace value":
        # What follows "key: " on a line, so that the file often stays valid YAML.
        entries = [i for i, line in enumerate(lines) if ": " in line.split("#")[0]]
        if entries:
            i = draw(st.sampled_from(entries))
            key = lines[i].split(": ", 1)[0]
            fragment = draw(st.sampled_from(FRAGMENTS) | strings)
            lines[i] = f"{key}: {fragment}\n"
    else:
        fragment = draw(st.sampled_from(FRAGMENTS))
        lines.insert(index, fragment if fragment.endswith("\n") else fragment + "\n")
    return "".join(lines)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value, the root excepted."""
    if path:
        yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, (*path, i))


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def typos(draw: st.DrawFn, word: str) -> str:
    if not word:
        return "x"
    i = draw(st.integers(min_value=0, max_value=len(word) - 1))
    kind = draw(st.sampled_from(["drop", "double", "swap", "replace", "upper", "suffix"]))
    if kind == "drop":
        return word[:i] + word[i + 1 :] or "x"
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    if kind == "swap" and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "replace":
        return word[:i] + draw(st.sampled_from(string.ascii_lowercase)) + word[i + 1 :]
    if kind == "upper":
        return word.upper()
    return word + "s"


@st.composite
def data_damage(draw: st.DrawFn, content: bytes) -> bytes:
    """``content`` read as data, with one value, key or item changed, written out again."""
    data = yaml.safe_load(content)
    path = draw(st.sampled_from(list(_paths(data))))
    parent, last = _at(data, path[:-1]), path[-1]
    kind = draw(st.sampled_from(["set", "set", "set", "delete", "rename", "add", "wrap"]))
    if kind == "set":
        # Often a value of the same type, which more often passes validation.
        same = {str: strings, bool: st.booleans(), int: integers}.get(type(parent[last]))
        parent[last] = draw(values if same is None else same | values)
    elif kind == "delete":
        del parent[last]
    elif kind == "wrap":
        parent[last] = [parent[last]]
    elif isinstance(parent, dict) and kind == "rename":
        parent[draw(typos(str(last)))] = parent.pop(last)
    elif isinstance(parent, dict):
        parent[draw(_keys)] = draw(values)
    else:
        parent.insert(draw(st.integers(min_value=0, max_value=len(parent))), draw(values))
    if draw(st.booleans()):
        try:
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        except RecursionError:  # PyYAML's writer, not formflow: write JSON instead.
            text = json.dumps(data)
    else:
        text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


@st.composite
def damaged_catalogs(draw: st.DrawFn) -> Files:
    files = dict(ORIGINAL)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        name = draw(st.sampled_from(sorted(files)))
        kind = draw(st.sampled_from(["text", "text", "data", "data", "bytes", "file"]))
        if kind == "data" and files[name] == ORIGINAL.get(name):
            files[name] = draw(data_damage(files[name]))
        elif kind in ("text", "data"):
            text = files[name].decode("utf-8", "replace")
            files[name] = draw(text_damage(text)).encode("utf-8", "surrogatepass")
        elif kind == "bytes" and files[name]:
            content = bytearray(files[name])
            content[draw(st.integers(min_value=0, max_value=len(content) - 1))] = draw(
                st.integers(min_value=0, max_value=255)
            )
            files[name] = bytes(content)
        else:
            operation = draw(st.sampled_from(["delete", "copy", "move"]))
            folder, _, stem = name.partition("/")
            new = f"{folder}/{draw(st.sampled_from([stem.split('.')[0], 'autre']))}"
            new += draw(st.sampled_from([".yml", ".json", ".yaml"]))
            if operation != "delete" and new not in files:
                files[new] = files[name]
            if operation != "copy":
                del files[name]
    return files


def _json_form(title: str) -> Files:
    """The catalogue with its form written as JSON by ``json.dumps`` (ASCII escapes)."""
    data = yaml.safe_load(ORIGINAL[FORM])
    data["title"] = title
    files = {name: content for name, content in ORIGINAL.items() if name != FORM}
    return {**files, FORM.replace(".yaml", ".json"): json.dumps(data).encode()}


# --- the tests --------------------------------------------------------------------------


def test_original_catalogue_loads() -> None:
    load(ORIGINAL)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=damaged_catalogs())
# Crash: an integer of more than 4300 digits -> ValueError from int() in
# formflow/sources.py (_Builder._scalar), Python's integer string conversion limit.
@example(files=replaced(FORM, "max: 30", "max: " + "9" * 5000))
# Crash: deep nesting in an expression (2000 characters at most) -> RecursionError from
# jinja2's parser or code generator, through checks.Report.expression ->
# compile_expression, which catches only TemplateError.
@example(files=replaced(FORM, "motif == 'remplacement'", nested(900, "(", ")", "motif")))
@example(files=replaced(FORM, "motif == 'remplacement'", "1" + "+1" * 999))
# Crash: a template nesting more than 20 loops -> SyntaxError ("too many statically
# nested blocks") from Python's compile() inside jinja2, through compile_template.
@example(
    files=replaced(FORM, "Le {{ params.service }}", nested(25, "{% for a in b %}", "{% endfor %}"))
)
# Crash: a value nested 300 deep where any value is allowed (a prefilled value, a card
# record) -> pydantic's "Maximum serialization depth exceeded" (ValueError) in
# catalog.definition_version.
@example(files=replaced(FORM, "prefill: {profile: email}", "prefill: {value: " + nested(300) + "}"))
@example(files=replaced(SITE, "volume: 40}", "volume: " + nested(300) + "}"))
# Crash: a lone surrogate written as an escape ("\ud800") -> UnicodeEncodeError in
# catalog.definition_version (str.encode of the canonical JSON).
@example(files=replaced(FORM, "title: Demander un bac à déchets", 'title: "Bac \\ud800"'))
# The same crash from a valid JSON file: json.dumps escapes 🗑 as "\ud83d\uddd1", which
# the reader decodes as two lone surrogates.
@example(files=_json_form("Demander un bac 🗑"))
def test_damaged_catalogue_never_crashes(files: Files) -> None:
    assert_loads_or_fails_cleanly(files)


def test_alias_bomb_is_refused() -> None:
    bomb = "format: 1\n" + alias_bomb(levels=9, width=10)
    for name in (FORM, SITE):
        problem = only_problem({**ORIGINAL, name: bomb.encode()})
        assert problem.file == name
        assert f"more than {MAX_NODES} values" in problem.message


def test_recursive_alias_is_refused() -> None:
    problem = only_problem(replaced(FORM, "keywords: [", "keywords: &a [*a, "))
    assert problem.file == FORM
    # Expanded until the depth limit, the stack or the node budget stops it.
    assert problem.message in (
        "file is nested too deeply",
        f"file expands to more than {MAX_NODES} values",
        f"lists and mappings are nested more than {MAX_DEPTH} levels deep",
    )


def test_deep_nesting_is_refused() -> None:
    problem = only_problem(replaced(FORM, "keywords: [", "keywords: [" + nested(1000) + ", "))
    assert problem.file == FORM
    assert "nested too deeply" in problem.message


def test_huge_file_is_refused() -> None:
    content = b"format: 1\n" + b"# " + b"x" * 3_000_000 + b"\n"
    problem = only_problem({**ORIGINAL, FORM: content})
    assert (problem.file, problem.line, problem.path) == (FORM, None, "")
    assert f"{len(content)} bytes" in problem.message
    assert f"more than the {MAX_SOURCE_BYTES} allowed" in problem.message


def test_nul_byte_is_refused() -> None:
    problem = only_problem(replaced(FORM, "slug: demande-de-bac", "slug: demande\x00de-bac"))
    assert (problem.file, problem.path) == (FORM, "")
    assert "NUL" in problem.message


def test_invalid_utf8_is_refused() -> None:
    content = ORIGINAL[FORM].replace("déchets".encode(), b"d\xe9chets", 1)
    problem = only_problem({**ORIGINAL, FORM: content})
    assert (problem.file, problem.path) == (FORM, "")
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("category: dechets", "category: !!python/object:os.system dechets"),
        ("category: dechets", "category: !!python/name:os.system"),
        # Bug: a tag on a sequence or a mapping is dropped without a word, so this file
        # loads, with keywords ['poubelle', …] (nothing is executed).
        ("keywords: [", "keywords: !!python/object/apply:os.system ["),
        ("parameters:\n", "parameters: !!python/object:os.system\n"),
    ],
)
def test_python_tags_are_refused(old: str, new: str) -> None:
    files = replaced(FORM, old, new)
    with pytest.raises(DefinitionError) as info:
        load(files)
    assert_located(info.value, files)
    line = new.split(":", 1)[0]
    messages = [p.message for p in info.value.problems if p.path == line]
    assert any("is not allowed" in message for message in messages), str(info.value)
