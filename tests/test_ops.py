"""Every row of the op table (backprop_cli/ops.py), held three ways:

(a) each numeric partial against central differences of the row's own forward function;
(b) each symbolic template, substituted with the operands' values and evaluated by a tiny
    evaluator written here, against the numeric partial, so the two spellings of one
    derivative cannot drift apart;
(c) each op as a user reaches it: a call `name(x)` / `name(x, y)`, or the operator.

Points are drawn per op inside its domain and away from its kinks, from a seeded
generator, so every run checks the same points.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop_cli import differentiate
from backprop_cli.errors import BackpropError, DomainError, UnknownNameError
from backprop_cli.symbolic.formula import App, Param, Var, partial, substitute, template
from backprop_cli.engine.ops import OPS, OVERLOADS, callable_names
from backprop_cli.engine.program import Const
from backprop_cli.render.sentences import diagnostic_message

# The elementwise rows (partials and templates); the rows of vectors and matrices give a
# vector–Jacobian product instead, and tests/test_tensors.py checks those.
ALL_OPS = sorted(n for n, op in OPS.items() if op.vjp is None)
N_POINTS = 8


# --- points inside each op's domain, away from its kinks --------------------------------

def _uniform(lo, hi):
    return lambda rng: rng.uniform(lo, hi)


def _away_from_zero(lo, hi):
    """|a| in [lo, hi] with a random sign: away from the kink at 0."""
    return lambda rng: rng.choice([-1.0, 1.0]) * rng.uniform(lo, hi)


_ANY = _uniform(-3.0, 3.0)
_POSITIVE = _uniform(0.1, 5.0)

# Per op, one sampler per operand (an op with a joint constraint gets a joint sampler).
_SAMPLERS = {
    "add": (_ANY, _ANY), "sub": (_ANY, _ANY), "mul": (_ANY, _ANY),
    "div": (_ANY, _away_from_zero(0.5, 3.0)),
    "neg": (_ANY,),
    "pow": (_uniform(0.2, 3.0), _uniform(-3.0, 3.0)),  # a positive base: both partials exist
    "sin": (_ANY,), "cos": (_ANY,), "tan": (_uniform(-1.2, 1.2),),
    "asin": (_uniform(-0.9, 0.9),), "acos": (_uniform(-0.9, 0.9),), "atan": (_ANY,),
    "sinh": (_ANY,), "cosh": (_ANY,), "tanh": (_ANY,), "exp": (_ANY,),
    "log": (_POSITIVE,), "log2": (_POSITIVE,), "log10": (_POSITIVE,), "sqrt": (_POSITIVE,),
    "abs": (_away_from_zero(0.1, 3.0),), "relu": (_away_from_zero(0.1, 3.0),),
    "sigmoid": (_ANY,),
    "sign": (_away_from_zero(0.1, 3.0),), "step": (_away_from_zero(0.1, 3.0),),
    "where": (_away_from_zero(0.5, 3.0), _ANY, _ANY),
    "atan2": (_away_from_zero(0.2, 3.0), _ANY), "hypot": (_away_from_zero(0.2, 3.0), _ANY),
    "log1p": (_uniform(-0.9, 3.0),), "expm1": (_ANY,), "erf": (_ANY,), "erfc": (_ANY,),
    "softplus": (_ANY,), "cbrt": (_away_from_zero(0.2, 3.0),),
}


def _off_integers(offset):
    """floor, ceil, round: a whole number plus a fraction in offset + [0.1, 0.4], away
    from the jumps (at integers; round's half-way between them)."""
    return lambda rng: (rng.integers(-3, 3) + offset + rng.uniform(0.1, 0.4),)


def _apart(rng):
    """Comparisons: two operands at least 0.1 apart, as max and min."""
    return _tie_free(rng)


def _inside_or_out(rng):
    """clip(x, lo, hi): lo < hi, x at least 0.1 from both bounds."""
    lo = rng.uniform(-2.0, 0.0)
    hi = lo + rng.uniform(0.5, 2.0)
    while True:
        x = rng.uniform(-3.0, 3.0)
        if min(abs(x - lo), abs(x - hi)) >= 0.1:
            return x, lo, hi


def _tie_free(rng):
    """max/min: two operands at least 0.1 apart."""
    a = rng.uniform(-3.0, 3.0)
    return a, a + rng.choice([-1.0, 1.0]) * rng.uniform(0.1, 3.0)


_JOINT = {"max": _tie_free, "min": _tie_free, "floor": _off_integers(0.0),
          "ceil": _off_integers(0.0), "round": _off_integers(0.5), "clip": _inside_or_out,
          **{name: _apart for name in ("lt", "le", "gt", "ge", "eq", "ne")}}


def points(name: str, n: int = N_POINTS) -> list[tuple[np.float64, ...]]:
    rng = np.random.default_rng(_seed(name))
    out = []
    for _ in range(n):
        if name in _JOINT:
            pt = _JOINT[name](rng)
        else:
            pt = tuple(s(rng) for s in _SAMPLERS[name])
        out.append(tuple(np.float64(v) for v in pt))
    return out


def _seed(name: str) -> int:
    # a stable per-op seed (hash() of a str is salted per process)
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) + 20240


def test_every_op_has_points():
    """A new row in OPS must get a sampler here, or its checks would silently be missing."""
    assert set(_SAMPLERS) | set(_JOINT) == set(ALL_OPS)
    for name in ALL_OPS:
        for pt in points(name):
            assert len(pt) == OPS[name].arity


# --- the table is well formed --------------------------------------------------------

@pytest.mark.parametrize("name", ALL_OPS)
def test_row_is_well_formed(name):
    op = OPS[name]
    assert op.name == name
    assert op.arity in (1, 2, 3)
    assert len(op.partials) == op.arity
    assert len(op.templates) == op.arity
    assert op.doc
    if op.domain is not None:
        assert op.domain_text
    if op.kink is not None:
        assert op.kink_text


@pytest.mark.parametrize("name", ALL_OPS)
def test_sample_points_are_in_domain_and_off_kinks(name):
    op = OPS[name]
    for pt in points(name):
        if op.domain is not None:
            assert op.domain(*pt), pt
        if op.kink is not None:
            assert not op.kink(*pt), pt
        assert math.isfinite(op.forward(*pt))


FLOAT_ROWS = sorted(name for name, op in OPS.items() if op.floats is not None)


@pytest.mark.parametrize("name", FLOAT_ROWS)
def test_a_rows_float_form_gives_its_array_forms_numbers(name):
    """Op.floats (math, for descent's float passes) against the row's numpy functions: the
    value, the partials and the second partials, to the last digits where math and numpy
    round differently."""
    op = OPS[name]
    forward, partials, second = op.floats
    partials, second = partials or op.partials, second or op.second
    for pt in points(name):
        xs = [float(v) for v in pt]
        out, want = forward(*xs), op.forward(*pt)
        assert type(out) is float and out == pytest.approx(float(want), rel=4e-16, abs=1e-300)
        for got, array in [(partials, op.partials), (second, op.second)]:
            for f, g in zip(got, array):
                value = f(*xs, out)
                assert type(value) is float, (name, f)
                assert value == pytest.approx(float(g(*pt, want)), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name,at", [("log", (-1.0,)), ("log", (0.0,)), ("sqrt", (-1.0,)),
                                     ("asin", (1.5,)), ("acos", (-2.0,)), ("div", (1.0, 0.0)),
                                     ("pow", (-8.0, 1 / 3)), ("pow", (0.0, -1.0)),
                                     ("log1p", (-1.0,)), ("log2", (0.0,)), ("exp", (1000.0,))])
def test_a_float_form_raises_where_the_array_form_leaves_the_finite(name, at):
    """The float passes hand such a point to the numpy drivers, which say why."""
    with pytest.raises((ValueError, ArithmeticError)):
        OPS[name].floats[0](*at)


# --- (a) numeric partials against central differences -----------------------------------

def central_difference(f, pt, k):
    """∂f/∂(operand k) by central differences with a Richardson step: error O(h^4)."""
    x = float(pt[k])
    h = 1e-3 * max(1.0, abs(x))

    def d(step):
        hi = list(pt)
        lo = list(pt)
        hi[k] = np.float64(x + step)
        lo[k] = np.float64(x - step)
        return (float(f(*hi)) - float(f(*lo))) / (2 * step)

    return (4 * d(h / 2) - d(h)) / 3


@pytest.mark.parametrize("name", ALL_OPS)
def test_numeric_partials_match_central_differences(name):
    op = OPS[name]
    for pt in points(name):
        out = op.forward(*pt)
        for k in range(op.arity):
            got = float(op.partials[k](*pt, out))
            want = central_difference(op.forward, pt, k)
            assert got == pytest.approx(want, rel=1e-6, abs=1e-7), (name, k, pt)


# --- (b) symbolic templates against numeric partials ----------------------------------

def evaluate_formula(f, values: dict | None = None) -> np.float64:
    """A tiny evaluator for formula trees: Const is its number, App applies the op table's
    forward function (on np.float64, as the passes do), Var looks up `values`."""
    values = values or {}
    if type(f) is Const:
        return np.float64(f.value)
    if type(f) is Var:
        return np.float64(values[f])
    if type(f) is Param:  # pragma: no cover - a template parameter left unsubstituted
        raise AssertionError(f"unsubstituted parameter {f.name}")
    assert type(f) is App, f
    with np.errstate(all="ignore"):
        return OPS[f.op].forward(*[evaluate_formula(a, values) for a in f.args])


def _const(x) -> Const:
    return Const(float(x), repr(float(x)))


@pytest.mark.parametrize("name", ALL_OPS)
def test_templates_parse_into_formulas_in_a_b_out(name):
    allowed = {"a", "b", "c"}.intersection("abc"[: OPS[name].arity]) | {"out"}

    def params(f):
        if type(f) is Param:
            yield f.name
        elif type(f) is App:
            for a in f.args:
                yield from params(a)

    for k in range(OPS[name].arity):
        assert set(params(template(name, k))) <= allowed


@pytest.mark.parametrize("name", ALL_OPS)
def test_templates_match_numeric_partials(name):
    op = OPS[name]
    for pt in points(name):
        out = op.forward(*pt)
        env = {"out": _const(out)}
        env.update({p: _const(v) for p, v in zip("abc", pt)})
        for k in range(op.arity):
            numeric = float(op.partials[k](*pt, out))
            symbolic = float(evaluate_formula(substitute(template(name, k), env)))
            assert symbolic == pytest.approx(numeric, rel=1e-12, abs=1e-14), \
                (name, k, pt, op.templates[k])


# --- (c) every op as a user writes it --------------------------------------------------

_OPERATOR_SPELLING = {"add": "x + y", "sub": "x - y", "mul": "x * y", "div": "x / y",
                      "neg": "-x", "pow": "x ** y", "lt": "x < y", "le": "x <= y",
                      "gt": "x > y", "ge": "x >= y", "eq": "x == y", "ne": "x != y"}
_VARS = "xyz"


def _source(name: str, spelling: str) -> str:
    if spelling == "call":
        return f"{name}({', '.join(_VARS[: OPS[name].arity])})"
    return _OPERATOR_SPELLING[name]


_USES = [(n, "call") for n in callable_names() if n in ALL_OPS] + [(n, "operator") for n in _OPERATOR_SPELLING]


@pytest.mark.parametrize("name,spelling", _USES, ids=[f"{n}-{s}" for n, s in _USES])
def test_op_is_usable_from_the_language(name, spelling):
    op = OPS[name]
    source = _source(name, spelling)
    for pt in points(name, 3):
        at = dict(zip(_VARS, (repr(float(v)) for v in pt)))
        trace = differentiate(source, at=at)
        assert trace.program.nodes[-1].op == name
        assert list(trace.gradient) == list(_VARS[: op.arity])
        out = op.forward(*pt)
        assert float(trace.value) == pytest.approx(float(out), rel=1e-15, abs=0)
        for k, var in enumerate(_VARS[: op.arity]):
            assert float(trace.gradient[var]) == pytest.approx(
                float(op.partials[k](*pt, out)), rel=1e-15, abs=0)
        assert not trace.diagnostics, trace.diagnostics
        # the formula the tables print for each edge evaluates to the partial computed
        j = len(trace.program.nodes) - 1
        values = {Var(i): v for i, v in enumerate(trace.values)}
        for k in range(op.arity):
            shown = float(evaluate_formula(partial(trace.program, j, k), values))
            assert shown == pytest.approx(float(trace.partials[j][k]), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("name,spelling", _USES, ids=[f"{n}-{s}" for n, s in _USES])
def test_op_tangents_match_central_differences(name, spelling):
    """Forward mode: the tangent pass seeded on each operand gives the op's partial, held
    against central differences of the row's own forward function (as (a) holds the
    numeric partials), and equals the reverse pass's gradient."""
    op = OPS[name]
    for pt in points(name, 4):
        at = dict(zip(_VARS, (repr(float(v)) for v in pt)))
        trace = differentiate(_source(name, spelling), at=at, mode="forward")
        fw = trace.tangents
        assert fw.passes == op.arity and fw.inputs == list(_VARS[: op.arity])
        for k, var in enumerate(fw.inputs):
            got = float(fw.gradient[var])
            assert got == pytest.approx(central_difference(op.forward, pt, k), rel=1e-6,
                                        abs=1e-7), (name, k, pt)
            assert got == float(trace.gradient[var])
            assert [float(t) for t in fw.tangents[k][: op.arity]] == \
                [1.0 if i == k else 0.0 for i in range(op.arity)]  # the seed


@pytest.mark.parametrize("name", ALL_OPS)
def test_op_tangent_on_a_shared_operand(name):
    """name(x, x) and name(x*x): one node used twice, or used by a node used twice; the
    tangent adds both paths, as the adjoint does."""
    op = OPS[name]
    spelled = _source(name, "call" if op.callable else "operator")
    for pt in points(name, 3):
        x = float(pt[0])
        if op.arity == 1:
            source = f"{spelled} * x"
        elif op.callable:
            source = f"{name}({', '.join('x' * op.arity)})"
        else:
            source = spelled.replace("y", "x")

        def f(v):
            return float(differentiate(source, at={"x": repr(v)}).value)

        try:
            trace = differentiate(source, at={"x": repr(x)}, mode="both")
            fd = central_difference(lambda v: np.float64(f(float(v))), (np.float64(x),), 0)
        except DomainError:
            continue  # x**x or x/x outside the domain for this x
        if trace.diagnostics:
            continue  # max(x, x): a tie, a kink
        got = float(trace.tangents.gradient["x"])
        assert got == pytest.approx(fd, rel=1e-6, abs=1e-7), (source, x)
        assert got == pytest.approx(float(trace.gradient["x"]), rel=1e-14, abs=1e-15)


def test_every_callable_name_is_covered():
    assert {n for n, s in _USES if s == "call"} == {n for n in ALL_OPS if OPS[n].callable}
    assert {n for n in ALL_OPS if not OPS[n].callable} <= set(_OPERATOR_SPELLING)


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if not op.callable))
def test_operator_ops_cannot_be_called_by_name(name):
    source = f"{name}(x)" if OPS[name].arity == 1 else f"{name}(x, y)"
    with pytest.raises(UnknownNameError):
        differentiate(source, at="x=1,y=2")


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.callable))
def test_wrong_number_of_arguments_is_an_arity_error(name):
    from backprop_cli.errors import ArityError

    wrong = "x" if OPS[name].arity > 1 else "x, y"
    if (name, 1) in OVERLOADS:  # max(x) is the reduction over x's entries
        wrong = "x, y, x"
    with pytest.raises(ArityError):
        differentiate(f"{name}({wrong})", at="x=1,y=2" if "y" in wrong else "x=1")


# Outside the domain: the node that leaves it is named, for a variable operand and for a
# constant one (folded when lowering).
_OUTSIDE = [
    ("div", "x / y", {"x": 1, "y": 0}), ("div", "1 / 0", None),
    ("pow", "x ** y", {"x": -8, "y": 0.5}), ("pow", "x ** y", {"x": 0, "y": -1}),
    ("pow", "(-8) ** (1/3)", None),
    ("asin", "asin(x)", {"x": 2}), ("acos", "acos(x)", {"x": -2}),
    ("log", "log(x)", {"x": -1}), ("log", "log(x)", {"x": 0}), ("log", "log(0)", None),
    ("log2", "log2(x)", {"x": -1}), ("log10", "log10(x)", {"x": -1}),
    ("sqrt", "sqrt(x)", {"x": -4}), ("sqrt", "sqrt(-4)", None),
]


@pytest.mark.parametrize("name,source,at", _OUTSIDE, ids=[s for _, s, _ in _OUTSIDE])
def test_outside_the_domain_is_a_domain_error(name, source, at):
    with pytest.raises(DomainError) as info:
        differentiate(source, at=at)
    assert info.value.exit_code == 2
    assert OPS[name].domain_text in info.value.message


_KINKS = [("abs(x)", {"x": 0}), ("relu(x)", {"x": 0}), ("sign(x)", {"x": 0}),
          ("step(x)", {"x": 0}), ("max(x, y)", {"x": 1, "y": 1}), ("min(x, y)", {"x": 1, "y": 1})]


@pytest.mark.parametrize("source,at", _KINKS, ids=[s for s, _ in _KINKS])
def test_a_kink_warns_and_uses_the_stated_convention(source, at):
    trace = differentiate(source, at=at)
    assert [w.kind for w in trace.diagnostics] == ["kink"]
    grad = [float(g) for g in trace.gradient.values()]
    # abs, relu, sign, step: 0 at 0; max/min: the whole adjoint to the first operand
    assert grad == ([1.0, 0.0] if len(grad) == 2 else [0.0])


def test_pow_exponent_partial_at_base_zero_is_zero():
    """d/dy x**y at x = 0, y = 2: x**y is 0 for every y > 0, so the partial is 0, which
    is also what PyTorch (whose conventions the table follows) returns. The row computes
    out*log(a) = 0*(-inf) = nan and warns that there is no derivative."""
    trace = differentiate("x ** y", at="x=0,y=2")
    assert float(trace.gradient["x"]) == 0.0
    assert float(trace.gradient["y"]) == 0.0, trace.gradient
    assert not trace.diagnostics, trace.diagnostics


def test_errors_are_backprop_errors_with_exit_code_2():
    for source, at in [("foo(x)", "x=1"), ("sin(x, y)", "x=1,y=1"), ("log(x)", "x=-1")]:
        with pytest.raises(BackpropError) as info:
            differentiate(source, at=at)
        assert info.value.exit_code == 2


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if not op.callable))
def test_operator_op_names_are_not_advertised_as_functions(name):
    """add, sub, mul, div and neg are written as operators and cannot be called; an error
    about using one as a variable must not tell the user to call it."""
    try:
        differentiate(f"{name} + 1", at={name: 1})
    except UnknownNameError as err:
        assert f"{name}(" not in err.message, err.message


def test_pow_base_partial_for_exponent_zero_at_base_zero_is_zero():
    """x**0 is 1 for every x (0**0 is 1 too, as numpy and the forward pass say), so its
    derivative is 0; PyTorch returns 0. The row computes b*a**(b-1) = 0*0**-1 = 0*inf = nan."""
    trace = differentiate("x ** 0", at="x=0")
    assert float(trace.value) == 1.0
    assert float(trace.gradient["x"]) == 0.0, trace.gradient


_NAMED_WARNINGS = [
    ("x*y", "x=1e300,y=1e300", "w3 = w1*w2 overflows to inf"),
    ("sqrt(x)", "x=0", "w2 = sqrt(w1) has no derivative here"),
    ("x**0.5", "x=0", "w2 = w1**0.5 has no derivative here"),
    ("abs(x)", "x=0", "w2 = abs(w1) is not differentiable here"),
]


@pytest.mark.parametrize("source,at,text", _NAMED_WARNINGS, ids=[s for s, _, _ in _NAMED_WARNINGS])
def test_a_warning_names_the_node_by_its_formula_as_the_domain_error_does(source, at, text):
    """`w3 = w1*w2 overflows`, as the tables write the node, not `w3 = mul(…)`."""
    trace = differentiate(source, at=at)
    messages = [diagnostic_message(trace.program, d) for d in trace.diagnostics]
    assert any(text in m for m in messages), messages
    assert not any("(…)" in m for m in messages), messages
