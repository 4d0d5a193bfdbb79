r"""--format latex: the lecture's align blocks as a standalone document (article, amsmath)
that compiles with pdflatex: the SSA definitions w_1 = x, …, the forward values, the local
partials, each adjoint's derivation down to its simplified form and its value

    \bar{w}_1 &= \bar{w}_3\frac{\partial w_3}{\partial w_1}
                  + \bar{w}_4\frac{\partial w_4}{\partial w_1}\\
              &= \bar{w}_3(2w_1) + \bar{w}_4w_2\\
              &= 2w_1w_5 - w_2w_3\sin(w_4)\\
              &= -0.0931003

(a step that would repeat the one before is left out), and the gradient. With --mode
forward or both, the tangent pass of each input (\dot{w}_4 = \dot{w}_1w_2 + w_1\dot{w}_2 =
…) comes before or instead of the adjoints; with --expand, each gradient entry is also
written in terms of the inputs. Formulas come from formula.show's "latex" style, which
fills the op table's LaTeX templates; simplified forms are simplify.py's, as the
terminal's; names and text the user wrote pass through latex_text.
"""

from __future__ import annotations

import re

import numpy as np

from ..symbolic.formula import adjoint_formula, edge_formula, node_text, show, var_name
from ..symbolic.latex_text import name_math, number, text
from ..symbolic.simplify import MAX_NODES
from ..engine.trace import Trace
from ..errors import printable_lines
from . import Options
from .sentences import diagnostic_message
from .numbers import fmt
from . import tables as cells
from .tables import MAX_TERMS, constant_note, modes_line, rows, source_line
from ..symbolic.exact_values import output_exact

WORKSHEET = True
HESSIAN = True  # _second
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


def _align(lines: list[str], max_rows: int, after: tuple[str, ...] = (),
           sep: str = "\\\\") -> list[str]:
    """An align* block of one entry per row, its middle elided on big graphs; `sep` ends
    each entry (\\\\[4pt] sets multi-line derivations apart)."""
    head, tail = rows(len(lines), max_rows)
    body = [lines[k] for k in head]
    if tail:
        body.append(rf"&\vdots\quad\text{{({len(lines) - len(head) - len(tail)} more)}}")
        body.extend(lines[k] for k in tail)
    body.extend(after)
    return [r"\begin{align*}", f"{sep}\n".join(body), r"\end{align*}", ""]


WIDTH = 60  # characters of a formula, roughly, that fit beside the names on a page's line
_INVISIBLE = re.compile(r"\\(?:left|right|frac|mathit|operatorname|big|partial|bar|dot)"
                        r"|[{}_^]")


def _visible(latex: str) -> int:
    """A rough width: the characters left once markup is gone (a fraction counts both its
    lines, so this errs long)."""
    return len(_INVISIBLE.sub("", latex))


def _wrap(latex: str) -> str:
    """A formula too wide for the page broken before its outermost + and − signs, the
    continuation lines indented under the first (never inside parentheses or braces)."""
    if _visible(latex) <= WIDTH:
        return latex
    pieces, depth, start, k = [], 0, 0, 0
    while k < len(latex):
        c = latex[k]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        elif depth == 0 and k > 0 and latex.startswith((" + ", " - "), k - 1):
            pieces.append(latex[start:k - 1])
            start = k
        k += 1
    pieces.append(latex[start:])
    lines, line = [], ""
    for piece in pieces:
        if line and _visible(line + piece) > WIDTH:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return "\\\\*\n&\\qquad ".join(lines)


class _Lazy(list):
    """A list whose items are made on access: formulas only for the rows shown."""

    def __init__(self, count, make):
        super().__init__(range(count))
        self._make = make

    def __getitem__(self, k):
        return self._make(k)


def cell_math(cell: str) -> str:
    r"""A table's number cell as math: `0 (exact; float64 gives -1.2e-16)` as the number
    with the words in \text beside it, `not taken (…)` in words, as the tables say them."""
    if cell.startswith("not taken"):
        return rf"\text{{{text(cell)}}}"
    m = re.fullmatch(r"(\S+) \((.*)\)", cell)
    return number(cell) if m is None else rf"{number(m[1])}\ \text{{({text(m[2])})}}"


def text_of(trace: Trace, options: Options) -> str:
    return "\n".join([PREAMBLE, *sections(trace, options), r"\end{document}"]) + "\n"


def sections(trace: Trace, options: Options) -> list[str]:
    """The document's body: its lines between the preamble and \\end{document}, so that
    a worksheet of several problems holds one after the other."""
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
    # a long expression breaks at its spaces, ragged, rather than run into the margin
    source = re.sub(r"([-+*/,;)])", r"\1\\allowbreak{}", text(source_line(trace)))
    doc = [rf"\section*{{\raggedright Backpropagation of \texttt{{{source}}}}}"]
    if point:
        doc += [f"At {point}.", ""]
    if blank:
        asked = {"reverse": "the adjoints", "forward": "the tangents",
                 "both": "the tangents and the adjoints"}[options.mode]
        doc += [f"Fill in the values, the local partials and {asked}." if nodes
                else "Fill in the value.", ""]
    edges = trace.edges()
    mr = options.max_rows
    if nodes:
        doc += [r"\subsection*{The SSA list}"]
        lines = _Lazy(len(nodes), lambda i: f"{w(i)} &= {definition(i)}{named(i)}")
        doc += _align(lines, mr, (f"{f} &= {w(out)}",) if type(out) is int else ())
        doc += [r"\subsection*{Forward pass}"]
        value = (lambda i: BLANK) if blank else (
            lambda i: cell_math(cells.value_cell(trace, i, p)))
        doc += _align(_Lazy(len(nodes), lambda i: f"{w(i)} &= {definition(i)} = {value(i)}"), mr)
    if edges:
        def partial_line(k):
            e = edges[k]
            if blank:
                return f"{_partial(e.target, e.source)} &= {BLANK}"
            formula = edge_formula(program, e, "latex", trace.tensor_shapes)
            value = cell_math(cells.edge_cell(trace, e, p))
            return f"{_partial(e.target, e.source)} &= {_wrap(formula)}" + ("" if formula == value
                                                              else f" = {value}")

        doc += [r"\subsection*{Local partials on the edges}"]
        doc += _align(_Lazy(len(edges), partial_line), mr)
    if trace.tangents is not None and options.mode != "reverse":
        doc += _tangents(trace, options, val)
    if nodes and options.mode != "forward":
        doc += _adjoints(trace, options, edges, val, f)
    doc += _gradient(trace, options, val, f)
    if trace.second is not None:
        doc += _second(trace, options, val, f)
    if trace.diagnostics:
        doc += [r"\paragraph{Warnings}", r"\begin{itemize}"]
        doc += [rf"\item {text(diagnostic_message(trace.program, d))}" for d in trace.diagnostics]
        doc += [r"\end{itemize}", ""]
    return doc


def _adjoints(trace: Trace, options: Options, edges, val, f: str) -> list[str]:
    """Each adjoint's derivation, as the lecture's: the chain-rule sum, the partials
    substituted, the simplified form in the w's (simplify.Adjoints, as the terminal's
    column; none past its size cap or on a graph too big), the value."""
    from ..symbolic.simplify import Adjoints

    program, blank = trace.program, options.blank
    nodes, out = program.nodes, program.output
    succ = trace.successors(edges)
    # simplified forms are of scalars; vectors and matrices keep their rules
    simplified = None if blank or trace.tensor else Adjoints(trace, succ)

    def lines(k):
        i = len(nodes) - 1 - k  # the backward pass: \bar{w}_n first
        bar = var_name(i, True, "latex")
        if blank:
            return f"{bar} &= {BLANK}"
        if i == out and trace.seed is not None and (np.ndim(trace.seed) or trace.seed != 1):
            return rf"{bar} &= v = {val(trace.seed)}"  # --seed: the output's adjoint
        if i == out:
            return rf"{bar} &= \frac{{\partial {f}}}{{\partial {var_name(i, False, 'latex')}}} = 1"
        if not succ[i]:
            return f"{bar} &= 0 \\qquad\\text{{(nothing uses {var_name(i, False, 'latex')})}}"
        shown = succ[i][:MAX_TERMS]
        chain = " + ".join(f"{var_name(e.target, True, 'latex')}{_partial(e.target, i)}"
                           for e in shown)
        if len(succ[i]) > MAX_TERMS:
            chain += rf" + \dots \text{{ ({len(succ[i])} terms)}}"
        steps = [chain, adjoint_formula(trace, i, succ[i], "latex", max_terms=MAX_TERMS)]
        if simplified is not None and not simplified.too_big:
            form = simplified.formula(i)
            if form is not None:
                steps.append(show(form, "latex"))
        steps.append(cell_math(cells.adjoint_cell(trace, i, options.precision)))
        kept = [steps[0]] + [b for a, b in zip(steps, steps[1:]) if b != a]
        return f"{bar} &= " + "\\\\*\n&= ".join(_wrap(k) for k in kept)  # \\* keeps a derivation on one page

    title = r"Adjoints $\bar{w}_i = \sum_j \bar{w}_j\frac{\partial w_j}{\partial w_i}$, from the seed"
    doc = [rf"\subsection*{{{title}}}"]
    if simplified is not None and simplified.too_big:
        doc += [f"(Not simplified: the graph has over {MAX_NODES} nodes.)", ""]
    return doc + _align(_Lazy(len(nodes), lines), options.max_rows, sep="\\\\[4pt]")


def _dot(i: int) -> str:
    n = i + 1
    return r"\dot{w}_" + (str(n) if n < 10 else f"{{{n}}}")


def _tangents(trace: Trace, options: Options, val) -> list[str]:
    r"""Forward accumulation as the adjoints are written: one align block per input's
    pass, each node's tangent \dot{w}_j = Σ_k ∂w_j/∂w_k \dot{w}_k (simplify's
    tangent_formula, the terminal's) and its value; many inputs are elided as rows are."""
    from ..symbolic.simplify import tangent_formula

    program, fw, blank = trace.program, trace.tangents, options.blank
    n, n_in = len(program.nodes), program.n_inputs
    formulas: dict[int, str] = {}

    def formula(i):
        if trace.tensor:  # tangent formulas are of scalars; the values say it all
            return ""
        if i not in formulas:
            formulas[i] = show(tangent_formula(program, i), "latex")
        return formulas[i]

    doc = [r"\subsection*{Tangents $\dot{w}_j = \sum_k \frac{\partial w_j}{\partial w_k}"
           r"\dot{w}_k$, one forward pass per input}"]
    head, tail = rows(len(fw.inputs), options.max_rows)
    passes = list(head) + list(tail)
    for pos, p in enumerate(passes):
        if tail and pos == len(head):
            doc += [rf"\dots\ ({len(fw.inputs) - len(passes)} more passes)", ""]
        name = name_math(fw.inputs[p])
        doc += [rf"\paragraph{{The pass of ${name}$,}} seeded with ${_dot(p)} = 1$"
                + (r" and the other inputs' $\dot{w}$ with 0." if n_in > 1 else ".")]

        def line(i, p=p):
            if i < n_in:
                return f"{_dot(i)} &= {1 if i == p else 0}"
            if blank:
                return f"{_dot(i)} &= {BLANK}"
            value = cell_math(cells.pass_cell(trace, i, fw.tangents[p][i], options.precision))
            text = formula(i)
            if not text:
                return f"{_dot(i)} &= {value}"
            return f"{_dot(i)} &= {_wrap(text)}" + ("" if text == value else f" = {value}")

        doc += _align(_Lazy(n, line), options.max_rows)
    return doc


def _second(trace: Trace, options: Options, val, f: str) -> list[str]:
    r"""Forward over reverse: per pass, each node's tangent and the tangent of its adjoint,
    \dot{\bar{w}}_i = Σ_j \dot{\bar{w}}_j ∂w_j/∂w_i + \bar{w}_j (∂w_j/∂w_i)^{\cdot}
    (symbolic/second.py's formulas, the terminal's), then the Hessian and H·v."""
    from ..symbolic.second import adjoint_tangent_formula, tangent_texts

    program, second, blank = trace.program, trace.second, options.blank
    n, n_in = len(program.nodes), program.n_inputs
    tangent_forms = tangent_texts(program, "latex") if not trace.tensor else None
    succ = trace.successors() if not trace.tensor else None
    bar_forms: dict[int, str] = {}

    def bar_form(i):
        if i not in bar_forms:
            bar_forms[i] = adjoint_tangent_formula(trace, i, succ[i], "latex")
        return bar_forms[i]

    doc = [r"\subsection*{Second order: forward over reverse}",
           r"Each pass carries tangents $\dot{w}_j$ through the forward list and their "
           r"effect on the adjoints, $\dot{\bar{w}}_i = \sum_j \dot{\bar{w}}_j "
           r"\frac{\partial w_j}{\partial w_i} + \bar{w}_j \frac{\partial^2 w_j}"
           r"{\partial w_i \partial w_m}\dot{w}_m$, through the backward list, from "
           rf"$\dot{{\bar{{w}}}}_{{{program.output + 1 if type(program.output) is int else 0}}}"
           r" = 0$. At the inputs, $\dot{\bar{w}}$ is a column of the Hessian (or $Hv$).", ""]
    head, tail = rows(len(second.inputs), options.max_rows)
    for k in [*head, *tail]:
        if tail and k == tail[0]:
            doc += [rf"\dots\ ({len(second.inputs) - len(head) - len(tail)} more passes)", ""]
        name = second.inputs[k]
        dot, bar = second.tangents[k], second.adjoint_tangents[k]
        seed = (r"along $v$" if name == "v"
                else rf"seeded with $\dot{{{name_math(name)}}} = 1$")
        doc += [rf"\paragraph{{Pass {k + 1} of {second.passes},}} {seed}."]

        def line(i, dot=dot, bar=bar):
            dw, db = _dot(i), _dot(i).replace(r"\dot{w}", r"\dot{\bar{w}}")
            if blank:
                return f"{dw} &= {BLANK} & {db} &= {BLANK}"
            left = cell_math(cells.pass_cell(trace, i, dot[i], options.precision))
            right = cell_math(cells.pass_cell(trace, i, bar[i], options.precision))
            if tangent_forms is not None:
                if i >= n_in and tangent_forms[i] != left:
                    left = f"{_wrap(tangent_forms[i])} = {left}"
                if bar_form(i) != right:
                    right = f"{_wrap(bar_form(i))} = {right}"
            return f"{dw} &= {left} & {db} &= {right}"

        doc += _align(_Lazy(n, line), options.max_rows)
    lines = []
    inputs = program.inputs
    if second.hessian is not None:
        expanded = None
        if options.expand and not blank and not trace.tensor:
            from ..symbolic.second import expanded_hessian

            expanded = expanded_hessian(trace, "latex")
        for a in inputs:
            for b in inputs:
                x, y = name_math(a), name_math(b)
                d = (rf"\frac{{\partial^2 {f}}}{{\partial {x}^2}}" if a == b else
                     rf"\frac{{\partial^2 {f}}}{{\partial {x}\,\partial {y}}}")
                form = expanded[a][b] if expanded else None
                value = val(second.hessian[a][b])
                lines.append(f"{d} &= " + (f"{_wrap(form)} = " if form and form != value
                                           else "") + value)
    if second.hvp is not None:
        lines += [rf"(Hv)_{{{name_math(a)}}} &= {val(v)}" for a, v in second.hvp.items()]
    if lines:
        doc += [r"\subsection*{Hessian}", r"\begin{align*}", "\\\\\n".join(lines),
                r"\end{align*}", ""]
    return doc


def _gradient(trace: Trace, options: Options, val, f: str) -> list[str]:
    """The output's value and each gradient entry: where it is read (\bar{w}_i, the
    output's tangent on the input's pass, or both), with --expand its form in terms of
    the inputs (simplify.expanded_gradient, as the terminal's), and its value."""
    program, blank, out = trace.program, options.blank, trace.program.output
    w = (lambda i: var_name(i, False, "latex"))  # noqa: E731
    forward = trace.tangents if options.mode != "reverse" else None
    reverse = options.mode != "forward"
    expanded = {}
    if options.expand and not blank and not trace.tensor:
        from ..symbolic.simplify import Adjoints, expanded_gradient

        expanded = expanded_gradient(Adjoints(trace))
    p = options.precision
    value = BLANK if blank else cell_math(cells.number_cell(trace.value, output_exact(trace), p))
    lines = [f"{f} &= " + (f"{w(out)} = " if type(out) is int else "") + value]
    for k, var in enumerate(program.inputs):
        x = name_math(var)
        where = [var_name(k, True, "latex")] if reverse else []
        if forward is not None:
            where.append(rf"{_dot(out)}\big|_{{\text{{pass }} {x}}}" if type(out) is int
                         else "0")
        values = [BLANK if blank else cell_math(cells.gradient_cell(trace, var, p))]
        if forward is not None and reverse and not blank:
            fv = val(forward.gradient[var])
            if fv != values[0]:  # the modes differ at the digits shown: both numbers
                values = [rf"{values[0]} \quad\text{{(reverse)}}",
                          rf"{fv} \quad\text{{(forward)}}"]
        elif forward is not None:
            values = [val(forward.gradient[var])]
        steps = [" = ".join(where)]
        if options.expand:
            form = expanded.get(var)
            if blank:
                steps.append(rf"{BLANK} \quad\text{{(in terms of the inputs)}}")
            elif form is not None:
                steps.append(show(form, "latex"))
        steps += values
        steps = [steps[0]] + [b for a, b in zip(steps, steps[1:]) if b != a]
        head = rf"\frac{{\partial {f}}}{{\partial {x}}} &= "
        if len(steps) == 2 and len(values) == 1:
            lines.append(head + " = ".join(steps))
        else:
            lines.append(head + "\\\\*\n&= ".join(_wrap(s) for s in steps))
    doc = [r"\subsection*{Output and gradient}", r"\begin{align*}", "\\\\\n".join(lines),
           r"\end{align*}", ""]
    for sentence in (modes_line(trace, options), constant_note(trace)):
        if sentence:
            doc += [text(sentence[0].upper() + sentence[1:] + "."), ""]
    return doc


def emit(trace: Trace, options: Options) -> None:
    print(printable_lines(text_of(trace, options)), end="")
