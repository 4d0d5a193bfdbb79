"""The numbers and the numbering printed in the course notes (../shared/course-notes/)
are the oracle here: nobody on this project wrote them."""

import math

import pytest

from backprop_cli import differentiate
from backprop_cli.symbolic.formula import adjoint_formula, node_text
from backprop_cli.engine.program import Const

LECTURE_F = "x**2*cos(x*y)+1"


def test_lecture_f_ssa_list_is_the_lectures():
    p = differentiate(LECTURE_F, at="x=2,y=pi/2").program
    assert [(n.op, n.args) for n in p.nodes] == [
        ("input", ()),                     # w1 = x
        ("input", ()),                     # w2 = y
        ("pow", (0, Const(2.0, "2"))),     # w3 = w1²
        ("mul", (0, 1)),                   # w4 = w1·w2
        ("cos", (3,)),                     # w5 = cos(w4)
        ("mul", (2, 4)),                   # w6 = w3·w5
        ("add", (5, Const(1.0, "1"))),     # w7 = w6 + 1: the constant lives on the edge
    ]
    assert p.inputs == ["x", "y"]
    assert [node_text(p, i) for i in range(7)] == ["x", "y", "w1²", "w1·w2", "cos(w4)",
                                                   "w3·w5", "w6 + 1"]


def test_lecture_f_forward_pass_at_2_and_half_pi():
    t = differentiate(LECTURE_F, at="x=2,y=pi/2")
    expected = [2, math.pi / 2, 4, math.pi, -1, -4, -3]
    assert [float(v) for v in t.values] == pytest.approx(expected, abs=1e-12)


def test_lecture_f_adjoints_match_the_printed_torch_comparison():
    # "w1: Manual = tensor([-0.0931]) ... w7: Manual = 1" at x = -1, y = π/3
    t = differentiate(LECTURE_F, at="x=-1,y=pi/3")
    printed = [-0.0931, -0.8660, 0.5000, 0.8660, 1, 1, 1]
    assert [round(float(a), 4) for a in t.adjoints] == printed
    assert [round(float(g), 4) for g in t.gradient.values()] == printed[:2]


def test_lecture_f_adjoint_of_w1_sums_its_two_successors():
    # w̄1 = w̄3 ∂w3/∂w1 + w̄4 ∂w4/∂w1: w1 feeds w3 = w1² and w4 = w1·w2
    t = differentiate(LECTURE_F, at="x=-1,y=pi/3")
    succ = t.successors()
    assert [e.target for e in succ[0]] == [2, 3]
    assert adjoint_formula(t, 0, succ[0], "ascii") == "w3bar*(2*w1) + w4bar*w2"
    assert adjoint_formula(t, 5, succ[5], "ascii") == "w7bar"       # w̄6 = w̄7·1
    assert adjoint_formula(t, 4, succ[4], "ascii") == "w6bar*w3"    # w̄5 = w̄6·w3
    assert adjoint_formula(t, 2, succ[2], "ascii") == "w6bar*w5"    # w̄3 = w̄6·w5
    # and the lecture's closed forms, w̄1 = 2w1w5 − w2w3 sin(w4), w̄2 = −w1w3 sin(w4)
    w = [float(v) for v in t.values]
    assert float(t.adjoints[0]) == pytest.approx(2 * w[0] * w[4] - w[1] * w[2] * math.sin(w[3]))
    assert float(t.adjoints[1]) == pytest.approx(-w[0] * w[2] * math.sin(w[3]))


@pytest.mark.parametrize("x,y", [(1.0, 2.0), (-0.5, 0.3), (0.7, -1.1)])
def test_lecture_g_has_five_nodes_and_the_hand_derived_partials(x, y):
    t = differentiate("x*y*exp(x*y)", at={"x": x, "y": y})
    assert len(t.program.nodes) == 5
    e = math.exp(x * y)
    assert float(t.gradient["x"]) == pytest.approx(y * e + x * y**2 * e)
    assert float(t.gradient["y"]) == pytest.approx(x * e + x**2 * y * e)


def test_exercise_c_equals_a_plus_b_d_equals_c_plus_a():
    t = differentiate("c = a + b; d = c + a", at="a=1,b=2")
    names = [n.names for n in t.program.nodes]
    assert names == [("a",), ("b",), ("c",), ("d",)]
    d_bar, c_bar, b_bar, a_bar = (float(t.adjoints[i]) for i in (3, 2, 1, 0))
    assert (d_bar, c_bar, b_bar, a_bar) == (1.0, 1.0, 1.0, 2.0)
    assert t.output_name == "d"


def test_dynamic_programming_example_shares_subexpressions():
    f = "sqrt(x**2+exp(x**2))+cos(x**2+exp(x**2))"
    shared = differentiate(f, at="x=0.5")
    tree = differentiate(f, at="x=0.5", share=False)
    assert len(shared.program.nodes) == 7
    assert len(tree.program.nodes) == 12  # the input, and x² four times, e^{x²} twice, …
    assert [n.op for n in shared.program.nodes] == ["input", "pow", "exp", "add", "sqrt",
                                                    "cos", "add"]
    x = 0.5
    g = x**2 + math.exp(x**2)
    closed = 2 * x * (1 / (2 * math.sqrt(g)) - math.sin(g)) * (1 + math.exp(x**2))
    assert float(shared.gradient["x"]) == pytest.approx(closed)
    assert float(tree.gradient["x"]) == pytest.approx(closed)


def test_vector_free_fan_out_of_the_dag_notes():
    # "Backprop in DAGs": a node with fan-out sums the gradients of its two uses
    t = differentiate("y = x*x; y + x", at="x=3")
    assert float(t.gradient["x"]) == 7.0


# --- vectors and matrices (001, 002, 003), as the examples in examples/ run them ---------

def _example(name: str, **kw):
    import shlex
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.bp"
    run = next(line for line in path.read_text().splitlines() if line.startswith("# run:"))
    args = shlex.split(run)
    at = args[args.index("--at") + 1]
    seed = args[args.index("--seed") + 1] if "--seed" in args else None
    return differentiate(path.read_text(), at=at, seed=seed), at


def test_y_is_x_transposed_x_has_gradient_2x():  # 001: (x.grad == 2*x).all()
    t, _ = _example("vector_dot")
    assert float(t.value) == 14.0 and t.gradient["x"].tolist() == [0, 2, 4, 6]


def test_y_backward_v_of_a_slice_is_v_times_the_jacobian():  # 001: x.grad == v @ J
    t, _ = _example("vector_slice")
    J = [[1, 0, 0, 0], [0, 1, 0, 0]]
    v = [1, 0.5]
    assert t.gradient["x"].tolist() == [sum(v[i] * J[i][j] for i in range(2)) for j in range(4)]


def test_layer_and_two_layer_gradients_by_hand():  # 002, 003: transposed Jacobians, in order
    import numpy as np

    from backprop_cli import parse_point

    t, at = _example("layer_loss")
    p = {k: np.asarray(v) for k, v in parse_point(at).items()}
    s = 1 / (1 + np.exp(-(p["A"] @ p["x"] + p["b"])))
    d = -2 * (p["y"] - s) * s * (1 - s)
    assert np.allclose(t.gradient["A"], np.outer(d, p["x"]), rtol=1e-13)
    assert np.allclose(t.gradient["b"], d, rtol=1e-13)
    assert np.allclose(t.gradient["x"], p["A"].T @ d, rtol=1e-13)

    t, at = _example("two_layer")
    p = {k: np.asarray(v) for k, v in parse_point(at).items()}
    h = 1 / (1 + np.exp(-(p["A1"] @ p["x"] + p["b1"])))
    z = p["A2"] @ h + p["b2"]
    q = np.exp(z) / np.exp(z).sum()
    assert math.isclose(float(t.value), -np.sum(p["y"] * np.log(q)), rel_tol=1e-13)
    dz = q - p["y"]
    da = (p["A2"].T @ dz) * h * (1 - h)
    for name, want in [("A2", np.outer(dz, h)), ("b2", dz), ("A1", np.outer(da, p["x"])),
                       ("b1", da), ("x", p["A1"].T @ da)]:
        assert np.allclose(t.gradient[name], want, rtol=1e-12), name


def test_the_notes_answers_worksheet_grades_all_right_and_a_wrong_digit_is_caught(tmp_path):
    """examples/homework.toml holds the answers the notes print for their own exercises:
    graded by the installed command, all are right; one digit changed is one wrong."""
    import json

    from conftest import REPO, run_cli

    sheet = REPO / "examples" / "homework.toml"
    r = run_cli("--answers", str(sheet), "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["all_right"] and report["total"] == 17
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(sheet.read_text().replace('w2bar = "-0.8660"', 'w2bar = "-0.8661"'))
    r = run_cli("--answers", str(wrong), "--json")
    report = json.loads(r.stdout)
    assert r.returncode == 1 and report["right"] == 16
    misses = [a["target"] for p in report["problems"] for a in p["answers"] if not a["right"]]
    assert misses == ["w2bar"]
