"""Forward accumulation with dual numbers: one pass per input, beside the reverse pass.

Each node carries a dual number (w_j, ẇ_j). The values w_j are the forward pass's,
computed once; a pass seeds ẇ = 1 on one input (0 on the others) and walks the SSA
list in order, ẇ_j = Σ_k ∂w_j/∂a_k · ẇ_{a_k}, with the local partials from the op
table's `partials`, the very functions the reverse pass calls: there is no second set
of derivative rules. The output's tangent on the pass of input x is ∂f/∂x, so n inputs
take n passes where reverse mode takes one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .passes import Layout, layout
from .program import Program

_f64 = np.float64


class Tangents(NamedTuple):
    inputs: list[str]  # one pass per input, in this order
    tangents: list[list]  # per pass, the tangent ẇ of every node
    gradient: dict[str, float]  # the output's tangent on each input's pass
    passes: int


def tangent_pass(program: Program, vals: list, seed: int, lay: Layout) -> list:
    """ẇ of every node when ẇ_seed = 1. `vals` is the forward pass's value list, the
    constants after the nodes. A node that does not depend on the seed has a structural
    zero tangent and passes nothing on, even where its local partial is infinite (0·inf
    would be nan), as the reverse pass does with the nodes the output does not use."""
    n_in, n = program.n_inputs, len(program.nodes)
    zero = _f64(0.0)
    dot: list = [zero] * n
    moved = [False] * n
    dot[seed] = _f64(1.0)
    moved[seed] = True
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n_in, n), lay.ops, lay.slots):
            if len(s) == 1:
                i = s[0]
                if moved[i]:
                    dot[j] = op.partials[0](vals[i], vals[j]) * dot[i]
                    moved[j] = True
                continue
            i0, i1 = s
            m0 = i0 < n and moved[i0]  # an operand past the nodes is a constant
            m1 = i1 < n and moved[i1]
            if not (m0 or m1):
                continue
            a, b = vals[i0], vals[i1]
            t = op.partials[0](a, b, vals[j]) * dot[i0] if m0 else zero
            if m1:
                t = t + op.partials[1](a, b, vals[j]) * dot[i1]
            dot[j] = t
            moved[j] = True
    return dot


def forward_mode(trace) -> Tangents:
    """Every input's tangent pass over the trace's program, at the trace's values."""
    if trace.tensor:  # vectors and matrices: a pass per input entry, with the ops' jvp
        from .tensor_passes import forward_mode as by_entries

        return by_entries(trace)
    program = trace.program
    lay = layout(program)
    vals = list(trace.values) + lay.consts
    out = program.output
    tangents, gradient = [], {}
    for k, name in enumerate(program.inputs):
        dot = tangent_pass(program, vals, k, lay)
        tangents.append(dot)
        gradient[name] = dot[out] if type(out) is int else _f64(0.0)
    return Tangents(program.inputs, tangents, gradient, len(tangents))


def largest_difference(a: dict, b: dict) -> float:
    """max |a_k − b_k| over the gradient's entries: how far two modes disagree."""
    worst = 0.0
    for k in a:
        if np.ndim(a[k]) or np.ndim(b[k]):  # vectors and matrices: entry by entry
            d = np.abs(np.subtract(a[k], b[k]))
            both_nan = np.isnan(np.asarray(a[k])) & np.isnan(np.asarray(b[k]))
            d = np.where(both_nan, 0.0, d)
            worst = max(worst, float(np.max(d, initial=0.0)))
            continue
        x, y = float(a[k]), float(b[k])
        if x != y and not (x != x and y != y):  # nan and nan agree
            d = abs(x - y)
            worst = d if d > worst or d != d else worst
    return worst
