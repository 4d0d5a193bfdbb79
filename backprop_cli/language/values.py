"""Value constructors: zeros, ones, arange and linspace, for the values after --at.

They make a constant (--at x=linspace(0,1,5)), are not ops, have no derivative and never
appear in a program, so they belong to the language, not to the op table: ConstantBuilder
calls them, and ProgramBuilder names them in the error that sends them to --at. The text
is untrusted, so a constructed value's size is limited.
"""

from __future__ import annotations

import math

import numpy as np

MAX_SIZE = 10**6  # entries of one constructed value


def _count(x, name: str) -> int:
    if x != int(x) or x < 0:
        raise ValueError(f"{name} takes non-negative whole numbers, got {x:g}")
    return int(x)


def _linspace(start, stop, num):
    count = _count(num, "linspace's count")
    if count > MAX_SIZE:
        raise ValueError(f"linspace makes {count} entries, more than {MAX_SIZE}")
    return np.linspace(start, stop, count)


def _arange(*args):
    if len(args) not in (1, 2, 3):
        raise ValueError("arange takes 1 to 3 arguments (stop; start, stop; start, stop, step)")
    if len(args) == 3 and args[2] == 0:
        raise ValueError("arange's step is 0")
    if len(args) == 1:
        start, stop, step = 0.0, args[0], 1.0
    elif len(args) == 2:
        (start, stop), step = args, 1.0
    else:
        start, stop, step = args
    # counted before numpy allocates: arange(1e12) would ask for terabytes first
    span = (stop - start) / step
    count = max(0, math.ceil(span)) if math.isfinite(span) else math.inf
    if count > MAX_SIZE:
        raise ValueError(f"arange makes {count} entries, more than {MAX_SIZE}")
    return np.arange(float(start), float(stop), float(step))


def _filled(fill):
    def make(*dims):
        if not 1 <= len(dims) <= 3:
            raise ValueError("takes 1 to 3 sizes")
        shape = tuple(_count(d, "a size") for d in dims)
        if math.prod(shape) > MAX_SIZE:
            raise ValueError(f"makes more than {MAX_SIZE} entries")
        return np.full(shape, fill, dtype=float)
    return make


# name → (function of float arguments, what it makes: the hint of its errors)
CONSTRUCTORS = {
    "zeros": (_filled(0.0), "zeros(3), zeros(2, 3): an array of zeros"),
    "ones": (_filled(1.0), "ones(3), ones(2, 3): an array of ones"),
    "arange": (_arange, "arange(4) is [0, 1, 2, 3]; arange(start, stop, step)"),
    "linspace": (_linspace, "linspace(0, 1, 5): 5 evenly spaced numbers from 0 to 1"),
}
