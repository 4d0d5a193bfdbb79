"""The forward and the reverse pass: loops over the SSA list, never recursion.

Values are numpy float64 scalars, computed by the op table's numpy functions, so a point
and (later) an array of points take the same code. Constants are appended after the nodes
in one value list, so every operand is an index and the loops never ask what it is.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import DomainError
from .ops import OPS
from .program import Const, Program, node_id
from .trace import Trace, Warning_

_f64 = np.float64


def _layout(program: Program):
    """Per operation node: its op, operand slots into the value list, and the constants."""
    n = len(program.nodes)
    consts: list = []
    slots = []
    for node in program.nodes[program.n_inputs:]:
        row = []
        for a in node.args:
            if type(a) is int:
                row.append(a)
            else:
                row.append(n + len(consts))
                consts.append(_f64(a.value))
        slots.append(tuple(row))
    return slots, consts


def evaluate(program: Program, point: dict[str, float]) -> Trace:
    """Forward pass, then reverse pass from the output seeded with 1."""
    nodes, n_in = program.nodes, program.n_inputs
    n = len(nodes)
    slots, consts = _layout(program)
    vals: list = [_f64(point[name]) for name in program.inputs] + [None] * (n - n_in) + consts
    ops = [OPS[node.op] for node in nodes[n_in:]]
    warnings: list[Warning_] = []
    isfinite = math.isfinite

    with np.errstate(all="ignore"):
        # --- forward: w_i = op(operands), in list order ---------------------------------
        for i in range(n_in, n):
            op = ops[i - n_in]
            s = slots[i - n_in]
            v = op.forward(vals[s[0]]) if len(s) == 1 else op.forward(vals[s[0]], vals[s[1]])
            if not isfinite(v):
                _non_finite(program, i, op, [vals[k] for k in s], v, warnings)
            vals[i] = v

        # --- reverse: w̄_out = 1, then w̄_i += w̄_j ∂w_j/∂w_i for j = n … 1 ----------------
        adj: list = [0.0] * n
        partials: list = [()] * n
        out = program.output
        if type(out) is int:
            adj[out] = 1.0
        for j in range(n - 1, n_in - 1, -1):
            op = ops[j - n_in]
            s = slots[j - n_in]
            g = adj[j]
            v = vals[j]
            operands = [vals[k] for k in s]
            row = []
            for k, i in enumerate(s):
                if i >= n:  # a constant: no edge, no partial
                    row.append(None)
                    continue
                p = op.partials[k](*operands, v)
                if not isfinite(p) and all(isfinite(x) for x in operands):
                    warnings.append(Warning_(
                        "not_differentiable", node_id(j),
                        f"∂{node_id(j)}/∂{node_id(i)} of {node_id(j)} = {op.name}(…) is "
                        f"{float(p)} at this point: the derivative does not exist here"))
                row.append(p)
                adj[i] += g * p
            partials[j] = tuple(row)
            if op.kink is not None and op.kink(*operands):
                warnings.append(Warning_("kink", node_id(j),
                                         f"{node_id(j)} = {op.name}(…) is not differentiable "
                                         f"here; {op.kink_text}"))

    value = vals[out] if type(out) is int else _f64(out.value)
    gradient = {name: adj[k] for k, name in enumerate(program.inputs)}
    return Trace(program=program, point=dict(point), values=vals[:n], partials=partials,
                 adjoints=adj, value=value, gradient=gradient, warnings=warnings)


def _non_finite(program: Program, i: int, op, operands: list, v, warnings: list) -> None:
    """A value came out inf or nan: a domain error if the op was outside its domain,
    else an overflow the user should know about (exp(1000) is inf, not an error)."""
    if not all(math.isfinite(x) for x in operands):
        return  # carried from an earlier node, already reported
    node = program.nodes[i]
    if op.domain is not None and not op.domain(*operands):
        from .formula import node_text

        values = ", ".join(f"{node_id(a)} = {float(x):.6g}"
                           for a, x in zip(node.args, operands) if type(a) is int)
        raise DomainError(f"{node_id(i)} = {node_text(program, i, 'ascii')}: {op.domain_text}, "
                          f"but {values}",
                          source=program.source, span=(node.start, node.end), node=node_id(i))
    warnings.append(Warning_("overflow", node_id(i),
                             f"{node_id(i)} = {op.name}(…) overflows to {float(v)}"))


__all__ = ["evaluate", "Const"]
