"""The result of a run: plain data every renderer reads. No printer, no simplifier, no
sentence: formulas are derived on demand by symbolic/ from the program and the op table,
and render/ writes every word, so a 10^6-node run pays nothing for text nobody prints.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .program import Program


class Diagnostic(NamedTuple):
    """Something the user should know about a run that is not an error, as data.

    kind: "kink" (a node evaluated where its op has no derivative; the op table's
    kink_text says which convention was used), "second_kink" (the same node, when second
    derivatives were taken: kink2_text), "no_second_derivative" (a node's second partial
    is not finite where its operands are, x**1.5 at 0, and the Hessian is not finite),
    "overflow" (a value came out infinite),
    "not_differentiable" (an infinite or nan partial on the edge operand → node reached
    the gradient), "domain" (over points only: a node left its domain there, its value is
    nan). Over many points (a sweep) `count` says at how many of `points` it happened."""

    kind: str
    node: int  # the node's index in the program
    operand: int | None = None  # the edge's operand node, for "not_differentiable"
    value: float | None = None  # the infinite value or partial, at one point
    count: int | None = None  # over points: where it happened
    points: int | None = None  # over points: of how many


_POSITION = ((0,), (1,))


class Edge(NamedTuple):
    """source → target, as the data flows: node `target` uses node `source`, at the
    operand positions listed (`x*x` is one edge w1 → w2 with two positions)."""

    source: int
    target: int
    positions: tuple[int, ...]


class VJP:
    """On an edge of an op whose Jacobian is not diagonal (A @ x, sum, x[:2]): not a
    partial but what the reverse pass pushed along the edge, the vector–Jacobian product
    w̄_j·∂w_j/∂w_i, in w_i's shape. (A plain class: a NamedTuple costs start-up time.)"""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Partials:
    """Each node's local partials, as a tuple aligned with its operands (None for a
    constant, () for an input). The reverse pass keeps them as two flat lists, first
    and second operand: building a tuple for every node cost it 12–17%."""

    __slots__ = ("first", "second", "arity", "third")

    def __init__(self, first: list, second: list, arity: list, third: list | None = None):
        self.first, self.second, self.arity = first, second, arity
        self.third = third  # for ops of three operands (where, clip), when there are any

    def __len__(self) -> int:
        return len(self.arity)

    def __getitem__(self, j: int) -> tuple:
        k = self.arity[j]
        if k == 3:
            return (self.first[j], self.second[j], self.third[j])
        return (self.first[j], self.second[j]) if k == 2 else (self.first[j],) if k else ()

    def __iter__(self):
        return (self[j] for j in range(len(self)))


class Tangents(NamedTuple):
    """Forward mode: one tangent pass per input entry (an input's name, or x[0], x[1], …
    for the entries of an array), each the tangent ẇ of every node with ẇ = 1 on it."""

    inputs: list[str]  # the pass names, in order
    tangents: list[list]  # per pass, the tangent ẇ of every node
    gradient: dict[str, object]  # ∂output/∂input in the input's shape, from the passes
    passes: int


class Jacobian(NamedTuple):
    entries: dict[str, np.ndarray]  # input → ∂output/∂input, shaped output + input
    mode: str  # "reverse": a pass per output entry; "forward": a pass per input entry
    passes: int


class SecondOrder(NamedTuple):
    """Forward over reverse: per pass (an input entry for the Hessian, or the direction of
    --hvp) the tangent ẇ of every node and the tangent ẇ̄ of every adjoint."""

    inputs: list[str]  # the pass names: x, y, x[0], …; "v" for a direction
    tangents: list[list]  # per pass, ẇ of every node
    adjoint_tangents: list[list]  # per pass, ẇ̄ of every node
    hessian: dict[str, dict[str, object]] | None  # ∂²f/∂a∂b, shaped a.shape + b.shape
    hvp: dict[str, object] | None  # H·v per input, in the input's shape
    direction: dict[str, object] | None  # v, per input

    @property
    def passes(self) -> int:
        return len(self.inputs)


# How a notebook shows a Trace (IPython calls _repr_html_ and _repr_markdown_): the engine
# writes no text, so the writers are registered here from above, by render/notebook.py,
# which the package's public names (backprop_cli.differentiate, …) import. Until then the
# methods return None and IPython falls back to the plain repr.
DISPLAY: dict = {}  # "html" / "markdown" -> function(trace) -> str


class Trace(NamedTuple):
    # A NamedTuple, not a dataclass: creating a dataclass costs milliseconds at import,
    # and every run of the command pays for its imports.
    program: Program
    point: dict[str, float]  # the input values
    values: list  # value of each node
    partials: Partials  # per node, a tuple aligned with its operands (None for a constant)
    adjoints: list | None  # adjoint of each node; None for --jacobian without a seed
    value: float  # the output's value
    gradient: dict[str, float] | None  # ∂output/∂input for each input
    diagnostics: list[Diagnostic]
    tangents: Tangents | None = None  # when forward mode ran too
    seed: object = None  # the output's adjoint the reverse pass started from (tensors)
    jacobian: Jacobian | None = None
    tensor: bool = False  # run by the general loops: vectors, matrices, a seed, --jacobian
    second: SecondOrder | None = None  # --hessian, --hvp
    # the inputs' values as typed (y → "pi/2"), for what is known of them exactly
    input_texts: dict[str, str] | None = None
    # per node in a branch that a where did not take at this point, that where node
    untaken: dict[int, int] | None = None

    def _repr_html_(self) -> str | None:
        show = DISPLAY.get("html")
        return None if show is None else show(self)

    def _repr_markdown_(self) -> str | None:
        show = DISPLAY.get("markdown")
        return None if show is None else show(self)

    @property
    def has_adjoints(self) -> bool:
        """False for --jacobian of a vector output without a seed: no one reverse pass."""
        return self.adjoints is not None

    @property
    def tensor_shapes(self) -> "Shapes | None":
        """The shapes with vectors or matrices, which their formulas need; else None."""
        return Shapes(self.values) if self.tensor else None

    @property
    def shapes(self) -> list[tuple]:
        """Every node's shape: () for a scalar."""
        return [np.shape(v) for v in self.values]

    @property
    def output_name(self) -> str:
        return self.program.output_name or "f"

    def edges(self) -> list[Edge]:
        """Every edge once, in the order the backward pass visits them: from the last node
        down, operands left to right."""
        out = []
        append = out.append
        make = tuple.__new__  # Edge(…) without its Python-level __new__: 10^6 of them
        nodes = self.program.nodes
        for j in range(len(nodes) - 1, self.program.n_inputs - 1, -1):
            args = nodes[j].args
            if len(args) == 1 or (len(args) == 2 and args[0] != args[1]):
                for k, a in enumerate(args):  # the common case: each operand once
                    if type(a) is int:
                        append(make(Edge, (a, j, _POSITION[k])))
                continue
            seen: dict[int, list[int]] = {}
            for k, a in enumerate(args):
                if type(a) is int:
                    seen.setdefault(a, []).append(k)
            out.extend(Edge(i, j, tuple(ks)) for i, ks in seen.items())
        return out

    def edge_value(self, edge: Edge):
        """The edge's partial; for a vector–Jacobian product (`is_rule`), what it pushed."""
        ps = [self.partials[edge.target][k] for k in edge.positions]
        if type(ps[0]) is VJP and ps[0].value is None:
            return None  # --jacobian without a seed: no one backward pass to show
        return sum(p.value if type(p) is VJP else p for p in ps)

    def is_rule(self, edge: Edge) -> bool:
        return type(self.partials[edge.target][edge.positions[0]]) is VJP

    def successors(self, edges: list[Edge] | None = None) -> list[list[Edge]]:
        """For each node, the edges to the nodes that use it, in node order. Pass the
        edges when you have them: listing them walks the whole program."""
        succ: list[list[Edge]] = [[] for _ in self.program.nodes]
        for edge in reversed(self.edges() if edges is None else edges):
            succ[edge.source].append(edge)
        return succ


class Shapes:
    """Node i's shape, np.shape of its value, when asked for: shapes[i]."""

    __slots__ = ("values",)

    def __init__(self, values: list):
        self.values = values

    def __getitem__(self, i: int) -> tuple:
        return np.shape(self.values[i])


def largest_difference(a: dict, b: dict) -> float:
    """max |a_k − b_k| over the entries of two gradients: how far two modes disagree.
    nan against nan agrees; nan against a number is a nan difference."""
    worst = 0.0
    for k in a:
        x = np.asarray(a[k], dtype=float)
        y = np.asarray(b[k], dtype=float)
        with np.errstate(all="ignore"):
            d = np.where((x == y) | (np.isnan(x) & np.isnan(y)), 0.0, np.abs(x - y))
        if np.isnan(d).any():
            return float("nan")
        worst = max(worst, float(np.max(d, initial=0.0)))
    return worst


AGREE = 1e-10  # the relative difference within which two modes' gradients agree


def modes_agree(a: dict, b: dict, rtol: float = AGREE) -> bool:
    """Whether two gradients agree entry by entry, each to rtol of its own size: 0 and
    0.2567 do not, however large the other entries are. nan agrees with nan only; inf
    with the same inf."""
    for k in a:
        x = np.asarray(a[k], dtype=float)
        y = np.asarray(b[k], dtype=float)
        with np.errstate(all="ignore"):
            same = (x == y) | (np.isnan(x) & np.isnan(y)) \
                | (np.abs(x - y) <= rtol * np.maximum(np.abs(x), np.abs(y)))
        if not np.all(same):
            return False
    return True
