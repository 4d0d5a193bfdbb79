"""The sentences about a run that are not tables: its diagnostics and its errors. Every
output (terminal, Markdown, LaTeX, JSON) takes its words from here, so they cannot drift.
The engine hands over data (a kind, a node's index, counts, values); the node is named as
the tables name it, `w3 = log(w2)`, in the ascii the user types, so it parses again."""

from __future__ import annotations

from ..engine.ops import OPS
from ..engine.program import node_id
from ..errors import BackpropError
from ..symbolic.formula import node_text


def definition(program, i: int) -> str:
    """`w3 = w1*w2`: how every error and diagnostic names a node."""
    return f"{node_id(i)} = {node_text(program, i, 'ascii')}"


def _at(d) -> str:
    """' at 3 of 121 points' for a diagnostic over points."""
    return f" at {d.count} of {d.points} points" if d.points is not None else ""


def diagnostic_message(program, d) -> str:
    node = definition(program, d.node)
    op = OPS[program.nodes[d.node].op]
    if d.kind == "kink":
        return f"{node} is not differentiable here{_at(d)}; {op.kink_text}"
    if d.kind == "domain":
        return f"{node}: {op.domain_text}{_at(d)}; the value there is nan"
    if d.kind == "overflow":
        if d.points is not None:
            return f"{node} overflows{_at(d)}"
        return f"{node} overflows to {'inf or nan' if d.value is None else d.value}"
    if d.kind == "not_differentiable":
        value = (f"not finite{_at(d)}" if d.value is None else f"{d.value} at this point")
        return (f"∂{node_id(d.node)}/∂{node_id(d.operand)} is {value}: "
                f"{node} has no derivative here")
    raise AssertionError(f"a diagnostic of unknown kind {d.kind!r}")  # pragma: no cover


def error_message(error: BackpropError) -> str:
    """The error's message; an error about a node of a program names the node first."""
    if error.node is not None and error.program is not None:
        return f"{definition(error.program, error.node)}: {error.message}"
    return error.message


def error_lines(error: BackpropError) -> list[str]:
    """The error as text: the message and where, the source line with a caret under the
    span, what was expected, a hint."""
    lines = [f"error: {error_message(error)}"]
    pos = error.position()
    if pos is not None:
        text, carets = error.excerpt()
        lines[0] += (f" ({error.origin}, line {pos[0]}, column {pos[1]})"
                     if "\n" in error.source else f" ({error.origin}, column {pos[1]})")
        lines += ["  " + text, "  " + carets]
    if error.expected:
        lines.append("expected: " + ", ".join(error.expected))
    if error.hint:
        lines.append(f"hint: {error.hint}")
    return lines
