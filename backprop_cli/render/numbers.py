"""How numbers read in tables: significant digits, exact zeros as 0."""

from __future__ import annotations

import math


def fmt(x, precision: int = 6) -> str:
    x = float(x)
    if x == 0:
        return "0"  # also -0.0: a sign on zero only confuses
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{precision}g}"
