"""Many points at once: the value and the gradient over a range or a grid of points.

`--over x=-3:3:121` is 121 points from -3 to 3; several `--over` make a grid (every
combination, the last one varying fastest), the other inputs fixed by `--at`. The points
are float64 arrays, one entry per point, and go through passes.forward and
passes.reverse once, as arrays: the same code and the same numpy functions as a single
point, so each point's numbers equal its own run's. A point where a node leaves its
domain is nan there, counted in a warning. With `hessian`, the second derivatives too: per
block, one forward-over-reverse pass per input, over the same arrays.

The arrays here are batches of points of a scalar program, nothing else: a node's value
is one number per point.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np

from ..errors import InputError, UsageError
from ..language.lower import binding_values, constant_value, lower
from ..engine.passes import adjoint_tangent, forward, kinks, layout, reverse, tangent
from ..engine.program import Program
from ..engine.trace import Diagnostic

MAX_PLOTTED = 8  # partials drawn by --plot
MAX_POINTS = 10_000_000  # about 1 GB of float64 for the lecture's f: more is a typo
# Points per pass. A block's arrays (128 KiB each) stay in the CPU's caches and its
# temporaries are reused by the allocator; one pass over 10^6 points touches fresh pages
# for every temporary: measured 1.3-1.6x a hand-written numpy pass, against 0.9-1.1x in
# blocks of 2^14 (2^13 to 2^16 were within 10 % of that; benchmarks/bench.py prints both).
BLOCK = 1 << 14


class Range(NamedTuple):
    name: str
    start: float
    stop: float
    count: int

    def values(self) -> np.ndarray:
        return np.linspace(self.start, self.stop, self.count)

    def at(self, k: np.ndarray) -> np.ndarray:
        """values()[k] without making all of values(): numpy.linspace's own arithmetic on
        the indices k, so a block of a stream holds the same numbers as the whole."""
        div = self.count - 1
        step = (self.stop - self.start) / div
        y = k.astype(np.float64)
        if step == 0:  # as linspace: subnormal steps
            y /= div
            y *= self.stop - self.start
        else:
            y *= step
        y += self.start
        y[k == div] = self.stop
        return y


class Block(NamedTuple):
    """Points lo…hi-1 of a sweep, as the passes left them: arrays of hi - lo entries."""

    points: dict[str, np.ndarray]  # every input's value at each point, in program order
    value: np.ndarray
    gradient: dict[str, np.ndarray]
    hessian: dict[str, dict[str, np.ndarray]] | None = None


class Sweep(NamedTuple):
    """The result over points: every array has one entry per point, in grid order."""

    program: Program
    ranges: list[Range]  # the swept inputs, in the order given
    fixed: dict[str, float]  # the inputs held at one value (--at)
    points: dict[str, np.ndarray]  # every input's value at each point, in program order
    value: np.ndarray
    gradient: dict[str, np.ndarray]  # ∂output/∂input at each point
    diagnostics: list[Diagnostic]  # each with its count of points
    hessian: dict[str, dict[str, np.ndarray]] | None = None  # ∂²output/∂a∂b at each point

    def plotted(self) -> tuple[list[tuple[str, np.ndarray]], int]:
        """The partials a plot draws, the swept inputs' first, at most MAX_PLOTTED of them
        (a panel each: 400 fixed inputs would be a figure 880 inches tall), and how many
        are left out."""
        swept = {r.name for r in self.ranges}
        order = sorted(self.gradient, key=lambda k: k not in swept)
        return [(k, self.gradient[k]) for k in order[:MAX_PLOTTED]], \
            max(0, len(order) - MAX_PLOTTED)

    @property
    def output_name(self) -> str:
        return self.program.output_name or "f"

    @property
    def size(self) -> int:
        return len(self.value)

    @property
    def nan_points(self) -> int:
        """Points where the value or a partial is nan (a node left its domain)."""
        bad = np.isnan(self.value)
        for g in self.gradient.values():
            bad = bad | np.isnan(g)
        return int(np.count_nonzero(bad))


def parse_range(text: str) -> Range:
    """`x=-pi:pi:101`: a name, then start:stop:count, each a constant expression parsed
    by the grammar where it stands in `text`, so errors point into it (origin --over)."""
    eq = text.find("=")
    parts = text[eq + 1:].split(":") if eq > 0 else []
    if len(parts) != 3:
        raise UsageError("a range is name=start:stop:count, e.g. x=-3:3:121",
                         source=text, span=(0, len(text)), origin="--over")
    values = []
    offset = eq + 1
    for k, part in enumerate(parts):
        span = (offset, offset + len(part))
        if not part.strip():
            raise UsageError("a range is name=start:stop:count, and this part is empty",
                             source=text, span=(offset, offset + max(1, len(part))),
                             origin="--over")
        if k == 0:  # the name and the start: one binding, x=-pi
            bindings = binding_values(text, "--over", span=(0, span[1]))
            if len(bindings) != 1:  # x=0,y=1:2:3
                raise UsageError("one input per --over; repeat --over for a grid",
                                 source=text, span=span, origin="--over")
            ((name, value, _),) = bindings
        else:
            value = constant_value(text, "--over", span=span)
        values.append((value, span))
        offset += len(part) + 1
    (start, _), (stop, _), (count, span) = values
    if count != int(count) or count < 2:
        raise UsageError("the count of points is a whole number, at least 2", source=text,
                         span=span, origin="--over")
    return Range(name, start, stop, int(count))


def check_sweep(program: Program, ranges: list[Range], fixed: dict[str, float]) -> int:
    """The number of points of the grid, once the ranges and fixed values fit the program."""
    from ..engine.shapes import scalars_only

    scalars_only(program, fixed, "a sweep")  # its arrays are points, not vectors
    names = [r.name for r in ranges]
    twice = [n for k, n in enumerate(names) if n in names[:k]]
    if twice:
        raise InputError(f"{twice[0]} is swept twice", hint="give each input one --over")
    for name in names:
        if name in fixed:
            raise InputError(f"{name} is both swept (--over) and fixed (--at)")
    program.match_inputs(names + list(fixed), "value",
                         "sweep it with --over or fix it: --at {example}")
    size = 1
    for r in ranges:
        size *= r.count
    if size > MAX_POINTS:
        raise UsageError(f"the sweep has {size:,} points; at most {MAX_POINTS:,}")
    return size


def grid_points(program: Program, ranges: list[Range], fixed: dict[str, float], lo: int,
                hi: int) -> dict[str, np.ndarray]:
    """Points lo…hi-1 of the grid (the last range varying fastest), per input."""
    index = np.arange(lo, hi)
    swept = {}
    for r in reversed(ranges):
        index, k = np.divmod(index, r.count)
        swept[r.name] = r.at(k)
    return {name: swept[name] if name in swept else np.full(hi - lo, float(fixed[name]))
            for name in program.inputs}


def sweep_program(program: Program, ranges: list[Range], fixed: dict[str, float],
                  hessian: bool = False) -> Sweep:
    """Forward and reverse over every point of the grid the ranges span, kept whole (for
    a table or a plot; sweep_blocks streams them)."""
    size = check_sweep(program, ranges, fixed)
    points = grid_points(program, ranges, fixed, 0, size)
    return evaluate_points(program, points, ranges,
                           {k: fixed[k] for k in program.inputs if k in fixed},
                           hessian=hessian)


def sweep_blocks(program: Program, ranges: list[Range], fixed: dict[str, float],
                 diagnostics: list[Diagnostic], block: int = BLOCK,
                 hessian: bool = False) -> Iterator[Block]:
    """The same passes block by block, making each block's points as it goes: memory stays
    that of one block however many points there are (CSV and JSON Lines stream them).
    `diagnostics` receives the warnings, counted over all points, when the last block is
    done. The checks run at the call, before any block."""
    return _stream(program, ranges, fixed, diagnostics, block,
                   check_sweep(program, ranges, fixed), hessian)


def _stream(program, ranges, fixed, diagnostics, block, size, hessian) -> Iterator[Block]:
    lay = layout(program)
    found = []
    for lo in range(0, size, block):
        hi = min(lo + block, size)
        seen: list[Diagnostic] = []
        yield _block(program, lay, grid_points(program, ranges, fixed, lo, hi), seen, hessian)
        found.append(seen)
    diagnostics.extend(_merge(found, size) if found else [])


def _block(program: Program, lay, points: dict[str, np.ndarray],
           diagnostics: list[Diagnostic], hessian: bool = False) -> Block:
    """One forward and one reverse pass over arrays of points (with `hessian`, a
    forward-over-reverse pass per input too)."""
    outside: list = []  # per node that left its domain, the points where it did
    vals = forward(program, points, lay, diagnostics, points=True, outside=outside)
    partials, adj = reverse(program, vals, lay, diagnostics=diagnostics, points=True)
    kinks(program, vals, lay, diagnostics, points=True)
    out = program.output
    n = len(next(iter(points.values()))) if points else 1
    second = None
    if hessian:
        second = {a: {b: np.empty(n) for b in program.inputs} for a in program.inputs}
        _second(program, vals, lay, partials, adj, second, 0, n, diagnostics)
    # a constant, or an adjoint that met only constant partials, fills its block
    value = np.empty(n)
    value[:] = vals[out] if type(out) is int else out.value
    gradient = {}
    for k, name in enumerate(program.inputs):
        gradient[name] = g = np.empty(n)
        g[:] = adj[k]
    if outside:  # as one point there is a domain error: nan, whatever came after
        # (log(x)**0 would give 1 at x = -1, since nan**0 is 1)
        value[np.logical_or.reduce([mask for _, mask in outside])] = np.nan
    if np.isnan(np.add.reduce(value)):
        # where the value is nan (a node left its domain), so is the gradient
        lost = np.isnan(value)
        for g in gradient.values():
            g[lost] = np.nan
        for row in (second or {}).values():
            for h in row.values():
                h[lost] = np.nan
    return Block(points, value, gradient, second)


def evaluate_points(program: Program, points: dict[str, np.ndarray],
                    ranges: list[Range] | None = None, fixed: dict | None = None,
                    block: int = BLOCK, hessian: bool = False) -> Sweep:
    """The passes over arrays of points: `points` has one float64 array per input, all of
    one length. They run over blocks of `block` points, each block one forward and one
    reverse pass over arrays."""
    lay = layout(program)
    point = {name: np.asarray(points[name], dtype=np.float64) for name in program.inputs}
    size = len(next(iter(point.values()))) if point else 1
    value = np.empty(size)
    gradient = {name: np.empty(size) for name in program.inputs}
    second = {a: {b: np.empty(size) for b in program.inputs} for a in program.inputs} \
        if hessian else None
    blocks = []
    for lo in range(0, size, block):
        hi = min(lo + block, size)
        diagnostics: list[Diagnostic] = []
        part = _block(program, lay, {k: v[lo:hi] for k, v in point.items()}, diagnostics,
                      hessian)
        value[lo:hi] = part.value
        for name in program.inputs:
            gradient[name][lo:hi] = part.gradient[name]
        for a, row in (second or {}).items():
            for b, h in row.items():
                h[lo:hi] = part.hessian[a][b]
        blocks.append(diagnostics)
    return Sweep(program, ranges or [], fixed or {}, point, value, gradient,
                 _merge(blocks, size), second)


def _second(program: Program, vals: list, lay, partials, adj: list, second: dict, lo: int,
            hi: int, diagnostics: list) -> None:
    """The block's Hessian: per input b, a tangent pass seeded with 1 on it at every point
    and the adjoints' tangents, whose values at the inputs are ∂²f/∂a∂b; a kink's
    second-order convention is counted beside its first."""
    inputs = program.inputs
    for kb, b in enumerate(inputs):
        dot = tangent(program, vals, lay, partials, {kb: np.float64(1.0)})
        bar = adjoint_tangent(program, vals, lay, partials, adj, dot, (kb,))
        for ka, a in enumerate(inputs):
            second[a][b][lo:hi] = bar[ka]  # a constant (0 where nothing moved) fills
    diagnostics.extend([Diagnostic("second_kink", d.node, count=d.count, points=d.points)
                        for d in diagnostics if d.kind == "kink"])


def _merge(blocks: list[list[Diagnostic]], size: int) -> list[Diagnostic]:
    """One diagnostic per node, kind and edge over all blocks, its counts added up."""
    if len(blocks) == 1:
        return blocks[0]
    merged: dict[tuple, int] = {}
    for diagnostics in blocks:
        for d in diagnostics:
            key = (d.kind, d.node, d.operand)
            merged[key] = merged.get(key, 0) + d.count
    return [Diagnostic(kind, node, operand, count=count, points=size)
            for (kind, node, operand), count in merged.items()]


def sweep(source: str, over: list[str], at=None, *, share: bool = True,
          hessian: bool = False) -> Sweep:
    """The library entry: `sweep("x**2*cos(x*y)+1", ["x=-3:3:121"], at="y=pi/3")`."""
    from .differentiate import _no_cyclic_gc, parse_point

    with _no_cyclic_gc():
        program = lower(source, share=share)
        ranges = [parse_range(text) for text in over]
        return sweep_program(program, ranges, parse_point(at), hessian)
