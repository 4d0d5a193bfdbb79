"""Sweeps: every point of a sweep equals its own single-point run (the same numpy
functions on both paths), domain errors are nan with a count, and the CLI's outputs."""

import csv
import io
import json

import numpy as np
import pytest
from conftest import run_cli

from backprop_cli import differentiate, lower
from backprop_cli.engine.ops import OPS
from backprop_cli.errors import BackpropError
from backprop_cli.tasks.sweep import Range, parse_range, sweep, sweep_program
from backprop_cli.render.sentences import diagnostic_message

# Every op of the table in one expression each, over points inside its domain (the
# ops of vectors and matrices are not swept: a sweep takes programs of scalars).
OPERATORS = {"add": "x + y", "sub": "x - y", "mul": "x * y", "div": "x / y", "neg": "-x*y",
             "pow": "x ** y", "lt": "x < y", "le": "x <= y", "gt": "x > y", "ge": "x >= y",
             "eq": "x == y", "ne": "x != y", "where": "where(x > 0, sqrt(x), y*x)",
             "clip": "clip(x, -1, y)*y"}
EXPRESSIONS = [OPERATORS.get(name) or (f"{name}(x, y)" if op.arity == 2 else f"{name}(x)*y")
               for name, op in OPS.items() if op.vjp is None] + ["x**2*cos(x*y)+1", "x*y*exp(x*y)",
                                               "(sqrt(x**2+exp(x**2))+cos(x**2+exp(x**2)))*y",
                                               "c = x + y; d = c + x"]


def _same(a, b, what):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(b)), what
    ok = ~np.isnan(a)
    np.testing.assert_array_max_ulp(a[ok], b[ok], maxulp=4)


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_every_point_equals_its_own_run(expr):
    s = sweep(expr, ["x=0.1:0.9:9", "y=0.2:1.7:7"])
    assert s.size == 63
    for i in range(s.size):
        at = {k: float(v[i]) for k, v in s.points.items()}
        t = differentiate(expr, at=at)
        _same(s.value[i], t.value, f"{expr} at {at}")
        for k in t.gradient:
            _same(s.gradient[k][i], t.gradient[k], f"∂/∂{k} of {expr} at {at}")


def test_grid_order_and_fixed_inputs():
    s = sweep("x**2*cos(x*y)+1", ["x=-1:1:3", "y=0:2:5"])
    assert s.points["x"].tolist() == [-1.0] * 5 + [0.0] * 5 + [1.0] * 5  # last varies fastest
    assert s.points["y"][:5].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    s = sweep("x**2*cos(x*y)+1", ["x=-1:1:3"], at="y=pi/3")
    assert s.fixed == {"y": pytest.approx(np.pi / 3)}
    # the course notes' point is the first one: f = 1.5, the printed adjoints
    assert float(s.value[0]) == pytest.approx(1.5)
    assert float(s.gradient["x"][0]) == pytest.approx(-0.0931003, abs=1e-7)
    assert float(s.gradient["y"][0]) == pytest.approx(-0.866025, abs=1e-6)


def test_domain_errors_are_nan_with_a_count():
    s = sweep("log(x) + sqrt(x + 1)", ["x=-2:2:9"])
    assert np.isnan(s.value[:5]).all() and np.isfinite(s.value[5:]).all()
    assert np.isnan(s.gradient["x"][:5]).all() and np.isfinite(s.gradient["x"][5:]).all()
    assert s.nan_points == 5
    domain = [d for d in s.diagnostics if d.kind == "domain"]
    assert [(d.node, d.count, d.points) for d in domain] == [(1, 5, 9), (3, 2, 9)]  # w2, w4
    messages = [diagnostic_message(s.program, d) for d in domain]
    assert "5 of 9 points" in messages[0] and "2 of 9 points" in messages[1]
    # 1/0 would be inf: it is nan too, as a domain error
    s = sweep("1/x", ["x=-1:1:3"])
    assert np.isnan(s.value[1]) and s.value[0] == -1.0 and s.value[2] == 1.0


def test_kinks_and_infinite_partials_are_counted():
    s = sweep("abs(x) + sqrt(y)", ["x=-1:1:3", "y=0:1:2"])
    kinds = {d.kind: diagnostic_message(s.program, d) for d in s.diagnostics}
    assert "2 of 6 points" in kinds["kink"]  # x = 0, with y = 0 and 1
    assert "3 of 6 points" in kinds["not_differentiable"]  # sqrt'(0)


def test_a_constant_expression_and_unused_inputs_broadcast():
    program = lower("c = x * 0 + 2")
    s = sweep_program(program, [Range("x", 0, 1, 4)], {})
    assert s.value.tolist() == [2.0] * 4 and s.gradient["x"].tolist() == [0.0] * 4


@pytest.mark.parametrize("text, start, stop, count", [
    ("x=-3:3:121", -3, 3, 121), ("x=-pi:pi:101", -np.pi, np.pi, 101),
    ("t = 0 : 2*e : 2", 0, 2 * np.e, 2), ("y=1e-3:2**3:1e1", 1e-3, 8, 10)])
def test_ranges_are_constant_expressions(text, start, stop, count):
    r = parse_range(text)
    assert (r.start, r.stop, r.count) == (pytest.approx(start), pytest.approx(stop), count)


@pytest.mark.parametrize("text, expected", [
    ("x=-pi:pi:1.5", ["the count of points is a whole number", "  x=-pi:pi:1.5",
                      "           ^^^"]),
    ("x=-pi:foo:3", ["foo is not a constant", "(--over, column 7)", "        ^^^"]),
    ("x=-pi:3", ["a range is name=start:stop:count"]),
    ("x=1::3", ["this part is empty"]),
    ("x=0:log(0):3", ["log needs a positive argument", "      ^^^^^^"]),
    ("x=0:1:1", ["at least 2"]),
    ("x=0,y=1:2:3", ["one input per --over", "    ^^^^^"]),
])
def test_range_errors_have_carets(text, expected):
    r = run_cli("x**2", "--over", text)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for line in expected:
        assert line in r.stderr


@pytest.mark.parametrize("text, message, column, hint", [
    ("x=0:1:2.5", "the count of points is a whole number", 7, None),  # under 2.5
    # a part ends at its colon: an error at its end points at that colon, in the text as
    # typed, not past the end of the whole range
    ("x=0:1+:3", "unexpected ':'", 7, None),
    ("x=0:(1:3", "unexpected ':'", 7, "a ( is not closed"),
    ("x=0+:1:3", "unexpected ':'", 5, None),
    ("x=0:1:3+", "unexpected end of input", 9, None),
    ("x=0:1,y=2:3", "unexpected ','", 6, "--over takes one constant expression here"),
    ("x = 0 : pi : foo", "foo is not a constant", 14, None),
])
def test_a_range_is_parsed_where_it_stands_and_errors_point_into_it(text, message, column,
                                                                    hint):
    with pytest.raises(BackpropError) as info:
        parse_range(text)
    error = info.value
    assert error.source == text and error.origin == "--over"
    assert message in error.message and error.position() == (1, column), str(error)
    assert hint is None or error.hint == hint


def test_a_comma_inside_a_bound_is_not_a_second_input():
    r = parse_range("x=max(0, 1):2*max(1,2):3")
    assert (r.name, r.start, r.stop, r.count) == ("x", 1.0, 4.0, 3)


@pytest.mark.parametrize("args, expected", [
    (["x*y", "--over", "x=0:1:3"], "no value for y"),
    (["x*y", "--over", "x=0:1:3", "--over", "x=0:1:3", "--at", "y=1"], "x is swept twice"),
    (["x*y", "--over", "x=0:1:3", "--at", "x=1,y=1"], "both swept (--over) and fixed"),
    (["x", "--over", "z=0:1:3", "--at", "x=1"], "z is not an input"),
    (["x", "--format", "csv", "--at", "x=1"], "needs points: sweep an input with --over"),
    (["x", "--plot", "--at", "x=1"], "needs points"),
    (["x", "--over", "x=0:1:3", "--json", "--format", "csv"], "give one"),
    (["x", "--over", "x=0:1:3", "--format", "latex"], "a sweep prints table, csv, json"),
    (["x", "--over", "x=0:1:3", "--graph"], "--graph shows one point"),
    (["x", "--over", "x=0:1:3", "--mode", "forward"], "a sweep runs the reverse pass"),
    (["x*y", "--over", "x=0:1:5000", "--over", "y=0:1:5000"], "at most"),
    # an answer key is one point's: the sweep ran and no file was written, without a word
    (["x", "--over", "x=0:1:3", "--answers-out", "key.toml"], "--answers-out"),
])
def test_usage_errors(args, expected):
    r = run_cli(*args)
    assert r.returncode == 2 and expected in r.stderr + r.stdout and "Traceback" not in r.stderr


def test_table_is_thinned_and_says_so():
    r = run_cli("x**2*cos(x*y)+1", "--over", "x=-3:3:121", "--at", "y=pi/3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "41 of 121 points shown: every 3rd and the last" in r.stdout
    assert "∂f/∂x" in r.stdout and "∂f/∂y" in r.stdout and "y = 1.0472" in r.stdout
    rows = [line.split() for line in lines if line.strip() and line.split()[0] in ("-3", "3")]
    assert rows == [["-3", "-8", "6", "-3.30655e-15"], ["3", "-8", "-6", "-3.30655e-15"]]
    r = run_cli("x**2", "--over", "x=-3:3:121", "--max-rows", "0")
    assert "points shown" not in r.stdout and len(r.stdout.splitlines()) > 121


def test_max_rows_one_shows_the_ends_not_a_traceback():
    r = run_cli("x", "--over", "x=0:1:5", "--max-rows", "1")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "2 of 5 points shown: every 4th and the last" in r.stdout


def test_csv_has_every_point_in_full():
    r = run_cli("x**2*cos(x*y)+1", "--over", "x=-1:1:5", "--over", "y=0:pi:3",
                "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["x", "y", "f", "df/dx", "df/dy"] and len(rows) == 15
    s = sweep("x**2*cos(x*y)+1", ["x=-1:1:5", "y=0:pi:3"])
    assert [float(row["df/dy"]) for row in rows] == s.gradient["y"].tolist()  # exact


def test_json_lines_validate(sweep_validate):
    r = run_cli("log(x)", "--over", "x=-1:1:5", "--json")
    assert r.returncode == 0
    docs = [sweep_validate(json.loads(line)) for line in r.stdout.splitlines()]
    assert len(docs) == 5
    assert docs[0] == {"schema": "1", "point": {"x": -1.0}, "value": "NaN",
                       "gradient": {"x": "NaN"}}
    assert docs[4]["gradient"] == {"x": 1.0}
    assert "log needs a positive argument at 3 of 5 points" in r.stderr
    r = run_cli("log(x)", "--over", "x=-1:foo:5", "--json")
    assert r.returncode == 2
    assert sweep_validate(json.loads(r.stdout))["error"]["origin"] == "--over"


def test_blocks_give_the_same_arrays_and_add_up_the_counts():
    program = lower("log(x) + abs(y) + x*y")
    s = sweep_program(program, [parse_range("x=-1:1:21"), parse_range("y=-1:1:5")], {})
    from backprop_cli.tasks.sweep import evaluate_points

    small = evaluate_points(program, s.points, block=7)  # 105 points: 15 blocks of 7
    assert np.array_equal(small.value, s.value, equal_nan=True)
    for k in s.gradient:
        assert np.array_equal(small.gradient[k], s.gradient[k], equal_nan=True)
    assert small.diagnostics == s.diagnostics
    assert [d.kind for d in s.diagnostics] == ["domain", "kink"]
    assert (s.diagnostics[0].count, s.diagnostics[0].points) == (55, 105)  # x ≤ 0: 11 × 5
    assert (s.diagnostics[1].count, s.diagnostics[1].points) == (21, 105)  # y = 0
    assert "at 55 of 105 points" in diagnostic_message(program, s.diagnostics[0])


def test_warnings_over_points_name_the_node_by_its_formula():
    s = sweep("exp(x) + abs(x) + x**0.5", ["x=0:1000:3"])
    texts = [diagnostic_message(s.program, d) for d in s.diagnostics]
    assert any("w2 = exp(w1) overflows at 1 of 3 points" in t for t in texts), texts
    assert any("w3 = abs(w1) is not differentiable here at 1 of 3 points" in t
               for t in texts), texts
    assert any("w5 = w1**0.5 has no derivative here" in t for t in texts), texts
    assert not any("(…)" in t for t in texts), texts
