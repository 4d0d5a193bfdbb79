"""--format markdown: the terminal's tables as GitHub pipe tables, for notes and pull
requests. The cells are render/tables.py's, so the two cannot disagree."""

from __future__ import annotations

from ..engine.trace import Trace
from ..errors import printable_lines
from . import Options
from . import tables as cells
from .sentences import diagnostic_message

WORKSHEET = True
JACOBIAN = True  # cells.jacobian
HESSIAN = True  # cells.hessian, cells.second_passes
_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|*_`[]<>#"})


def escape(text: str) -> str:
    """A cell's text with what Markdown would read as markup or a column break escaped."""
    return text.translate(_SPECIAL)


def _table(t: cells.Table) -> list[str]:
    lines = [f"**{escape(t.title)}**", ""]
    lines.append("| " + " | ".join(t.columns) + " |")
    lines.append("|" + "|".join("---:" if cells.numeric(c) else "---" for c in t.columns) + "|")
    row = lambda cells_: "| " + " | ".join(escape(c) for c in cells_) + " |"  # noqa: E731
    lines.extend(row(r) for r in t.head)
    if t.tail:
        lines.append(row(["⋮"] * (len(t.columns) - 2) + [f"… {t.hidden} more rows", ""]))
        lines.extend(row(r) for r in t.tail)
    return lines + [""]


def text(trace: Trace, options: Options) -> str:
    point = cells.point_text(trace, options.precision)
    # the source in a code span: a backtick in it cannot occur (the grammar has none)
    lines = [f"**backprop** `{cells.source_line(trace)}`" + (f" at {point}" if point else ""),
             ""]
    edges = trace.edges()
    for t in cells.tables(trace, options, edges):
        lines.extend(_table(t))
    lines.extend([f"**{escape(cells.output_line(trace, options))}**", ""])
    note = cells.constant_note(trace)
    if note:
        lines.extend([escape(note), ""])
    for t in (cells.gradient(trace, options), cells.jacobian(trace, options),
              *cells.hessian(trace, options)):
        if t:
            lines.extend(_table(t))
    modes = cells.modes_line(trace, options)
    if modes:
        lines.extend([escape(modes), ""])
    lines.extend(f"- warning: {escape(diagnostic_message(trace.program, d))}"
                 for d in trace.diagnostics)
    return "\n".join(lines).rstrip("\n") + "\n"


def emit(trace: Trace, options: Options) -> None:
    print(printable_lines(text(trace, options)), end="")
