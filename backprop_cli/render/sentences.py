"""The words for what the tasks found: a grading verdict's reason. tasks/ returns it as
data (an outcome, and the numbers behind it); it is worded here once, and the terminal
report and the JSON document both take their text from here, so no two outputs can word
one result apart. Numbers go through numbers.fmt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..engine.ops import OPS
from .numbers import fmt

if TYPE_CHECKING:  # annotations only: the JSON of a trace need not load the tasks
    from ..tasks.grading import Tolerance, Undefined, Verdict


def plural(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


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


def verdict_reason(v: Verdict) -> str:
    """The sentence after ✓ or ✗ in the report, and the JSON's `reason`."""
    outcome = v.outcome
    if outcome in ("within_tolerance", "outside_tolerance"):
        word = "right" if outcome == "within_tolerance" else "wrong"
        return f"{word} within {tolerance_words(v.tolerance)}"
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
