"""The passes one step at a time, as a lecture walks through them: the forward pass node by
node, the seed, then each adjoint update w̄ᵢ += w̄ⱼ·∂wⱼ/∂wᵢ in the order the reverse pass
makes them (from the last node down, operands left to right: Trace.edges()). Plain data
with the text every stepper shows, the HTML page and the terminal's --step alike.

What an update adds is w̄ⱼ times the edge's partial, summed back over broadcast axes;
for an op that is not entrywise (A @ x) the edge's value already is what it pushed. A
node the output does not reach pushes nothing, as in the reverse pass, and neither does
a node in a where's branch not taken (its partial may be nan there: 0·nan would be nan).
The total after the last update of w̄ᵢ is read from the trace, so the steps end on the
tables' adjoints.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..engine.program import node_id
from ..engine.trace import Trace
from ..symbolic.formula import adjoint_formula, node_text, var_name
from .numbers import fmt
from .tables import adjoint_cell, value_cell


class Step(NamedTuple):
    kind: str  # "forward", "seed" or "update"
    node: int  # the node computed, or whose adjoint the step sets or grows
    edge: int | None  # an update's edge: its index in trace.edges()
    rule: str  # w3 = w1², w̄7 = 1 (seed), w̄1 += w̄3·∂w3/∂w1
    formula: str  # what the rule is here: w̄3·(2·w1); "" for a forward step's
    value: object  # the node's value, the seed, or what the update adds
    total: object  # the adjoint after the step (None on the forward pass)
    first: bool  # the update is the first to reach w̄ᵢ (before it w̄ᵢ is 0)
    last: bool  # after it w̄ᵢ is complete


def steps(trace: Trace, edges=None) -> list[Step]:
    program = trace.program
    nodes = program.nodes
    out: list[Step] = []
    for i in range(len(nodes)):
        rule = f"{node_id(i)} = " + (nodes[i].names[0] if i < program.n_inputs
                                     else node_text(program, i))
        out.append(Step("forward", i, None, rule, "", trace.values[i], None, False, False))
    if not nodes or not trace.has_adjoints or type(program.output) is not int:
        return out
    o = program.output
    edges = trace.edges() if edges is None else edges
    seed = trace.adjoints[o] if trace.seed is None else trace.seed
    out.append(Step("seed", o, None, f"{var_name(o, True, 'unicode')} = "
                    f"{adjoint_formula(trace, o, [])}  (seed)", "", seed, seed, True, True))
    remaining = [0] * len(nodes)  # updates still to come, per node
    for e in edges:
        remaining[e.source] += 1
    reached = [False] * len(nodes)
    reached[o] = True
    totals: list = [None] * len(nodes)
    for k, e in enumerate(edges):
        i, j = e.source, e.target
        flows = reached[j] and not (trace.untaken and j in trace.untaken)
        add = _pushed(trace, e) if flows else np.zeros(np.shape(trace.values[i]))[()]
        first = totals[i] is None
        totals[i] = add if first else totals[i] + add
        reached[i] = reached[i] or reached[j]
        remaining[i] -= 1
        last = remaining[i] == 0
        if last:
            totals[i] = trace.adjoints[i]  # the reverse pass's own sum, to the last digit
        bar_i, bar_j = var_name(i, True, "unicode"), var_name(j, True, "unicode")
        rule = (f"{bar_i} += {bar_j}·∂{node_id(j)}/∂{node_id(i)}" if not trace.is_rule(e)
                else f"{bar_i} += what {node_id(j)} pushes back")
        formula = adjoint_formula(trace, i, [e])
        out.append(Step("update", i, k, rule, formula, add, totals[i], first, last))
    return out


def step_text(trace: Trace, s: Step, precision: int, edges) -> tuple[str, str]:
    """A step's value and total as the tables print them: a node of a branch not taken
    says so (and why), an exact zero is 0 with the float's noise beside it."""
    if s.kind == "forward":
        return value_cell(trace, s.node, precision), ""
    value = fmt(s.value, precision)
    if s.kind == "update" and trace.untaken and edges[s.edge].target in trace.untaken:
        value += " (not taken)"
    total = adjoint_cell(trace, s.node, precision) if s.last else fmt(s.total, precision)
    return value, total


def _pushed(trace: Trace, edge):
    """w̄ⱼ·∂wⱼ/∂wᵢ in wᵢ's shape, or the vector–Jacobian product the edge pushed."""
    value = trace.edge_value(edge)
    if trace.is_rule(edge):
        return value
    g = trace.adjoints[edge.target]
    if not trace.tensor:
        return g * value
    from ..engine.shapes import unbroadcast

    return unbroadcast(np.asarray(g) * np.asarray(value), np.shape(trace.values[edge.source]))


def product_text(trace: Trace, edge, precision: int) -> str:
    """w̄ⱼ × ∂wⱼ/∂wᵢ in numbers, on an edge of scalars: 0.866025 × (-1.0472); else ""."""
    if trace.tensor:
        return ""
    g, d = fmt(trace.adjoints[edge.target], precision), fmt(trace.edge_value(edge), precision)
    return f"{g} × {f'({d})' if d.startswith('-') else d}"
