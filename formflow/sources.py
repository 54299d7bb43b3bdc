"""Reading definition files: YAML or JSON text to plain data, with line numbers kept.

Catalogue files are written by people, so two YAML 1.1 traps are closed here:

* scalars follow YAML 1.2's core schema: only ``true``/``false`` are booleans (``no``,
  ``oui``, ``on`` stay strings), ``10:30`` is a string and not 630, dates stay strings
  and are parsed by the models;
* a key given twice in one mapping is an error instead of silently keeping the last.

Every value's position is recorded in a `LineMap`, so a problem found later by the
models or the cross-reference checks can be reported as ``file:line: path: message``.
Aliases are expanded under a node budget, so a "billion laughs" file fails cleanly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from formflow.exceptions import Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_NODES",
    "MAX_SOURCE_BYTES",
    "LineMap",
    "ParsedSource",
    "format_path",
    "parse",
]

#: Largest definition file accepted, in bytes.
MAX_SOURCE_BYTES = 2_000_000
#: Largest number of values one file may expand to (aliases included).
MAX_NODES = 200_000

Path = tuple[str | int, ...]

# A plain value is a number only when YAML 1.1 and YAML 1.2 both say so. Files are
# often written by YAML 1.1 tools (PyYAML's dumper among them), which leave `1e5`,
# `-.5` or `0o17` unquoted because to them these are text: read as text here too, a
# dumped catalogue reads back unchanged. A number with a leading zero (`007`, a
# postcode such as `01000`) stays text as well: in a catalogue it is a code.
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]*(?:[eE][-+][0-9]+)?$|^\.[0-9]+$")
#: Digits beyond which a number is refused (Python refuses to parse past 4,300).
MAX_DIGITS = 100
#: Deepest nesting of lists and mappings a file may have.
MAX_DEPTH = 64
# Characters JSON allows in strings but PyYAML's reader refuses; escaped before parsing.
_JSON_ONLY = re.compile("[\x7f-\x84\x86-\x9f\ufffe]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_NUMBER = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}


class _CoreLoader(yaml.SafeLoader):
    """SafeLoader restricted to YAML 1.2 core-schema scalar resolution."""


_CoreLoader.yaml_implicit_resolvers = {}
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_CoreLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_CoreLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(_FLOAT.pattern + r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def format_path(path: Sequence[str | int]) -> str:
    """``("pages", 1, "fields", 3, "show_if")`` -> ``pages[1].fields[3].show_if``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class LineMap:
    """Where each value of a parsed file starts (1-based line), keyed by its path."""

    lines: dict[Path, int] = field(default_factory=dict)
    #: For mapping keys: the line of the key itself, so that an unknown key can be shown.
    key_lines: dict[Path, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        parts = tuple(path)
        if parts in self.key_lines:
            return self.key_lines[parts]
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get(())

    def resolve(self, loc: Sequence[str | int], *, missing: bool = False) -> Path:
        """Map a pydantic error location onto a path that exists in the file.

        Pydantic inserts union tags (``("fields", 3, "choice", "show_if")``) and
        ``[key]`` markers that are not keys of the file: they are dropped. With
        ``missing``, the last part is a key absent from the file and is kept.
        """
        out: list[str | int] = []
        for part in loc[:-1] if missing else loc:
            candidate = (*out, part)
            if candidate in self.lines or candidate in self.key_lines:
                out.append(part)
        if missing and loc:
            out.append(loc[-1])
        return tuple(out)


@dataclass
class ParsedSource:
    """The data of one file, with what is needed to locate problems in it."""

    name: str
    data: Any
    lines: LineMap
    text: str

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        """A `Problem` located at ``path`` in this file, quoting its source line."""
        line = self.lines.line_of(path)
        return Problem(
            file=self.name,
            line=line,
            path=format_path(path),
            message=message,
            source_line=self.source_line(line),
        )

    def source_line(self, line: int | None) -> str | None:
        if line is None:
            return None
        rows = self.text.splitlines()
        if 1 <= line <= len(rows):
            return rows[line - 1].strip() or None
        return None


class _Builder:
    def __init__(self, name: str, json_document: bool = False) -> None:
        self.name = name
        #: In JSON every string is quoted, so a plain value is a JSON number.
        self.json_document = json_document
        self.lines = LineMap()
        self.count = 0
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLargeError
        if len(path) > MAX_DEPTH:
            raise _TooDeepError(node.start_mark.line + 1)
        self.lines.lines.setdefault(path, node.start_mark.line + 1)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            self._refuse_tag(node, path)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node)
                child = (*path, key)
                if key in result:
                    self.problems.append(
                        Problem(
                            self.name,
                            key_node.start_mark.line + 1,
                            format_path(child),
                            f"key {key!r} is given more than once in this mapping",
                        )
                    )
                    continue
                self.lines.key_lines[child] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, path)

    def _key(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node, ())
            return str(value).lower() if isinstance(value, bool) else str(value)
        raise _BadKeyError(node.start_mark.line + 1)

    def _refuse_tag(self, node: yaml.Node, path: Path) -> None:
        self.problems.append(
            Problem(
                self.name,
                node.start_mark.line + 1,
                format_path(path),
                f"YAML tag {node.tag!r} is not allowed in definition files",
            )
        )

    def _text(self, value: str, node: yaml.Node, path: Path) -> str:
        if not _SURROGATE.search(value):
            return value
        # JSON writes characters beyond U+FFFF as escaped surrogate pairs ("\ud83d\ude00"),
        # which YAML decodes one half at a time: join the pairs back into characters.
        try:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            self.problems.append(
                Problem(
                    self.name,
                    node.start_mark.line + 1,
                    format_path(path),
                    "text contains an unpaired surrogate escape (\\ud800-\\udfff)",
                )
            )
            return _SURROGATE.sub("\ufffd", value)

    def _scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        tag, value = node.tag, node.value
        if node.style in ("'", '"', "|", ">"):
            return self._text(value, node, path)
        if self.json_document and _JSON_NUMBER.match(value) and len(value) <= MAX_DIGITS:
            number = float(value)
            return int(value) if number.is_integer() and value.lstrip("-").isdigit() else number
        if tag == "tag:yaml.org,2002:str":
            return self._text(value, node, path)
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and len(value) > MAX_DIGITS:
            self.problems.append(
                Problem(
                    self.name,
                    node.start_mark.line + 1,
                    format_path(path),
                    f"number with more than {MAX_DIGITS} digits",
                )
            )
            return 0
        if tag == "tag:yaml.org,2002:int":
            return int(value, 0)
        if tag == "tag:yaml.org,2002:float":
            return float(_SPECIAL_FLOAT.get(value.lower()) or value)
        self._refuse_tag(node, path)
        return self._text(value, node, path)


class _TooLargeError(Exception):
    pass


class _TooDeepError(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _BadKeyError(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


def parse(text: str | bytes, name: str = "<string>") -> tuple[ParsedSource | None, list[Problem]]:
    """Parse YAML (or JSON, which is read as YAML) into data and a line map.

    Returns the parsed source (None when nothing usable could be read) and the
    problems found while reading; the caller decides whether to go on.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_SOURCE_BYTES:
            return None, [Problem(name, None, "", _too_big(len(text)))]
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return None, [Problem(name, None, "", f"file is not UTF-8 ({exc.reason})")]
    if len(text) > MAX_SOURCE_BYTES:
        return None, [Problem(name, None, "", _too_big(len(text)))]
    if "\x00" in text:
        return None, [Problem(name, None, "", "file contains a NUL character")]
    json_document = _is_json(text)
    if json_document and _JSON_ONLY.search(text):
        text = _JSON_ONLY.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    builder = _Builder(name, json_document)
    try:
        documents = list(yaml.compose_all(text, Loader=_CoreLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "invalid YAML"
        rows = text.splitlines()
        quoted = rows[line - 1].strip() or None if line and line <= len(rows) else None
        return None, [Problem(name, line, "", f"invalid YAML: {reason}", quoted)]
    except yaml.YAMLError as exc:
        return None, [Problem(name, None, "", f"invalid YAML: {exc}")]
    except RecursionError:
        return None, [Problem(name, None, "", "file is nested too deeply")]
    if len(documents) != 1:
        found = "no document" if not documents else f"{len(documents)} documents"
        return None, [Problem(name, None, "", f"expected one YAML document, found {found}")]
    try:
        data = builder.build(documents[0], ())
    except _TooLargeError:
        return None, [Problem(name, None, "", f"file expands to more than {MAX_NODES} values")]
    except _BadKeyError as exc:
        return None, [Problem(name, exc.line, "", "mapping keys must be plain scalars")]
    except _TooDeepError as exc:
        message = f"lists and mappings are nested more than {MAX_DEPTH} levels deep"
        return None, [Problem(name, exc.line, "", message)]
    except RecursionError:
        return None, [Problem(name, None, "", "file is nested too deeply")]
    parsed = ParsedSource(name, data, builder.lines, text)
    return parsed, [replace(p, source_line=parsed.source_line(p.line)) for p in builder.problems]


def _is_json(text: str) -> bool:
    if text.lstrip()[:1] not in ("{", "["):
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False  # the YAML reader reports what is wrong, with a line
    return True


def _too_big(size: int) -> str:
    return f"file is {size} bytes, more than the {MAX_SOURCE_BYTES} allowed"
