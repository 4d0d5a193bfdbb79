"""backprop: see the backward pass of an expression the way the lecture draws it.

    >>> from backprop_cli import differentiate
    >>> trace = differentiate("x**2*cos(x*y)+1", at="x=2,y=pi/2")
    >>> float(trace.value), {k: round(float(v), 4) for k, v in trace.gradient.items()}
    (-3.0, {'x': -4.0, 'y': -0.0})

The layers, each a sub-package importing only those below it: cli > render > tasks >
symbolic > language > engine > errors.

The names below are imported when first used (PEP 562): `backprop --version` and
`--help` import this package, and must not pay for numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# name → the module that defines it
_EXPORTS = {
    "differentiate": ".tasks.differentiate",
    "parse_point": ".tasks.differentiate",
    "parse": ".language.parser",
    "lower": ".language.lower",
    "evaluate": ".engine.evaluate",
    "Trace": ".engine.trace",
    "SCHEMA_VERSION": ".render.json_doc",
    "Program": ".engine.program",
    "Node": ".engine.program",
    "Const": ".engine.program",
    "BackpropError": ".errors",
}
__all__ = list(_EXPORTS)
# Asking for these registers how a notebook shows a Trace (render/notebook.py): the engine,
# where Trace lives, cannot import the renderers itself.
_DISPLAYED = {"differentiate", "evaluate", "Trace"}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name in _DISPLAYED:
        importlib.import_module(".render.notebook", __name__)
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .engine.evaluate import evaluate
    from .engine.program import Const, Node, Program
    from .engine.trace import Trace
    from .errors import BackpropError
    from .language.lower import lower
    from .language.parser import parse
    from .render.json_doc import SCHEMA_VERSION
    from .tasks.differentiate import differentiate, parse_point
