"""Formulas in terms of the w's: node definitions, local partials, adjoints.

The op table's templates ("-sin(a)") are parsed by the grammar once, on first use, into
small trees; a partial is its template with the operands substituted (a → w4) and lightly
simplified as a person writes it (2·w1, not 2·w1^(2-1)). Numbers stay exact: arithmetic
on them folds only to a short decimal (exact.py), so 1/3 stays 1/3; a constant the user
wrote (2*pi) is re-read by the grammar and printed as its formula (2π·w1). Trees here
are as deep as a template, never as deep as the user's expression, so recursion over them
is safe.

Three styles: "ascii" parses again with backprop's grammar (w1**2, -sin(w4), w7bar) and is
what JSON carries; "unicode" is for the terminal (w1², −sin(w4), w̄7); "latex" fills the op
table's LaTeX templates and writes products as the lecture does (w_1^{2}, -\\sin(w_4),
2w_1w_5, \\bar{w}_7).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple, Union

import numpy as np

from . import exact
from ..engine.ops import ALIASES, CONSTANTS, OPERAND_NAMES, OPS, second_index
from ..engine.program import Const, Program, node_id
from ..errors import BackpropError, ShapeError
from ..language.builder import NoFunctions


class Var(NamedTuple):
    """w_{index+1}, or its adjoint w̄ when bar is set."""

    index: int
    bar: bool = False


class Param(NamedTuple):
    """a, b or out in a template."""

    name: str


class App(NamedTuple):
    op: str
    args: tuple


Formula = Union[Var, Param, App, Const]

ZERO, ONE = Const(0.0, "0"), Const(1.0, "1")


# --- templates -----------------------------------------------------------------------

class _TemplateBuilder(NoFunctions):
    """Builds a template's formula as the parser reduces it: a, b and out are Params.
    It also re-reads a constant's text (2*pi), whose names are only pi and e."""

    def number(self, text, start, end):
        return Const(float(text), text)

    def name(self, id, start, end):
        from ..language.lower import constant

        return Param(id) if id in OPERAND_NAMES or id == "out" else constant(id)

    def operator(self, op, args, start, end):
        return make(op, args)

    def call(self, fname, args, start, end, name_end):
        # a constant's text is the user's, with its spellings: ln(2) is log(2)
        return make(ALIASES.get(fname, fname), args)

    # Templates and the constants opened here are scalar formulas: an array or an index
    # in one is text to print as it is (_opened_text gives up on it).
    def tensor_op(self, op, args, start, end):
        raise ShapeError(f"{op} in a scalar formula")

    def array(self, items, start, end):
        raise ShapeError("an array in a scalar formula")

    def slice(self, kind, parts, start, end):
        raise ShapeError("a slice in a scalar formula")

    def statement(self, name, formula, start, end):
        self.formula = formula

    def result(self) -> Formula:
        return self.formula


@lru_cache(maxsize=None)
def template(op_name: str, k: int, order: int = 1) -> Formula:
    """The partial of `op_name` with respect to operand k, as a formula in a, b, out; with
    order 2, its second partial number k of the row's (aa, ab, bb)."""
    from ..language.parser import parse

    op = OPS[op_name]
    text = op.templates[k] if order == 1 else op.second_templates[k]
    return parse(text, origin=f"template of {op_name}", builder=_TemplateBuilder())


def substitute(f: Formula, env: dict) -> Formula:
    if type(f) is Param:
        return env[f.name]
    if type(f) is App:
        return make(f.op, tuple(substitute(a, env) for a in f.args))
    return f


def operand(a) -> Formula:
    """w_i, or a constant: taken apart where it is arithmetic (2*pi is 2·π, for the rules
    of make and simplify to see), one leaf where it has a call in it (exp(1))."""
    if type(a) is int:
        return Var(a)
    f = opened(a)
    return f if arithmetic(f) else a


def arithmetic(f: Formula) -> bool:
    """Whether a constant's formula is numbers, π and e under infix operators (a
    constant's text is short, so the recursion is bounded)."""
    if type(f) is Const:
        return f.text in CONSTANTS or exact.rational(f.text) is not None
    return type(f) is App and OPS[f.op].infix is not None and all(map(arithmetic, f.args))


def opened(c: Formula) -> Formula:
    """A constant as its formula: 2*pi as 2·π, 1/3 as a division, 2*0.25 as 0.5; a plain
    number, pi or e as it is. Its text is re-read by the grammar (it is what the user
    wrote); a text longer than a template stays one constant, so recursion stays bounded."""
    if type(c) is not Const or type(c.value) is not float:  # an array prints as it is
        return c
    return _opened_text(c.text) or c


MAX_OPENED = 80


@lru_cache(maxsize=4096)  # a big graph holds the same few constants many times
def _opened_text(text: str) -> Formula | None:
    if (text in CONSTANTS or exact.DECIMAL.fullmatch(text) or len(text) > MAX_OPENED
            or text.startswith(_NUMBER_HOLE)):  # a number, as a number hole is
        return None
    from ..language.parser import parse

    try:
        return parse(text, origin="constant", builder=_TemplateBuilder())
    except BackpropError:  # not one scalar expression: print its text
        return None


def partial(program: Program, j: int, k: int) -> Formula:
    """∂w_j/∂(operand k of w_j) in terms of the w's."""
    return _in_ws(program, j, template(program.nodes[j].op, k))


def second_partial(program: Program, j: int, k: int, m: int) -> Formula:
    """∂²w_j/∂(operand k)∂(operand m) in terms of the w's."""
    op = program.nodes[j].op
    return _in_ws(program, j, template(op, second_index(k, m, OPS[op].arity), 2))


def _in_ws(program: Program, j: int, f: Formula) -> Formula:
    return _in_args(program.nodes[j].args, j, f)


def _in_args(args: tuple, j: int, f: Formula) -> Formula:
    """A template f in a, b, out, with node j's operands args and out = w_j."""
    env = {name: operand(a) for name, a in zip(OPERAND_NAMES, args)}
    env["out"] = Var(j)
    return substitute(f, env)


def _partial(op: str, args: tuple, j: int, k: int) -> Formula:
    return _in_args(args, j, template(op, k))


def edge_partial(program: Program, edge) -> Formula:
    """The partial of an edge; `x*x` uses w1 twice, and its partial is the sum."""
    node = program.nodes[edge.target]
    return _edge_partial(node.op, node.args, edge.target, edge.positions)


def _edge_partial(op: str, args: tuple, j: int, positions: tuple) -> Formula:
    terms = [_partial(op, args, j, k) for k in positions]
    total = terms[0]
    for t in terms[1:]:
        total = make("add", (total, t))
    return total


# --- the texts of a big trace, derived once per pattern ------------------------------------
# An edge's partial, its term in an adjoint's sum and a node's definition depend on the op,
# the operand positions, which operands are the same node and the constants, not on the
# nodes' numbers: a 10^6-node trace has a handful of such patterns. Each is derived once
# with stand-ins (holes) for the nodes, printed, and cut at the holes; an edge's text is
# the pieces joined around its own nodes' numbers. ascii and unicode name nodes w<number>
# whatever the number, so a text's shape does not depend on it; LaTeX's w_1 / w_{12} does,
# and is derived per edge.
# In ascii a plain positive number (x*2, x*17, x/3) is a hole too, so sin(x*1) + … +
# sin(x*333333) is one pattern, not one per constant. That holds only where no rule of
# make() looked at the number: a number is folded only in an operator whose other
# operands are numbers too (2*3, -(3), 3-1), so a text where the hole sits in such an
# operator is derived again with its numbers (_folds_hole); the rules that compare with 0
# and 1 or read a sign see the same answer for the hole (7) as for any number > 0, ≠ 1.

_HOLE = 4_611_686_018_427_387_900  # w{_HOLE + 1 + slot} stands for a pattern's node
_NUMBER_HOLE = "zzhole"  # zzhole<slot> stands for a pattern's number, in ascii
_HOLES = re.compile(r"46116860184273879(\d\d)|zzhole(\d+)")
_CACHED_STYLES = ("ascii", "unicode")
_DECIMAL_FULL = exact.DECIMAL.fullmatch
# per pattern (op, operands), its templates by (derivation, an edge's positions, style):
# a pattern is hashed once per node, and its edges look up small keys
_TEMPLATES: dict[tuple, dict] = {}
_MAX_PATTERNS = 4096
_MISSING = object()


def _pattern(program: Program, j: int, numbers: bool) -> tuple | None:
    """Node j's pattern, without an edge's operand positions: (op, its operands with
    node slots (slot 0: node j) and, with `numbers`, number slots); what fills its
    templates' holes, the nodes' numbers by slot then the numbers' texts; whether any
    number is a hole; and the pattern's templates derived so far (_TEMPLATES). None
    where a constant's text could be mistaken for a hole."""
    nodes = [j]
    texts: list[str] = []
    key = []
    for a in program.nodes[j].args:
        if type(a) is int:
            if a in nodes:  # a list of at most three: faster than a dict
                key.append(nodes.index(a))
            else:
                key.append(len(nodes))
                nodes.append(a)
            continue
        text, value = a.text, a.value
        if type(value) is not float or "46116860184273879" in text or _NUMBER_HOLE in text:
            return None
        if numbers and value > 0 and value != 1 and _DECIMAL_FULL(text):
            if text not in texts:
                texts.append(text)
            key.append(("#", texts.index(text)))
        else:
            key.append((text, value))
    pattern = (program.nodes[j].op, tuple(key))
    templates = _TEMPLATES.get(pattern)
    if templates is None:
        if len(_TEMPLATES) >= _MAX_PATTERNS:  # adversarial programs: bounded memory
            _TEMPLATES.clear()
        templates = _TEMPLATES[pattern] = {}
    return pattern, [i + 1 for i in nodes] + texts, bool(texts), templates


def _holed(key: tuple) -> tuple[str, tuple, int, tuple]:
    """The op, its operands with holes for nodes and numbers, the hole of node j."""
    op, positions, args = key
    return op, tuple(_HOLE + a if type(a) is int
                     else Const(7.0, f"{_NUMBER_HOLE}{a[1]}") if a[0] == "#"
                     else Const(a[1], a[0]) for a in args), _HOLE, positions


def _folds_hole(f: Formula) -> bool:
    """Whether a number hole sits where make() would fold a number: in an operator whose
    other operands are all numbers. (A template-sized formula: the walk is short.)"""
    stack = [f]
    while stack:
        g = stack.pop()
        if type(g) is not App:
            continue
        if OPS[g.op].infix and any(type(a) is Const and a.text.startswith(_NUMBER_HOLE)
                                   for a in g.args):
            others = [a for a in g.args if not (type(a) is Const
                                                and a.text.startswith(_NUMBER_HOLE))]
            if all(rational(a) is not None for a in others):
                return True
        stack.extend(g.args)
    return False


def _template_of(text: str, key: tuple) -> str:
    """A pattern's text as a str.format template: each node hole becomes {slot}, each
    number hole {n + slot}, n the pattern's count of nodes."""
    n = 1 + max((a for a in key[2] if type(a) is int), default=0)
    parts = _HOLES.split(text)
    out = []
    for k in range(0, len(parts), 3):
        out.append(parts[k].replace("{", "{{").replace("}", "}}"))
        if k + 1 < len(parts):
            node, number = parts[k + 1], parts[k + 2]
            out.append(f"{{{int(node) - 1}}}" if node is not None else f"{{{n + int(number)}}}")
    return "".join(out)


def _edge_template(key: tuple, style: str) -> str | None:
    f = _edge_partial(*_holed(key))
    return None if _folds_hole(f) else _template_of(show(f, style), key)


def _term_template(key: tuple, style: str) -> tuple | None:
    """(sign, template) of the adjoint term; (None, "") for a zero term; None when a
    number hole would have been folded."""
    op, args, j, positions = _holed(key)
    p = _edge_partial(op, args, j, positions)
    if _folds_hole(p):
        return None
    term = scaled_term(Var(j, True), p, style)
    return (None, "") if term is None else (term[0], _template_of(term[1], key))


def _node_template(key: tuple, style: str) -> str:
    op, args, _, _ = _holed(key)
    return _template_of(show(App(op, tuple(operand(a) for a in args)), style), key)


def _cached(derive, program: Program, j: int, positions: tuple, style: str,
            memo: dict | None = None):
    """(derive's template, what fills it, the pattern's templates, the key it was derived
    from) for node j's pattern:
    numbers as holes where that is sound (ascii), else with its numbers; None where no
    pattern applies. `memo` keeps node j's patterns for its other look-ups (its text,
    its other edges)."""
    for numbers in ((True, False) if style == "ascii" else (False,)):
        if memo is None:
            found = _pattern(program, j, numbers)
        elif numbers in memo:
            found = memo[numbers]
        else:
            found = memo[numbers] = _pattern(program, j, numbers)
        if found is None:
            return None
        (op, args), fill, holes, templates = found
        template = templates.get((derive, positions, style), _MISSING)
        if template is _MISSING:
            template = templates[derive, positions, style] = derive((op, positions, args),
                                                                   style)
        if template is not None:
            return template, fill, templates, (op, positions, args)
        if not holes:
            break  # no number was a hole: nothing to derive again
    return None


# --- simplification, as a person writes it --------------------------------------------

def _is(f, value: float) -> bool:
    return type(f) is Const and f.value == value


def _negated(f) -> Formula | None:
    """f without its sign, if f is a negation or a negative constant."""
    if type(f) is App and f.op == "neg":
        return f.args[0]
    if type(f) is Const and f.value < 0:
        if f.text.startswith("-") and exact.DECIMAL.fullmatch(f.text):
            return Const(-f.value, f.text[1:])
        return number_const(-f.value)
    return None


def number_const(value: float) -> Const:
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    return Const(float(value), text)


def rational(f: Formula):
    """The exact value of a formula made of numbers and arithmetic (1/3, 2 - 0.5), else
    None (w1, pi, log(2)). Formulas of numbers are template-sized: recursion is bounded."""
    if type(f) is Const:
        return exact.rational(f.text)
    if type(f) is not App or not OPS[f.op].infix:
        return None
    args = [rational(a) for a in f.args]
    return None if None in args else exact.arith(f.op, args)


def number_formula(r, fold: bool = True) -> Formula | None:
    """A rational as a person writes it: 3, 0.5, 1/3, −2/3. To fold, a decimal must be
    short and None says neither form is; a simplified form's number (fold=False) takes any
    exact decimal (0.3333333333333333, as the user typed it), else its float's."""
    text = exact.short(r) if fold else exact.decimal(r)
    if text is not None:
        return Const(float(r), text)
    if exact.small_ratio(r):
        return _ratio(r)
    return None if fold else number_const(float(r))


def _ratio(r) -> Formula:
    """p/q (or −p/q) as a division of two whole numbers."""
    body = App("div", (number_const(abs(r.numerator)), number_const(r.denominator)))
    return App("neg", (body,)) if r < 0 else body


def make(op: str, args: tuple) -> Formula:
    """App(op, args), with constants folded and the identities a person applies."""
    # arithmetic on numbers is folded when the result is short and exact (2-1 is 1, 0.5/2 is
    # 0.25, 1/3 stays 1/3); functions of numbers stay (log(2)), so do π and e (2·π)
    if OPS[op].infix and all(type(a) is Const or type(a) is App for a in args):
        rs = [rational(a) for a in args]
        r = None if None in rs else exact.arith(op, rs)
        # a whole number over a whole number stays a fraction, as it was written:
        # x/2 has the partial 1/2, as x/3 has 1/3 (0.5 only where the user wrote 0.5)
        whole = op == "div" and r is not None and r.denominator != 1 \
            and all(x.denominator == 1 for x in rs) and exact.small_ratio(r)
        folded = None if r is None else number_formula(r, fold=not whole) if not whole \
            else _ratio(r)
        if folded is not None:
            return folded
    if op == "neg":
        (a,) = args
        inner = _negated(a)
        return inner if inner is not None else App("neg", args)
    if op in ("add", "sub"):
        a, b = args
        if _is(b, 0):
            return a
        if _is(a, 0):
            return b if op == "add" else make("neg", (b,))
        if a == b:  # w1 + w1 is 2·w1, w1 - w1 is 0
            return make("mul", (number_const(2), a)) if op == "add" else ZERO
        nb = _negated(b)
        if nb is not None:  # a + (-b) is a - b, and a - (-b) is a + b
            return App("sub" if op == "add" else "add", (a, nb))
    elif op == "mul":
        a, b = args
        if _is(a, 0) or _is(b, 0):
            return ZERO
        if _is(a, 1):
            return b
        if _is(b, 1):
            return a
        na, nb = _negated(a), _negated(b)
        if na is not None or nb is not None:  # signs out front
            sign = (na is not None) != (nb is not None)
            body = make("mul", (na if na is not None else a, nb if nb is not None else b))
            return make("neg", (body,)) if sign else body
        if type(b) is Const and type(a) is not Const and rational(a) is None:
            return App("mul", (b, a))  # numbers first: 2·w1
        if _is_ratio(a) and rational(b) is None:  # (2/3)·w1 is 2·w1/3
            n, d = opened(a).args
            return make("div", (make("mul", (n, b)), d))
    elif op == "div":
        a, b = args
        if _is(b, 1):
            return a
        if _is(a, 0):
            return ZERO
        na = _negated(a)
        if na is not None:
            return make("neg", (make("div", (na, b)),))
    elif op == "pow":
        a, b = args
        if _is(b, 1):
            return a
        if _is(b, 0):
            return ONE
    return App(op, args)


def _is_ratio(f: Formula) -> bool:
    """Whether f is a fraction of numbers, 1/3, or a constant written as one."""
    if type(f) is Const:
        f = opened(f)
    return type(f) is App and f.op == "div" and rational(f) is not None


# --- printing ------------------------------------------------------------------------

_NEG_PREC = OPS["neg"].infix[0]
_COMPARE = OPS["lt"].infix[0]
_ATOM = 5
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def var_name(index: int, bar: bool, style: str) -> str:
    if style == "latex":
        n = index + 1
        return ("\\bar{w}_" if bar else "w_") + (str(n) if n < 10 else f"{{{n}}}")
    if not bar:
        return node_id(index)
    return f"{node_id(index)}bar" if style == "ascii" else f"w\u0304{index + 1}"


def _paren(text: str, style: str) -> str:
    if style == "latex" and _tall(text):
        return f"\\left({text}\\right)"
    return f"({text})"


def _tall(latex: str) -> bool:
    """Whether parentheses around this must grow: it holds a fraction."""
    return "\\frac" in latex


_LATEX_NUMBER_END = re.compile(r"(?:^|[^_\d.])[\d.]+$")  # 2, 2.5; not w_1's subscript
_CONTROL_WORD_END = re.compile(r"\\[A-Za-z]+$")  # \pi, \theta: a letter after would join it
_MULTI_LETTER_END = re.compile(r"\\mathit\{[^{}]*\}$")


def _times(left: str, right: str) -> str:
    """A product in LaTeX as the lecture writes it: juxtaposed (2w_1w_5, x^{2}\\cos(xy),
    \\bar{w}_4w_2), with \\cdot only where that would misread: before a number (2 \\cdot 3,
    w_1 \\cdot 2, not w_12), between a number and a fraction (not the mixed number 2½),
    between two bars, and beside a multi-letter name, which would run into its neighbour
    (\\mathit{rate} \\cdot x; a number before it is clear: 2\\mathit{rate})."""
    number_left = _LATEX_NUMBER_END.search(left) is not None
    if (right[:1].isdigit() or right[:1] == "."
            or (number_left and right.startswith("\\frac"))
            or (left.endswith("|") and right.startswith("|"))
            or _MULTI_LETTER_END.search(left)
            or (right.startswith("\\mathit") and not _LATEX_NUMBER_END.fullmatch(left))):
        return _fill("mul", [left, right])
    if _CONTROL_WORD_END.search(left) and right[:1].isalpha():
        return f"{left} {right}"
    return left + right


def _const_text(c: Const, style: str) -> tuple[str, int]:
    if style == "latex":
        from .latex_text import const_latex  # only --format latex needs it

        return const_latex(c)
    text = c.text.replace("pi", "π") if style == "unicode" else c.text.replace("π", "pi")
    if text.startswith("-"):
        return ("−" + text[1:] if style == "unicode" else text), _NEG_PREC
    if c.text in CONSTANTS:  # e, not (e)
        return text, _ATOM
    if text.replace(".", "", 1).replace("e", "", 1).replace("-", "").replace("+", "").isalnum():
        return text, _ATOM
    return f"({text})", _ATOM


def show(f: Formula, style: str = "unicode") -> str:
    return _show(f, style)[0]


def _show(f: Formula, style: str) -> tuple[str, int]:
    """(text, precedence) of a formula."""
    kind = type(f)
    if kind is Var:
        return var_name(f.index, f.bar, style), _ATOM
    if kind is Const:
        g = opened(f)  # 2*pi as 2π, 2*pi, 2\pi: the constant's formula, in the style
        return _const_text(f, style) if g is f else _show(g, style)
    if kind is Param:
        if style == "unicode":
            return f.name, _ATOM
        return (_param_latex(f.name) if style == "latex" else _param_ascii(f.name)), _ATOM
    op = OPS[f.op]
    infix = op.infix
    if f.op == "T":  # A.T, Aᵀ
        text, p = _show(f.args[0], style)
        mark = {"unicode": "ᵀ", "ascii": ".T", "latex": "^{\\top}"}[style]
        return (text if p == _ATOM else _paren(text, style)) + mark, _ATOM
    if f.op == "index":  # x[:2], the key a constant
        text, p = _show(f.args[0], style)
        return f"{text if p == _ATOM else _paren(text, style)}[{f.args[1].text}]", _ATOM
    if infix is None:  # a function call
        if style == "latex":  # e^{w1} is a power: (e^{w1})^{2}, not e^{w1}^{2}
            text = _fill(f.op, [_show(a, style)[0] for a in f.args])
            return text, OPS["pow"].infix[0] if "^" in OPS[f.op].latex else _ATOM
        return f"{op.shown or f.op}({', '.join(_show(a, style)[0] for a in f.args)})", _ATOM
    prec, sym = infix[0], infix[2] if style == "unicode" else infix[1]
    if f.op == "neg":
        text, p = _show(f.args[0], style)
        text = _paren(text, style) if p < 2 else text
        return (_fill(f.op, [text]) if style == "latex" else sym + text), prec
    left, lp = _show(f.args[0], style)
    right, rp = _show(f.args[1], style)
    if style == "latex" and f.op in ("pow", "div"):  # braced operands need no parentheses
        base = f.args[0]
        if f.op == "pow" and type(base) is App and "(" in OPS[base.op].latex:
            # a call's power as a teacher writes it: \sin^{2}(w_4), not \sin(w_4)^{2},
            # which reads as sin(w_4²); other powers of a call are bracketed
            b = f.args[1]
            head = OPS[base.op].latex.split("(", 1)[0]
            if (type(b) is Const and b.value > 0 and float(b.value).is_integer()
                    and re.fullmatch(r"\\[a-z]+", head)):
                operands = [_show(a, style)[0] for a in base.args]
                template = OPS[base.op].latex.replace("(", f"^{{{right}}}(", 1)
                return _fill(base.op, operands, template), prec
            left = _paren(left, style)
        elif f.op == "pow" and lp <= prec:
            left = _paren(left, style)
        return _fill(f.op, [left, right]), prec
    if f.op == "pow":  # right-associative, and tighter than unary minus
        if lp <= prec:
            left = f"({left})"
        b = f.args[1]
        if style == "unicode" and type(b) is Const and b.text.isascii() and b.text.isdigit():
            return left + b.text.translate(_SUPERSCRIPT), prec
        # 2**-z/w would read as (2**-z)/w: a negated exponent other than a number is wrapped
        wrap = rp < _NEG_PREC or (rp == _NEG_PREC and type(b) is not Const)
        return left + sym + (f"({right})" if wrap else right), prec
    ratio = f.op in ("mul", "div") and style != "latex"  # (1/3)·w1, not 1/3·w1
    chain = prec == _COMPARE  # comparisons do not chain: (a < b) < c
    if lp < prec or (chain and lp == prec) or (ratio and _is_ratio(f.args[0])):
        left = _paren(left, style)
    if (rp < prec or (rp == prec and (chain or f.op in ("sub", "div"))) or rp == _NEG_PREC
            or (ratio and _is_ratio(f.args[1]))):
        right = _paren(right, style)
    if style == "latex":  # a comparison is an Iverson bracket, [w_2 = 0]: an atom
        return ((_times(left, right) if f.op == "mul" else _fill(f.op, [left, right])),
                _ATOM if chain else prec)
    if style == "unicode" and f.op == "mul" and _number_pi(f.args):
        return left + right, prec  # 2π, as written by hand
    if f.op in ("add", "sub", "matmul") or chain:
        sym = f" {sym} "
    return left + sym + right, prec


def _number_pi(args: tuple) -> bool:
    a, b = args
    return (type(a) is Const and exact.DECIMAL.fullmatch(a.text) is not None
            and not a.text.startswith("-") and type(b) is Const and b.text in ("pi", "π"))


def _fill(op: str, operands: list[str], template: str | None = None) -> str:
    """The op table's LaTeX template with #1, #2 replaced, in one pass; its parentheses
    and bars grow around a fraction: \\cos(w_4), \\cos\\left(\\frac{w_1}{2}\\right)."""
    template = template or OPS[op].latex
    if any(_tall(t) for t in operands):
        template = template.replace("(", "\\left(").replace(")", "\\right)")
        if template.count("|") == 2:
            before, inside, after = template.split("|")
            template = f"{before}\\left|{inside}\\right|{after}"
    return re.sub(r"#([123])", lambda m: operands[int(m.group(1)) - 1], template)


_DOTS = (("ẇ̄", "\\dot{\\bar{w}}_", "dotbar"), ("ẇ", "\\dot{w}_", "dot"))


def _dotted(name: str) -> tuple[str, str, str] | None:
    """A tangent ẇ4 (simplify's) or the tangent of an adjoint ẇ̄4 (the second-order
    pass's): (its node number, its LaTeX, its ascii mark), else None."""
    for mark, latex, ascii_ in _DOTS:
        if name.startswith(mark) and name[len(mark):].isdigit():
            return name[len(mark):], latex, ascii_
    return None


def _param_ascii(name: str) -> str:
    """w4dot, w4dotbar: spellings the grammar reads, as w4bar is, and as the ASCII
    terminal spells ẇ4 and ẇ̄4 (ascii.MARKS)."""
    dotted = _dotted(name)
    return name if dotted is None else f"w{dotted[0]}{dotted[2]}"


def _param_latex(name: str) -> str:
    """A named leaf in LaTeX: a tangent ẇ4 as \\dot{w}_4 (ẇ̄4 as \\dot{\\bar{w}}_4), an
    input's name."""
    dotted = _dotted(name)
    if dotted is not None:
        n, latex, _ = dotted
        return latex + (n if len(n) == 1 else f"{{{n}}}")
    from .latex_text import name_math

    return name_math(name)


# --- what the tables print -------------------------------------------------------------

def node_formula(program: Program, i: int) -> Formula:
    node = program.nodes[i]
    return App(node.op, tuple(operand(a) for a in node.args))


def node_text(program: Program, i: int, style: str = "unicode", memo: dict | None = None
              ) -> str:
    """The definition of node i: `w1**2`, `cos(w4)`, `w6 + 1`; an input's name. `memo`:
    as for edge_texts."""
    node = program.nodes[i]
    if i < program.n_inputs:
        return node.names[0]
    if style in _CACHED_STYLES:
        found = _cached(_node_template, program, i, (), style, memo)
        if found is not None:
            return found[0].format(*found[1])
    return show(node_formula(program, i), style)


def edge_formula(program: Program, edge, style: str = "unicode", shapes=None) -> str:
    """The edge's partial; for an op with a vector–Jacobian product (A @ x), its rule,
    what the edge adds to the operand's adjoint: `w̄2 += w1ᵀ·w̄3`."""
    if OPS[program.nodes[edge.target].op].vjp is not None:
        return f"{var_name(edge.source, True, style)} += {rule_text(program, edge, shapes, style)}"
    if style not in _CACHED_STYLES:
        return show(edge_partial(program, edge), style)
    return edge_texts(program, edge, style)[0]


@lru_cache(maxsize=1)
def _rule_spelling():
    """Compiled on first use: scalar runs, the start-up's common case, never need them."""
    words = re.compile(r"(?<![A-Za-z0-9_])(?:g|a|b|out|key)(?![A-Za-z0-9_])")
    ascii_ = str.maketrans({"ᵀ": ".T", "·": "*", "⊙": "*", "−": "-"})
    latex = str.maketrans({"ᵀ": "^{\\top}", "·": " ", "⊙": " \\odot ", "−": "-"})
    prose = re.compile(r" at (?:the first \w+ entry|\[[^\]]*\], 0 elsewhere)")
    return words, ascii_, latex, prose


def rule_text(program: Program, edge, shapes, style: str = "unicode") -> str:
    """The op table's rule for this edge's operand(s), in the w's: g is the adjoint of
    the node using it, a and b its operands, out the node itself."""
    node = program.nodes[edge.target]
    op = OPS[node.op]
    rules = op.rule(*[a.value if type(a) is Const and type(a.value) is tuple else shapes[a]
                      for a in node.args])
    env = {"g": var_name(edge.target, True, style), "out": var_name(edge.target, False, style)}
    for name, a in zip(OPERAND_NAMES, node.args):
        env[name] = var_name(a, False, style) if type(a) is int else a.text
    if node.op == "index":
        env["key"] = node.args[1].text
    words, ascii_, latex, prose = _rule_spelling()
    texts = [words.sub(lambda m: env[m.group()], rules[k]) for k in edge.positions]
    text = " + ".join(texts)
    if style == "latex":
        return prose.sub(lambda m: f"\\text{{{m.group()}}}", text).translate(latex)
    return text.translate(ascii_) if style == "ascii" else text


def edge_texts(program: Program, edge, style: str = "unicode", memo: dict | None = None
               ) -> tuple[str, tuple[str, str] | None]:
    """An edge of scalars (no vector–Jacobian rule): its partial, and its term
    w̄_j·∂w_j/∂w_i in w_i's adjoint (a sign and a text; None where the partial is 0),
    from one look-up of its pattern. `memo`, a dict kept per target node, shares the
    look-up of the node's pattern between its edges and its text."""
    found = (_cached(_edge_template, program, edge.target, edge.positions, style, memo)
             if style in _CACHED_STYLES else None)
    if found is not None:
        partial, fill, templates, key = found
        slot = (_term_template, edge.positions, style)
        term = templates.get(slot)
        if term is None:  # not None once derived: the same partial did not fold
            term = templates[slot] = _term_template(key, style)
        sign, term = term
        return (partial.format(*fill),
                None if sign is None else (sign, term.format(*fill)))
    p = edge_partial(program, edge)
    return show(p, style), scaled_term(Var(edge.target, True), p, style)


def adjoint_sum(trace, i: int, terms: list, style: str = "unicode", more: str = "") -> str:
    """w̄_i from the terms (sign, text) of its successors, None for a zero term; the
    output's is the seed 1."""
    if trace.program.output == i:
        seed = trace.seed
        return "v" if seed is not None and (np.ndim(seed) or seed != 1) else "1"
    parts = [t for t in terms if t is not None]
    return signed_sum(parts, style) + more if parts else "0"


def scaled_term(symbol: Formula, p: Formula, style: str) -> tuple[str, str] | None:
    """symbol·p as the chain rule writes a term, w̄5·(−sin(w4)) as ("-", "w̄5·sin(w4)"):
    its sign and its text; None where p is 0."""
    name = _show(symbol, style)[0]
    negative = _negated(p)
    if negative is not None:
        p = negative
    if _is(p, 0):
        return None
    text, prec = _show(p, style)
    if _is(p, 1):
        term = name
    elif _is_ratio(p) and _is(opened(p).args[0], 1):  # w̄5/3, not w̄5·(1/3)
        term = _show(App("div", (symbol, opened(p).args[1])), style)[0]
    else:
        q = opened(p)
        if prec < _NEG_PREC and not (type(q) is App and q.op == "mul"
                                     and _number_pi(q.args)):
            text = _paren(text, style)  # w̄2·(w1 + 1), but w̄2·2π
        term = (_times(name, text) if style == "latex"
                else f"{name}{'*' if style == 'ascii' else '·'}{text}")
    return ("-" if negative is not None else "+"), term


def signed_sum(parts: list[tuple[str, str]], style: str) -> str:
    """Terms with their signs, a − b + c; 0 for none."""
    if not parts:
        return "0"
    minus = "−" if style == "unicode" else "-"
    sign, term = parts[0]
    first = minus + term if sign == "-" else term
    if len(parts) == 1:
        return first
    less = f" {minus} "
    return "".join([first, *[(less if sign == "-" else " + ") + term
                             for sign, term in parts[1:]]])


def adjoint_formula(trace, i: int, successors: list, style: str = "unicode",
                    max_terms: int | None = None) -> str:
    """w̄_i = Σ_j w̄_j · ∂w_j/∂w_i over the nodes j that use w_i; the output's is the seed 1.
    With max_terms, a longer sum shows its first terms and how many there are."""
    if trace.program.output == i or not successors:
        return adjoint_sum(trace, i, [], style)
    more = ""
    if max_terms is not None and len(successors) > max_terms:
        more = (f" + \\dots \\text{{ ({len(successors)} terms)}}" if style == "latex"
                else f" + … ({len(successors)} terms)")
        successors = successors[:max_terms]
    shapes = trace.tensor_shapes
    program = trace.program
    terms = []
    for edge in successors:
        if shapes is not None and OPS[program.nodes[edge.target].op].vjp is not None:
            terms.append(("+", rule_text(program, edge, shapes, style)))
            continue
        term = edge_texts(program, edge, style)[1] if style in _CACHED_STYLES else \
            scaled_term(Var(edge.target, True), edge_partial(program, edge), style)
        if term is not None and shapes is not None \
                and shapes[edge.source] != shapes[edge.target]:
            # broadcasting undone: summed back to w_i's shape
            text = term[1]
            term = (term[0], f"\\sum\\left({text}\\right)" if style == "latex"
                    else f"sum({text})")
        terms.append(term)
    return adjoint_sum(trace, i, terms, style, more)
