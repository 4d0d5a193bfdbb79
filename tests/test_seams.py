"""Where the features of issues 10, 11, 13 and 15 meet: the new rows in accurate forms
(mpmath at 50 digits), where and user functions through folding, the step-by-step views,
LaTeX, the limits and every document's schema."""

import json
import math

import mpmath
import numpy as np
import pytest

from backprop_cli import differentiate
from backprop_cli.engine.ops import OPS
from backprop_cli.render import Options
from backprop_cli.render.html import page_data
from backprop_cli.render.steps import step_text, steps
from conftest import run_cli

mpmath.mp.dps = 50
M = mpmath.mpf


def _sigma(a):
    return 1 / (1 + mpmath.exp(-a))


_C = 2 / mpmath.sqrt(mpmath.pi)

# row: (value, first and second derivatives) in mpmath, and points near the bounds where a
# naive form cancels, overflows or amplifies rounding
ONE = {
    "softplus": (lambda a: mpmath.log1p(mpmath.exp(a)), _sigma,
                 lambda a: _sigma(a) * _sigma(-a), [-700, -40, -20, 0.5, 20, 37, 40, 700]),
    "erf": (mpmath.erf, lambda a: _C * mpmath.exp(-a * a),
            lambda a: -2 * a * _C * mpmath.exp(-a * a), [1e-300, 0.5, 10.1, 20.3, 26.3]),
    "erfc": (mpmath.erfc, lambda a: -_C * mpmath.exp(-a * a),
             lambda a: 2 * a * _C * mpmath.exp(-a * a), [-5, 0.5, 10.1, 20.3, 26.3]),
    "log1p": (mpmath.log1p, lambda a: 1 / (1 + a), lambda a: -1 / (1 + a) ** 2,
              [1e-20, -1e-17, -0.999999, 1e10]),
    "expm1": (mpmath.expm1, mpmath.exp, mpmath.exp, [1e-20, -1e-17, -30, 700]),
}


def _close(got, want, rtol=1e-14):
    got = float(got)
    if abs(want) < 1e-300:  # below float64's normal numbers: 0 or a few subnormal digits
        return abs(got) < 1e-290
    return math.isfinite(got) and abs(M(got) - want) <= rtol * abs(want)


@pytest.mark.parametrize("name", sorted(ONE))
def test_unary_rows_are_accurate_near_their_bounds(name):
    f, d1, d2, points = ONE[name]
    op = OPS[name]
    for x in points:
        a = np.float64(x)
        out = op.forward(a)
        for got, want in ((out, f(M(x))), (op.partials[0](a, out), d1(M(x))),
                          (op.second[0](a, out), d2(M(x)))):
            assert _close(got, want), (name, x, float(got), want)


def _hypot(a, b):
    r = mpmath.hypot(a, b)
    return [r, a / r, b / r, b * b / r ** 3, -a * b / r ** 3, a * a / r ** 3]


def _atan2(a, b):
    r2 = a * a + b * b
    return [mpmath.atan2(a, b), b / r2, -a / r2, -2 * a * b / r2 ** 2, (a * a - b * b) / r2 ** 2,
            2 * a * b / r2 ** 2]


@pytest.mark.parametrize("name, truth", [("hypot", _hypot), ("atan2", _atan2)])
@pytest.mark.parametrize("a, b", [(1e200, 3e200), (1e-150, 3e-150), (1e170, 2.0),
                                  (1e155, -1e155), (1e300, 1e300), (1.0, 1.0000001),
                                  (-2.0, 0.5)])
def test_two_operand_rows_neither_overflow_nor_cancel(name, truth, a, b):
    """Partials and second partials of hypot and atan2 where a² + b² (or its cube, its
    square) would overflow or underflow, and where |a| nears |b| (a² − b²)."""
    op = OPS[name]
    a, b = np.float64(a), np.float64(b)
    out = op.forward(a, b)
    got = [out, *(p(a, b, out) for p in op.partials), *(s(a, b, out) for s in op.second)]
    want = truth(M(float(a)), M(float(b)))
    for k, (g, w) in enumerate(zip(got, want)):
        if abs(w) > 1e308:  # past float64: inf of the right sign is the answer
            assert float(g) == math.copysign(math.inf, w), (name, k)
        else:
            assert _close(g, w, 1e-13), (name, float(a), float(b), k, float(g), w)


def test_hessian_of_softplus_and_erfc_through_the_command():
    doc = json.loads(run_cli("softplus(x) + erfc(y)", "--at", "x=40,y=26.3", "--hessian",
                             "--json").stdout)
    assert _close(doc["hessian"]["x"]["x"], _sigma(M(40)) * _sigma(M(-40)))
    assert _close(doc["hessian"]["y"]["y"], 2 * M(26.3) * _C * mpmath.exp(-M(26.3) ** 2))
    assert doc["hessian"]["x"]["y"] == 0


# --- where and user functions through constant folding ------------------------------------

def test_a_constant_outside_its_domain_in_a_branch_a_constant_condition_drops():
    t = differentiate("f(a) = where(a > 0, log(a), 0); f(x) + f(-1)", at="x=2")
    assert abs(float(t.value) - math.log(2)) < 1e-15
    assert abs(float(t.gradient["x"]) - 0.5) < 1e-15
    t = differentiate("g(a) = where(a > 1, sqrt(a - 1), exp(1000*a)); g(x) + g(-3) + g(5)",
                      at="x=2")
    assert abs(float(t.value) - (1 + math.exp(-3000) + 2)) < 1e-15


@pytest.mark.parametrize("text", ["u = sqrt(-1); x", "sqrt(-1) + x",
                                  "u = sqrt(-1); where(1 < 0, u*2, 0) + u + x",
                                  "where(x > 0, sqrt(-1), 0)", "where(1 > 0, exp(1000), 2)*x",
                                  "f(a) = where(a > 0, a, log(a)); f(-1) * x"])
def test_a_constant_outside_its_domain_that_is_needed_is_still_an_error(text):
    r = run_cli(text, "--at", "x=2")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "needs" in r.stderr or "overflows" in r.stderr


def test_a_constant_written_with_an_alias_prints_in_every_format():
    for fmt in ("table", "json", "latex", "markdown", "html"):
        r = run_cli("x + ln(1 + 0.5**2)", "--at", "x=0", "--format", fmt)
        assert r.returncode == 0, (fmt, r.stderr)
    doc = json.loads(run_cli("x*ln(3)", "--at", "x=2", "--json").stdout)
    assert abs(doc["gradient"]["x"] - math.log(3)) < 1e-15


def test_inlining_past_the_node_limit_is_a_limit_error():
    text = "; ".join(["f0(a) = sin(a)*a"] + [f"f{k}(a) = f{k - 1}(f{k - 1}(a))"
                                            for k in range(1, 25)]) + "; f24(x)"
    r = run_cli(text, "--at", "x=1", "--json")
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]["type"] == "limit_error"


def test_the_calls_table_is_elided_as_the_others():
    text = "f(a) = a*2; " + " + ".join(f"f(x + {k})" for k in range(100))
    out = run_cli(text, "--at", "x=1", "--max-rows", "4").stdout
    assert "… 96 more rows" in out


# --- the step-by-step views, LaTeX: what the tables say --------------------------------

WHERE = "f(a) = a*sin(a); where(x > 0, sqrt(x), f(x)) + sin(pi)*x"


def test_steps_add_nothing_along_a_branch_not_taken():
    t = differentiate(WHERE, at="x=-1")
    edges = t.edges()
    walked = steps(t, edges)
    updates = [s for s in walked if s.kind == "update"]
    assert all(np.isfinite(s.value) and np.isfinite(s.total) for s in updates)
    w3 = [s for s in walked if s.kind == "forward" and s.node == 2][0]
    assert step_text(t, w3, 6, edges)[0].startswith("not taken (w6 takes else")
    into_w1 = [s for s in updates if edges[s.edge].target == 2][0]
    assert step_text(t, into_w1, 6, edges)[0] == "0 (not taken)"
    w7 = [s for s in walked if s.kind == "forward" and s.node == 6][0]
    assert step_text(t, w7, 6, edges)[0].startswith("0 (exact; float64 gives")


def test_the_page_marks_untaken_nodes_exact_zeros_and_calls():
    t = differentiate(WHERE, at="x=-1", hessian=True)
    data = page_data(t, Options())
    w3, w4, w7 = data["nodes"][2], data["nodes"][3], data["nodes"][6]
    assert w3["untaken"] and w3["value"].startswith("not taken") and "nan" not in w3["adjoint"]
    assert w4["call"] == "w4…w5: f(w1)" and not w4["untaken"]
    assert w7["value"].startswith("0 (exact; float64 gives")
    assert any("(not taken)" in e["label"] for e in data["edges"])
    assert not any("nan" in s["value"] + s["total"] for s in data["steps"]
                   if s["kind"] != "forward")
    titles = [table["title"] for table in data["tables"]]
    assert any(title.startswith("Hessian") for title in titles)
    assert any(title.startswith("Calls of your functions") for title in titles)
    r = run_cli(WHERE, "--at", "x=-1", "--format", "html", "--hessian")
    assert r.returncode == 0 and "bp-untaken" in r.stdout


def test_latex_says_what_the_tables_say():
    out = run_cli(WHERE, "--at", "x=-1", "--format", "latex").stdout
    assert r"w_3 &= \sqrt{w_1} = \text{not taken (w6 takes else: w2 = 0)}" in out
    assert r"\sin(\pi)w_1 = 0\ \text{(exact; float64 gives -1.2e-16)}" in out
    assert "NaN\\\\" not in out  # no bare NaN for a node a where did not need


# --- every new field in its schema ----------------------------------------------------------

TRACES = [
    (WHERE, "x=-1"), (WHERE, "x=2"), ("x**2*cos(x*y)+1", "x=2,y=pi/2"),
    ("f(a, b) = a*sin(b); f(x, y) + f(y, x)", "x=1,y=2"),
    ("where(x > 0, sqrt(x), y**2) + atan2(y, x) + softplus(x)", "x=-1,y=3"),
    ("sum(where(x > 0, x, -x) * clip(x, -1, 1) + (x < 1))", "x=[1,-2,0.5]"),
]


@pytest.mark.parametrize("text, at", TRACES)
@pytest.mark.parametrize("extra", [(), ("--hessian",), ("--hvp",), ("--mode", "both"),
                                   ("--hessian", "--expand")])
def test_documents_of_the_new_features_follow_the_schema(text, at, extra, validate):
    if "--hvp" in extra:  # the point itself as the direction: every input has one
        extra = ("--hvp", at)
    r = run_cli(text, "--at", at, "--json", *extra)
    assert r.returncode == 0, r.stdout
    validate(json.loads(r.stdout))


def test_sweeps_descents_and_reports_of_the_new_features_follow_their_schemas(
        sweep_validate, descent_validate, report_validate):
    r = run_cli("sweep", "--over", "x=-2:2:5", "--hessian", "--json",
                "f(a) = where(a > 0, log(a), a*a); f(x) * y", "--at", "y=2")
    assert r.returncode == 0, r.stdout
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    for row in rows:
        sweep_validate(row)
    points = [row for row in rows if "hessian" in row]
    # each point takes its own branch: log(x)·2 at x > 0, 2x² elsewhere
    for row in points:
        x = row["point"]["x"]
        want = -2 / x ** 2 if x > 0 else 4.0
        assert abs(row["hessian"]["x"]["x"] - want) < 1e-12, row
    r = run_cli("descend", "--optimizer", "newton", "--from", "x=3,y=-1", "--json",
                "sq(a) = a*a; where(x > 0, sq(x - 1), sq(x) + 1) + sq(y - 2)")
    assert r.returncode == 0, r.stdout
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    for doc in lines:
        descent_validate(doc)
    last = [doc for doc in lines if "point" in doc][-1]["point"]
    assert abs(last["x"] - 1) < 1e-8 and abs(last["y"] - 2) < 1e-8
    r = run_cli("check", "--json", "--at", "x=-1,y=2", "--expect", "∂w6/∂w2 = 2*w2",
                "--expect", "d2f/dy2 = 2", "--expect", "w3 = 0",
                "where(x > 0, sqrt(x)*y, y**2)")
    report_validate(json.loads(r.stdout))
    assert r.returncode == 0, r.stdout


def test_latex_writes_comparisons_as_iverson_brackets():
    """`w_2 = 0 = 1` would read as a chain of equalities: [w_2 = 0] is the 1 or 0."""
    out = run_cli("where(x > 0, sqrt(x)*y, y**2)", "--at", "x=-1,y=2", "--format",
                  "latex").stdout
    assert r"w_3 &= [w_1 > 0] = 0\\" in out
    assert r"\frac{\partial w_7}{\partial w_6} &= [w_3 = 0] = 1\\" in out
    assert r"\bar{w}_7[w_3 \ne 0]" in out and "([w" not in out


def test_tangent_and_second_order_tables_mark_untaken_nodes():
    out = run_cli("where(x > 0, sqrt(x)*y, y**2)", "--at", "x=-1,y=2", "--mode", "both",
                  "--hessian", "--format", "markdown").stdout
    tangents = out.split("Tangents")[1].split("Adjoints")[0]
    assert "| ẇ4 | ẇ1/(2·w4) | 0 (not taken) | 0 (not taken) |" in tangents
    second = out.split("Second-order pass 2")[1]
    assert "| w5 | 0 (not taken) | 0 (not taken) | 0 (not taken) |" in second


def test_a_number_for_an_untaken_node_is_graded_as_not_taken(report_validate):
    r = run_cli("check", "--json", "--at", "x=-1,y=2", "--expect", "w4 = 1",
                "--expect", "∂w4/∂w1 = 0.5", "--expect", "w6 = 4",
                "where(x > 0, sqrt(x)*y, y**2)")
    assert r.returncode == 1
    doc = report_validate(json.loads(r.stdout))
    answers = doc["problems"][0]["answers"]
    assert [a["right"] for a in answers] == [False, False, True]
    assert all("a where does not take that node" in a["reason"] for a in answers[:2])


def test_the_terminal_stepper_says_what_the_tables_say():
    from rich.console import Console

    from backprop_cli.render.stepwise import Frames

    t = differentiate(WHERE, at="x=-1")
    frames = Frames(t, Options())
    w3 = [k for k, s in enumerate(frames.steps) if s.kind == "forward" and s.node == 2][0]
    assert "= not taken (w6 takes else: w2 = 0)" in frames.now(w3 + 1).plain
    console = Console(width=120, record=True, color_system=None)
    for k in range(len(frames.steps) + 1):
        console.print(frames.ssa(k, 20))
        if k > frames.n_forward:
            console.print(frames.updates(k, 20))
    shown = console.export_text()
    assert "nan" not in shown.replace("(not taken)", "")
    assert "0 (exact; float64 gives -1.2e-16)" in shown and "0 (not taken)" in shown


@pytest.mark.parametrize("fmt", ["dot", "mermaid"])
def test_graphs_say_what_the_tables_say(fmt):
    out = run_cli(WHERE, "--at", "x=-1", "--format", fmt).stdout
    assert "= not taken (w6 takes else: w2 = 0)" in out and "w̄3 = 0 (not taken)" in out
    assert "= 0 (exact; float64 gives -1.2e-16)" in out
    assert "nan" not in out.replace("nan (not taken)", "")  # a partial there is marked


def test_no_exact_value_is_claimed_past_a_comparison_rounding_decided():
    """sin(π) > 0 is 1 in float64 and 0 exactly: the run takes then, so the where and what
    follows have no exact value to claim (it would be the other branch's), and the table
    says why the comparison is 1."""
    r = run_cli("where(sin(x) > 0, 1, 2)*y", "--at", "x=pi,y=1", "--json")
    doc = json.loads(r.stdout)
    exact = {n["id"]: n.get("value_exact") for n in doc["nodes"]}
    assert exact["w3"] == "0" and exact["w4"] is None and exact["w5"] is None
    assert "value_exact" not in doc and "gradient_exact" not in doc
    assert doc["value"] == 1.0 and doc["gradient"]["y"] == 1.0
    out = run_cli("where(sin(x) > 0, 1, 2)*y", "--at", "x=pi,y=1").stdout
    assert "w3 > 0            1 (float64's rounding; exactly 0)" in out


def test_inlining_a_long_chain_of_definitions_is_bounded():
    """f_k(a) = f_{k-1}(a) + k copies k rows into f_k's body: 2,000 of them copy 2·10⁶."""
    text = "f0(a) = a*2\n" + "".join(f"f{k}(a) = f{k - 1}(a) + {k}\n" for k in range(1, 2100))
    r = run_cli(text + "f2099(x)", "--at", "x=1", "--json")
    assert r.returncode == 2
    error = json.loads(r.stdout)["error"]
    assert error["type"] == "limit_error" and "rows copied" in error["message"]
