"""Second derivatives as a user reaches them: --hessian and --hvp in every format, graded
second derivatives (--expect and answers files), Newton's method, and sweeps. The numbers
are held against SymPy's hessian of the lecture's f and against single-point runs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy

from backprop_cli import differentiate
from conftest import run_cli

LECTURE = "x**2*cos(x*y)+1"
AT = "x=2,y=pi/2"


def _sympy_lecture():
    x, y = sympy.symbols("x y")
    f = x ** 2 * sympy.cos(x * y) + 1
    return x, y, sympy.hessian(f, (x, y))


# --- --hessian and --hvp -----------------------------------------------------------------------

def test_hessian_json_is_sympys_and_validates(validate):
    r = run_cli(LECTURE, "--at", AT, "--hessian", "--json")
    assert r.returncode == 0, r.stderr
    doc = validate(json.loads(r.stdout))
    x, y, h = _sympy_lecture()
    want = h.subs({x: 2, y: sympy.pi / 2})
    for i, a in enumerate("xy"):
        for j, b in enumerate("xy"):
            assert doc["hessian"][a][b] == pytest.approx(float(want[i, j]), rel=1e-14)
    second = doc["second_order"]
    assert second["passes"] == 2
    assert second["adjoint_tangent_formulas"][-1] == "0"  # the seed is a constant
    assert len(second["tangents"]["x"]) == len(doc["nodes"])
    # a column of the Hessian is the adjoints' tangent at the inputs on that input's pass
    assert second["adjoint_tangents"]["y"][0] == doc["hessian"]["x"]["y"]


def test_hessian_expand_gives_each_second_derivative_in_terms_of_the_inputs(validate):
    r = run_cli(LECTURE, "--at", AT, "--hessian", "--expand", "--json")
    doc = validate(json.loads(r.stdout))
    x, y, h = _sympy_lecture()
    for i, a in enumerate("xy"):
        for j, b in enumerate("xy"):
            text = doc["hessian_expanded"][a][b]
            got = sympy.sympify(text, locals={"x": x, "y": y})
            assert sympy.simplify(got - h[i, j]) == 0, (a, b, text)


def test_hvp_json(validate):
    r = run_cli(LECTURE, "--at", AT, "--hvp", "x=1,y=-2", "--json")
    assert r.returncode == 0, r.stderr
    doc = validate(json.loads(r.stdout))
    assert "hessian" not in doc and doc["second_order"]["passes"] == 1
    x, y, h = _sympy_lecture()
    want = h.subs({x: 2, y: sympy.pi / 2}) * sympy.Matrix([1, -2])
    assert doc["hvp"]["x"] == pytest.approx(float(want[0]), rel=1e-13)
    assert doc["hvp"]["y"] == pytest.approx(float(want[1]), rel=1e-13)
    assert doc["direction"] == {"x": 1.0, "y": -2.0}


def test_tensor_hessian_json_has_nested_lists_of_the_joint_shape(validate):
    r = run_cli("sum((A @ x - b)**2)", "--at", "A=[[1,2],[3,4],[5,6]],x=[1,-1],b=[0,1,2]",
                "--hessian", "--hvp", "A=zeros(3,2),x=[1,0],b=[0,0,0]", "--json")
    assert r.returncode == 0, r.stderr
    doc = validate(json.loads(r.stdout))
    h = doc["hessian"]
    assert np.shape(h["A"]["x"]) == (3, 2, 2) and np.shape(h["x"]["A"]) == (2, 3, 2)
    a = np.array([[1, 2], [3, 4], [5, 6]], dtype=float)
    np.testing.assert_allclose(h["x"]["x"], 2 * a.T @ a, rtol=1e-14)
    np.testing.assert_allclose(doc["hvp"]["x"], (2 * a.T @ a)[:, 0], rtol=1e-14)
    assert doc["second_order"]["tangent_formulas"] is None  # tensors have their rules


def test_tables_show_the_hessian_and_each_pass():
    r = run_cli(LECTURE, "--at", AT, "--hessian", "--hvp", "x=1,y=0")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "Hessian, by 2 forward-over-reverse passes" in out
    assert "Second-order pass 1 of 3 (ẇ = 1 on x)" in out
    assert "Second-order pass 3 of 3 (along v = x = 1, y = 0)" in out
    assert "ẇ̄4·w1 +" in out and "w̄4·ẇ1" in out  # ẇ̄2: the product rule, second order
    assert "12.5664" in out and "(H·v)[x]" in out


def test_markdown_and_latex_show_the_second_order_pass():
    md = run_cli(LECTURE, "--at", AT, "--hessian", "--format", "markdown")
    assert md.returncode == 0 and "Second-order pass 1 of 2" in md.stdout
    assert "| ∂/∂x | 7.8696 | 12.5664 |" in md.stdout
    tex = run_cli(LECTURE, "--at", AT, "--hessian", "--format", "latex")
    assert tex.returncode == 0
    assert r"\subsection*{Second order: forward over reverse}" in tex.stdout
    assert r"\dot{\bar{w}}_2 &= \dot{\bar{w}}_4w_1 + \bar{w}_4\dot{w}_1 = 12.5664" in tex.stdout
    assert r"\frac{\partial^2 f}{\partial x\,\partial y} &= 12.5664" in tex.stdout
    expanded = run_cli(LECTURE, "--at", AT, "--hessian", "--expand", "--format", "latex")
    assert r"\frac{\partial^2 f}{\partial y^2} &= -x^{4}\cos(xy) = 16" in expanded.stdout


@pytest.mark.parametrize("args,message", [
    (["--hvp", "x=1"], "no direction for y"),
    (["--hvp", "x=1,y=0,z=2"], "z is not an input"),
    (["--hvp", "x=[1,2],y=0"], "the direction of x has shape"),
    (["--hvp", "x=1,y=(", ], "--hvp"),
    (["--hessian", "--format", "dot"], "--format dot does not print"),
])
def test_bad_second_order_requests_are_exit_2(args, message):
    r = run_cli(LECTURE, "--at", AT, *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_vector_output_needs_a_seed_for_second_derivatives():
    r = run_cli("x * 2", "--at", "x=[1,2]", "--jacobian", "--hessian")
    assert r.returncode == 2 and "seed" in r.stderr
    seeded = differentiate("x * x", {"x": np.array([1.0, 2.0])}, seed=np.array([1.0, 3.0]),
                           hessian=True)  # the Hessian of vᵀf: diag(2v)
    np.testing.assert_allclose(seeded.second.hessian["x"]["x"], np.diag([2.0, 6.0]))


# --- grading ---------------------------------------------------------------------------------

def test_second_derivatives_are_graded_like_the_first():
    right = run_cli("check", LECTURE, "--at", AT,
                    "--expect", "d2f/dxdy = -3*x**2*sin(x*y) - x**3*y*cos(x*y)",
                    "--expect", "d2f/dx2 = 7.87", "--expect", "∂²f/∂y² = 16",
                    "--expect", "∂²f/∂y∂x = 12.57", "--expect", "d^2f/dy^2 = -x**4*cos(x*y)",
                    "--json")
    doc = json.loads(right.stdout)
    assert right.returncode == 0, right.stdout
    assert [a["id"] for a in doc["problems"][0]["answers"]] == \
        ["d2f/dxdy", "d2f/dx2", "d2f/dy2", "d2f/dydx", "d2f/dy2"]
    misrounded = run_cli("check", LECTURE, "--at", AT, "--expect", "d2f/dx2 = 7.86")
    assert misrounded.returncode == 1 and "✗" in misrounded.stdout
    # right at the point only: the formula 8*pi for f_xy, a counterexample elsewhere
    only_here = run_cli("check", LECTURE, "--at", AT, "--expect", "d2f/dxdy = 4*pi", "--json")
    answer = json.loads(only_here.stdout)["problems"][0]["answers"][0]
    assert answer["right"] is True and answer["kind"] == "exact"
    elsewhere = run_cli("check", LECTURE, "--at", AT, "--expect", "d2f/dxdy = 2*x*pi", "--json")
    answer = json.loads(elsewhere.stdout)["problems"][0]["answers"][0]
    assert elsewhere.returncode == 1 and answer["counterexample"] is not None


@pytest.mark.parametrize("target,message", [
    ("d2f/dxdz", "names no inputs"), ("d2g/dx2", None), ("d2w3/dx2", "is not the output"),
])
def test_second_derivative_targets_name_inputs_and_the_output(target, message):
    r = run_cli("check", LECTURE, "--at", AT, "--expect", f"{target} = 1")
    if message is None:  # g is the lecture's other name for a function: graded
        assert r.returncode in (0, 1)
        return
    r = run_cli("check", "u = x**2; f = u*cos(x*y)+1", "--at", AT, "--expect", f"{target} = 1")
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_an_answers_file_grades_second_derivatives(tmp_path, report_validate):
    f = tmp_path / "hw.toml"
    f.write_text('[[problems]]\nname = "lecture f"\nexpression = "x**2*cos(x*y)+1"\n'
                 'at = "x=2,y=pi/2"\n[problems.expect]\n"d2f/dx2" = "-2 + pi**2"\n'
                 '"∂²f/∂x∂y" = "12.566"\n"d2f/dy2" = "15"\n', encoding="utf-8")
    r = run_cli("check", "--answers", str(f), "--json")
    doc = report_validate(json.loads(r.stdout))
    assert r.returncode == 1 and (doc["right"], doc["total"]) == (2, 3)


def test_the_answer_key_of_a_hessian_run_grades_right(tmp_path):
    key = tmp_path / "key.json"
    r = run_cli(LECTURE, "--at", AT, "--hessian", "--answers-out", str(key))
    assert r.returncode == 0, r.stderr
    expect = json.loads(key.read_text())["problems"][0]["expect"]
    assert {"d2f/dx2", "d2f/dxdy", "d2f/dy2"} <= set(expect)
    assert run_cli("check", "--answers", str(key)).returncode == 0


# --- Newton's method ------------------------------------------------------------------------

def test_newton_reaches_a_convex_quadratics_minimum_in_one_step(descent_validate):
    r = run_cli("descend", "(x-3)**2 + 2*(y+1)**2 + x*y", "--from", "x=0,y=0",
                "--optimizer", "newton", "--json")
    assert r.returncode == 0, r.stderr
    lines = [descent_validate(json.loads(line)) for line in r.stdout.splitlines()]
    result = lines[-1]["result"]
    assert result["steps"] == 1  # solve 2(x−3) + y = 0, 4(y+1) + x = 0: x = 4, y = −2
    assert result["point"]["x"] == pytest.approx(4, rel=1e-14)
    assert result["point"]["y"] == pytest.approx(-2, rel=1e-14)
    assert lines[1]["update"] == "newton" and lines[1]["step_size"] == 1.0


def test_newton_finds_rosenbrocks_minimum_from_the_classic_start():
    r = run_cli("descend", "(1-x)**2 + 100*(y-x**2)**2", "--from", "x=-1.2,y=1",
                "--optimizer", "newton", "--steps", "50", "--json")
    result = json.loads(r.stdout.splitlines()[-1])["result"]
    assert r.returncode == 0 and result["stopped"] == "grad_norm" and result["steps"] <= 50
    assert result["point"]["x"] == pytest.approx(1, abs=1e-8)
    assert result["point"]["y"] == pytest.approx(1, abs=1e-8)


def test_newton_falls_back_to_a_gradient_step_and_says_so(descent_validate):
    # at x = 0.1, f_xx = 3x² − 2 < 0: the Hessian is not positive definite
    source = "x**4/4 - x**2 + y**2"
    table = run_cli("descend", source, "--from", "x=0.1,y=1", "--optimizer", "newton")
    assert table.returncode == 0
    assert "the Hessian was not positive definite where step" in table.stdout
    assert "gradient, t = " in table.stdout
    lines = [descent_validate(json.loads(line)) for line in
             run_cli("descend", source, "--from", "x=0.1,y=1", "--optimizer", "newton",
                     "--json").stdout.splitlines()]
    assert lines[1]["update"] == "gradient" and "not positive definite" in lines[1]["note"]
    assert lines[-1]["result"]["point"]["x"] == pytest.approx(math.sqrt(2), rel=1e-9)


def test_newton_takes_no_learning_rate():
    r = run_cli("descend", "x**2", "--from", "x=1", "--optimizer", "newton", "--lr", "0.5")
    assert r.returncode == 2 and "line search" in r.stderr


# --- sweeps ---------------------------------------------------------------------------------

def test_a_sweep_gives_the_hessian_at_every_point_as_single_runs_do(sweep_validate):
    r = run_cli("sweep", LECTURE, "--over", "x=-2:2:5", "--over", "y=-1:1:3", "--hessian",
                "--json")
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        doc = sweep_validate(json.loads(line))
        p = doc["point"]
        one = differentiate(LECTURE, {"x": p["x"], "y": p["y"]}, hessian=True).second.hessian
        for a in "xy":
            for b in "xy":
                assert doc["hessian"][a][b] == pytest.approx(float(one[a][b]), rel=1e-14,
                                                             abs=1e-15)


def test_a_sweeps_csv_and_table_and_plot_carry_the_second_derivatives():
    csv = run_cli("sweep", "x**3*y", "--over", "x=-1:1:3", "--at", "y=2", "--hessian",
                  "--format", "csv")
    header, *rows = csv.stdout.splitlines()
    assert header == "x,y,f,df/dx,df/dy,d2f/dx2,d2f/dxdy,d2f/dy2"
    assert [float(v) for v in rows[0].split(",")[5:]] == pytest.approx([-12, 3, 0])
    table = run_cli("sweep", "x**3*y", "--over", "x=-1:1:3", "--at", "y=2", "--hessian")
    assert "∂²f/∂x²" in table.stdout and "∂²f/∂x∂y" in table.stdout
    plot = run_cli("sweep", "sin(x)", "--over", "x=-3:3:61", "--hessian", "--plot")
    assert plot.returncode == 0 and "∂²f/∂x²" in plot.stdout
