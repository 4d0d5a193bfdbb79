"""The loss over a box around a descent's path, for the contour drawn behind it: one
sweep over a grid of two inputs."""

from __future__ import annotations

import numpy as np

from ..engine.program import Program
from .sweep import Range, sweep_program


def loss_surface(program: Program, steps, count: int = 81):
    """((x grid, y grid, z[ix, iy]), (x name, y name)) over the path's box, padded by 15 %
    of its side on each end (or by 1 where the path does not move along an axis)."""
    xn, yn = program.inputs
    ranges = []
    for name in (xn, yn):
        v = np.array([s.point[name] for s in steps])
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (-1.0, 1.0)
        pad = 0.15 * (hi - lo) or 1.0
        ranges.append(Range(name, lo - pad, hi + pad, count))
    sweep = sweep_program(program, ranges, {})
    z = np.asarray(sweep.value).reshape(count, count)
    return (ranges[0].values(), ranges[1].values(), z), (xn, yn)
