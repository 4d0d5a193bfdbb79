"""--format html: one self-contained page that steps through the passes. The graph as the
lecture draws it (values on the nodes, partials on the edges, adjoints beside the nodes)
beside the SSA list; buttons and the arrow keys go through the forward pass node by node,
then the backward pass one adjoint update at a time (render/steps.py); "Show all", and
"hide answers" for a worksheet (--blank starts there, without the answers in the file).

The page carries its data as JSON: `trace` is exactly the document --json prints (the
numbers in full), beside it the text the page shows, written by the same functions as the
terminal's tables. The graph is laid out in the browser by dagre (page/dagre.min.js, MIT,
its license beside it), off the page's thread. Scripts and styles are inline and a
Content-Security-Policy forbids every fetch, so opening the file makes no request. User
text reaches the page only inside that JSON (with <, > and & escaped) and as textContent.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources

from ..engine.program import node_id
from ..engine.trace import Trace
from ..errors import printable_lines
from ..symbolic.formula import edge_formula, node_text, var_name
from . import Options
from . import tables as cells
from .dot import node_label
from .json_doc import array, dumps, trace_document
from .sentences import diagnostic_message
from .steps import product_text, step_text, steps as walk

WORKSHEET = True  # --blank: the page without the numbers, answers hidden
JACOBIAN = True  # under the stepper, as the terminal's tables: cells.jacobian
HESSIAN = True  # and cells.hessian, cells.second_passes
STEPPED = ("forward", "partials", "adjoints")  # the tables the stepper itself shows
GRAPH_IN_NOTEBOOK = 60  # nodes: a notebook draws the graph up to this size
CSP = ("default-src 'none'; script-src 'unsafe-inline' blob:; worker-src blob:; "
       "style-src 'unsafe-inline'")


@lru_cache(maxsize=None)
def asset(name: str) -> str:
    text = resources.files(__package__).joinpath("page", name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "</style" in text.lower():  # would end the element early
        raise ValueError(f"page/{name} cannot be inlined")
    return text


def script_json(doc) -> str:
    """JSON to sit inside <script>: no <, > or & can end the element or start a comment."""
    return (dumps(doc).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def page_data(trace: Trace, options: Options) -> dict:
    """What the page shows, as data: the --json document and the text of every label."""
    program, p, blank = trace.program, options.precision, options.blank
    edges = trace.edges()
    shapes = trace.shapes if trace.tensor else None
    made_by = {}  # node → the call of a user function that made it: "w4…w5: f(w1)"
    for c in program.calls:
        made, call, _ = cells.call_row(program, c)
        made_by.update(dict.fromkeys(range(c.first, c.stop), f"{made}: {call}"))
    nodes = []
    for i, node in enumerate(program.nodes):
        nodes.append({"id": node_id(i), "names": list(node.names), "label": node_label(trace, i),
                      "definition": "input" if i < program.n_inputs else node_text(program, i),
                      "shape": cells.shape_text(shapes[i]) if shapes else None,
                      "value": "" if blank else cells.value_cell(trace, i, p),
                      "bar": var_name(i, True, "unicode"),
                      "adjoint": "" if blank or not trace.has_adjoints
                      else cells.adjoint_cell(trace, i, p),
                      "input": i < program.n_inputs, "output": i == program.output,
                      "untaken": bool(trace.untaken and i in trace.untaken),
                      "call": made_by.get(i, "")})
    labels = []
    for e in edges:
        name = f"∂{node_id(e.target)}/∂{node_id(e.source)}"
        label = ""
        if not blank:
            formula = edge_formula(program, e, shapes=trace.tensor_shapes)
            value = cells.edge_cell(trace, e, p)
            label = formula if formula == value else f"{formula} = {value}"
        labels.append({"source": e.source, "target": e.target, "name": name, "label": label})
    shown = []
    for s in walk(trace, edges):
        value, total = ("", "") if blank else step_text(trace, s, p, edges)
        shown.append({"kind": s.kind, "node": s.node, "edge": s.edge, "rule": s.rule,
                      "formula": "" if blank else s.formula, "numbers": "" if blank else
                      product_text(trace, edges[s.edge], p) if s.kind == "update" else "",
                      "value": value, "total": "" if s.total is None else total,
                      "first": s.first, "last": s.last,
                      "num_value": None if blank else array(s.value),
                      "num_total": None if blank or s.total is None else array(s.total)})
    return {"trace": None if blank else trace_document(trace, options.expand),
            "blank": blank, "title": cells.source_line(trace),
            "point": cells.point_text(trace, p),  # the problem, not an answer
            "nodes": nodes, "edges": labels, "steps": shown,
            "forward_steps": len(program.nodes),
            "output": cells.output_line(trace, options), "note": cells.constant_note(trace),
            "tables": [_table_data(t) for t in _more_tables(trace, options, edges)],
            "modes": cells.modes_line(trace, options),
            "warnings": [] if blank else [diagnostic_message(program, d)
                                          for d in trace.diagnostics]}


def _more_tables(trace: Trace, options: Options, edges) -> list[cells.Table]:
    """The terminal's tables the stepper does not show: tangents, second-order passes, the
    gradient, the Jacobian, the Hessian."""
    more = [t for t in cells.tables(trace, options, edges) if t.kind not in STEPPED]
    return more + [t for t in (cells.gradient(trace, options), cells.jacobian(trace, options),
                               *cells.hessian(trace, options)) if t]


def _table_data(t: cells.Table) -> dict:
    rows = [list(r) for r in t.head]
    if t.tail:
        rows.append(["⋮"] * (len(t.columns) - 2) + [f"… {t.hidden} more rows", ""])
        rows.extend(list(r) for r in t.tail)
    return {"title": t.title, "columns": list(t.columns),
            "numeric": [cells.numeric(c) for c in t.columns], "rows": rows}


def widget(trace: Trace, options: Options, *, tables: bool = True, keys: str = "page") -> str:
    """The stepper: its root element with the data, then its style and scripts."""
    attrs = f' data-keys="{keys}"' + ("" if tables else ' data-tables="0"')
    return (f'<style>{asset("stepper.css")}</style>'
            f'<div class="bp-root"{attrs}><script type="application/json" class="bp-data">'
            f'{script_json(page_data(trace, options))}</script></div>'
            f'<script class="bp-dagre">{asset("dagre.min.js")}</script>'
            f'<script>{asset("stepper.js")}</script>')


def page(trace: Trace, options: Options) -> str:
    title = html.escape(f"backprop: {cells.source_line(trace)}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n</head>\n<body>\n"
            "<noscript>This page steps through the passes with JavaScript, which is off: "
            "backprop's other formats print the same tables.</noscript>\n"
            f"{widget(trace, options)}\n"
            "<!-- dagre (github.com/dagrejs/dagre), MIT license: "
            f"{html.escape(asset('dagre.LICENSE').strip())} -->\n"
            "</body>\n</html>\n")


# --- static tables, for a notebook (which may run no script) ------------------------------

def _cell(text: str, tag: str = "td", right: bool = False) -> str:
    style = ' style="text-align:right"' if right else ""
    return f"<{tag}{style}>{html.escape(text)}</{tag}>"


def table_html(t: cells.Table) -> str:
    right = [cells.numeric(c) for c in t.columns]
    out = [f"<p><b>{html.escape(t.title)}</b></p>", "<table>",
           "<tr>" + "".join(_cell(c, "th", r) for c, r in zip(t.columns, right)) + "</tr>"]

    def row(r) -> str:
        return "<tr>" + "".join(_cell(c, "td", k) for c, k in zip(r, right)) + "</tr>"

    out.extend(row(r) for r in t.head)
    if t.tail:
        out.append(row(["⋮"] * (len(t.columns) - 2) + [f"… {t.hidden} more rows", ""]))
        out.extend(row(r) for r in t.tail)
    out.append("</table>")
    return "\n".join(out)


def tables_html(trace: Trace, options: Options) -> str:
    """The terminal's tables as HTML tables, the cells render/tables.py writes."""
    point = cells.point_text(trace, options.precision)
    parts = [f"<p><b>backprop</b> <code>{html.escape(cells.source_line(trace))}</code>"
             + (f" at {html.escape(point)}" if point else "") + "</p>"]
    edges = trace.edges()
    parts.extend(table_html(t) for t in cells.tables(trace, options, edges))
    # (then what follows the output line: the gradient, the Jacobian, the Hessian)
    parts.append(f"<p><b>{html.escape(cells.output_line(trace, options))}</b></p>")
    note = cells.constant_note(trace)
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    parts.extend(table_html(t) for t in (cells.gradient(trace, options),
                                         cells.jacobian(trace, options),
                                         *cells.hessian(trace, options)) if t)
    modes = cells.modes_line(trace, options)
    if modes:
        parts.append(f"<p>{html.escape(modes)}</p>")
    parts.extend(f"<p>warning: {html.escape(diagnostic_message(trace.program, d))}</p>"
                 for d in trace.diagnostics)
    return "\n".join(parts)


def notebook_html(trace: Trace, options: Options | None = None) -> str:
    """A notebook's view of a trace: the tables, and the graph to step through where it
    fits. The tables are plain HTML, so a viewer that runs no script still shows them."""
    options = options or Options(mode="both" if trace.tangents is not None else "reverse")
    out = [f'<div class="bp-notebook">{tables_html(trace, options)}</div>']
    if 0 < len(trace.program.nodes) <= GRAPH_IN_NOTEBOOK:
        out.append(widget(trace, options, tables=False, keys="self"))
    return "\n".join(out)


def emit(trace: Trace, options: Options) -> None:
    print(printable_lines(page(trace, options)), end="")

