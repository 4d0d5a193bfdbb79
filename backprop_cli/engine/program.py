"""The SSA program: a flat list of nodes w1…wn, plain data.

Node i (0-based in the list, w{i+1} to a reader) is an input, or an op applied to
operands that are earlier nodes (ints) or constants (Const). Names come from list
position, never from id() or set order, so every run prints the same program.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from ..errors import InputError
from .ops import OPS


class Const(NamedTuple):
    """A constant operand, on the edge rather than a node: `w7 = w6 + 1`."""

    value: float  # or, after --at, an array; or, for x[1, :2], the index key (a tuple)
    text: str  # as the user wrote it: "1", "pi", "2*pi"


Operand = Union[int, Const]

INPUT = "input"


class Node(NamedTuple):
    op: str  # "input", or a key of OPS
    args: tuple  # of Operand
    names: tuple[str, ...]  # the input's name, or the statements naming this node
    start: int  # source span, for error carets
    end: int


class Call(NamedTuple):
    """A call of a user function, inlined: the nodes first … stop - 1 are the ones it made
    (a node it shares with an earlier call is that call's)."""

    name: str
    args: tuple  # of Operand
    first: int
    stop: int
    start: int  # the call's span in the source
    end: int


class Program(NamedTuple):
    source: str
    nodes: list[Node]
    n_inputs: int
    output: Operand  # a node, or a constant when the expression has no variables
    output_name: str | None  # the last statement's name, if it has one
    tensor: bool = False  # uses an op of vectors and matrices (@, sum, x[0], …)
    calls: tuple = ()  # the user functions' calls in the expression, each a Call

    @property
    def inputs(self) -> list[str]:
        return [node.names[0] for node in self.nodes[: self.n_inputs]]

    def match_inputs(self, given, what: str, hint: str) -> None:
        """Every input is among the names `given` and every name given is an input, or
        the InputError that says which are not. `hint` may hold {example}: x=…,y=…"""
        inputs = self.inputs
        missing = [name for name in inputs if name not in given]
        if missing:
            example = ",".join(f"{name}=…" for name in missing)
            raise InputError(f"no {what} for {', '.join(missing)}",
                             hint=hint.format(example=example))
        unknown = [name for name in given if name not in inputs]
        if unknown:
            have = ", ".join(inputs) if inputs else "no inputs"
            raise InputError(f"{', '.join(unknown)} is not an input of the expression "
                             f"(it has {have})")

    def validate(self) -> None:
        """Check the invariants every pass relies on; raises AssertionError."""
        seen_inputs = set()
        for i, node in enumerate(self.nodes):
            if i < self.n_inputs:
                assert node.op == INPUT and not node.args and len(node.names) >= 1, (i, node)
                assert node.names[0] not in seen_inputs, f"input {node.names[0]} twice"
                seen_inputs.add(node.names[0])
                continue
            assert node.op != INPUT, f"w{i + 1}: an input after the operations"
            op = OPS.get(node.op)
            assert op is not None, f"w{i + 1}: unknown op {node.op}"
            assert len(node.args) == op.arity, f"w{i + 1}: {node.op} takes {op.arity}"
            assert any(type(a) is int for a in node.args), f"w{i + 1}: constants only"
            for a in node.args:
                if type(a) is int:
                    assert 0 <= a < i, f"w{i + 1} uses w{a + 1}, not defined before it"
                else:
                    assert isinstance(a, Const), (i, a)
        if type(self.output) is int:
            assert 0 <= self.output < len(self.nodes)


def node_id(i: int) -> str:
    return f"w{i + 1}"
