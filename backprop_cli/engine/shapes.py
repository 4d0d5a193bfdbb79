"""Tensor values: what a vector or matrix node needs beyond the scalar code.

A tensor here is one value of a node (x = [0, 1, 2, 3], A = [[1, 2], [3, 4]]), as in the
course's `y = x·x`. That is not sweep's batch of points of a scalar program: a tensor's
entries are one point's coordinates, and its gradient has its shape.

Index keys are tuples of ints and (start, stop) pairs, hashable, so an indexing node is
hash-consed like any other. (The value constructors after --at, zeros, ones, arange and
linspace, are the language's: language/values.py.)
"""

from __future__ import annotations

import numpy as np


def is_tensor(v) -> bool:
    return type(v) is np.ndarray and v.ndim > 0


def shape(v) -> tuple:
    return v.shape if type(v) is np.ndarray else ()


class TooLarge(ValueError):
    """A result past errors.MAX_ELEMENTS."""


def result_shape(op, shapes: list) -> tuple:
    """The shape of op's result on operands of these shapes (an index key stands as its
    tuple), or a ValueError saying why they do not fit or why the result would be too
    large: asked before numpy allocates (x + y of a column and a row of 10^6 is 10^12
    entries)."""
    import math

    from ..errors import MAX_ELEMENTS

    if op.shape is not None:
        out = op.shape(*shapes)
    else:
        try:
            out = np.broadcast_shapes(*shapes)
        except ValueError:
            raise ValueError("the shapes do not broadcast") from None
    size = math.prod(out)
    if size > MAX_ELEMENTS:
        raise TooLarge(f"the result would have {size:,} entries ({shape_text(out)}), "
                         f"at most {MAX_ELEMENTS:,}")
    return out


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
