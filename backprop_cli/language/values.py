"""Value constructors: zeros, ones, arange and linspace, for the values after --at.

They make a constant (--at x=linspace(0,1,5)), are not ops, have no derivative and never
appear in a program, so they belong to the language, not to the op table: ConstantBuilder
calls them, and ProgramBuilder names them in the error that sends them to --at. The text
is untrusted, so a constructed value's size is limited.
"""

from __future__ import annotations

import numpy as np

MAX_SIZE = 10**6  # entries of one constructed value


def _count(x, name: str) -> int:
    if x != int(x) or x < 0:
        raise ValueError(f"{name} takes non-negative whole numbers, got {x:g}")
    return int(x)


def _linspace(start, stop, num):
    return np.linspace(start, stop, _count(num, "linspace's count"))


def _arange(*args):
    if len(args) not in (1, 2, 3):
        raise ValueError("arange takes 1 to 3 arguments (stop; start, stop; start, stop, step)")
    if len(args) == 3 and args[2] == 0:
        raise ValueError("arange's step is 0")
    out = np.arange(*[float(a) for a in args])
    if out.size > MAX_SIZE:
        raise ValueError(f"arange makes {out.size} entries, more than {MAX_SIZE}")
    return out


def _filled(fill):
    def make(*dims):
        if not 1 <= len(dims) <= 3:
            raise ValueError("takes 1 to 3 sizes")
        shape = tuple(_count(d, "a size") for d in dims)
        if int(np.prod(shape)) > MAX_SIZE:
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
