"""Errors a user can cause, under one base class.

Each carries what is wrong and, where it came from text, the source and the span; an error
about one node of a program carries the node's index and the program, so render/ can name
it as the tables do (`w3 = log(w2)`) and point at the text it came from. render/ writes
the error out (a caret under the column, or JSON); the CLI maps it to its exit code. The
CLI catches BackpropError and nothing else: anything else is a bug, exit 3.
"""

from __future__ import annotations


class BackpropError(Exception):
    """Bad input: exit code 2. `kind` is the stable name used in JSON errors."""

    kind = "error"
    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        span: tuple[int, int] | None = None,
        origin: str = "expression",
        hint: str | None = None,
        expected: list[str] | None = None,
        node: int | None = None,
        program=None,
    ):
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span
        self.origin = origin  # which text the span points into: "expression" or "--at"
        self.hint = hint
        self.expected = expected
        self.node = node  # the index of the SSA node the error is about
        self.program = program  # the program that node is in

    def located(self, source: str, origin: str) -> "BackpropError":
        """Attach the text a span points into, when the raiser did not have it."""
        if self.source is None:
            self.source, self.origin = source, origin
        return self

    def position(self) -> tuple[int, int] | None:
        """1-based (line, column) of the span's start."""
        if self.source is None or self.span is None:
            return None
        start = self.span[0]
        line = self.source.count("\n", 0, start) + 1
        column = start - (self.source.rfind("\n", 0, start) + 1) + 1
        return line, column

    def excerpt(self) -> tuple[str, str] | None:
        """The source line the span starts on, and a line of carets under the span."""
        pos = self.position()
        if pos is None:
            return None
        start, end = self.span
        line_start = self.source.rfind("\n", 0, start) + 1
        line_end = self.source.find("\n", start)
        if line_end == -1:
            line_end = len(self.source)
        text = self.source[line_start:line_end].replace("\t", " ")
        width = max(1, min(end, line_end) - start)
        return text, " " * (start - line_start) + "^" * width

    def __str__(self) -> str:
        return self.message


class ParseError(BackpropError):
    kind = "parse_error"


class UnknownNameError(BackpropError):
    """An unknown function, or a name used in a way it cannot be (calling a variable)."""

    kind = "name_error"


class ArityError(BackpropError):
    kind = "arity_error"


class StatementError(BackpropError):
    """A name assigned twice, or used before its statement."""

    kind = "statement_error"


class InputError(BackpropError):
    """Values after --at: missing, unknown or given twice."""

    kind = "input_error"


class DomainError(BackpropError):
    """An operation evaluated outside its domain: log(-1), 1/0, sqrt(-4), acos(2). At a
    node of a program, `operands` holds where: (operand node, entry, value) for each
    operand that is a node, the entry () for a scalar or the first one outside."""

    kind = "domain_error"

    def __init__(self, message: str, *, operands: list | None = None, **where):
        super().__init__(message, **where)
        self.operands = operands or []


class ShapeError(BackpropError):
    """Operands whose shapes do not fit (a 3-vector plus a 2-vector), a bad index, a
    vector output without --seed or --jacobian."""

    kind = "shape_error"


class UsageError(BackpropError):
    """Command-line usage the argument parser cannot catch."""

    kind = "usage_error"


class AnswerError(BackpropError):
    """A homework answer or target that cannot be graded: unparseable, unknown target,
    a bad answers file."""

    kind = "answer_error"
