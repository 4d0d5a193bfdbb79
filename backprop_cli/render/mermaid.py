"""--format mermaid: the computational graph as a Mermaid flowchart, which GitHub and many
note apps draw from a ```mermaid block. Each node shows its definition, value and adjoint,
each edge its local partial; inputs are rounded, the output has a thick border. Labels are
quoted, with the characters Mermaid reads as syntax written as its entities (#quot;)."""

from __future__ import annotations

from ..symbolic.formula import edge_formula, var_name
from ..engine.program import node_id
from ..engine.trace import Trace
from ..errors import printable_lines
from . import Options
from .dot import constant_box, node_label
from . import tables as cells
from .tables import source_line

WORKSHEET = True  # --blank: the graph with its definitions, to be labelled by hand
_ENTITIES = str.maketrans({'"': "#quot;", "#": "#35;", "<": "#lt;", ">": "#gt;",
                           "`": "#96;", "\n": " "})


def label(s: str) -> str:
    """A quoted Mermaid label; <br/> breaks lines."""
    return '"' + "<br/>".join(line.translate(_ENTITIES) for line in s.split("\n")) + '"'


def text(trace: Trace, options: Options) -> str:
    program, p, blank = trace.program, options.precision, options.blank
    lines = [f"%% backprop {source_line(trace).replace('%', 'percent')}", "flowchart LR"]
    for i in range(len(program.nodes)):
        parts = [node_label(trace, i)]
        bar = var_name(i, True, "unicode")
        parts += ([f"{bar} = ?"] if blank else
                  [f"= {cells.value_cell(trace, i, p)}",
                   f"{bar} = {cells.adjoint_cell(trace, i, p)}"])
        shape = ("([", "])") if i < program.n_inputs else ("[", "]")
        lines.append(f"  {node_id(i)}{shape[0]}{label(chr(10).join(parts))}{shape[1]}")
    for e in trace.edges():
        name = f"∂{node_id(e.target)}/∂{node_id(e.source)}"
        if not blank:
            formula = edge_formula(program, e, shapes=trace.tensor_shapes)
            value = cells.edge_cell(trace, e, p)
            name += f" = {formula}" + ("" if formula == value else f" = {value}")
        lines.append(f"  {node_id(e.source)} -->|{label(name)}| {node_id(e.target)}")
    constant = type(program.output) is not int  # `1`, or `x; 1`: the output is a value
    if constant:
        lines.append(f"  output[{label(constant_box(trace, options))}]")
    lines.append("  classDef output stroke-width:3px")
    lines.append(f"  class {'output' if constant else node_id(program.output)} output")
    return "\n".join(lines) + "\n"


def emit(trace: Trace, options: Options) -> None:
    print(printable_lines(text(trace, options)), end="")
