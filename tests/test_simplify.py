"""Simplified adjoints and gradients in terms of the inputs (backprop_cli/simplify.py).

The lecture (course-notes/000_*.txt) prints the adjoints of f(x, y) = x²cos(xy) + 1 in
terms of the w's, simplified by hand, and the hand-derived partials of the exercise
g(x, y) = xy·e^{xy}: those are the oracles here, with SymPy for the expansions.
"""

import math
import random

import pytest
import sympy

from backprop_cli import differentiate
from backprop_cli.symbolic.formula import App, Var, show
from backprop_cli.engine.program import Const
from backprop_cli.symbolic.simplify import (MAX_NODES, Adjoints, TooLong, expanded_gradient, simplify,
                                   tangent_formula)

LECTURE_F = "x**2*cos(x*y)+1"
LECTURE_G = "x*y*exp(x*y)"


def simplified(source, at, style="unicode"):
    t = differentiate(source, at=at)
    adj = Adjoints(t)
    return {f"w{i + 1}": show(adj.formula(i), style) for i in range(len(t.program.nodes))}


def test_the_lectures_adjoints_exactly():
    """'w7bar = 1, w6bar = 1, w5bar = w3, w4bar = -w3*torch.sin(w4), w3bar = w5,
    w2bar = -w1*w3*torch.sin(w4), w1bar = 2*w1*w5 - w2*w3*torch.sin(w4)'"""
    assert simplified(LECTURE_F, "x=-1,y=pi/3") == {
        "w7": "1", "w6": "1", "w5": "w3", "w4": "−w3·sin(w4)", "w3": "w5",
        "w2": "−w1·w3·sin(w4)", "w1": "2·w1·w5 − w2·w3·sin(w4)"}
    assert simplified(LECTURE_F, "x=-1,y=pi/3", "ascii") == {
        "w7": "1", "w6": "1", "w5": "w3", "w4": "-w3*sin(w4)", "w3": "w5",
        "w2": "-w1*w3*sin(w4)", "w1": "2*w1*w5 - w2*w3*sin(w4)"}


def test_the_lectures_adjoints_have_the_printed_values():
    # "w1: Manual = tensor([-0.0931]) … w4: Manual = tensor([0.8660])": each simplified
    # formula, read by the grammar, at the run's values of w1…w7
    t = differentiate(LECTURE_F, at="x=-1,y=pi/3")
    printed = [-0.0931, -0.8660, 0.5000, 0.8660, 1, 1, 1]
    for i, want in enumerate(printed):
        assert evaluate(show(Adjoints(t).formula(i), "ascii"), t) == pytest.approx(want, abs=5e-5)


def evaluate(text, t):
    """An ascii formula at the trace's values, w1… and w1bar… bound."""
    env = {f"w{k + 1}": float(v) for k, v in enumerate(t.values)}
    env |= {f"w{k + 1}bar": float(a) for k, a in enumerate(t.adjoints)}
    names = [n for n in env if _mentions(text, n)]
    at = {n: repr(env[n]) for n in names}
    return float(differentiate(text, at=at).value) if names else float(differentiate(text).value)


def _mentions(text, name):
    import re

    return re.search(rf"\b{name}\b", text) is not None


# --- the exercise g(x, y) = xy·e^{xy} -------------------------------------------------------

X, Y = sympy.symbols("x y", real=True)
SYMPY_NAMES = {"x": X, "y": Y, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
               "log2": lambda a: sympy.log(a, 2), "log10": lambda a: sympy.log(a, 10),
               "relu": lambda a: sympy.Max(a, 0), "step": sympy.Heaviside,
               "pi": sympy.pi, "e": sympy.E}


def to_sympy(text: str):
    """An ascii formula of ours, read by SymPy (our ** and names are SymPy's too)."""
    return sympy.sympify(text, locals=SYMPY_NAMES)


def test_g_adjoints_of_the_inputs_reduce_to_the_hand_derived_partials():
    """'∂g/∂x = ye^{xy} + xy²e^{xy}, ∂g/∂y = xe^{xy} + x²ye^{xy}'."""
    t = differentiate(LECTURE_G, at="x=1,y=2")
    adj = Adjoints(t)
    assert [show(adj.formula(i)) for i in (0, 1)] == ["w2·w4 + w2·w3·w4", "w1·w4 + w1·w3·w4"]
    expanded = expanded_gradient(adj)
    assert show(expanded["x"]) == "y·exp(x·y) + x·y²·exp(x·y)"
    assert show(expanded["y"]) == "x·exp(x·y) + x²·y·exp(x·y)"
    hand = {"x": Y * sympy.exp(X * Y) + X * Y**2 * sympy.exp(X * Y),
            "y": X * sympy.exp(X * Y) + X**2 * Y * sympy.exp(X * Y)}
    # w̄1, w̄2 in terms of the w's, with the node definitions put in by SymPy
    w = {"w1": X, "w2": Y, "w3": X * Y, "w4": sympy.exp(X * Y), "w5": X * Y * sympy.exp(X * Y)}
    rng = random.Random(7)
    for k, var in enumerate("xy"):
        from_ws = sympy.sympify(show(adj.formula(k), "ascii"), locals=w)
        assert sympy.simplify(from_ws - hand[var]) == 0
        assert sympy.simplify(to_sympy(show(expanded[var], "ascii")) - hand[var]) == 0
        for _ in range(5):
            pt = {X: rng.uniform(-2, 2), Y: rng.uniform(-2, 2)}
            assert float(from_ws.subs(pt)) == pytest.approx(float(hand[var].subs(pt)), rel=1e-12)


def test_lecture_f_expanded_gradient():
    t = differentiate(LECTURE_F, at="x=-1,y=pi/3")
    expanded = expanded_gradient(Adjoints(t))
    assert show(expanded["x"]) == "2·x·cos(x·y) − x²·y·sin(x·y)"
    assert show(expanded["x"], "ascii") == "2*x*cos(x*y) - x**2*y*sin(x*y)"
    f = X**2 * sympy.cos(X * Y) + 1
    for var, s in (("x", X), ("y", Y)):
        assert sympy.simplify(to_sympy(show(expanded[var], "ascii")) - sympy.diff(f, s)) == 0


def test_dynamic_programming_example_expands_to_the_notes_derivative():
    """df/dx = 2x(1 + e^{x²})(1/(2√(x² + e^{x²})) − sin(x² + e^{x²})), from 003."""
    t = differentiate("sqrt(x**2 + exp(x**2)) + cos(x**2 + exp(x**2))", at="x=0.5")
    got = to_sympy(show(expanded_gradient(Adjoints(t))["x"], "ascii"))
    g = X**2 + sympy.exp(X**2)
    notes = 2 * X * (1 + sympy.exp(X**2)) * (1 / (2 * sympy.sqrt(g)) - sympy.sin(g))
    assert sympy.simplify(got - notes) == 0


# --- the rules, one at a time ----------------------------------------------------------------

W1, W2, W3 = Var(0), Var(1), Var(2)
TWO = Const(2.0, "2")


def app(op, *args):
    return App(op, args)


@pytest.mark.parametrize("tree,want", [
    (app("mul", Const(1.0, "1"), W1), "w1"),                                 # ones
    (app("add", W1, Const(0.0, "0")), "w1"),                                # zeros
    (app("mul", Const(3.0, "3"), app("mul", TWO, W1)), "6·w1"),             # numbers fold
    (app("mul", W2, app("neg", W1)), "−w1·w2"),                             # signs out
    (app("add", app("mul", W1, W2), app("mul", W2, W1)), "2·w1·w2"),        # like terms
    (app("sub", app("mul", W1, W2), app("mul", W2, W1)), "0"),
    (app("mul", app("sin", W3), app("mul", W2, TWO)), "2·w2·sin(w3)"),      # canonical order
    (app("mul", W1, app("pow", W1, TWO)), "w1³"),
    (app("div", W1, app("mul", TWO, W2)), "w1/(2·w2)"),
    (app("div", app("pow", W1, Const(0.5, "0.5")), W1), "1/w1^0.5"),
    (app("sub", app("neg", W1), W2), "−w1 − w2"),
    (app("add", app("neg", W1), W2), "w2 − w1"),                            # a positive first
    (app("mul", Const(math.pi, "pi"), app("add", W1, W1)), "2π·w1"),  # as written by hand
    (app("pow", app("pow", W1, TWO), Const(0.5, "0.5")), "(w1²)^0.5"),     # |w1|, not w1
])
def test_rules(tree, want):
    assert show(simplify(tree)) == want


def test_ascii_parses_again():
    tree = app("div", app("neg", app("mul", W1, app("cos", W2))), app("add", W1, TWO))
    text = show(simplify(tree), "ascii")
    assert text == "-w1*cos(w2)/(w1 + 2)"
    got = differentiate(text, at="w1=0.3,w2=1.1").value
    assert float(got) == pytest.approx(-0.3 * math.cos(1.1) / 2.3, rel=1e-15)


def test_tangent_formulas_read_as_the_product_rule():
    t = differentiate(LECTURE_F, at="x=-1,y=pi/3")
    got = [show(tangent_formula(t.program, j)) for j in range(2, 7)]
    assert got == ["2·w1·ẇ1", "ẇ1·w2 + w1·ẇ2", "−ẇ4·sin(w4)", "ẇ3·w5 + w3·ẇ5", "ẇ6"]
    t = differentiate("x/y", at="x=1,y=2")
    assert show(tangent_formula(t.program, 2)) == "ẇ1/w2 − w1·ẇ2/w2²"


# --- big graphs: a cap, a fallback that says so, only the rows asked for ------------------------

def test_a_form_too_long_falls_back_to_the_chain_rule_symbol():
    # every level doubles the terms: w̄ of the bottom would have 2^20 terms
    source = "x0 = x\n" + "\n".join(f"x{k} = (x{k - 1} + y)*(x{k - 1} - y)" for k in range(1, 21))
    t = differentiate(source, at="x=0.5,y=0.25")
    adj = Adjoints(t)
    forms = [adj.formula(i) for i in range(len(t.program.nodes))]
    assert forms[-1] == Const(1.0, "1")
    assert None in forms  # too long: the table says so, the chain-rule form stands
    # a sum below a too-long adjoint keeps its w̄ as a symbol
    fallback = [show(f) for f in forms if f is not None and "w̄" in show(f)]
    assert fallback
    # and still evaluates to the adjoint, with the w̄'s bound to the trace's numbers
    for i, f in enumerate(forms):
        if f is not None:
            got = evaluate(show(f, "ascii"), t)
            assert got == pytest.approx(float(t.adjoints[i]), rel=1e-9, abs=1e-12), show(f)
    assert expanded_gradient(adj)["x"] is None


def test_only_the_rows_asked_for_are_derived():
    t = differentiate("+".join(f"sin(x*{k})" for k in range(1, 200)), at="x=0.5")
    adj = Adjoints(t)
    n = len(t.program.nodes)
    adj.formula(n - 1)
    adj.formula(n - 2)
    assert len(adj.memo) <= 3


def test_graphs_over_the_limit_are_not_simplified():
    t = differentiate("+".join(["x"] * (MAX_NODES + 1)), at="x=1")
    assert len(t.program.nodes) > MAX_NODES
    assert Adjoints(t).formula(0) is None


def test_too_long_is_raised_by_simplify():
    tree = W1
    for _ in range(12):
        tree = app("mul", app("add", tree, W2), app("add", tree, W3))
    with pytest.raises(TooLong):
        simplify(tree)
