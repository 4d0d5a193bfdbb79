"""Every sentence about a result that is not a table cell: a run's diagnostics and errors,
a grading verdict's reason, why a descent stopped. The engine and tasks/ hand over data
(a kind, a node's index, an outcome or a cause, and the numbers behind it); each is worded
here once, and the terminal, Markdown, LaTeX and the JSON documents all take their text
from here, so no two outputs can word one result apart. A node is named as the tables
name it, `w3 = log(w2)`, in the ascii the user types. Numbers go through numbers.fmt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.ops import OPS
from ..engine.program import node_id
from ..errors import BackpropError, printable
from ..symbolic.formula import node_text
from .numbers import fmt

if TYPE_CHECKING:  # annotations only: the JSON of a trace need not load the tasks
    from ..tasks.descent import Stop
    from ..tasks.grading import Tolerance, Undefined, Verdict


def plural(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


# --- a run: cells that say more than a number ------------------------------------------

def exact_zero(value, precision: int = 2) -> str:
    """A value that is 0 in exact arithmetic, which float64 rounds to noise."""
    return f"0 (exact; float64 gives {fmt(value, precision)})"


def rounding_flip(value, exact_value, precision: int = 6) -> str:
    """A piecewise op's value that float64's rounding decided: exact arithmetic gives
    another (sin(π) > 0 is 1 in float64, 0 exactly); the run goes on with the float's."""
    from ..symbolic.exact_values import text

    return f"{fmt(value, precision)} (float64's rounding; exactly {text(exact_value)})"


def not_taken(program, where: int, vals) -> str:
    """Why a node has no value that counts: the where node `where` took its other branch."""
    c = program.nodes[where].args[0]
    cond = node_id(c) if type(c) is int else c.text
    value = vals[c] if type(c) is int else c.value
    branch = "then" if value else "else"
    return f"not taken ({node_id(where)} takes {branch}: {cond} = {fmt(value)})"


# --- a run: diagnostics and errors ----------------------------------------------------

def definition(program, i: int) -> str:
    """`w3 = w1*w2`: how every error and diagnostic names a node."""
    return f"{node_id(i)} = {node_text(program, i, 'ascii')}"


def _at(d) -> str:
    """' at 3 of 121 points' for a diagnostic over points."""
    return f" at {d.count} of {d.points} points" if d.points is not None else ""


def diagnostic_message(program, d) -> str:
    node = definition(program, d.node)
    op = OPS[program.nodes[d.node].op]
    if d.kind == "kink":
        return f"{node} is not differentiable here{_at(d)}; {op.kink_text}"
    if d.kind == "second_kink":
        return f"{node} has no second derivative here{_at(d)}; {op.kink2_text}"
    if d.kind == "no_second_derivative":
        return (f"{node} has no finite second derivative here: the Hessian entries it "
                "reaches are not finite")
    if d.kind == "domain":
        return f"{node}: {op.domain_text}{_at(d)}; the value there is nan"
    if d.kind == "overflow":
        if d.points is not None:
            return f"{node} overflows{_at(d)}"
        return f"{node} overflows to {'inf or nan' if d.value is None else d.value}"
    if d.kind == "not_differentiable":
        value = (f"not finite{_at(d)}" if d.value is None else f"{d.value} at this point")
        return (f"∂{node_id(d.node)}/∂{node_id(d.operand)} is {value}: "
                f"{node} has no derivative here")
    raise AssertionError(f"a diagnostic of unknown kind {d.kind!r}")  # pragma: no cover


def error_message(error: BackpropError) -> str:
    """The error's message; an error about a node of a program names the node first, and
    a domain error the operands' values there: `w2 = log(w1): log needs a positive
    argument, but w1[1] = -1`."""
    message = error.message
    operands = getattr(error, "operands", None)
    if operands:
        message += ", but " + ", ".join(
            f"{node_id(i)}{'[' + ', '.join(map(str, entry)) + ']' if entry else ''} = {fmt(v)}"
            for i, entry, v in operands)
    if error.node is not None and error.program is not None:
        return f"{definition(error.program, error.node)}: {message}"
    return message


def error_lines(error: BackpropError) -> list[str]:
    """The error as text: the message and where, the source line with a caret under the
    span, what was expected, a hint."""
    lines = [f"error: {error_message(error)}"]
    pos = error.position()
    if pos is not None:
        text, carets = error.excerpt()
        lines[0] += (f" ({error.origin}, line {pos[0]}, column {pos[1]})"
                     if "\n" in error.source else f" ({error.origin}, column {pos[1]})")
        lines += ["  " + text, "  " + carets]
    if error.expected:
        lines.append("expected: " + ", ".join(error.expected))
    if error.hint:
        lines.append(f"hint: {error.hint}")
    return lines


# --- grading ------------------------------------------------------------------------

def tolerance_words(tolerance: Tolerance) -> str:
    return f"rtol {fmt(tolerance.rtol)}, atol {fmt(tolerance.atol)}"


def undefined_words(undefined: Undefined) -> str:
    """Why a formula answer has no value at a point: `log(x): log needs a positive
    argument`, in the answer's own text."""
    return f"{undefined.text}: {OPS[undefined.op].domain_text}"


def _precision(v: Verdict) -> str:
    """How precisely a rounded number was written: 3 significant digits; for a zero,
    the decimal places (0.00) or units (0.)."""
    if v.digits:
        return plural(v.digits, "significant digit")
    return plural(-v.place, "decimal place") if v.place < 0 else "units"


def _rounded_truth(v: Verdict) -> str:
    """The truth to the digits the answer wrote, as it wrote them."""
    if v.scientific:
        return fmt(v.truth, max(v.digits, 1), "scientific")
    return fmt(v.truth, -v.place, "fixed")


def rounding_hint(v: Verdict) -> str:
    """How far a number is from the truth without giving the truth away: the digits it
    has right against those asked, or that it is the truth with the wrong sign."""
    from ..tasks.grading import agreeing_digits

    asked = v.tolerance.n
    if v.truth and agreeing_digits(-v.value, v.truth, asked) >= asked:
        return "the sign is wrong"
    k = agreeing_digits(v.value, v.truth, asked)
    if k:
        return f"right to {plural(k, 'significant digit')}, {asked} asked"
    return f"not right to even one significant digit ({asked} asked)"


def verdict_reason(v: Verdict) -> str:
    """The sentence after ✓ or ✗ in the report, and the JSON's `reason`."""
    outcome = v.outcome
    if outcome in ("within_tolerance", "outside_tolerance"):
        word = "right" if outcome == "within_tolerance" else "wrong"
        return f"{word} within {tolerance_words(v.tolerance)}"
    if outcome == "significant":
        return f"right to {plural(v.tolerance.n, 'significant digit')}"
    if outcome == "insignificant":
        return f"wrong: {rounding_hint(v)}"
    if outcome == "formula_not_number":
        return "wrong: a number is asked for, not a formula"
    if outcome == "number_not_formula":
        return "wrong: a formula is asked for, not a number"
    if outcome == "exact":
        return "right (exact)"
    if outcome == "not_exact_integer":
        return f"wrong: an integer is read as exact; the truth is {fmt(v.truth)}"
    if outcome == "not_exact":
        return f"wrong: {v.answer} = {fmt(v.value)}; the truth is {fmt(v.truth)}"
    if outcome == "rounded":
        return f"right to {_precision(v)}"
    if outcome == "misrounded":
        return f"wrong: to {_precision(v)} the truth is {_rounded_truth(v)}"
    if outcome == "truth_not_finite":
        return f"wrong: the truth is {fmt(v.truth)}"
    if outcome == "not_taken":
        return ("wrong: a where does not take that node at this point, so it has no value "
                "here (the tables say why)")
    if outcome == "function":
        return f"right as a function: at the point and {plural(v.points - 1, 'random point')}"
    if outcome == "function_off_point":
        return (f"right as a function at {plural(v.points, 'random point')} "
                "(the truth is not finite at the point)")
    if outcome == "unchecked":
        return ("cannot be checked: the truth is not finite at the point, and no random "
                "point was found")
    c = v.counterexample
    got = (f"answer undefined ({undefined_words(c.undefined)})" if c.answer is None
           else f"answer {fmt(c.answer)}")
    if outcome == "differs_at_point":
        return f"wrong at the point: {got}, truth {fmt(c.truth)}"
    if outcome == "differs_elsewhere":
        where = ", ".join(f"{x} = {fmt(value)}" for x, value in c.at.items())
        return f"right at the point only; differs at {where}: {got}, truth {fmt(c.truth)}"
    raise ValueError(f"no words for the outcome {outcome!r}")


# --- a class: feedback on a target, why a submission was not graded -----------------

_MISTAKES = {
    "formula_not_number": "a number is asked for, not a formula",
    "number_not_formula": "a formula is asked for, not a number",
    "differs_at_point": "as a function it differs at your point",
    "differs_elsewhere": "right at your point only: as a function it differs elsewhere",
    "truth_not_finite": "the truth is not finite here",
    "not_taken": "a where does not take that node at this point: it has no value here",
}


def feedback(t, reveal: str) -> str:
    """What a student reads about one target (a TargetResult), by the hint tier: score
    (right or wrong), hint (+ the kind of mistake and the template's hint), counterexample
    (+ where a formula differs), truth (+ the truth). Never the truth below that tier."""
    from ..tasks.classroom import REVEAL

    level = REVEAL.index(reveal)
    if t.status == "missing":
        return "no answer"
    if t.status == "unreadable":
        return f"cannot be read: {printable(t.error)}"
    v = t.verdict
    if t.status == "right":
        return verdict_reason(v)
    parts = ["wrong" if t.status == "wrong" else
             f"partial credit, {fmt(t.score)} of {fmt(t.points)} points"]
    if level >= 1:
        mistake = rounding_hint(v) if v.outcome == "insignificant" else _MISTAKES.get(v.outcome)
        if mistake:
            parts.append(mistake)
        if t.hint:
            parts.append(f"hint: {t.hint}")
    c = v.counterexample
    if level >= 2 and c is not None:
        where = ", ".join(f"{x} = {fmt(value)}" for x, value in c.at.items())
        got = (f"undefined ({undefined_words(c.undefined)})" if c.answer is None
               else fmt(c.answer))
        parts.append(f"at {where} your formula gives {got}, the truth is {fmt(c.truth)}")
    if level >= 3:
        parts.append(f"the truth is {fmt(v.truth)}")
    return parts[0] + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "")


def status_reason(row) -> str | None:
    """Why a student's row (a StudentResult) was not graded; None when it was."""
    files = ", ".join(printable(f) for f in row.files)
    if row.status == "graded":
        return None
    if row.status == "unreadable":
        return f"the submission cannot be read: {printable(row.detail)}"
    if row.status == "no_id":
        return f"{files}: no student = \"ID\" at the top of the file"
    if row.status == "bad_id":
        return (f"{files}: the student id '{printable(row.detail)}' is not an id (letters, "
                "digits and . _ @ + -, at most 64)")
    if row.status == "unknown_student":
        return f"{files}: {row.student} is not on the roster"
    if row.status == "duplicate":
        return f"{len(row.files)} submissions name {row.student}: {files}; none is graded"
    if row.status == "missing":
        return "no submission"
    if row.status == "time_limit":
        return f"{files}: grading took over the limit of {row.detail} s"
    raise ValueError(f"no words for the status {row.status!r}")


# --- descent ------------------------------------------------------------------------

def update_words(step) -> str:
    """How a newton step reached its point, for the table's update column: newton or
    gradient (fallback_message says why), and the line search's step."""
    if step.update is None:
        return "start"
    return f"{step.update}, t = {fmt(step.step_size, 3)}"


GRADIENT_STEP = ("the Hessian was not positive definite where this step started: a gradient "
                 "step with a line search was taken instead of a Newton step")


def fallback_message(steps) -> str | None:
    """Where Newton's method fell back to gradient steps, or None."""
    k = [s.step for s in steps if s.update == "gradient"]
    if not k:
        return None
    at = ", ".join(map(str, k[:10])) + (", …" if len(k) > 10 else "")
    which = f"step {at} started" if len(k) == 1 else f"steps {at} started"
    return (f"the Hessian was not positive definite where {which}: a gradient step with a "
            "line search was taken instead of a Newton step")


def stop_message(stop: Stop) -> str:
    """Why a descent stopped: the line after `stopped:` or `diverged:`, and the JSON
    result's `message`."""
    k = stop.step
    if stop.reason == "grad_norm":
        return (f"the gradient norm {fmt(stop.grad_norm, 3)} is at most "
                f"{fmt(stop.tolerance)} at step {k}")
    if stop.reason == "loss_change":
        return (f"the loss changed by {fmt(stop.change, 3)}, at most {fmt(stop.tolerance)}, "
                f"at step {k}")
    if stop.reason == "steps":
        return (f"the step limit {k} was reached; the gradient norm is still "
                f"{fmt(stop.grad_norm, 3)}")
    smaller = f"the learning rate is too large: try a smaller one, e.g. --lr {fmt(stop.lr / 10)}"
    cause = stop.cause
    if cause == "domain":
        return f"step {k} left the function's domain ({error_message(stop.error)}); {smaller}"
    if cause == "no_minimum":
        return (f"the loss fell from {fmt(stop.start)} to {fmt(stop.loss)} by step {k}: "
                "the function seems to have no minimum along this path")
    if cause == "loss_grew":
        return f"the loss grew from {fmt(stop.start)} to {fmt(stop.loss)} by step {k}; {smaller}"
    if cause == "loss_not_finite":
        return f"the loss is {fmt(stop.loss)} at step {k}; {smaller}"
    if cause == "gradient_not_finite":
        return f"the gradient is {fmt(stop.grad_norm)} at step {k}; {smaller}"
    if cause == "point_not_finite":
        return f"the point is no longer finite after step {k}; {smaller}"
    raise ValueError(f"no words for the stop {stop.reason!r} ({cause!r})")
