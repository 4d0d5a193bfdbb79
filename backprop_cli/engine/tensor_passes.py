"""The forward and reverse pass for programs with vector and matrix values.

passes.py keeps the scalar loops, which must stay fast; a program takes this path when
an input is an array or an op of tensors (@, sum, x[:2], …) is used. Same list, same
order, but every node has a shape, checked before the op runs (a mismatch names the node,
the op and both shapes), elementwise partials are arrays, broadcasting is undone in the
reverse pass by summing over the broadcast axes (tensors.unbroadcast), and ops whose
Jacobian is not diagonal push their vector–Jacobian product (the op table's `vjp`).

A non-scalar output needs the adjoint to start from: a seed v (`y.backward(v)`), or the
whole Jacobian, by one reverse pass per output entry or one forward pass (the table's
jvp) per input entry, whichever needs fewer.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, ShapeError
from .ops import OPS
from .program import Program, definition, node_id
from .shapes import shape, shape_text, unbroadcast
from .trace import VJP, Partials, Trace, Warning_


def _value(v):
    """float64 arrays, and numpy scalars for 0-d results, so scalars print as before."""
    if type(v) is tuple:  # an index key
        return v
    v = np.asarray(v, dtype=float)
    return v if v.ndim else v[()]


def _slots(program: Program):
    """Per operation node: its op, and its operands as value-list slots (constants after
    the nodes)."""
    n = len(program.nodes)
    consts, rows = [], []
    for j in range(program.n_inputs, n):
        node = program.nodes[j]
        s = []
        for a in node.args:
            if type(a) is int:
                s.append(a)
            else:
                s.append(n + len(consts))
                consts.append(_value(a.value))
        rows.append((j, OPS[node.op], tuple(s)))
    return rows, consts


def _shape_error(program, j, op, why):
    node = program.nodes[j]
    return ShapeError(f"{definition(program, j)}: {op.name} {why}",
                      source=program.source, span=(node.start, node.end), node=node_id(j))


def forward(program: Program, point: dict, warnings: list) -> tuple[list, list]:
    rows, consts = _slots(program)
    vals = [_value(point[name]) for name in program.inputs] + \
        [None] * (len(program.nodes) - program.n_inputs) + consts
    with np.errstate(all="ignore"):
        for j, op, s in rows:
            args = [vals[k] for k in s]
            shapes = [a if type(a) is tuple else shape(a) for a in args]
            if op.shape is not None:
                try:
                    op.shape(*shapes)
                except ValueError as e:
                    raise _shape_error(program, j, op, f"of {_shapes(s, shapes, program)}: {e}") \
                        from None
            else:
                try:
                    np.broadcast_shapes(*shapes)
                except ValueError:
                    raise _shape_error(program, j, op, f"of {_shapes(s, shapes, program)}: "
                                       "the shapes do not broadcast") from None
            v = vals[j] = _value(op.forward(*args))
            if not np.all(np.isfinite(v)):
                _non_finite(program, j, op, args, warnings)
    return vals, rows


def _shapes(slots, shapes, program) -> str:
    n = len(program.nodes)
    return " and ".join(f"{node_id(k)} ({shape_text(sh)})" if k < n else shape_text(sh)
                        for k, sh in zip(slots, shapes) if type(sh) is not tuple or k < n)


def _non_finite(program, j, op, args, warnings):
    if not all(np.all(np.isfinite(a)) for a in args if type(a) is not tuple):
        return
    node = program.nodes[j]
    inside = op.domain(*args) if op.domain is not None else True
    if not np.all(inside):
        # the first entry outside, as the scalar error names the value: but w1[1] = -1
        inside = np.broadcast_to(inside, np.broadcast_shapes(*[np.shape(x) for x in args]))
        at = tuple(int(k) for k in np.argwhere(~inside)[0]) if inside.ndim else ()
        values = []
        for a, x in zip(node.args, args):
            if type(a) is int:
                own = tuple(0 if d == 1 else k for k, d in
                            zip(at[len(at) - np.ndim(x):], np.shape(x)))
                where = f"[{', '.join(map(str, own))}]" if own else ""
                values.append(f"{node_id(a)}{where} = {float(np.asarray(x)[own]):.6g}")
        raise DomainError(f"{definition(program, j)}: {op.domain_text}, "
                          f"but {', '.join(values)}",
                          source=program.source, span=(node.start, node.end), node=node_id(j))
    warnings.append(Warning_("overflow", node_id(j),
                             f"{definition(program, j)} overflows to inf or nan"))


def reverse(program: Program, vals: list, rows: list, seed) -> tuple[Partials, list]:
    """w̄_out = seed, then each node j, last first, passes its adjoint to its operands:
    elementwise ops by w̄_j·∂w_j/∂w_i summed back to w_i's shape, the others by their
    vector–Jacobian product. Partials hold the elementwise partials (arrays), and for
    the others the VJP pushed along the edge."""
    n = len(program.nodes)
    adj = [np.zeros(np.shape(vals[i])) if np.ndim(vals[i]) else 0.0 for i in range(n)]
    first, second = [None] * n, [None] * n
    out = program.output
    if type(out) is int:
        adj[out] = seed
    reached = [False] * n
    if type(out) is int:
        reached[out] = True
    with np.errstate(all="ignore"):
        for j, op, s in reversed(rows):
            args = [vals[k] for k in s]
            g = adj[j]
            got = []
            for k, i in enumerate(s):
                if i >= n:
                    got.append(None)
                    continue
                if op.vjp is not None:
                    push = _value(op.vjp[k](g, *args, vals[j]))
                    got.append(VJP(push))
                else:
                    p = op.partials[k](*args, vals[j])
                    got.append(_value(p))
                    push = _value(unbroadcast(g * p, np.shape(vals[i])))
                if reached[j]:
                    adj[i] = adj[i] + push
                    reached[i] = True
            first[j] = got[0]
            if len(got) > 1:
                second[j] = got[1]
    arity = [0] * program.n_inputs + [len(s) for _, _, s in rows]
    return Partials(first, second, arity), [_value(a) for a in adj]


def _kinks(program, vals, rows, warnings):
    for j, op, s in rows:
        if op.kink is not None and np.any(op.kink(*[vals[k] for k in s])):
            warnings.append(Warning_("kink", node_id(j),
                                     f"{definition(program, j)} is not differentiable "
                                     f"here; {op.kink_text}"))


def tangent(program: Program, vals: list, rows: list, partials: Partials, t: dict,
            every: bool = False):
    """Forward mode: the output's tangent when the inputs move by t (input index → array
    of the input's shape): ẇ_j = Σ_i ∂w_j/∂w_i·ẇ_i, by the elementwise partials or the
    op table's jvp. With every, the tangents of all nodes."""
    n = len(program.nodes)
    dot = [t.get(i, 0.0) for i in range(program.n_inputs)] + [0.0] * (n - program.n_inputs)
    with np.errstate(all="ignore"):
        for j, op, s in rows:
            args = [vals[k] for k in s]
            total = np.zeros(np.shape(vals[j]))
            for k, i in enumerate(s):
                if i >= n or not np.any(dot[i]):
                    continue
                if op.jvp is not None:
                    total = total + op.jvp[k](dot[i], *args, vals[j])
                else:
                    total = total + partials[j][k] * dot[i]
            dot[j] = total
    if every:
        return [_value(d) for d in dot]
    out = program.output
    return dot[out] if type(out) is int else 0.0


def forward_mode(trace):
    """--mode forward or both with vectors and matrices: one tangent pass per input entry
    (forward_mode.Tangents, a pass named x[0], x[1], …), by the same partials and the op
    table's jvp; an input's gradient, in its shape, is seed·ẇ_out over its entries'
    passes, which reverse mode gets in one pass."""
    from .forward_mode import Tangents

    if trace.seed is None:  # --jacobian of a vector output: it has the forward passes
        return None
    program = trace.program
    rows, consts = _slots(program)
    vals = list(trace.values) + consts
    out = program.output
    names, tangents, gradient = [], [], {}
    for k, name in enumerate(program.inputs):
        in_shape = shape(vals[k])
        g = np.zeros(in_shape)
        for idx in np.ndindex(in_shape):
            t = np.zeros(in_shape)
            t[idx] = 1.0
            dot = tangent(program, vals, rows, trace.partials, {k: _value(t)}, every=True)
            names.append(f"{name}[{', '.join(map(str, idx))}]" if idx else name)
            tangents.append(dot)
            g[idx] = np.sum(trace.seed * dot[out]) if type(out) is int else 0.0
        gradient[name] = _value(g)
    return Tangents(names, tangents, gradient, len(tangents))


def jacobian(program, vals, rows, partials, mode: str | None = None) -> tuple[dict, str, int]:
    """∂output/∂input for each input, shaped output.shape + input.shape; by reverse
    passes (one per output entry) or forward passes (one per input entry), fewer first
    unless `mode` says which."""
    out = program.output
    out_shape = shape(vals[out]) if type(out) is int else ()
    n_out = int(np.prod(out_shape))
    inputs = program.inputs
    sizes = [int(np.size(vals[i])) for i in range(len(inputs))]
    jac = {name: np.zeros(out_shape + shape(vals[i])) for i, name in enumerate(inputs)}
    if mode == "reverse" or mode is None and n_out <= sum(sizes):
        for e in range(n_out):
            seed = np.zeros(out_shape)
            seed[np.unravel_index(e, out_shape)] = 1.0
            _, adj = reverse(program, vals, rows, _value(seed))
            for i, name in enumerate(inputs):
                jac[name][np.unravel_index(e, out_shape)] = adj[i]
        return jac, "reverse", n_out
    for i, name in enumerate(inputs):
        in_shape = shape(vals[i])
        for e in range(sizes[i]):
            t = np.zeros(in_shape)
            t[np.unravel_index(e, in_shape)] = 1.0
            col = tangent(program, vals, rows, partials, {i: _value(t)})
            jac[name][(...,) + np.unravel_index(e, in_shape)] = col
    return jac, "forward", sum(sizes)


def evaluate(program: Program, point: dict, seed=None, want_jacobian: bool = False) -> Trace:
    warnings: list = []
    vals, rows = forward(program, point, warnings)
    n = len(program.nodes)
    out = program.output
    value = vals[out] if type(out) is int else _value(out.value)
    out_shape = shape(value)
    shown = seed is not None or not out_shape  # is there one reverse pass to show?
    if seed is None:
        if out_shape and not want_jacobian:
            raise ShapeError(
                f"the output {node_id(out) if type(out) is int else ''} has shape "
                f"{shape_text(out_shape)}, not a single number: say which adjoint to start "
                f"from", hint='--seed "v=[…]" (the output\'s adjoint, as y.backward(v)), or '
                              "--jacobian for the whole Jacobian")
        seed = np.ones(out_shape) if out_shape else 1.0
    else:
        seed = _value(seed)
        if shape(seed) != out_shape:
            raise ShapeError(f"the seed has shape {shape_text(shape(seed))} but the output "
                             f"has shape {shape_text(out_shape)}; they must be the same",
                             hint="--seed gives the output's adjoint, one entry per entry")
    partials, adj = reverse(program, vals, rows, seed)
    _kinks(program, vals, rows, warnings)
    jac = None
    if want_jacobian:
        jac = jacobian(program, vals, rows, partials)
    gradient = {name: adj[k] for k, name in enumerate(program.inputs)}
    if not shown:  # --jacobian of a vector output: its rows are the reverse passes,
        adj = gradient = seed = None  # and what a VJP pushes depends on the pass
        partials.first, partials.second = ([VJP(None) if type(p) is VJP else p for p in ps]
                                           for ps in (partials.first, partials.second))
    return Trace(program=program, point=dict(point), values=vals[:n], partials=partials,
                 adjoints=adj, value=value, gradient=gradient, warnings=warnings,
                 seed=seed, jacobian=jac)
