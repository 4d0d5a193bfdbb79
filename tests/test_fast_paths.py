"""The fast paths of issue 14 give what the plain paths give: the formulas derived once per
pattern, the streamed --json, the streamed CSV and JSON Lines of a sweep, the vectorized
curve, the rows a descent's table keeps, and the OpenBLAS thread setting of a scalar run.
(Their speed is measured by benchmarks/bench.py, not here.)"""

from __future__ import annotations

import json
import math
import random
import sys

import numpy as np
import pytest

from backprop_cli import differentiate, lower
from backprop_cli.engine.trace import Edge
from backprop_cli.render import json_doc
from backprop_cli.render.json_doc import dumps, sweep_lines, trace_chunks, trace_document
from backprop_cli.render.lines import sweep_csv
from backprop_cli.render.plot_text import _DOTS, curve
from backprop_cli.symbolic import formula
from backprop_cli.symbolic.formula import (Var, edge_partial, edge_texts, node_formula,
                                           node_text, scaled_term, show)
from backprop_cli.engine.evaluate import evaluate, second_order
from backprop_cli.engine.floats import prepare
from backprop_cli.engine.passes import layout
from backprop_cli.errors import DomainError
from backprop_cli.tasks.descent import Descent, Kept, newton_direction
from backprop_cli.tasks.sweep import Range, parse_range, sweep_blocks, sweep_program

CONSTANTS = ["2", "3", "0.5", "1", "0", "1.5", "10", "1e-3", "2.", "pi", "e", "2*pi", "1/3",
             "0.1", "7", "2.5e2", "-2", "4**0.5"]
FUNCTIONS = ["sin", "cos", "exp", "log", "sqrt", "tanh", "sigmoid", "abs"]


def _expression(rng: random.Random, depth: int) -> str:
    r = rng.random()
    if depth <= 0 or r < 0.25:
        return rng.choice(["x", "y", "x", "y", rng.choice(CONSTANTS)])
    if r < 0.45:
        return f"{rng.choice(FUNCTIONS)}({_expression(rng, depth - 1)})"
    if r < 0.5:
        return f"-({_expression(rng, depth - 1)})"
    if r < 0.55:
        return (f"{rng.choice(['pow', 'max', 'min'])}({_expression(rng, depth - 1)}, "
                f"{_expression(rng, depth - 1)})")
    op = rng.choice(["+", "-", "*", "/", "**"])
    if op == "**":
        return f"({_expression(rng, depth - 1)})**{rng.choice(CONSTANTS + ['y'])}"
    return f"({_expression(rng, depth - 1)} {op} {_expression(rng, depth - 1)})"


def _programs(count: int):
    rng = random.Random(14)
    while count:
        try:
            program = lower(_expression(rng, 4))
        except Exception:  # an expression of constants only, folded away, is no test
            continue
        if len(program.nodes) > program.n_inputs:
            count -= 1
            yield program


@pytest.mark.parametrize("style", ["ascii", "unicode"])
def test_texts_by_pattern_are_the_texts_derived_edge_by_edge(style):
    """Numbers as holes (ascii) and nodes as holes: each edge's partial, its adjoint term
    and each node's definition read as the derivation of that edge or node alone."""
    for program in _programs(300):
        n = len(program.nodes)
        for j in range(program.n_inputs, n):
            assert node_text(program, j, style) == show(node_formula(program, j), style)
            seen: dict = {}
            for k, a in enumerate(program.nodes[j].args):
                if type(a) is int:
                    seen.setdefault(a, []).append(k)
            for i, ks in seen.items():
                edge = Edge(i, j, tuple(ks))
                partial = edge_partial(program, edge)
                assert edge_texts(program, edge, style) == (
                    show(partial, style), scaled_term(Var(j, True), partial, style)), \
                    program.source


def test_a_number_is_not_a_hole_where_it_would_fold():
    """x**3's partial is 3·x² (3 - 1 folded to 2), x*3's is 3, -(x*3)… : the numbers
    under operators of numbers are derived with their values."""
    program = lower("x**3 + x*3 + x**0.5 + x/4 + 2**x")
    texts = [edge_texts(program, e, "ascii")[0]
             for e in differentiate(program.source, at="x=2").edges()]
    assert "3*w1**2" in texts and "0.5*w1**-0.5" in texts and "1/4" in texts


def test_a_long_sum_is_a_handful_of_patterns(monkeypatch):
    derived = []
    edge_template = formula._edge_template
    monkeypatch.setattr(formula, "_edge_template",
                        lambda key, style: derived.append(key) or edge_template(key, style))
    formula._TEMPLATES.clear()
    source = " + ".join(f"sin(x*{k})" for k in range(2, 3000))
    trace = differentiate(source, at="x=0.5")
    trace_document(trace)
    assert 0 < len(derived) <= 6 and len(formula._TEMPLATES) <= 6


def test_the_streamed_json_is_what_the_encoder_writes(monkeypatch):
    """The rows are written as text: byte for byte what json.dumps writes for the
    document they make (separators, float reprs, escapes, "NaN" for nan)."""
    monkeypatch.setattr(json_doc, "CHUNK", 7)  # many chunks, one partly filled
    for source, at, kw in [("x**2*cos(x*y)+1", "x=1,y=2", {}), ("2*pi", None, {}),
                           (" + ".join(f"sin(x*{k})" for k in range(1, 30)), "x=0.5", {}),
                           ("x*y*exp(x*y)", "x=1,y=2", {"mode": "both"}),
                           ("x @ x", "x=[0,1,2,3]", {}), ("sqrt(x)", "x=0", {}),
                           ("u = 1/3; v = u*2; w = sin(u); v*x + w*x", "x=0.5", {}),
                           ("a = x*y; b = a; a + b", "x=1,y=2", {}),
                           ("where(x > 0, sqrt(x), 0) + log(y)", "x=-1,y=1", {}),
                           ("exp(x) - exp(x) + 1/y", "x=1000,y=1e-320", {}),
                           ("αβ = x*2; αβ + sin(αβ)*pi", "x=1", {"hessian": True}),
                           ("x[:2]", "x=arange(4)", {"seed": "v=[1,0.5]"})]:
        trace = differentiate(source, at=at, **kw)
        for expand in (False, True):
            text = "".join(trace_chunks(trace, expand))
            assert text == dumps(json.loads(text)), source
            assert trace_document(trace, expand) == json.loads(text)


def test_a_range_at_indices_is_linspace():
    for start, stop, count in [(-3, 3, 121), (0.1, 10, 100), (-math.pi, math.pi, 101),
                               (1, 1, 5), (0, 5e-324, 3), (2, -7.5, 1_000_003)]:
        r = Range("x", start, stop, count)
        k = np.arange(count)
        assert np.array_equal(r.at(k), r.values())  # the same numbers, bit for bit


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_streamed_csv_and_json_lines_are_the_kept_sweep_block_by_block():
    program = lower("log(x)*y + x/y")
    ranges = [parse_range("x=-1:3:301"), parse_range("y=-2:2:181")]  # 54,481 points
    whole = sweep_program(program, ranges, {})
    found: list = []
    blocks = sweep_blocks(program, ranges, {}, found, block=4096)
    streamed_csv = "\n".join(sweep_csv(blocks, "f"))
    assert found == whole.diagnostics  # counted over all the points, as the whole sweep
    assert _lines(streamed_csv) == _lines("\n".join(sweep_csv([whole], "f")))
    rows = _lines(streamed_csv)
    assert rows[0] == "x,y,f,df/dx,df/dy" and len(rows) == 1 + 301 * 181
    streamed = "\n".join(sweep_lines(sweep_blocks(program, ranges, {}, [], block=1000),
                                     program.inputs))
    lines = _lines(streamed)
    assert lines == _lines("\n".join(sweep_lines([whole], program.inputs)))
    # each line is the document json.dumps writes for the point
    for i in (0, 1, 12345, len(lines) - 1):
        doc = json.loads(lines[i])
        assert lines[i] == dumps(doc)
        assert doc["point"] == {"x": whole.points["x"][i], "y": whole.points["y"][i]}
    assert any('"NaN"' in line for line in lines)  # log of x ≤ 0


def _curve_by_segments(x, ys, width, height=12):
    """The loop over segments that curve() replaced: the reference."""
    y = np.asarray(ys, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(x)
    px_w, px_h = 2 * width, 4 * height
    cells = np.zeros((height, width), dtype=np.int64)
    if not ok.any():
        return [" " * width] * height
    lo, hi = float(y[ok].min()), float(y[ok].max())
    x0, x1 = float(np.nanmin(x)), float(np.nanmax(x))
    px = np.where(ok, (x - x0) / (x1 - x0 or 1.0) * (px_w - 1), 0.0)
    py = np.where(ok, (hi - y) / (hi - lo or 1.0) * (px_h - 1), 0.0)
    segments = ok[:-1] & ok[1:]
    xs, ys_ = [px[ok]], [py[ok]]
    for a in np.nonzero(segments)[0]:
        b = a + 1
        n = int(2 * max(abs(px[b] - px[a]), abs(py[b] - py[a]))) + 2
        t = np.linspace(0.0, 1.0, n)
        xs.append(px[a] + t * (px[b] - px[a]))
        ys_.append(py[a] + t * (py[b] - py[a]))
    ax = np.rint(np.concatenate(xs)).astype(np.int64)
    ay = np.rint(np.concatenate(ys_)).astype(np.int64)
    np.bitwise_or.at(cells, (ay // 4, ax // 2), np.array(_DOTS)[ay % 4, ax % 2])
    return ["".join(chr(0x2800 + c) if c else " " for c in row) for row in cells]


def test_the_vectorized_curve_draws_what_the_loop_over_segments_drew():
    rng = np.random.default_rng(3)
    for n in (2, 3, 10, 57, 1000, 20_000):
        x = np.linspace(-3, 3, n)
        for y in (np.sin(3 * x) * x ** 2, rng.normal(size=n), np.exp(2 * x),
                  np.where(rng.random(n) < 0.1, np.nan, np.cos(x))):
            for width in (20, 69):
                assert curve(x, y, width) == _curve_by_segments(x, y, width)
    # several blocks of points (CURVE_BLOCK), a gap across a block's edge
    x = np.linspace(-3, 3, 140_001)
    y = np.sin(40 * x) * np.exp(x)
    y[65_530:65_540] = np.nan
    assert curve(x, y, 69) == _curve_by_segments(x, y, 69)


def test_a_descents_table_keeps_its_rows_only():
    program = lower("(x-3)**2 + (y+1)**2")
    for steps in (0, 5, 91, 127, 128, 129, 1000, 20_000):
        kept = Kept(most=64)
        peak = 0
        run = Descent(program, {"x": 0.0, "y": 0.0}, 1e-5)
        for step in run.steps(steps, grad_tol=0.0):
            kept.add(step)
            peak = max(peak, len(kept.steps))
        every = kept.rows_every()
        n = steps + 1
        shown = [s.step for s in kept.steps if s.step % every == 0 or s.step == steps]
        wanted = [k for k in range(n) if k % every == 0 or k == steps]
        assert shown == wanted  # every row the table shows was kept
        assert len(wanted) <= 21
        assert peak <= 2 * 64 + 1
    kept = Kept(300)
    for step in Descent(program, {"x": 0.0, "y": 0.0}, 1e-5).steps(1000, grad_tol=0.0):
        kept.add(step)
    assert [s.step for s in kept.steps if s.step % 300 == 0 or s is kept.last] == \
        [0, 300, 600, 900, 1000] and kept.rows_every() == 300


def test_descent_keeping_only_the_rows_still_runs_torch_s_adam():
    """Adam by hand in numpy arrays (torch.optim.Adam's update), step for step."""
    program = lower("(1-x)**2 + 100*(y-x**2)**2")
    run = Descent(program, {"x": -1.0, "y": 1.0}, 1e-3, "adam")
    theta, m, v = np.array([-1.0, 1.0]), np.zeros(2), np.zeros(2)
    for step in run.steps(200, grad_tol=0.0):
        assert [step.point["x"], step.point["y"]] == pytest.approx(theta.tolist(), rel=1e-12)
        x, y = theta
        g = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        t = step.step + 1
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - 1e-3 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)


def test_the_float_passes_give_the_drivers_numbers():
    """engine/floats.py against evaluate() and second_order(): the loss, the gradient and
    the Hessian of random programs at random points, to the last digits where math's
    functions and numpy's round differently; where the drivers raise a domain error the
    floats do not answer."""
    rng = random.Random(140)
    answered = 0
    for program in _programs(300):
        floats = prepare(program, layout(program))
        if floats is None:
            continue
        point = {name: rng.uniform(-2, 2) for name in program.inputs}
        got = floats.gradient([point[name] for name in program.inputs])
        try:
            trace = second_order(evaluate(program, point))
        except DomainError:
            assert got is None, program.source
            continue
        want = [float(trace.value)] + [float(trace.gradient[k]) for k in program.inputs]
        if got is None:  # math raised (exp's overflow in sigmoid's -x), or not finite
            continue
        answered += 1
        assert [got[0], *got[1]] == pytest.approx(want, rel=1e-11, abs=1e-12), program.source
        hessian = floats.hessian()
        if hessian is None:
            continue
        names = program.inputs
        h = trace.second.hessian
        assert hessian == [pytest.approx([float(h[a][b]) for b in names], rel=1e-11, abs=1e-12)
                           for a in names], program.source
    assert answered > 150


def test_programs_the_floats_leave_to_the_drivers():
    for source in ["max(x, y)", "where(x > 0, x, y)", "floor(x) + y", "sum(x)", "relu(x)"]:
        assert prepare(lower(source), layout(lower(source))) is None, source
    assert prepare(lower("x*y + sin(x)"), layout(lower("x*y + sin(x)"))) is not None


@pytest.mark.parametrize("expr, start, lr, optimizer, words", [
    ("log(x)", {"x": 1.0}, 2.0, "plain", "left the function's domain"),  # a DomainError
    ("exp(x**2)", {"x": 3.0}, 1.0, "plain", "is inf"),  # math.exp raises, numpy gives inf
    ("sqrt(x) + x", {"x": 1.0}, 0.5, "momentum", None),  # steps onto sqrt(0): 1/0 partial
])
def test_descent_on_the_floats_stops_as_on_the_drivers(expr, start, lr, optimizer, words):
    """Where a step leaves what floats can say, the drivers take it: the same stop."""
    from backprop_cli.render.sentences import stop_message

    run = Descent(lower(expr), start, lr, optimizer)
    path = list(run.steps(50))
    slow = Descent(lower(expr), start, lr, optimizer)
    slow.floats = None
    slow_path = list(slow.steps(50))
    assert [s.step for s in path] == [s.step for s in slow_path]
    assert [s.loss for s in path] == pytest.approx([s.loss for s in slow_path], rel=1e-12)
    assert run.stop._replace(error=None) == slow.stop._replace(error=None)
    if words:
        assert words in stop_message(run.stop)


def test_newton_on_the_floats_takes_the_drivers_steps():
    """Rosenbrock from (-1.2, 1) takes 21 steps; the Hessian and its Cholesky solve in
    floats give the path of the numpy drivers and LAPACK, to the last digits."""
    program = lower("(1-x)**2 + 100*(y-x**2)**2")
    fast = list(Descent(program, {"x": -1.2, "y": 1.0}, 1.0, "newton").steps(100))
    slow_run = Descent(program, {"x": -1.2, "y": 1.0}, 1.0, "newton")
    slow_run.floats = None
    slow = list(slow_run.steps(100))
    assert len(fast) == len(slow) == 22
    assert [(s.update, s.step_size) for s in fast] == [(s.update, s.step_size) for s in slow]
    for a, b in zip(fast, slow):
        assert list(a.point.values()) == pytest.approx(list(b.point.values()), rel=1e-9,
                                                       abs=1e-12)


def test_the_newton_direction_is_lapacks():
    rng = np.random.default_rng(14)
    for n in (1, 2, 3, 6):
        a = rng.normal(size=(n, n))
        h = a @ a.T + n * np.eye(n)
        g = rng.normal(size=n)
        d = newton_direction(h.tolist(), g.tolist())
        assert d == pytest.approx((-np.linalg.solve(h, g)).tolist(), rel=1e-12)
    assert newton_direction([[1.0, 2.0], [2.0, 1.0]], [1.0, 1.0]) is None  # indefinite
    assert newton_direction([[0.0]], [1.0]) is None
    assert newton_direction([[math.inf]], [1.0]) is None


@pytest.mark.parametrize("argv,quiet", [
    (["x**2*cos(x*y)+1", "--at", "x=2,y=pi/2"], True),
    (["sweep", "sin(x)", "--over", "x=0:1:5", "--format", "csv"], True),
    (["descend", "x**2", "--from", "x=1"], True),
    (["A @ x", "--at", "A=ones(3,2),x=[1,2]"], False),
    (["dot(a, b)", "--at", "a=[1,2],b=[3,4]"], False),
    (["-f", "problem.bp", "--at", "x=1"], False),
    (["-fproblem.bp", "--at", "x=1"], False),
    (["--file=problem.bp", "--at", "x=1"], False),
    (["-", "--at", "x=1"], False),
    (["check", "--answers", "hw.toml"], False),
])
def test_a_scalar_run_asks_openblas_for_one_thread(monkeypatch, argv, quiet):
    from backprop_cli.cli.main import quiet_blas

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.delitem(sys.modules, "numpy")  # as in a fresh process
    quiet_blas(argv)
    import os

    assert os.environ.get("OPENBLAS_NUM_THREADS") == ("1" if quiet else None)


def test_a_users_thread_setting_and_a_loaded_numpy_are_left_alone(monkeypatch):
    from backprop_cli.cli.main import quiet_blas
    import os

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.delitem(sys.modules, "numpy")
    quiet_blas(["x*2", "--at", "x=1"])
    assert os.environ["OPENBLAS_NUM_THREADS"] == "2"
    monkeypatch.undo()
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    quiet_blas(["x*2", "--at", "x=1"])  # numpy is imported here: too late to ask
    assert "OPENBLAS_NUM_THREADS" not in os.environ
