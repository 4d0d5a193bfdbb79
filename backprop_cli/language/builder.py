"""The builder protocol: what the parse loop calls as it reduces the grammar's rules.

parser.parse drives a builder, as Lark's transformer is driven when it transforms while
parsing: each reduction with an alias in grammar/backprop.lark calls one method here (the
table parser.REDUCTIONS says which), in post-order, left to right, so every operand is
built before what uses it and nothing recurses. A value (V) is whatever the builder makes
of a sub-expression: an SSA reference or a folded constant (lower.ProgramBuilder), a
constant (lower.ConstantBuilder), an index into a flat tree (syntax.SyntaxBuilder), a
formula (symbolic.formula's template builder). `start` and `end` are the span of the
reduced text in the source given to parse: positions are always the source's own, also
when only a span of it is parsed.

A builder raises a BackpropError to refuse what it cannot build (a variable among
constants, an array in an expression); it never sees text the grammar rejects.
"""

from __future__ import annotations

from typing import Protocol, Sequence, TypeVar

V = TypeVar("V")  # a built sub-expression
R = TypeVar("R", covariant=True)  # what the whole parse gives


class Builder(Protocol[V, R]):
    def number(self, text: str, start: int, end: int) -> V:
        """A number as written: `2`, `.5`, `1e-3`; also the exponent of x², its digits
        made ascii, with the span of the superscript."""

    def name(self, id: str, start: int, end: int) -> V:
        """A name used as an operand: an input, a statement's name, pi, e."""

    def operator(self, op: str, args: tuple[V, ...], start: int, end: int) -> V:
        """An operator of the op table: add, sub, mul, div, pow (two operands), neg (one).
        Unary plus and parentheses make no call."""

    def call(self, fname: str, args: tuple[V, ...], start: int, end: int,
             name_end: int) -> V:
        """`fname(args…)` as written, the name not yet looked up; `name_end` ends the name,
        for an error that points at it alone."""

    def tensor_op(self, op: str, args: tuple[V, ...], start: int, end: int) -> V:
        """An operator of vectors and matrices: matmul (A @ B), transpose (A.T, one
        operand) and index (x[…]: the base, then one operand per subscript, each a value
        or what slice made)."""

    def array(self, items: Sequence[V], start: int, end: int) -> V:
        """`[a, b, …]`: one item per entry, each a value or a row."""

    def slice(self, kind: str, parts: tuple[V, ...], start: int, end: int) -> V:
        """A subscript with a colon: slice_all (`:`), slice_from (`a:`), slice_to (`:b`),
        slice_range (`a:b`); `parts` are the bounds written."""

    def statement(self, name: str | None, value: V, start: int, end: int) -> None:
        """One statement ends: `name = value` (a statement, an --at binding), or a lone
        expression (name None: the last line of a program, a one-expression start)."""

    def function_head(self, text: str, start: int, end: int) -> V:
        """`f(a, b) =`, the head of a function definition, as written: called before the
        body is read, so the builder knows the parameters the body's names stand for."""

    def function(self, head: V, body: V, start: int, end: int) -> None:
        """The definition whose head function_head made ends with its body."""

    def result(self) -> R:
        """What the parse gives, called once when the start symbol is reduced."""


# Every method a builder must have, read off the protocol, in its order.
METHODS: tuple[str, ...] = tuple(name for name in vars(Builder)
                                 if not name.startswith("_") and callable(vars(Builder)[name]))


def missing_methods(builder: object) -> list[str]:
    """The protocol's methods `builder` lacks: a builder is checked before any parse, so a
    missing method fails on every input, not on the one that needs it."""
    return [name for name in METHODS if not callable(getattr(builder, name, None))]


class NoFunctions:
    """For builders of texts where no function is defined (--at values, templates): a
    definition is refused where it stands."""

    source: str = ""
    origin: str = "expression"

    def function_head(self, text, start, end):
        from ..errors import StatementError

        raise StatementError("a function is defined only in an expression",
                             source=getattr(self, "source", None), span=(start, end),
                             origin=getattr(self, "origin", "expression"))

    def function(self, head, body, start, end):  # pragma: no cover - the head refused
        return None
