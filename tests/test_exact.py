"""Constants stay exact in formulas, as a person writes them (backprop_cli/exact.py, the
folding in formula.make, the rational normal form in simplify.py): 1/3 stays 1/3, not
0.3333333333333333; 2*pi stays 2π, not 6.283185307179586. Values are unchanged."""

from __future__ import annotations

import json
import math
import re
from fractions import Fraction

import pytest
import sympy

from backprop_cli import differentiate
from backprop_cli.symbolic import exact
from backprop_cli.symbolic.formula import App, Var, make, show
from backprop_cli.engine.program import Const
from conftest import run_cli
from backprop_cli.render.json_doc import trace_document

EXAMPLE = "sin(2*pi*x)*x/3"


def _out(*args) -> str:
    r = run_cli(EXAMPLE, "--at", "x=0.1", "--expand", "--mode", "both", *args)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout


def _rows(text: str) -> list[list[str]]:
    """The table rows of the terminal output, cells split on runs of 2+ spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in text.splitlines() if line.strip()]


def test_the_example_in_the_terminal():
    rows = _rows(_out())
    assert ["w2", "2π·w1", "0.628319"] in rows  # not (2*π)·w1
    assert ["∂w5/∂w4", "1/3", "0.333333"] in rows  # not 0.3333333333333333
    assert ["∂w2/∂w1", "2π", "6.28319"] in rows
    assert ["ẇ2", "2π·ẇ1", "6.28319"] in rows
    assert ["w̄4", "w̄5/3", "1/3", "0.333333"] in rows
    assert ["w̄1", "w̄2·2π + w̄4·w3", "w3/3 + 2π·w1·cos(w2)/3", "0.365369"] in rows
    assert ["x", "0.365369", "0.365369", "sin(2π·x)/3 + 2π·x·cos(2π·x)/3"] in rows
    assert "0.33333333" not in "".join(map(str, rows)) and "6.2831853" not in str(rows)


def test_the_example_in_json_is_ascii_that_parses_again(validate):
    doc = validate(json.loads(_out("--json")))
    nodes = {row["id"]: row for row in doc["nodes"]}
    assert nodes["w2"]["text"] == "2*pi*w1"
    assert nodes["w4"]["adjoint_formula"] == "w5bar/3"
    assert nodes["w4"]["adjoint_simplified"] == "1/3"
    assert nodes["w1"]["adjoint_formula"] == "w2bar*2*pi + w4bar*w3"
    assert nodes["w1"]["adjoint_simplified"] == "w3/3 + 2*pi*w1*cos(w2)/3"
    partials = {(p["from"], p["to"]): p["formula"] for p in doc["partials"]}
    assert partials[("w4", "w5")] == "1/3" and partials[("w1", "w2")] == "2*pi"
    expanded = doc["gradient_expanded"]["x"]
    assert expanded == "sin(2*pi*x)/3 + 2*pi*x*cos(2*pi*x)/3"
    # the same numbers as before: read back by the grammar, the text gives the gradient
    got = float(differentiate(expanded, at={"x": "0.1"}).value)
    assert got == pytest.approx(doc["gradient"]["x"], rel=1e-15)


def test_the_example_in_latex():
    tex = _out("--format", "latex")
    assert r"\frac{\partial w_5}{\partial w_4} &= \frac{1}{3} = 0.333333" in tex
    assert r"w_2 &= 2\pi w_1\\" in tex
    assert r"\dot{w}_2 &= 2\pi\dot{w}_1 = 6.28319" in tex
    assert r"&= \frac{\bar{w}_5}{3}\\*" in tex
    assert r"&= \frac{w_3}{3} + \frac{2\pi w_1\cos(w_2)}{3}\\*" in tex
    assert r"&= \frac{\sin(2\pi x)}{3} + \frac{2\pi x\cos(2\pi x)}{3}\\*" in tex
    assert "0.3333333" not in tex and "6.2831853" not in tex


def test_the_example_in_markdown():
    md = _out("--format", "markdown")
    assert "1/3" in md and "2π·w1" in md and "0.3333333" not in md


# --- the folding rule -----------------------------------------------------------------

def _c(text: str) -> Const:
    return Const(math.pi if text == "pi" else float(Fraction(text)), text)


@pytest.mark.parametrize("op,args,want", [
    ("div", ("1", "3"), "1/3"),            # a repeating decimal stays a division
    ("div", ("2", "6"), "1/3"),            # in lowest terms
    ("div", ("1", "4"), "1/4"),            # whole over whole stays a fraction, as x/3
    ("div", ("6", "3"), "2"),              # unless it is whole
    ("div", ("0.5", "2"), "0.25"),         # a short decimal folds
    ("mul", ("2", "0.25"), "0.5"),
    ("mul", ("0.1", "3"), "0.3"),          # exact from the text: 3/10, not 0.30000000000000004
    ("sub", ("0.3", "0.1"), "0.2"),
    ("pow", ("2", "10"), "1024"),
    ("pow", ("2", "-1"), "0.5"),
    ("sub", ("2.5", "1"), "1.5"),
    ("pow", ("2", "0.5"), "2^0.5"),        # irrational: the operation stays
    ("pow", ("3", "30"), "3³⁰"),          # exact but too long to have been typed
    ("pow", ("10", "20"), "1e+20"),        # unless a float's text says it exactly
    ("mul", ("2", "pi"), "2π"),            # π stays a symbol
    ("sub", ("pi", "1"), "π − 1"),
    ("div", ("1", "0"), "1/0"),            # undefined: kept, never folded to inf
])
def test_make_folds_numbers_only_to_short_exact_decimals(op, args, want):
    assert show(make(op, tuple(_c(a) for a in args))) == want


def test_folding_continues_through_fractions():
    third = make("div", (_c("1"), _c("3")))
    assert show(make("sub", (third, _c("1")))) == "−2/3"  # the exponent of x**(1/3)'s rule
    assert show(make("mul", (third, _c("3")))) == "1"
    assert show(make("mul", (make("div", (_c("2"), _c("3"))), Var(0)))) == "2·w1/3"
    assert show(make("mul", (third, Var(0))), "latex") == r"\frac{w_1}{3}"


def test_a_ratio_operand_is_bracketed():
    node = App("mul", (Const(1 / 3, "1/3"), Var(0)))  # u = 1/3; u*x: the node as built
    assert show(node) == "(1/3)·w1" and show(node, "ascii") == "(1/3)*w1"
    assert show(App("div", (Var(0), Const(2 / 3, "2/3"))), "ascii") == "w1/(2/3)"


def test_exact_numbers():
    assert exact.rational("0.1") == Fraction(1, 10)
    assert exact.rational("pi") is None and exact.rational("2*pi") is None
    assert exact.decimal(Fraction(1, 3)) is None and exact.decimal(Fraction(5, 2)) == "2.5"
    assert exact.short(Fraction(1, 1024)) is None  # 0.0009765625: 12 characters
    grown = Fraction(11, 10) ** 40  # 41 digits over 40: past reading, back to a float's
    assert exact.bounded(grown) == Fraction(repr(float(grown))) != grown
    assert exact.bounded(Fraction(1, 3)) == Fraction(1, 3)


# --- what the formulas mean: SymPy reads them exactly -----------------------------------

@pytest.mark.parametrize("source", [
    EXAMPLE,
    "x**(1/3)",
    "0.1*3*x + x/7",
    "x*pi/2 + e*x",
    "(x - 1/3)**2/7 + sin(x/(2*pi))",
    "x**2.5/3 - 2*pi*x*y",
    "u = 1/3; v = u*x; v**2*y",
])
def test_the_expanded_gradient_is_sympys_derivative_exactly(source):
    """Read by SymPy with every number as the rational it spells, the gradient --expand
    prints equals SymPy's derivative symbolically: no float stands in for 1/3 or 2π."""
    t = differentiate(source, at={"x": "0.7", "y": "1.3"} if "y" in source else {"x": "0.7"})
    names = {"x": sympy.Symbol("x"), "y": sympy.Symbol("y"), "pi": sympy.pi, "e": sympy.E}
    *statements, last = [s.strip() for s in source.split(";")]
    env = dict(names)
    for s in statements:
        name, text = s.split("=")
        env[name.strip()] = sympy.sympify(text, locals=env, rational=True)
    f = sympy.sympify(last, locals=env, rational=True)
    for name, text in trace_document(t, expand=True)["gradient_expanded"].items():
        assert text is not None
        ours = sympy.sympify(text, locals=names, rational=True)
        assert sympy.simplify(ours - sympy.diff(f, names[name])) == 0, (source, name, text)
        assert not re.search(r"\d\.\d{7}", text), text  # no float standing in for 1/3
        assert math.isfinite(float(t.gradient[name]))


def test_a_constant_made_of_statements_keeps_its_operands_text():
    """u = 1/3; v = u*2: v's text cannot name u (a statement means nothing in a formula),
    so it is written from u's: 2/3, not 0.6666666666666666."""
    doc = trace_document(differentiate("u = 1/3; v = u*2; w = sin(u); v*x + w*x", at={"x": "0.5"}))
    texts = [row["text"] for row in doc["nodes"]]
    assert "(2/3)*w1" in texts and "sin(1/3)*w1" in texts, texts
    # past a formula's length, the value's digits stand in (no text grows without bound)
    long = "u = 1/3; v = u*u; w = v*v; z = w*w; q = z*z; r = q*q; s = r*r; t = s*s; t*x"
    text = trace_document(differentiate(long, at={"x": "1"}))["nodes"][1]["text"]
    assert float(text.removesuffix("*w1")) == pytest.approx(3.0 ** -128, rel=1e-15)


def test_a_constant_with_a_call_stays_one_factor():
    """u = 1; exp(u): the constant is written exp(1) and counts as one factor, as π does,
    so the forms that hold it stay short; a product with a call, as a partial, is
    bracketed in the chain rule."""
    t = differentiate("u = 1; v = log(2)*3; exp(u)*x + v*x**2", at={"x": "0.5"})
    doc = trace_document(t, expand=True)
    rows = [(r["text"], r["adjoint_formula"], r["adjoint_simplified"]) for r in doc["nodes"]]
    assert rows[1][0] == "exp(1)*w1" and rows[3][0] == "3*log(2)*w3"
    assert rows[2][1:] == ("w4bar*(3*log(2))", "3*log(2)")
    expanded = doc["gradient_expanded"]["x"]
    assert "exp(1)" in expanded and "log(2)" in expanded, expanded
    got = float(differentiate(expanded, at={"x": "0.5"}).value)
    assert got == pytest.approx(t.gradient["x"], rel=1e-14)


def test_a_constant_output_from_statements_prints_simplified():
    """u = 1/3; u*2 folds to a constant whose text lowering writes from its operands,
    (1/3)*2; the output line reads it as the formulas do: 2/3."""
    r = run_cli("u = 1/3; u*2")
    assert r.returncode == 0, r.stderr
    assert "f = 2/3 = 0.666667" in r.stdout


def test_an_exact_value_past_the_largest_float_is_an_overflow_not_a_crash():
    """1/y at y = 1e-320 is exactly 10^320: its float is inf, as the pass's value (float()
    of such a Fraction raises OverflowError: an internal error, exit 3, before)."""
    r = run_cli("1/y", "--at", "y=1e-320", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["value"] == "Infinity" and doc["gradient"] == {"y": "-Infinity"}
    assert [w["kind"] for w in doc["warnings"]] == ["overflow"]
