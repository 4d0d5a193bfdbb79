"""The terminal: Rich tables of the forward pass, the local partials and the adjoints, then
the output value and the gradient. The only module that imports Rich.

Big graphs show their first and last rows: formulas are derived only for the rows shown,
so printing a 10^6-node run costs no more than printing a small one.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import BackpropError
from ..formula import adjoint_formula, edge_formula, node_text, var_name
from ..program import node_id
from ..trace import Trace
from .numbers import fmt


MAX_TERMS = 8  # terms of an adjoint's sum shown before "+ … (N terms)"


def _rows(count: int, max_rows: int) -> tuple[range, range]:
    """The rows to show: all of them, or a head and a tail around an ellipsis."""
    if max_rows <= 0 or count <= max_rows:
        return range(count), range(0)
    head = max_rows - max_rows // 2
    return range(head), range(count - max_rows // 2, count)


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    for name in columns:
        table.add_column(name, justify="right" if name == "value" else "left",
                         overflow="fold")
    return table


def _fill(table: Table, count: int, max_rows: int, row) -> None:
    head, tail = _rows(count, max_rows)
    for k in head:
        table.add_row(*row(k))
    if tail:
        hidden = Text(f"… {count - len(head) - len(tail)} more rows", style="dim")
        table.add_row(*[Text("⋮", style="dim")] * (len(table.columns) - 2), hidden, "")
        for k in tail:
            table.add_row(*row(k))


def _print(console: Console, title: str, table: Table) -> None:
    console.print(Text(title, style="bold"))
    console.print(table)


def render(trace: Trace, console: Console, precision: int = 6, max_rows: int = 60) -> None:
    program = trace.program
    nodes = program.nodes
    out = program.output
    name = trace.output_name
    point = ", ".join(f"{k} = {fmt(v, precision)}" for k, v in trace.point.items())

    # the statements on one line, without comments: the file's layout is the user's
    lines = [line.split("#", 1)[0].strip() for line in program.source.splitlines()]
    shown = "; ".join(line for line in lines if line)
    if len(shown) > 160:  # a generated expression: its start says what it is
        shown = f"{shown[:150]}… ({len(shown)} characters)"
    console.print(Text.assemble(("backprop ", "bold"), shown,
                                (f"   at {point}" if point else "", "dim")))
    console.print()

    forward = _table("node", "name", "definition", "value")
    _fill(forward, len(nodes), max_rows, lambda i: (
        Text(node_id(i), style="bold cyan"), ", ".join(nodes[i].names),
        "input" if i < program.n_inputs else node_text(program, i),
        fmt(trace.values[i], precision)))
    _print(console, "Forward pass: the SSA list and its values", forward)

    edges = trace.edges()
    partials = _table("edge", "formula", "value")
    _fill(partials, len(edges), max_rows, lambda k: (
        Text(f"∂{node_id(edges[k].to)}/∂{node_id(edges[k].frm)}", style="bold magenta"),
        edge_formula(program, edges[k]), fmt(trace.edge_value(edges[k]), precision)))
    if edges:
        _print(console, "Local partials ∂wⱼ/∂wᵢ on the edges, in backward order", partials)

    succ = trace.successors(edges)
    order = list(range(len(nodes) - 1, -1, -1))  # the backward pass: w̄n first
    adjoints = _table("adjoint", "formula", "value")
    _fill(adjoints, len(order), max_rows, lambda k: (
        Text(var_name(order[k], True, "unicode"), style="bold green"),
        adjoint_formula(trace, order[k], succ[order[k]], max_terms=MAX_TERMS)
        + ("  (seed)" if order[k] == out else ""),
        fmt(trace.adjoints[order[k]], precision)))
    if nodes:
        _print(console, "Adjoints w̄ᵢ = Σⱼ w̄ⱼ·∂wⱼ/∂wᵢ, from the seed w̄ₙ = 1", adjoints)

    where = f" = {node_id(out)}" if type(out) is int else ""
    console.print(Text.assemble((f"{name}{where} = ", "bold"),
                                (fmt(trace.value, precision), "bold")))
    if trace.gradient:
        gradient = _table("input", "partial", "value")
        for var, g in trace.gradient.items():
            k = program.inputs.index(var)
            gradient.add_row(var, f"∂{name}/∂{var} = {var_name(k, True, 'unicode')}",
                             fmt(g, precision))
        _print(console, "Gradient", gradient)
    for w in trace.warnings:
        console.print(Text.assemble(("warning: ", "bold yellow"), w.message), soft_wrap=True)


def render_error(error: BackpropError, console: Console) -> None:
    """The error as text, with the source line and a caret under the column."""
    lines = str(error).split("\n")
    first = lines[0].removeprefix("error: ")
    # soft_wrap: a long message stays one line, so the caret line stays under its column
    console.print(Text.assemble(("error: ", "bold red"), first), soft_wrap=True)
    for line in lines[1:]:
        style = "bold red" if line.strip() and set(line.strip()) == {"^"} else None
        console.print(Text(line, style=style), soft_wrap=True)
