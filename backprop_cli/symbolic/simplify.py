"""Formulas simplified as a person writes them: w̄1 = 2·w1·w5 − w2·w3·sin(w4).

A formula (formula.py's Var, Const, App) is brought to a normal form: a sum of terms,
each a number times a product of factors raised to powers. In that form constants fold,
ones and zeros vanish, signs come out front, like terms collect, and factors sort the
way the lecture writes them: numbers, then named constants (π), then w̄'s and w's by
index, then function calls. Function arguments are normal forms too, so sin(w1·w2) and
sin(w2·w1) are one factor. Back in formula.py's trees, formula.show prints the result
in either style, and the ascii one parses again.

The rules hold wherever the original formula is defined: w^a·w^b is w^(a+b), and a
fractional power is only taken apart where that is true for every sign (w^0.5 stays).

Shapes (all tuples, so they hash, and they are their own sort keys):
    atom       (0, value, text)  a named constant: pi, e
               (1, i)            w̄_i, kept as a symbol where its own form is too long
               (2, i, dot)       w_i, or its tangent ẇ_i when dot is 1
               (3, op, args)     a call; args are frozen sums
               (4, frozen)       a sum of several terms used as a factor: 1/(1 + w1²)
    monomial   tuple of (atom, exponent), sorted by atom
    sum        dict monomial → coefficient; {} is 0, {(): c} the number c
Coefficients and exponents are exact rationals (ints, or fractions.Fraction), read from
the decimal text of the constants (0.1 is 1/10), so w1/3 prints as w1/3 and 2·π·w1 keeps
its π; one grown too long for a person to read (1.1**40) falls back to its float's
decimal (exact.bounded).
Everything here is as deep as a formula kept under MAX_EXPANDED, so recursion is bounded.
"""

from __future__ import annotations

import math
from fractions import Fraction

from . import exact
from .formula import (App, Const, Formula, Param, Var, arithmetic, edge_partial,
                      number_const, number_formula, opened)
from ..engine.ops import CONSTANTS

# Factors and terms a simplified formula may hold before it counts as too long: an adjoint
# in the table's column, a gradient entry in terms of the inputs (the wider column). Past
# MAX_SIZE an adjoint stays as the symbol w̄_j in the sums that use it.
MAX_SIZE = 30
MAX_EXPANDED = 100
MAX_NODES = 5000  # graphs larger than this are not simplified at all (~60 µs a node)


class TooLong(Exception):
    """A formula grew past MAX_SIZE."""


ONE: dict = {(): 1}
_ONE, _MINUS_ONE = 1, -1  # whole numbers are ints: they hash faster than Fractions


# --- arithmetic on normal forms ----------------------------------------------------------

def number(c) -> dict:
    """The number c: an int or Fraction, exact; a float by its shortest decimal."""
    if type(c) is float:
        if not math.isfinite(c):
            raise TooLong("a coefficient is not finite")
        c = Fraction(repr(float(c)))
    return {(): exact.bounded(c)} if c != 0 else {}


def atom(a) -> dict:
    return {((a, _ONE),): _ONE}


def is_number(s: dict) -> bool:
    return not s or (len(s) == 1 and () in s)


def value(s: dict) -> Fraction:
    return s.get((), 0)


def freeze(s: dict) -> tuple:
    return tuple(sorted(s.items()))


def add(a: dict, b: dict) -> dict:
    out = dict(a)
    for m, c in b.items():
        c = exact.bounded(out.get(m, 0) + c)
        if c == 0:
            out.pop(m, None)
        else:
            out[m] = c
    return out


def scale(a: dict, k: Fraction) -> dict:
    return {m: exact.bounded(c * k) for m, c in a.items()} if k != 0 else {}


def _times(m1: tuple, m2: tuple) -> tuple:
    if not m1 or not m2:
        return m1 or m2
    powers = dict(m1)
    for a, e in m2:
        e = exact.bounded(powers.get(a, 0) + e)
        if e == 0:
            powers.pop(a, None)
        else:
            powers[a] = e
    return tuple(sorted(powers.items()))


def mul(a: dict, b: dict) -> dict:
    if len(a) * len(b) > MAX_EXPANDED:
        raise TooLong("too many terms")
    out: dict = {}
    for m1, c1 in a.items():
        for m2, c2 in b.items():
            out = add(out, {_times(m1, m2): exact.bounded(c1 * c2)})
    return out


def power(a: dict, b: dict) -> dict:
    if not is_number(b):
        return call("pow", (a, b))
    k = value(b)
    if k == 0:
        return dict(ONE)  # 0**0 is 1 too, as numpy says
    if k == 1:
        return a
    integer = k.denominator == 1 and abs(k) <= exact.MAX_EXPONENT
    if is_number(a):  # exact, or kept as written: 2^0.5 is no rational
        r = exact.arith("pow", [value(a), k])
        return number(r) if r is not None else call("pow", (a, b))
    if len(a) == 1:
        ((m, c),) = a.items()
        if integer:  # (c·w1·w2²)^k = c^k·w1^k·w2^(2k)
            return {tuple((x, exact.bounded(e * k)) for x, e in m):
                    exact.bounded(Fraction(c) ** int(k))}
        if c == 1 and len(m) == 1 and m[0][1] == 1:  # w^0.5 stays as it is
            return {((m[0][0], k),): _ONE}
        return call("pow", (a, b))
    if integer:
        return {(((4, freeze(a)), k),): _ONE}
    return call("pow", (a, b))


def divide(a: dict, b: dict) -> dict:
    if not b:
        raise TooLong("division by zero")  # the formula is not defined: keep the chain rule
    return mul(a, power(b, {(): _MINUS_ONE}))


def call(op: str, args: tuple) -> dict:
    return atom((3, op, tuple(freeze(x) for x in args)))


def apply(op: str, args: tuple) -> dict:
    """The normal form of op(args), args being normal forms."""
    if op == "add":
        return add(args[0], args[1])
    if op == "sub":
        return add(args[0], scale(args[1], _MINUS_ONE))
    if op == "neg":
        return scale(args[0], _MINUS_ONE)
    if op == "mul":
        return mul(args[0], args[1])
    if op == "div":
        return divide(args[0], args[1])
    if op == "pow":
        return power(args[0], args[1])
    return call(op, args)


def normal(f: Formula, env: dict | None = None) -> dict:
    """The normal form of a formula tree; env maps Var → normal form (substitution)."""
    kind = type(f)
    if kind is Var:
        if env is not None and f in env:
            return env[f]
        return atom((1, f.index)) if f.bar else atom((2, f.index, 0))
    if kind is Const:  # pi and e keep their names; numbers are exact; 2*pi is 2·π
        if f.text in CONSTANTS:
            return atom((0, f.value, f.text))
        r = exact.rational(f.text)
        if r is not None:
            return number(r)
        g = opened(f)
        # arithmetic on numbers, π and e is taken apart (2*pi is 2·π); a constant with a
        # call in it (exp(1)), or too long to re-read, stays one factor, as π does
        return normal(g, env) if arithmetic(g) else atom((0, f.value, f.text))
    if kind is App:
        return apply(f.op, tuple(normal(a, env) for a in f.args))
    raise ValueError(f"cannot simplify {f!r}")


def size(s: dict) -> int:
    total = 0
    for m in s:
        total += 1
        for a, _ in m:
            if a[0] == 3:
                total += 1 + sum(size(dict(x)) for x in a[2])
            elif a[0] == 4:
                total += size(dict(a[1]))
            else:
                total += 1
    return total


def checked(s: dict, limit: int = MAX_SIZE) -> dict:
    if size(s) > limit:
        raise TooLong("too long")
    return s


def substitute(s: dict, env: list) -> dict:
    """s with each w_i atom replaced by env[i] (a normal form; None: too long), simplified
    again."""
    out: dict = {}
    for m, c in s.items():
        term = {(): c}
        for a, e in m:
            term = mul(term, power(_substitute_atom(a, env), {(): e}))
        out = add(out, term)
    return checked(out, MAX_EXPANDED)


def _substitute_atom(a: tuple, env: list) -> dict:
    if a[0] == 2:
        if env[a[1]] is None:
            raise TooLong("a node's definition is too long")
        return env[a[1]]
    if a[0] == 3:
        return apply(a[1], tuple(substitute(dict(x), env) for x in a[2]))
    if a[0] == 4:
        return substitute(dict(a[1]), env)
    return atom(a)


# --- back to formula trees -----------------------------------------------------------------

def _number(c) -> Formula:
    """A number alone as written: 3, 0.5 (not 1/2), 1/3, −2/3."""
    return number_formula(c, fold=False)


def _ratio(c) -> tuple[Formula | None, Formula | None]:
    """A positive coefficient as (numerator, denominator) leaves of a product, None for
    1: w1/2 and 2·w1/3 as fractions, 0.001·w1 and 0.3333333333333333·w1 (as the user
    typed it) as decimals."""
    if exact.small_ratio(c) and (c.denominator <= 64 or exact.decimal(c) is None):
        p, q = c.numerator, c.denominator
        return (None if p == 1 else number_const(p)), (None if q == 1 else number_const(q))
    return _number(c), None


def _product(factors: list) -> Formula | None:
    out = None
    for f in factors:
        out = f if out is None else App("mul", (out, f))
    return out


def to_formula(s: dict, var=Var, keep_order: bool = False) -> Formula:
    """The tree of a normal form, terms in canonical order (a positive one first when
    there is one); `var(i)` gives the leaf of w_i (Var(i), or an input's name)."""
    terms = list(s.items()) if keep_order else sorted(s.items(), key=_term_key)
    if not keep_order and terms and terms[0][1] < 0:
        for k, (_, c) in enumerate(terms):
            if c > 0:  # w5 − w3, not −w3 + w5
                terms.insert(0, terms.pop(k))
                break
    out = None
    for m, c in terms:
        t = _monomial(m, abs(c), var)
        if out is None:
            out = App("neg", (t,)) if c < 0 else t
        else:
            out = App("sub" if c < 0 else "add", (out, t))
    return out if out is not None else number_const(0)


def _term_key(item):
    m = item[0]  # fewer factors first, as in y·e^(xy) + x·y²·e^(xy); the constant last
    return (not m, len(m), tuple((a, -e) for a, e in m))


def _monomial(m: tuple, c, var) -> Formula:
    if not m:  # a number alone as written: 0.5, not 1/2
        return _number(c)
    p, q = _ratio(c)
    top, bottom = [], []
    for a, e in m:
        (top if e > 0 else bottom).append((a, abs(e)))
    num = [p] if p is not None else [] if top else [number_const(1)]
    num += [_factor(a, e, var) for a, e in top]
    den = [q] if q is not None else []
    den += [_factor(a, e, var) for a, e in bottom]
    tree = _product(num)
    return tree if not den else App("div", (tree, _product(den)))


def _factor(a: tuple, e, var) -> Formula:
    base = _atom_formula(a, var)
    return base if e == 1 else App("pow", (base, _number(e)))


def _atom_formula(a: tuple, var) -> Formula:
    kind = a[0]
    if kind == 0:
        return Const(a[1], a[2])
    if kind == 1:
        return Var(a[1], True)
    if kind == 2:
        return var(a[1]) if not a[2] else Param(f"ẇ{a[1] + 1}")
    if kind == 3:
        return App(a[1], tuple(to_formula(dict(x), var) for x in a[2]))
    return to_formula(dict(a[1]), var)


def simplify(f: Formula) -> Formula:
    """A formula tree in its simplified form (raises TooLong)."""
    return to_formula(checked(normal(f)))


# --- the adjoints, in backward order ----------------------------------------------------

class Adjoints:
    """The simplified adjoints of a trace: w̄_i = Σ_j w̄_j·∂w_j/∂w_i with each w̄_j's own
    simplified form substituted, derived on demand for the rows asked for (and the nodes
    they depend on), memoized. Where a w̄_j's form is too long, it is None and the sums
    that use it keep the symbol w̄_j: the chain-rule form, one level down."""

    def __init__(self, trace, successors: list | None = None):
        self.trace = trace
        self.program = trace.program
        self.succ = successors if successors is not None else trace.successors()
        self.too_big = len(self.program.nodes) > MAX_NODES
        self.memo: dict[int, dict | None] = {}

    def normal(self, i: int) -> dict | None:
        """w̄_i as a normal form, or None when it is too long (or the graph too big)."""
        if self.too_big:
            return None
        if i not in self.memo:
            self._derive(i)
        return self.memo[i]

    def formula(self, i: int) -> Formula | None:
        s = self.normal(i)
        return None if s is None else to_formula(s)

    def _derive(self, i: int) -> None:
        # the nodes w̄_i depends on, found with a stack, then derived from the last down
        todo, stack = {i}, [i]
        while stack:
            for edge in self.succ[stack.pop()]:
                if edge.target not in self.memo and edge.target not in todo:
                    todo.add(edge.target)
                    stack.append(edge.target)
        out = self.program.output
        for k in sorted(todo, reverse=True):
            if k == out:
                self.memo[k] = dict(ONE)
                continue
            try:
                total: dict = {}
                for edge in self.succ[k]:
                    bar = self.memo[edge.target]
                    if bar is None:
                        bar = atom((1, edge.target))
                    if bar:
                        total = add(total, mul(bar, normal(edge_partial(self.program, edge))))
                self.memo[k] = checked(total)
            except TooLong:
                self.memo[k] = None


def expansions(program, upto: int) -> list:
    """Each node w1…w_upto in terms of the inputs (normal forms; None when too long)."""
    out: list = []
    for i in range(min(upto, len(program.nodes))):
        node = program.nodes[i]
        if i < program.n_inputs:
            out.append(atom((2, i, 0)))
            continue
        args = []
        for a in node.args:
            args.append(out[a] if type(a) is int else normal(a))
        if any(x is None for x in args):
            out.append(None)
            continue
        try:
            out.append(checked(apply(node.op, tuple(args)), MAX_EXPANDED))
        except TooLong:
            out.append(None)
    return out


def expanded_gradient(adjoints: Adjoints) -> dict[str, Formula | None]:
    """∂f/∂input in terms of the inputs: the input's simplified adjoint with every node
    replaced by its definition down to the inputs, simplified again. Inputs print by
    name (x, y); None where a form is too long."""
    program = adjoints.program
    names = program.inputs
    forms = [adjoints.normal(k) for k in range(program.n_inputs)]
    upto = 0
    for s in forms:
        for m in s or ():
            upto = max([upto] + [_top(a) + 1 for a, _ in m])
    env = expansions(program, upto)
    out: dict[str, Formula | None] = {}
    for k, name in enumerate(names):
        s = forms[k]
        if s is None or _has_bar(s):
            out[name] = None
            continue
        try:
            e = substitute(s, env)
        except TooLong:
            out[name] = None
            continue
        out[name] = to_formula(e, var=lambda i: Param(names[i]))
    return out


def _top(a: tuple) -> int:
    """The highest node index an atom mentions."""
    if a[0] in (1, 2):
        return a[1]
    if a[0] == 3:
        return max([_top(x) for arg in a[2] for m, _ in arg for x, _ in m] + [-1])
    if a[0] == 4:
        return max([_top(x) for m, _ in a[1] for x, _ in m] + [-1])
    return -1


def _has_bar(s: dict) -> bool:
    return any(_atom_has_bar(a) for m in s for a, _ in m)


def _atom_has_bar(a: tuple) -> bool:
    if a[0] == 1:
        return True
    if a[0] == 3:
        return any(_has_bar(dict(x)) for x in a[2])
    if a[0] == 4:
        return _has_bar(dict(a[1]))
    return False


# --- tangents, for the forward-mode table ---------------------------------------------------

def tangent_formula(program, j: int) -> Formula:
    """ẇ_j = Σ_k ∂w_j/∂a_k · ẇ_{a_k} over the operands that are nodes, each term
    simplified and the terms in operand order, as the product rule reads:
    ẇ4 = ẇ1·w2 + w1·ẇ2. The tangents print as ẇ (the terminal's style only)."""
    from ..engine.trace import Edge

    positions: dict[int, list[int]] = {}
    for k, a in enumerate(program.nodes[j].args):
        if type(a) is int:
            positions.setdefault(a, []).append(k)
    if program.nodes[j].op == "mul" and len(positions) == 2:  # the product rule
        a, b = (Var(i) for i in positions)
        da, db = (Param(f"ẇ{i + 1}") for i in positions)
        return App("add", (App("mul", (da, b)), App("mul", (a, db))))
    terms: dict = {}  # each term holds its own ẇ_i, so no two collide
    for i, ks in positions.items():
        term = mul(normal(edge_partial(program, Edge(i, j, tuple(ks)))), atom((2, i, 1)))
        terms.update(sorted(term.items(), key=_term_key))
    return to_formula(terms, keep_order=True)
