"""Formulas of the second-order pass (forward over reverse), as the tables print those of the
first: the tangent ẇ_j of each node (ẇ4 = ẇ1·w2 + w1·ẇ2), the tangent of each adjoint

    ẇ̄_i = Σ_j ẇ̄_j·∂w_j/∂w_i + w̄_j·Σ_m ∂²w_j/∂w_i∂w_m·ẇ_m      (over the nodes j that use w_i)

with the op table's second templates, and with --expand each second derivative in terms
of the inputs: the same pass run on simplify's normal forms (the tangent of the input b's
pass, then the adjoints' tangents, substituted down to the inputs). Nothing here computes
a number: the engine's passes do.
"""

from __future__ import annotations

from .formula import (Param, Var, edge_partial, scaled_term, second_partial, show,
                      signed_sum)
from .simplify import (MAX_EXPANDED, MAX_NODES, Adjoints, TooLong, _has_bar, add, atom,
                       checked, expansions, mul, normal, substitute, tangent_formula,
                       to_formula)

def dot_name(i: int, bar: bool) -> str:
    """ẇ4, or ẇ̄4 for the tangent of w̄4 (formula.show spells them in each style)."""
    return f"{'ẇ̄' if bar else 'ẇ'}{i + 1}"


def tangent_texts(program, style: str = "unicode") -> list[str]:
    """ẇ_j's formula per node; "(seed)" for an input."""
    out = []
    for j in range(len(program.nodes)):
        if j < program.n_inputs:
            out.append("(seed)")
            continue
        out.append(show(tangent_formula(program, j), style))
    return out


def adjoint_tangent_formula(trace, i: int, successors: list, style: str = "unicode") -> str:
    """ẇ̄_i = Σ_j ẇ̄_j·∂w_j/∂w_i + w̄_j·(∂w_j/∂w_i)˙ over the edges i → j, each partial's
    tangent simplified; the output's is 0 (its seed is a constant)."""
    program = trace.program
    if program.output == i or not successors:
        return "0"
    parts = []
    for edge in successors:
        j = edge.target
        first = scaled_term(Param(dot_name(j, True)), edge_partial(program, edge), style)
        if first is not None:
            parts.append(first)
        moving = _partial_tangent(program, edge)
        if moving:
            term = scaled_term(Var(j, True), to_formula(moving), style)
            if term is not None:
                parts.append(term)
    return signed_sum(parts, style)


def _partial_tangent(program, edge) -> dict:
    """(∂w_j/∂w_i)˙ = Σ_m ∂²w_j/∂w_i∂w_m·ẇ_m over the edge's positions k and the node
    operands m of w_j, as a normal form with the tangents as simplify's ẇ atoms."""
    j = edge.target
    args = program.nodes[j].args
    total: dict = {}
    for k in edge.positions:
        for m, a in enumerate(args):
            if type(a) is int:
                total = add(total, mul(normal(second_partial(program, j, k, m)),
                                       atom((2, a, 1))))
    return total


def adjoint_tangent_formulas(trace, style: str = "unicode") -> list[str]:
    """adjoint_tangent_formula of every node, in node order."""
    succ = trace.successors()
    return [adjoint_tangent_formula(trace, i, succ[i], style)
            for i in range(len(trace.program.nodes))]


def expanded_hessian(trace, style: str = "unicode") -> dict[str, dict[str, str | None]]:
    """∂²f/∂a∂b in terms of the inputs, per pair of inputs (None where a form is too long
    or the graph too big): forward over reverse on normal forms, seeded ẇ_b = 1."""
    program = trace.program
    names = program.inputs
    n = len(program.nodes)
    out: dict = {a: {b: None for b in names} for a in names}
    if n > MAX_NODES:
        return out
    adjoints = Adjoints(trace)
    succ = adjoints.succ
    bars = [adjoints.normal(i) for i in range(n)]
    env = None
    for kb, b in enumerate(names):
        try:
            forms = _second_pass(program, succ, bars, kb)
        except TooLong:
            continue
        for ka, a in enumerate(names):
            s = forms[ka]
            if s is None or _has_bar(s):
                continue
            if env is None:
                env = expansions(program, n)
            try:
                e = substitute(s, env)
            except TooLong:
                continue
            out[a][b] = show(to_formula(e, var=lambda i: Param(names[i])), style)
    return out


def _second_pass(program, succ, bars, kb: int) -> list:
    """ẇ and then ẇ̄ of every node as normal forms in the w's, for ẇ_b = 1 (input kb)."""
    n = len(program.nodes)
    dots: list = [{} for _ in range(n)]
    dots[kb] = {(): 1}
    for j in range(program.n_inputs, n):
        total: dict = {}
        for edge in _edges_into(program, j):
            d = dots[edge.source]
            if d:
                total = add(total, mul(normal(edge_partial(program, edge)), d))
        dots[j] = checked(total, MAX_EXPANDED)
    bardots: list = [{} for _ in range(n)]
    for i in range(n - 1, -1, -1):
        total = {}
        for edge in succ[i]:
            j = edge.target
            if bardots[j]:
                total = add(total, mul(bardots[j], normal(edge_partial(program, edge))))
            bar = bars[j]
            if bar is None:
                raise TooLong("an adjoint is too long")
            if bar:
                moving = _partial_tangent(program, edge)
                # ẇ_m atoms stand for the pass's tangents: put them in
                total = add(total, mul(bar, _with_dots(moving, dots)))
        bardots[i] = checked(total, MAX_EXPANDED)
    return bardots


def _with_dots(s: dict, dots: list) -> dict:
    """A normal form with each tangent atom (2, m, 1) replaced by the pass's ẇ_m."""
    out: dict = {}
    for m, c in s.items():
        term = {(): c}
        for a, e in m:
            if a[0] == 2 and a[2]:
                factor = dots[a[1]]
                for _ in range(int(e)):
                    term = mul(term, factor)
            else:
                term = mul(term, {((a, e),): 1})
        out = add(out, term)
    return out


def _edges_into(program, j: int):
    from ..engine.trace import Edge

    seen: dict = {}
    for k, a in enumerate(program.nodes[j].args):
        if type(a) is int:
            seen.setdefault(a, []).append(k)
    return [Edge(i, j, tuple(ks)) for i, ks in seen.items()]
