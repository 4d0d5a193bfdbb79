"""Every JSON document backprop writes, in one module: the trace (--json), the lines of a
sweep and of a descent (JSON Lines), the grading report, and errors. One schema version
for all of them; each kind has its JSON Schema in backprop_cli/schema/. Numbers are plain
floats; inf and nan, which JSON lacks, are the strings "Infinity", "-Infinity", "NaN".
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import encode_basestring as _string  # a str as JSON, as dumps writes it
from typing import TYPE_CHECKING

import numpy as np

from ..engine.program import node_id
from ..engine.trace import Trace, largest_difference, modes_agree
from ..errors import CONTROLS, BackpropError
from .sentences import (GRADIENT_STEP, diagnostic_message, error_message, stop_message,
                        undefined_words, verdict_reason)

if TYPE_CHECKING:  # annotations only: the JSON of a trace need not load the tasks
    from ..tasks.descent import Step, Stop
    from ..tasks.grading import ProblemReport, Report, Verdict

SCHEMA_VERSION = "1"  # of every document: schema/*.schema.json
JACOBIAN = True  # the trace document carries it
HESSIAN = True  # and the second derivatives


def dumps(doc: dict) -> str:
    # allow_nan=False: inf and nan were already spelled as strings; JSON has no others.
    # json escapes the C0 controls; the C1 and format controls get the same \\u escape.
    return _printable(json.dumps(doc, ensure_ascii=False, allow_nan=False))


def _printable(text: str) -> str:
    return text if text.isprintable() else _CONTROLS.sub(_json_escape, text)


_CONTROLS = re.compile(f"[{CONTROLS}]")


def _json_escape(m: re.Match) -> str:
    return f"\\u{ord(m.group()):04x}"


def number(x) -> float | str:
    """A plain JSON number; inf and nan as the strings "Infinity", "-Infinity", "NaN"."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")


def _number(x) -> str:
    """number(x) as JSON text: a float's repr, as the encoder writes it."""
    x = float(x)
    if x - x == 0:  # finite
        return repr(x)
    return '"NaN"' if x != x else '"Infinity"' if x > 0 else '"-Infinity"'


def _array(x) -> str:
    return dumps(array(x))


def _texts(values: list, tensor: bool) -> list[str]:
    """Values as JSON text: a block of scalars at once (_numbers), arrays one by one."""
    if tensor:
        return [_array(v) for v in values]
    return _numbers(np.asarray(values, dtype=np.float64))


def array(x):
    """A value as JSON: a number, or nested lists of numbers for an array."""
    if x is None:
        return None
    if type(x) is not np.ndarray or x.ndim == 0:
        return number(x)
    return [array(row) for row in x] if x.ndim > 1 else [number(v) for v in x]


# --- one point: the trace ------------------------------------------------------------------

def trace_document(trace: Trace, expand: bool = False) -> dict:
    """The trace of one run (schema/trace.schema.json). With expand, each gradient entry
    also in terms of the inputs. The document trace_chunks writes, read back: its rows
    are made as text."""
    return json.loads(render_trace(trace, expand))


class _TraceRows:
    """The rows of a trace's nodes and partials, made one at a time: write_trace streams
    them, trace_document lists them."""

    def __init__(self, trace: Trace):
        from ..symbolic.exact_values import exact_of
        from ..symbolic.formula import show
        from ..symbolic.simplify import Adjoints

        self.trace = trace
        self.known = exact_of(trace)  # exact values where the program has them
        self.program = program = trace.program
        self.edges = trace.edges()
        self.succ = trace.successors(self.edges)
        self.tensor = trace.tensor
        self.shapes = trace.tensor_shapes
        self.value = array if self.tensor else number
        self.text = _array if self.tensor else _number  # the same, as JSON text
        self.kept: list | None = None  # the partials' texts nodes() derived
        self.simple: list = [None] * len(program.nodes)
        self.simplified = None
        if not self.tensor:  # simplified forms are of scalar formulas; tensors have rules
            self.simplified = Adjoints(trace, self.succ)
            for i in range(len(program.nodes) - 1, -1, -1):  # each uses its successors'
                f = self.simplified.formula(i)
                self.simple[i] = None if f is None else show(f, "ascii")

    def nodes(self):
        """Each node's row, as JSON text: what dumps() writes for its dict, put together
        from strings, as a 10^6-node trace has 10^6 of them."""
        from ..symbolic.exact_values import rounded
        from ..symbolic.formula import adjoint_formula, adjoint_sum, edge_texts, node_text

        trace, program, succ = self.trace, self.program, self.succ
        tensor, shapes, simple = self.tensor, self.shapes, self.simple
        adjoints = trace.has_adjoints
        values, adjoint_values = trace.values, trace.adjoints
        kept = self.kept = [None] * (3 * len(program.nodes)) if adjoints and not tensor \
            else None  # each edge's partial, by target and first position, for partials()
        ops: dict = {}
        memos: dict = {}  # per node whose edges were written and whose row was not yet
        exact = self.known is not None or trace.untaken is not None
        n = len(program.nodes)
        for first in range(0, n, CHUNK):  # numbers as text a block at a time
            block = range(first, min(n, first + CHUNK))
            shown = _texts(values[first:block.stop], tensor)
            adjoint = _texts(adjoint_values[first:block.stop], tensor) if adjoints \
                else ["null"] * len(block)
            for i, v, g in zip(block, shown, adjoint):
                node = program.nodes[i]
                if not adjoints:
                    formula = "null"
                elif tensor:
                    formula = _string(adjoint_formula(trace, i, succ[i], "ascii"))
                else:  # the terms of its edges' patterns (edge_texts caches them)
                    terms = []
                    for e in succ[i]:
                        memo = memos.get(e.target)
                        if memo is None:
                            memo = memos[e.target] = {}
                        partial, term = edge_texts(program, e, "ascii", memo)
                        kept[3 * e.target + e.positions[0]] = partial
                        terms.append(term)
                    formula = _string(adjoint_sum(trace, i, terms, "ascii"))
                op = ops.get(node.op)
                if op is None:
                    op = ops[node.op] = _string(node.op)
                operands = ", ".join([_string(node_id(a)) if type(a) is int else
                                      _string(a.text) if type(a.value) is tuple else
                                      _number(a.value) for a in node.args])
                more: dict = {}
                if tensor:
                    more["shape"] = list(shapes[i])
                if exact:
                    _exact_fields(more, trace, i, self.known, rounded)
                if node.names:
                    more["name"] = node.names[0]
                    if len(node.names) > 1:
                        more["aliases"] = list(node.names[1:])
                text = _string(node_text(program, i, "ascii", memos.pop(i, None)))
                yield (f'{{"id": "{node_id(i)}", "op": {op}, "operands": [{operands}], '
                       f'"text": {text}, "value": {v}, "adjoint": {g}, '
                       f'"adjoint_formula": {formula}, "adjoint_simplified": '
                       f'{"null" if simple[i] is None else _string(simple[i])}'
                       + (f", {dumps(more)[1:-1]}}}" if more else "}"))

    def partials(self):
        """Each edge's row, as JSON text, in the order of trace.edges(); the partials'
        texts are those nodes() derived for the adjoint formulas, where it ran."""
        from ..symbolic.exact_values import rounded
        from ..symbolic.formula import edge_formula, edge_texts

        trace, program, value, tensor = self.trace, self.program, self.text, self.tensor
        known, kept = self.known, self.kept
        ps = trace.partials
        lists = (ps.first, ps.second, ps.third)
        for e in self.edges:
            if tensor:
                formula = edge_formula(program, e, "ascii", self.shapes)
            elif kept is not None and kept[3 * e.target + e.positions[0]] is not None:
                formula = kept[3 * e.target + e.positions[0]]
                kept[3 * e.target + e.positions[0]] = None  # written once: let it go
            else:
                formula = edge_texts(program, e, "ascii")[0]
            if tensor or len(e.positions) > 1:
                v = trace.edge_value(e)
            else:  # one operand's partial, from the pass's flat lists
                v = lists[e.positions[0]][e.target]
            more: dict = {}
            if tensor:
                more["kind"] = "vjp" if trace.is_rule(e) else "partial"
            if known is not None and len(e.positions) == 1:
                exact = rounded(known.partials[e.target][e.positions[0]], v)
                if exact is not None:
                    more["value_exact"] = exact
            yield (f'{{"from": "{node_id(e.source)}", "to": "{node_id(e.target)}", '
                   f'"formula": {_string(formula)}, "value": {value(v)}'
                   + (f", {dumps(more)[1:-1]}}}" if more else "}"))


def _trace_head(rows: _TraceRows, expand: bool, nodes, partials) -> dict:
    """The document around its nodes and partials (whatever stands in for them)."""
    from ..symbolic.exact_values import output_exact, rounded
    from ..symbolic.formula import show
    from ..symbolic.simplify import expanded_gradient

    trace, program, value, tensor = rows.trace, rows.program, rows.value, rows.tensor
    known = rows.known
    out = program.output
    doc = {
        "schema": SCHEMA_VERSION,
        "expression": program.source,
        "inputs": {name: value(v) for name, v in trace.point.items()},
        "output": {"name": trace.output_name,
                   "node": node_id(out) if type(out) is int else None},
        "nodes": nodes,
        "partials": partials,
        "value": value(trace.value),
        "gradient": {name: value(v) for name, v in trace.gradient.items()}
        if trace.has_adjoints else None,
        "warnings": [diagnostic_document(program, d) for d in trace.diagnostics],
    }
    if program.calls:
        doc["calls"] = [call_document(program, c) for c in program.calls]
    if known is not None:
        exact = {name: rounded(known.gradient[name], v) for name, v in trace.gradient.items()}
        exact = {name: t for name, t in exact.items() if t is not None}
        if exact:
            doc["gradient_exact"] = exact
    exact = rounded(output_exact(trace), trace.value)
    if exact is not None:
        doc["value_exact"] = exact
    if expand and not tensor:
        doc["gradient_expanded"] = {
            name: None if f is None else show(f, "ascii")
            for name, f in expanded_gradient(rows.simplified).items()}
    if trace.tangents is not None:
        fw = trace.tangents
        doc["forward"] = {
            "passes": fw.passes,
            "tangents": {name: [value(t) for t in dot]
                         for name, dot in zip(fw.inputs, fw.tangents)},
            "gradient": {name: value(v) for name, v in fw.gradient.items()},
            "largest_difference": number(largest_difference(fw.gradient, trace.gradient)),
            "agree": modes_agree(fw.gradient, trace.gradient),
        }
    if tensor:
        doc["shape"] = list(np.shape(trace.value))
        doc["seed"] = array(trace.seed) if trace.has_adjoints else None
    if trace.second is not None:
        doc.update(second_order_document(trace, value, expand))
    if trace.jacobian is not None:
        jac = trace.jacobian
        doc["jacobian"] = {"mode": jac.mode, "passes": jac.passes,
                           "of": {name: {"shape": list(j.shape), "value": array(j)}
                                  for name, j in jac.entries.items()}}
    return doc


def call_document(program, c) -> dict:
    """A call of a user function, inlined: the nodes it made (none where every one was
    shared or folded), as the tables' calls table."""
    made = c.stop > c.first
    return {"function": c.name,
            "arguments": [node_id(a) if type(a) is int else a.text for a in c.args],
            "first": node_id(c.first) if made else None,
            "last": node_id(c.stop - 1) if made else None,
            "text": program.source[c.start:c.end]}


def second_order_document(trace: Trace, value, expand: bool) -> dict:
    """`hessian` as {input: {input: ∂²f/∂a∂b}} (nested lists shaped a.shape + b.shape for
    arrays), `hvp` as {input: (H·v) in its shape}, and `second_order`: per pass the
    tangents ẇ and the second-order adjoints ẇ̄, with their formulas (of scalars)."""
    from ..symbolic.second import adjoint_tangent_formulas, expanded_hessian, tangent_texts
    from ..symbolic.simplify import MAX_NODES

    second = trace.second
    doc: dict = {}
    if second.hessian is not None:
        doc["hessian"] = {a: {b: value(h) for b, h in row.items()}
                          for a, row in second.hessian.items()}
        if expand and not trace.tensor:
            doc["hessian_expanded"] = expanded_hessian(trace, "ascii")  # None: too long
    if second.hvp is not None:
        doc["hvp"] = {name: value(v) for name, v in second.hvp.items()}
        doc["direction"] = {name: value(v) for name, v in second.direction.items()}
    # formulas of scalars, and not for a graph too big to simplify (as adjoint_simplified)
    formulas = not trace.tensor and len(trace.program.nodes) <= MAX_NODES
    doc["second_order"] = {
        "passes": second.passes,
        "tangent_formulas": tangent_texts(trace.program, "ascii") if formulas else None,
        "adjoint_tangent_formulas": adjoint_tangent_formulas(trace, "ascii")
        if formulas else None,
        "tangents": {name: [value(t) for t in dot]
                     for name, dot in zip(second.inputs, second.tangents)},
        "adjoint_tangents": {name: [value(t) for t in bar]
                             for name, bar in zip(second.inputs, second.adjoint_tangents)},
    }
    return doc


def _exact_fields(row: dict, trace, i: int, known, rounded) -> None:
    """What is known exactly of node i (its value and adjoint, where the float is
    rounding's: value_exact "0"), which where took which branch, and a node that the
    where it is under did not take."""
    if known is not None:
        for key, exact, v in (("value_exact", known.values[i], trace.values[i]),
                              ("adjoint_exact", known.adjoints[i],
                               trace.adjoints[i] if trace.has_adjoints else None)):
            t = rounded(exact, v) if v is not None else None
            if t is not None:
                row[key] = t
    node = trace.program.nodes[i]
    if node.op == "where" and trace.untaken is not None:
        c = node.args[0]
        cond = trace.values[c] if type(c) is int else c.value
        if np.ndim(cond) == 0:  # of vectors, each entry takes its own
            row["branch"] = "then" if cond else "else"
    if trace.untaken and i in trace.untaken:
        row["not_taken"] = node_id(trace.untaken[i])


def diagnostic_document(program, d) -> dict:
    """A diagnostic as data and as the sentence the terminal prints."""
    doc = {"kind": d.kind, "node": node_id(d.node), "message": diagnostic_message(program, d)}
    if d.operand is not None:
        doc["operand"] = node_id(d.operand)
    if d.count is not None:
        doc["count"], doc["points"] = d.count, d.points
    return doc


def render_trace(trace: Trace, expand: bool = False) -> str:
    return "".join(trace_chunks(trace, expand))


# Stand-ins for the two long lists in the document's head; its JSON text is cut at them
_MARKS = ("\x00nodes\x00", "\x00partials\x00")
CHUNK = 4096  # rows per piece of text


def trace_chunks(trace: Trace, expand: bool = False):
    """The trace's JSON text in pieces of CHUNK rows: the document of a 10^6-node trace is
    never held whole, as a dict or as text. The head is dumps() of its dict; the rows
    are text as dumps() writes it, with the same escapes of control characters."""
    rows = _TraceRows(trace)
    head = dumps(_trace_head(rows, expand, *_MARKS))
    for mark, made in zip(_MARKS, (rows.nodes, rows.partials)):
        before, head = head.split(dumps(mark), 1)
        yield before + "["
        batch: list[str] = []
        first = True
        for row in made():
            batch.append(row)
            if len(batch) == CHUNK:
                yield ("" if first else ", ") + _printable(", ".join(batch))
                batch, first = [], False
        if batch:
            yield ("" if first else ", ") + _printable(", ".join(batch))
        yield "]"
    yield head


def emit(trace: Trace, options) -> None:
    import sys

    write = sys.stdout.write
    for chunk in trace_chunks(trace, expand=options.expand):
        write(chunk)
    write("\n")


# --- many points: JSON Lines of a sweep ----------------------------------------------------

def sweep_lines(blocks, inputs: list[str]):
    """One object per point (schema/sweep.schema.json), in grid order, a block's lines at
    a time. Each line fills a template that json.dumps would write for the point's dict
    (numbers as float repr, the same text), without building the dict per point."""
    def key(k):
        return json.dumps(k, ensure_ascii=False).replace("%", "%%")

    per_input = ", ".join(f"{key(k)}: %s" for k in inputs)
    template = ('{"schema": %s, "point": {%s}, "value": %%s, "gradient": {%s}'
                % (key(SCHEMA_VERSION), per_input, per_input))
    hessian = "".join([", \"hessian\": {", ", ".join(f"{key(a)}: {{{per_input}}}"
                                                     for a in inputs), "}"])
    for block in blocks:
        columns = ([block.points[k] for k in inputs] + [block.value]
                   + [block.gradient[k] for k in inputs])
        line = template
        if block.hessian is not None:  # --hessian: every ∂²f/∂a∂b, a row per input
            columns += [block.hessian[a][b] for a in inputs for b in inputs]
            line += hessian
        line += "}"
        texts = [_numbers(np.asarray(c, dtype=np.float64)) for c in columns]
        if texts and texts[0]:
            yield "\n".join([line % row for row in zip(*texts)])


def _numbers(values: np.ndarray) -> list[str]:
    """number() of each entry, as JSON text."""
    texts = list(map(repr, values.tolist()))
    bad = np.flatnonzero(~np.isfinite(values))
    for i in bad.tolist():
        texts[i] = dumps(number(values[i]))
    return texts


# --- errors --------------------------------------------------------------------------------

def error_document(error: BackpropError) -> dict:
    """An error as the one document on stdout under --json (schema/error.schema.json)."""
    doc = {"type": error.kind, "message": error_message(error)}
    pos = error.position()
    if pos is not None:
        doc.update(origin=error.origin, line=pos[0], column=pos[1],
                   excerpt=list(error.excerpt()))
    if error.expected:
        doc["expected"] = error.expected
    if error.hint:
        doc["hint"] = error.hint
    if error.node is not None:
        doc["node"] = node_id(error.node)
    return {"schema": SCHEMA_VERSION, "error": doc}


def render_error(error: BackpropError) -> str:
    return dumps(error_document(error))


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
    doc = {"schema": SCHEMA_VERSION, "step": step.step, "point": _point(step.point),
           "loss": number(step.loss), "gradient": _point(step.gradient),
           "grad_norm": number(step.grad_norm)}
    if step.update is not None:  # newton: how the step was taken
        doc["update"], doc["step_size"] = step.update, number(step.step_size)
        if step.update == "gradient":
            doc["note"] = GRADIENT_STEP
    return doc


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
