"""Flat syntax → SSA program, in the lecture's numbering.

Inputs come first, w1, w2, … in order of first appearance; then operations in post-order,
left to right, which is the order the parser produced the syntax in, so lowering is one
loop over it. Constants stay on the edge (`w7 = w6 + 1`); an operation on constants alone
is folded; identical sub-expressions become one node (hash-consing on op and operands),
unless `share=False` asks for the tree.
"""

from __future__ import annotations

import difflib

import numpy as np

from .errors import ArityError, DomainError, StatementError, UnknownNameError
from .ops import CONSTANTS, OPS, callable_names
from .program import INPUT, Const, Node, Program
from .syntax import Call, Name, Num, Syntax

_OPERATOR_TEXT = {"add": "+", "sub": "-", "mul": "*", "div": "/", "neg": "-", "pow": "**"}


def fold(op, consts: list[Const], text: str, source: str, span: tuple[int, int]) -> Const:
    """Evaluate an op whose operands are all constants, or say why it cannot be."""
    values = [c.value for c in consts]
    with np.errstate(all="ignore"):
        value = op.forward(*[np.float64(v) for v in values])
    if not np.isfinite(value):
        why = op.domain_text if op.domain and not op.domain(*values) else f"{op.name} overflows"
        raise DomainError(f"{why}: {text}", source=source, span=span)
    return Const(float(value), text)


def lower(syntax: Syntax, *, share: bool = True) -> Program:
    source, exprs = syntax.source, syntax.exprs
    assigned_at = {}
    for st in syntax.statements:
        if st.name is not None:
            span = (st.start, st.start + len(st.name))
            if st.name in assigned_at:
                raise StatementError(f"{st.name} is assigned twice; each name names one node",
                                     source=source, span=span)
            if st.name in CONSTANTS or st.name in OPS:
                raise StatementError(f"{st.name} is a built-in name and cannot be assigned",
                                     source=source, span=span)
            assigned_at[st.name] = st.root

    # Rows [op, args, names, start, end]. Operations get temporary ids 0, 1, … and inputs
    # -1, -2, … until the end, when inputs go first: input -1-k becomes node k and
    # operation j becomes node n_inputs + j.
    input_rows: list[list] = []
    op_rows: list[list] = []
    inputs: dict[str, int] = {}
    memo: dict = {}
    bound: dict[str, object] = {}  # statement names → temporary id or Const
    refs: list = [None] * len(exprs)
    new = tuple.__new__  # a NamedTuple without its Python-level __new__: this is hot
    for st, first in _blocks(syntax):
        for k in range(first, st.root + 1):
            e = exprs[k]
            kind = type(e)
            if kind is Call:
                op = OPS.get(e.op)
                ea = e.args
                if op is None or op.arity != len(ea) or (not op.callable and e.name_end != e.start):
                    _checked_op(e, source)  # raises the error that says which
                if len(ea) == 1:
                    args = (refs[ea[0]],)
                    constant = type(args[0]) is not int
                else:
                    args = (refs[ea[0]], refs[ea[1]])
                    constant = type(args[0]) is not int and type(args[1]) is not int
                if constant:
                    refs[k] = fold(op, args, source[e.start:e.end], source, (e.start, e.end))
                    continue
                # Constants are keyed with their text: x*2 and x*2.0 stay two nodes.
                key = (e.op, args)
                ref = memo.get(key) if share else None
                if ref is None:
                    ref = len(op_rows)
                    op_rows.append([e.op, args, (), e.start, e.end])
                    if share:
                        memo[key] = ref
                refs[k] = ref
            elif kind is Num:
                refs[k] = new(Const, (e.value, e.text))
            elif e.id in bound:
                refs[k] = bound[e.id]
            elif e.id in CONSTANTS:
                refs[k] = Const(CONSTANTS[e.id], e.id)
            else:
                ref = inputs.get(e.id)
                if ref is None:
                    _check_input_name(e, assigned_at, source)
                    ref = inputs[e.id] = -1 - len(input_rows)
                    input_rows.append([INPUT, (), (e.id,), e.start, e.end])
                refs[k] = ref
        ref = refs[st.root]
        if st.name is not None:
            bound[st.name] = ref
            if type(ref) is int:  # the node gets the statement's name (`c = a` a second one)
                row = op_rows[ref] if ref >= 0 else input_rows[-1 - ref]
                row[2] += (st.name,)

    n_in = len(input_rows)

    def final(ref):
        if type(ref) is not int:
            return ref
        return -1 - ref if ref < 0 else n_in + ref

    nodes = [Node(*row) for row in input_rows]
    for op, args, names, start, end in op_rows:
        if len(args) == 1:
            args = (final(args[0]),)
        else:
            args = (final(args[0]), final(args[1]))
        nodes.append(new(Node, (op, args, names, start, end)))
    last = syntax.statements[-1]
    return Program(source, nodes, n_in, final(refs[last.root]), last.name)


def _blocks(syntax: Syntax):
    """Each statement with the index of its first expression: its expressions are the
    contiguous post-order block that ends at its root."""
    first = 0
    for st in syntax.statements:
        yield st, first
        first = st.root + 1


def _checked_op(e: Call, source: str):
    op = OPS.get(e.op)
    if op is None or (not op.callable and e.name_end != e.start):
        names = callable_names()
        close = difflib.get_close_matches(e.op, names, n=3, cutoff=0.6)
        hint = (f"did you mean {' or '.join(close)}?" if close
                else "known functions: " + ", ".join(names))
        raise UnknownNameError(f"unknown function {e.op!r}", source=source,
                               span=(e.start, e.name_end), hint=hint)
    if len(e.args) != op.arity:
        raise ArityError(f"{e.op} takes {op.arity} argument{'s' if op.arity > 1 else ''}, "
                         f"got {len(e.args)}", source=source, span=(e.start, e.end))
    return op


def _check_input_name(e: Name, assigned_at, source: str) -> None:
    if e.id in assigned_at:
        raise StatementError(f"{e.id} is used before the statement that assigns it",
                             source=source, span=(e.start, e.end))
    if e.id in OPS:
        raise UnknownNameError(f"{e.id} is a function: call it as {e.id}(…)",
                               source=source, span=(e.start, e.end))


def binding_values(syntax: Syntax) -> list[tuple[str, float, tuple[int, int]]]:
    """The (name, value, span of the name) of each `name = constant expression` in a
    bindings parse, such as the text after --at: x=2,y=pi/2."""
    source, exprs = syntax.source, syntax.exprs
    out = []
    refs: list = [None] * len(exprs)
    for st, first in _blocks(syntax):
        for k in range(first, st.root + 1):
            e = exprs[k]
            if type(e) is Num:
                refs[k] = Const(e.value, e.text)
            elif type(e) is Name:
                if e.id not in CONSTANTS:
                    raise UnknownNameError(
                        f"{e.id} is not a constant: a value is a number or an expression of "
                        "numbers, pi and e", source=source, span=(e.start, e.end))
                refs[k] = Const(CONSTANTS[e.id], e.id)
            else:
                op = _checked_op(e, source)
                refs[k] = fold(op, [refs[a] for a in e.args], source[e.start:e.end], source,
                               (e.start, e.end))
        out.append((st.name, refs[st.root].value, (st.start, st.start + len(st.name))))
    return out
