"""How numbers read in tables: significant digits, exact zeros as 0."""

from __future__ import annotations

import math


def fmt(x, precision: int = 6) -> str:
    if x is None or getattr(x, "ndim", 0):  # an array, or no value: every format reads it
        return fmt_value(x, precision)
    x = float(x)
    if x == 0:
        return "0"  # also -0.0: a sign on zero only confuses
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{precision}g}"


def fmt_value(x, precision: int = 6, max_entries: int = 8) -> str:
    """A number, or an array compactly: its entries when there are few ([0, 2, 4, 6],
    [[1, 2], [3, 4]]), else its shape and range (3×4 in [-1, 2.5])."""
    if x is None:
        return "—"
    if getattr(x, "ndim", 0) == 0:
        return fmt(x, precision)
    if x.size <= max_entries and x.ndim <= 2:
        if x.ndim == 1:
            return "[" + ", ".join(fmt(v, precision) for v in x) + "]"
        return "[" + ", ".join(fmt_value(row, precision) for row in x) + "]"
    shape = "×".join(str(d) for d in x.shape)
    if x.size == 0:
        return f"{shape} (empty)"
    return f"{shape} in [{fmt(x.min(), precision)}, {fmt(x.max(), precision)}]"
