"""The terminal for many points: a sweep's table (thinned to --max-rows rows, saying so)
and gradient descent's table every k steps. Rich, like terminal.py."""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..tasks.descent import Step, Stop
from ..tasks.sweep import Sweep
from .lines import sweep_columns
from .sentences import diagnostic_message
from .numbers import fmt
from .sentences import fallback_message, stop_message, update_words
from .terminal import _print


def _table(*columns: str) -> Table:
    """The terminal tables' look, every column a number (right-aligned)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    for name in columns:
        table.add_column(name, justify="right", overflow="fold")
    return table


def thinned(count: int, max_rows: int) -> range | list[int]:
    """Every k-th row, k as small as keeps within max_rows, and always the last one."""
    if max_rows <= 0 or count <= max_rows:
        return range(count)
    max_rows = max(max_rows, 2)  # the first and the last at least
    k = -(-(count - 1) // (max_rows - 1))  # ceil: the first and the last are both rows
    rows = list(range(0, count, k))
    if rows[-1] != count - 1:
        rows.append(count - 1)
    return rows


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def describe(sweep: Sweep, precision: int = 6) -> str:
    """'x from -3 to 3 (121 points), y = 1.0472'."""
    parts = [f"{r.name} from {fmt(r.start, precision)} to {fmt(r.stop, precision)} "
             f"({r.count} points)" for r in sweep.ranges]
    parts += [f"{k} = {fmt(v, precision)}" for k, v in sweep.fixed.items()]
    return ", ".join(parts)


def render_sweep(sweep: Sweep, console: Console, precision: int = 6, max_rows: int = 60) -> None:
    name = sweep.output_name
    console.print(Text.assemble(("backprop ", "bold"), " ".join(sweep.program.source.split()),
                                (f"   over {describe(sweep, precision)}", "dim")))
    console.print()
    swept = {r.name for r in sweep.ranges}
    columns = [(h, v) for h, v in sweep_columns(sweep) if h in swept or h not in sweep.points]
    shown = [f"∂{name}/∂{h[len(name) + 3:]}" if h.startswith(f"d{name}/d") else h
             for h, _ in columns]
    if sweep.hessian is not None:
        inputs = list(sweep.gradient)
        pairs = [(a, b) for k, a in enumerate(inputs) for b in inputs[k:]]
        shown[len(shown) - len(pairs):] = [f"∂²{name}/∂{a}²" if a == b else
                                           f"∂²{name}/∂{a}∂{b}" for a, b in pairs]
    table = _table(*shown)
    rows = thinned(sweep.size, max_rows)
    shown_rows = np.asarray(rows, dtype=np.intp)  # only these become Python floats
    lists = [np.asarray(v)[shown_rows].tolist() for _, v in columns]
    for row in zip(*lists):
        table.add_row(*[fmt(value, precision) for value in row])
    what = "gradient and Hessian" if sweep.hessian is not None else "gradient"
    _print(console, f"{name} and its {what} at {sweep.size} points", table)
    if len(rows) < sweep.size:
        k = rows[1] - rows[0]
        console.print(Text(f"{len(rows)} of {sweep.size} points shown: every {_ordinal(k)} "
                           "and the last (--max-rows 0 shows all; --format csv or --json "
                           "give every point)", style="dim"))


def render_diagnostics(program, diagnostics, console: Console) -> None:
    for d in diagnostics:
        console.print(Text.assemble(("warning: ", "bold yellow"),
                                    diagnostic_message(program, d)), soft_wrap=True)


def render_descent(steps: list[Step], stop: Stop, console: Console, every: int,
                   precision: int = 6, header: str = "") -> None:
    """The step table (every k-th step, and the last), then why the run stopped."""
    if header:
        console.print(Text.assemble(("backprop descend ", "bold"), header))
        console.print()
    if steps:
        names = list(steps[0].point)
        newton = any(s.update is not None for s in steps)
        table = _table("step", "loss", "‖∇‖", *names, *(("update",) if newton else ()))
        last = steps[-1].step
        for s in steps:
            if s.step % every == 0 or s.step == last or s.update == "gradient":
                table.add_row(str(s.step), fmt(s.loss, precision), fmt(s.grad_norm, 3),
                              *[fmt(v, precision) for v in s.point.values()],
                              *((update_words(s),) if newton else ()))
        title = ("Newton's method" if newton else "Gradient descent") + \
            (f": every {_ordinal(every)} step" if every > 1 else "")
        _print(console, title, table)
        fallback = fallback_message(steps)
        if fallback:
            console.print(Text.assemble(("note: ", "bold yellow"), fallback), soft_wrap=True)
    style = "bold red" if stop.failed else "bold"
    console.print(Text.assemble(("diverged: " if stop.failed else "stopped: ", style),
                                stop_message(stop)), soft_wrap=True)
    if steps and not stop.failed:
        s = steps[-1]
        where = ", ".join(f"{k} = {fmt(v, precision)}" for k, v in s.point.items())
        console.print(Text.assemble(("minimum found ", "bold") if stop.reason != "steps"
                                    else ("last point ", "bold"),
                                    f"at {where}: loss {fmt(s.loss, precision)}"),
                      soft_wrap=True)
