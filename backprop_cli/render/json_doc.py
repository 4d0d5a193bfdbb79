"""--json: exactly one JSON document on stdout, described by schema/trace.schema.json;
and the documents of the tasks, grading and descent, below."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..errors import BackpropError
from ..engine.trace import SCHEMA_VERSION, Trace, number
from .sentences import stop_message, undefined_words, verdict_reason

if TYPE_CHECKING:  # annotations only: the JSON of a trace need not load the tasks
    from ..tasks.descent import Step, Stop
    from ..tasks.grading import ProblemReport, Report, Verdict

JACOBIAN = True  # Trace.to_dict carries it


def dumps(doc: dict) -> str:
    # allow_nan=False: inf and nan were already spelled as strings; JSON has no others
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


def render_trace(trace: Trace, expand: bool = False) -> str:
    return dumps(trace.to_dict(expand=expand))


def render_error(error: BackpropError) -> str:
    return dumps({"schema": SCHEMA_VERSION, "error": error.to_dict()})


def emit(trace: Trace, options) -> None:
    print(render_trace(trace, expand=options.expand))


# --- the tasks' documents: grading (schema/report.schema.json) and descent
# (schema/descent.schema.json). Their sentences come from sentences.py, as the terminal's do.

def _point(point: dict) -> dict:
    return {k: number(v) for k, v in point.items()}


def _maybe(x) -> float | str | None:
    return None if x is None else number(x)


def verdict_document(v: Verdict) -> dict:
    doc = {"target": v.target, "id": v.id, "answer": v.answer, "kind": v.kind,
           "right": v.right, "reason": verdict_reason(v), "truth": number(v.truth),
           "value": _maybe(v.value), "points": v.points}
    if v.digits is not None:
        doc["digits"] = v.digits
    c = v.counterexample
    if c is not None:
        doc["counterexample"] = {"at": _point(c.at), "answer": _maybe(c.answer),
                                 "truth": number(c.truth)}
        if c.undefined is not None:
            doc["counterexample"]["why"] = undefined_words(c.undefined)
    return doc


def problem_document(problem: ProblemReport) -> dict:
    return {"name": problem.name, "expression": problem.expression,
            "at": _point(problem.point), "right": problem.right, "total": problem.total,
            "answers": [verdict_document(v) for v in problem.verdicts]}


def report_document(report: Report) -> dict:
    """The grading report's document: what `--expect … --json` prints."""
    return {"schema": SCHEMA_VERSION, "right": report.right, "total": report.total,
            "all_right": report.all_right,
            "problems": [problem_document(p) for p in report.problems]}


def report_json(report: Report) -> str:
    return dumps(report_document(report))


def step_document(step: Step) -> dict:
    """One line of `descend --json`: a step of the path."""
    return {"schema": SCHEMA_VERSION, "step": step.step, "point": _point(step.point),
            "loss": number(step.loss), "gradient": _point(step.gradient),
            "grad_norm": number(step.grad_norm)}


def stop_document(stop: Stop, last: Step | None) -> dict:
    """The last line of `descend --json`: why the run stopped, and where."""
    result = {"stopped": stop.reason, "message": stop_message(stop), "ok": not stop.failed}
    if last is not None:
        result.update(steps=last.step, point=_point(last.point), loss=number(last.loss),
                      grad_norm=number(last.grad_norm))
    return {"schema": SCHEMA_VERSION, "result": result}


def step_json(step: Step) -> str:
    return dumps(step_document(step))


def stop_json(stop: Stop, last: Step | None) -> str:
    return dumps(stop_document(stop, last))
