"""The formulas the tables print. The ascii ones parse again with backprop's own grammar,
so each is checked by evaluating it at the run's values: a partial's formula must give the
partial the reverse pass computed with the op table's numeric rule, and an adjoint's
formula must give the adjoint. Templates and numeric rules are two spellings of one
derivative; this catches them drifting apart at the level a student reads."""

import math
import random

import pytest

from backprop_cli import differentiate
from backprop_cli.symbolic.formula import adjoint_formula, edge_formula, node_text, show, template
from backprop_cli.engine.ops import OPS

CASES = [
    ("x**2*cos(x*y)+1", "x=-1,y=pi/3"),
    ("x*y*exp(x*y)", "x=0.3,y=-1.2"),
    ("sqrt(x**2+exp(x**2))+cos(x**2+exp(x**2))", "x=0.5"),
    ("c = a + b; d = c + a", "a=1,b=2"),
    ("x/y - y/x + x**y + 2**x - (x-y)**3", "x=1.5,y=0.7"),
    ("tan(x) + asin(x/2) + acos(x/3) + atan(x*y) + sinh(y) + cosh(x) + tanh(x*y)", "x=0.4,y=0.9"),
    ("log(x) + log2(y) + log10(x*y) + sigmoid(x - y) + relu(x) + abs(y - 2)", "x=0.4,y=0.9"),
    ("max(x, y) * min(x, y) + pow(x, 3) - -x + x*x*x", "x=1.25,y=-0.5"),
]


def _env(trace, bars=False):
    env = {f"w{i + 1}": float(v) for i, v in enumerate(trace.values)}
    if bars:
        env.update({f"w{i + 1}bar": float(a) for i, a in enumerate(trace.adjoints)})
    return env


def _evaluate(formula: str, env: dict) -> float:
    used = {k: v for k, v in env.items() if k in formula}
    import re
    names = set(re.findall(r"w\d+(?:bar)?", formula))
    return float(differentiate(formula, at={k: used[k] for k in names}).value) if names \
        else float(differentiate(formula).value)


@pytest.mark.parametrize("expr,at", CASES)
def test_partial_formulas_evaluate_to_the_partials(expr, at):
    t = differentiate(expr, at=at)
    env = _env(t)
    for edge in t.edges():
        text = edge_formula(t.program, edge, "ascii")
        assert _evaluate(text, env) == pytest.approx(float(t.edge_value(edge)), rel=1e-12,
                                                     abs=1e-12), text


@pytest.mark.parametrize("expr,at", CASES)
def test_adjoint_formulas_evaluate_to_the_adjoints(expr, at):
    t = differentiate(expr, at=at)
    env = _env(t, bars=True)
    succ = t.successors()
    for i in range(len(t.program.nodes)):
        text = adjoint_formula(t, i, succ[i], "ascii")
        assert _evaluate(text, env) == pytest.approx(float(t.adjoints[i]), rel=1e-12,
                                                     abs=1e-12), text


@pytest.mark.parametrize("expr,at", CASES)
def test_node_definitions_evaluate_to_the_values(expr, at):
    t = differentiate(expr, at=at)
    env = _env(t)
    for i in range(t.program.n_inputs, len(t.program.nodes)):
        text = node_text(t.program, i, "ascii")
        assert _evaluate(text, env) == pytest.approx(float(t.values[i]), rel=1e-12), text


def test_unicode_formulas_read_as_a_person_writes_them():
    t = differentiate("x**2*cos(x*y)+1 - x**3/y", at="x=2,y=3")
    p = t.program
    texts = {edge_formula(p, e) for e in t.edges()}
    assert {"2·w1", "−sin(w4)", "3·w1²", "1/w2", "−w8/w2²", "−1", "1"} <= texts
    assert [node_text(p, i) for i in range(2, 5)] == ["w1²", "w1·w2", "cos(w4)"]


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.vjp is None))
def test_every_template_parses(name):
    for k in range(OPS[name].arity):
        assert show(template(name, k), "ascii")
