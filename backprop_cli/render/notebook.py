"""How Jupyter shows a Trace: `differentiate(…)` as the last line of a cell. The engine's
Trace has _repr_html_ and _repr_markdown_, which call the writers registered here (the
engine may not import the renderers; importing this module, as the package's public names
do, registers them).

HTML: the tables as plain HTML (shown even where no script runs, as on GitHub) and, for a
graph of at most html.GRAPH_IN_NOTEBOOK nodes, the graph to step through, with the page's
buttons (its keys act when it has the focus). Markdown: --format markdown's tables.
"""

from __future__ import annotations

from ..engine.trace import DISPLAY, Trace
from . import Options


def options(trace: Trace) -> Options:
    return Options(mode="both" if trace.tangents is not None else "reverse")


def html(trace: Trace) -> str:
    from .html import notebook_html

    return notebook_html(trace, options(trace))


def markdown(trace: Trace) -> str:
    from .markdown import text

    return text(trace, options(trace))


DISPLAY.update(html=html, markdown=markdown)
