"""What a run's numbers are in exact arithmetic, where that is known: sin(π) is 0, though
float64 gives 1.2e-16.

A value is known exactly when it is r + s·π with r and s rational (numbers.Exact): the
inputs' values as typed (`y=pi/2`, from their text, not their float), constants, and
what the ops make of such values where the result stays in that set: sums, products with
a rational factor, integer powers of rationals, sin, cos and tan of rational multiples
of π where those are rational (0, ±1/2, ±1), and the few other values an op takes at
such points (exp(0) = 1, log(1) = 0, sqrt(9/4) = 3/2, asin(1/2) = π/6). 0 times anything,
known or not, is 0. The partials are the op table's templates evaluated the same way,
the adjoints the chain rule over them.

Runs of scalars at one point only, and programs of at most MAX_NODES nodes: the exact
values are for a person reading the tables, who reads small graphs.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from ..engine.program import Program
from ..engine.trace import Trace
from ..language.builder import NoFunctions
from . import exact

MAX_NODES = 5000

Exact = tuple  # (r, s): r + s·π, both Fractions


def _q(x) -> Exact:
    return (Fraction(x), Fraction(0))


ZERO, ONE = _q(0), _q(1)
PI = (Fraction(0), Fraction(1))


def is_zero(v: Exact | None) -> bool:
    return v is not None and v == ZERO


def text(v: Exact) -> str:
    """`0`, `1/2`, `pi/2`, `1 + 2*pi`: the exact value in backprop's own syntax."""
    r, s = v

    def ratio(q: Fraction) -> str:
        return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"

    if not s:
        return ratio(r)
    num, den = s.numerator, s.denominator
    pi = ("pi" if abs(num) == 1 else f"{abs(num)}*pi") + ("" if den == 1 else f"/{den}")
    pi = ("-" if num < 0 else "") + pi
    if not r:
        return pi
    return f"{ratio(r)} {'-' if num < 0 else '+'} {pi.lstrip('-')}"


def _float(v: Exact) -> float:
    return _rounded_float(v[0]) + _rounded_float(v[1]) * math.pi


def _rounded_float(q) -> float:
    """The float a rational rounds to: ±inf past the largest (1/y at y = 1e-320 is
    exactly 10^320), where float() raises."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def _sign(v: Exact) -> int:
    """The sign of r + s·π: exact when s is 0, else that of the float (π is irrational, so
    r + s·π ≠ 0, and the float's sign is right unless r ≈ −s·π beyond 15 digits)."""
    if not v[1]:
        return (v[0] > 0) - (v[0] < 0)
    f = _float(v)
    return (f > 0) - (f < 0)


def _rational(v: Exact) -> Fraction | None:
    return v[0] if v is not None and not v[1] else None


# sin(kπ/6), k = 0…11, where rational (None where it is not: √3/2)
_SIN_SIXTHS = [0, Fraction(1, 2), None, 1, None, Fraction(1, 2), 0, Fraction(-1, 2), None, -1,
               None, Fraction(-1, 2)]


def _sin(v: Exact) -> Exact | None:
    r, s = v
    if r:
        return None
    k = (s % 2) * 6
    if k.denominator != 1:
        return None
    value = _SIN_SIXTHS[int(k) % 12]
    return None if value is None else _q(value)


def _cos(v: Exact) -> Exact | None:
    return _sin((v[0], v[1] + Fraction(1, 2))) if not v[0] else None


def _tan(v: Exact) -> Exact | None:
    if v[0]:
        return None
    k = (v[1] % 1) * 4
    if k.denominator != 1 or k == 2:
        return None
    return _q((0, 1, None, -1)[int(k)])


def _pow(a: Exact, b: Exact) -> Exact | None:
    n = _rational(b)
    if n is None:
        return None
    if n == 0:
        return ONE
    if n == 1:
        return a
    base = _rational(a)
    if base is None or n.denominator != 1:
        if base is not None and base >= 0 and n.denominator == 2:  # a square root
            root = _sqrt_q(base)
            return None if root is None else _pow(_q(root), _q(n * 2))
        return None
    value = exact.arith("pow", [base, n])
    return None if value is None else _q(value)


def _sqrt_q(q: Fraction) -> Fraction | None:
    if q < 0:
        return None
    p, d = math.isqrt(q.numerator), math.isqrt(q.denominator)
    return Fraction(p, d) if p * p == q.numerator and d * d == q.denominator else None


def _special(table: dict):
    """A function known exactly at a few rational points only."""
    def f(v: Exact) -> Exact | None:
        r = _rational(v)
        return table.get(r) if r is not None else None
    return f


def _step(v):
    return _q(1 if _sign(v) > 0 else 0)


def _compare(test):
    return lambda a, b: _q(1 if test(_sign(_sub(a, b)), 0) else 0)


def _add(a, b):
    return (a[0] + b[0], a[1] + b[1])


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1])


def _mul(a, b):
    if a[1] and b[1]:
        return None  # a multiple of π²
    return (a[0] * b[0], a[0] * b[1] + a[1] * b[0])


def _div(a, b):
    if b == ZERO:
        return None
    if not b[1]:
        return (a[0] / b[0], a[1] / b[0])
    if not a[0] and not b[0]:
        return _q(a[1] / b[1])  # (sπ)/(tπ)
    return None


def _floor_like(f):
    def g(v):
        r = _rational(v)
        if r is not None:
            return _q(f(r))
        x = _float(v)  # r + s·π is never an integer unless s = 0
        return _q(f(Fraction(x))) if abs(x - round(x)) > 1e-9 else None
    return g


def _where(c, a, b):
    return a if _sign(c) != 0 else b


def _max(a, b):
    return a if _sign(_sub(a, b)) >= 0 else b


def _min(a, b):
    return a if _sign(_sub(a, b)) <= 0 else b


def _half_pi(k):
    return (Fraction(0), Fraction(k))


# op → its exact function of exact operands (None: not known exactly there)
_OPS = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div,
    "neg": lambda a: (-a[0], -a[1]), "pow": _pow,
    "sin": _sin, "cos": _cos, "tan": _tan,
    "exp": _special({0: ONE}), "expm1": _special({0: ZERO}),
    "log": _special({1: ZERO}), "log1p": _special({0: ZERO}),
    "log2": lambda v: _log_base(v, 2), "log10": lambda v: _log_base(v, 10),
    "sqrt": lambda v: None if _rational(v) is None or _sqrt_q(_rational(v)) is None
    else _q(_sqrt_q(_rational(v))),
    "cbrt": _special({0: ZERO, 1: ONE, -1: _q(-1), 8: _q(2), -8: _q(-2)}),
    "asin": _special({0: ZERO, 1: _half_pi(Fraction(1, 2)), -1: _half_pi(Fraction(-1, 2)),
                      Fraction(1, 2): _half_pi(Fraction(1, 6)),
                      Fraction(-1, 2): _half_pi(Fraction(-1, 6))}),
    "acos": _special({1: ZERO, 0: _half_pi(Fraction(1, 2)), -1: PI,
                      Fraction(1, 2): _half_pi(Fraction(1, 3)),
                      Fraction(-1, 2): _half_pi(Fraction(2, 3))}),
    "atan": _special({0: ZERO, 1: _half_pi(Fraction(1, 4)), -1: _half_pi(Fraction(-1, 4))}),
    "sinh": _special({0: ZERO}), "cosh": _special({0: ONE}), "tanh": _special({0: ZERO}),
    "sigmoid": _special({0: _q(Fraction(1, 2))}), "erf": _special({0: ZERO}),
    "erfc": _special({0: ONE}),
    "abs": lambda v: v if _sign(v) >= 0 else (-v[0], -v[1]),
    "relu": lambda v: v if _sign(v) > 0 else ZERO,
    "sign": lambda v: _q(_sign(v)), "step": _step,
    "max": _max, "min": _min,
    "floor": _floor_like(math.floor), "ceil": _floor_like(math.ceil),
    "lt": _compare(lambda s, z: s < z), "le": _compare(lambda s, z: s <= z),
    "gt": _compare(lambda s, z: s > z), "ge": _compare(lambda s, z: s >= z),
    "eq": _compare(lambda s, z: s == z), "ne": _compare(lambda s, z: s != z),
    "where": _where, "clip": lambda a, lo, hi: _min(_max(a, lo), hi),
}


def _log_base(v, base):
    r = _rational(v)
    if r is None or r <= 0 or r.denominator != 1:
        return None
    k = 0
    n = r.numerator
    while n % base == 0:
        n //= base
        k += 1
    return _q(k) if n == 1 else None


def apply(op: str, args: list) -> Exact | None:
    """op applied to exact operands (None where an operand is not known), or None. A
    product with an operand exactly 0 is 0, known or not."""
    if op == "mul" and (is_zero(args[0]) or is_zero(args[1])):
        return ZERO
    if op == "div" and is_zero(args[0]) and args[1] is not None and args[1] != ZERO:
        return ZERO
    f = _OPS.get(op)
    if f is None or any(a is None for a in args):
        if op == "where" and args[0] is not None:
            return args[1] if _sign(args[0]) != 0 else args[2]
        return None
    try:
        return f(*args)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None


class _ExactBuilder(NoFunctions):
    """A constant's text (2*pi, pi/2, 1e-3) as an exact value, or None."""

    def number(self, text, start, end):
        r = exact.rational(text)
        return None if r is None else _q(r)

    def name(self, id, start, end):
        return PI if id in ("pi", "π") else None

    def operator(self, op, args, start, end):
        return apply(op, list(args))

    def call(self, fname, args, start, end, name_end):
        from ..engine.ops import ALIASES

        return apply(ALIASES.get(fname, fname), list(args))

    def tensor_op(self, op, args, start, end):
        return None

    def array(self, items, start, end):
        return None

    def slice(self, kind, parts, start, end):
        return None

    def statement(self, name, value, start, end):
        self.value = value

    def result(self):
        return self.value


@lru_cache(maxsize=4096)
def of_text(text: str) -> Exact | None:
    """The exact value of a constant expression's text, or None."""
    from ..errors import BackpropError
    from ..language.parser import parse

    try:
        return parse(text, "constant", "constant", _ExactBuilder())
    except BackpropError:
        return None


class ExactTrace(NamedTuple):
    """Per node its exact value, per node a tuple of its partials' (aligned with the
    operands), per node its adjoint's, per input the gradient's: None where not known."""

    values: list
    partials: list
    adjoints: list
    gradient: dict
    # nodes of a piecewise op that float64's rounding put on another piece than exact
    # arithmetic would (sin(π) > 0 is 1): their exact value, which the run did not take
    flipped: dict


def _template_value(f, env):
    """A template's formula (symbolic.formula) evaluated exactly; templates are a few
    nodes deep."""
    from .formula import App, Param

    if type(f) is Param:
        return env[f.name]
    if type(f) is App:
        return apply(f.op, [_template_value(a, env) for a in f.args])
    return of_text(f.text)


def exact_trace(trace: Trace, inputs: dict[str, str]) -> ExactTrace | None:
    """The exact values of a scalar run at one point whose inputs were typed as `inputs`
    (name → text), or None for runs this does not cover (vectors, big graphs)."""
    from ..engine.ops import OPERAND_NAMES, OPS
    from .formula import template

    program: Program = trace.program
    n = len(program.nodes)
    if trace.tensor or n > MAX_NODES or not trace.has_adjoints:
        return None
    vals: list = [None] * n
    for k, name in enumerate(program.inputs):
        text_ = inputs.get(name)
        vals[k] = of_text(text_) if text_ is not None else None
    parts: list = [()] * n
    flipped: dict = {}
    for j in range(program.n_inputs, n):
        node = program.nodes[j]
        args = [vals[a] if type(a) is int else of_text(a.text) for a in node.args]
        vals[j] = apply(node.op, args)
        env = dict(zip(OPERAND_NAMES, args))
        env["out"] = vals[j]
        parts[j] = tuple(None if type(a) is not int else _template_value(template(node.op, k), env)
                         for k, a in enumerate(node.args))
        op = OPS[node.op]
        if op.taken is not None and args[0] is not None:  # where's untaken edge
            taken = _sign(args[0]) != 0
            parts[j] = (ZERO, ONE if taken else ZERO, ZERO if taken else ONE)
        if op.kink is not None or op.taken is not None:
            # piecewise: where rounding moved an operand across a jump (sin(π) > 0 is 1 in
            # float64, 0 exactly), the run took another piece than exact arithmetic would;
            # what it computed there has no exact value to claim
            if not _agrees(vals[j], trace.values[j]):
                flipped[j], vals[j] = vals[j], None
            parts[j] = tuple(None if not _agrees(q, d) else q
                             for q, d in zip(parts[j], trace.partials[j]))
    adj: list = [ZERO] * n
    if type(program.output) is int:
        adj[program.output] = ONE
    for j in range(n - 1, program.n_inputs - 1, -1):
        g = adj[j]
        for a, p in zip(program.nodes[j].args, parts[j]):
            if type(a) is int:
                term = apply("mul", [g, p])
                adj[a] = None if adj[a] is None or term is None else _add(adj[a], term)
    gradient = {name: adj[k] for k, name in enumerate(program.inputs)}
    return ExactTrace(vals, parts, adj, gradient, flipped)


def _agrees(v: Exact | None, value) -> bool:
    """Whether a run's number is the exact value up to rounding (not another piece of a
    piecewise op): unknown values agree."""
    if v is None or value is None:
        return True
    try:
        f = float(value)
    except (TypeError, ValueError):
        return True
    x = _float(v)
    return not math.isfinite(f) or abs(x - f) <= 1e-9 * max(1.0, abs(x))


def rounded_zero(exact_value: Exact | None, value) -> bool:
    """Whether a value is exactly 0 and its float is not: noise of rounding."""
    try:
        return is_zero(exact_value) and float(value) != 0.0
    except (TypeError, ValueError):
        return False


def rounded(exact_value: Exact | None, value) -> str | None:
    """The exact value's text where the float is not what it rounds to (sin(π) is 0, not
    1.2e-16; cos(π/3) is 1/2, not 0.5000000000000001); None where it is or is unknown."""
    if exact_value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if f == _float(exact_value) else text(exact_value)


_LAST: list = [None, None]  # the last trace asked about and its exact values


def exact_of(trace: Trace) -> ExactTrace | None:
    """exact_trace of a trace, with the texts it was given: every table and the JSON
    document ask about the same trace, so the last one is kept."""
    if _LAST[0] is not trace:
        _LAST[:] = [trace, exact_trace(trace, trace.input_texts or {})]
    return _LAST[1]


def output_exact(trace: Trace) -> Exact | None:
    """The output's exact value: its node's, or a folded constant's (sin(pi) is 0)."""
    out = trace.program.output
    if type(out) is not int:
        return of_text(out.text) if type(out.value) is float else None
    known = exact_of(trace)
    return known.values[out] if known is not None else None
