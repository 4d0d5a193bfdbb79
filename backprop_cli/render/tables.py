"""The cells of the tables, shared by the terminal and Markdown: which rows show, what
each cell says, what a blank worksheet leaves out. No Rich here.

Big graphs show their first and last rows: formulas are derived only for the rows shown,
so printing a 10^6-node run costs no more than printing a small one.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..symbolic.formula import adjoint_formula, edge_formula, node_text, show, var_name
from ..engine.program import node_id
from ..symbolic.simplify import MAX_NODES, Adjoints, expanded_gradient, tangent_formula
from ..engine.trace import Trace, largest_difference, modes_agree
from . import Options
from .numbers import fmt, fmt_value
from .sentences import exact_zero, not_taken, rounding_flip
from ..symbolic.exact_values import exact_of, output_exact, rounded_zero

MAX_TERMS = 8  # terms of an adjoint's sum shown before "+ … (N terms)"
RULE_NOTE = ("; w̄ᵢ += … is what an op that is not entrywise (@, sum, x[…]) adds to w̄ᵢ, "
             "its vector–Jacobian product, where · is the matrix product and ⊙ entrywise")


def shape_text(shape: tuple) -> str:
    from ..engine.shapes import shape_text  # only tables of vectors and matrices need it

    return shape_text(shape)


class Table(NamedTuple):
    kind: str  # "forward", "partials", "tangents", "adjoints", "second", "gradient", …
    title: str
    columns: tuple[str, ...]
    head: list[tuple[str, ...]]  # the rows shown before the elision
    tail: list[tuple[str, ...]]  # and after it; empty when nothing is elided
    hidden: int  # rows elided between head and tail


def rows(count: int, max_rows: int) -> tuple[range, range]:
    """The rows to show: all of them, or a head and a tail around an ellipsis."""
    if max_rows <= 0 or count <= max_rows:
        return range(count), range(0)
    tail = max(1, max_rows // 2)  # never none: the renderers draw the ellipsis before it
    return range(max_rows - tail), range(count - tail, count)


def _table(kind, title, columns, count, max_rows, row) -> Table:
    head, tail = rows(count, max_rows)
    return Table(kind, title, columns, [row(k) for k in head], [row(k) for k in tail],
                 count - len(head) - len(tail))


def numeric(column: str) -> bool:
    """Columns of numbers, aligned right: values, tangents, the two modes' gradients,
    the second-order pass's and the Hessian's."""
    return (column in ("value", "forward", "reverse", "ẇ", "w̄", "ẇ̄")
            or column.startswith(("ẇ (", "∂/∂")))


def source_line(trace: Trace) -> str:
    """The statements on one line, without comments: the file's layout is the user's."""
    lines = [line.split("#", 1)[0].strip() for line in trace.program.source.splitlines()]
    shown = "; ".join(line for line in lines if line)
    if len(shown) > 160:  # a generated expression: its start says what it is
        shown = f"{shown[:150]}… ({len(shown)} characters)"
    return shown


def point_text(trace: Trace, precision: int) -> str:
    return ", ".join(f"{k} = {fmt(v, precision)}" for k, v in trace.point.items())


def number_cell(value, exact_value, p: int) -> str:
    """A number, or `0 (exact; float64 gives -9.8e-16)` where it is 0 in exact
    arithmetic and the float is rounding's noise."""
    return exact_zero(value) if rounded_zero(exact_value, value) else fmt(value, p)


def value_cell(trace: Trace, i: int, p: int) -> str:
    """Node i's value: its number, an exact zero, or why a where did not need it."""
    if trace.untaken and i in trace.untaken:
        return not_taken(trace.program, trace.untaken[i], trace.values)
    ex = exact_of(trace)
    if ex and i in ex.flipped:
        return rounding_flip(trace.values[i], ex.flipped[i], p)
    return number_cell(trace.values[i], ex.values[i] if ex else None, p)


def edge_cell(trace: Trace, edge, p: int) -> str:
    if trace.untaken and edge.target in trace.untaken:
        return f"{fmt(trace.edge_value(edge), p)} (not taken)"
    ex = exact_of(trace)
    known = None
    if ex is not None and len(edge.positions) == 1:
        known = ex.partials[edge.target][edge.positions[0]]
    return number_cell(trace.edge_value(edge), known, p)


def pass_cell(trace: Trace, i: int, value, p: int) -> str:
    """Node i's number on a forward or second-order pass (a tangent ẇᵢ, or ẇ̄ᵢ): marked
    where a where did not take the node, as its adjoint is."""
    if trace.untaken and i in trace.untaken:
        return f"{fmt(value, p)} (not taken)"
    return fmt(value, p)


def adjoint_cell(trace: Trace, i: int, p: int) -> str:
    if trace.untaken and i in trace.untaken:
        return pass_cell(trace, i, trace.adjoints[i], p)
    ex = exact_of(trace)
    return number_cell(trace.adjoints[i], ex.adjoints[i] if ex else None, p)


def gradient_cell(trace: Trace, name: str, p: int) -> str:
    ex = exact_of(trace)
    return number_cell(trace.gradient[name], ex.gradient.get(name) if ex else None, p)


def call_row(program, c) -> tuple[str, str, str]:
    """A call of a user function: the nodes it made, the call in w's, as written."""
    made = ("none (shared or folded)" if c.first == c.stop else
            node_id(c.first) if c.stop - c.first == 1 else
            f"{node_id(c.first)}…{node_id(c.stop - 1)}")
    args = ", ".join(node_id(a) if type(a) is int else a.text for a in c.args)
    return made, f"{c.name}({args})", program.source[c.start:c.end]


def calls(trace: Trace, max_rows: int = 0) -> Table | None:
    """The nodes each call of a user function made: `w3…w4  f(w1, w2)`; many calls are
    elided as the other tables' rows are."""
    program = trace.program
    if not program.calls:
        return None
    return _table("calls", "Calls of your functions, inlined: the nodes each made",
                  ("nodes", "call", "as written"), len(program.calls), max_rows,
                  lambda k: call_row(program, program.calls[k]))


def tables(trace: Trace, options: Options, edges=None) -> list[Table]:
    """Forward pass, local partials, tangents (forward mode), adjoints (reverse mode),
    each when it has rows. A blank worksheet keeps the SSA list and the definitions and
    leaves values and formulas empty."""
    program = trace.program
    nodes = program.nodes
    if not nodes:  # a constant: its value is the output line, and constant_note says why
        return []
    p, blank, max_rows = options.precision, options.blank, options.max_rows
    out = []
    # vectors and matrices: a shape column; an op that is not entrywise shows its rule
    shapes = trace.shapes if trace.tensor else None
    shape = (lambda i: (shape_text(shapes[i]),)) if shapes else (lambda i: ())
    out.append(_table("forward", "Forward pass: the SSA list and its values",
                      ("node", "name", "definition", *(("shape",) if shapes else ()), "value"),
                      len(nodes), max_rows,
                      lambda i: (node_id(i), ", ".join(nodes[i].names),
                                 "input" if i < program.n_inputs else node_text(program, i),
                                 *shape(i), "" if blank else value_cell(trace, i, p))))
    if trace.program.calls:
        out.append(calls(trace, max_rows))
    edges = trace.edges() if edges is None else edges
    if edges:
        rules = shapes is not None and any(map(trace.is_rule, edges))
        out.append(_table("partials",
                          "Local partials ∂wⱼ/∂wᵢ on the edges, in backward order"
                          + (RULE_NOTE if rules else ""),
                          ("edge", "formula", "value"), len(edges), max_rows,
                          lambda k: (f"∂{node_id(edges[k].target)}/∂{node_id(edges[k].source)}",
                                     "" if blank else edge_formula(program, edges[k],
                                                                   shapes=trace.tensor_shapes),
                                     "" if blank else edge_cell(trace, edges[k], p))))
    if options.mode != "reverse" and trace.tangents is not None:
        out.extend(tangents(trace, options))
    if nodes and options.mode != "forward" and trace.has_adjoints:
        out.append(adjoints(trace, options, edges))
    if trace.second is not None:
        out.extend(second_passes(trace, options))
    return out


def output_line(trace: Trace, options: Options) -> str:
    """`f = w7 = 1.5`; for a constant `f = 2*pi = 6.28319` (the constant as folded)."""
    out = trace.program.output
    value = "" if options.blank else number_cell(trace.value, output_exact(trace),
                                                 options.precision)
    # a folded constant's text is re-read and simplified, as the formulas' are: 2/3, not
    # the (1/3)*2 that lowering writes from u = 1/3; u*2
    text = None if type(out) is int else show(out, "ascii")
    where = f" = {node_id(out)}" if type(out) is int else (
        f" = {text}" if text != value else "")
    return f"{trace.output_name}{where} = {value}"


def constant_note(trace: Trace) -> str | None:
    """What every format says of an expression without inputs, in place of its tables."""
    if trace.program.nodes:
        return None
    return "a constant: there are no inputs, so there is nothing to differentiate"


def adjoints(trace: Trace, options: Options, edges) -> Table:
    """w̄n first, as the backward pass goes: the chain-rule sum and, beside it, the same
    adjoint simplified in terms of the w's (derived for the rows shown only)."""
    program, p, blank = trace.program, options.precision, options.blank
    succ = trace.successors(edges)
    # simplified forms are of scalar formulas; vectors and matrices have their rules
    simplified = None if trace.tensor else Adjoints(trace, succ)
    order = list(range(len(program.nodes) - 1, -1, -1))

    def adjoint(k):
        i = order[k]
        if blank:
            return (var_name(i, True, "unicode"), "", "", "")[:len(columns)]
        seed = "  (seed)" if i == program.output else ""
        cells = [var_name(i, True, "unicode"),
                 adjoint_formula(trace, i, succ[i], max_terms=MAX_TERMS) + seed]
        if simplified is not None and not simplified.too_big:
            f = simplified.formula(i)
            cells.append(show(f) if f is not None else TOO_LONG)
        return (*cells, adjoint_cell(trace, i, p))

    columns = ("adjoint", "chain rule", "simplified", "value")
    title = f"Adjoints w̄ᵢ = Σⱼ w̄ⱼ·∂wⱼ/∂wᵢ, from the seed w̄ₙ = {seed_text(trace, p)}"
    if simplified is None:
        columns = ("adjoint", "chain rule", "value")
    elif simplified.too_big:
        columns = ("adjoint", "chain rule", "value")
        title = ("Adjoints w̄ᵢ = Σⱼ w̄ⱼ·∂wⱼ/∂wᵢ, from w̄ₙ = 1 "
                 f"(not simplified: over {MAX_NODES} nodes)")
    return _table("adjoints", title, columns, len(order), options.max_rows, adjoint)


TANGENT_COLUMNS = 3  # input passes per tangent table; more inputs take more tables


def tangents(trace: Trace, options: Options) -> list[Table]:
    """ẇ of every node on each input's pass, w1 first, as forward accumulation goes; the
    first table also has each node's tangent formula (ẇ4 = ẇ1·w2 + w1·ẇ2)."""
    program, fw, blank = trace.program, trace.tangents, options.blank
    out = []
    for start in range(0, len(fw.inputs), TANGENT_COLUMNS):
        names = fw.inputs[start:start + TANGENT_COLUMNS]
        first = start == 0 and not trace.tensor  # formulas of tangents are of scalars

        def row(i, names=names, start=start, first=first):
            cells = [f"ẇ{i + 1}"]
            if first:
                cells.append("(seed)" if i < program.n_inputs else
                             "" if blank else show(tangent_formula(program, i)))
            return (*cells, *["" if blank else pass_cell(trace, i, fw.tangents[start + k][i],
                                                           options.precision)
                              for k in range(len(names))])

        columns = ("tangent", *(["formula"] if first else []), *[f"ẇ ({n})" for n in names])
        title = ("Tangents, continued" if start else
                 "Tangents ẇⱼ = Σₖ ∂wⱼ/∂wₖ·ẇₖ, one forward pass per input, seeded with "
                 "ẇ = 1 on it" if not trace.tensor else
                 "Tangents ẇⱼ, one forward pass per input entry (ẇ = 1 on it), by each "
                 "op's Jacobian–vector product")
        out.append(_table("tangents", title, columns, len(program.nodes), options.max_rows, row))
    return out


TOO_LONG = "too long"  # a simplified form past simplify.MAX_SIZE: the chain rule stands


def gradient(trace: Trace, options: Options) -> Table | None:
    """One row per input: where its partial is read (w̄ᵢ in reverse mode, the output's
    tangent on its pass in forward mode), or both modes' numbers side by side; with
    --expand, also in terms of the inputs."""
    if not trace.gradient:
        return None
    program, p, blank = trace.program, options.precision, options.blank
    name, out = trace.output_name, program.output
    forward = trace.tangents if options.mode != "reverse" else None
    both = options.mode == "both" and forward is not None
    expand = options.expand and not trace.tensor  # expanded forms are of scalars
    expanded = {}
    if expand and not blank:
        expanded = expanded_gradient(Adjoints(trace))
    shapes = trace.shapes if trace.tensor else None
    seeded = seed_text(trace, p) != "1"
    d = "vᵀ·∂" if seeded else "∂"  # with a seed v, the gradient of vᵀ·f, as y.backward(v)
    columns = ["input"] + (["shape"] if shapes else [])
    columns += ["forward", "reverse"] if both else ["partial"]
    columns += ["in terms of the inputs"] if expand else []
    columns += [] if both else ["value"]
    rows_ = []
    for k, var in enumerate(program.inputs):
        cells = [var] + ([shape_text(shapes[k])] if shapes else [])
        if both:
            cells += ["" if blank else fmt(forward.gradient[var], p),
                      "" if blank else fmt(trace.gradient[var], p)]
        elif forward is not None:
            each = "[…]" if shapes and shapes[k] else ""  # a pass per entry: ẇ3 (x[…])
            dot = f"ẇ{out + 1} ({var}{each})" if type(out) is int else "0"
            cells.append(f"{d}{name}/∂{var} = {dot}")
        else:
            cells.append(f"{d}{name}/∂{var} = {var_name(k, True, 'unicode')}")
        if expand:
            f = expanded.get(var)
            cells.append("" if blank else show(f) if f is not None else TOO_LONG)
        if not both:
            cells.append("" if blank else fmt(forward.gradient[var], p) if forward
                         else gradient_cell(trace, var, p))
        rows_.append(tuple(cells))
    return Table("gradient", "Gradient of vᵀ·f, as y.backward(v)" if seeded else "Gradient",
                 tuple(columns), rows_, [], 0)


def second_passes(trace: Trace, options: Options) -> list[Table]:
    """Forward over reverse, one table per pass: each node's tangent ẇᵢ, its adjoint w̄ᵢ
    and the tangent of the adjoint ẇ̄ᵢ (the second-order adjoint), w1 first; the first
    pass also has the formulas, as the tangent table has them (of scalars: vectors and
    matrices have their rules)."""
    from ..symbolic.second import adjoint_tangent_formula

    program, second, blank, p = trace.program, trace.second, options.blank, options.precision
    formulas = not trace.tensor
    succ = trace.successors() if formulas else None
    out = []
    head, tail = rows(len(second.inputs), options.max_rows)  # many passes: the first, last
    for k in [*head, *tail]:
        name = second.inputs[k]
        first = k == 0 and formulas
        dot, bar = second.tangents[k], second.adjoint_tangents[k]

        def row(i, first=first, dot=dot, bar=bar):
            cells = [node_id(i)]
            if first:
                cells.append("(seed)" if i < program.n_inputs else
                             "" if blank else show(tangent_formula(program, i)))
            cells.append("" if blank else pass_cell(trace, i, dot[i], p))
            cells.append("" if blank else adjoint_cell(trace, i, p))
            if first:
                cells.append("" if blank else adjoint_tangent_formula(trace, i, succ[i]))
            cells.append("" if blank else pass_cell(trace, i, bar[i], p))
            return tuple(cells)

        columns = ("node", *(["ẇ formula"] if first else []), "ẇ", "w̄",
                   *(["ẇ̄ formula"] if first else []), "ẇ̄")
        seed = ("along v = " + ", ".join(f"{n} = {fmt(v, p)}"
                                         for n, v in second.direction.items())
                if name == "v" else f"ẇ = 1 on {name}")
        title = ((f"(passes {len(head) + 1} to {tail[0]} not shown: --max-rows) "
                  if tail and k == tail[0] else "")
                 + f"Second-order pass {k + 1} of {second.passes} ({seed}): tangents ẇᵢ, "
                 "adjoints w̄ᵢ and their tangents ẇ̄ᵢ = Σⱼ ẇ̄ⱼ·∂wⱼ/∂wᵢ + w̄ⱼ·(∂wⱼ/∂wᵢ)˙, "
                 "from ẇ̄ₙ = 0")
        out.append(_table("second", title, columns, len(program.nodes), options.max_rows, row))
    return out


def hessian(trace: Trace, options: Options) -> list[Table]:
    """The Hessian: a matrix when every input is a number, else one row per pair of
    inputs with its shape; H·v per input for --hvp; with --expand each second derivative
    in terms of the inputs."""
    second = trace.second
    if second is None:
        return []
    p, blank, name = options.precision, options.blank, trace.output_name
    inputs = trace.program.inputs
    out = []
    if second.hessian is not None:
        h = second.hessian
        if not trace.tensor:
            rows_ = [(f"∂/∂{a}", *["" if blank else fmt(h[a][b], p) for b in inputs])
                     for a in inputs]
            columns = (f"∂²{name}", *[f"∂/∂{b}" for b in inputs])
        else:
            rows_ = [(f"∂²{name}/∂{a}∂{b}", shape_text(np.shape(h[a][b])),
                      "" if blank else fmt_value(h[a][b], p, max_entries=36))
                     for a in inputs for b in inputs]
            columns = ("entry", "shape", "value")
        n = sum(1 for x in second.inputs if x != "v")
        out.append(Table("hessian", f"Hessian, by {n} forward-over-reverse pass"
                                    f"{'es' if n != 1 else ''} (one per input entry: the "
                                    "column is ẇ̄ at the inputs)", columns, rows_, [], 0))
        if options.expand and not trace.tensor and not blank:
            from ..symbolic.second import expanded_hessian

            forms = expanded_hessian(trace)
            rows_ = [(f"∂²{name}/∂{a}∂{b}" if a != b else f"∂²{name}/∂{a}²",
                      forms[a][b] or TOO_LONG)
                     for k, a in enumerate(inputs) for b in inputs[k:]]
            out.append(Table("hessian", "Second derivatives in terms of the inputs",
                             ("entry", "in terms of the inputs"), rows_, [], 0))
    if second.hvp is not None:
        rows_ = [(f"(H·v)[{a}]", "" if blank else fmt(v, p)) for a, v in second.hvp.items()]
        out.append(Table("hessian", "Hessian–vector product H·v, by one forward-over-reverse "
                                    "pass along v (ẇ̄ at the inputs)",
                         ("entry", "value"), rows_, [], 0))
    return out


def modes_line(trace: Trace, options: Options) -> str | None:
    """With --mode both: whether the two modes agree, and the passes each took."""
    forward = trace.tangents
    if options.mode != "both" or forward is None or not trace.gradient or options.blank:
        return None
    diff = largest_difference(forward.gradient, trace.gradient)
    verdict = "agree" if modes_agree(forward.gradient, trace.gradient) else "DISAGREE"
    passes = forward.passes
    return (f"Forward and reverse mode {verdict}: the largest difference is {fmt(diff, 3)}. "
            f"Forward mode took {passes} pass{'es' if passes != 1 else ''} (one per input"
            f"{' entry' if trace.tensor else ''}), "
            "reverse mode 1.")


def seed_text(trace: Trace, precision: int) -> str:
    """1, or v = [1, 0.5] when --seed gave the output's adjoint."""
    seed = trace.seed
    if seed is None or not (np.ndim(seed) or seed != 1):
        return "1"
    return f"v = {fmt(seed, precision)}"


def jacobian(trace: Trace, options: Options) -> Table | None:
    """--jacobian: ∂f/∂x per input, and which way it was computed."""
    if trace.jacobian is None:
        return None
    jac, mode, passes = trace.jacobian
    per = "output entry" if mode == "reverse" else "input entry"
    n_out = int(np.size(trace.value))
    other = sum(int(np.size(v)) for v in trace.point.values()) if mode == "reverse" else n_out
    other_mode = "forward" if mode == "reverse" else "reverse"
    rows_ = [(f"∂{trace.output_name}/∂{var}", shape_text(j.shape),
              "" if options.blank else fmt_value(j, options.precision, max_entries=36))
             for var, j in jac.items()]
    return Table("jacobian", f"Jacobian, by {passes} {mode} pass{'es' if passes != 1 else ''} "
                             f"(one per {per}; {other_mode} mode would take {other})",
                 ("input", "shape", "value"), rows_, [], 0)
