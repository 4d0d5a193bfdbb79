"""Errors a user can cause, under one base class.

Each carries what is wrong and, where it came from text, the source and the span; an error
about one node of a program carries the node's index and the program, so render/ can name
it as the tables do (`w3 = log(w2)`) and point at the text it came from. render/ writes
the error out (a caret under the column, or JSON); the CLI maps it to its exit code. The
CLI catches BackpropError and nothing else: anything else is a bug, exit 3.
"""

from __future__ import annotations

import re


EXCERPT_WIDTH = 120  # characters of a source line shown under an error


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
        width = max(1, min(end, line_end) - start)
        if line_end - line_start > EXCERPT_WIDTH:  # a window of a long line, around the span
            lo = max(line_start, start - EXCERPT_WIDTH // 3)
            hi = min(line_end, lo + EXCERPT_WIDTH)
            width = max(1, min(width, hi - start))
            text = ("…" if lo > line_start else "") + self.source[lo:hi] \
                + ("…" if hi < line_end else "")
            line_start = lo - (lo > line_start)
        else:
            text = self.source[line_start:line_end]
        return text.replace("\t", " "), " " * (start - line_start) + "^" * width

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


class LimitError(BackpropError):
    """Input past one of the documented limits below, refused before the work starts."""

    kind = "limit_error"


# The limits on untrusted input (README, "Limits"). Each is checked before the work it
# bounds is done, so memory stays within about MAX_ELEMENTS·8 bytes per array alive at
# once plus the program (~1 KB a node) whatever the input.
MAX_INPUT_BYTES = 16 * 2**20  # an expression, standard input, an answers file, a value text
MAX_NODES = 2_000_000  # SSA nodes of one program
MAX_ELEMENTS = 10_000_000  # entries of any one array: an input, an intermediate, a result
MAX_DEPTH = 200  # nesting of an answers file (JSON arrays and objects, TOML tables)
MAX_STEPS = 1_000_000  # steps of one descent
MAX_DIGITS = 4000  # digits of a whole number in an answer (Python reads at most 4300)


def too_large(what: str, size: int, limit: int, unit: str = "", **where) -> LimitError:
    """The error for `what` of `size` past `limit`."""
    unit = f" {unit}" if unit else ""
    return LimitError(f"{what} is too large: {size:,}{unit}, at most {limit:,}", **where)


# Characters that must not reach a terminal raw: C0 and C1 controls (ESC starts a
# terminal's escape sequences, 0x9b is an 8-bit CSI) and the format controls that reorder
# or hide text (bidi overrides: "Trojan source"). New lines and tabs are kept where a text
# has lines (documents, tables); one-line texts escape them too.
CONTROLS = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
             "\u2060-\u2069\ufeff\ufff9-\ufffb")
_IN_LINES = re.compile(f"[{CONTROLS}]")
_IN_LINE = re.compile(f"[{CONTROLS}\t\n]")


def _escape(m: re.Match) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Text from input for one line of a message: every control character escaped as
    \\x1b or \\u202e (a new line too)."""
    return _IN_LINE.sub(_escape, text)


def printable_lines(text: str) -> str:
    """Text for a terminal that may hold lines: controls escaped, new lines and tabs kept."""
    return _IN_LINES.sub(_escape, text)


class TemplateError(BackpropError):
    """A class template or roster that cannot be used (backprop variants, backprop grade):
    bad TOML, a missing or unknown key, a range whose points all leave the domain."""

    kind = "template_error"
