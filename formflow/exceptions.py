"""The exceptions formflow raises.

Every exception formflow raises on purpose derives from `FormflowError`, so a host can
catch them all in one place:

* FormflowError
  + DefinitionError - catalogue or site files that cannot be used, with every problem
  |                   located (file, line, path inside the file); raised by the loaders
  + ExpressionError - a condition or template that does not compile or may not be used
  + NotFoundError   - a procedure, workflow, card or case that does not exist
  + ConflictError   - a case changed since it was read (two agents at once): reload, retry

Problems with what a citizen typed are not exceptions: the form engine returns them as
data so that a page can show them all at once.

Example::

    from formflow import DefinitionError, load_catalog

    try:
        catalog = load_catalog("catalog/")
    except DefinitionError as exc:
        for problem in exc.problems:
            print(problem.file, problem.line, problem.path, problem.message)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConflictError",
    "DefinitionError",
    "ExpressionError",
    "FormflowError",
    "NotFoundError",
    "Problem",
]


class FormflowError(Exception):
    """Base class of every error formflow raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One located mistake in a definition file.

    Printed as ``catalog/forms/x.yaml:42: pages[1].fields[3].show_if: message``
    followed by the quoted source line when it is known.
    """

    #: The file, as given to the loader (``forms/demande-de-bac.yaml``), or ``<string>``.
    file: str
    #: 1-based line number in that file, when the problem can be tied to one.
    line: int | None
    #: Where inside the file, in the notation ``pages[1].fields[3].show_if``.
    path: str
    #: What is wrong, in English, with a "did you mean …" suggestion when one exists.
    message: str
    #: The source line, stripped, to quote under the message.
    source_line: str | None = None

    def location(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}" if self.path else where

    def __str__(self) -> str:
        text = f"{self.location()}: {self.message}"
        if self.source_line:
            text += f"\n    {self.source_line}"
        return text


class DefinitionError(FormflowError):
    """One or more definition files are invalid.

    All problems found in one run are reported together, in ``problems``::

        try:
            load_catalog("catalog/")
        except DefinitionError as exc:
            print(exc)              # one located problem per line
            len(exc.problems)       # how many
    """

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("a DefinitionError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.file, p.line or 0, p.path, p.message))
        )
        count = len(self.problems)
        header = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"{header}:\n" + "\n".join(str(p) for p in self.problems))


class ExpressionError(FormflowError):
    """A condition or template that does not compile, or uses something it may not.

    ``source`` is the expression as written; ``reason`` says what is wrong.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{reason} in {source!r}")


class NotFoundError(FormflowError, LookupError):
    """Something asked for by name (a procedure, a workflow, a card, a case) does not exist."""


class ConflictError(FormflowError):
    """The case changed since it was read: another agent or a timer acted first.

    Nothing was written; reload the case and decide again.
    """
