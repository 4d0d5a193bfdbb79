"""The terminal: Rich tables of the forward pass, the local partials and the adjoints, then
the output value and the gradient; with --graph, a tree of the graph. The only module that
imports Rich. What the cells say is render/tables.py's, shared with Markdown.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import BackpropError
from ..symbolic.formula import edge_formula, node_text, var_name
from ..engine.program import node_id
from ..engine.trace import Trace
from . import Options
from . import tables as cells
from .ascii import spell_excerpt
from .console import ascii_only, plain
from .sentences import diagnostic_message, error_lines
from .numbers import fmt

WORKSHEET = True
JACOBIAN = True  # cells.jacobian
HESSIAN = True  # cells.hessian, cells.second_passes
_STYLES = {"forward": "bold cyan", "partials": "bold magenta", "tangents": "bold blue",
           "adjoints": "bold green", "second": "bold yellow"}
_BLANK_WIDTH = {"value": 12, "formula": 24}  # room to write in on a worksheet
MAX_DEPTH = 8  # levels of the --graph tree: each takes 4 of the 80 columns


def _rich_table(t: cells.Table, blank: bool) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    for name in t.columns:
        table.add_column(name, justify="right" if cells.numeric(name) else "left",
                         overflow="fold", min_width=_BLANK_WIDTH.get(name) if blank else None)
    style = _STYLES.get(t.kind)
    for row in t.head:
        table.add_row(Text(row[0], style=style) if style else row[0], *row[1:])
    if t.tail:
        hidden = Text(f"… {t.hidden} more rows", style="dim")
        table.add_row(*[Text("⋮", style="dim")] * (len(t.columns) - 2), hidden, "")
        for row in t.tail:
            table.add_row(Text(row[0], style=style) if style else row[0], *row[1:])
    return table


def _print(console: Console, title: str, table: Table) -> None:
    console.print(Text(title, style="bold"))
    console.print(table)


def render(trace: Trace, console: Console, precision: int = 6, max_rows: int = 60,
           options: Options | None = None) -> None:
    options = options or Options(precision, max_rows)
    point = cells.point_text(trace, options.precision)
    console.print(Text.assemble(("backprop ", "bold"), cells.source_line(trace),
                                (f"   at {point}" if point else "", "dim")))
    console.print()
    edges = trace.edges()
    for t in cells.tables(trace, options, edges):
        _print(console, t.title, _rich_table(t, options.blank))
    console.print(Text(cells.output_line(trace, options), style="bold"))
    note = cells.constant_note(trace)
    if note:
        console.print(Text(note))
    for t in (cells.gradient(trace, options), cells.jacobian(trace, options),
              *cells.hessian(trace, options)):
        if t:
            _print(console, t.title, _rich_table(t, options.blank))
    modes = cells.modes_line(trace, options)
    if modes:
        console.print(Text(modes))
    for d in trace.diagnostics:
        console.print(Text.assemble(("warning: ", "bold yellow"),
                                    diagnostic_message(trace.program, d)), soft_wrap=True)
    if options.graph:
        console.print()
        console.print(Text("The graph, from the output down to the inputs", style="bold"))
        console.print(graph_tree(trace, options, edges))


def graph_tree(trace: Trace, options: Options, edges=None):
    """The graph as a tree from the output: each node with its definition, value and
    adjoint, each edge with its partial. A shared node is drawn once and referenced
    after; an explicit stack, not recursion, walks the user's graph."""
    from rich.tree import Tree  # only --graph pays for it
    program, p, blank = trace.program, options.precision, options.blank
    out = program.output
    if type(out) is not int:
        return Text("(the output is a constant: no graph)", style="dim")
    limit = options.max_rows if options.max_rows > 0 else None
    edges = trace.edges() if edges is None else edges
    uses = {}  # j -> its edges, operands left to right
    for e in edges:
        uses.setdefault(e.target, []).append(e)

    def label(i: int, edge) -> Text:
        text = Text(node_id(i), style="bold cyan")
        text.append(f" = {node_text(program, i)}")
        if not blank:
            text.append(f" = {fmt(trace.values[i], p)}")
            if trace.has_adjoints:
                text.append(f"   {var_name(i, True, 'unicode')} = {fmt(trace.adjoints[i], p)}",
                            style="green")
        if edge is not None:
            text.append("   " + _edge_text(trace, edge, p, blank), style="magenta")
        return text

    root = Tree(Text.assemble((f"{trace.output_name} = ", "bold"), label(out, None)),
                guide_style="dim")
    seen, drawn, cut = {out}, 1, 0
    stack = [(root, e, 1) for e in reversed(uses.get(out, []))]
    while stack:
        parent, edge, depth = stack.pop()
        i = edge.source
        if limit is not None and drawn >= limit:
            cut += 1
            continue
        drawn += 1
        if i in seen:
            parent.add(Text.assemble((node_id(i), "bold cyan"), " … (shown above)   ",
                                     (_edge_text(trace, edge, p, blank), "magenta")))
            continue
        seen.add(i)
        branch = parent.add(label(i, edge))
        below = uses.get(i, [])
        if below and depth >= MAX_DEPTH:
            k = len(below)
            branch.add(Text(f"… deeper: {k} operand{'s' * (k != 1)} not drawn", style="dim"))
        elif below:
            stack.extend((branch, e, depth + 1) for e in reversed(below))
    if cut:
        root.add(Text(f"… {cut} more branch{'es' * (cut != 1)} not drawn (--max-rows {limit}); "
                      "the tables above list every node", style="dim"))
    return root


def _edge_text(trace: Trace, edge, precision: int, blank: bool) -> str:
    name = f"∂{node_id(edge.target)}/∂{node_id(edge.source)}"
    if blank:
        return name
    formula = edge_formula(trace.program, edge, shapes=trace.tensor_shapes)
    value = fmt(trace.edge_value(edge), precision)
    return f"{name} = {formula}" + ("" if formula == value else f" = {value}")


def emit(trace: Trace, options: Options) -> None:
    render(trace, plain(), options=options)


def render_error(error: BackpropError, console: Console) -> None:
    """The error as text, with the source line and a caret under the column."""
    lines = error_lines(error)
    excerpt = error.excerpt()
    if excerpt is not None and ascii_only(console):  # the carets under the spelled line
        text, carets = spell_excerpt(*excerpt)
        lines[1:3] = ["  " + text, "  " + carets]
    first = lines[0].removeprefix("error: ")
    # soft_wrap: a long message stays one line, so the caret line stays under its column
    console.print(Text.assemble(("error: ", "bold red"), first), soft_wrap=True)
    for line in lines[1:]:
        style = "bold red" if line.strip() and set(line.strip()) == {"^"} else None
        console.print(Text(line, style=style), soft_wrap=True)
