"""The forward and the reverse pass: loops over the SSA list, never recursion.

Values are numpy float64 scalars computed by the op table's numpy functions, so a point
and an array of points (a sweep, sweep.py: one float64 array per input, one entry per
point) take the same code; float64 rather than Python floats also gives IEEE results
where Python would raise (1/0 is inf, then a domain error with the node's name).
Constants are appended after the nodes in one value list, so every operand is an index
and the loops never ask what it is. With points=True every value is an array with one
entry per point (a batch of points of a scalar program, nothing else): a value outside a
node's domain is nan at that point and counted in a warning instead of raised, and the
other points go on.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import DomainError
from .ops import OPS, Op
from .program import Program, definition, node_id
from .trace import Partials, Trace, Warning_

_f64 = np.float64
_sum = np.add.reduce


class Layout(NamedTuple):
    """A program prepared for the loops: per operation node (index j - n_inputs) its op
    and its operand slots into the value list; the constants that follow the nodes; the
    nodes whose op has a kink, to check after the passes."""

    ops: list[Op]
    slots: list[tuple[int, ...]]
    consts: list
    kinks: list[int]


def layout(program: Program) -> Layout:
    nodes, n_in = program.nodes, program.n_inputs
    n = len(nodes)
    consts: list = []
    slots: list = []
    ops: list = []
    kinks: list = []
    for j in range(n_in, n):
        node = nodes[j]
        args = node.args
        if type(args[0]) is int and (len(args) == 1 or type(args[1]) is int):
            slots.append(args)  # operands all nodes: the slots are the args
        else:
            row = []
            for a in args:
                if type(a) is int:
                    row.append(a)
                else:
                    row.append(n + len(consts))
                    consts.append(_f64(a.value))
            slots.append(tuple(row))
        op = OPS[node.op]
        ops.append(op)
        if op.kink is not None:
            kinks.append(j)
    return Layout(ops, slots, consts, kinks)


def forward(program: Program, point: dict[str, float], lay: Layout | None = None,
            warnings: list | None = None, points: bool = False) -> list:
    """w_i = op(operands) in list order. Returns the value list: one value per node, then
    the constants. Raises DomainError at the first node outside its op's domain."""
    lay = lay or layout(program)
    n_in, n = program.n_inputs, len(program.nodes)
    vals: list = [_f64(point[name]) for name in program.inputs] + [None] * (n - n_in) \
        + lay.consts
    isfinite = _all_finite if points else math.isfinite
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n_in, n), lay.ops, lay.slots):
            if len(s) == 1:
                v = op.forward(vals[s[0]])
            else:
                v = op.forward(vals[s[0]], vals[s[1]])
            if not isfinite(v):
                _non_finite(program, j, op, [vals[k] for k in s], v, warnings, points)
            vals[j] = v
    return vals


def reverse(program: Program, vals: list, lay: Layout | None = None,
            warnings: list | None = None, points: bool = False) -> tuple[Partials, list]:
    """w̄_out = 1, then w̄_i += w̄_j·∂w_j/∂w_i for j from the last node down. Returns the
    partials (per node, a tuple aligned with its operands, None for a constant) and the
    adjoints."""
    lay = lay or layout(program)
    n_in, n = program.n_inputs, len(program.nodes)
    isfinite = _all_finite if points else math.isfinite
    adj: list = [0.0] * n
    first: list = [None] * n  # the partial for each node's first operand
    second: list = [None] * n  # and for its second
    # A node the output does not use passes nothing back, even where its local partial
    # is infinite (0·inf would be nan): its adjoint is a structural zero, as in JAX.
    reached = [False] * n
    if type(program.output) is int:
        adj[program.output] = 1.0
        reached[program.output] = True
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n - 1, n_in - 1, -1), reversed(lay.ops), reversed(lay.slots)):
            if len(s) == 1:
                i = s[0]
                p = first[j] = op.partials[0](vals[i], vals[j])
                if reached[j]:
                    if reached[i]:
                        adj[i] += adj[j] * p
                    else:  # assigned, not added to 0.0: over points that is a pass less
                        adj[i] = adj[j] * p
                        reached[i] = True
                continue
            i0, i1 = s
            a, b = vals[i0], vals[i1]
            # an operand past the nodes is a constant: no edge, no partial
            p0 = first[j] = op.partials[0](a, b, vals[j]) if i0 < n else None
            p1 = second[j] = op.partials[1](a, b, vals[j]) if i1 < n else None
            if reached[j]:
                g = adj[j]
                if p0 is not None:
                    if reached[i0]:
                        adj[i0] += g * p0
                    else:
                        adj[i0] = g * p0
                        reached[i0] = True
                if p1 is not None:
                    if reached[i1]:
                        adj[i1] += g * p1
                    else:
                        adj[i1] = g * p1
                        reached[i1] = True
    partials = Partials(first, second, [0] * n_in + [len(s) for s in lay.slots])
    # An infinite or nan partial on a used node reaches some input's adjoint, so only
    # then is it worth looking for them, to say where the derivative does not exist.
    if warnings is not None and not all(isfinite(adj[k]) for k in range(n_in)):
        for j in range(n_in, n):
            s = lay.slots[j - n_in]
            if reached[j] and not all(p is None or isfinite(p) for p in partials[j]):
                _not_differentiable(program, j, s, partials[j], vals, warnings, points)
    return partials, adj


def _kinks(program: Program, vals: list, lay: Layout, warnings: list,
           points: bool = False) -> None:
    """Nodes evaluated exactly where their op has a kink (abs at 0, max at a tie): the
    convention used there, as a warning (over points, with how many)."""
    for j in lay.kinks:
        op = lay.ops[j - program.n_inputs]
        hit = op.kink(*[vals[k] for k in lay.slots[j - program.n_inputs]])
        if hit is not False and np.any(hit):
            warnings.append(Warning_("kink", node_id(j),
                                     f"{definition(program, j)} is not differentiable "
                                     f"here{_at(hit) if points else ''}; {op.kink_text}"))


def _all_finite(v) -> bool:
    """math.isfinite for the values of a sweep: true when every point's value is. The
    sum is nan or inf if any value is (and rarely by overflow: then the caller looks
    point by point and finds nothing); it allocates nothing, unlike np.isfinite."""
    return math.isfinite(_sum(v))


AT_POINTS = " at {} of {} points"  # sweep.py adds up these counts over blocks


def _at(mask) -> str:
    """' at 3 of 121 points' for a mask over points."""
    return AT_POINTS.format(np.count_nonzero(mask), np.size(mask))


def _finite(operands: list):
    """The points where every operand is finite (True for a single point)."""
    ok = True
    for x in operands:
        ok = ok & np.isfinite(x)
    return ok


def evaluate(program: Program, point: dict[str, float], seed=None,
             jacobian: bool = False) -> Trace:
    """The forward pass, then the reverse pass from the output seeded with 1. Vectors and
    matrices (an array among the inputs, or an op of tensors) take tensor_passes.py;
    a seed (the output's adjoint) and the Jacobian are theirs."""
    if program.tensor or seed is not None or jacobian or any(
            type(v) is np.ndarray for v in point.values()):
        from . import tensor_passes

        return tensor_passes.evaluate(program, point, seed, jacobian)
    lay = layout(program)
    warnings: list[Warning_] = []
    vals = forward(program, point, lay, warnings)
    partials, adj = reverse(program, vals, lay, warnings)
    _kinks(program, vals, lay, warnings)
    n = len(program.nodes)
    out = program.output
    value = vals[out] if type(out) is int else _f64(out.value)
    gradient = {name: adj[k] for k, name in enumerate(program.inputs)}
    return Trace(program=program, point=dict(point), values=vals[:n], partials=partials,
                 adjoints=adj, value=value, gradient=gradient, warnings=warnings)


def _non_finite(program: Program, i: int, op: Op, operands: list, v, warnings,
                points: bool = False) -> None:
    """A value came out inf or nan: a domain error if the op was outside its domain,
    else an overflow the user should know about (exp(1000) is inf, not an error). Over
    points (v an array, an entry per point) a domain error is no error: those points are
    set to nan (1/0 would be inf) and counted in a warning, and the others go on."""
    if points:
        _non_finite_points(program, i, op, operands, v, warnings)
        return
    if not all(math.isfinite(x) for x in operands):
        return  # carried from an earlier node, already reported
    node = program.nodes[i]
    if op.domain is not None and not op.domain(*operands):
        values = ", ".join(f"{node_id(a)} = {float(x):.6g}"
                           for a, x in zip(node.args, operands) if type(a) is int)
        raise DomainError(f"{definition(program, i)}: {op.domain_text}, "
                          f"but {values}",
                          source=program.source, span=(node.start, node.end), node=node_id(i))
    if warnings is not None:
        warnings.append(Warning_("overflow", node_id(i),
                                 f"{definition(program, i)} overflows to {float(v)}"))


def _non_finite_points(program: Program, i: int, op: Op, operands: list, v, warnings) -> None:
    new = ~np.isfinite(v) & _finite(operands)  # not carried from an earlier node
    outside = new & ~op.domain(*operands) if op.domain is not None else False
    v[outside] = np.nan
    if warnings is None:
        return
    if np.any(outside):
        warnings.append(Warning_("domain", node_id(i),
                                 f"{definition(program, i)}: "
                                 f"{op.domain_text}{_at(outside)}; the value there is nan"))
    over = new & ~outside
    if np.any(over):
        warnings.append(Warning_("overflow", node_id(i),
                                 f"{definition(program, i)} overflows{_at(over)}"))


def _not_differentiable(program, j, slots, ps, vals, warnings, points=False) -> None:
    n = len(program.nodes)
    ok = _finite([vals[k] for k in slots])
    if points:  # over points, not where the node left its domain: that has its warning
        ok = ok & ~np.isnan(vals[j])
    if not np.any(ok):
        return
    for i, p in zip(slots, ps):
        if p is not None and i < n:
            bad = ok & ~np.isfinite(p)
            if np.any(bad):
                value = f"not finite{_at(bad)}" if points else f"{float(p)} at this point"
                warnings.append(Warning_(
                    "not_differentiable", node_id(j),
                    f"∂{node_id(j)}/∂{node_id(i)} is {value}: "
                    f"{definition(program, j)} has no derivative here"))
