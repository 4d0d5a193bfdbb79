"""The one number formatter: how numbers read in tables and in sentences."""

from __future__ import annotations

import math


def fmt(x, precision: int = 6, notation: str = "general") -> str:
    """A number as tables and sentences write it. `general`: `precision` significant
    digits, the shorter of plain and exponent notation (2.5, 1e-08); `fixed`: `precision`
    decimal places (-0.0931, 0.00), for a truth shown to the places an answer wrote;
    `scientific`: `precision` significant digits with an exponent (1.235e+03). nan and
    inf read the same in each; an exact zero carries no sign."""
    if x is None or getattr(x, "ndim", 0):  # an array, or no value: every format reads it
        return fmt_value(x, precision)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        x = 0.0  # also -0.0: a sign on zero only confuses
    if notation == "general":
        return f"{x:.{precision}g}"
    if notation == "fixed":
        return f"{x:.{max(0, precision)}f}"
    if notation == "scientific":
        return f"{x:.{max(1, precision) - 1}e}"
    raise ValueError(f"unknown notation {notation!r}: general, fixed or scientific")


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
