"""backprop: see the backward pass of an expression the way the lecture draws it.

    >>> from backprop_cli import differentiate
    >>> trace = differentiate("x**2*cos(x*y)+1", at="x=2,y=pi/2")
    >>> float(trace.value), {k: round(float(v), 4) for k, v in trace.gradient.items()}
    (-3.0, {'x': -4.0, 'y': -0.0})

The stages, one module each: parser (text → flat syntax), lower (→ SSA program),
evaluate (forward and reverse pass → Trace); formula derives the formulas the tables print;
render/ turns a Trace into terminal tables or JSON.
"""

from .tasks.differentiate import differentiate, parse_point
from .errors import BackpropError
from .engine.evaluate import evaluate
from .language.lower import lower
from .language.parser import parse
from .engine.program import Const, Node, Program
from .engine.trace import Trace
from .render.json_doc import SCHEMA_VERSION

__all__ = ["differentiate", "parse_point", "parse", "lower", "evaluate", "Trace", "Program",
           "Node", "Const", "BackpropError", "SCHEMA_VERSION"]
__version__ = "0.1.0"
