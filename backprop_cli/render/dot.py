"""--format dot: the computational graph as the lecture draws it, for Graphviz. Inputs and
nodes with their definitions and values, each edge labelled with its local partial
(formula and value), each adjoint in green beside its node, the output with a double
border. Nodes in list order and edges in the backward pass's order: the same text every
run. `backprop … --format dot | dot -Tpng -o graph.png`.
"""

from __future__ import annotations

from ..symbolic.formula import edge_formula, node_text, var_name
from ..engine.program import node_id
from ..engine.trace import Trace
from ..errors import printable_lines
from . import Options
from . import tables as cells
from .tables import constant_note, output_line, source_line

WORKSHEET = True  # --blank: the graph with its definitions, to be labelled by hand
ADJOINT_COLOR = "#1a7f37"  # the lecture's green


def quote(s: str) -> str:
    """A DOT string: backslashes and quotes escaped, new lines as \\n."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def html(s: str) -> str:
    """Text inside an HTML-like label."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def node_label(trace: Trace, i: int) -> str:
    """w1 = x for an input; f = w7 = w6 + 1 for the output and c = w3 = w1 + w2 for a
    named statement, as the lecture writes f = w7."""
    program = trace.program
    if i < program.n_inputs:
        return f"{node_id(i)} = {program.nodes[i].names[0]}"
    names = list(program.nodes[i].names)
    if i == program.output and trace.output_name not in names:
        names.append(trace.output_name)
    return "".join(f"{n} = " for n in names) + f"{node_id(i)} = {node_text(program, i)}"


def constant_box(trace: Trace, options: Options) -> str:
    """The label of a constant's one box: `f = 2*pi = 6.28319`, then why it is alone."""
    return f"{output_line(trace, options)}\n({constant_note(trace)})"


def text(trace: Trace, options: Options) -> str:
    program, p, blank = trace.program, options.precision, options.blank
    nodes, out = program.nodes, program.output
    lines = ["digraph backprop {",
             f"  label={quote(source_line(trace))};",
             "  labelloc=t;",
             "  rankdir=LR;",
             "  nodesep=0.7;",
             "  ranksep=1.0;",
             "  forcelabels=true;",
             '  fontname="Helvetica";',
             '  node [shape=box, style=rounded, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for i, node in enumerate(nodes):
        head = node_label(trace, i)
        shown = head if blank else f"{head}\n= {cells.value_cell(trace, i, p)}"
        attrs = [f"label={quote(shown)}"]
        bar = var_name(i, True, "unicode")
        adjoint = f"{bar} = " + ("?" if blank else cells.adjoint_cell(trace, i, p))
        attrs.append(f'xlabel=<<font color="{ADJOINT_COLOR}">{html(adjoint)}</font>>')
        if i < program.n_inputs:
            attrs.append("shape=ellipse")
        if i == out:
            attrs.append("peripheries=2")
        lines.append(f"  {node_id(i)} [{', '.join(attrs)}];")
    for e in trace.edges():
        name = f"∂{node_id(e.target)}/∂{node_id(e.source)}"
        if blank:
            label = name
        else:
            formula = edge_formula(program, e, shapes=trace.tensor_shapes)
            value = cells.edge_cell(trace, e, p)
            label = f"{name} = {formula}" + ("" if formula == value else f"\n= {value}")
        lines.append(f"  {node_id(e.source)} -> {node_id(e.target)} [label={quote(label)}];")
    if type(out) is not int:  # a constant (`x; 1`): its value is what the graph gives
        lines.append(f"  output [label={quote(constant_box(trace, options))}, "
                     "peripheries=2];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit(trace: Trace, options: Options) -> None:
    print(printable_lines(text(trace, options)), end="")
