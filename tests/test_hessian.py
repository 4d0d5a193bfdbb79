"""Second derivatives by forward over reverse, held against oracles nobody here wrote:

- every row of the op table carries its second-order rule (a new op without one fails
  here), and its second partials match central differences of its own partials, and its
  second templates match its second partials;
- the Hessian of random programs (the generator of test_oracle.py) against SymPy's
  hessian evaluated with mpmath at 40 digits, and against central differences of
  backprop's own gradient; it is symmetric to a few ulp;
- H·v against the Hessian times v; the tensor rows' second order against central
  differences of their vjp; 2AᵀA for least squares; a dense layer against numbers
  torch.autograd.functional.hessian printed (recorded below, torch is not needed here).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy

from backprop_cli import differentiate
from backprop_cli.engine.ops import OPS
from backprop_cli.errors import DomainError
from backprop_cli.symbolic.formula import substitute, template
from test_oracle import CASES, SYMBOLS, SYMPY_LOCALS, VARS, finite, first_appearance
from test_ops import _const, central_difference, evaluate_formula, points

ELEMENTWISE = sorted(n for n, op in OPS.items() if op.vjp is None)
TENSOR = sorted(n for n, op in OPS.items() if op.vjp is not None)
PAIRS = {1: [(0, 0)], 2: [(0, 0), (0, 1), (1, 1)],
         3: [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]}


# --- the op table: one second-order rule per row ------------------------------------------

@pytest.mark.parametrize("name", sorted(OPS))
def test_every_row_carries_its_second_order_rule(name):
    """Elementwise rows give their second partials (and templates), the others a dvjp per
    operand; a row with a kink states its second-order convention too."""
    op = OPS[name]
    if op.vjp is None:
        assert op.second is not None and op.dvjp is None, name
        assert len(op.second) == len(op.second_templates) == len(PAIRS[op.arity])
    else:
        assert op.second is None and op.dvjp is not None and len(op.dvjp) == op.arity, name
    if op.kink is not None:
        assert op.kink2_text, name


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_second_partials_match_central_differences_of_the_partials(name):
    op = OPS[name]
    for pt in points(name):
        out = op.forward(*pt)
        for idx, (k, m) in enumerate(PAIRS[op.arity]):
            got = float(op.second[idx](*pt, out))
            want = central_difference(lambda *p: op.partials[k](*p, op.forward(*p)), pt, m)
            assert got == pytest.approx(want, rel=1e-5, abs=1e-6), (name, k, m, pt)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_second_templates_match_second_partials(name):
    op = OPS[name]
    for pt in points(name):
        out = op.forward(*pt)
        env = {"out": _const(out)}
        env.update({p: _const(v) for p, v in zip("abc", pt)})
        for idx in range(len(op.second)):
            numeric = float(op.second[idx](*pt, out))
            symbolic = float(evaluate_formula(substitute(template(name, idx, 2), env)))
            assert symbolic == pytest.approx(numeric, rel=1e-12, abs=1e-14), \
                (name, idx, op.second_templates[idx])


# --- random programs against SymPy ---------------------------------------------------------

HESSIAN_CASES = CASES[::3]  # a hundred programs: SymPy's second derivatives are slow


def _sympy_hessian(sym_text: str):
    expr = sympy.sympify(sym_text, locals=SYMPY_LOCALS)
    # relu and abs differentiate to a DiracDelta, which is 0 off the kink (points at a
    # kink are left out: they warn)
    h = sympy.hessian(expr, SYMBOLS).replace(sympy.DiracDelta, lambda *a: sympy.S.Zero)
    return sympy.lambdify(SYMBOLS, h.tolist(), modules="mpmath")


def _hessian_at(source, pt):
    names = first_appearance(source)
    try:
        t = differentiate(source, at={v: repr(pt[v]) for v in names}, hessian=True)
    except DomainError:
        return None
    if t.diagnostics or not math.isfinite(t.value):
        return None  # a kink or an overflow: the conventions are tested on their own
    return t


def _scale(t) -> float:
    """How much rounding the passes may have accumulated (values, adjoints, tangents)."""
    big = 1.0
    for xs in [t.values, t.adjoints, *t.second.tangents, *t.second.adjoint_tangents]:
        big = max([big] + [abs(float(x)) for x in xs if math.isfinite(x)])
    return big ** 2


@pytest.mark.parametrize("source,sym_text,pts", HESSIAN_CASES)
def test_hessian_matches_sympys_hessian(source, sym_text, pts):
    fn = _sympy_hessian(sym_text)
    checked = 0
    for pt in pts:
        t = _hessian_at(source, pt)
        if t is None:
            continue
        try:
            with mpmath.workdps(40):
                want = fn(*[mpmath.mpf(pt[v]) for v in VARS])
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
        names = t.program.inputs
        flat = [want[VARS.index(a)][VARS.index(b)] for a in names for b in names]
        if not all(finite(w) for w in flat) or any(abs(w) > 1e10 for w in flat):
            continue
        tol = 1e-11 * _scale(t)
        for a in names:
            for b in names:
                got = float(t.second.hessian[a][b])
                w = float(want[VARS.index(a)][VARS.index(b)])
                assert abs(got - w) <= 1e-9 * abs(w) + tol, (source, pt, a, b, got, w)
        checked += 1
    if checked == 0:
        pytest.skip("no point where SymPy and backprop both have a finite Hessian")


@pytest.mark.parametrize("source,sym_text,pts", HESSIAN_CASES)
def test_hessian_is_symmetric_and_the_gradients_derivative(source, sym_text, pts):
    """H_ab = H_ba to a few ulp of the scale; each column is the central difference of
    backprop's own gradient (a looser tolerance: differences are approximate)."""
    for pt in pts:
        t = _hessian_at(source, pt)
        if t is None:
            continue
        names = t.program.inputs
        hess = t.second.hessian
        ulp = 8 * np.finfo(float).eps * _scale(t)
        for a in names:
            for b in names:
                assert abs(float(hess[a][b]) - float(hess[b][a])) <= ulp, (source, a, b)
        at = {v: repr(pt[v]) for v in names}
        for b in names:
            x = pt[b]
            h = 1e-5 * max(abs(x), 0.1)  # a step small beside x: z/x moves fast near 0

            def diff(step):  # (∇f(x + step) − ∇f(x − step))/(2·step), or None
                try:
                    hi = differentiate(source, at={**at, b: repr(x + step)})
                    lo = differentiate(source, at={**at, b: repr(x - step)})
                except DomainError:
                    return None
                if hi.diagnostics or lo.diagnostics:
                    return None
                return {a: (float(hi.gradient[a]) - float(lo.gradient[a])) / (2 * step)
                        for a in names}

            coarse, fine = diff(h), diff(h / 2)
            if coarse is None or fine is None:
                continue
            for a in names:
                fd = (4 * fine[a] - coarse[a]) / 3  # Richardson: error O(h⁴)
                got = float(hess[a][b])
                assert got == pytest.approx(fd, rel=1e-3, abs=1e-5 * math.sqrt(_scale(t))), \
                    (source, pt, a, b)
        return
    pytest.skip("no point without a kink, an overflow or a domain error")


def test_hvp_is_the_hessian_times_the_direction():
    t = differentiate("x**2*cos(x*y)+1", "x=2,y=pi/2", hessian=True, hvp="x=0.5,y=-2")
    h = t.second.hessian
    for a in ("x", "y"):
        want = 0.5 * h[a]["x"] - 2 * h[a]["y"]
        assert float(t.second.hvp[a]) == pytest.approx(float(want), rel=1e-14)
    assert t.second.passes == 3  # two for the Hessian, one for the direction


def test_the_lecture_hessian_against_its_derivatives_by_hand():
    """f = x²cos(xy)+1: f_xx = 2cos − 4xy·sin − x²y²cos, f_xy = −3x²sin − x³y·cos,
    f_yy = −x⁴cos, at x = 2, y = π/2 (cos π = −1, sin π = 0)."""
    t = differentiate("x**2*cos(x*y)+1", "x=2,y=pi/2", hessian=True)
    h = t.second.hessian
    assert float(h["x"]["x"]) == pytest.approx(-2 + math.pi ** 2, rel=1e-14)
    assert float(h["x"]["y"]) == pytest.approx(4 * math.pi, rel=1e-14)
    assert float(h["y"]["x"]) == pytest.approx(4 * math.pi, rel=1e-14)
    assert float(h["y"]["y"]) == pytest.approx(16, rel=1e-14)


def test_exact_where_the_first_derivatives_are_exact():
    """Integer arithmetic below 2^53 rounds nowhere, on any CPU: the Hessian of a
    polynomial at integer points is the exact integer, and its zeros are zeros."""
    t = differentiate("x**3*y + x*y + 7*y**2 + z", "x=2,y=3,z=5", hessian=True)
    h = {a: {b: float(v) for b, v in row.items()} for a, row in t.second.hessian.items()}
    assert h == {"x": {"x": 36.0, "y": 13.0, "z": 0.0},
                 "y": {"x": 13.0, "y": 14.0, "z": 0.0},
                 "z": {"x": 0.0, "y": 0.0, "z": 0.0}}


@pytest.mark.parametrize("source,at,node", [
    ("abs(x)*y", "x=0,y=2", "w3"), ("relu(x)*x", "x=0", "w2"),
    ("max(x, y)**2", "x=1,y=1", "w3"), ("step(x)*x**2", "x=0", "w2"),
])
def test_second_order_kinks_state_their_convention(source, at, node, validate):
    from backprop_cli.render.json_doc import trace_document

    doc = validate(trace_document(differentiate(source, at, hessian=True)))
    kinds = {(w["kind"], w["node"]) for w in doc["warnings"]}
    assert ("kink", node) in kinds and ("second_kink", node) in kinds
    message = next(w["message"] for w in doc["warnings"] if w["kind"] == "second_kink")
    assert "taken as 0" in message or "are 0" in message or "is 0" in message


def test_an_infinite_second_derivative_names_its_node(validate):
    from backprop_cli.render.json_doc import trace_document

    t = differentiate("x**1.5 + y", "x=0,y=1", hessian=True)  # f_xx = 0.75/sqrt(x)
    assert math.isinf(float(t.second.hessian["x"]["x"]))
    assert float(t.second.hessian["y"]["y"]) == 0.0
    doc = validate(trace_document(t))
    assert [(w["kind"], w["node"]) for w in doc["warnings"]] == [("no_second_derivative", "w3")]
    assert "w3 = w1**1.5 has no finite second derivative" in doc["warnings"][0]["message"]


def test_abs_second_derivative_at_its_kink_is_zero_by_convention():
    t = differentiate("abs(x)*x", "x=0", hessian=True)  # |x|·x = x·|x|: f'' = 2 sign(x)
    assert float(t.second.hessian["x"]["x"]) == 0.0


# --- tensors ---------------------------------------------------------------------------------

def _fd_hessian(source, point, h=1e-5):
    """Central differences of backprop's gradient, per entry of every input."""
    names = list(point)
    out = {}
    for b in names:
        vb = np.asarray(point[b], dtype=float)
        cols = {a: np.zeros(np.shape(point[a]) + vb.shape) for a in names}
        for idx in np.ndindex(vb.shape):
            hi, lo = vb.copy(), vb.copy()
            hi[idx] += h
            lo[idx] -= h
            ghi = differentiate(source, {**point, b: hi}).gradient
            glo = differentiate(source, {**point, b: lo}).gradient
            for a in names:
                cols[a][(...,) + idx] = (np.asarray(ghi[a]) - np.asarray(glo[a])) / (2 * h)
        for a in names:
            out.setdefault(a, {})[b] = cols[a]
    return out


def test_least_squares_hessian_in_x_is_twice_a_transpose_a():
    rng = np.random.default_rng(7)
    a, x, b = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    t = differentiate("sum((A @ x - b)**2)", {"A": a, "x": x, "b": b}, hessian=True)
    h = t.second.hessian
    np.testing.assert_allclose(h["x"]["x"], 2 * a.T @ a, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(h["b"]["b"], 2 * np.eye(4), rtol=0, atol=1e-15)
    np.testing.assert_allclose(h["x"]["b"], -2 * a.T, rtol=1e-13, atol=1e-15)
    assert h["A"]["x"].shape == (4, 3, 3) and h["x"]["A"].shape == (3, 4, 3)
    np.testing.assert_allclose(h["A"]["x"], np.transpose(h["x"]["A"], (1, 2, 0)), atol=1e-13)


@pytest.mark.parametrize("source,point", [
    ("sum(softmax(x) * w)", {"x": [0.3, -1.2, 2.0], "w": [1.0, 2.0, -0.5]}),
    ("logsumexp(x) * y", {"x": [0.3, -1.2, 2.0], "y": 1.5}),
    ("norm(x) * y + dot(x, x)", {"x": [0.3, -1.2, 2.0], "y": -0.7}),
    ("mean(T(A) @ x) ** 2 + max(x) * sum(x)", {"A": [[1.0, 2.0], [0.5, -1.0]],
                                               "x": [0.4, -0.3]}),
    ("sum(x[:2] ** 3) * y", {"x": [0.4, -0.3, 2.0], "y": 2.0}),
    ("dot(exp(x), sin(x))", {"x": [0.1, 0.9]}),
])
def test_tensor_hessians_match_central_differences_of_the_gradient(source, point):
    point = {k: np.asarray(v, dtype=float) for k, v in point.items()}
    t = differentiate(source, point, hessian=True)
    fd = _fd_hessian(source, point)
    for a in point:
        for b in point:
            np.testing.assert_allclose(t.second.hessian[a][b], fd[a][b], rtol=1e-5,
                                       atol=1e-6, err_msg=f"{source}: {a}, {b}")


def test_every_tensor_row_is_covered_by_a_second_order_test():
    """The cases above reach every tensor row (amax and amin have zero second order)."""
    covered = {"sum", "softmax", "logsumexp", "norm", "dot", "mean", "T", "matmul",
               "amax", "index"}
    assert set(TENSOR) - covered <= {"amin"}


def test_hvp_of_arrays_is_the_hessian_times_the_direction():
    point = {"A": np.array([[1.0, 2.0], [3.0, -1.0]]), "x": np.array([0.5, -0.25])}
    t = differentiate("sum(tanh(A @ x) ** 2)", point, hessian=True,
                      hvp={"A": [[0.1, 0.2], [0.3, 0.4]], "x": [1.0, -1.0]})
    v = {"A": np.array([[0.1, 0.2], [0.3, 0.4]]), "x": np.array([1.0, -1.0])}
    h = t.second.hessian
    for a in point:
        want = sum(np.tensordot(h[a][b], v[b], axes=v[b].ndim) for b in point)
        np.testing.assert_allclose(t.second.hvp[a], want, rtol=1e-13, atol=1e-14)


# A dense layer with a squared loss, L = sum((sigmoid(W @ x + b) - t)**2), at DENSE; its
# Hessian blocks as torch 2.13.0 printed them (float64), from
#   torch.autograd.functional.hessian(lambda W, x, b: ((torch.sigmoid(W @ x + b) - t)**2)
#                                     .sum(), (W, x, b))
DENSE = {"W": [[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]], "x": [0.2, -0.4, 1.0],
         "b": [0.1, -0.3], "t": [1.0, 0.0]}
TORCH = {
    ("x", "x"): [[0.35389626283939063, 0.09044683840380283, -0.08913165660783273],
                 [0.09044683840380283, 0.2182260052336864, -0.08781647481186261],
                 [-0.0891316566078327, -0.08781647481186261, 0.044127434371926316]],
    ("x", "b"): [[0.069201034412714, 0.21286383042202245],
                 [-0.138402068825428, 0.10643191521101122],
                 [0.034600517206357, -0.07095461014067414]],
    ("b", "b"): [[0.138402068825428, 0.0], [0.0, 0.14190922028134828]],
    ("W", "x"): [[[-0.11178554377959567, -0.027680413765085597, 0.006920103441271399],
                  [-0.027680413765085597, -0.07026492313196728, -0.013840206882542798],
                  [0.069201034412714, -0.138402068825428, -0.09102523345578147]],
                 [[0.17520769539548298, 0.021286383042202248, -0.014190922028134831],
                  [-0.08514553216880899, 0.09006216322667399, 0.028381844056269662],
                  [0.21286383042202242, 0.10643191521101121, 0.06168031917040434]]],
    ("W", "b"): [[[0.027680413765085597, 0.0], [-0.05536082753017119, 0.0],
                  [0.138402068825428, 0.0]],
                 [[0.0, 0.028381844056269662], [0.0, -0.056763688112539325],
                  [0.0, 0.14190922028134828]]],
    ("W", "W"): [[[[0.0055360827530171195, -0.011072165506034239, 0.027680413765085597],
                   [0.0, 0.0, 0.0]],
                  [[-0.011072165506034239, 0.022144331012068478, -0.05536082753017119],
                   [0.0, 0.0, 0.0]],
                  [[0.0276804137650856, -0.0553608275301712, 0.138402068825428],
                   [0.0, 0.0, 0.0]]],
                 [[[0.0, 0.0, 0.0],
                   [0.005676368811253933, -0.011352737622507866, 0.028381844056269662]],
                  [[0.0, 0.0, 0.0],
                   [-0.011352737622507866, 0.022705475245015733, -0.056763688112539325]],
                  [[0.0, 0.0, 0.0],
                   [0.02838184405626966, -0.05676368811253932, 0.14190922028134828]]]],
}


def test_a_dense_layers_hessian_matches_torch():
    t = differentiate("sum((sigmoid(W @ x + b) - t)**2)", {**DENSE}, hessian=True)
    h = t.second.hessian
    for (a, b), want in TORCH.items():
        np.testing.assert_allclose(h[a][b], want, rtol=1e-12, atol=1e-15, err_msg=f"{a}, {b}")
        np.testing.assert_allclose(np.moveaxis(h[b][a], list(range(np.ndim(DENSE[b]))),
                                               list(range(-np.ndim(DENSE[b]), 0))),
                                   want, rtol=1e-12, atol=1e-15, err_msg=f"{b}, {a}")
