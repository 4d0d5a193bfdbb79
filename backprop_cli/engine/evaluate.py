"""A program at a point → a Trace: the forward pass, the reverse pass from the output, the
checks of kinks; and what composes those drivers: forward mode (a tangent pass per input
entry), the whole Jacobian (a reverse pass per output entry or a tangent pass per
input entry, whichever needs fewer), and second derivatives: forward over reverse, a
tangent pass and the tangent of the reverse pass per input entry (the Hessian) or per
direction (a Hessian–vector product).

A non-scalar output needs the adjoint to start from: a seed v (`y.backward(v)`), or the
whole Jacobian.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UsageError
from .passes import (adjoint_tangent, as_value, forward, kinks, layout, needed, reverse,
                     tangent)
from .program import Program, node_id
from .shapes import shape, shape_text
from .trace import VJP, Diagnostic, Jacobian, SecondOrder, Tangents, Trace


def evaluate(program: Program, point: dict, seed=None, jacobian: bool = False) -> Trace:
    """The forward pass, then the reverse pass from the output seeded with 1 (or `seed`,
    the adjoint of a vector or matrix output); with `jacobian`, the whole Jacobian."""
    general = seed is not None or jacobian or any(
        type(v) is np.ndarray for v in point.values())
    lay = layout(program, general)
    diagnostics: list = []
    vals = forward(program, point, lay, diagnostics)
    n = len(program.nodes)
    out = program.output
    if type(out) is int:
        value = vals[out]
    else:  # a constant expression: its value, as the loops would have made it
        value = as_value(out.value) if lay.general else np.float64(out.value)
    out_shape = shape(value)
    shown = seed is not None or not out_shape  # is there one reverse pass to show?
    if seed is None:
        if out_shape and not jacobian:
            raise ShapeError(
                f"the output {node_id(out) if type(out) is int else ''} has shape "
                f"{shape_text(out_shape)}, not a single number: say which adjoint to start "
                f"from", hint='--seed "v=[…]" (the output\'s adjoint, as y.backward(v)), or '
                              "--jacobian for the whole Jacobian")
        seed = np.ones(out_shape) if out_shape else 1.0
    elif lay.general:
        seed = as_value(seed)
        if shape(seed) != out_shape:
            raise ShapeError(f"the seed has shape {shape_text(shape(seed))} but the output "
                             f"has shape {shape_text(out_shape)}; they must be the same",
                             hint="--seed gives the output's adjoint, one entry per entry")
    partials, adj = reverse(program, vals, lay, seed, diagnostics)
    kinks(program, vals, lay, diagnostics)
    whole = _jacobian(program, vals, lay, partials) if jacobian else None
    gradient = {name: adj[k] for k, name in enumerate(program.inputs)}
    if not shown:  # --jacobian of a vector output: its rows are the reverse passes,
        adj = gradient = seed = None  # and what a VJP pushes depends on the pass
        partials.first, partials.second = ([VJP(None) if type(p) is VJP else p for p in ps]
                                           for ps in (partials.first, partials.second))
        if partials.third is not None:
            partials.third = [VJP(None) if type(p) is VJP else p for p in partials.third]
    return Trace(program=program, point=dict(point), values=vals[:n], partials=partials,
                 adjoints=adj, value=value, gradient=gradient, diagnostics=diagnostics,
                 seed=seed if lay.general else None, jacobian=whole, tensor=lay.general,
                 untaken=untaken(program, vals, lay) if lay.gates else None)


def untaken(program: Program, vals: list, lay) -> dict[int, int]:
    """Each node in a branch no where took (and the output needs otherwise), with the where
    that left it out: from each where down its branch not taken, each node once."""
    need = needed(program, vals, lay)[0]
    n_in, n = program.n_inputs, len(program.nodes)
    out: dict[int, int] = {}
    for j in reversed(lay.gates):
        if not np.any(need[j]):
            continue
        s = lay.slots[j - n_in]
        stack = [i for i, m in zip(s, lay.ops[j - n_in].taken(*[vals[k] for k in s]))
                 if i < n and m is not True and not np.any(m)]
        while stack:
            i = stack.pop()
            if need[i] is not False and np.any(need[i]) or i in out:
                continue
            out[i] = j
            if i >= n_in:
                stack.extend(k for k in lay.slots[i - n_in] if k < n)
    return out


def tangents(trace: Trace) -> Tangents | None:
    """Forward mode over a trace: one tangent pass per input entry, at the trace's values,
    with its partials. An input's gradient, in its shape, is seed·ẇ_out over its entries'
    passes, which reverse mode gets in one pass. None for --jacobian of a vector output
    (that has its forward passes in the Jacobian)."""
    if trace.tensor and trace.seed is None:
        return None
    program = trace.program
    lay = layout(program, trace.tensor)
    vals = list(trace.values) + lay.consts
    out = program.output
    seed = 1.0 if trace.seed is None else trace.seed
    names, passes, gradient = [], [], {}
    for k, name in enumerate(program.inputs):
        in_shape = shape(vals[k])
        g = np.zeros(in_shape)
        for idx in np.ndindex(in_shape):
            t = np.zeros(in_shape)
            t[idx] = 1.0
            dot = tangent(program, vals, lay, trace.partials, {k: as_value(t)})
            names.append(f"{name}[{', '.join(map(str, idx))}]" if idx else name)
            passes.append(dot)
            g[idx] = np.sum(seed * dot[out]) if type(out) is int else 0.0
        gradient[name] = as_value(g)
    return Tangents(names, passes, gradient, len(passes))


def _jacobian(program: Program, vals: list, lay, partials, mode: str | None = None
              ) -> Jacobian:
    """∂output/∂input for each input, shaped output.shape + input.shape; by reverse
    passes (one per output entry) or tangent passes (one per input entry), fewer first
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
            _, adj = reverse(program, vals, lay, as_value(seed))
            for i, name in enumerate(inputs):
                jac[name][np.unravel_index(e, out_shape)] = adj[i]
        return Jacobian(jac, "reverse", n_out)
    for i, name in enumerate(inputs):
        in_shape = shape(vals[i])
        for e in range(sizes[i]):
            t = np.zeros(in_shape)
            t[np.unravel_index(e, in_shape)] = 1.0
            dot = tangent(program, vals, lay, partials, {i: as_value(t)})
            jac[name][(...,) + np.unravel_index(e, in_shape)] = \
                dot[out] if type(out) is int else 0.0
    return Jacobian(jac, "forward", sum(sizes))


MAX_HESSIAN_ENTRIES = 1_000_000  # 1000 input entries: 1000 passes and 8 MB of Hessian


def second_order(trace: Trace, hessian: bool = True, direction: dict | None = None) -> Trace:
    """Forward over reverse at the trace's point, with its partials and adjoints: for the
    Hessian one pass per input entry (ẇ = 1 on it), for a Hessian–vector product one pass
    along `direction` (input → its tangent, in the input's shape). The pass's ẇ̄ at the
    inputs is a column of the Hessian, or H·v. Returns the trace with `second` set and a
    second_kink diagnostic beside each kink's."""
    if not trace.has_adjoints:
        raise UsageError("second derivatives are of one number: a vector output needs a seed",
                         hint='--seed "v=[…]" gives the Hessian of vᵀ·f')
    program = trace.program
    lay = layout(program, trace.tensor)
    vals = list(trace.values) + lay.consts
    adj = trace.adjoints
    inputs = program.inputs
    shapes = [shape(vals[k]) for k in range(len(inputs))]
    names: list = []
    dots: list = []
    bars: list = []

    def run(seeds: dict) -> list:
        dot = tangent(program, vals, lay, trace.partials, seeds)
        bar = adjoint_tangent(program, vals, lay, trace.partials, adj, dot, seeds)
        dots.append(dot)
        bars.append(bar)
        return bar

    entries = sum(int(np.prod(sh)) for sh in shapes)
    if hessian and entries * entries > MAX_HESSIAN_ENTRIES:
        raise UsageError(f"the Hessian of {entries:,} input entries has {entries * entries:,} "
                         f"entries; --hessian computes at most {MAX_HESSIAN_ENTRIES:,}",
                         hint="--hvp gives H·v along one direction in one pass")
    table = None
    if hessian:
        table = {a: {b: np.zeros(shapes[i] + shapes[k]) for k, b in enumerate(inputs)}
                 for i, a in enumerate(inputs)}
        for k, b in enumerate(inputs):
            for idx in np.ndindex(shapes[k]):
                t = np.zeros(shapes[k])
                t[idx] = 1.0
                bar = run({k: as_value(t) if trace.tensor else np.float64(1.0)})
                names.append(f"{b}[{', '.join(map(str, idx))}]" if idx else b)
                for i, a in enumerate(inputs):
                    table[a][b][(...,) + idx] = bar[i]
        table = {a: {b: as_value(h) for b, h in row.items()} for a, row in table.items()}
    hvp = None
    if direction is not None:
        seeds = {}
        for k, name in enumerate(inputs):
            v = direction[name]
            if shape(v) != shapes[k]:
                raise ShapeError(f"the direction of {name} has shape {shape_text(shape(v))} "
                                 f"but {name} has shape {shape_text(shapes[k])}",
                                 hint="--hvp gives one tangent per input, in its shape")
            seeds[k] = as_value(v) if trace.tensor else np.float64(v)
        bar = run(seeds)
        names.append("v")
        hvp = {name: as_value(bar[k]) if trace.tensor else bar[k]
               for k, name in enumerate(inputs)}
    kinked = [Diagnostic("second_kink", d.node, count=d.count, points=d.points)
              for d in trace.diagnostics if d.kind == "kink"]
    finite = all(np.all(np.isfinite(bar[k])) for bar in bars for k in range(len(inputs)))
    if not finite and all(np.all(np.isfinite(g)) for g in trace.gradient.values()):
        kinked += _no_second_derivative(program, vals, lay, adj)
    second = SecondOrder(names, dots, bars, table, hvp, direction)
    return trace._replace(second=second, diagnostics=trace.diagnostics + kinked)


def _no_second_derivative(program: Program, vals: list, lay, adj: list) -> list:
    """The nodes the output uses whose second partials are not finite where their
    operands are (x**1.5 at 0): where an infinite or nan Hessian entry comes from, said
    as not_differentiable says it of a first partial."""
    out = []
    n_in, n = program.n_inputs, len(program.nodes)
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n_in, n), lay.ops, lay.slots):
            if op.second is None or not np.any(adj[j]):
                continue
            args = [vals[k] for k in s]
            if not all(np.all(np.isfinite(a)) for a in args if type(a) is not tuple):
                continue
            if not all(np.all(np.isfinite(f(*args, vals[j]))) for f in op.second):
                out.append(Diagnostic("no_second_derivative", j))
    return out
