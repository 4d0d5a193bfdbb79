"""Vectors and matrices: values after --at, the course's examples, every tensor op's
vector–Jacobian product against central differences, forward and reverse Jacobians
against each other, broadcasting, SymPy per entry, and shape errors."""

import numpy as np
import pytest

from backprop_cli import differentiate
from backprop_cli.tasks.differentiate import parse_point
from backprop_cli.errors import BackpropError, ShapeError, UnknownNameError
from backprop_cli.engine.ops import OPS

H = 1e-6


def numeric_gradient(source, point, seed=None):
    """Central differences of Σ seed·f over every entry of every input."""
    def f(p):
        value = differentiate(source, p).value if seed is None else None
        if seed is not None:
            t = differentiate(source, p, seed=np.ones_like(np.asarray(seed)) * 0 + seed)
            value = np.sum(np.asarray(t.value) * seed)
        return float(np.sum(value))
    grads = {}
    for name, v in point.items():
        v = np.asarray(v, dtype=float)
        g = np.zeros(v.shape)
        for idx in np.ndindex(v.shape):
            hi, lo = v.copy(), v.copy()
            hi[idx] += H
            lo[idx] -= H
            g[idx] = (f({**point, name: hi}) - f({**point, name: lo})) / (2 * H)
        grads[name] = g
    return grads


# --- values after --at ---------------------------------------------------------------------

def test_values_are_parsed_by_the_grammar():
    p = parse_point("x=[0,1,2,3],A=[[1,2],[3,4]],l=linspace(0,1,5),z=zeros(3),o=ones(2,3),"
                    "r=arange(4),s=2*ones(2)+[1,pi]")
    assert p["x"].tolist() == [0, 1, 2, 3] and p["r"].tolist() == [0, 1, 2, 3]
    assert p["A"].shape == (2, 2) and p["o"].shape == (2, 3) and p["z"].tolist() == [0] * 3
    assert p["l"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert p["s"].tolist() == [3, 2 + np.pi]


@pytest.mark.parametrize("text, what", [
    ("x=[[1,2],[3]]", "one shape"), ("x=zeros(-1)", "non-negative"),
    ("x=[1,2]+[1,2,3]", "shapes"), ("x=__import__('os')", ""), ("x=ones(2)[5]", "out of"),
    ("x=[1,2][0.5]", "whole number"),
])
def test_bad_values_are_errors_with_a_place(text, what):
    with pytest.raises(BackpropError) as e:
        parse_point(text)
    assert what in str(e.value) and e.value.span is not None


@pytest.mark.parametrize("text, entries", [
    ("x=linspace(0,1,1e7)", 10**7),  # 80 MB
    ("x=arange(1e12)", 10**12),  # counted, never asked of numpy
    ("x=arange(0,1,1e-9)", 10**9),
    ("x=zeros(1e6,1e6)", None),
])
def test_a_constructed_value_is_refused_before_it_is_made(text, entries):
    with pytest.raises(ShapeError, match="more than 1000000") as e:
        parse_point(text)
    assert entries is None or f"makes {entries} entries" in e.value.message
    assert e.value.span == (2, len(text))


def test_arange_counts_as_numpy_does():
    for args in ["4", "1, 4", "0, 1, 0.25", "3, 0, -1", "0, 1, 0.1", "5, 1", "0.5", "1e6"]:
        got = parse_point(f"r=arange({args})")["r"]
        want = np.arange(*[float(a) for a in args.split(",")])
        assert got.shape == want.shape and np.allclose(got, want), args


def test_scalars_stay_scalars():
    t = differentiate("x*y", at="x=2,y=3")
    assert type(t.value) is np.float64 and not t.tensor
    assert t.shapes == [(), (), ()]


# --- the course notes ------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["x @ x", "x.T @ x", "dot(x, x)", "sum(x*x)"])
def test_y_is_x_dot_x_with_gradient_2x(source):  # 001: y = xᵀx, x.grad == 2x
    t = differentiate(source, at="x=arange(4)")
    assert float(t.value) == 14.0
    assert t.gradient["x"].tolist() == [0, 2, 4, 6]


def test_slice_with_a_seed_is_v_times_the_jacobian():  # 001: y = x[:2]; y.backward(v)
    v = np.array([0.3, 0.7])
    t = differentiate("x[:2]", at="x=[0.1,0.2,0.3,0.4]", seed=v)
    J = np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=float)
    assert t.gradient["x"].tolist() == (v @ J).tolist()
    assert differentiate("x[:2]", at="x=arange(4)", seed="v=[1,0.5]").gradient["x"].tolist() \
        == [1, 0.5, 0, 0]


def test_matrix_gradients_are_transposed_jacobians_in_order():  # 002: A @ B ≠ B @ A
    at = "A=[[1,2],[3,4]],B=[[0,1],[5,-2]]"
    t = differentiate("sum(A @ B)", at=at)
    A, B = np.array([[1, 2], [3, 4]]), np.array([[0, 1], [5, -2]])
    assert t.gradient["A"].tolist() == (np.ones((2, 2)) @ B.T).tolist()
    assert t.gradient["B"].tolist() == (A.T @ np.ones((2, 2))).tolist()


def test_layer_with_squared_loss():  # 003: σ(A x + b), squared loss
    at = "A=[[1,-2],[0.5,3]],x=[0.2,-0.4],b=[0.1,-0.3],y=[1,0]"
    src = "sum((y - sigmoid(A @ x + b))**2)"
    t = differentiate(src, at=at)
    A, x, b, y = (np.asarray(v) for v in parse_point(at).values())
    s = 1 / (1 + np.exp(-(A @ x + b)))
    delta = -2 * (y - s) * s * (1 - s)  # by hand: ∂L/∂z
    assert np.allclose(t.gradient["b"], delta)
    assert np.allclose(t.gradient["A"], np.outer(delta, x))
    assert np.allclose(t.gradient["x"], A.T @ delta)


# --- every tensor op: VJP against central differences, JVP against VJP ---------------------

CASES = [
    ("sum(A @ x)", "A=[[1,2,3],[4,5,6]],x=[0.5,-1,2]"),
    ("sum(sin(A @ B))", "A=[[1,2],[3,4],[0,1]],B=[[0.1,0.2,0.3],[-1,0.5,2]]"),
    ("sum(x @ B)", "x=[1,2],B=[[0.1,0.2,0.3],[-1,0.5,2]]"),
    ("sum(exp(A.T))", "A=[[0.1,0.2,0.3],[-1,0.5,2]]"),
    ("sum(T(A) @ x)", "A=[[0.1,0.2,0.3],[-1,0.5,2]],x=[1,2]"),
    ("mean(x**3)", "x=[1,2,-0.5]"),
    ("dot(x, sin(y))", "x=[1,2,-0.5],y=[0.3,0.1,2]"),
    ("norm(x)", "x=[3,-4,1]"),
    ("max(x*y)", "x=[1,5,-2],y=[2,0.5,3]"),
    ("min(x) + max(A)", "x=[1,5,-2],A=[[2,0.5],[3,-7]]"),
    ("x[0]*x[2] + sum(x[1:])", "x=[1,5,-2,0.5]"),
    ("sum(A[1,:] * A[:,0])", "A=[[1,2],[3,4]]"),
    ("dot(softmax(x), y)", "x=[1,2,0.5],y=[3,-1,2]"),
    ("logsumexp(x)", "x=[1000,1001,999]"),
    ("sum(logsumexp(A))", "A=[[1,2,3],[0,-1,4]]"),
    ("sum((x - mean(x))**2)", "x=[1,2,4]"),
    ("sum(x + y)", "x=[1,2,3],y=5"),  # scalar + vector
    ("sum(r * c)", "r=[[1,2,3]],c=[[1],[2]]"),  # row times column
    ("sum(A / x)", "A=[[1,2,3],[4,5,6]],x=[1,2,-4]"),  # matrix / vector
    ("sum(max(x, y))", "x=[1,5,-2],y=0.5"),  # the elementwise max, broadcast
]


def test_every_tensor_op_has_a_case():
    from backprop_cli import lower

    used = {node.op for source, _ in CASES for node in lower(source).nodes}
    assert {n for n, op in OPS.items() if op.vjp is not None} <= used


@pytest.mark.parametrize("source, at", CASES)
def test_gradients_against_central_differences(source, at):
    point = parse_point(at)
    t = differentiate(source, point)
    num = numeric_gradient(source, point)
    for name in point:
        assert np.shape(t.gradient[name]) == np.shape(point[name])
        assert np.allclose(t.gradient[name], num[name], rtol=1e-5, atol=1e-5), name


@pytest.mark.parametrize("source, at", [
    ("A @ x", "A=[[1,2,3],[4,5,6]],x=[0.5,-1,2]"),
    ("softmax(x)", "x=[1,2,0.5]"),
    ("x[1:] * y", "x=[1,2,0.5],y=2"),
    ("r + c", "r=[[1,2,3]],c=[[1],[2]]"),
    ("sigmoid(A @ x + b)", "A=[[1,2],[3,4],[0,1]],x=[1,-1],b=[0,1,2]"),
])
def test_jacobian_by_reverse_and_forward_passes_agree_with_differences(source, at):
    point = parse_point(at)
    t = differentiate(source, point, jacobian=True)
    jac, mode, passes = t.jacobian
    out = np.asarray(t.value)
    n_in = sum(np.size(v) for v in point.values())
    assert mode == ("reverse" if out.size <= n_in else "forward")
    assert passes == min(out.size, n_in)
    for name, v in point.items():
        v = np.asarray(v, dtype=float)
        for idx in np.ndindex(v.shape):
            hi, lo = v.copy(), v.copy()
            hi[idx] += H
            lo[idx] -= H
            col = (np.asarray(differentiate(source, {**point, name: hi}, seed=np.ones(out.shape)).value)
                   - np.asarray(differentiate(source, {**point, name: lo}, seed=np.ones(out.shape)).value)) / (2 * H)
            assert np.allclose(jac[name][(...,) + idx], col, atol=1e-5), (name, idx)


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.vjp is not None])
def test_every_jvp_is_the_transpose_of_its_vjp(name):
    """⟨g, J t⟩ = ⟨Jᵀ g, t⟩ for random g and t: the two rows cannot drift apart."""
    op = OPS[name]
    rng = np.random.default_rng(3)
    args = {"matmul": [rng.normal(size=(3, 2)), rng.normal(size=2)],
            "dot": [rng.normal(size=3), rng.normal(size=3)],
            "index": [rng.normal(size=(3, 4)), (1, (None, 2))]}.get(name, [rng.normal(size=(2, 3))])
    if name in ("softmax", "logsumexp", "norm", "amax", "amin", "sum", "mean"):
        args = [rng.normal(size=4)]
    out = op.forward(*args)
    g = rng.normal(size=np.shape(out))
    for k, a in enumerate(args):
        if type(a) is tuple:
            continue
        t = rng.normal(size=np.shape(a))
        lhs = np.sum(g * op.jvp[k](t, *args, out))
        rhs = np.sum(op.vjp[k](g, *args, out) * t)
        assert np.isclose(lhs, rhs), (name, k)


def test_per_entry_expansion_against_sympy():
    sympy = pytest.importorskip("sympy")
    a = sympy.symbols("a0:4")
    x = sympy.symbols("x0:2")
    b = sympy.symbols("b0:2")
    A = sympy.Matrix(2, 2, a)
    z = A * sympy.Matrix(x) + sympy.Matrix(b)
    loss = sum((sympy.tanh(zi) - 1) ** 2 for zi in z) + sympy.log(sum(sympy.exp(xi) for xi in x))
    vals = dict(zip(a + x + b, [0.3, -1.2, 0.8, 0.5, 0.7, -0.4, 0.1, 0.2]))
    t = differentiate("sum((tanh(A @ x + b) - 1)**2) + logsumexp(x)",
                      at="A=[[0.3,-1.2],[0.8,0.5]],x=[0.7,-0.4],b=[0.1,0.2]")
    for name, syms in (("A", a), ("x", x), ("b", b)):
        exact = [float(sympy.diff(loss, s).subs(vals)) for s in syms]
        assert np.allclose(np.ravel(t.gradient[name]), exact, rtol=1e-12), name


# --- seeds, Jacobians and errors -------------------------------------------------------------

def test_vector_output_needs_a_seed_or_the_jacobian():
    with pytest.raises(ShapeError, match="say which adjoint to start from") as e:
        differentiate("x*2", at="x=[1,2]")
    assert "--seed" in e.value.hint and "--jacobian" in e.value.hint
    with pytest.raises(ShapeError, match="seed has shape 3"):
        differentiate("x*2", at="x=[1,2]", seed="v=[1,2,3]")


@pytest.mark.parametrize("source, at, words", [
    ("x + y", "x=[1,2,3],y=[1,2]", ["w3 = w1 + w2", "add", "w1 (3)", "w2 (2)"]),
    ("sum(A @ x)", "A=ones(2,3),x=ones(2)", ["w3 = w1 @ w2", "matmul", "2×3", "w2 (2)",
                                              "inner sizes differ: 3 and 2"]),
    ("dot(x, y)", "x=[1,2],y=[1,2,3]", ["dot", "lengths differ"]),
    ("sum(x[5])", "x=[1,2]", ["index 5 is out of bounds"]),
])
def test_shape_mismatches_name_node_op_and_both_shapes(source, at, words):
    with pytest.raises(ShapeError) as e:
        differentiate(source, at=at)
    message = error_message(e.value)  # the node named as the tables name it, first
    for w in words:
        assert w in message, (w, message)
    assert e.value.node is not None


def test_constructors_and_arrays_belong_after_at():
    with pytest.raises(UnknownNameError, match="for --at"):
        differentiate("x + zeros(3)", at="x=1")
    with pytest.raises(ShapeError, match="after --at"):
        differentiate("x + [1, 2]", at="x=1")
    with pytest.raises(ShapeError, match="constant whole number"):
        differentiate("x[y]", at="x=[1,2],y=0")


def test_max_of_one_argument_reduces_and_of_two_compares():
    t = differentiate("max(x) + sum(max(x, 2))", at="x=[1,3,2]")
    assert float(t.value) == 3 + 7
    # max(x): the largest entry; max(x, 2): at the tie x = 2 the first operand (x) gets it
    assert t.gradient["x"].tolist() == [0, 2, 1]
    assert any(w.kind == "kink" for w in t.diagnostics)


# --- the command ------------------------------------------------------------------------------

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import run_cli  # noqa: E402
from backprop_cli.render.sentences import diagnostic_message, error_message


@pytest.mark.parametrize("args", [
    ["x @ x", "--at", "x=[0,1,2,3]"],
    ["x[:2]", "--at", "x=arange(4)", "--seed", "v=[1,0.5]"],
    ["sigmoid(A @ x)", "--at", "A=[[1,2],[3,4],[5,6]],x=[1,-1]", "--jacobian"],
    ["softmax(x)", "--at", "x=linspace(0,1,3)", "--jacobian", "--seed", "v=[1,0,0]"],
    ["sum(r + c)", "--at", "r=[[1,2,3]],c=[[1],[2]]", "--jacobian"],
    ["x*2", "--at", "x=2", "--seed", "v=3"],
])
def test_command_tables_and_json(args, validate):
    text = run_cli(*args)
    assert text.returncode == 0, text.stderr
    assert all(len(line) <= 80 for line in text.stdout.splitlines())
    assert "\x1b[" not in text.stdout
    doc = validate(json.loads(run_cli(*args, "--json").stdout))
    assert doc["shape"] == list(np.shape(doc["value"]))
    assert all(n["shape"] == list(np.shape(n["value"])) for n in doc["nodes"])
    if "--jacobian" in args:
        assert doc["jacobian"]["mode"] in ("reverse", "forward")
        assert "Jacobian, by" in text.stdout


@pytest.mark.parametrize("args, words", [
    (["x*2", "--at", "x=[1,2]"], ["shape 2, not a single number", "--seed", "--jacobian"]),
    (["x + y", "--at", "x=[1,2,3],y=[1,2]"], ["w3 = w1 + w2: add of w1 (3) and w2 (2)"]),
    (["x", "--at", "x=[1,2]", "--seed", "v=[1,"], ["--seed"]),
    (["x", "--at", "x=[[1,2],[3]]"], ["one shape"]),
])
def test_command_errors_exit_2_without_traceback(args, words, validate):
    text = run_cli(*args)
    assert text.returncode == 2 and "Traceback" not in text.stderr
    for w in words:
        assert w in text.stderr, text.stderr
    doc = validate(json.loads(run_cli(*args, "--json").stdout))
    assert doc["error"]["type"] in ("shape_error", "parse_error")


@pytest.mark.parametrize("source, at", [
    ("x + y", "x=[1,2,3],y=5"),  # scalar + vector
    ("r * c", "r=[[1,2,3]],c=[[1],[2]]"),  # row times column
    ("exp(A - x)", "A=[[1,2,3],[4,5,6]],x=[1,2,-4]"),  # matrix and vector
    ("max(x, y) / y", "x=[[1,5],[-2,3]],y=[0.5,4]"),
    ("A @ x + b", "A=[[1,2],[3,4],[0,1]],x=[1,-1],b=0.5"),
])
def test_broadcasting_in_both_modes(source, at):
    """The Jacobian by reverse passes (broadcasting undone by sums) equals the one by
    forward passes (broadcasting done by numpy), and both the differences."""
    from backprop_cli import lower
    from backprop_cli.engine.evaluate import _jacobian
    from backprop_cli.engine.passes import forward, layout, reverse

    point = parse_point(at)
    program = lower(source)
    lay = layout(program, general=True)
    vals = forward(program, point, lay, [])
    out = np.asarray(vals[program.output])
    partials, _ = reverse(program, vals, lay, np.ones(out.shape))
    rev, _, n_rev = _jacobian(program, vals, lay, partials, "reverse")
    fwd, _, n_fwd = _jacobian(program, vals, lay, partials, "forward")
    assert n_rev == out.size and n_fwd == sum(np.size(v) for v in point.values())
    for name, v in point.items():
        assert rev[name].shape == out.shape + np.shape(v)
        assert np.allclose(rev[name], fwd[name], rtol=1e-12, atol=1e-14), name
        v = np.asarray(v, dtype=float)
        for idx in np.ndindex(v.shape):
            hi, lo = v.copy(), v.copy()
            hi[idx] += H
            lo[idx] -= H
            f = lambda p: np.asarray(differentiate(source, {**point, name: p},  # noqa: E731
                                                   jacobian=True).value)
            assert np.allclose(rev[name][(...,) + idx], (f(hi) - f(lo)) / (2 * H), atol=1e-6)


@pytest.mark.parametrize("source, at, text", [
    ("log(x)", "x=[1,-1]", "w2 = log(w1): log needs a positive argument, but w1[1] = -1"),
    ("sum(x/y)", "x=[[1,2],[3,4]],y=[1,0]", "division by zero, but w1[0, 1] = 2, w2[1] = 0"),
])
def test_domain_errors_name_the_entry(source, at, text):
    from backprop_cli.errors import DomainError

    with pytest.raises(DomainError) as e:
        differentiate(source, at=at)
    assert text in error_message(e.value)


@pytest.mark.parametrize("args", [
    ["x @ x", "--at", "x=[0,1,2,3]", "--expect", "df/dx = 2*x"],
    ["x @ x", "--at", "x=[0,1,2,3]", "--answers-out", "/dev/null"],
])
def test_grading_says_it_takes_scalars(args):
    r = run_cli(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "grading takes programs of scalars" in r.stderr and "x is an array" in r.stderr


@pytest.mark.parametrize("source, at", CASES[:12] + CASES[-4:])
def test_forward_mode_by_jvp_agrees_with_reverse(source, at):
    """--mode both: a tangent pass per input entry through the op table's jvp (and the
    elementwise partials) gives the gradient reverse mode gets in one pass."""
    from backprop_cli.engine.trace import largest_difference

    t = differentiate(source, at=at, mode="both")
    assert t.tangents.passes == sum(np.size(v) for v in t.point.values())
    assert largest_difference(t.tangents.gradient, t.gradient) < 1e-12
    for name in t.point:
        assert np.shape(t.tangents.gradient[name]) == np.shape(t.point[name])


@pytest.mark.parametrize("args, what", [
    (["sum(x*y)", "--over", "y=0:1:3", "--at", "x=[1,2]"], "a sweep takes programs of scalars"),
    (["x*y", "--over", "y=0:1:3", "--at", "x=[1,2]"], "x is an array"),
    (["descend", "sum(x*x)", "--from", "x=[1,2]"], "descend takes programs of scalars"),
    (["descend", "x[0]**2", "--from", "x=1"], "ops of vectors and matrices"),
])
def test_sweeps_and_descent_say_they_take_scalars(args, what):
    r = run_cli(*args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert what in r.stderr, r.stderr


LAYER = ["sum((y - sigmoid(A @ x + b))**2) + x[0]*max(x)", "--at",
         "A=[[1,-2],[0.5,3]],x=[0.2,-0.4],b=[0.1,-0.3],y=[1,0]"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "dot", "mermaid", "json"])
@pytest.mark.parametrize("mode", ["reverse", "forward", "both"])
def test_every_format_and_mode_prints_tensors(fmt, mode, tmp_path, validate):
    import shutil
    import subprocess

    r = run_cli(*LAYER, "--format", fmt, "--mode", mode, "--expand")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    if fmt == "json":
        validate(json.loads(r.stdout))
    if fmt == "latex" and shutil.which("pdflatex"):
        (tmp_path / "t.tex").write_text(r.stdout)
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]


def test_a_sweep_refuses_seed_and_jacobian():
    for extra in (["--seed", "v=2"], ["--jacobian"]):
        r = run_cli("x*y", "--over", "x=0:1:3", "--at", "y=1", *extra)
        assert r.returncode == 2 and "a sweep takes programs of scalars" in r.stderr


def test_a_tensor_warning_names_the_node_by_its_formula():
    over = differentiate("sum(exp(x))", at="x=[1,1000]")
    kink = differentiate("sum(abs(x))", at="x=[0,1]")
    texts = [diagnostic_message(t.program, d) for t in (over, kink) for d in t.diagnostics]
    assert any("w2 = exp(w1) overflows" in t for t in texts), texts
    assert any("w2 = abs(w1) is not differentiable here" in t for t in texts), texts
    assert not any("(…)" in t for t in texts), texts


@pytest.mark.parametrize("fmt", ["latex", "dot", "mermaid"])
@pytest.mark.parametrize("seed", [[], ["--seed", "v=[1,0]"]])
def test_jacobian_is_refused_by_a_format_that_does_not_print_it(fmt, seed):
    # These formats draw one backward pass: without a seed they crashed on the missing
    # adjoints, with one they dropped the Jacobian asked for without a word.
    r = run_cli("A @ x", "--at", "A=[[1,2],[3,4]],x=[1,1]", "--jacobian", *seed,
                "--format", fmt)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"--jacobian" in r.stderr and f"--format {fmt}" in r.stderr, r.stderr


def test_mean_of_an_empty_array_is_a_shape_error_like_max():
    # It was a ZeroDivisionError traceback from mean's partial (g / 0 entries).
    with pytest.raises(ShapeError, match="mean of an empty array"):
        differentiate("mean(x)", at="x=ones(0)")
    r = run_cli("mean(x)", "--at", "x=ones(0)")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_logsumexp_gradient_is_softmax_even_where_the_value_rounds(mode):
    # At 1e16 the value m + log 4 rounds back to m, so exp(a − value) was 1, not 1/4:
    # the partial is softmax(a), computed shifted as the value is.
    t = differentiate("logsumexp(x)", at={"x": [1e16, 1e16, 1e16, 1e16]}, mode=mode)
    grad = t.gradient["x"] if mode == "reverse" else t.tangents.gradient["x"]
    assert np.allclose(grad, 0.25, rtol=1e-12)
