r"""--format latex: the lecture's align blocks as a standalone document (article, amsmath)
that compiles with pdflatex: the SSA definitions w_1 = x, …, the forward values, the local
partials, each adjoint's derivation

    \bar{w}_1 &= \bar{w}_3\frac{\partial w_3}{\partial w_1}
                  + \bar{w}_4\frac{\partial w_4}{\partial w_1}\\
              &= \bar{w}_3 \cdot \left(2 \cdot w_1\right) + \bar{w}_4 \cdot w_2\\
              &= -0.0931003

and the gradient. Formulas come from formula.show's "latex" style, which fills the op
table's LaTeX templates; names and text the user wrote pass through latex_text.
"""

from __future__ import annotations

from ..formula import adjoint_formula, edge_formula, node_text, var_name
from ..latex_text import name_math, number, text
from ..trace import Trace
from . import Options
from .numbers import fmt
from .tables import MAX_TERMS, rows, source_line

WORKSHEET = True
BLANK = r"\blank"  # defined in the preamble: a line to write on

PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\allowdisplaybreaks
\newcommand{\blank}{\underline{\hspace{3cm}}}
\begin{document}
"""


def _partial(j: int, i: int) -> str:
    wj, wi = var_name(j, False, "latex"), var_name(i, False, "latex")
    return rf"\frac{{\partial {wj}}}{{\partial {wi}}}"


def _align(lines: list[str], max_rows: int, after: tuple[str, ...] = ()) -> list[str]:
    """An align* block of one entry per row, its middle elided on big graphs."""
    head, tail = rows(len(lines), max_rows)
    body = [lines[k] for k in head]
    if tail:
        body.append(rf"&\vdots\quad\text{{({len(lines) - len(head) - len(tail)} more)}}")
        body.extend(lines[k] for k in tail)
    body.extend(after)
    return [r"\begin{align*}", "\\\\\n".join(body), r"\end{align*}", ""]


class _Lazy(list):
    """A list whose items are made on access: formulas only for the rows shown."""

    def __init__(self, count, make):
        super().__init__(range(count))
        self._make = make

    def __getitem__(self, k):
        return self._make(k)


def text_of(trace: Trace, options: Options) -> str:
    program, p, blank = trace.program, options.precision, options.blank
    nodes = program.nodes
    n_in = program.n_inputs
    out = program.output
    val = (lambda x: BLANK) if blank else (lambda x: number(fmt(x, p)))
    f = name_math(trace.output_name)
    w = lambda i: var_name(i, False, "latex")  # noqa: E731

    def definition(i):
        if i < n_in:
            return name_math(nodes[i].names[0])
        return node_text(program, i, "latex")

    def named(i):
        names = [n for n in nodes[i].names if i >= n_in]
        return rf"\qquad\text{{({', '.join(text(n) for n in names)})}}" if names else ""

    point = ", ".join(f"${name_math(k)} = {number(fmt(v, p))}$" for k, v in trace.point.items())
    doc = [PREAMBLE, rf"\section*{{Backpropagation of \texttt{{{text(source_line(trace))}}}}}"]
    if point:
        doc += [f"At {point}.", ""]
    if blank:
        doc += ["Fill in the values, the local partials and the adjoints.", ""]
    edges = trace.edges()
    mr = options.max_rows
    if nodes:
        doc += [r"\subsection*{The SSA list}"]
        lines = _Lazy(len(nodes), lambda i: f"{w(i)} &= {definition(i)}{named(i)}")
        doc += _align(lines, mr, (f"{f} &= {w(out)}",) if type(out) is int else ())
        doc += [r"\subsection*{Forward pass}"]
        doc += _align(_Lazy(len(nodes), lambda i: f"{w(i)} &= {definition(i)} = "
                            f"{val(trace.values[i])}"), mr)
    if edges:
        def partial_line(k):
            e = edges[k]
            if blank:
                return f"{_partial(e.to, e.frm)} &= {BLANK}"
            formula, value = edge_formula(program, e, "latex"), val(trace.edge_value(e))
            return f"{_partial(e.to, e.frm)} &= {formula}" + ("" if formula == value
                                                              else f" = {value}")

        doc += [r"\subsection*{Local partials on the edges}"]
        doc += _align(_Lazy(len(edges), partial_line), mr)
    if nodes:
        succ = trace.successors(edges)

        def adjoint_lines(k):
            i = len(nodes) - 1 - k  # the backward pass: \bar{w}_n first
            bar = var_name(i, True, "latex")
            if blank:
                return f"{bar} &= {BLANK}"
            if i == out:
                return rf"{bar} &= \frac{{\partial {f}}}{{\partial {w(i)}}} = 1"
            if not succ[i]:
                return f"{bar} &= 0 \\qquad\\text{{(nothing uses {w(i)})}}"
            shown = succ[i][:MAX_TERMS]
            chain = " + ".join(f"{var_name(e.to, True, 'latex')}{_partial(e.to, i)}"
                               for e in shown)
            if len(succ[i]) > MAX_TERMS:
                chain += rf" + \dots \text{{ ({len(succ[i])} terms)}}"
            sum_ = adjoint_formula(trace, i, succ[i], "latex", max_terms=MAX_TERMS)
            value = val(trace.adjoints[i])
            steps = [chain] + [s for s in (sum_, value) if s != chain]
            if steps[-2:-1] == [value]:
                steps.pop()
            return f"{bar} &= " + "\\\\\n&= ".join(steps)

        doc += [r"\subsection*{Adjoints $\bar{w}_i = \sum_j \bar{w}_j"
                r"\frac{\partial w_j}{\partial w_i}$, from the seed}"]
        doc += _align(_Lazy(len(nodes), adjoint_lines), mr)
    doc += [r"\subsection*{Output and gradient}", r"\begin{align*}"]
    result = [f"{f} &= " + (f"{w(out)} = " if type(out) is int else "") + val(trace.value)]
    for var, g in trace.gradient.items():
        k = program.inputs.index(var)
        result.append(rf"\frac{{\partial {f}}}{{\partial {name_math(var)}}} &= "
                      f"{var_name(k, True, 'latex')} = {val(g)}")
    doc += ["\\\\\n".join(result), r"\end{align*}", ""]
    if trace.warnings:
        doc += [r"\paragraph{Warnings}", r"\begin{itemize}"]
        doc += [rf"\item {text(wn.message)}" for wn in trace.warnings]
        doc += [r"\end{itemize}", ""]
    doc.append(r"\end{document}")
    return "\n".join(doc) + "\n"


def emit(trace: Trace, options: Options) -> None:
    print(text_of(trace, options), end="")
