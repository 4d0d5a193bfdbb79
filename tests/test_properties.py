"""Properties, checked with Hypothesis (derandomized: every run tries the same examples).

(a) Any text made of the language's tokens or characters either runs, through the
    passes and the JSON document, or raises a BackpropError: never another exception.
(b) Well-formed programs give the same value and gradient with sharing on and off.
(c) Every lowered program passes Program.validate(), with sharing on and off.
(d) The formulas the tables print (ascii style) parse again with the grammar, and, with
    w1… and w1bar… bound to the trace's numbers, give the values, partials and adjoints
    the trace holds; the JSON document follows its schema.
"""

from __future__ import annotations

import inspect
import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from backprop_cli import differentiate, parse
from backprop_cli import lower as _lower
from backprop_cli.errors import BackpropError, DomainError
from backprop_cli.engine.ops import OPS, callable_names
from backprop_cli.render.json_doc import render_trace
from conftest import NamesAConstant, eval_text
from backprop_cli.render.json_doc import error_document, trace_document
from backprop_cli.render.sentences import error_lines

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

# BACKPROP_PROPERTY_SCALE=20 runs twenty times the examples, from a random seed: a deeper
# search than the default, which is derandomized so that every run checks the same cases.
_SCALE = float(os.environ.get("BACKPROP_PROPERTY_SCALE", "1"))


def examples(n: int) -> settings:
    return settings(max_examples=max(1, int(n * _SCALE)), deadline=None,
                    derandomize=_SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])

VARS = ["x", "y", "z"]

def lower(source: str, share: bool = True):
    """The program of a text, whether lower() takes the text or the parsed syntax."""
    if next(iter(inspect.signature(_lower).parameters)) == "source":
        return _lower(source, share=share)
    return _lower(parse(source), share=share)


# --- strategies ----------------------------------------------------------------------

_TOKENS = (["x", "y", "z", "a", "pi", "e", "π", "0", "1", "2", "0.5", "1e3", "1e308", ".5",
            "+", "-", "*", "/", "**", "^", "(", ")", ",", ";", "\n", "=", "·", "×", "−",
            "# c\n", " "] + callable_names() + ["add", "foo", "out"])

token_soup = st.lists(st.sampled_from(_TOKENS), min_size=0, max_size=20).map(
    lambda ts: "".join(ts))
char_soup = st.text(alphabet="xyz0123456789.eE+-*/^(),;=# \t\n_aπ·×−sincoexplgqrtmhdb",
                    max_size=30)

point_value = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 1e-300, 1e300, -1e300, math.pi]),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False))

_NUMS = st.sampled_from(["0", "1", "2", "3", "0.5", "1.5", "10", "pi", "e", "1e-3"])
_LEAF = st.one_of(st.sampled_from(VARS), st.sampled_from(VARS), _NUMS)
# scalar programs: the ops of vectors and matrices are tests/test_tensors.py's
_UNARY = [n for n in callable_names() if OPS[n].arity == 1 and OPS[n].vjp is None]
_BINARY_CALLS = [n for n in callable_names() if OPS[n].arity == 2 and OPS[n].vjp is None]


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/", "**"]), children, children).map(
            lambda t: f"({t[1]}){t[0]}({t[2]})"),
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^"]), children).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"),  # no parentheses: precedence decides
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"({c})**2"),
        st.tuples(st.sampled_from(_UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(_BINARY_CALLS), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    )


expression = st.recursive(_LEAF, _extend, max_leaves=12)


@st.composite
def program(draw):
    """A well-formed program: up to three named statements, then the output, which may
    use them; the same sub-expression often appears twice, so sharing has work to do."""
    n = draw(st.integers(0, 3))
    names = ["u", "v", "w"][:n]
    lines = []
    for i, name in enumerate(names):
        e = draw(expression)
        if i and draw(st.booleans()):
            e = f"{names[i - 1]}*({e})"
        lines.append(f"{name} = {e}")
    out = draw(expression)
    if names and draw(st.booleans()):
        out = f"{draw(st.sampled_from(names))} + ({out})"
    if draw(st.booleans()):
        out = f"({out}) * ({out})"  # a repeated sub-expression
    lines.append(out)
    return draw(st.sampled_from(["; ", "\n"])).join(lines)


def at_for(source: str, values: list[float]) -> dict | None:
    """A value for each input of `source`, or None if it does not lower (a constant
    outside its op's domain, folded when lowering)."""
    try:
        inputs = lower(source).inputs
    except DomainError:
        return None
    return {name: repr(float(values[i % len(values)])) for i, name in enumerate(inputs)}


def traced(source: str, values: list[float]):
    """The trace of `source` at a point made of `values`, or None outside the domain."""
    at = at_for(source, values)
    if at is None:
        return None
    try:
        return differentiate(source, at=at)
    except DomainError:
        return None


def same_float(a, b) -> bool:
    a, b = float(a), float(b)
    return a == b or (math.isnan(a) and math.isnan(b))


def close(a, b, scale: float) -> bool:
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        return same_float(a, b)
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-12 * scale


def scale(trace) -> float:
    """How much rounding the float64 passes may have accumulated: cancellation between
    big values and big adjoints."""
    big_v = max([abs(float(v)) for v in trace.values if math.isfinite(v)], default=0.0)
    big_a = max([abs(float(a)) for a in trace.adjoints if math.isfinite(a)], default=0.0)
    return (1.0 + big_v) * (1.0 + big_a)


# --- (a) bad input is a BackpropError, and nothing else ---------------------------------

def run_everything(source: str, at) -> None:
    """Everything a user can reach from one text: parse, lower, the passes, the JSON."""
    try:
        trace = differentiate(source, at=at)
    except BackpropError as err:
        event(type(err).__name__)
        assert err.exit_code == 2
        error_lines(err), error_document(err)  # the messages themselves must not fail
        return
    event("ran")
    trace_document(trace)
    json.loads(render_trace(trace))
    trace.program.validate()


@examples(400)
@given(token_soup, st.lists(point_value, min_size=1, max_size=3))
def test_token_soup_runs_or_is_a_backprop_error(source, values):
    try:
        at = at_for(source, values)
    except BackpropError:
        at = {"x": "1"}
    run_everything(source, at)
    run_everything(source, None)


@examples(300)
@given(char_soup, st.lists(point_value, min_size=1, max_size=3))
def test_character_soup_runs_or_is_a_backprop_error(source, values):
    try:
        at = at_for(source, values)
    except BackpropError:
        at = None
    run_everything(source, at)


@examples(200)
@given(program(), token_soup)
def test_any_at_text_runs_or_is_a_backprop_error(source, at_text):
    """The values after --at are parsed by the same grammar: a bad one is an error too."""
    run_everything(source, at_text)
    run_everything(source, {"x": at_text})


# --- (b) sharing on and off ------------------------------------------------------------

@examples(250)
@given(program(), st.lists(point_value, min_size=3, max_size=3))
def test_sharing_changes_neither_value_nor_gradient(source, values):
    at = at_for(source, values)
    if at is None:
        return
    results = []
    for share in (True, False):
        try:
            results.append(differentiate(source, at=at, share=share))
        except DomainError as err:
            results.append(type(err))
    dag, tree = results
    if not isinstance(dag, type) or not isinstance(tree, type):
        assert not isinstance(dag, type) and not isinstance(tree, type), (source, results)
    else:
        event("both outside the domain")
        return
    event("both ran")
    assert len(dag.program.nodes) <= len(tree.program.nodes)
    assert dag.program.inputs == tree.program.inputs
    assert same_float(dag.value, tree.value), (source, at, dag.value, tree.value)
    # the values of the nodes the two share are the same numbers: the tree's values are
    # exactly the DAG's, repeated
    assert {float(v) for v in dag.values if math.isfinite(v)} == \
        {float(v) for v in tree.values if math.isfinite(v)}
    if not all(math.isfinite(v) for v in dag.values):
        event("overflow")  # inf - inf may be nan one way and inf the other: no contract
        return
    s = max(scale(dag), scale(tree))
    for name in dag.gradient:
        assert close(dag.gradient[name], tree.gradient[name], s), \
            (source, at, name, dag.gradient[name], tree.gradient[name])


def test_sharing_merges_repeated_subexpressions():
    source = "sin(x*y) + sin(x*y)*cos(x*y)"
    dag = differentiate(source, at="x=1,y=2")
    tree = differentiate(source, at="x=1,y=2", share=False)
    assert [n.op for n in dag.program.nodes] == ["input", "input", "mul", "sin", "cos", "mul",
                                                 "add"]
    assert len(tree.program.nodes) == 2 + 3 * 2 + 1 + 1  # x, y; 3 × (mul, f); mul, add
    assert float(dag.gradient["x"]) == pytest.approx(float(tree.gradient["x"]), rel=1e-15)


# --- (c) every lowered program is valid -------------------------------------------------

@examples(250)
@given(st.one_of(program(), token_soup))
def test_every_lowered_program_validates(source):
    for share in (True, False):
        try:
            p = lower(source, share=share)
        except BackpropError:
            continue
        p.validate()
        # numbering: inputs first, in order of first appearance in the source
        assert p.nodes[: p.n_inputs] == sorted(p.nodes[: p.n_inputs], key=lambda n: n.start)
        if share:  # hash-consing leaves no two nodes with the same op and operands
            keys = [(n.op, n.args) for n in p.nodes[p.n_inputs:]]
            assert len(keys) == len(set(keys))


@examples(100)
@given(program(), st.lists(point_value, min_size=3, max_size=3))
def test_traces_are_consistent(source, values):
    t = traced(source, values)
    if t is None:
        return
    p = t.program
    p.validate()
    n = len(p.nodes)
    assert len(t.values) == len(t.adjoints) == len(t.partials) == n
    for i, node in enumerate(p.nodes):
        if i < p.n_inputs:
            assert t.partials[i] == ()
            assert same_float(t.values[i], t.point[node.names[0]])
        else:
            assert len(t.partials[i]) == len(node.args)
            for a, part in zip(node.args, t.partials[i]):
                assert (part is None) == (type(a) is not int)
    for k, name in enumerate(p.inputs):
        assert same_float(t.gradient[name], t.adjoints[k])
    # every edge once, in backward order; its value is the sum over its positions
    edges = t.edges()
    assert len({(e.target, e.source) for e in edges}) == len(edges)
    assert [e.target for e in edges] == sorted((e.target for e in edges), reverse=True)
    for e in edges:
        assert all(p.nodes[e.target].args[k] == e.source for k in e.positions)
    # the adjoint of a node that is not the output is the sum over its successors
    succ = t.successors()
    for i in range(n):
        if i == p.output:
            continue
        with np.errstate(all="ignore"):
            total = sum((t.adjoints[e.target] * t.edge_value(e) for e in succ[i]), 0.0)
            # the reverse pass adds an operand's terms one by one (x + atan2(x, x) at
            # 1e-300: 1 + 5e299 − 5e299), the edge value sums them first: a sum's rounding
            # is relative to its terms' sizes
            terms = sum(abs(float(t.adjoints[e.target] * t.partials[e.target][k]))
                        for e in succ[i] for k in e.positions)
        assert close(t.adjoints[i], total, max(scale(t), terms)) or not math.isfinite(total)


# --- (d) printed formulas mean what the trace holds ---------------------------------------


@examples(100)
@given(program(), st.lists(point_value, min_size=3, max_size=3))
def test_printed_formulas_evaluate_to_the_traced_numbers(validate, source, values):
    check_printed_formulas(validate, source, values)


# constants a person writes exactly: fractions, decimals that are no binary float, π's
_EXACT_NUMS = st.sampled_from(["1/3", "2/3", "0.1", "0.3", "1/7", "2*pi", "pi/2", "pi/3",
                               "-1/3", "2.5", "1/4", "3*0.1", "(1/3)**2", "2**-1", "1e-3"])
_EXACT_LEAF = st.one_of(st.sampled_from(VARS), _EXACT_NUMS, _EXACT_NUMS.map(
    lambda c: f"({c})*x"))


@examples(100)
@given(st.recursive(_EXACT_LEAF, _extend, max_leaves=8),
       st.lists(point_value, min_size=3, max_size=3))
def test_printed_formulas_with_exact_constants_evaluate_to_the_numbers(validate, source,
                                                                       values):
    """Programs with 1/3, 0.1, 2*pi, ...: the formulas keep them exact (w1/3, 2*pi*w1),
    and still parse again and give the trace's numbers, the expansion too."""
    t = check_printed_formulas(validate, source, values)
    if t is None:
        return
    point = {name: float(t.values[k]) for k, name in enumerate(t.program.inputs)}
    for name, text in trace_document(t, expand=True)["gradient_expanded"].items():
        if text is None:
            continue
        try:
            got = eval_text(text, point)
        except DomainError:
            continue  # a rewritten form may take a log of a 0 the reverse pass masks
        want = float(t.gradient[name])
        assert abs(got - want) <= 1e-9 * max(abs(want), scale(t)), (source, name, text)


def check_printed_formulas(validate, source, values):
    """The ascii formulas of the JSON document, read back by the grammar with w1… and
    w1bar… bound to the trace's numbers, give the trace's values, partials, adjoints."""
    values = [v if abs(v) < 1e3 else 1.0 / v for v in values]  # keep the numbers tame
    t = traced(source, values)
    if t is None:
        return None
    assume(all(math.isfinite(v) for v in list(t.values) + list(t.adjoints)))
    assume(not t.diagnostics)
    doc = validate(trace_document(t))
    env = {}
    for row, v, a in zip(doc["nodes"], t.values, t.adjoints):
        env[row["id"]] = v
        env[row["id"] + "bar"] = a
    p = t.program
    succ = t.successors()

    def size(e):  # the terms an edge's formula adds up
        return sum(abs(float(t.partials[e.target][k])) for k in e.positions)

    def near(got, want, terms):  # rounding relative to the biggest term summed
        return abs(got - float(want)) <= 1e-9 * max(abs(float(want)), terms) + 1e-300

    for i, row in enumerate(doc["nodes"]):
        if i < p.n_inputs:
            assert row["text"] == p.nodes[i].names[0]
        else:
            # w_i's definition, with its operands' values, is w_i's value
            try:
                got = eval_text(row["text"], env)
                assert near(got, t.values[i], 0.0), (source, row, got)
            except NamesAConstant:
                event("a formula names a constant statement")
        # the adjoint formula, with the successors' adjoints, is the adjoint
        try:
            got = eval_text(row["adjoint_formula"], env)
        except (DomainError, NamesAConstant):
            continue
        terms = sum(abs(float(t.adjoints[e.target])) * size(e) for e in succ[i])
        assert near(got, t.adjoints[i], terms), (source, row, got)
        # its simplified form too: the products multiplied out, rounding relative to the
        # biggest value and adjoint the run has
        if row["adjoint_simplified"] is not None:
            try:
                got = eval_text(row["adjoint_simplified"], env)
            except (DomainError, NamesAConstant):
                continue
            assert near(got, t.adjoints[i], scale(t)), (source, row, got)
    for e, row in zip(t.edges(), doc["partials"]):
        assert (row["from"], row["to"]) == (f"w{e.source + 1}", f"w{e.target + 1}")
        try:
            got = eval_text(row["formula"], env)
        except (DomainError, NamesAConstant):
            continue
        assert near(got, t.edge_value(e), size(e)), (source, row, got, t.edge_value(e))
    return t


# --- the unused statement ----------------------------------------------------------------

@examples(150)
@given(program(), expression, st.lists(point_value, min_size=3, max_size=3))
def test_an_unused_statement_changes_nothing(source, dead, values):
    """A statement nothing uses is no part of the function: adding one must change neither
    the value nor the gradient, wherever it is evaluated, even where it has no derivative."""
    with_dead = f"unused_ = {dead}\n{source}"
    at = at_for(with_dead, values)
    if at is None:
        return
    try:
        plain = differentiate(source, at={k: v for k, v in at.items()
                                          if k in lower(source).inputs})
        dead_trace = differentiate(with_dead, at=at)
    except DomainError:
        return
    assert same_float(plain.value, dead_trace.value)
    for name, g in dead_trace.gradient.items():
        want = plain.gradient.get(name, 0.0)
        assert same_float(g, want) or close(g, want, scale(plain)), \
            (with_dead, at, name, g, want)
