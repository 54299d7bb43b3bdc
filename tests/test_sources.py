"""formflow.sources: YAML 1.2 scalars, line numbers, duplicate keys, size bounds."""

from __future__ import annotations

import pytest

from formflow.sources import MAX_NODES, MAX_SOURCE_BYTES, format_path, parse


def _data(text: str) -> object:
    source, problems = parse(text)
    assert problems == []
    assert source is not None
    return source.data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no", "no"),  # the Norway problem of YAML 1.1
        ("non", "non"),
        ("on", "on"),
        ("yes", "yes"),
        ("true", True),
        ("False", False),
        ("10:30", "10:30"),  # sexagesimal in YAML 1.1
        ("2026-11-23", "2026-11-23"),  # stays text; models parse dates
        ("007", "007"),  # leading zeros stay text: postcodes, codes
        ("01000", "01000"),
        ("0.5", 0.5),
        (".5", 0.5),
        ("12.", 12.0),
        ("0", 0),
        ("-12", -12),
        ("1_000", "1_000"),  # YAML 1.1 read 1000
        ("0x1F", 31),
        ("1.5", 1.5),
        ("1e3", "1e3"),  # YAML 1.1 tools write it unquoted, as text
        ("1.0e+3", 1000.0),
        ("-.5", "-.5"),
        ("0o17", "0o17"),
        ("07e3", "07e3"),
        ("~", None),
        ("null", None),
        ("", None),
        ("'true'", "true"),
        ('"12"', "12"),
        ("Ordures ménagères", "Ordures ménagères"),
    ],
)
def test_scalars_follow_yaml_1_2(text: str, expected: object) -> None:
    assert _data(f"value: {text}") == {"value": expected}


def test_special_floats() -> None:
    data = _data("a: .inf\nb: -.inf\nc: .nan")
    assert isinstance(data, dict)
    assert data["a"] == float("inf")
    assert data["b"] == float("-inf")
    assert data["c"] != data["c"]


def test_lines_of_values_and_keys() -> None:
    source, _ = parse("a: 1\nb:\n  - x\n  - {c: 2,\n     d: 3}\n")
    assert source is not None
    lines = source.lines
    assert lines.line_of(("a",)) == 1
    assert lines.line_of(("b", 0)) == 3
    assert lines.line_of(("b", 1, "d")) == 5
    # A path below an existing value falls back to its nearest ancestor.
    assert lines.line_of(("b", 1, "d", "deeper")) == 5
    assert lines.line_of(("nowhere",)) == 1


def test_resolve_drops_union_tags_and_keeps_missing_keys() -> None:
    source, _ = parse("fields:\n  - {id: a, type: choice}\n")
    assert source is not None
    assert source.lines.resolve(("fields", 0, "choice", "show_if")) == ("fields", 0)
    assert source.lines.resolve(("fields", 0, "choice", "label"), missing=True) == (
        "fields",
        0,
        "label",
    )


def test_duplicate_keys_are_reported_with_their_line() -> None:
    source, problems = parse("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert source is not None
    assert [(p.line, p.path, p.message) for p in problems] == [
        (3, "a", "key 'a' is given more than once in this mapping")
    ]
    assert problems[0].source_line == "a: 3"
    assert source.data == {"a": 1, "b": 2}


def test_python_tags_are_refused() -> None:
    _, problems = parse("a: !!python/object:os.system ls\n")
    assert [p.message for p in problems] == [
        "YAML tag 'tag:yaml.org,2002:python/object:os.system' is not allowed in definition files"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe", "file is not UTF-8"),
        ("a: \x00", "file contains a NUL character"),
        ("a: [1,", "invalid YAML"),
        ("--- 1\n--- 2\n", "expected one YAML document, found 2 documents"),
        ("", "expected one YAML document, found no document"),
        ("{[1]: 2}", "mapping keys must be plain scalars"),
        ("[" * 2000 + "]" * 2000, "nested too deeply"),
        ("a: " + "x" * (MAX_SOURCE_BYTES + 1), "more than the"),
        (b"a: " + b"x" * (MAX_SOURCE_BYTES + 1), "more than the"),
    ],
)
def test_unreadable_files_give_one_clear_problem(data: str | bytes, message: str) -> None:
    source, problems = parse(data, "x.yaml")
    assert source is None
    assert len(problems) == 1
    assert message in problems[0].message
    assert problems[0].file == "x.yaml"


def test_alias_bombs_are_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    source, problems = parse("\n".join(lines))
    assert source is None
    assert problems[0].message == f"file expands to more than {MAX_NODES} values"


def test_format_path() -> None:
    assert format_path(("pages", 1, "fields", 3, "show_if")) == "pages[1].fields[3].show_if"
    assert format_path(()) == ""
    assert format_path((0,)) == "[0]"


def test_bool_keys_are_plain_names() -> None:
    assert _data("true: 1") == {"true": 1}
