"""Tensor values: what a vector or matrix node needs beyond the scalar code.

A tensor here is one value of a node (x = [0, 1, 2, 3], A = [[1, 2], [3, 4]]), as in the
course's `y = x·x`. That is not sweep's batch of points of a scalar program: a tensor's
entries are one point's coordinates, and its gradient has its shape.

Value constructors (zeros, ones, arange, linspace) make values after --at; they are not
ops, have no derivative, and never appear in a program. Index keys are tuples of ints and
(start, stop) pairs, hashable, so an indexing node is hash-consed like any other.
"""

from __future__ import annotations

import numpy as np


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


MAX_SIZE = 10**6  # entries of one constructed value

# name → (function of float arguments, what it makes: the hint of its errors)
CONSTRUCTORS = {
    "zeros": (_filled(0.0), "zeros(3), zeros(2, 3): an array of zeros"),
    "ones": (_filled(1.0), "ones(3), ones(2, 3): an array of ones"),
    "arange": (_arange, "arange(4) is [0, 1, 2, 3]; arange(start, stop, step)"),
    "linspace": (_linspace, "linspace(0, 1, 5): 5 evenly spaced numbers from 0 to 1"),
}


def is_tensor(v) -> bool:
    return type(v) is np.ndarray and v.ndim > 0


def shape(v) -> tuple:
    return v.shape if type(v) is np.ndarray else ()


def shape_text(s: tuple) -> str:
    """(2, 3) as 2×3, (4,) as 4, () as scalar."""
    return "×".join(str(d) for d in s) if s else "scalar"


def scalars_only(program, point: dict, what: str) -> None:
    """Sweeps, descent and grading work on programs of scalars: say so, rather than fail
    inside them, when a program has vectors or matrices (an op of them, or an array)."""
    arrays = [name for name, v in point.items() if is_tensor(v)]
    if program.tensor or arrays:
        from ..errors import UsageError

        why = f"{', '.join(arrays)} {'is an array' if len(arrays) == 1 else 'are arrays'}" \
            if arrays else "it has ops of vectors and matrices"
        raise UsageError(f"{what} takes programs of scalars, and {why}",
                         hint="differentiate it at one point with --at (and --seed or "
                              "--jacobian for a vector output)")


# --- index keys --------------------------------------------------------------------------

def key_slices(key: tuple) -> tuple:
    """The numpy index of a key: ints stay, (start, stop) pairs become slices."""
    return tuple(k if type(k) is int else slice(*k) for k in key)


def key_text(key: tuple) -> str:
    def one(k):
        if type(k) is int:
            return str(k)
        lo, hi = k
        return f"{'' if lo is None else lo}:{'' if hi is None else hi}"
    return ", ".join(one(k) for k in key)


# --- the reverse pass --------------------------------------------------------------------

def unbroadcast(g, to: tuple):
    """g summed over the axes broadcasting added or stretched, back to the shape `to`:
    x̄ of x + y, where x is a scalar and y a vector, is the sum of the output's adjoint."""
    gs = np.shape(g)
    if gs == to:
        return g
    if not to:
        return np.sum(g)
    lead = len(gs) - len(to)
    if lead:
        g = np.sum(g, axis=tuple(range(lead)))
    stretched = tuple(i for i, d in enumerate(to) if d == 1 and g.shape[i] != 1)
    if stretched:
        g = np.sum(g, axis=stretched, keepdims=True)
    return g
