"""Plots as image files (.png, .svg, .pdf) with matplotlib, an optional extra:
pip install "backprop-cli[plot]". Imported only on the path that writes an image."""

from __future__ import annotations

import os

import numpy as np

from ..tasks.descent import Step
from ..errors import UsageError
from ..tasks.sweep import Sweep

SUFFIXES = (".png", ".svg", ".pdf")
QUIVER = 20  # arrows per side of the gradient field


def check_path(path: str) -> None:
    """Before any work: a known suffix, and matplotlib there to write it."""
    if os.path.splitext(path)[1].lower() not in SUFFIXES:
        raise UsageError(f"--plot writes {', '.join(SUFFIXES)} files, not {path!r}",
                         hint="--plot alone draws in the terminal")
    _pyplot()


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise UsageError("--plot FILE needs matplotlib, which is not installed",
                         hint='pip install "backprop-cli[plot]"; --plot alone draws '
                              "in the terminal") from None
    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str) -> None:
    try:
        fig.savefig(path, bbox_inches="tight")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
    finally:
        _pyplot().close(fig)


def _contour(ax, x, y, z, name):
    """Filled contours of z[ix, iy] over the x × y grid, with a colour bar; log-spaced
    levels when z is positive over more than two decades (a valley shows)."""
    finite = z[np.isfinite(z)]
    levels = 20
    kw = {}
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        from matplotlib.colors import LogNorm

        levels = np.geomspace(finite.min(), finite.max(), 21)
        kw["norm"] = LogNorm()
    filled = ax.contourf(x, y, np.ma.masked_invalid(z).T, levels=levels, cmap="viridis", **kw)
    ax.figure.colorbar(filled, ax=ax, label=name, format="%.3g")


def sweep_image(sweep: Sweep, path: str) -> None:
    plt = _pyplot()
    name = sweep.output_name
    ranges = sweep.ranges
    if len(ranges) == 1:
        x = sweep.points[ranges[0].name]
        partials, left = sweep.plotted()
        curves = [(f"∂{name}/∂{k}", g, "tab:orange") for k, g in partials]
        if sweep.hessian is not None:  # f″ of the swept input
            k = ranges[0].name
            curves.append((f"∂²{name}/∂{k}²", sweep.hessian[k][k], "tab:green"))
        rows = 1 + len(curves)
        fig, axes = plt.subplots(rows, 1, sharex=True, figsize=(7, 2.2 * rows + 0.6),
                                 squeeze=False)
        axes = axes[:, 0]
        axes[0].plot(x, sweep.value)
        axes[0].set_ylabel(name)
        for ax, (label, g, color) in zip(axes[1:], curves):
            ax.plot(x, g, color=color)
            ax.set_ylabel(label)
        for ax in axes:
            ax.grid(alpha=0.3)
            ax.axhline(0, color="gray", lw=0.5)
        axes[-1].set_xlabel(ranges[0].name + (f"   ({left} more partials not drawn)"
                                               if left else ""))
        axes[0].set_title(sweep.program.source)
    else:
        a, b = ranges
        shape = (a.count, b.count)
        x, y = a.values(), b.values()
        fig, ax = plt.subplots(figsize=(7, 5.5))
        _contour(ax, x, y, np.asarray(sweep.value).reshape(shape), name)
        # the gradient field, thinned to about QUIVER arrows a side
        sx, sy = max(1, a.count // QUIVER), max(1, b.count // QUIVER)
        gx = sweep.gradient[a.name].reshape(shape)[::sx, ::sy]
        gy = sweep.gradient[b.name].reshape(shape)[::sx, ::sy]
        ax.quiver(x[::sx], y[::sy], gx.T, gy.T, color="white", alpha=0.8)
        ax.set_xlabel(a.name)
        ax.set_ylabel(b.name)
        ax.set_title(f"{sweep.program.source}  (arrows: ∇{name})")
    _save(fig, path)


def descent_image(steps: list[Step], path: str, surface=None) -> None:
    """The loss curve; with two inputs, beside it the path over the contours."""
    plt = _pyplot()
    cols = 2 if surface is not None else 1
    fig, axes = plt.subplots(1, cols, figsize=(6 * cols, 4.5), squeeze=False)
    ax = axes[0, 0]
    k = [s.step for s in steps]
    loss = np.array([s.loss for s in steps])
    ax.plot(k, loss)
    if loss.size and np.all(loss[np.isfinite(loss)] > 0):
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if surface is not None:
        (x, y, z), (xn, yn) = surface
        ax = axes[0, 1]
        _contour(ax, x, y, z, "loss")
        ax.plot([s.point[xn] for s in steps], [s.point[yn] for s in steps], ".-",
                color="red", ms=3, lw=1)
        ax.plot([steps[0].point[xn]], [steps[0].point[yn]], "o", color="white")
        ax.set_xlabel(xn)
        ax.set_ylabel(yn)
    _save(fig, path)
