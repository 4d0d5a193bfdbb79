"""User functions, `f(a, b) = a*sin(b); f(x, y) + f(y, x)`, inlined: no call nodes.

A definition's body is lowered once into a list of its own (a tape), its parameters the
inputs; a call replays the tape through the builder's operator, the parameters bound to
the call's operands, so constants fold, identical sub-expressions merge across calls, and
a call in a body has been replayed into that body's tape already. Replaying is a loop,
never a recursion, and a function can call only those defined before it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import StatementError
from ..engine.ops import ALIASES, CONSTANTS, OPS
from .values import CONSTRUCTORS

_PART = re.compile(r"[^\W\d](?:\w)*")


class Function(NamedTuple):
    name: str
    params: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]  # each parameter's span in the source
    rows: list  # the body's operations: [op, args, names, start, end], as ProgramBuilder's
    body: object  # the body's value: a row (≥ 0), a parameter (-1 - k) or a Const
    tensor: bool = False

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


def read_head(text: str, start: int, source: str, origin: str, clash) -> Function:
    """The name and parameters of `f(a, b) =` at source[start:], or the error that says
    what is wrong, under the name or parameter at fault. `clash(name)` says why a name
    the program uses already cannot be the function's, or None."""
    parts = [(m.group(), start + m.start(), start + m.end()) for m in _PART.finditer(text)]
    (name, ns, ne), params = parts[0], parts[1:]

    def refuse(message, span, hint=None):
        raise StatementError(message, source=source, span=span, origin=origin, hint=hint)

    if _built_in(name):
        refuse(f"{name} is a built-in function; a function of your own needs another name",
               (ns, ne), hint=f"for example my_{name}")
    why = clash(name)
    if why:
        refuse(why, (ns, ne))
    seen = set()
    for p, ps, pe in params:
        if p in seen:
            refuse(f"the parameter {p} is named twice", (ps, pe))
        if _built_in(p) or p in CONSTANTS:
            refuse(f"{p} is a built-in name and cannot be a parameter", (ps, pe))
        seen.add(p)
    return Function(name, tuple(p for p, _, _ in params),
                    tuple((ps, pe) for _, ps, pe in params), [], None)


def is_function(name: str) -> bool:
    """Names a call can use; operator ops (add, mul, …) are free for variables."""
    op = OPS.get(ALIASES.get(name, name))
    return op is not None and op.callable


def _built_in(name: str) -> bool:
    return is_function(name) or name in CONSTANTS or name in CONSTRUCTORS or name in OPS


def replay(fn: Function, args: tuple, operator, start: int, end: int):
    """The call fn(args…): each row of the body's tape through `operator` (the builder's:
    it folds constants and shares nodes), its parameters bound to `args`. The nodes get
    the call's span, so an error in them points at the call."""
    made: list = []

    def bound(a):
        if type(a) is not int:
            return a  # a constant
        return made[a] if a >= 0 else args[-1 - a]

    for op, targs, _, _, _ in fn.rows:
        made.append(operator(op, tuple(bound(a) for a in targs), start, end))
    return bound(fn.body)
