"""Plots in the terminal, drawn with Rich: curves in braille dots (2×4 per character) and
heat maps in shades, sized to the console (80 columns by default).

Why our own drawing and no plotting library: the charts here are few and simple (a curve
per column of a sweep, a heat map with arrows, a loss curve), Rich is already a
dependency and already handles width and colour-off when piped, and a library would add
an install and import time for a handful of lines.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from rich.console import Console
from rich.text import Text

from ..tasks.descent import Step
from ..tasks.sweep import Sweep
from .console import ascii_only
from .numbers import fmt

HEIGHT = 12  # rows of characters per curve
LABEL = 10  # width of the y-axis labels
CURVE_BLOCK = 1 << 16  # points rasterised at a time
# Braille: dot (dx, dy) of a 2×4 cell is this bit of U+2800.
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
SHADES = " ░▒▓█"
# The direction of -∇f, as an arrow, by octant of the angle (0 = east, counter-clockwise).
ARROWS = "→↗↑↖←↙↓↘"


class Glyphs(NamedTuple):
    shades: str
    arrows: str
    gap: str  # a cell where the function is not finite
    path: str  # a point of a descent's path


UNICODE = Glyphs(SHADES, ARROWS, "·", "•")
# A terminal that cannot encode Unicode: every glyph must stay one cell, or the chart's
# rows would shift, so these are chosen here rather than spelled by render/ascii.py.
ASCII = Glyphs(" .:+#", ">/^\\</v\\", "?", "o")


def curve(x: np.ndarray, ys: np.ndarray, width: int, height: int = HEIGHT,
          log: bool = False) -> list[str]:
    """Braille rows of y over x, points joined by lines; nan and inf leave a gap."""
    y = np.log10(ys) if log else np.asarray(ys, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(x)
    px_w, px_h = 2 * width, 4 * height
    if not ok.any():
        return [" " * width] * height
    every = bool(ok.all())  # the common case: no copy of the finite points needed
    finite_y = y if every else y[ok]
    lo, hi = float(finite_y.min()), float(finite_y.max())
    # the x axis of every point, as the labels under it say: nan points leave a gap
    x0, x1 = (float(x.min()), float(x.max())) if every else \
        (float(np.nanmin(x)), float(np.nanmax(x)))
    span_y = hi - lo or 1.0
    span_x = x1 - x0 or 1.0
    dots = np.zeros((px_h, px_w), dtype=bool)
    # in blocks of points, each with the first point of the next (their segment): the
    # temporaries stay in the CPU's caches, as a sweep's do
    for start in range(0, len(y), CURVE_BLOCK):
        end = min(start + CURVE_BLOCK + 1, len(y))
        _dots(x[start:end], y[start:end], None if every else ok[start:end],
              (x0, span_x, hi, span_y), dots)
    # a cell is 4 dots high and 2 wide: its braille bits by where its dots are
    cells = (dots.reshape(height, 4, width, 2)
             * np.array(_DOTS, dtype=np.int64)[None, :, None, :]).sum(axis=(1, 3))
    return ["".join(chr(0x2800 + c) if c else " " for c in row) for row in cells.tolist()]


def _dots(x: np.ndarray, y: np.ndarray, ok: np.ndarray | None, scale: tuple,
          dots: np.ndarray) -> None:
    """Set the dots of points x, y and of the segments between neighbours (ok: which
    points are finite, None for all)."""
    x0, span_x, hi, span_y = scale
    px_h, px_w = dots.shape
    # (x - x0) / span_x * (px_w - 1), in place: the same roundings, fewer arrays
    px = np.subtract(x, x0, dtype=np.float64)
    px /= span_x
    px *= px_w - 1
    py = np.subtract(hi, y)
    py /= span_y
    py *= px_h - 1
    if ok is not None:
        px[~ok] = 0.0
        py[~ok] = 0.0
    # join each finite neighbour pair with n = 2·(its longer side in dots) + 2 samples,
    # as many as leave no hole; all segments at once, never a Python loop per point.
    # Along a segment the rounded dot moves monotonically, so a pair within half a dot
    # (most pairs of a dense sweep: n = 2) adds nothing beyond its two ends.
    dx, dy = np.diff(px), np.diff(py)
    need = np.maximum(np.abs(dx), np.abs(dy)) >= 0.5
    if ok is not None:
        need &= ok[:-1] & ok[1:]
    a = np.flatnonzero(need)
    dx, dy = dx[a], dy[a]
    n = (2 * np.maximum(np.abs(dx), np.abs(dy))).astype(np.int64) + 2
    inner = n - 2  # the samples strictly between the ends
    seg = np.repeat(np.arange(len(a)), inner)
    first = np.cumsum(inner) - inner  # each segment's first sample
    k = np.arange(len(seg)) - first[seg] + 1  # 1 … n-2
    t = k * (1.0 / (n[seg] - 1))  # np.linspace(0, 1, n)'s own steps
    ends_x, ends_y = (px, py) if ok is None else (px[ok], py[ok])
    dots[np.rint(ends_y).astype(np.intp), np.rint(ends_x).astype(np.intp)] = True
    dots[np.rint(py[a][seg] + t * dy[seg]).astype(np.intp),
         np.rint(px[a][seg] + t * dx[seg]).astype(np.intp)] = True


def ascii_rows(rows: list[str]) -> list[str]:
    """Braille rows in ASCII, a character per cell by where its dots are: ' high, - in
    the middle, . low, | over the whole height."""
    def cell(ch: str) -> str:
        bits = ord(ch) - 0x2800
        if ch == " " or bits <= 0:
            return " "
        rows_set = [r for r, (a, b) in enumerate(_DOTS) if bits & (a | b)]
        if rows_set[-1] - rows_set[0] >= 2:
            return "|"
        middle = (rows_set[0] + rows_set[-1]) / 2
        return "'" if middle < 1 else "." if middle > 2 else "-"

    return ["".join(cell(ch) for ch in row) for row in rows]


def _chart(console: Console, title: str, x: np.ndarray, y: np.ndarray, xname: str,
           precision: int, log: bool = False) -> None:
    width = max(20, min(console.width, 120) - LABEL - 1)
    rows = curve(x, y, width, log=log)
    if ascii_only(console):
        rows = ascii_rows(rows)
    finite = np.asarray(y)[np.isfinite(y)]
    top = fmt(finite.max(), precision) if finite.size else "nan"
    bottom = fmt(finite.min(), precision) if finite.size else "nan"
    console.print(Text(title + (" (log scale)" if log else ""), style="bold"))
    for k, row in enumerate(rows):
        label = top if k == 0 else bottom if k == len(rows) - 1 else ""
        console.print(Text.assemble((label.rjust(LABEL), "dim"), "│", (row, "cyan")))
    lo, hi = fmt(np.nanmin(x), precision), fmt(np.nanmax(x), precision)
    console.print(" " * LABEL + "└" + "─" * width)
    axis = lo + xname.center(width - len(lo) - len(hi)) + hi
    console.print(Text(" " * (LABEL + 1) + axis, style="dim"))


def heat_map(z: np.ndarray, width: int, height: int, arrows: tuple | None = None,
             path: tuple | None = None, glyphs: Glyphs = UNICODE) -> list[str]:
    """Shade rows of z[ix, iy] (x across, y up), with -∇ arrows on a coarse grid and the
    points of a path as •."""
    nx, ny = z.shape
    ix = np.minimum((np.arange(width) + 0.5) * nx / width, nx - 1).astype(int)
    iy = np.minimum((np.arange(height) + 0.5) * ny / height, ny - 1).astype(int)[::-1]
    cell = z[np.ix_(ix, iy)].T  # rows top (y max) to bottom
    ok = np.isfinite(cell)
    grid = [[" "] * width for _ in range(height)]
    if ok.any():
        lo, hi = cell[ok].min(), cell[ok].max()
        shades = glyphs.shades
        level = np.where(ok, (cell - lo) / ((hi - lo) or 1.0) * (len(shades) - 1), 0)
        for r in range(height):
            for c in range(width):
                grid[r][c] = shades[int(round(level[r, c]))] if ok[r, c] else glyphs.gap
    if arrows is not None:
        gx, gy = arrows
        for r in range(1, height, 3):
            for c in range(2, width, 6):
                u, v = -gx[ix[c], iy[r]], -gy[ix[c], iy[r]]
                if np.isfinite(u) and np.isfinite(v) and (u or v):
                    octant = int(round(np.arctan2(v, u) / (np.pi / 4))) % 8
                    grid[r][c] = glyphs.arrows[octant]
    if path is not None:
        (px, py), (x0, x1, y0, y1) = path
        for a, b in zip(px, py):
            c = int((a - x0) / ((x1 - x0) or 1) * (width - 1) + 0.5)
            r = int((y1 - b) / ((y1 - y0) or 1) * (height - 1) + 0.5)
            if 0 <= c < width and 0 <= r < height:
                grid[r][c] = glyphs.path
    return ["".join(row) for row in grid]


def _map(console: Console, title: str, z, xr, yr, precision, arrows=None, path=None) -> None:
    width = max(20, min(console.width, 120) - LABEL - 1)
    height = max(8, min(24, width // 3))
    log = _wide_positive(z)  # a valley like Rosenbrock's shows only in log shades
    glyphs = ASCII if ascii_only(console) else UNICODE
    with np.errstate(all="ignore"):
        rows = heat_map(np.log10(z) if log else z, width, height, arrows, path, glyphs)
    console.print(Text(title, style="bold"))
    for k, row in enumerate(rows):
        label = fmt(yr[1], precision) if k == 0 else fmt(yr[0], precision) \
            if k == len(rows) - 1 else ""
        console.print(Text.assemble((label.rjust(LABEL), "dim"), "│", row))
    console.print(" " * LABEL + "└" + "─" * width)
    lo, hi = fmt(xr[0], precision), fmt(xr[1], precision)
    console.print(Text(" " * (LABEL + 1) + lo + xr[2].center(width - len(lo) - len(hi)) + hi,
                       style="dim"))
    finite = z[np.isfinite(z)]
    if finite.size:
        console.print(Text(f"{' ' * LABEL} {'log ' if log else ''}shades {glyphs.shades!r}: "
                           f"{fmt(finite.min(), precision)} "
                           f"to {fmt(finite.max(), precision)}"
                           + ("; arrows: −∇, downhill" if arrows is not None else "")
                           + (f"; {glyphs.path}: the path" if path is not None else ""),
                           style="dim"))


def _wide_positive(z) -> bool:
    """All finite values positive and spanning more than two decades: shade by log."""
    finite = np.asarray(z)[np.isfinite(z)]
    return bool(finite.size) and finite.min() > 0 and finite.max() / finite.min() > 100


def plot_sweep(sweep: Sweep, console: Console, precision: int = 4) -> None:
    """One input: a curve of f and of each partial (with --hessian also f″). Two: a heat
    map of f with the downhill arrows, and one of each partial."""
    name = sweep.output_name
    ranges = sweep.ranges
    if len(ranges) == 1:
        x = sweep.points[ranges[0].name]
        _chart(console, f"{name}", x, sweep.value, ranges[0].name, precision)
        partials, left = sweep.plotted()
        for k, g in partials:
            _chart(console, f"∂{name}/∂{k}", x, g, ranges[0].name, precision)
        if sweep.hessian is not None:  # f″ of the swept input
            k = ranges[0].name
            _chart(console, f"∂²{name}/∂{k}²", x, sweep.hessian[k][k], k, precision)
        if left:
            console.print(f"({left} more partials not drawn)")
        return
    a, b = ranges
    shape = (a.count, b.count)
    xr, yr = (a.start, a.stop, a.name), (b.start, b.stop, b.name)
    arrows = (sweep.gradient[a.name].reshape(shape), sweep.gradient[b.name].reshape(shape))
    _map(console, f"{name} over {a.name} (across) and {b.name} (up)",
         np.asarray(sweep.value).reshape(shape), xr, yr, precision, arrows=arrows)


def plot_descent(steps: list[Step], console: Console, surface=None, precision: int = 4) -> None:
    """The loss curve (log scale when the loss stays positive); with two inputs and a
    surface ((x grid, y grid, z) from a sweep), the path over the heat map."""
    k = np.array([s.step for s in steps], dtype=np.float64)
    loss = np.array([s.loss for s in steps], dtype=np.float64)
    log = _wide_positive(loss)
    _chart(console, "loss", k, loss, "step", precision, log=log)
    if surface is not None:
        (xs, ys, z), (xn, yn) = surface
        px = [s.point[xn] for s in steps]
        py = [s.point[yn] for s in steps]
        _map(console, f"the path over the loss, {xn} across, {yn} up", z,
             (xs[0], xs[-1], xn), (ys[0], ys[-1], yn), precision,
             path=((px, py), (xs[0], xs[-1], ys[0], ys[-1])))
