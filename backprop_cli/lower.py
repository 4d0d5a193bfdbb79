"""Text → SSA program, in the lecture's numbering, built while parsing.

The parser calls a builder as it reduces the grammar's rules, in post-order, left to right
(Lark's transform-while-parsing); ProgramBuilder makes each reduction an SSA node at once,
so no syntax tree is built and nothing recurses. Inputs come first, w1, w2, … in order of
first appearance; then operations in the order the parser reduces them. Constants stay on
the edge (`w7 = w6 + 1`); an operation on constants alone is folded; identical
sub-expressions become one node (hash-consing on op and operands) unless share=False.
ConstantBuilder does the same for the values after --at, where only constants may appear.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import ArityError, DomainError, StatementError, UnknownNameError
from .ops import CONSTANTS, OPS, callable_names
from .parser import parse
from .program import INPUT, Const, Node, Program

_new = tuple.__new__  # a NamedTuple without its Python-level __new__, on the hot path
_NAME = re.compile(r"[^\W\d]\w*")


def fold(op, consts, source: str, span: tuple[int, int], origin: str = "expression") -> Const:
    """Evaluate an op whose operands are all constants, or say why it cannot be. The
    constant keeps the text the user wrote (2*pi), unless that names statements (u*3),
    which mean nothing outside the program: then its value is its text."""
    text = source[span[0]:span[1]]
    values = [c.value for c in consts]
    with np.errstate(all="ignore"):
        value = op.forward(*[np.float64(v) for v in values])
    if not np.isfinite(value):
        why = op.domain_text if op.domain and not op.domain(*values) else f"{op.name} overflows"
        raise DomainError(f"{why}: {text}", source=source, span=span, origin=origin)
    if any(name not in CONSTANTS and not is_function(name) for name in _NAME.findall(text)):
        text = repr(float(value)).removesuffix(".0")
    return Const(float(value), " ".join(text.split()))


def number(text: str, source: str, start: int, end: int, origin: str) -> Const:
    value = float(text)
    if value - value != 0:  # inf: 1e999 does not fit a float
        raise DomainError(f"{text} is too large for a 64-bit float", source=source,
                          span=(start, end), origin=origin)
    return _new(Const, (value, text))


def constant(name: str) -> Const:
    """pi, π or e as an operand; π is spelled pi, so ascii formulas stay ascii."""
    return Const(CONSTANTS[name], "pi" if name == "π" else name)


def is_function(name: str) -> bool:
    """Names a call can use; operator ops (add, mul, …) are free for variables."""
    op = OPS.get(name)
    return op is not None and op.callable


def checked_op(name: str, nargs: int, source: str, start: int, end: int, name_end: int,
               origin: str = "expression"):
    """The op a call names, or the error that says what is wrong with the call."""
    op = OPS.get(name)
    if op is None or not op.callable:
        import difflib  # only on this error path: start-up time counts

        names = callable_names()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = (f"did you mean {' or '.join(close)}?" if close
                else "known functions: " + ", ".join(names))
        raise UnknownNameError(f"unknown function {name!r}", source=source,
                               span=(start, name_end), hint=hint, origin=origin)
    if nargs != op.arity:
        raise ArityError(f"{name} takes {op.arity} argument{'s' if op.arity > 1 else ''}, "
                         f"got {nargs}", source=source, span=(start, end), origin=origin)
    return op


class ProgramBuilder:
    """Builds the Program. Rows are [op, args, names, start, end]. Until result(),
    operations have ids 0, 1, … and inputs -1, -2, …; then inputs go first: input -1-k
    becomes node k and operation j becomes node n_inputs + j."""

    def __init__(self, source: str, share: bool = True):
        self.source = source
        self.share = share
        self.input_rows: list[list] = []
        self.op_rows: list[list] = []
        self.inputs: dict[str, int] = {}
        self.memo: dict = {}
        self.bound: dict[str, object] = {}  # statement names → id or Const
        self.last: tuple = (None, None)  # the last statement: (name, ref)

    def number(self, text, start, end):
        value = float(text)
        if value - value != 0:  # inf
            return number(text, self.source, start, end, "expression")  # raises
        return _new(Const, (value, text))

    def name(self, id, start, end):
        ref = self.bound.get(id)
        if ref is not None:
            return ref
        ref = self.inputs.get(id)
        if ref is not None:
            return ref
        if id in CONSTANTS:
            return constant(id)
        if is_function(id):
            raise UnknownNameError(f"{id} is a function: call it as {id}(…)",
                                   source=self.source, span=(start, end))
        ref = self.inputs[id] = -1 - len(self.input_rows)
        self.input_rows.append([INPUT, (), (id,), start, end])
        return ref

    def operator(self, op, args, start, end):
        if type(args[0]) is not int and (len(args) == 1 or type(args[1]) is not int):
            return fold(OPS[op], args, self.source, (start, end))
        key = (op, args)
        ref = self.memo.get(key) if self.share else None
        if ref is None:
            ref = len(self.op_rows)
            self.op_rows.append([op, args, (), start, end])
            if self.share:
                self.memo[key] = ref
        return ref

    def call(self, fname, args, start, end, name_end):
        op = OPS.get(fname)
        if op is None or not op.callable or op.arity != len(args):
            checked_op(fname, len(args), self.source, start, end, name_end)  # raises
        return self.operator(fname, args, start, end)

    def statement(self, name, ref, start, end):
        if name is not None:
            span = (start, start + len(name))
            if name in self.bound:
                raise StatementError(f"{name} is assigned twice; each name names one node",
                                     source=self.source, span=span)
            if name in CONSTANTS or is_function(name):
                raise StatementError(f"{name} is a built-in name and cannot be assigned",
                                     source=self.source, span=span)
            if name in self.inputs:
                row = self.input_rows[-1 - self.inputs[name]]
                raise StatementError(f"{name} is used before the statement that assigns it",
                                     source=self.source, span=(row[3], row[4]))
            self.bound[name] = ref
            if type(ref) is int:  # the node gets the statement's name (`c = a`, a second one)
                row = self.op_rows[ref] if ref >= 0 else self.input_rows[-1 - ref]
                row[2] += (name,)
        self.last = (name, ref)

    def result(self) -> Program:
        n_in = len(self.input_rows)

        def final(ref):
            if type(ref) is not int:
                return ref
            return -1 - ref if ref < 0 else n_in + ref

        nodes = [Node(*row) for row in self.input_rows]
        append = nodes.append
        for op, args, names, start, end in self.op_rows:
            # final() inlined: this loop runs once per node
            a = args[0]
            if type(a) is int:
                a = -1 - a if a < 0 else n_in + a
            if len(args) == 1:
                args = (a,)
            else:
                b = args[1]
                if type(b) is int:
                    b = -1 - b if b < 0 else n_in + b
                args = (a, b)
            append(_new(Node, (op, args, names, start, end)))
        name, ref = self.last
        return Program(self.source, nodes, n_in, final(ref), name)


class ConstantBuilder:
    """Values after --at: `name = constant expression`, folded as they are parsed.
    result() is a list of (name, value, span of the name)."""

    def __init__(self, source: str, origin: str = "--at"):
        self.source = source
        self.origin = origin
        self.values: list[tuple[str, float, tuple[int, int]]] = []

    def number(self, text, start, end):
        return number(text, self.source, start, end, self.origin)

    def name(self, id, start, end):
        if id not in CONSTANTS:
            raise UnknownNameError(f"{id} is not a constant: a value is a number or an "
                                   "expression of numbers, pi and e", source=self.source,
                                   span=(start, end), origin=self.origin)
        return constant(id)

    def operator(self, op, args, start, end):
        return fold(OPS[op], args, self.source, (start, end), self.origin)

    def call(self, fname, args, start, end, name_end):
        op = checked_op(fname, len(args), self.source, start, end, name_end, self.origin)
        return fold(op, args, self.source, (start, end), self.origin)

    def statement(self, name, const, start, end):
        self.values.append((name, const.value, (start, start + len(name))))

    def result(self):
        return self.values


def lower(source: str, *, share: bool = True) -> Program:
    """The SSA program of an expression or a list of statements."""
    return parse(source, builder=ProgramBuilder(source, share))


def binding_values(source: str, origin: str = "--at") -> list[tuple[str, float, tuple]]:
    """The (name, value, span of the name) of each binding in `x=2,y=pi/2`."""
    return parse(source, "bindings", origin=origin, builder=ConstantBuilder(source, origin))
