"""Grading homework answers against the truth: targets, answers and verdicts as plain data.

A target names a quantity of the run: the output's value (`f`, `value`, the output's name),
a node's value (`w4`, a statement's or input's name), an adjoint (`w4bar`, `w̄4`), a
gradient component (`df/dx`, `∂g/∂x`: any letter for the function, the input must exist),
a second derivative (`d2f/dxdy`, `d2f/dx2`, `∂²f/∂x∂y`, `∂²f/∂x²`), an entry of the
Hessian that forward over reverse computes (engine.evaluate.second_order), graded by the
same rules, or a local partial on an edge (`∂w5/∂w4`, `dc/da` for a statement c and its
operand a).
An answer is parsed by the grammar and read one of three ways:

- a decimal number (`-0.0931`, `0.50`, `1e-3`): a rounded value. It is right when it is
  within half a unit of the last digit written of the truth, i.e. equals the truth
  rounded to the digits written (a tie at the half unit counts as right);
- an integer (`1`, `-2`) or an expression of constants (`pi/3`): an exact value, right
  when it equals the truth up to rounding;
- a formula in the inputs, the w's and their adjoints (`w1bar = 2*w1*w5 - w2*w3*sin(w4)`):
  a function, held against the truth at the point and at reproducible random points,
  each w taking the value the trace has there. One point where it differs is shown.

--rtol/--atol replace the first two rules by a tolerance.

A verdict is data: what the grading found (its `outcome`, one word of OUTCOMES) and the
numbers behind it. No sentence and no formatted number is made here: render/sentences.py
words a verdict once, for the terminal report and the JSON document alike.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .differentiate import differentiate, parse_point
from ..errors import AnswerError, BackpropError, DomainError
from ..language.lower import ProgramBuilder
from ..language.parser import parse
from ..engine.evaluate import evaluate, second_order
from ..engine.passes import forward, layout
from ..engine.program import Program, node_id
from ..engine.trace import Edge, Trace

SEED = 364  # the course's number: the random points are the same on every run
POINTS = 12  # random points a formula is checked at, besides the given one
TRIES = 200  # candidate points drawn before giving up on finding POINTS valid ones
FORMULA_RTOL, FORMULA_ATOL = 1e-9, 1e-12  # formulas are exact up to rounding
EXACT_RTOL, EXACT_ATOL = 1e-9, 1e-12  # so are integers and constant expressions
SLACK = 1e-9  # relative float slack on the half unit of a rounded number

# An adjoint's bar is a combining macron (w̄4, c̄), which the grammar lets a name hold as
# the tables print it, or the modifier letter ˉ (wˉ4), a letter of its own.
_MACRON, _BAR_LETTER = "\u0304", "\u02c9"
_NAME = r"[^\W\d](?:\w|\u0304)*"
# Names a function's value goes by besides f, `value` and the output's statement name.
# Not any letter: `z = 3` for a missing input z is a mistake to report, not f.
_FUNCTION_LETTERS = ("g", "h")
_W_TARGET = re.compile(r"w_?([0-9]+)(_?bar)?|w[\u0304\u02c9]_?([0-9]+)")
_D_TARGET = re.compile(rf"(?:d|∂)\s*({_NAME})?\s*/\s*(?:d|∂)\s*({_NAME})")
# d2f/dxdy, d²f/dx², ∂²f/∂x∂y, d^2f/dx^2: the order, the function, then the denominator,
# which is split against the inputs' names (dxdy could be d(xdy) for an input xdy)
_SQUARED = r"(?:2|²|\^\s*2)"
_D2_TARGET = re.compile(rf"(?:d|∂)\s*{_SQUARED}\s*({_NAME})?\s*/\s*(\S.*)")
_NUMBER = re.compile(r"\s*([-+−]?)\s*([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?\s*")


# --- targets ------------------------------------------------------------------------

# What a target names: the output's value, a node's value, a node's adjoint, a gradient
# entry, a second derivative, or the local partial on an edge (∂w5/∂w4, the lecture's
# labels on the graph).
TARGET_KINDS = ("value", "node", "adjoint", "gradient", "second", "partial")


class Target(NamedTuple):
    kind: str  # one of TARGET_KINDS
    index: int | None  # the node, for "node" and "adjoint"; the edge's target for "partial"
    input: str | None  # the input, for "gradient" and "second"
    other: str | None = None  # the second input, for "second": ∂²f/∂input∂other
    operand: int | None = None  # the edge's source node, for "partial"

    def label(self, trace: Trace) -> str:
        """The canonical spelling: f, w4, w4bar, df/dx (with the output's name), dw5/dw4."""
        name = trace.output_name
        if self.kind == "value":
            return name
        if self.kind == "gradient":
            return f"d{name}/d{self.input}"
        if self.kind == "second":
            x, y = self.input, self.other
            return f"d2{name}/d{x}2" if x == y else f"d2{name}/d{x}d{y}"
        if self.kind == "partial":
            return f"d{node_id(self.index)}/d{node_id(self.operand)}"
        return node_id(self.index) + ("bar" if self.kind == "adjoint" else "")

    def edge(self, program: Program) -> Edge:
        """The edge of a "partial" target: its operand positions in the node."""
        args = program.nodes[self.index].args
        return Edge(self.operand, self.index,
                    tuple(k for k, a in enumerate(args) if type(a) is int and a == self.operand))

    def truth(self, trace: Trace) -> float:
        if self.kind == "value":
            return float(trace.value)
        if self.kind == "gradient":
            return float(trace.gradient[self.input])
        if self.kind == "second":
            return float(trace.second.hessian[self.input][self.other])
        if self.kind == "partial":
            return float(trace.edge_value(self.edge(trace.program)))
        return float((trace.adjoints if self.kind == "adjoint" else trace.values)[self.index])


def operands(program: Program, j: int) -> list[int]:
    """The nodes w_j uses, once each, in operand order: its local partials' w_i."""
    return list(dict.fromkeys(a for a in program.nodes[j].args if type(a) is int))


def _node_names(n: int) -> list[str]:
    """How the n nodes and their adjoints are named, for hints: w1…w7, w1bar…w7bar."""
    if n <= 1:
        return ["w1", "w1bar (or w̄1)"] if n else []
    return [f"w1…w{n}", f"w1bar…w{n}bar (or w̄1…w̄{n})"]


def targets_text(program: Program) -> str:
    """What a user may grade, for the error that names an unknown target."""
    name = program.output_name or "f"
    n = len(program.nodes)
    parts = [f"{name} (or value)"]
    parts += [f"d{name}/d{x}" for x in program.inputs]
    if program.inputs:
        x, y = program.inputs[0], program.inputs[-1]
        parts.append(f"d2{name}/d{x}d{y}" if x != y else f"d2{name}/d{x}2")
    parts += _node_names(n)
    edge = _an_edge(program)
    if edge:
        parts.append(f"{edge} (a local partial)")
    named = [nm for node in program.nodes[program.n_inputs:] for nm in node.names
             if nm != program.output_name]  # named first already
    return ", ".join(parts + named + _bar_hint(program))


def _an_edge(program: Program) -> str | None:
    """∂w5/∂w4 for an edge of the program into a node that is not the output, or None."""
    for j in range(len(program.nodes) - 1, program.n_inputs - 1, -1):
        if j == program.output:
            continue
        for a in program.nodes[j].args:
            if type(a) is int:
                return f"d{node_id(j)}/d{node_id(a)}"
    return None


def _bar_hint(program: Program) -> list[str]:
    """How a name's adjoint is written, with the first input: `ā or abar for a's adjoint`."""
    if not program.n_inputs:
        return []
    a = program.inputs[0]
    return [f"{a}{_MACRON} or {a}bar for {a}'s adjoint"]


def _statement_names(program: Program) -> dict[str, int]:
    return {nm: i for i, node in enumerate(program.nodes) for nm in node.names}


def _node_ref(text: str) -> tuple[str, int] | None:
    """("node" or "adjoint", index) for w4, w_4, w4bar, w4_bar, w̄4; None if not that form."""
    m = _W_TARGET.fullmatch(text)
    if not m:
        return None
    if m.group(3) is not None:
        return "adjoint", int(m.group(3)) - 1
    return ("adjoint" if m.group(2) else "node"), int(m.group(1)) - 1


def _unbarred(name: str) -> str | None:
    """c for a name's adjoint written c̄ (or cˉ), ā (one code point), cbar or c_bar."""
    if len(name) > 1 and name.endswith((_MACRON, _BAR_LETTER)):
        return name[:-1]
    last = unicodedata.normalize("NFD", name[-1:])
    if len(last) == 2 and last[1] == _MACRON:  # ā, ē, …: a letter and the macron in one
        return name[:-1] + last[0]
    for suffix in ("_bar", "bar"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return None


def _ref(text: str, names: dict[str, int]) -> tuple[str, int] | None:
    """("node" or "adjoint", index) of a name, w4 or w4bar, or c̄ for a statement or input
    c; the user's names first (an input may be called w1, or cbar)."""
    if text in names:
        return "node", names[text]
    base = _unbarred(text)
    if base in names:
        return "adjoint", names[base]
    return _node_ref(text)


def _node_index(name: str, names: dict[str, int], n: int) -> int | None:
    """The node a name or w4 stands for; None if neither."""
    if name in names:
        return names[name]
    ref = _node_ref(name)
    return ref[1] if ref is not None and 0 <= ref[1] < n else None


def parse_target(text: str, program: Program, source: str, start: int, origin: str) -> Target:
    """The target written at source[start:start+len(text)] (text already stripped)."""
    span = (start, start + max(1, len(text)))
    unknown = lambda: f"targets here: {targets_text(program)}"  # noqa: E731 (on error only)
    n = len(program.nodes)
    if not text:
        raise AnswerError("no target before the =", source=source, span=span, origin=origin,
                          hint=unknown())
    names = _statement_names(program)
    ref = _ref(text, names)
    if ref is not None and (ref[0] == "adjoint" or text not in names):
        kind, i = ref
        if not 0 <= i < n:
            raise AnswerError(f"there is no node {node_id(i)}: the program has "
                              f"{_node_names(n)[0]}" if n else "the expression has no nodes",
                              source=source, span=span, origin=origin, hint=unknown())
        return Target(kind, i, None)
    m = _D2_TARGET.fullmatch(text)
    if m:
        _not_the_output(m, program, names, source, start, origin, unknown)
        pair = _second_inputs(m.group(2), program.inputs)
        if pair is None:
            at = start + m.start(2)
            raise AnswerError(f"{m.group(2).strip()!r} names no inputs: a second derivative "
                              "is written d2f/dx2 or d2f/dxdy (the inputs are "
                              f"{', '.join(program.inputs) or 'none'})",
                              source=source, span=(at, at + len(m.group(2))), origin=origin,
                              hint=unknown())
        return Target("second", None, *pair)
    m = _D_TARGET.fullmatch(text)
    if m:
        f, x = m.group(1), m.group(2)
        fi = _node_index(f, names, n) if f is not None else None
        if fi is not None and fi != program.output and fi >= program.n_inputs:
            return _partial_target(program, fi, f, x, names, source, start + m.start(2),
                                   origin, unknown)
        _not_the_output(m, program, names, source, start, origin, unknown)
        xi = _node_index(x, names, n)
        if fi is not None and f not in names and xi in operands(program, fi):
            # ∂w5/∂w3 written with the output's w: the lecture's partial on the edge (w4
            # for g = w3·w4, part 2 of its exercise), not the total dg/dw3 = w̄3 (which
            # adds the path through w4); dg/dw3 and dd/dc stay the adjoints
            return Target("partial", fi, None, operand=xi)
        if x not in program.inputs and xi is not None:
            return Target("adjoint", xi, None)  # the notes' dd/dc: ∂d/∂c is c's adjoint
        if x not in program.inputs:
            have = ", ".join(program.inputs) or "none"
            at = start + m.start(2)
            raise AnswerError(f"{x} is not an input (the inputs are {have})",
                              source=source,
                              span=(at, at + len(x)), origin=origin, hint=unknown())
        return Target("gradient", None, x)
    if text in ("value", "f", program.output_name):
        return Target("value", None, None)
    if text in names:
        return Target("node", names[text], None)
    if text in _FUNCTION_LETTERS:  # the lecture's names: g = … for g(x, y)
        return Target("value", None, None)
    raise AnswerError(f"unknown target {text!r}", source=source, span=span,
                      origin=origin,
                      hint=unknown())


def _not_the_output(m, program: Program, names: dict, source: str, start: int, origin: str,
                    unknown) -> None:
    """A derivative of a node other than the output that is not a local partial (d2c/da2,
    da/db for an input a) is not graded: read as the output's, it would mark a right
    answer wrong."""
    f = m.group(1)
    if f is not None and _node_index(f, names, len(program.nodes)) not in (None, program.output):
        at = start + m.start(1)
        raise AnswerError(f"{f} is not the output: only the derivatives of "
                          f"{program.output_name or 'f'} are graded", source=source,
                          span=(at, at + len(f)), origin=origin, hint=unknown())


def _second_inputs(text: str, inputs: list[str]) -> tuple[str, str] | None:
    """The inputs of a second derivative's denominator: dx2, dx², dx^2, ∂x∂y, dx dy."""
    den = re.sub(r"\s+", "", text)
    for d in ("d", "∂"):
        for x in inputs:
            if re.fullmatch(re.escape(d + x) + _SQUARED, den):
                return x, x
            for y in inputs:
                if den == f"{d}{x}{d}{y}":
                    return x, y
    return None


def _partial_target(program: Program, j: int, f: str, x: str, names, source: str, at: int,
                    origin: str, unknown) -> Target:
    """∂w5/∂w4 for a node w5 that is not the output: the local partial on the edge from
    its operand w4 (the output's ∂f/∂w4 is w4's adjoint, as the notes' dd/dc)."""
    i = _node_index(x, names, len(program.nodes))
    ops = operands(program, j)
    if i is None or i not in ops:
        have = ", ".join(node_id(a) for a in ops)
        raise AnswerError(f"{x} is not an operand of {node_id(j)}: ∂{f}/∂{x} is a local "
                          f"partial, on an edge into {node_id(j)} (from {have})",
                          source=source, span=(at, at + len(x)), origin=origin,
                          hint=unknown())
    return Target("partial", j, None, operand=i)


# --- answers ------------------------------------------------------------------------

class Answer(NamedTuple):
    text: str  # as written
    kind: str  # "number" (rounded), "exact" (integer or constant expression), "formula"
    value: float | None  # for number and exact
    digits: int | None  # significant digits written, for number
    place: int | None  # the power of ten of the last digit written, for number
    scientific: bool  # the number had an exponent (it is shown back that way)
    program: Program | None  # for formula
    getters: list | None  # for formula: per input of `program`, trace -> value


def _getter(name: str, problem: Program, allow=None):
    """trace → the value a name of an answer stands for; None for no name of the problem,
    or one that `allow(kind, index)` refuses."""
    ref = _ref(name, _statement_names(problem))
    n = len(problem.nodes)
    if ref is not None and 0 <= ref[1] < n and (allow is None or allow(*ref)):
        kind, i = ref
        return (lambda t: t.adjoints[i]) if kind == "adjoint" else (lambda t: t.values[i])
    return None


def names_text(program: Program) -> str:
    n = len(program.nodes)
    parts = list(_statement_names(program))
    parts += _node_names(n)
    return ", ".join(parts + _bar_hint(program)) + ", pi, e"


def parse_answer(source: str, start: int, problem: Program, origin: str, allow=None,
                 allowed_text: str | None = None) -> Answer:
    """The answer written at source[start:] (the text after `TARGET =`). A formula may
    use the names `allow(kind, index)` accepts ("node" or "adjoint"; every name when None),
    which allowed_text lists for the error."""
    text = source[start:].strip()
    if not text:
        raise AnswerError("no answer after the =", source=source,
                          span=(len(source), len(source) + 1), origin=origin)
    sep = re.compile(r"[=;\n]").search(source, start)
    if sep:
        k = sep.start()
        raise AnswerError("an answer is one expression", source=source, span=(k, k + 1),
                          origin=origin, hint="one --expect per target: "
                          "--expect 'w4 = 2' --expect 'w5 = 1'")
    # Parsed where it stands in the source, so spans and errors are the source's own.
    program = parse(source, "answer", origin, ProgramBuilder(source, origin=origin),
                    span=(start, len(source)))
    m = _NUMBER.fullmatch(text)
    if m and (m.group(2) or m.group(3)):
        _, whole, frac, exp = m.groups()
        value = float(program.output.value)
        if frac is None and exp is None:
            return Answer(text, "exact", value, None, None, False, None, None)
        exp_value = int(exp) if exp else 0
        digits = len((whole + (frac or "")).lstrip("0"))
        return Answer(text, "number", value, digits, exp_value - len(frac or ""),
                      exp is not None, None, None)
    if not program.inputs:  # an expression of constants: folded to one
        return Answer(text, "exact", float(program.output.value), None, None, False, None, None)
    getters = []
    for k, name in enumerate(program.inputs):
        get = _getter(name, problem, allow)
        if get is None:
            node = program.nodes[k]
            known = allow is not None and _getter(name, problem) is not None
            raise AnswerError(f"{name!r} is not a name of this problem" if not known else
                              f"{name!r} may not be used in this answer", source=source,
                              span=(node.start, node.end), origin=origin,
                              hint=f"an answer may use {allowed_text or names_text(problem)}")
        getters.append(get)
    return Answer(text, "formula", None, None, None, False, program, getters)


# --- verdicts -----------------------------------------------------------------------

# What grading an answer found. The first five are right, the rest wrong.
RIGHT_OUTCOMES = (
    "within_tolerance",    # --rtol/--atol: |answer − truth| ≤ atol + rtol·|truth|
    "significant",         # a template's digits: the truth to that many significant digits
    "exact",               # an integer or a constant expression, equal up to rounding
    "rounded",             # a number: the truth rounded to the digits written
    "function",            # a formula, equal at the point and at the random points
    "function_off_point",  # … at the random points: the truth is not finite at the point
)
WRONG_OUTCOMES = (
    "outside_tolerance",
    "insignificant",       # … not to the significant digits asked (Verdict.agree says how many)
    "formula_not_number",  # a formula where a number is asked for
    "number_not_formula",  # a number where a formula is asked for
    "not_exact_integer",   # an integer claims an exact value, and it is not the truth
    "not_exact",           # nor is a constant expression's
    "misrounded",          # the truth rounds to another number at the digits written
    "truth_not_finite",    # a number, against a truth that is inf or nan
    "not_taken",           # a number for a node (or an edge into one) a where did not take
    "differs_at_point",    # a formula, wrong (or undefined) at the given point
    "differs_elsewhere",   # right at the given point only: see the counterexample
    "unchecked",           # the truth is not finite at the point, nor at a random point
)
OUTCOMES = RIGHT_OUTCOMES + WRONG_OUTCOMES


class Tolerance(NamedTuple):
    rtol: float = 0.0
    atol: float = 0.0


class Digits(NamedTuple):
    """A class template's tolerance: a number is right when it agrees with the truth to
    `n` significant digits, however many it writes (|a − t| ≤ half a unit of the truth's
    n-th digit; for a zero truth, of the n-th decimal place)."""

    n: int


def agreeing_digits(a: float, truth: float, most: int = 17) -> int:
    """How many significant digits of the truth the number a has right (0 for none)."""
    for k in range(most, 0, -1):
        if _within_digits(a, truth, k):
            return k
    return 0


def _within_digits(a: float, truth: float, n: int) -> bool:
    if not (math.isfinite(a) and math.isfinite(truth)):
        return a == truth
    top = math.floor(math.log10(abs(truth))) if truth else -1  # zero: decimal places
    half = 0.5 * 10.0 ** (top - n + 1)
    return abs(a - truth) <= half * (1 + SLACK) + 4e-16 * abs(truth)


class Undefined(NamedTuple):
    """Where a formula answer has no value: the part of it that left its operation's
    domain, as typed (`log(x)`), and that operation (`log`), whose domain says why."""

    text: str
    op: str


class Counterexample(NamedTuple):
    """The first point where a formula answer differs from the truth."""

    at: dict[str, float]  # input → value
    answer: float | None  # the answer's value there; None where it is undefined
    truth: float
    undefined: Undefined | None  # why the answer has no value there


class Verdict(NamedTuple):
    target: str  # as written
    id: str  # canonical: f, w4, w4bar, df/dx
    answer: str  # as written
    kind: str  # number, exact, formula
    right: bool
    outcome: str  # what the grading found: one of OUTCOMES
    truth: float  # at the given point
    value: float | None  # the answer's value at the given point; None where undefined
    digits: int | None  # significant digits written, for a number
    place: int | None  # the power of ten of the last digit written, for a number
    scientific: bool  # the number was written with an exponent: its truth is shown so
    tolerance: Tolerance | Digits | None  # --rtol/--atol or a template's digits, where
    # they replaced the digit rule
    points: int  # points compared (1 for a number)
    counterexample: Counterexample | None  # a formula's first point where it differs


class ProblemReport(NamedTuple):
    name: str | None
    expression: str
    point: dict  # input → value
    verdicts: list[Verdict]

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts)

    @property
    def total(self) -> int:
        return len(self.verdicts)


class Report(NamedTuple):
    """Plain data; render.json_doc.report_document(report) is its JSON document and
    render.report.render_report its terminal table."""

    problems: list[ProblemReport]

    @property
    def right(self) -> int:
        return sum(p.right for p in self.problems)

    @property
    def total(self) -> int:
        return sum(p.total for p in self.problems)

    @property
    def all_right(self) -> bool:
        return self.right == self.total


def _close(a: float, t: float, rtol: float, atol: float) -> bool:
    if not (math.isfinite(a) and math.isfinite(t)):
        return a == t  # the same infinity; nan is never right
    return abs(a - t) <= atol + rtol * max(abs(a), abs(t))


def grade_number(answer: Answer, truth: float,
                 tolerance: Tolerance | Digits | None = None) -> str:
    """A number or exact answer against the truth: the outcome."""
    a = answer.value
    if isinstance(tolerance, Digits):
        return "significant" if _within_digits(a, truth, tolerance.n) else "insignificant"
    if tolerance is not None:
        within = abs(a - truth) <= tolerance.atol + tolerance.rtol * abs(truth)
        return "within_tolerance" if within else "outside_tolerance"
    if answer.kind == "exact":
        if _close(a, truth, EXACT_RTOL, EXACT_ATOL):
            return "exact"
        return "not_exact_integer" if _NUMBER.fullmatch(answer.text) else "not_exact"
    if not math.isfinite(truth):
        return "truth_not_finite"
    half = 0.5 * 10.0 ** answer.place
    right = abs(a - truth) <= half * (1 + SLACK) + 4e-16 * abs(truth)
    return "rounded" if right else "misrounded"


class _Points:
    """The given point's trace, then traces at random points drawn once per problem and
    shared by its formulas: near the point and across [-3, 3], kept only where the
    function and its gradient are defined and finite."""

    def __init__(self, trace: Trace, second: bool = False):
        self.trace = trace
        self.program = trace.program
        self.second = second  # a second derivative is graded: forward over reverse too
        self._traces: list[Trace] | None = None

    def traces(self) -> list[Trace]:
        if self._traces is None:
            self._traces = self._draw()
        return self._traces

    def _draw(self) -> list[Trace]:
        rng = np.random.default_rng(SEED)
        at = self.trace.point
        names = list(at)
        out: list[Trace] = []
        if not names:
            return out
        center = np.array([float(at[k]) for k in names])
        for k in range(TRIES):
            if len(out) == POINTS:
                break
            if k % 2 == 0:
                p = center + rng.normal(size=len(names)) * (0.5 + 0.5 * np.abs(center))
            else:
                p = rng.uniform(-3.0, 3.0, size=len(names))
            point = {name: float(v) for name, v in zip(names, p)}
            try:
                with np.errstate(all="ignore"):
                    t = evaluate(self.program, point)
            except DomainError:
                continue
            if math.isfinite(t.value) and all(math.isfinite(g) for g in t.gradient.values()) \
                    and not any(d.kind in ("kink", "not_differentiable") for d in t.diagnostics):
                out.append(second_order(t) if self.second else t)
        return out


def _formula_value(answer: Answer, trace: Trace, lay) -> tuple[float | None, Undefined | None]:
    """The answer's value with the trace's inputs and w's; None and where it is
    undefined, in the answer's own text (its w's are not the problem's)."""
    program = answer.program
    env = {name: get(trace) for name, get in zip(program.inputs, answer.getters)}
    try:
        vals = forward(program, env, lay)
    except DomainError as error:
        op = program.nodes[error.node].op
        return None, Undefined(error.source[error.span[0]:error.span[1]], op)
    out = program.output
    return float(vals[out] if type(out) is int else out.value), None


def grade_formula(answer: Answer, target: Target, points: _Points
                  ) -> tuple[str, float | None, int, Counterexample | None]:
    """(outcome, the answer's value at the point, points compared, counterexample)."""
    lay = layout(answer.program)
    at_value = None
    checked = 0
    skipped = False  # the truth is inf or nan at the given point: nothing to compare
    for k, trace in enumerate([points.trace] + points.traces()):
        truth = target.truth(trace)
        if k > 0 and not math.isfinite(truth):
            continue
        value, undefined = _formula_value(answer, trace, lay)
        if k == 0:
            at_value = value
            if not math.isfinite(truth):
                skipped = True
                continue
        checked += 1
        if value is not None and _close(value, truth, FORMULA_RTOL, FORMULA_ATOL):
            continue
        example = Counterexample({x: float(v) for x, v in trace.point.items()}, value, truth,
                                 undefined)
        outcome = "differs_at_point" if k == 0 else "differs_elsewhere"
        return outcome, at_value, checked, example
    if skipped:
        return ("function_off_point" if checked else "unchecked"), at_value, checked, None
    return "function", at_value, checked, None


# --- entries and problems -----------------------------------------------------------

class Entry(NamedTuple):
    """One `TARGET = ANSWER` as written, and where it came from (for error carets)."""

    source: str
    origin: str = "--expect"


def entry(target: str, answer: str, origin: str) -> Entry:
    """An answers-file key and value, as the line `target = answer` the errors show."""
    return Entry(f"{target} = {answer}", origin)


def _split(e: Entry) -> tuple[str, int, int]:
    """(target text, target start, answer start) of an entry."""
    k = e.source.find("=")
    if k < 0:
        raise AnswerError("an expected answer is written TARGET = ANSWER", source=e.source,
                          span=(0, max(1, len(e.source))), origin=e.origin,
                          hint="--expect 'df/dx = 2*x*cos(x*y)' or --expect 'w4 = 2'")
    raw = e.source[:k]
    target = raw.strip()
    return target, len(raw) - len(raw.lstrip()), k + 1


def _scalars_only(trace: Trace) -> None:
    """Answers are numbers and formulas of scalars; vectors and matrices are not graded."""
    from ..engine.shapes import scalars_only

    scalars_only(trace.program, trace.point, "grading")


def grade(trace: Trace, entries: list[Entry], tolerance: Tolerance | None = None,
          name: str | None = None) -> ProblemReport:
    """Grade each entry against the trace. Every entry is parsed before any is graded,
    so a bad one is an error (exit 2) rather than half a report."""
    _scalars_only(trace)
    program = trace.program
    parsed = []
    for e in entries:
        target_text, t_start, a_start = _split(e)
        target = parse_target(target_text, program, e.source, t_start, e.origin)
        parsed.append((e, target, parse_answer(e.source, a_start, program, e.origin)))
    second = any(target.kind == "second" for _, target, _ in parsed)
    if second and (trace.second is None or trace.second.hessian is None):
        trace = second_order(trace)
    points = _Points(trace, second)
    verdicts = [judge(e.source[:e.source.find("=")].strip(), target, answer, points, tolerance)
                for e, target, answer in parsed]
    return ProblemReport(name, program.source, dict(trace.point), verdicts)


def judge(written: str, target: Target, answer: Answer, points: _Points,
          tolerance: Tolerance | Digits | None = None, form: str | None = None) -> Verdict:
    """One answer against its target's truth at the point (a formula also at the random
    points). form "number" or "formula" refuses the other (a class template asks for one)."""
    trace = points.trace
    truth = target.truth(trace)
    common = dict(target=written, id=target.label(trace), answer=answer.text,
                  kind=answer.kind, truth=truth, digits=answer.digits,
                  place=answer.place, scientific=answer.scientific)
    is_formula = answer.kind == "formula"
    if form is not None and is_formula != (form == "formula"):
        outcome = "formula_not_number" if is_formula else "number_not_formula"
        return Verdict(**common, right=False, outcome=outcome, value=answer.value,
                       tolerance=None, points=0, counterexample=None)
    if is_formula:
        outcome, value, checked, example = grade_formula(answer, target, points)
        return Verdict(**common, right=outcome in RIGHT_OUTCOMES, outcome=outcome,
                       value=value, tolerance=None, points=checked, counterexample=example)
    outcome = grade_number(answer, truth, tolerance)
    if (outcome not in RIGHT_OUTCOMES and not math.isfinite(truth) and trace.untaken
            and target.kind in ("node", "partial") and target.index in trace.untaken):
        outcome = "not_taken"  # its nan is no value the point needs: say why, as tables do
    return Verdict(**common, right=outcome in RIGHT_OUTCOMES, outcome=outcome,
                   value=answer.value, tolerance=tolerance, points=1, counterexample=None)


def expect_entries(expect) -> list[Entry]:
    """--expect texts, or a mapping target → answer, as entries."""
    if isinstance(expect, Mapping):
        return [entry(str(k), str(v), "expect") for k, v in expect.items()]
    if isinstance(expect, str):
        expect = [expect]
    return [e if isinstance(e, Entry) else Entry(e) for e in expect]


def check(source: str, at=None, expect=(), *, tolerance: Tolerance | None = None,
          share: bool = True, name: str | None = None) -> Report:
    """The library entry point: grade answers to one problem.

    >>> report = check("x*y*exp(x*y)", "x=1,y=2", ["dg/dx = y*exp(x*y) + x*y**2*exp(x*y)"])
    >>> report.all_right
    True
    """
    trace = differentiate(source, at, share=share)
    return Report([grade(trace, expect_entries(expect), tolerance, name)])


class Problem(NamedTuple):
    """A problem of an answers file: what to differentiate, where, and the answers."""

    name: str
    expression: str
    at: object  # "x=1,y=2", a mapping, or None
    entries: list[Entry]
    origin: str = ""  # "hw.toml, problem 'g'": where its errors say they are


def check_problems(problems: list[Problem], tolerance: Tolerance | None = None) -> Report:
    """Grade several problems into one report. An error in a problem's expression or
    point says which problem it is in."""
    reports = []
    for p in problems:
        try:
            trace = differentiate(p.expression, p.at)
        except BackpropError as error:
            # named once: beside the caret's column when there is one, else before the text
            key = "at" if error.origin == "--at" else error.origin
            where = f"{p.origin or f'problem {p.name!r}'}, key {key!r}"
            if error.position() is None:
                error.message = f"{where}: {error.message}"
            else:
                error.origin = where
            raise
        reports.append(grade(trace, p.entries, tolerance, p.name))
    return Report(reports)


def answer_key(trace: Trace, at_text: str | None, name: str = "answer key") -> dict:
    """Every node value, every adjoint, every local partial on an edge (dwn/dwi into the
    output too: written with its w it is the edge's), the gradient and the value of a run,
    as a problem of an answers file. Numbers are written in full (repr), so the key grades
    right;
    values that are not finite cannot be written as answers and are left out."""
    _scalars_only(trace)
    program = trace.program
    expect: dict[str, str] = {}

    def put(target: Target):
        v = target.truth(trace)
        if math.isfinite(v):  # an integer as an exact one, else every digit
            exact = v == int(v) and abs(v) < 2.0 ** 53
            expect[target.label(trace)] = str(int(v)) if exact else repr(v)

    put(Target("value", None, None))
    for x in program.inputs:
        put(Target("gradient", None, x))
    for i in range(len(program.nodes)):
        put(Target("node", i, None))
    for i in range(len(program.nodes)):
        put(Target("adjoint", i, None))
    for e in reversed(trace.edges()):  # the local partials, w3 first
        put(Target("partial", e.target, None, operand=e.source))
    if trace.second is not None and trace.second.hessian is not None:  # with --hessian
        for k, x in enumerate(program.inputs):
            for y in program.inputs[k:]:
                put(Target("second", None, x, y))
    doc = {"name": name, "expression": program.source}
    if at_text:
        doc["at"] = at_text
    doc["expect"] = expect
    return doc


__all__ = ["check", "check_problems", "grade", "answer_key", "Report", "ProblemReport",
           "Verdict", "Counterexample", "Undefined", "OUTCOMES", "Tolerance", "Digits",
           "Problem", "judge",
           "Entry", "parse_point"]
