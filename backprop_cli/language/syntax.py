"""The syntax tree, stored flat: what parser.parse gives with its default builder.

The product does not build it: lowering, templates and --at values are built straight
from the parser's reductions (Lark's transform-while-parsing). It is the plain-data view
of a parse for tests and tools: a list of expression nodes in post-order (every node after
its operands, left to right, the order an LALR parser reduces them in) whose operands are
indices into that list, so its repr, == and hash never recurse however deep the nesting.
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
    """An operator (op is the grammar alias: add, mul, neg, matmul, transpose, index,
    array, slice_to, …) or a function call (op is the
    name the user wrote, looked up in the op table when lowering)."""

    op: str
    args: tuple[int, ...]
    start: int
    end: int
    name_end: int  # end of the function name for calls; == start for operators


Expr = Union[Num, Name, Call]


class Statement(NamedTuple):
    """`name = expr` (a named statement or an --at binding), a bare `expr` (name None), or
    a function's definition (its name the head as written, `f(a, b) =`)."""

    name: str | None
    root: int  # index of the expression in Syntax.exprs
    start: int
    end: int


class Syntax(NamedTuple):
    source: str
    exprs: list[Expr]
    statements: list[Statement]


class SyntaxBuilder:
    """Builds the flat tree. Each method returns the new node's index in `exprs`."""

    def __init__(self, source: str):
        self.source = source
        self.exprs: list[Expr] = []
        self.statements: list[Statement] = []

    def _add(self, node) -> int:
        self.exprs.append(node)
        return len(self.exprs) - 1

    def number(self, text, start, end):
        return self._add(Num(float(text), text, start, end))

    def name(self, id, start, end):
        return self._add(Name(id, start, end))

    def operator(self, op, args, start, end):
        return self._add(Call(op, args, start, end, start))

    def call(self, fname, args, start, end, name_end):
        return self._add(Call(fname, args, start, end, name_end))

    def tensor_op(self, op, args, start, end):  # matmul, transpose, index
        return self._add(Call(op, args, start, end, start))

    def array(self, items, start, end):
        return self._add(Call("array", tuple(items), start, end, start))

    def slice(self, kind, parts, start, end):  # slice_all, slice_from, …: x[:2]
        return self._add(Call(kind, parts, start, end, start))

    def statement(self, name, root, start, end):
        self.statements.append(Statement(name, root, start, end))

    def function_head(self, text, start, end):  # f(a, b) = …: the statement's name
        return " ".join(text.split())

    def function(self, head, body, start, end):
        self.statements.append(Statement(head, body, start, end))

    def result(self) -> Syntax:
        return Syntax(self.source, self.exprs, self.statements)
