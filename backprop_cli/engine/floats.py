"""The scalar passes of one program, prepared once as flat lists and run over Python
floats: the hot path of descent (tasks/descent.py), where each step is a forward and a
reverse pass at a new point and, for Newton's method, the Hessian.

The same passes as passes.py's scalar loops, operand by operand in the same order, with
the op table's float forms (Op.floats: the math module) instead of numpy's functions: no
numpy scalar, no errstate, no diagnostics. A float form raises wherever the array form
would leave its domain (math.log(-1), 1/0, math.exp(1000)); then, and whenever the loss
or the gradient is not finite, a pass answers None and the caller runs the numpy drivers,
which say what happened (a domain error naming the node, an overflow, 0·inf taken as 0).
So where both answer, they agree, up to the last digit or two where math's functions and
numpy's round differently (tests/test_fast_paths.py holds them side by side).

A program of vectors, one with a where, a structural zero or an op with no float form
(max, floor, …) is not prepared (`prepare` gives None): the drivers run it.
"""

from __future__ import annotations

import math

from .passes import Layout
from .program import Program

_FAILS = (ArithmeticError, ValueError)  # what a float form raises outside the finite


class Floats:
    """A program's passes over floats. gradient(point) → (loss, gradient) or None;
    loss(point) → the loss or None; hessian() → ∇² at the last gradient's point, or
    None."""

    def __init__(self, program: Program, lay: Layout, forms: list):
        n_in, n = program.n_inputs, len(program.nodes)
        self.n_in, self.n, self.out = n_in, n, program.output
        # the value list: the inputs, the nodes, then the constants (as the drivers')
        self.blank = [0.0] * n + [float(c) for c in lay.consts]
        self.code = []  # (forward, operand slot, second operand's slot or -1, node)
        for j, (f, _, _), s in zip(range(n_in, n), forms, lay.slots):
            self.code.append((f, s[0], s[1] if len(s) == 2 else -1, j))
        reached = [False] * n  # whether the output's adjoint reaches the node, by structure
        reached[self.out] = True
        # the reached nodes, last first: (node, a, b or -1, ∂/∂a, ∂/∂b; None for a constant)
        self.back = []
        for j in range(n - 1, n_in - 1, -1):
            if not reached[j]:
                continue
            s, parts = lay.slots[j - n_in], forms[j - n_in][1]
            pa = parts[0] if s[0] < n else None
            pb = parts[1] if len(s) == 2 and s[1] < n else None
            self.back.append((j, s[0], s[1] if len(s) == 2 else -1, pa, pb))
            for i in s:
                if i < n:
                    reached[i] = True
        # the adjoints start at -0.0 where one arrives (-0.0 + x is x, signed zeros too, as
        # the drivers' first push assigned), and stay 0.0 where none does
        self.zero_adj = [-0.0 if r else 0.0 for r in reached]
        self.reached = reached
        self.slots = lay.slots
        self.no_dots = [0.0] * n
        self.no_partials = [None] * n
        self.seconds = [None] * n_in + [sec for _, _, sec in forms]
        self.columns: list | None = None  # the Hessian's, prepared at its first call
        self.vals: list | None = None
        self.adj: list | None = None

    def _forward(self, point: list) -> list:
        v = self.blank[:]
        v[:self.n_in] = point
        for f, a, b, j in self.code:
            v[j] = f(v[a]) if b < 0 else f(v[a], v[b])
        return v

    def loss(self, point: list) -> float | None:
        """E(θ), or None: the drivers decide."""
        try:
            value = self._forward(point)[self.out]
        except _FAILS:
            return None
        return value if math.isfinite(value) else None

    def gradient(self, point: list) -> tuple[float, list] | None:
        """E(θ) and ∇E(θ), one forward and one reverse pass; or None: the drivers decide.
        The values and adjoints stay for hessian()."""
        try:
            v = self._forward(point)
            adj = self.zero_adj[:]
            adj[self.out] = 1.0
            for j, a, b, pa, pb in self.back:
                g = adj[j]
                if b < 0:
                    adj[a] += g * pa(v[a], v[j])
                    continue
                x, y, o = v[a], v[b], v[j]
                if pa is not None:
                    adj[a] += g * pa(x, y, o)
                if pb is not None:
                    adj[b] += g * pb(x, y, o)
        except _FAILS:
            return None
        loss, grad = v[self.out], adj[:self.n_in]
        # one sum for all: it is inf or nan where any is (or, rarely, by overflow: then
        # the drivers take the point, and say the same)
        if not math.isfinite(loss + sum(grad)):
            return None
        self.vals, self.adj = v, adj
        return loss, grad

    def hessian(self) -> list[list[float]] | None:
        """∇²E at the last gradient's point, by forward over reverse as passes.tangent and
        passes.adjoint_tangent compute it: per input a tangent pass (ẇ = 1 on it) and the
        tangent of the reverse pass, whose ẇ̄ at the inputs is the Hessian's column. The
        local first and second partials are computed once for all columns, and which
        terms a column has (the structural zeros) once per program. None where a value
        is not finite: the drivers decide."""
        v, adj, n_in = self.vals, self.adj, self.n_in
        if self.columns is None:
            self.columns = [self._column_code(k) for k in range(n_in)]
        try:
            first, second, sec = self._locals(v)
            columns = []
            for tangents, backs, blank in self.columns:
                dot = self.no_dots[:]
                dot[tangents[0][0]] = 1.0  # the seeded input
                for j, a, b in tangents[1:]:  # ẇ_j = Σ ∂w_j/∂w_i·ẇ_i, operands that move
                    if b < 0:
                        dot[j] = first[j] * dot[a]
                    elif a < 0:
                        dot[j] = second[j] * dot[b]
                    else:
                        dot[j] = first[j] * dot[a] + second[j] * dot[b]
                bar = blank[:]
                for j, a, b, m0, m1, hj in backs:
                    # ẇ̄_i += w̄_j·(∂w_j/∂w_i)˙ + ẇ̄_j·∂w_j/∂w_i, the partial's
                    # tangent Σ_m ∂²w_j/∂w_i∂w_m·ẇ_m over the operands that move
                    g = adj[j]
                    aa, ab, bb = sec[j]
                    if m1 is None:  # one operand, multiplied as passes' loop does
                        term = g * aa * dot[a] if m0 else None
                        bar[a] += _plus(term, hj, bar[j], first[j])
                        continue
                    if a >= 0:
                        bar[a] += _plus(_moving(g, aa, ab, dot, a, b, m0, m1), hj, bar[j],
                                        first[j])
                    if b >= 0:
                        bar[b] += _plus(_moving(g, ab, bb, dot, a, b, m0, m1), hj, bar[j],
                                        second[j])
                columns.append(bar)
        except _FAILS:
            return None
        h = [[column[a] for column in columns] for a in range(n_in)]
        for row in h:
            if not all(map(math.isfinite, row)):
                return None
        return h

    def _locals(self, v: list) -> tuple[list, list, list]:
        """Per node the output's adjoint reaches, its partials as the reverse pass computed
        them, and its second partials (aa, ab, bb); None where an operand is a constant."""
        first, second, sec = self.no_partials[:], self.no_partials[:], self.no_partials[:]
        for j, a, b, pa, pb in self.back:
            secs = self.seconds[j]
            if b < 0:
                x, o = v[a], v[j]
                first[j] = pa(x, o)
                sec[j] = (secs[0](x, o), None, None)
                continue
            x, y, o = v[a], v[b], v[j]
            if pa is not None:
                first[j] = pa(x, y, o)
            if pb is not None:
                second[j] = pb(x, y, o)
            sec[j] = (secs[0](x, y, o) if pa is not None else None,
                      secs[1](x, y, o) if pa is not None and pb is not None else None,
                      secs[2](x, y, o) if pb is not None else None)
        return first, second, sec

    def _column_code(self, k: int) -> tuple[list, list, list]:
        """The terms of the Hessian's column k, fixed by the program's structure: the
        tangent pass's nodes that move, (node, operand or -1, operand or -1), the seeded
        input first; the reverse tangent's nodes, (node, a, b, a moves, b moves (None for
        an op of one operand), ẇ̄_node is not a structural zero), an operand -1 for a
        constant or where there is none;
        and ẇ̄'s blank: -0.0 where a term arrives (-0.0 + x is x), else 0.0."""
        n_in, n, slots = self.n_in, self.n, self.slots
        moved = [False] * len(self.blank)
        moved[k] = True
        tangents = [(k, -1, -1)]
        for j, s in zip(range(n_in, n), slots):
            if not self.reached[j]:  # what it moves reaches the output through no node
                continue
            a = s[0] if moved[s[0]] else -1
            b = s[1] if len(s) == 2 and moved[s[1]] else -1
            if a >= 0 or b >= 0:
                moved[j] = True
                tangents.append((j, a, b))
        has = [False] * n
        backs = []
        for j in range(n - 1, n_in - 1, -1):
            if not self.reached[j]:
                continue
            s = slots[j - n_in]
            m0 = moved[s[0]]
            m1 = moved[s[1]] if len(s) == 2 else None
            if not (has[j] or m0 or m1):
                continue
            a = s[0] if s[0] < n else -1
            b = s[1] if len(s) == 2 and s[1] < n else -1
            backs.append((j, a, b, m0, m1, has[j]))
            for i in (a, b):
                if i >= 0:
                    has[i] = True
        return tangents, backs, [-0.0 if h else 0.0 for h in has]


def _moving(g, ca, cb, dot, a, b, m0, m1):
    """w̄_j·(ca·ȧ + cb·ḃ) over the operands that move (passes._binary_terms' order), or
    None where neither does."""
    if m0:
        term = ca * dot[a]
        if m1:
            term = term + cb * dot[b]
        return g * term
    return g * (cb * dot[b]) if m1 else None


def _plus(term, hj, bar_j, p):
    """term + ẇ̄_j·∂w_j/∂w_i, where ẇ̄_j is not a structural zero."""
    if not hj:
        return term
    return bar_j * p if term is None else term + bar_j * p


def prepare(program: Program, lay: Layout) -> Floats | None:
    """The program's float passes, or None where only the drivers can run it."""
    if lay.general or lay.masked or lay.gates or type(program.output) is not int:
        return None
    forms = []
    n = len(program.nodes)
    for op, s in zip(lay.ops, lay.slots):
        if op.floats is None or (len(s) == 1 and s[0] >= n):
            return None
        f, parts, sec = op.floats
        forms.append((f, parts or op.partials, sec or op.second))
    return Floats(program, lay, forms)
