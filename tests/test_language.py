"""The language a course needs (issue 11): comparisons and where with structural zeros,
user functions inlined, the functions added to the op table held against SymPy, exact
zeros, and graded local partials.

Oracles: SymPy/mpmath for values and derivatives, central differences, the course notes'
numbering, and a run of the same expression written out by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy

from backprop_cli import differentiate, lower
from backprop_cli.errors import (ArityError, DomainError, LimitError, StatementError,
                                 UnknownNameError)
from backprop_cli.tasks.grading import check
from backprop_cli.tasks.sweep import sweep
from conftest import run_cli


def _grad(trace):
    return {k: float(v) for k, v in trace.gradient.items()}


# --- comparisons and where -------------------------------------------------------------

@pytest.mark.parametrize("text, x, y, value", [
    ("x < y", 1, 2, 1), ("x < y", 2, 1, 0), ("x <= y", 2, 2, 1), ("x > y", 2, 1, 1),
    ("x >= y", 1, 2, 0), ("x == y", 2, 2, 1), ("x != y", 2, 2, 0), ("x ≤ y", 1, 1, 1),
    ("x ≠ y", 1, 2, 1), ("x + 1 > y*2", 2, 1, 1),
])
def test_a_comparison_is_one_or_zero_with_derivative_zero(text, x, y, value):
    t = differentiate(text, at={"x": x, "y": y})
    assert float(t.value) == value
    assert _grad(t) == {"x": 0.0, "y": 0.0}
    # equal operands: a kink, stated with the convention
    kinks = [d for d in t.diagnostics if d.kind == "kink"]
    assert bool(kinks) == (x == y)


def test_a_comparison_at_a_tie_says_so_as_other_kinks_do():
    r = run_cli("x < y", "--at", "x=1,y=1")
    assert r.returncode == 0
    assert "w3 = w1 < w2 is not differentiable here; a < b jumps where a = b; its " \
           "derivative is taken as 0" in r.stdout + r.stderr


def test_comparisons_do_not_chain():
    r = run_cli("x < y < 2", "--at", "x=1,y=2")
    assert r.returncode == 2 and "unexpected '<'" in r.stderr


def test_where_outside_the_untaken_branchs_domain_is_zero_with_gradient_zero():
    t = differentiate("where(x > 0, sqrt(x), 0)", at="x=-1")
    assert float(t.value) == 0.0
    assert _grad(t) == {"x": 0.0}  # not nan: the branch not taken is a structural zero
    assert t.untaken == {2: 3}  # w3 = sqrt(w1), left out by w4
    assert not t.diagnostics
    # forward mode too
    t = differentiate("where(x > 0, sqrt(x), 0)", at="x=-1", mode="both")
    assert float(t.tangents.gradient["x"]) == 0.0


def test_the_double_where_pitfall_does_not_exist_here():
    """JAX #1052: where(x > 0, sqrt(x), 0) at x = 0 has gradient nan there (0·inf from the
    untaken branch's partial), and users must write a second where inside. Here the
    untaken branch passes nothing back."""
    t = differentiate("where(x > 0, sqrt(x), 0)", at="x=0")
    assert _grad(t) == {"x": 0.0}
    assert not [d for d in t.diagnostics if d.kind == "not_differentiable"]
    t = differentiate("where(x > 0, x*log(x), 0)", at="x=0")  # log(0) = -inf, untaken
    assert float(t.value) == 0.0 and _grad(t) == {"x": 0.0}


def test_the_taken_branch_and_the_condition_still_raise_outside_their_domain():
    with pytest.raises(DomainError) as info:
        differentiate("where(x > 0, 0, sqrt(x))", at="x=-1")
    assert info.value.node == 2
    with pytest.raises(DomainError):
        differentiate("where(log(x) > 0, 1, x)", at="x=-1")


def test_a_node_used_by_both_branches_and_elsewhere_is_needed():
    # sqrt(x) also feeds the output directly: the where cannot excuse it
    with pytest.raises(DomainError):
        differentiate("s = sqrt(x); where(x > 0, s, 0) + s", at="x=-1")


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.5, 2.0])
def test_where_gradient_matches_central_differences_off_the_switch(x):
    text = "where(x > 0, x**3, sin(x)*x)"
    t = differentiate(text, at={"x": x})
    f = lambda v: float(differentiate(text, at={"x": v}).value)  # noqa: E731
    h = 1e-5
    assert float(t.gradient["x"]) == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-6)


def test_tables_mark_the_untaken_branch_and_json_records_each_branch(validate):
    r = run_cli("where(x > 0, sqrt(x), 0)", "--at", "x=-1")
    assert r.returncode == 0
    assert "not taken (w4 takes else: w2 = 0)" in r.stdout
    doc = validate(json.loads(run_cli("where(x > 0, sqrt(x), 0)", "--at", "x=-1",
                                      "--json").stdout))
    nodes = {n["id"]: n for n in doc["nodes"]}
    assert nodes["w4"]["branch"] == "else"
    assert nodes["w3"]["not_taken"] == "w4"
    assert doc["gradient"] == {"x": 0.0}
    doc = validate(json.loads(run_cli("where(x > 0, sqrt(x), 0)", "--at", "x=4",
                                      "--json").stdout))
    assert {n["id"]: n for n in doc["nodes"]}["w4"]["branch"] == "then"
    assert all("not_taken" not in n for n in doc["nodes"])


def test_in_a_sweep_each_point_takes_its_own_branch():
    text = "where(x > 0, sqrt(x), -x)"
    s = sweep(text, ["x=-2:2:9"])
    # sqrt of the negative points is not needed there: no domain error (x > 0 has its
    # kink at x = 0)
    assert [d.kind for d in s.diagnostics] == ["kink"]
    for i, x in enumerate(s.points["x"]):
        t = differentiate(text, at={"x": float(x)})
        assert float(s.value[i]) == pytest.approx(float(t.value), rel=1e-15)
        assert float(s.gradient["x"][i]) == pytest.approx(float(t.gradient["x"]), rel=1e-15)
    assert float(s.gradient["x"][0]) == -1.0
    assert float(s.gradient["x"][-1]) == pytest.approx(1 / (2 * math.sqrt(2)), rel=1e-15)


def test_a_sweep_still_counts_domain_errors_where_a_branch_is_taken():
    s = sweep("where(x > -1, log(x), 0)", ["x=-2:2:9"])
    domain = [d for d in s.diagnostics if d.kind == "domain"]
    assert [(d.count, d.points) for d in domain] == [(2, 9)]  # x = -0.5 and 0 only


# --- user functions --------------------------------------------------------------------

def test_calls_are_inlined_in_the_lecture_numbering():
    p = lower("f(a, b) = a*sin(b); f(x, y) + f(y, x)")
    written = lower("x*sin(y) + y*sin(x)")
    assert [(n.op, n.args) for n in p.nodes] == [(n.op, n.args) for n in written.nodes]
    assert [(c.name, c.args, c.first, c.stop) for c in p.calls] == \
        [("f", (0, 1), 2, 4), ("f", (1, 0), 4, 6)]
    t = differentiate("f(a, b) = a*sin(b); f(x, y) + f(y, x)", at="x=1,y=2")
    x, y = 1.0, 2.0
    assert _grad(t) == pytest.approx({"x": math.sin(y) + y * math.cos(x),
                                      "y": x * math.cos(y) + math.sin(x)}, rel=1e-15)


def test_the_tables_group_the_nodes_of_each_call():
    r = run_cli("f(a, b) = a*sin(b); f(x, y) + f(y, x)", "--at", "x=1,y=2")
    assert r.returncode == 0
    lines = [" ".join(line.split()) for line in r.stdout.splitlines()]
    assert "w3…w4 f(w1, w2) f(x, y)" in lines
    assert "w5…w6 f(w2, w1) f(y, x)" in lines


def test_sharing_merges_identical_sub_expressions_across_calls():
    p = lower("f(a) = exp(a)*a; f(x) + f(x)*2")
    assert [n.op for n in p.nodes] == ["input", "exp", "mul", "mul", "add"]
    assert p.calls[1].first == p.calls[1].stop  # the second call made nothing new
    r = run_cli("f(a) = exp(a)*a; f(x) + f(x)*2", "--at", "x=1")
    assert "none (shared or folded)" in r.stdout
    assert len(lower("f(a) = exp(a)*a; f(x) + f(x)*2", share=False).nodes) == 7


def test_a_function_may_call_earlier_functions_and_constants_fold():
    t = differentiate("sq(a) = a*a; quad(a) = sq(sq(a)); quad(x) + quad(2)", at="x=3")
    assert float(t.value) == 81 + 16
    assert float(t.gradient["x"]) == 4 * 27
    # nesting 40 deep stays linear with sharing, and is refused past the limit without
    deep = "; ".join(["f0(a) = a*a + a"] + [f"f{k}(a) = f{k - 1}(a) + f{k - 1}(a)" for k in
                                          range(1, 41)]) + "; f40(x)"
    assert len(lower(deep).nodes) < 200
    with pytest.raises(LimitError, match="is too large"):  # a limit, as issue 15's
        lower(deep, share=False)


@pytest.mark.parametrize("text, error, message, column", [
    ("f(a) = f(a); f(x)", StatementError, "f calls itself", 8),
    ("f(a) = a; f(x, y)", ArityError, "f(a) takes 1 argument, got 2", 11),
    ("sin(a) = a; sin(x)", StatementError, "sin is a built-in function", 1),
    ("ln(a) = a; ln(x)", StatementError, "ln is a built-in function", 1),
    ("f(pi) = pi; f(x)", StatementError, "pi is a built-in name", 3),
    ("f(a, a) = a; f(x, x)", StatementError, "the parameter a is named twice", 6),
    ("f(a) = a + y; f(x)", UnknownNameError, "y is not a parameter of f(a)", 12),
    ("f(a) = a; f(a) = 2*a; f(x)", StatementError, "f is defined twice", 11),
    ("f(a) = a; f + 1", UnknownNameError, "f is a function", 11),
    ("f(a) = a*2", StatementError, "ends with a function definition", 11),
])
def test_function_errors_have_a_caret(text, error, message, column):
    with pytest.raises(error) as info:
        lower(text)
    assert message in info.value.message
    assert info.value.position() == (1, column), info.value.span
    r = run_cli(text, "--at", "x=1,y=1")
    assert r.returncode == 2 and "^" in r.stderr and "Traceback" not in r.stderr


def test_a_call_before_its_definition_is_an_unknown_function():
    with pytest.raises(UnknownNameError):
        lower("g(x); g(a) = a")


# --- the functions added to the op table, against SymPy ---------------------------------

_X, _Y = sympy.symbols("x y", real=True)
_SYMPY = {
    "atan2(y, x)": sympy.atan2(_Y, _X), "hypot(x, y)": sympy.sqrt(_X**2 + _Y**2),
    "log1p(x)": sympy.log(1 + _X), "expm1(x)": sympy.exp(_X) - 1, "erf(x)": sympy.erf(_X),
    "erfc(x)": sympy.erfc(_X), "softplus(x)": sympy.log(1 + sympy.exp(_X)),
    "ln(x)": sympy.log(_X), "cbrt(x)": sympy.sign(_X) * sympy.Abs(_X) ** sympy.Rational(1, 3),
    "clip(x, -1, y)": sympy.Min(sympy.Max(_X, -1), _Y),
}
_POINTS = [(0.7, 1.3), (-1.6, 0.4), (2.2, -0.8), (-0.3, -2.45)]


@pytest.mark.parametrize("text", list(_SYMPY))
def test_new_functions_match_sympy(text):
    expr = _SYMPY[text]
    for x, y in _POINTS:
        if text in ("log1p(x)", "ln(x)") and x <= -1 + (text == "ln(x)"):
            continue
        at = {"x": x, "y": y} if "y" in text else {"x": x}
        t = differentiate(text, at=at)
        subs = {_X: sympy.Float(x, 30), _Y: sympy.Float(y, 30)}
        assert float(t.value) == pytest.approx(float(expr.evalf(30, subs=subs)), rel=1e-14,
                                               abs=1e-15)
        for name, s in (("x", _X), ("y", _Y)):
            if name not in t.gradient:
                continue
            want = float(sympy.diff(expr, s).evalf(30, subs=subs))
            assert float(t.gradient[name]) == pytest.approx(want, rel=1e-13, abs=1e-14), \
                (text, name, x, y)


@pytest.mark.parametrize("text, f", [("floor(x)*y", lambda x, y: math.floor(x) * y),
                                     ("ceil(x)*y", lambda x, y: math.ceil(x) * y),
                                     ("x*round(y)", lambda x, y: x * round(y))])
def test_floor_ceil_round_match_python_and_central_differences(text, f):
    # SymPy leaves the derivative of floor unevaluated: central differences decide
    h = 1e-6
    for x, y in _POINTS:
        t = differentiate(text, at={"x": x, "y": y})
        assert float(t.value) == pytest.approx(f(x, y), rel=1e-15)
        assert float(t.gradient["x"]) == pytest.approx(
            (f(x + h, y) - f(x - h, y)) / (2 * h), rel=1e-6, abs=1e-9)
        assert float(t.gradient["y"]) == pytest.approx(
            (f(x, y + h) - f(x, y - h)) / (2 * h), rel=1e-6, abs=1e-9)


def test_ln_is_log_and_prints_as_log():
    t = differentiate("ln(x)", at="x=2")
    assert t.program.nodes[-1].op == "log"
    assert float(t.gradient["x"]) == 0.5


def test_round_is_half_to_even_and_floor_ceil_jump_at_integers():
    assert float(differentiate("round(x)", at="x=2.5").value) == 2.0
    assert float(differentiate("round(x)", at="x=3.5").value) == 4.0
    t = differentiate("floor(x)", at="x=2")
    assert [d.kind for d in t.diagnostics] == ["kink"]
    t = differentiate("clip(x, 0, 1)", at="x=1")
    assert _grad(t) == {"x": 1.0} and [d.kind for d in t.diagnostics] == ["kink"]


def test_the_unknown_function_hint_lists_documented_names_only():
    r = run_cli("qqq(x)", "--at", "x=1")
    assert r.returncode == 2
    hint = r.stderr.split("known functions: ", 1)[1]
    names = [n.strip() for n in hint.split(",")]
    assert "amax" not in names and "amin" not in names
    assert {"max", "min", "ln", "atan2", "clip", "where"} <= set(names)
    readme = (__import__("conftest").REPO / "README.md").read_text()
    for name in names:
        assert f"`{name}`" in readme or f" {name} " in readme or f"{name}(" in readme, name


# --- expected: only what can come next ---------------------------------------------------

def test_expected_lists_what_can_come_next_in_a_students_words():
    r = run_cli("2x", "--at", "x=1")
    expected = r.stderr.split("expected: ", 1)[1].splitlines()[0]
    assert ".T" not in expected and '")"' not in expected and '","' not in expected
    assert expected.startswith("an operator (+ - * / **)")
    assert "the end of the input" in expected
    r = run_cli("sin(x", "--at", "x=1")
    assert '")"' in r.stderr.split("expected: ", 1)[1]


# --- exact zeros -------------------------------------------------------------------------

def test_the_readme_example_prints_an_exact_zero_and_says_why(validate):
    r = run_cli("x**2*cos(x*y)+1", "--at", "x=2,y=pi/2")
    assert r.returncode == 0
    line = [ln for ln in r.stdout.splitlines() if "∂f/∂y" in ln][0]
    assert "0 (exact; float64 gives -9.8e-16)" in line
    doc = validate(json.loads(run_cli("x**2*cos(x*y)+1", "--at", "x=2,y=pi/2",
                                      "--json").stdout))
    assert doc["gradient"]["y"] == pytest.approx(-9.797174393178826e-16, rel=1e-6)
    assert doc["gradient_exact"]["y"] == "0"
    edge = [p for p in doc["partials"] if (p["from"], p["to"]) == ("w4", "w5")][0]
    assert edge["value_exact"] == "0"


@pytest.mark.parametrize("text, at, exact", [
    ("sin(x)", "x=pi", "0"), ("cos(x)", "x=pi/2", "0"), ("cos(x)", "x=pi/3", "1/2"),
    ("sin(x)*y", "x=2*pi,y=3", "0"), ("tan(x)", "x=pi/4", "1"),  # 0.9999999999999999
    ("sin(x - pi)", "x=2*pi", "0"), ("x*cos(x)", "x=-pi/2", "0"),
])
def test_exact_values_reach_rational_multiples_of_pi(text, at, exact, validate):
    doc = validate(json.loads(run_cli(text, "--at", at, "--json").stdout))
    assert doc.get("value_exact") == exact
    if exact == "0":
        assert "0 (exact; float64 gives" in run_cli(text, "--at", at).stdout


def test_a_folded_constant_is_exact_too():
    r = run_cli("x*sin(pi) + cos(pi/2)", "--at", "x=3")
    rows = [" ".join(line.split()) for line in r.stdout.splitlines()]
    assert "∂w2/∂w1 sin(π) 0 (exact; float64 gives 1.2e-16)" in rows
    assert "f = w3 = 0 (exact; float64 gives 4.3e-16)" in rows


# --- graded local partials and node values -------------------------------------------------

LECTURE = "x**2*cos(x*y)+1"


@pytest.mark.parametrize("expect, right", [
    ("∂w5/∂w4 = -sin(w4)", True), ("dw5/dw4 = 0.866", True), ("dw5/dw4 = cos(w4)", False),
    ("∂w6/∂w3 = w5", True), ("∂w6/∂w5 = w3", True), ("∂w3/∂w1 = 2*w1", True),
    ("∂w3/∂w1 = -2", True), ("∂w3/∂w1 = 2", False), ("w4 = -1.047", True),
    ("w4 = -1.05", True), ("w4 = -1.04", False), ("w5 = 0.5", True),
])
def test_local_partials_and_node_values_are_graded(expect, right):
    report = check(LECTURE, "x=-1,y=pi/3", [expect])
    assert report.all_right is right


def test_a_local_partial_formula_right_at_the_point_only_gets_a_counterexample():
    # at w4 = -π/3, -sin(w4) = √3/2 = sqrt(3)/2: right there, wrong elsewhere
    report = check(LECTURE, "x=-1,y=pi/3", ["∂w5/∂w4 = sqrt(3)/2"])
    v = report.problems[0].verdicts[0]
    assert v.outcome == "exact"
    report = check(LECTURE, "x=-1,y=pi/3", ["∂w5/∂w4 = 0*w4 + sqrt(3)/2"])
    v = report.problems[0].verdicts[0]
    assert v.outcome == "differs_elsewhere" and v.counterexample is not None


def test_local_partials_in_an_answers_file(tmp_path):
    f = tmp_path / "hw.toml"
    f.write_text('[[problems]]\nname = "lecture"\nexpression = "x**2*cos(x*y)+1"\n'
                 'at = "x=-1,y=pi/3"\n[problems.expect]\n"∂w5/∂w4" = "-sin(w4)"\n'
                 '"w4" = "-1.047"\n"dw6/dw5" = "2"\n')
    r = run_cli("check", "--answers", str(f))
    assert r.returncode == 1  # dw6/dw5 is w3 = 1, not 2
    assert "2 of 3 answers right" in r.stdout


def test_a_local_partial_target_is_a_clean_target():
    from backprop_cli.tasks.grading import TARGET_KINDS, parse_target

    program = lower(LECTURE)
    text = "dw5/dw4"
    target = parse_target(text, program, text, 0, "--expect")
    assert target.kind == "partial" and "partial" in TARGET_KINDS
    assert (target.index, target.operand) == (4, 3)
    t = differentiate(LECTURE, at="x=-1,y=pi/3")
    assert target.label(t) == "dw5/dw4"
    assert target.truth(t) == pytest.approx(math.sin(math.pi / 3), rel=1e-15)
    assert np.isfinite(target.truth(t))


def test_where_of_vectors_takes_each_entrys_branch(validate):
    r = run_cli("sum(where(x > 0, sqrt(x), 0*x))", "--at", "x=[-1,4]", "--json")
    doc = validate(json.loads(r.stdout))
    assert doc["value"] == 2.0 and doc["gradient"] == {"x": [0.0, 0.25]}
    r = run_cli("sum(where(x > 0, sqrt(-x), 0*x))", "--at", "x=[-1,4]")
    assert r.returncode == 2 and "w3[1] = -4" in r.stderr  # the needed entry, not w3[0]


@pytest.mark.parametrize("x, hessian", [
    (-1.0, {"x": {"x": 4.0, "y": -2.0}, "y": {"x": -2.0, "y": 0.0}}),  # x²y, sqrt(-1) not taken
    (4.0, {"x": {"x": -0.0625, "y": 0.25}, "y": {"x": 0.25, "y": 0.0}}),  # sqrt(x)·y
])
def test_second_derivatives_through_where_take_the_branch_too(x, hessian):
    r = run_cli("where(x > 0, sqrt(x)*y, x**2*y)", "--at", f"x={x},y=2", "--hessian", "--json")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["hessian"]
    for a in hessian:
        for b in hessian[a]:
            assert got[a][b] == pytest.approx(hessian[a][b], rel=1e-15, abs=1e-15)


def test_a_constant_output_folded_from_pi_is_an_exact_zero(validate):
    r = run_cli("sin(pi)")
    assert "f = sin(pi) = 0 (exact; float64 gives 1.2e-16)" in r.stdout
    doc = validate(json.loads(run_cli("sin(pi)", "--json").stdout))
    assert doc["value_exact"] == "0" and doc["value"] == pytest.approx(1.2246e-16, rel=1e-4)
