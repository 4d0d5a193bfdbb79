"""The text of an operation on constants, written from its operands' texts.

A folded constant keeps the text the user wrote (2*pi), but where that text names
statements (u = 1/3; u*2) it means nothing outside the program, so lower.fold has it
written here from its operands' texts: (1/3)*2, sin(1/3), -(1/3). Parentheses follow the
op table's precedences (Op.infix) so that the grammar reads the text back as the same
operations; simplifying it (2/3) is the printers' business, which re-read a constant's
text when they show it (symbolic.formula.opened).
"""

from __future__ import annotations

from ..engine.ops import OPS
from .parser import parse
from .builder import NoFunctions

ATOM = 9  # a number, a name, a call, a bracketed group: tighter than any operator
_NEG = OPS["neg"].infix[0]
_TIMES = OPS["mul"].infix[0]
_COMPARE = OPS["lt"].infix[0]


class _Outermost(NoFunctions):
    """A builder that keeps only each sub-expression's outermost operator and its span:
    the result is the text's operator, None where the text is an atom (a number, a name,
    a call, an index, a bracketed whole: an operator's span is then inside the text's)."""

    def __init__(self):
        self.top = None

    def number(self, text, start, end):
        return None

    def name(self, id, start, end):
        return None

    def operator(self, op, args, start, end):
        return op, start, end

    def call(self, fname, args, start, end, name_end):
        return None

    def tensor_op(self, op, args, start, end):
        return (op, start, end) if op == "matmul" else None

    def array(self, items, start, end):
        return None

    def slice(self, kind, parts, start, end):
        return None

    def statement(self, name, value, start, end):
        self.top = value[0] if value is not None and value[1:] == (start, end) else None

    def result(self) -> str | None:
        return self.top


def outermost(text: str) -> str | None:
    """The operator a constant's text applies last (add in 1 + 2*3), None for an atom."""
    return parse(text, "constant", "constant", _Outermost())


def _wrapped(text: str, top: str | None, loosest: int) -> str:
    """The text, bracketed when its outermost operator binds looser than `loosest`."""
    return text if top is None or OPS[top].infix[0] >= loosest else f"({text})"


def written(op_name: str, texts: list[str]) -> str:
    """The text of op_name applied to operands written `texts`, in backprop's language."""
    op = OPS[op_name]
    tops = [outermost(t) for t in texts]
    if op.name == "T":
        return _wrapped(texts[0], tops[0], ATOM) + ".T"
    if op.infix is None:
        return f"{op.shown or op.name}({', '.join(texts)})"
    prec, symbol = op.infix[0], op.infix[1]
    if op.name == "neg":  # -a binds looser than a power, tighter than a product
        return symbol + (f"({texts[0]})" if tops[0] == "neg" else
                         _wrapped(texts[0], tops[0], _NEG))  # -(-2), not --2
    (a, b), (ta, tb) = texts, tops
    if op.name == "pow":  # right-associative: a**b**c is a**(b**c); 2**-1 needs none
        return f"{_wrapped(a, ta, ATOM)}{symbol}{_wrapped(b, tb, _NEG)}"
    # left-associative: the right operand must bind tighter (a - (b - c)), where a unary
    # minus may stand bare (1 - -2, 2*-3), as the grammar reads a factor there
    # comparisons do not chain: (1 < 2) < 3 keeps its parentheses
    left = _wrapped(a, ta, prec + 1 if prec == _COMPARE else prec)
    right = _wrapped(b, tb, prec + 1)
    if prec == _TIMES and ta == "div":
        left = f"({a})"  # (1/3)*2, not 1/3*2: a fraction reads as one number
    return left + (f" {symbol} " if prec < _TIMES else symbol) + right
