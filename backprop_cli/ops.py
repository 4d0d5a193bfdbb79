r"""THE table of primitives. Every mode reads it; adding a function is adding one row.

A row gives, for an op of n operands a, b:
- `forward`: the value, with numpy's functions (so scalars and arrays take the same path);
- `partials`: one function per operand, the local partial ∂out/∂operand, called with the
  operands' values and the op's own output (`out`), as in autograd's defvjp;
- `templates`: the same partials as formulas in a, b and out, written in backprop's own
  language (parsed by the grammar) for the tables: cos → "-sin(a)", a*b → "b" / "a";
- `domain`: where the op is defined (checked only when a value comes out non-finite),
  with the sentence a user reads when it is not;
- `kink`: where the op is not differentiable, with the convention used there;
- `infix`: for operators, how formulas print them: (precedence, ascii, unicode);
- `latex`: how --format latex prints the op, #1 and #2 standing for the operands as in a
  TeX macro: cos → "\cos(#1)". An operand in braces ({#1}) needs no parentheses:
  \frac{#1}{#2}, #1^{#2}; parentheses and bars grow (\left(…\right)) around an operand
  that holds a fraction (formula._fill). A product's factors are juxtaposed, as the
  lecture writes 2w_1w_5; its template's \cdot is for where that would misread
  (2 \cdot 3, w_1 \cdot 2: formula._times).

tests/test_ops.py holds every row's partials against its templates and against central
differences, so the two spellings of one derivative cannot drift apart.
"""

from __future__ import annotations

import operator
from typing import Callable, NamedTuple

import numpy as np


class Op(NamedTuple):  # not a dataclass: those cost milliseconds to create at import
    name: str
    arity: int
    forward: Callable
    partials: tuple[Callable, ...]
    templates: tuple[str, ...]
    doc: str
    domain: Callable | None = None  # operands -> True where defined
    domain_text: str = ""
    kink: Callable | None = None  # operands -> True where not differentiable
    kink_text: str = ""
    callable: bool = True  # False for ops only written as operators (a + b, -a)
    infix: tuple[int, str, str] | None = None  # (precedence, ascii, unicode) of an operator
    latex: str = ""  # how LaTeX prints it, #1 and #2 standing for the operands


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _step(a):
    return np.heaviside(a, 0.0)


def _where(condition, x, y):
    """np.where, giving a scalar back for scalars (np.where makes a 0-d array). One
    condition for all points (a constant exponent) picks a branch without a copy."""
    if type(condition) is not np.ndarray:
        return x if condition else y
    out = np.where(condition, x, y)
    return out[()] if out.ndim == 0 else out


def _not_integer(b):
    return b != np.floor(b)


def _log_domain(name):
    return lambda a: a > 0, f"{name} needs a positive argument"


def _unit_domain(name):
    return lambda a: abs(a) <= 1, f"{name} needs an argument between -1 and 1"

# name, arity, forward, partials, templates, doc, **more
OPS: dict[str, Op] = {op.name: op for op in [
    # --- arithmetic: written as operators --------------------------------------------
    Op("add", 2, operator.add, (lambda a, b, out: 1.0, lambda a, b, out: 1.0), ("1", "1"),
       "a + b", callable=False, infix=(1, "+", "+"), latex="#1 + #2"),
    Op("sub", 2, operator.sub, (lambda a, b, out: 1.0, lambda a, b, out: -1.0), ("1", "-1"),
       "a - b", callable=False, infix=(1, "-", "−"), latex="#1 - #2"),
    Op("mul", 2, operator.mul, (lambda a, b, out: b, lambda a, b, out: a), ("b", "a"),
       "a * b", callable=False, infix=(2, "*", "·"), latex=r"#1 \cdot #2"),
    Op("div", 2, operator.truediv, (lambda a, b, out: 1.0 / b, lambda a, b, out: -out / b),
       ("1/b", "-a/b^2"), "a / b", domain=lambda a, b: b != 0,
       domain_text="division by zero", callable=False, infix=(2, "/", "/"), latex=r"\frac{#1}{#2}"),
    Op("neg", 1, operator.neg, (lambda a, out: -1.0,), ("-1",), "-a", callable=False,
       infix=(3, "-", "−"), latex="-#1"),
    # At base 0 the formulas give 0·inf; the derivatives there are 0 (PyTorch's masks).
    Op("pow", 2, np.power,
       (lambda a, b, out: _where(b == 0, 0.0, b * a ** (b - 1)),
        lambda a, b, out: _where(a == 0, 0.0, out * np.log(a))),
       ("b*a^(b-1)", "out*log(a)"), "a ** b, a ^ b, pow(a, b)",
       domain=lambda a, b: ~(((a < 0) & _not_integer(b)) | ((a == 0) & (b < 0))),
       domain_text="pow needs a base ≥ 0 for a non-integer power and a base ≠ 0 for a negative one",
       infix=(4, "**", "^"), latex="#1^{#2}"),
    # --- elementary functions --------------------------------------------------------
    Op("sin", 1, np.sin, (lambda a, out: np.cos(a),), ("cos(a)",), "sine",
       latex=r"\sin(#1)"),
    Op("cos", 1, np.cos, (lambda a, out: -np.sin(a),), ("-sin(a)",), "cosine",
       latex=r"\cos(#1)"),
    Op("tan", 1, np.tan, (lambda a, out: 1.0 + out * out,), ("1 + out^2",), "tangent",
       latex=r"\tan(#1)"),
    Op("asin", 1, np.arcsin, (lambda a, out: 1.0 / np.sqrt(1.0 - a * a),),
       ("1/sqrt(1 - a^2)",), "inverse sine", *_unit_domain("asin"),
       latex=r"\arcsin(#1)"),
    Op("acos", 1, np.arccos, (lambda a, out: -1.0 / np.sqrt(1.0 - a * a),),
       ("-1/sqrt(1 - a^2)",), "inverse cosine", *_unit_domain("acos"),
       latex=r"\arccos(#1)"),
    Op("atan", 1, np.arctan, (lambda a, out: 1.0 / (1.0 + a * a),), ("1/(1 + a^2)",),
       "inverse tangent", latex=r"\arctan(#1)"),
    Op("sinh", 1, np.sinh, (lambda a, out: np.cosh(a),), ("cosh(a)",), "hyperbolic sine",
       latex=r"\sinh(#1)"),
    Op("cosh", 1, np.cosh, (lambda a, out: np.sinh(a),), ("sinh(a)",), "hyperbolic cosine",
       latex=r"\cosh(#1)"),
    Op("tanh", 1, np.tanh, (lambda a, out: 1.0 - out * out,), ("1 - out^2",),
       "hyperbolic tangent", latex=r"\tanh(#1)"),
    Op("exp", 1, np.exp, (lambda a, out: out,), ("out",), "e to the a", latex="e^{#1}"),
    Op("log", 1, np.log, (lambda a, out: 1.0 / a,), ("1/a",), "natural logarithm",
       *_log_domain("log"), latex=r"\log(#1)"),
    Op("log2", 1, np.log2, (lambda a, out: 1.0 / (a * np.log(2.0)),), ("1/(a*log(2))",),
       "base-2 logarithm", *_log_domain("log2"), latex=r"\log_{2}(#1)"),
    Op("log10", 1, np.log10, (lambda a, out: 1.0 / (a * np.log(10.0)),), ("1/(a*log(10))",),
       "base-10 logarithm", *_log_domain("log10"), latex=r"\log_{10}(#1)"),
    Op("sqrt", 1, np.sqrt, (lambda a, out: 0.5 / out,), ("1/(2*out)",), "square root",
       lambda a: a >= 0, "sqrt needs a non-negative argument", latex=r"\sqrt{#1}"),
    # --- piecewise: a kink where the derivative jumps; the convention is PyTorch's ----
    Op("abs", 1, np.abs, (lambda a, out: np.sign(a),), ("sign(a)",), "absolute value",
       kink=lambda a: a == 0, kink_text="abs'(0) is taken as 0", latex="|#1|"),
    Op("relu", 1, lambda a: np.maximum(a, 0.0), (lambda a, out: _step(a),), ("step(a)",),
       "max(a, 0)", kink=lambda a: a == 0, kink_text="relu'(0) is taken as 0",
       latex=r"\operatorname{relu}(#1)"),
    Op("sigmoid", 1, _sigmoid, (lambda a, out: out * (1.0 - out),), ("out*(1 - out)",),
       "1 / (1 + exp(-a))", latex=r"\sigma(#1)"),
    # At a tie the whole adjoint goes to the first operand (TensorFlow's convention).
    Op("max", 2, np.maximum, (lambda a, b, out: 1.0 - _step(b - a), lambda a, b, out: _step(b - a)),
       ("1 - step(b - a)", "step(b - a)"), "the larger of a and b",
       kink=lambda a, b: a == b, kink_text="at a tie the adjoint goes to the first operand",
       latex=r"\max(#1, #2)"),
    Op("min", 2, np.minimum, (lambda a, b, out: 1.0 - _step(a - b), lambda a, b, out: _step(a - b)),
       ("1 - step(a - b)", "step(a - b)"), "the smaller of a and b",
       kink=lambda a, b: a == b, kink_text="at a tie the adjoint goes to the first operand",
       latex=r"\min(#1, #2)"),
    Op("sign", 1, np.sign, (lambda a, out: 0.0,), ("0",), "-1, 0 or 1",
       kink=lambda a: a == 0, kink_text="sign'(0) is taken as 0",
       latex=r"\operatorname{sign}(#1)"),
    Op("step", 1, _step, (lambda a, out: 0.0,), ("0",), "1 where a > 0, else 0",
       kink=lambda a: a == 0, kink_text="step'(0) is taken as 0",
       latex=r"\operatorname{step}(#1)"),
]}

# Names that stand for numbers.
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "π": float(np.pi), "e": float(np.e)}

# Operand names in templates, by position.
OPERAND_NAMES = ("a", "b")


def callable_names() -> list[str]:
    return sorted(name for name, op in OPS.items() if op.callable)
