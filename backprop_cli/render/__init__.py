"""Renderers: one module per output format, each reading a Trace. Only terminal.py and
report.py (the grading report of --expect, not a format) import Rich, and only when the
terminal is asked for.

A format module has `emit(trace, options)`, which prints to standard output, and may set
WORKSHEET = True when it can print a blank worksheet (--blank), JACOBIAN = True when it
prints the Jacobian (--jacobian). FORMATS in cli/show.py maps each --format name to its module.
"""

from typing import NamedTuple


class Options(NamedTuple):
    precision: int = 6  # significant digits
    max_rows: int = 60  # rows per table before the middle is elided (0: all)
    blank: bool = False  # a worksheet: definitions kept, values, partials, adjoints empty
    graph: bool = False  # the terminal adds a tree of the graph
    mode: str = "reverse"  # "forward": the tangents instead of the adjoints; "both": both
    expand: bool = False  # the gradient also in terms of the inputs
