"""The field type protocol, its registry, and what every type shares.

A field type turns what a client posted for one field into a typed value (or errors),
writes that value to JSON and back, describes the field for renderers and shows a value
in a summary. `field_types` maps a field's ``type`` to its implementation; a host can
replace one with `register_field_type`.

Raw input is a browser's form post: ``{name: str | list[str] | Upload}``, with dotted
names for the parts of structured fields (``adresse.city``, ``enfants.0.prenom``).
`unflatten` turns it into a tree, so each type receives only its own part; nothing a
client sends may raise, whatever its shape or size.

Example::

    >>> unflatten({"adresse.city": "Lyon", "enfants.0.prenom": "Ana"})
    {'adresse': {'city': 'Lyon'}, 'enfants': {'0': {'prenom': 'Ana'}}}
"""

from __future__ import annotations

import logging
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

from formflow.definitions.common import text_for
from formflow.definitions.forms import CUSTOM_FIELD_TYPES, FIELD_TYPES
from formflow.engine.context import FormContext
from formflow.engine.datasources import ChoiceOption
from formflow.engine.errors import FieldError, Reject, Rejected, build_error
from formflow.engine.validators import Invalid
from formflow.engine.values import FileRef
from formflow.exceptions import ExpressionError
from formflow.expressions import compile_expression, compile_template

__all__ = [
    "HARD_LIMIT",
    "MAX_DEPTH",
    "MAX_KEYS",
    "FieldContext",
    "FieldType",
    "RawValue",
    "choice_label",
    "clean_text",
    "clean_token",
    "field_types",
    "is_blank",
    "parse_field",
    "register_field_type",
    "unflatten",
]

logger = logging.getLogger("formflow.engine")

#: What a client sent for one field. Normally ``str``, ``list[str]``, an `Upload` or,
#: for structured fields, a mapping of parts; but clients are not trusted, so field
#: types receive ``object`` and refuse anything of another shape.
RawValue: TypeAlias = object

#: No text input is read past this many characters, whatever the field allows.
HARD_LIMIT = 100_000
#: Keys read from one submitted page; the rest are ignored.
MAX_KEYS = 10_000
#: Parts in a dotted key (``enfants.0.adresse.city`` has 4).
MAX_DEPTH = 8
_MAX_KEY_LENGTH = 200

F = TypeVar("F")
V = TypeVar("V")


def unflatten(raw: Mapping[Any, object]) -> dict[str, object]:
    """Dotted keys to nested dicts; nested mappings (from JSON clients) are merged in.

    Keys that are not strings, too long or too deep are dropped, and so is anything
    past `MAX_KEYS` values. A name used both for a value and for parts keeps the parts.

    >>> unflatten({"a": "1", "a.b": "2", 3: "x"})
    {'a': {'b': '2'}}
    """
    tree: dict[str, object] = {}
    count = 0
    # Iterative, so a deeply nested payload cannot exhaust the stack.
    pending: list[tuple[tuple[str, ...], Mapping[Any, object]]] = [((), raw)]
    while pending:
        prefix, mapping = pending.pop()
        for key, value in mapping.items():
            if count >= MAX_KEYS:
                return tree
            if not isinstance(key, str) or len(key) > _MAX_KEY_LENGTH:
                continue
            parts = (*prefix, *key.split("."))
            if len(parts) > MAX_DEPTH or "" in parts:
                continue
            if isinstance(value, Mapping):
                pending.append((parts, value))
                continue
            count += 1
            _insert(tree, parts, value)
    return tree


def _insert(tree: dict[str, object], parts: tuple[str, ...], value: object) -> None:
    node = tree
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    if not isinstance(node.get(parts[-1]), dict):
        node[parts[-1]] = value


def is_blank(raw: object, _depth: int = 0) -> bool:
    """Whether a raw value says nothing: absent, empty or whitespace, or all blank parts.

    Anything nested deeper than a form can post counts as not blank, so that the field
    type reads it and refuses it.

    >>> is_blank({"street": " ", "city": ""}), is_blank(["", "x"])
    (True, False)
    """
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if _depth >= MAX_DEPTH:
        return False
    if isinstance(raw, list):
        return all(is_blank(item, _depth + 1) for item in raw[:1000])
    if isinstance(raw, Mapping):
        return all(is_blank(item, _depth + 1) for item in list(raw.values())[:1000])
    return False


# C0 and C1 controls, and the bidi embeddings, overrides and isolates that make text
# display differently from what it holds ("Trojan source"). Tab and line feed are
# refused here too; multi-line text checks them separately.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_TABS_LINES = re.compile("[\t\n]")


def clean_text(raw: object, max_length: int, *, multiline: bool = False) -> str | None:
    """What a text input holds, cleaned; None when empty; `Reject` when unusable.

    Refused (``invalid``) before any other work: a non-string, more characters than
    `HARD_LIMIT` (or four times ``max_length``), NUL and other control characters,
    lone surrogates. Then: NFC normalisation, ``\\r\\n`` to ``\\n``, surrounding
    spaces stripped; longer than ``max_length`` is ``too_long``.

    >>> clean_text("  Cafe\\u0301 ", 10)
    'Café'
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Reject("invalid")
    # Some slack over max_length, so that a slightly long answer gets the helpful
    # "too long" message; far beyond it the input is not read at all.
    if len(raw) > min(max(HARD_LIMIT, max_length + 1000), max_length * 4 + 1000):
        raise Reject("invalid")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not text any system can store
        raise Reject("invalid") from None
    text = unicodedata.normalize("NFC", raw)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip()
    if _FORBIDDEN.search(text) or (not multiline and _TABS_LINES.search(text)):
        raise Reject("invalid")
    if not text:
        return None
    if len(text) > max_length:
        raise Reject("too_long", max=max_length)
    return text


def clean_token(raw: object, max_length: int, code: str) -> str | None:
    """`clean_text` for a short token (a number, a date): too long means malformed,
    so the message is the format's own (``code``) rather than a character count.

    >>> clean_token(" 12 ", 5, "invalid_integer")
    '12'
    """
    try:
        return clean_text(raw, max_length)
    except Reject as reject:
        if reject.code == "too_long":
            raise Reject(code) from None
        raise


class FieldContext:
    """What a field type sees: the form context, the expression names, its input path.

    The form engine builds one per request; ``child`` derives one for a part or a
    block row (same request cache, other names or path).

    >>> ctx = FieldContext(FormContext(), {"age": 7}, path="age")
    >>> ctx.is_true("age >= 3"), ctx.child("enfants.0.age").path
    (True, 'enfants.0.age')
    """

    def __init__(
        self,
        form: FormContext,
        names: Mapping[str, Any],
        *,
        path: str = "",
        language: str | None = None,
        files: MutableMapping[str, FileRef] | None = None,
        cache: dict[Any, Any] | None = None,
    ) -> None:
        #: The run's `FormContext`.
        self.form = form
        #: Expression names: every field id (its value or None) and the globals.
        self.names = names
        #: Input name of the field being handled (``enfants.1.prenom``).
        self.path = path
        self.language = language or form.language
        #: Files uploaded during this run, by blob id: a client may send an id back
        #: to keep a file it uploaded before, and no other.
        self.files: MutableMapping[str, FileRef] = {} if files is None else files
        self._cache: dict[Any, Any] = {} if cache is None else cache

    def child(self, path: str, names: Mapping[str, Any] | None = None) -> FieldContext:
        """A context for the part or row at ``path``, optionally with other names."""
        return FieldContext(
            self.form,
            self.names if names is None else names,
            path=path,
            language=self.language,
            files=self.files,
            cache=self._cache,
        )

    def text(self, text: Any) -> str:
        """A definition `Text` in this context's language."""
        return text_for(text, self.language)

    def error(self, field: Any, reject: Reject) -> FieldError:
        """The `FieldError` for ``reject`` on ``field``, with the field's own messages."""
        path = f"{self.path}.{reject.sub}" if reject.sub else self.path
        return build_error(
            getattr(field, "id", None),
            path,
            reject.code,
            params=reject.params,
            invalid=reject.invalid,
            custom=getattr(field, "messages", None),
        )

    def visible(self, field: Any) -> bool:
        """Whether ``field``'s ``show_if`` holds; a condition that fails counts as false."""
        condition = getattr(field, "show_if", None)
        if condition is None:
            return True
        return self.is_true(condition)

    def is_true(self, source: str) -> bool:
        """Evaluate a condition; False when it cannot be evaluated (e.g. ``None > 3``)."""
        try:
            return compile_expression(source).is_true(self.names)
        except ExpressionError as exc:
            logger.debug("condition %r counted as false: %s", source, exc.reason)
            return False

    def evaluate(self, source: str) -> Any:
        """Evaluate an expression; raises `ExpressionError`."""
        return compile_expression(source).evaluate(self.names)

    def render(self, source: str) -> str:
        """Render a template; raises `ExpressionError`."""
        return compile_template(source).render(self.names)

    def options(self, field: Any) -> list[ChoiceOption]:
        """The options of a choice field; `DataSourceError` if its source fails.

        Static and card options are resolved once per request; JSON sources are cached
        per URL by `DataSources`, named ones are the host's to cache.
        """
        source = field.source
        if source is None or source.type == "card":
            key = ("options", id(field))
            if key not in self._cache:
                if source is None:
                    options = [ChoiceOption(o.value, o.label, o.hint) for o in field.options]
                    self._cache[key] = options
                else:
                    self._cache[key] = self.form.data_sources.options(source, self.names)
            found: list[ChoiceOption] = self._cache[key]
            return found
        return self.form.data_sources.options(source, self.names)


class FieldType(ABC, Generic[F, V]):
    """Base of field type implementations; one instance per type, stateless.

    Subclasses implement `parse` and, when the value is not plain JSON, `to_json` and
    `from_json`. Example of a host's own type::

        class PostcodeBE(TextType):
            def parse(self, field, raw, ctx):
                text = clean_text(raw, 4)
                if text is not None and not (text.isascii() and text.isdigit()):
                    raise Reject("invalid")
                return text

        register_field_type("text", PostcodeBE())
    """

    #: What renderers draw: ``text``, ``email``, ``tel``, ``number``, ``date`` …
    kind: ClassVar[str] = "text"
    #: Whether the field holds an answer (False for titles and comments).
    holds_value: ClassVar[bool] = True
    #: Whether the answer comes from the client (False for computed fields).
    takes_input: ClassVar[bool] = True
    #: Messages of ``required`` for this type, when not the generic ones.
    required_messages: ClassVar[Invalid | None] = None

    @abstractmethod
    def parse(self, field: F, raw: RawValue, ctx: FieldContext) -> V | Rejected | None:
        """The typed value of ``raw`` (None: no answer), or why it is refused.

        May also raise `Reject` to refuse with one code; `parse_field` turns it into a
        `FieldError` and checks ``required``.
        """

    def is_empty(self, value: V | None) -> bool:
        """Whether ``value`` counts as no answer for ``required``."""
        return value is None

    def to_json(self, field: F, value: V) -> Any:
        """``value`` as JSON-serialisable data."""
        return value

    def from_json(self, field: F, data: Any) -> V:
        """The value `to_json` gave ``data`` for; `ValueError` if it cannot be one.

        The default accepts data `to_json` left as it was (strings, numbers, lists of
        them); types whose JSON differs from their value override it.
        """
        return data  # type: ignore[no-any-return]

    def describe(self, field: F, ctx: FieldContext) -> dict[str, Any]:
        """What a renderer needs to draw the field, as plain data."""
        described: dict[str, Any] = {
            "id": getattr(field, "id", None),
            "type": getattr(field, "type", None),
            "kind": self.kind,
            "name": ctx.path,
        }
        for key in ("label", "hint"):
            if getattr(field, key, None) is not None:
                described[key] = ctx.text(getattr(field, key))
        if self.takes_input:
            described["required"] = bool(getattr(field, "required", False))
        return described

    def display(self, field: F, value: V, ctx: FieldContext) -> str:
        """``value`` as text for a summary page, in ``ctx.language``."""
        return str(value)


#: Field type implementations by ``type`` name.
field_types: dict[str, FieldType[Any, Any]] = {}


def register_field_type(name: str, implementation: FieldType[Any, Any]) -> None:
    """Use ``implementation`` for fields of type ``name`` (replacing a built-in one).

    ::

        register_field_type("phone", MyPhoneType())
        register_field_type("numero_fiscal", TaxNumberType())   # a new type

    A new name may then be used as ``type:`` in form files (its settings under
    ``settings:``); register it before loading the catalogue.
    """
    field_types[name] = implementation
    if name not in FIELD_TYPES:
        CUSTOM_FIELD_TYPES.add(name)


def parse_field(field: Any, raw: RawValue, ctx: FieldContext) -> Any:
    """Parse one field's raw input: its typed value, None, or a `Rejected`.

    Runs the type's ``parse``, turns a raised `Reject` into a `FieldError`, and
    refuses an empty answer to a required field::

        value = parse_field(field, raw.get(field.id), ctx.child(field.id))
        if isinstance(value, Rejected):
            errors += value.errors
    """
    implementation = field_types[field.type]
    try:
        value = implementation.parse(field, raw, ctx)
    except Reject as reject:
        return Rejected((ctx.error(field, reject),))
    if isinstance(value, Rejected):
        return value
    if implementation.is_empty(value) and getattr(field, "required", False):
        required = Reject("required", invalid=implementation.required_messages)
        return Rejected((ctx.error(field, required),))
    return value


def choice_label(options: list[ChoiceOption], value: str, text: Callable[[Any], str]) -> str:
    """The label of ``value`` among ``options``, or the value itself."""
    for option in options:
        if option.value == value:
            return text(option.label)
    return value
