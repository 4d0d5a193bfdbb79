"""The cells of the tables, shared by the terminal and Markdown: which rows show, what
each cell says, what a blank worksheet leaves out. No Rich here.

Big graphs show their first and last rows: formulas are derived only for the rows shown,
so printing a 10^6-node run costs no more than printing a small one.
"""

from __future__ import annotations

from typing import NamedTuple

from ..formula import adjoint_formula, edge_formula, node_text, var_name
from ..program import node_id
from ..trace import Trace
from . import Options
from .numbers import fmt

MAX_TERMS = 8  # terms of an adjoint's sum shown before "+ … (N terms)"


class Table(NamedTuple):
    kind: str  # "forward", "partials", "adjoints" or "gradient"
    title: str
    columns: tuple[str, ...]
    head: list[tuple[str, ...]]  # the rows shown before the elision
    tail: list[tuple[str, ...]]  # and after it; empty when nothing is elided
    hidden: int  # rows elided between head and tail


def rows(count: int, max_rows: int) -> tuple[range, range]:
    """The rows to show: all of them, or a head and a tail around an ellipsis."""
    if max_rows <= 0 or count <= max_rows:
        return range(count), range(0)
    head = max_rows - max_rows // 2
    return range(head), range(count - max_rows // 2, count)


def _table(kind, title, columns, count, max_rows, row) -> Table:
    head, tail = rows(count, max_rows)
    return Table(kind, title, columns, [row(k) for k in head], [row(k) for k in tail],
                 count - len(head) - len(tail))


def source_line(trace: Trace) -> str:
    """The statements on one line, without comments: the file's layout is the user's."""
    lines = [line.split("#", 1)[0].strip() for line in trace.program.source.splitlines()]
    shown = "; ".join(line for line in lines if line)
    if len(shown) > 160:  # a generated expression: its start says what it is
        shown = f"{shown[:150]}… ({len(shown)} characters)"
    return shown


def point_text(trace: Trace, precision: int) -> str:
    return ", ".join(f"{k} = {fmt(v, precision)}" for k, v in trace.point.items())


def tables(trace: Trace, options: Options, edges=None) -> list[Table]:
    """Forward pass, local partials, adjoints (each when it has rows). A blank worksheet
    keeps the SSA list and the definitions and leaves values and formulas empty."""
    program = trace.program
    nodes = program.nodes
    p, blank, max_rows = options.precision, options.blank, options.max_rows
    out = []
    out.append(_table("forward", "Forward pass: the SSA list and its values",
                      ("node", "name", "definition", "value"), len(nodes), max_rows,
                      lambda i: (node_id(i), ", ".join(nodes[i].names),
                                 "input" if i < program.n_inputs else node_text(program, i),
                                 "" if blank else fmt(trace.values[i], p))))
    edges = trace.edges() if edges is None else edges
    if edges:
        out.append(_table("partials",
                          "Local partials ∂wⱼ/∂wᵢ on the edges, in backward order",
                          ("edge", "formula", "value"), len(edges), max_rows,
                          lambda k: (f"∂{node_id(edges[k].to)}/∂{node_id(edges[k].frm)}",
                                     "" if blank else edge_formula(program, edges[k]),
                                     "" if blank else fmt(trace.edge_value(edges[k]), p))))
    if nodes:
        succ = trace.successors(edges)
        order = list(range(len(nodes) - 1, -1, -1))  # the backward pass: w̄n first

        def adjoint(k):
            i = order[k]
            if blank:
                return var_name(i, True, "unicode"), "", ""
            seed = "  (seed)" if i == program.output else ""
            return (var_name(i, True, "unicode"),
                    adjoint_formula(trace, i, succ[i], max_terms=MAX_TERMS) + seed,
                    fmt(trace.adjoints[i], p))

        out.append(_table("adjoints",
                          "Adjoints w̄ᵢ = Σⱼ w̄ⱼ·∂wⱼ/∂wᵢ, from the seed w̄ₙ = 1",
                          ("adjoint", "formula", "value"), len(order), max_rows, adjoint))
    return out


def output_line(trace: Trace, options: Options) -> str:
    out = trace.program.output
    where = f" = {node_id(out)}" if type(out) is int else ""
    return f"{trace.output_name}{where} = " + ("" if options.blank
                                               else fmt(trace.value, options.precision))


def gradient(trace: Trace, options: Options) -> Table | None:
    if not trace.gradient:
        return None
    name = trace.output_name
    program = trace.program
    rows_ = [(var, f"∂{name}/∂{var} = {var_name(program.inputs.index(var), True, 'unicode')}",
              "" if options.blank else fmt(g, options.precision))
             for var, g in trace.gradient.items()]
    return Table("gradient", "Gradient", ("input", "partial", "value"), rows_, [], 0)
