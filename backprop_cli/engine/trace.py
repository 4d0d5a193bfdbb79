"""The result of a run: plain data every renderer reads. No terminal, no formatting.

Formulas are not stored: they are derived on demand from the program and the op table's
templates (formula.py), so a 10^6-node run pays nothing for text nobody prints.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .program import Program, node_id

SCHEMA_VERSION = "1"  # of the JSON document; see schema/trace.schema.json


class Warning_(NamedTuple):
    kind: str  # "kink", "not_differentiable" or "overflow"
    node: str | None
    message: str


class Edge(NamedTuple):
    """j → i: node j uses node i (at the operand positions listed)."""

    to: int
    frm: int
    positions: tuple[int, ...]


class VJP:
    """On an edge of an op whose Jacobian is not diagonal (A @ x, sum, x[:2]): not a
    partial but what the reverse pass pushed along the edge, the vector–Jacobian product
    w̄_j·∂w_j/∂w_i, in w_i's shape. (A plain class: a NamedTuple costs start-up time.)"""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Shapes:
    """Node i's shape, np.shape of its value, when asked for: shapes[i]."""

    __slots__ = ("values",)

    def __init__(self, values: list):
        self.values = values

    def __getitem__(self, i: int) -> tuple:
        return np.shape(self.values[i])


class Partials:
    """Each node's local partials, as a tuple aligned with its operands (None for a
    constant, () for an input). The reverse pass keeps them as two flat lists, first
    and second operand: building a tuple for every node cost it 12–17%."""

    __slots__ = ("first", "second", "arity")

    def __init__(self, first: list, second: list, arity: list):
        self.first, self.second, self.arity = first, second, arity

    def __len__(self) -> int:
        return len(self.arity)

    def __getitem__(self, j: int) -> tuple:
        k = self.arity[j]
        return (self.first[j], self.second[j]) if k == 2 else (self.first[j],) if k else ()

    def __iter__(self):
        return (self[j] for j in range(len(self)))


class Trace(NamedTuple):
    # A NamedTuple, not a dataclass: creating a dataclass costs milliseconds at import,
    # and every run of the command pays for its imports.
    program: Program
    point: dict[str, float]  # the input values
    values: list  # value of each node
    partials: Partials  # per node, a tuple aligned with its operands (None for a constant)
    adjoints: list  # adjoint of each node
    value: float  # the output's value
    gradient: dict[str, float]  # ∂output/∂input for each input
    warnings: list[Warning_]
    forward: object = None  # forward_mode.Tangents, when forward mode ran too
    # Programs of vectors and matrices (tensor_passes.py) only:
    seed: object = None  # the output's adjoint the reverse pass started from
    jacobian: tuple | None = None  # ({input: ∂output/∂input}, "reverse" or "forward", passes)

    @property
    def tensor(self) -> bool:
        """Run by tensor_passes.py: vectors or matrices, a seed or the Jacobian."""
        return self.seed is not None or self.jacobian is not None or self.program.tensor

    @property
    def has_adjoints(self) -> bool:
        """False for --jacobian of a vector output without a seed: no one reverse pass."""
        return self.adjoints is not None

    @property
    def tensor_shapes(self) -> "Shapes | None":
        """The shapes with vectors or matrices, which their formulas need; else None.
        Looked up on demand: one formula reads two or three of them."""
        return Shapes(self.values) if self.tensor else None

    @property
    def shapes(self) -> list[tuple]:
        """Every node's shape: () for a scalar."""
        from .shapes import shape

        return [shape(v) for v in self.values]

    @property
    def output_name(self) -> str:
        return self.program.output_name or "f"

    def edges(self) -> list[Edge]:
        """Every edge once, in the order the backward pass visits them: from the last node
        down, operands left to right. `x*x` is one edge w2 → w1 with two positions."""
        out = []
        nodes = self.program.nodes
        for j in range(len(nodes) - 1, self.program.n_inputs - 1, -1):
            seen: dict[int, list[int]] = {}
            for k, a in enumerate(nodes[j].args):
                if type(a) is int:
                    seen.setdefault(a, []).append(k)
            out.extend(Edge(j, i, tuple(ks)) for i, ks in seen.items())
        return out

    def edge_value(self, edge: Edge) -> float:
        """The edge's partial; for a vector–Jacobian product (`is_rule`), what it pushed."""
        ps = [self.partials[edge.to][k] for k in edge.positions]
        if type(ps[0]) is VJP and ps[0].value is None:
            return None  # --jacobian without a seed: no one backward pass to show
        return sum(p.value if type(p) is VJP else p for p in ps)

    def is_rule(self, edge: Edge) -> bool:
        return type(self.partials[edge.to][edge.positions[0]]) is VJP

    def successors(self, edges: list[Edge] | None = None) -> list[list[Edge]]:
        """For each node, the edges from the nodes that use it, in node order. Pass the
        edges when you have them: listing them walks the whole program."""
        succ: list[list[Edge]] = [[] for _ in self.program.nodes]
        for edge in reversed(self.edges() if edges is None else edges):
            succ[edge.frm].append(edge)
        return succ

    def to_dict(self, expand: bool = False) -> dict:
        """The JSON document (schema/trace.schema.json): numbers as plain floats. With
        expand, each gradient entry also in terms of the inputs."""
        from ..symbolic.formula import adjoint_formula, edge_formula, node_text, show
        from ..symbolic.simplify import Adjoints

        program = self.program
        edges = self.edges()
        succ = self.successors(edges)
        tensor = self.tensor
        shapes = self.tensor_shapes
        value = array if tensor else number
        simple: list = [None] * len(program.nodes)
        if not tensor:  # simplified forms are of scalar formulas; tensors have their rules
            simplified = Adjoints(self, succ)
            for i in range(len(program.nodes) - 1, -1, -1):  # each uses its successors'
                f = simplified.formula(i)
                simple[i] = None if f is None else show(f, "ascii")
        nodes = []
        for i, node in enumerate(program.nodes):
            row = {"id": node_id(i), "op": node.op,
                   "operands": [node_id(a) if type(a) is int else
                                a.text if type(a.value) is tuple else number(a.value)
                                for a in node.args],
                   "text": node_text(program, i, "ascii"),
                   "value": value(self.values[i]),
                   "adjoint": value(self.adjoints[i]) if self.has_adjoints else None,
                   "adjoint_formula": adjoint_formula(self, i, succ[i], "ascii")
                   if self.has_adjoints else None,
                   "adjoint_simplified": simple[i]}
            if tensor:
                row["shape"] = list(shapes[i])
            if node.names:
                row["name"] = node.names[0]
                if len(node.names) > 1:
                    row["aliases"] = list(node.names[1:])
            nodes.append(row)
        out = program.output
        partials = []
        for e in edges:
            row = {"from": node_id(e.frm), "to": node_id(e.to),
                   "formula": edge_formula(program, e, "ascii", shapes),
                   "value": value(self.edge_value(e))}
            if tensor:
                row["kind"] = "vjp" if self.is_rule(e) else "partial"
            partials.append(row)
        doc = {
            "schema": SCHEMA_VERSION,
            "expression": program.source,
            "inputs": {name: value(v) for name, v in self.point.items()},
            "output": {"name": self.output_name,
                       "node": node_id(out) if type(out) is int else None},
            "nodes": nodes,
            "partials": partials,
            "value": value(self.value),
            "gradient": {name: value(v) for name, v in self.gradient.items()}
            if self.has_adjoints else None,
            "warnings": [w._asdict() for w in self.warnings],
        }
        if expand and not tensor:
            from ..symbolic.simplify import expanded_gradient

            doc["gradient_expanded"] = {
                name: None if f is None else show(f, "ascii")
                for name, f in expanded_gradient(simplified).items()}
        if self.forward is not None:
            from .forward_mode import largest_difference

            fw = self.forward
            doc["forward"] = {
                "passes": fw.passes,
                "tangents": {name: [value(t) for t in dot]
                             for name, dot in zip(fw.inputs, fw.tangents)},
                "gradient": {name: value(v) for name, v in fw.gradient.items()},
                "largest_difference": number(largest_difference(fw.gradient, self.gradient)),
            }
        if tensor:
            doc["shape"] = list(np.shape(self.value))
            doc["seed"] = array(self.seed) if self.has_adjoints else None
        if self.jacobian is not None:
            jac, mode, passes = self.jacobian
            doc["jacobian"] = {"mode": mode, "passes": passes,
                               "of": {name: {"shape": list(j.shape), "value": array(j)}
                                      for name, j in jac.items()}}
        return doc


def array(x):
    """A value as JSON: a number, or nested lists of numbers for an array."""
    if x is None:
        return None
    if type(x) is not np.ndarray or x.ndim == 0:
        return number(x)
    return [array(row) for row in x] if x.ndim > 1 else [number(v) for v in x]


def number(x) -> float | str:
    """A plain JSON number; inf and nan, which JSON lacks, as the strings
    "Infinity", "-Infinity" and "NaN"."""
    x = float(x)
    if math.isfinite(x):
        return x
    return "NaN" if x != x else ("Infinity" if x > 0 else "-Infinity")
