"""The syntax tree, stored flat.

A parse gives a list of expression nodes in post-order (every node after its operands, left
to right: the order an LALR parser reduces them in). Operands are indices into that list, so
the tree is plain data whose repr, == and hash never recurse, however deep the user nests,
and lowering is one loop over the list. Every node keeps its source span for error carets.
"""

from __future__ import annotations

from typing import NamedTuple, Union


class Num(NamedTuple):
    value: float
    text: str
    start: int
    end: int


class Name(NamedTuple):
    id: str
    start: int
    end: int


class Call(NamedTuple):
    """An operator (op is the grammar alias: add, mul, neg, …) or a function call (op is the
    name the user wrote, looked up in the op table when lowering)."""

    op: str
    args: tuple[int, ...]
    start: int
    end: int
    name_end: int  # end of the function name for calls; == start for operators


Expr = Union[Num, Name, Call]


class Statement(NamedTuple):
    """`name = expr` (a named statement or an --at binding) or a bare `expr` (name None)."""

    name: str | None
    root: int  # index of the expression in Syntax.exprs
    start: int
    end: int


class Syntax(NamedTuple):
    source: str
    exprs: list[Expr]
    statements: list[Statement]
