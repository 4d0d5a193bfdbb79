"""The drivers: the forward, reverse and tangent passes over the SSA list, as loops, and
the tangent of the reverse pass (adjoint_tangent), which forward over reverse composes
with the tangent pass for second derivatives.

Three kinds of value go through the same drivers:
- one point of a program of scalars: numpy float64 scalars, computed by the op table's
  numpy functions, so IEEE results come out where Python would raise (1/0 is inf, then a
  domain error that names the node);
- many points of a program of scalars (a sweep): one float64 array per node, an entry per
  point; a node outside its domain is nan at those points, counted in a diagnostic, and
  the other points go on;
- vectors and matrices: every value has a shape, checked before its op runs; elementwise
  partials are arrays, broadcasting is undone in the reverse pass by summing, and an op
  whose Jacobian is not diagonal pushes its vector–Jacobian product (the op table's vjp)
  or, in a tangent pass, its Jacobian–vector product (jvp).

layout() makes the choice once per program: the scalar loops, specialised for one or two
operands and flat lists of partials because they are the hot path (benchmarks/bench.py),
or the general ones. Everything else exists once: the slots (constants are appended after
the nodes in one value list, so every operand is an index), the structural zeros, the
checks of kinks and of non-finite values.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import DomainError, LimitError, ShapeError
from .ops import OPS, Op, second_index
from .program import Program, node_id
from .shapes import TooLarge, result_shape, shape, shape_text, unbroadcast
from .trace import VJP, Diagnostic, Partials

_f64 = np.float64
_sum = np.add.reduce


class Layout(NamedTuple):
    """A program prepared for the loops: per operation node (index j - n_inputs) its op
    and its operand slots into the value list; the constants that follow the nodes; the
    nodes whose op has a kink; and which loops run it."""

    ops: list[Op]
    slots: list[tuple[int, ...]]
    consts: list
    kinks: list[int]
    general: bool  # values with shapes: the general loops; else the scalar ones
    # An op of three operands, a where, or an edge with a structural zero: the reverse
    # pass goes edge by edge through _reverse_masked (the lists of two stay the hot path).
    masked: bool = False
    gates: tuple[int, ...] = ()  # the where nodes: what a point needs depends on values


def as_value(v):
    """A value for the general loops: a float64 array, or a numpy scalar for a 0-d one
    (so scalars print as the scalar loops' do); an index key (a tuple) as it is."""
    if type(v) is tuple:
        return v
    v = np.asarray(v, dtype=float)
    return v if v.ndim else v[()]


def layout(program: Program, general: bool = False) -> Layout:
    """The program's slots. `general` asks for the general loops even for a program of
    scalars (an input is an array, or the output has a seed); an op of tensors asks for
    them itself."""
    general = general or program.tensor
    constant = as_value if general else _f64
    nodes, n_in = program.nodes, program.n_inputs
    n = len(nodes)
    consts: list = []
    slots: list = []
    ops: list = []
    kinks: list = []
    masked = False
    gates = []
    for j in range(n_in, n):
        node = nodes[j]
        args = node.args
        if len(args) < 3 and type(args[0]) is int and (len(args) == 1 or type(args[1]) is int):
            slots.append(args)  # operands all nodes: the slots are the args
        else:
            row = []
            for a in args:
                if type(a) is int:
                    row.append(a)
                else:
                    row.append(n + len(consts))
                    consts.append(constant(a.value))
            slots.append(tuple(row))
        op = OPS[node.op]
        ops.append(op)
        if op.kink is not None:
            kinks.append(j)
        if op.flat or len(args) > 2:
            masked = True
        if op.taken is not None:
            gates.append(j)
    return Layout(ops, slots, consts, kinks, general, masked, tuple(gates))


# --- forward ---------------------------------------------------------------------------

def forward(program: Program, point: dict, lay: Layout, diagnostics: list | None = None,
            points: bool = False, outside: list | None = None) -> list:
    """w_j = op(operands) in list order. Returns the value list: one value per node, then
    the constants. Raises DomainError at the first node outside its op's domain (over
    points: sets those points to nan, counts them, and appends to `outside` the mask of
    the points where the node left its domain)."""
    if lay.general:
        return _forward_general(program, point, lay, diagnostics)
    n_in, n = program.n_inputs, len(program.nodes)
    vals: list = [_f64(point[name]) for name in program.inputs] + [None] * (n - n_in) \
        + lay.consts
    isfinite = _all_finite if points else math.isfinite
    found = [] if lay.gates else diagnostics  # kept until it is known what is needed
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n_in, n), lay.ops, lay.slots):
            if len(s) == 1:
                v = op.forward(vals[s[0]])
            elif len(s) == 2:
                v = op.forward(vals[s[0]], vals[s[1]])
            else:
                v = op.forward(*[vals[k] for k in s])
            if not isfinite(v):
                try:
                    _non_finite(program, j, op, [vals[k] for k in s], v, found, points,
                                outside)
                except DomainError as error:
                    if not lay.gates:
                        raise
                    found.append(error)
            vals[j] = v
    if lay.gates:
        _only_needed(program, vals, lay, found, diagnostics, outside)
    return vals


def _only_needed(program: Program, vals: list, lay: Layout, found: list, diagnostics,
                 outside: list | None = None) -> None:
    """What the forward pass of a program with where found, kept where a point needs the
    node: the first domain error on a needed node is raised; a node only in a branch not
    taken may be outside its domain (where(x > 0, sqrt(x), 0) at x = -1)."""
    need = needed(program, vals, lay)[0]
    if outside:
        outside[:] = [(j, mask & need[j]) for j, mask in outside]
    n_in = program.n_inputs
    for item in found:
        if type(item) is not Diagnostic:  # a domain error: raised where an entry is needed
            j = item.node
            op, operands = lay.ops[j - n_in], [vals[k] for k in lay.slots[j - n_in]]
            args = [a for a in operands if type(a) is not tuple]
            outside = ~np.isfinite(vals[j]) & _finite(args) & ~np.asarray(op.domain(*operands))
            hit = outside & need[j]
            if np.any(hit):
                raise _domain_error(program, j, op, operands, hit)
            continue
        j = item.node
        if diagnostics is None or not np.any(need[j]):
            continue
        if item.count is not None:  # over points: counted again where the node is needed
            v = vals[j]
            new = _finite([vals[k] for k in lay.slots[j - program.n_inputs]])
            new = new & (np.isnan(v) if item.kind == "domain" else np.isinf(v))
            count = int(np.count_nonzero(new & need[j]))
            if count:
                diagnostics.append(item._replace(count=count))
        else:
            diagnostics.append(item)


def needed(program: Program, vals: list, lay: Layout) -> tuple[list, list]:
    """Which nodes the output needs, from the output down: per node True, False or (over
    points) a mask; and per operation node, per operand, the mask of its edge (False
    for an operand a where did not take, or an edge whose partial is a structural zero,
    as far as adjoints go: those are `flows`). A where needs its condition everywhere
    and each branch only where it is taken."""
    n_in, n = program.n_inputs, len(program.nodes)
    need: list = [False] * n
    flows: list = [None] * n
    if type(program.output) is int:
        need[program.output] = True
    for j in range(n - 1, n_in - 1, -1):
        m = need[j]
        op, s = lay.ops[j - n_in], lay.slots[j - n_in]
        if m is False or not np.any(m):
            flows[j] = (False,) * len(s)
            continue
        gate = op.taken(*[vals[k] for k in s]) if op.taken is not None else None
        edge = []
        for k, i in enumerate(s):
            e = m if gate is None or gate[k] is True else m & gate[k]
            if i < n:
                need[i] = e if need[i] is False else need[i] | e
            edge.append(False if k in op.flat else e)
        flows[j] = tuple(edge)
    return need, flows


def _forward_general(program: Program, point: dict, lay: Layout, diagnostics) -> list:
    n_in, n = program.n_inputs, len(program.nodes)
    vals = [as_value(point[name]) for name in program.inputs] + [None] * (n - n_in) \
        + lay.consts
    found = [] if lay.gates else diagnostics  # kept until it is known what is needed
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n_in, n), lay.ops, lay.slots):
            args = [vals[k] for k in s]
            _check_shapes(program, j, op, s, args)
            v = vals[j] = as_value(op.forward(*args))
            if not np.all(np.isfinite(v)):
                try:
                    _non_finite(program, j, op, args, v, found, False)
                except DomainError as error:
                    if not lay.gates:
                        raise
                    found.append(error)
    if lay.gates:
        _only_needed(program, vals, lay, found, diagnostics)
    return vals


def _check_shapes(program: Program, j: int, op: Op, slots, args) -> None:
    """The operands' shapes fit the op (its own rule, or numpy's broadcasting), or the
    ShapeError that names the node, the op and every shape."""
    shapes = [a if type(a) is tuple else shape(a) for a in args]
    try:
        result_shape(op, shapes)
        return
    except ValueError as e:
        why = str(e)
        n = len(program.nodes)
        of = " and ".join(f"{node_id(k)} ({shape_text(sh)})" if k < n else shape_text(sh)
                          for k, sh in zip(slots, shapes) if type(sh) is not tuple or k < n)
        node = program.nodes[j]
        error = LimitError if type(e) is TooLarge else ShapeError
        raise error(f"{op.name} of {of}: {why}", source=program.source,
                    span=(node.start, node.end), node=j, program=program) from None


def _non_finite(program: Program, j: int, op: Op, operands: list, v, diagnostics,
                points: bool, lost: list | None = None) -> None:
    """A value came out inf or nan: outside the op's domain (log(-1), 1/0), or an overflow
    the user should know about (exp(1000) is inf, not an error). A value carried from an
    earlier non-finite operand was reported there. One point or a tensor: a domain error
    names the first entry outside; over points, those points become nan and are counted."""
    args = [a for a in operands if type(a) is not tuple]
    new = ~np.isfinite(v) & _finite(args)
    if not np.any(new):
        return
    outside = new & ~np.asarray(op.domain(*operands)) if op.domain is not None \
        else np.zeros_like(new)
    if points:
        v[outside] = np.nan
        if lost is not None and np.any(outside):
            lost.append((j, outside))
        if diagnostics is not None:
            for kind, mask in (("domain", outside), ("overflow", new & ~outside)):
                if np.any(mask):
                    diagnostics.append(Diagnostic(kind, j, count=int(np.count_nonzero(mask)),
                                                  points=int(np.size(mask))))
        return
    if np.any(outside):
        raise _domain_error(program, j, op, operands, outside)
    if diagnostics is not None:
        diagnostics.append(Diagnostic("overflow", j, value=float(v) if np.ndim(v) == 0
                                      else None))


def _domain_error(program: Program, j: int, op: Op, operands: list, outside) -> DomainError:
    """The error for node j outside its op's domain, with the operands' values there: the
    first entry outside for arrays (w1[1] = -1)."""
    node = program.nodes[j]
    args = [x for x in operands if type(x) is not tuple]
    outside = np.broadcast_to(outside, np.broadcast_shapes(*[np.shape(x) for x in args]))
    at = tuple(int(k) for k in np.argwhere(outside)[0]) if outside.ndim else ()
    values = []
    for a, x in zip(node.args, operands):
        if type(a) is int:  # the entry of a broadcast operand is its own: w2[1], not w2[0, 1]
            own = tuple(0 if d == 1 else k for k, d in zip(at[len(at) - np.ndim(x):], np.shape(x)))
            values.append((a, own, float(np.asarray(x)[own])))
    return DomainError(op.domain_text, operands=values, source=program.source,
                       span=(node.start, node.end), node=j, program=program)


def _all_finite(v) -> bool:
    """math.isfinite for the values of a sweep: true when every point's value is. The
    sum is nan or inf if any value is (and rarely by overflow: then the caller looks
    point by point and finds nothing); it allocates nothing, unlike np.isfinite."""
    return math.isfinite(_sum(v))


def _finite(operands: list):
    """Where every operand is finite (a bool for one point, a mask over points or
    entries)."""
    ok = True
    for x in operands:
        ok = ok & np.isfinite(x)
    return ok


# --- reverse ---------------------------------------------------------------------------

def reverse(program: Program, vals: list, lay: Layout, seed=1.0,
            diagnostics: list | None = None, points: bool = False) -> tuple[Partials, list]:
    """w̄_out = seed, then w̄_i += w̄_j·∂w_j/∂w_i for j from the last node down. Returns the
    partials (per node, aligned with its operands: None for a constant, a VJP for an op
    that pushes its vector–Jacobian product) and the adjoints. A node the output does not
    use passes nothing back, even where its local partial is infinite (0·inf would be
    nan): its adjoint is a structural zero, as in JAX."""
    n_in, n = program.n_inputs, len(program.nodes)
    adj: list = [0.0] * n
    first: list = [None] * n  # the partial for each node's first operand
    second: list = [None] * n  # and for its second
    reached = [False] * n  # whether the output's adjoint reached the node
    if type(program.output) is int:
        adj[program.output] = seed
        reached[program.output] = True
    third: list | None = None
    with np.errstate(all="ignore"):
        if lay.masked or lay.gates:
            third = [None] * n
            _reverse_masked(vals, lay, n_in, n, adj, (first, second, third), reached,
                            needed(program, vals, lay)[1])
        elif lay.general:
            _reverse_general(vals, lay, n_in, n, adj, first, second, reached)
        else:
            _reverse_scalar(vals, lay, n_in, n, adj, first, second, reached)
        if not all(np.all(np.isfinite(adj[k])) for k in range(n_in)):
            # an adjoint that is 0 met an infinite partial (min(x, cosh(y)) at y = 1000:
            # the untaken branch overflowed): 0·inf is nan, where the output does not
            # depend on it at all. Again, slowly, with 0 times anything 0.
            adj = _reverse_careful(vals, lay, n_in, n, (first, second, third), reached, adj)
    if lay.general:  # an adjoint has its node's shape, structural zeros included
        adj = [as_value(a) if reached[i] or not np.ndim(vals[i]) else np.zeros(np.shape(vals[i]))
               for i, a in enumerate(adj)]
    partials = Partials(first, second, [0] * n_in + [len(s) for s in lay.slots], third)
    # An infinite or nan partial on a used node reaches some input's adjoint, so only
    # then is it worth looking for them, to say where the derivative does not exist.
    if diagnostics is not None and not all(np.all(np.isfinite(adj[k])) for k in range(n_in)):
        for j in range(n_in, n):
            if reached[j]:
                _not_differentiable(program, j, lay.slots[j - n_in], partials[j], vals,
                                    diagnostics, points)
    return partials, adj


def _reverse_scalar(vals, lay, n_in, n, adj, first, second, reached) -> None:
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


def _reverse_masked(vals, lay, n_in, n, adj, lists, reached, flows) -> None:
    """Edge by edge, any number of operands, scalars, points or shapes: w̄_i += w̄_j·∂w_j/∂w_i
    only along an edge that flows (needed, and not a structural zero), and over points
    only at the points where it does, so a branch not taken adds an exact 0, never 0·nan."""
    general = lay.general
    for j, op, s in zip(range(n - 1, n_in - 1, -1), reversed(lay.ops), reversed(lay.slots)):
        args = [vals[k] for k in s]
        g = adj[j]
        flow = flows[j]
        for k, i in enumerate(s):
            if i >= n:
                continue
            if op.vjp is not None:
                push = as_value(op.vjp[k](g, *args, vals[j]))
                lists[k][j] = VJP(push)
            else:
                p = lists[k][j] = op.partials[k](*args, vals[j])
                if general:
                    p = lists[k][j] = as_value(p)
                if not reached[j] or flow[k] is False:
                    continue
                push = g * p
                if flow[k] is not True:  # a mask over points (or entries)
                    if not np.any(flow[k]):
                        continue
                    push = np.where(flow[k], push, 0.0)
                if general:
                    push = as_value(unbroadcast(push, np.shape(vals[i])))
            if not reached[j] or flow[k] is False:
                continue
            if reached[i]:
                adj[i] = adj[i] + push
            else:
                adj[i] = push
                reached[i] = True


def _reverse_general(vals, lay, n_in, n, adj, first, second, reached) -> None:
    """Elementwise ops pass w̄_j·∂w_j/∂w_i summed back to w_i's shape; the others their
    vector–Jacobian product, kept as the edge's VJP."""
    for j, op, s in zip(range(n - 1, n_in - 1, -1), reversed(lay.ops), reversed(lay.slots)):
        args = [vals[k] for k in s]
        g = adj[j]
        got = []
        for k, i in enumerate(s):
            if i >= n:
                got.append(None)
                continue
            if op.vjp is not None:
                push = as_value(op.vjp[k](g, *args, vals[j]))
                got.append(VJP(push))
            else:
                p = as_value(op.partials[k](*args, vals[j]))
                got.append(p)
                push = as_value(unbroadcast(g * p, np.shape(vals[i])))
            if reached[j]:
                adj[i] = adj[i] + push if reached[i] else push
                reached[i] = True
        first[j] = got[0]
        if len(got) > 1:
            second[j] = got[1]


def _reverse_careful(vals, lay, n_in, n, lists, reached, adj) -> list:
    """The adjoints again from the partials the pass kept, where a zero adjoint times an
    infinite or nan partial gives 0 (JAX's symbolic zeros, decided by value here)."""
    out = [0.0] * n
    seen = [False] * n
    top = max((j for j in range(n) if reached[j]), default=None)
    if top is None:
        return adj
    out[top], seen[top] = adj[top], True  # the seed
    for j in range(top, n_in - 1, -1):
        if not seen[j]:
            continue
        g, op, s = out[j], lay.ops[j - n_in], lay.slots[j - n_in]
        for k, i in enumerate(s):
            p = lists[k][j] if lists[k] is not None else None
            if i >= n or p is None:
                continue
            if type(p) is VJP:
                push = as_value(op.vjp[k](g, *[vals[m] for m in s], vals[j]))
            else:
                push = g * p
                zero = g == 0
                if np.any(zero):
                    push = np.where(zero, 0.0, push) if np.ndim(push) else 0.0
                if lay.general:
                    push = as_value(unbroadcast(push, np.shape(vals[i])))
            out[i] = out[i] + push if seen[i] else push
            seen[i] = True
    return [out[i] if seen[i] else adj[i] for i in range(n)]


def _not_differentiable(program: Program, j: int, slots, ps, vals, diagnostics,
                        points: bool) -> None:
    """The edges into node j whose partial is not finite where the operands and the
    node's value are: there the derivative does not exist (sqrt at 0, asin at 1)."""
    n = len(program.nodes)
    # where the node's own value is not finite it overflowed (exp(1000), cosh(1000)), or
    # over points left its domain: both have their own diagnostic, from the forward pass
    ok = _finite([vals[k] for k in slots if type(vals[k]) is not tuple]) & np.isfinite(vals[j])
    if not np.any(ok):
        return
    for i, p in zip(slots, ps):
        if p is None or i >= n or type(p) is VJP:
            continue
        bad = ok & ~np.isfinite(p)
        if np.any(bad):
            if points:
                diagnostics.append(Diagnostic("not_differentiable", j, operand=i,
                                              count=int(np.count_nonzero(bad)),
                                              points=int(np.size(bad))))
            else:
                diagnostics.append(Diagnostic("not_differentiable", j, operand=i,
                                              value=float(p) if np.ndim(p) == 0 else None))


def kinks(program: Program, vals: list, lay: Layout, diagnostics: list,
          points: bool = False) -> None:
    """Nodes evaluated exactly where their op has a kink (abs at 0, max at a tie): the op
    table's convention holds there, and a diagnostic says so (over points, how many)."""
    n_in = program.n_inputs
    need = needed(program, vals, lay)[0] if lay.gates else None
    for j in lay.kinks:
        hit = lay.ops[j - n_in].kink(*[vals[k] for k in lay.slots[j - n_in]])
        if need is not None:  # a node in a branch not taken has no kink to speak of
            hit = hit & need[j]
        if hit is not False and np.any(hit):
            if points:
                diagnostics.append(Diagnostic("kink", j, count=int(np.count_nonzero(hit)),
                                              points=int(np.size(hit))))
            else:
                diagnostics.append(Diagnostic("kink", j))


# --- tangents (forward mode) -------------------------------------------------------------

def tangent(program: Program, vals: list, lay: Layout, partials: Partials,
            seeds: dict[int, object]) -> list:
    """ẇ of every node when the inputs move by `seeds` (input index → its tangent, in the
    input's shape): ẇ_j = Σ_i ∂w_j/∂w_i·ẇ_i with the partials the reverse pass computed,
    or the op table's jvp. No second set of derivative rules. A node that does not depend
    on a seeded input has a structural zero tangent and passes nothing on, even where its
    local partial is infinite, as the reverse pass does with nodes the output does not use."""
    n_in, n = program.n_inputs, len(program.nodes)
    zero = _f64(0.0)
    dot: list = [zero] * n
    moved = [False] * n
    for i, t in seeds.items():
        dot[i] = t
        moved[i] = True
    lists = (partials.first, partials.second, partials.third)
    # as in the reverse pass: no tangent along a branch not taken or a structural zero
    flows = needed(program, vals, lay)[1] if lay.masked or lay.gates else None
    with np.errstate(all="ignore"):
        for j, op, s in zip(range(n_in, n), lay.ops, lay.slots):
            total = None
            for k, i in enumerate(s):
                if i >= n or not moved[i]:
                    continue
                flow = True if flows is None else flows[j][k]
                if flow is False or (flow is not True and not np.any(flow)):
                    continue
                if op.jvp is not None:
                    term = op.jvp[k](dot[i], *[vals[m] for m in s], vals[j])
                else:
                    term = lists[k][j] * dot[i]
                if flow is not True:
                    term = np.where(flow, term, 0.0)
                total = term if total is None else total + term
            if total is not None:
                if lay.general:  # an operand broadcast: its tangent spreads to the shape
                    total = as_value(np.broadcast_to(total, np.shape(vals[j])).copy())
                dot[j] = total
                moved[j] = True
    if lay.general:  # a tangent has its node's shape, zeros included
        dot = [d if moved[j] else np.zeros(np.shape(vals[j])) if np.ndim(vals[j]) else zero
               for j, d in enumerate(dot)]
    return dot


# --- second order (forward over reverse) ---------------------------------------------------

def adjoint_tangent(program: Program, vals: list, lay: Layout, partials: Partials, adj: list,
                    dot: list, seeded) -> list:
    """The tangent pass carried through the reverse pass: ẇ̄ of every node, the tangent of
    its adjoint when the inputs `seeded` move by the tangents `dot` (from `tangent`). From
    the last node down, ẇ̄_i += ẇ̄_j·∂w_j/∂w_i + w̄_j·(∂w_j/∂w_i)˙, the partial's tangent
    being Σ_m ∂²w_j/∂w_i∂w_m·ẇ_m (the op table's second partials); an op that pushes a
    vector–Jacobian product pushes it of ẇ̄_j, plus its `dvjp` of w̄_j. The seed is a
    constant, so ẇ̄_out = 0; an input's ẇ̄ is the Hessian times the inputs' tangent.
    Structural zeros hold as in the first-order passes: a node the output does not use,
    or whose operands do not move, passes nothing on."""
    n_in, n = program.n_inputs, len(program.nodes)
    zero = _f64(0.0)
    # Structurally non-zero: w̄ (reached), ẇ (moved), ẇ̄ (has). The first two are as long
    # as the value list, so a constant's slot reads False and needs no bounds check.
    reached = [False] * len(vals)
    moved = [False] * len(vals)
    has = [False] * n
    if type(program.output) is int:
        reached[program.output] = True
    # a where's branch not taken and a structural zero pass nothing, as in reverse()
    flows = needed(program, vals, lay)[1] if lay.masked or lay.gates else None
    for j, s in zip(range(n - 1, n_in - 1, -1), reversed(lay.slots)):
        if reached[j]:
            for k, i in enumerate(s):
                if flows is None or np.any(flows[j][k]):
                    reached[i] = True
    for i in seeded:
        moved[i] = True
    for j, s in zip(range(n_in, n), lay.slots):
        moved[j] = moved[s[0]] or len(s) > 1 and any(moved[k] for k in s[1:])
    bar: list = [zero] * n
    general = lay.general
    with np.errstate(all="ignore"):
        if not general and flows is None:
            _adjoint_tangent_scalar(vals, lay, partials, adj, dot, n_in, n, reached, moved,
                                    has, bar)
            return bar
        for j, op, s in zip(range(n - 1, n_in - 1, -1), reversed(lay.ops), reversed(lay.slots)):
            if not reached[j]:
                continue
            args = [vals[k] for k in s]
            dots = [dot[k] if moved[k] else None for k in s]
            if not has[j] and all(d is None for d in dots):
                continue
            ps = partials[j]
            for k, i in enumerate(s):
                flow = True if flows is None else flows[j][k]
                if i >= n or flow is False or flow is not True and not np.any(flow):
                    continue
                term = None
                if op.vjp is not None:
                    if has[j]:
                        term = op.vjp[k](bar[j], *args, vals[j])
                    rule = op.dvjp[k]
                    if rule is not None and any(d is not None for d in dots):
                        more = rule(adj[j], dots, *args, vals[j], dot[j])
                        if more is not None:
                            term = more if term is None else term + more
                else:
                    moving = None  # the tangent of the partial ∂w_j/∂w_i
                    for m, d in enumerate(dots):
                        if d is not None and flows is not None:  # not a branch not taken
                            f = flows[j][m]
                            d = None if f is False or not np.any(f) else \
                                d if f is True else np.where(f, d, 0.0)
                        if d is not None:
                            t = op.second[second_index(k, m, len(s))](*args, vals[j]) * d
                            moving = t if moving is None else moving + t
                    if moving is not None:
                        term = adj[j] * moving
                    if has[j]:
                        t = bar[j] * ps[k]
                        term = t if term is None else term + t
                    if term is not None and general:
                        term = unbroadcast(term, np.shape(vals[i]))
                if term is None:
                    continue
                if flow is not True:  # over points or entries: where the edge flows
                    term = np.where(flow, term, 0.0)
                if general:
                    term = as_value(term)
                bar[i] = bar[i] + term if has[i] else term
                has[i] = True
    if general:  # an adjoint's tangent has its node's shape, zeros included
        bar = [b if has[j] or not np.ndim(vals[j]) else np.zeros(np.shape(vals[j]))
               for j, b in enumerate(bar)]
    return bar


def _adjoint_tangent_scalar(vals, lay, partials, adj, dot, n_in, n, reached, moved, has,
                            bar) -> None:
    """adjoint_tangent's loop for scalars (and points), specialised for one or two operands
    and the flat lists of partials, as _reverse_scalar is: the hot path of --hvp."""
    first, second = partials.first, partials.second
    for j, op, s in zip(range(n - 1, n_in - 1, -1), reversed(lay.ops), reversed(lay.slots)):
        if not reached[j]:
            continue
        hj = has[j]
        if len(s) == 1:
            i = s[0]
            if moved[i]:
                term = adj[j] * op.second[0](vals[i], vals[j]) * dot[i]
                if hj:
                    term = term + bar[j] * first[j]
            elif hj:
                term = bar[j] * first[j]
            else:
                continue
            terms = ((i, term),)
        else:
            terms = _binary_terms(op, j, s, vals, adj, dot, first, second, n, moved, hj, bar)
        for i, term in terms:
            if has[i]:
                bar[i] += term
            else:
                bar[i] = term
                has[i] = True


def _binary_terms(op, j, s, vals, adj, dot, first, second, n, moved, hj, bar) -> list:
    """What node j of two operands adds to its operands' ẇ̄: (operand, term) pairs. The
    partials' tangents are ṗ0 = p_aa·ȧ + p_ab·ḃ and ṗ1 = p_ab·ȧ + p_bb·ḃ."""
    i0, i1 = s
    m0, m1 = moved[i0], moved[i1]
    if not (hj or m0 or m1):
        return []
    a, b, out = vals[i0], vals[i1], vals[j]
    sec = op.second
    g = adj[j]
    cross = sec[1](a, b, out) if m0 and i1 < n or m1 and i0 < n else None
    terms = []
    for i, k, p in ((i0, 0, first[j]), (i1, 1, second[j])):
        if i >= n:
            continue
        moving = None
        if m0:
            moving = (sec[0](a, b, out) if k == 0 else cross) * dot[i0]
        if m1:
            t = (cross if k == 0 else sec[2](a, b, out)) * dot[i1]
            moving = t if moving is None else moving + t
        term = None if moving is None else g * moving
        if hj:
            t = bar[j] * p
            term = t if term is None else term + t
        if term is not None:
            terms.append((i, term))
    return terms
