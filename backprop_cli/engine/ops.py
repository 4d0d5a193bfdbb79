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

Second derivatives (--hessian, --hvp, Newton's method) read the same rows: an elementwise
row gives `second`, its second partials ∂²out/∂a² (one operand) or ∂²out/∂a², ∂²out/∂a∂b,
∂²out/∂b² (two), called as the partials are, and `second_templates`, the same as formulas
for the tables; a row of vectors and matrices gives `dvjp`, per operand the tangent of its
vjp when the operands move (the vjp is linear in g, so its share of the tangent of g is
the vjp itself). A kink's second-order convention is `kink2_text`.

tests/test_ops.py holds every row's partials against its templates and against central
differences, so the two spellings of one derivative cannot drift apart.
"""

from __future__ import annotations

import math
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
    # Ops whose Jacobian is not diagonal (A @ x, sum, x[:2]) have no elementwise partials;
    # instead, per operand, its vector–Jacobian product vjp(g, *operands, out) (the
    # operand's share of the output's adjoint g, in the operand's shape) and its
    # Jacobian–vector product jvp(t, *operands, out) (the output's tangent when that operand
    # moves by t), for forward mode. `rule(*shapes)` gives the vjp per operand as the
    # lecture writes it, in g, a, b, out (Ā += g·bᵀ); `shape(*shapes)` the output's shape,
    # or a ValueError saying why the operands do not fit.
    vjp: tuple[Callable, ...] | None = None
    jvp: tuple[Callable, ...] | None = None
    rule: Callable | None = None
    shape: Callable | None = None
    shown: str = ""  # the name formulas print, when not the row's (amax prints as max)
    # Second order. Elementwise: (aa,) or (aa, ab, bb), each f(*operands, out).
    second: tuple[Callable, ...] | None = None
    second_templates: tuple[str, ...] = ()
    # Tensor rows: per operand, dvjp(g, dots, *operands, out, out_dot) → how its vjp moves
    # when the operands move by `dots` (None where one does not) at fixed g; a None rule:
    # the vjp does not depend on the operands (sum, T, x[…]: linear, or max: piecewise).
    dvjp: tuple[Callable | None, ...] | None = None
    kink2_text: str = ""  # the convention for the second derivative at the kink
    # Operands whose partial is identically 0 (a comparison, where's condition, floor):
    # a structural zero, so no adjoint flows along those edges, not even 0·inf.
    flat: tuple[int, ...] = ()
    # For where: the operands a point needs, per operand True or a mask (the branch not
    # taken is not needed: its values may be outside their domain, and it gets no adjoint).
    taken: Callable | None = None
    # The same row over Python floats, for the passes compiled once per program
    # (engine/floats.py: descent's steps): (forward, partials, second) with the math
    # module; None for partials or second where the row's own are arithmetic, which
    # floats run as they are. Each raises (ValueError, ArithmeticError) wherever the
    # array form's value would leave its domain, so such a point goes back to the numpy
    # drivers, which say why. No float form: the row runs through numpy only.
    floats: tuple | None = None


def _as_floats(op: Op) -> Op:
    """A row whose own functions are arithmetic, which Python floats run as they are (and
    raise ZeroDivisionError where numpy gives inf)."""
    return op._replace(floats=(op.forward, None, None))


def second_index(k: int, m: int, arity: int = 2) -> int:
    """Where ∂²out/∂operand_k∂operand_m sits in a row's `second`: aa, ab, bb; of three
    operands aa, ab, ac, bb, bc, cc."""
    if arity == 3:
        k, m = min(k, m), max(k, m)
        return (0, 3, 5)[k] + m - k
    return k + m


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _pow_float(a, b):
    """a ** b as np.power computes it: a square, a root and a reciprocal exactly so (the
    common exponents of a loss), else C's pow; raises where np.power leaves the finite."""
    if b == 2.0:
        return a * a
    if b == 0.5:
        return math.sqrt(a)
    if b == -1.0:
        return 1.0 / a
    return math.pow(a, b)


def _sigmoid_float(a):
    return 1.0 / (1.0 + math.exp(-a))


def _step(a):
    return np.heaviside(a, 0.0)


def _zero2(a, b, out):
    return 0.0


def _zero3(a, b, c, out):
    return 0.0


def _where(condition, x, y):
    """np.where, giving a scalar back for scalars (np.where makes a 0-d array). One
    condition for all points (a constant exponent) picks a branch without a copy."""
    if type(condition) is not np.ndarray:
        return x if condition else y
    out = np.where(condition, x, y)
    return out[()] if out.ndim == 0 else out


def _flag(test):
    """A comparison as a number, 1.0 or 0.0 (an array of them over points)."""
    return lambda a, b: test(a, b) * 1.0


def _comparison(name, test, ascii_, unicode_, latex):
    return Op(name, 2, _flag(test), (_zero2, _zero2), ("0", "0"), f"a {ascii_} b: 1 or 0",
              kink=lambda a, b: a == b,
              kink_text=f"a {ascii_} b jumps where a = b; its derivative is taken as 0",
              callable=False, infix=(0, ascii_, unicode_), latex=f"[#1 {latex} #2]", flat=(0, 1),
              second=(_zero2,) * 3, second_templates=("0",) * 3,
              kink2_text="the second partials are 0, at a tie too")


def _zero1(a, out):
    return 0.0


def _select(c, a, b):
    """where(c, a, b): a where c ≠ 0, else b; per point over a sweep."""
    if type(c) is not np.ndarray and type(a) is not np.ndarray and type(b) is not np.ndarray:
        return a if c else b
    return _where(c != 0, a, b)


def _per_entry(f):
    """A function of the math module over numpy values (numpy has no erf)."""
    vector = np.vectorize(f, otypes=[float])

    def call(a):
        return np.float64(f(a)) if type(a) is not np.ndarray else vector(a)
    return call


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LN2, _LN10 = math.log(2.0), math.log(10.0)  # np.log's values too


def _scaled(a, b):
    """a and b over 2^e, the power of two nearest above their larger size (exact: no
    rounding), and e: the partials of hypot and atan2 in these never overflow or underflow
    in a² + b², and are scaled back by 2^-e per degree (ldexp, exact too)."""
    e = np.frexp(np.maximum(np.abs(a), np.abs(b)))[1]
    return np.ldexp(a, -e), np.ldexp(b, -e), e


def _atan2_partial(k):
    # ∂atan2(a, b)/∂a = b/(a² + b²), ∂/∂b = −a/(a² + b²); 0 at the origin (the kink)
    def partial(a, b, out):
        u, v, e = _scaled(a, b)
        r = u * u + v * v
        return np.ldexp(_ratio(v if k == 0 else -u, r), -e)
    return partial


def _atan2_second(kind):
    """atan2's second partials over (a² + b²)²: −2ab (aa), (a − b)(a + b) (ab: no
    cancellation where |a| nears |b|), 2ab (bb); 0 at the origin, as its partials."""
    def second(a, b, out):
        u, v, e = _scaled(a, b)
        r = u * u + v * v
        top = -2.0 * u * v if kind == "aa" else (u - v) * (u + v) if kind == "ab" else 2.0 * u * v
        return np.ldexp(_ratio(top, r * r), -2 * e)
    return second


def _hypot_second(kind):
    """hypot's second partials b²/out³, −ab/out³, a²/out³, in scaled operands: no
    overflow where out³ would (|a| past 10^102)."""
    def second(a, b, out):
        u, v, e = _scaled(a, b)
        r = np.hypot(u, v)
        top = v * v if kind == "aa" else -u * v if kind == "ab" else u * u
        return np.ldexp(_ratio(top, r * r * r), -e)
    return second


def _gauss(a):
    """exp(−a²) without a²'s rounding, which exp turns into a relative error of a² ulp (1e-13
    at a = 26, where erfc is still a normal number): a² = hi + lo exactly (Dekker's split),
    exp(−a²) = exp(−hi)·(1 − lo)."""
    hi = a * a
    c = 134217729.0 * a  # 2^27 + 1
    top = c - (c - a)
    low = a - top
    lo = ((top * top - hi) + 2.0 * top * low) + low * low
    return np.exp(-hi) * (1.0 - _where(np.isfinite(lo), lo, 0.0))  # past 1e153 exp(−hi) is 0


def _not_integer(b):
    return b != np.floor(b)


def _log_domain(name):
    return lambda a: a > 0, f"{name} needs a positive argument"


def _unit_domain(name):
    return lambda a: abs(a) <= 1, f"{name} needs an argument between -1 and 1"

# --- helpers of the tensor rows ------------------------------------------------------------

def _matmul_shape(a, b):
    if not a or not b:
        raise ValueError("@ multiplies vectors and matrices; for a scalar use *")
    if len(a) > 2 or len(b) > 2:
        raise ValueError("@ takes vectors and matrices (at most 2 axes)")
    if a[-1] != b[0]:
        raise ValueError(f"the inner sizes differ: {a[-1]} and {b[0]}")
    return a[:-1] + b[1:]


def _matmul_vjp_a(g, a, b, out):
    if b.ndim == 1:
        return np.multiply.outer(g, b) if a.ndim == 2 else g * b
    return g @ b.T if a.ndim == 2 else b @ g


def _matmul_vjp_b(g, a, b, out):
    if a.ndim == 1:
        return np.multiply.outer(a, g) if b.ndim == 2 else g * a
    return a.T @ g


def _matmul_rule(a, b):
    """Vectors are columns: A @ x gives Ā += g·xᵀ and x̄ += Aᵀ·g."""
    if len(a) == 1:
        return ("g·b", "g·a") if len(b) == 1 else ("b·g", "a·gᵀ")
    return ("g·bᵀ", "aᵀ·g")


def _dot_shape(a, b):
    if len(a) != 1 or len(b) != 1:
        raise ValueError("dot takes two vectors")
    if a != b:
        raise ValueError(f"the lengths differ: {a[0]} and {b[0]}")
    return ()


def _reduce_shape(name):
    def shape(a):
        if 0 in a:
            raise ValueError(f"{name} of an empty array")
        return ()
    return shape


def _vector_shape(name, keep):
    def shape(a):
        if not a or a[-1] == 0:
            raise ValueError(f"{name} needs a vector or a matrix (over its last axis)")
        return a if keep else a[:-1]
    return shape


def _key(key):
    from .shapes import key_slices  # only programs of tensors index

    return key_slices(key)


def _index_shape(a, key):
    try:
        return np.empty(a, dtype=bool)[_key(key)].shape
    except IndexError as e:
        raise ValueError(str(e).replace("array", "value")) from None


def _index_vjp(g, a, key, out):
    z = np.zeros(np.shape(a))
    z[_key(key)] = g
    return z


def _at_first(a, k, g):
    z = np.zeros(np.shape(a))
    z.flat[k] = g
    return z


def _matmul_dvjp_a(g, dots, a, b, out, out_dot):
    return None if dots[1] is None else _matmul_vjp_a(g, a, dots[1], out)


def _matmul_dvjp_b(g, dots, a, b, out, out_dot):
    return None if dots[0] is None else _matmul_vjp_b(g, dots[0], b, out)


def _norm_dvjp(g, dots, a, out, out_dot):
    """g·a/out moves by g·(ȧ/out − a·ȯut/out²); 0 at the origin, as the partial is."""
    return g * (_over(dots[0], out) - _over(a, out) * _over(out_dot, out))


def _softmax_dvjp(g, dots, a, out, out_dot):
    """out⊙(g − Σ g⊙out) moves by ȯut⊙(g − Σ g⊙out) − out⊙Σ g⊙ȯut."""
    return (out_dot * (g - np.sum(g * out, axis=-1, keepdims=True))
            - out * np.sum(g * out_dot, axis=-1, keepdims=True))


def _logsumexp_dvjp(g, dots, a, out, out_dot):
    """g·softmax(a) moves by g·(softmax's jvp of ȧ)."""
    s = _softmax(a)
    t = dots[0]
    return np.expand_dims(g, -1) * s * (t - np.sum(t * s, axis=-1, keepdims=True))


def _over(a, n):
    """a/n, 0 where n is 0: the norm's partial at the origin (PyTorch's subgradient)."""
    return a / n if n else np.zeros(np.shape(a))


def _ratio(a, n):
    """a/n entry by entry, 0 where n is 0 (hypot's partials at the origin)."""
    return _where(n == 0, 0.0, a / _where(n == 0, 1.0, n))


def _softmax(a):
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _logsumexp(a):
    m = np.max(a, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(a - m), axis=-1, keepdims=True)))[..., 0]


# name, arity, forward, partials, templates, doc, **more
OPS: dict[str, Op] = {op.name: op for op in [
    # --- arithmetic: written as operators --------------------------------------------
    _as_floats(Op("add", 2, operator.add, (lambda a, b, out: 1.0, lambda a, b, out: 1.0),
       ("1", "1"), "a + b", callable=False, infix=(1, "+", "+"), latex="#1 + #2",
       second=(_zero2, _zero2, _zero2), second_templates=("0", "0", "0"))),
    _as_floats(Op("sub", 2, operator.sub, (lambda a, b, out: 1.0, lambda a, b, out: -1.0),
       ("1", "-1"), "a - b", callable=False, infix=(1, "-", "−"), latex="#1 - #2",
       second=(_zero2, _zero2, _zero2), second_templates=("0", "0", "0"))),
    _as_floats(Op("mul", 2, operator.mul, (lambda a, b, out: b, lambda a, b, out: a),
       ("b", "a"), "a * b", callable=False, second=(_zero2, lambda a, b, out: 1.0, _zero2),
       second_templates=("0", "1", "0"), infix=(2, "*", "·"), latex=r"#1 \cdot #2")),
    _as_floats(Op("div", 2, operator.truediv, (lambda a, b, out: 1.0 / b, lambda a, b, out: -out / b),
       ("1/b", "-a/b^2"), "a / b",
       second=(_zero2, lambda a, b, out: -1.0 / (b * b), lambda a, b, out: 2.0 * out / (b * b)),
       second_templates=("0", "-1/b^2", "2*a/b^3"), domain=lambda a, b: b != 0,
       domain_text="division by zero", callable=False, infix=(2, "/", "/"),
       latex=r"\frac{#1}{#2}")),
    _as_floats(Op("neg", 1, operator.neg, (lambda a, out: -1.0,), ("-1",), "-a",
       callable=False, second=(lambda a, out: 0.0,), second_templates=("0",),
       infix=(3, "-", "−"), latex="-#1")),
    # At base 0 the formulas give 0·inf; the derivatives there are 0 (PyTorch's masks).
    Op("pow", 2, np.power,
       (lambda a, b, out: _where(b == 0, 0.0, b * a ** (b - 1)),
        lambda a, b, out: _where(a == 0, 0.0, out * np.log(a))),
       ("b*a^(b-1)", "out*log(a)"), "a ** b, a ^ b, pow(a, b)",
       second=(lambda a, b, out: _where((b == 0) | (b == 1), 0.0, b * (b - 1) * a ** (b - 2)),
               lambda a, b, out: _where(a == 0, 0.0, a ** (b - 1) * (1.0 + b * np.log(a))),
               lambda a, b, out: _where(a == 0, 0.0, out * np.log(a) ** 2)),
       second_templates=("b*(b-1)*a^(b-2)", "a^(b-1)*(1 + b*log(a))", "out*log(a)^2"),
       domain=lambda a, b: ~(((a < 0) & _not_integer(b)) | ((a == 0) & (b < 0))),
       domain_text="pow needs a base ≥ 0 for a non-integer power and a base ≠ 0 for a negative one",
       infix=(4, "**", "^"), latex="#1^{#2}",
       floats=(_pow_float, (lambda a, b, out: 0.0 if b == 0 else b * math.pow(a, b - 1),
                          lambda a, b, out: 0.0 if a == 0 else out * math.log(a)),
               (lambda a, b, out: 0.0 if b == 0 or b == 1 else
                b * (b - 1) * math.pow(a, b - 2),
                lambda a, b, out: 0.0 if a == 0 else
                math.pow(a, b - 1) * (1.0 + b * math.log(a)),
                lambda a, b, out: 0.0 if a == 0 else out * math.log(a) ** 2))),
    # --- elementary functions --------------------------------------------------------
    Op("sin", 1, np.sin, (lambda a, out: np.cos(a),), ("cos(a)",), "sine",
       second=(lambda a, out: -out,), second_templates=("-sin(a)",),
       latex=r"\sin(#1)", floats=(math.sin, (lambda a, out: math.cos(a),), None)),
    Op("cos", 1, np.cos, (lambda a, out: -np.sin(a),), ("-sin(a)",), "cosine",
       second=(lambda a, out: -out,), second_templates=("-cos(a)",),
       latex=r"\cos(#1)", floats=(math.cos, (lambda a, out: -math.sin(a),), None)),
    Op("tan", 1, np.tan, (lambda a, out: 1.0 + out * out,), ("1 + out^2",), "tangent",
       second=(lambda a, out: 2.0 * out * (1.0 + out * out),),
       second_templates=("2*out*(1 + out^2)",),
       latex=r"\tan(#1)", floats=(math.tan, None, None)),
    Op("asin", 1, np.arcsin, (lambda a, out: 1.0 / np.sqrt((1.0 - a) * (1.0 + a)),),
       ("1/sqrt(1 - a^2)",), "inverse sine", *_unit_domain("asin"),
       second=(lambda a, out: a / np.sqrt((1.0 - a) * (1.0 + a)) ** 3,),
       second_templates=("a/sqrt(1 - a^2)^3",),
       latex=r"\arcsin(#1)",
       floats=(math.asin, (lambda a, out: 1.0 / math.sqrt((1.0 - a) * (1.0 + a)),),
               (lambda a, out: a / math.sqrt((1.0 - a) * (1.0 + a)) ** 3,))),
    Op("acos", 1, np.arccos, (lambda a, out: -1.0 / np.sqrt((1.0 - a) * (1.0 + a)),),
       ("-1/sqrt(1 - a^2)",), "inverse cosine", *_unit_domain("acos"),
       second=(lambda a, out: -a / np.sqrt((1.0 - a) * (1.0 + a)) ** 3,),
       second_templates=("-a/sqrt(1 - a^2)^3",),
       latex=r"\arccos(#1)",
       floats=(math.acos, (lambda a, out: -1.0 / math.sqrt((1.0 - a) * (1.0 + a)),),
               (lambda a, out: -a / math.sqrt((1.0 - a) * (1.0 + a)) ** 3,))),
    Op("atan", 1, np.arctan, (lambda a, out: 1.0 / (1.0 + a * a),), ("1/(1 + a^2)",),
       "inverse tangent",
       second=(lambda a, out: -2.0 * a / (1.0 + a * a) ** 2,),
       second_templates=("-2*a/(1 + a^2)^2",), latex=r"\arctan(#1)",
       floats=(math.atan, None, None)),
    Op("sinh", 1, np.sinh, (lambda a, out: np.cosh(a),), ("cosh(a)",), "hyperbolic sine",
       second=(lambda a, out: out,), second_templates=("sinh(a)",),
       latex=r"\sinh(#1)", floats=(math.sinh, (lambda a, out: math.cosh(a),), None)),
    Op("cosh", 1, np.cosh, (lambda a, out: np.sinh(a),), ("sinh(a)",), "hyperbolic cosine",
       second=(lambda a, out: out,), second_templates=("cosh(a)",),
       latex=r"\cosh(#1)", floats=(math.cosh, (lambda a, out: math.sinh(a),), None)),
    # 1 - out² would cancel where tanh is near ±1 (a relative error of 1e-4 at a = 15,
    # and 0 from a = 19 on): 1/cosh² keeps every digit, and is 0 only where cosh overflows;
    # so tanh'' = -2·tanh/cosh².
    Op("tanh", 1, np.tanh, (lambda a, out: 1.0 / np.cosh(a) ** 2,), ("1/cosh(a)^2",),
       "hyperbolic tangent",
       second=(lambda a, out: -2.0 * out / np.cosh(a) ** 2,),
       second_templates=("-2*out/cosh(a)^2",), latex=r"\tanh(#1)",
       floats=(math.tanh, (lambda a, out: 1.0 / math.cosh(a) ** 2,),
               (lambda a, out: -2.0 * out / math.cosh(a) ** 2,))),
    Op("exp", 1, np.exp, (lambda a, out: out,), ("out",), "e to the a",
       second=(lambda a, out: out,), second_templates=("out",), latex="e^{#1}",
       floats=(math.exp, None, None)),
    Op("log", 1, np.log, (lambda a, out: 1.0 / a,), ("1/a",), "natural logarithm",
       *_log_domain("log"), latex=r"\log(#1)",
       second=(lambda a, out: -1.0 / (a * a),), second_templates=("-1/a^2",),
       floats=(math.log, None, None)),
    Op("log2", 1, np.log2, (lambda a, out: 1.0 / (a * _LN2),), ("1/(a*log(2))",),
       "base-2 logarithm", *_log_domain("log2"), latex=r"\log_{2}(#1)",
       second=(lambda a, out: -1.0 / (a * a * _LN2),),
       second_templates=("-1/(a^2*log(2))",), floats=(math.log2, None, None)),
    Op("log10", 1, np.log10, (lambda a, out: 1.0 / (a * _LN10),), ("1/(a*log(10))",),
       "base-10 logarithm", *_log_domain("log10"), latex=r"\log_{10}(#1)",
       second=(lambda a, out: -1.0 / (a * a * _LN10),),
       second_templates=("-1/(a^2*log(10))",), floats=(math.log10, None, None)),
    Op("sqrt", 1, np.sqrt, (lambda a, out: 0.5 / out,), ("1/(2*out)",), "square root",
       lambda a: a >= 0, "sqrt needs a non-negative argument", latex=r"\sqrt{#1}",
       second=(lambda a, out: -0.25 / (out * out * out),),
       second_templates=("-1/(4*out^3)",), floats=(math.sqrt, None, None)),
    # --- piecewise: a kink where the derivative jumps; the convention is PyTorch's ----
    Op("abs", 1, np.abs, (lambda a, out: np.sign(a),), ("sign(a)",), "absolute value",
       kink=lambda a: a == 0, kink_text="abs'(0) is taken as 0",
       kink2_text="abs''(0) is taken as 0", second=(lambda a, out: 0.0,),
       second_templates=("0",), latex="|#1|",
       floats=(abs, (lambda a, out: math.copysign(1.0, a) if a else 0.0,), None)),
    Op("relu", 1, lambda a: np.maximum(a, 0.0), (lambda a, out: _step(a),), ("step(a)",),
       "max(a, 0)", kink=lambda a: a == 0, kink_text="relu'(0) is taken as 0",
       kink2_text="relu''(0) is taken as 0", second=(lambda a, out: 0.0,),
       second_templates=("0",),
       latex=r"\operatorname{relu}(#1)"),
    # out·(1 − out) cancels as out nears 1; 1 − σ(a) is σ(−a), which does not, and
    # 1 − 2σ(a) is −tanh(a/2): σ'' = −σ(a)σ(−a)tanh(a/2).
    Op("sigmoid", 1, _sigmoid, (lambda a, out: out * _sigmoid(-a),), ("out*sigmoid(-a)",),
       "1 / (1 + exp(-a))",
       second=(lambda a, out: -out * _sigmoid(-a) * np.tanh(0.5 * a),),
       second_templates=("-out*sigmoid(-a)*tanh(a/2)",), latex=r"\sigma(#1)",
       floats=(_sigmoid_float, (lambda a, out: out * _sigmoid_float(-a),),
               (lambda a, out: -out * _sigmoid_float(-a) * math.tanh(0.5 * a),))),
    # At a tie the whole adjoint goes to the first operand (TensorFlow's convention).
    Op("max", 2, np.maximum, (lambda a, b, out: 1.0 - _step(b - a), lambda a, b, out: _step(b - a)),
       ("1 - step(b - a)", "step(b - a)"), "the larger of a and b",
       kink=lambda a, b: a == b, kink_text="at a tie the adjoint goes to the first operand",
       kink2_text="the second partials are 0, at a tie too",
       second=(_zero2, _zero2, _zero2), second_templates=("0", "0", "0"),
       latex=r"\max(#1, #2)"),
    Op("min", 2, np.minimum, (lambda a, b, out: 1.0 - _step(a - b), lambda a, b, out: _step(a - b)),
       ("1 - step(a - b)", "step(a - b)"), "the smaller of a and b",
       kink=lambda a, b: a == b, kink_text="at a tie the adjoint goes to the first operand",
       kink2_text="the second partials are 0, at a tie too",
       second=(_zero2, _zero2, _zero2), second_templates=("0", "0", "0"),
       latex=r"\min(#1, #2)"),
    Op("sign", 1, np.sign, (lambda a, out: 0.0,), ("0",), "-1, 0 or 1",
       kink=lambda a: a == 0, kink_text="sign'(0) is taken as 0",
       kink2_text="sign''(0) is taken as 0", second=(lambda a, out: 0.0,), second_templates=("0",),
       latex=r"\operatorname{sign}(#1)"),
    Op("step", 1, _step, (lambda a, out: 0.0,), ("0",), "1 where a > 0, else 0",
       kink=lambda a: a == 0, kink_text="step'(0) is taken as 0",
       kink2_text="step''(0) is taken as 0", second=(lambda a, out: 0.0,), second_templates=("0",),
       latex=r"\operatorname{step}(#1)"),
    # --- comparisons and where: a comparison is 1 or 0, its derivative a structural 0 ---
    _comparison("lt", operator.lt, "<", "<", "<"),
    _comparison("le", operator.le, "<=", "≤", r"\le"),
    _comparison("gt", operator.gt, ">", ">", ">"),
    _comparison("ge", operator.ge, ">=", "≥", r"\ge"),
    _comparison("eq", operator.eq, "==", "==", "="),
    _comparison("ne", operator.ne, "!=", "≠", r"\ne"),
    # The branch not taken is not needed: no domain error, no adjoint, never 0·nan.
    Op("where", 3, _select,
       (lambda c, a, b, out: 0.0, lambda c, a, b, out: (c != 0) * 1.0,
        lambda c, a, b, out: (c == 0) * 1.0),
       ("0", "a != 0", "a == 0"), "where(c, a, b): a where c ≠ 0 (true), else b",
       latex=r"\operatorname{where}(#1, #2, #3)", flat=(0,),
       taken=lambda c, a, b: (True, c != 0, c == 0),
       second=(_zero3,) * 6, second_templates=("0",) * 6),
    # --- more functions ----------------------------------------------------------------
    Op("atan2", 2, np.arctan2, (_atan2_partial(0), _atan2_partial(1)),
       ("b/(a^2 + b^2)", "-a/(a^2 + b^2)"), "atan2(y, x): the angle of the point (x, y)",
       kink=lambda a, b: (a == 0) & (b <= 0),
       kink_text="atan2 jumps from π to −π on the negative x-axis and has no derivative at "
                 "(0, 0); the partials there are the formulas' limits from y > 0 (0 at the origin)",
       latex=r"\operatorname{atan2}(#1, #2)",
       second=(_atan2_second("aa"), _atan2_second("ab"), _atan2_second("bb")),
       second_templates=("-2*a*b/(a^2 + b^2)^2", "(a^2 - b^2)/(a^2 + b^2)^2",
                         "2*a*b/(a^2 + b^2)^2"),
       kink2_text="the second partials are the formulas' limits from y > 0 (0 at the origin)"),
    Op("hypot", 2, np.hypot, (lambda a, b, out: _ratio(a, out), lambda a, b, out: _ratio(b, out)),
       ("a/out", "b/out"), "sqrt(a**2 + b**2), without overflow",
       kink=lambda a, b: (a == 0) & (b == 0), kink_text="hypot'(0, 0) is taken as 0",
       latex=r"\operatorname{hypot}(#1, #2)",
       second=(_hypot_second("aa"), _hypot_second("ab"), _hypot_second("bb")),
       second_templates=("b^2/out^3", "-a*b/out^3", "a^2/out^3"),
       kink2_text="hypot''(0, 0) is taken as 0"),
    Op("log1p", 1, np.log1p, (lambda a, out: 1.0 / (1.0 + a),), ("1/(1 + a)",),
       "log(1 + a), accurate for small a", lambda a: a > -1,
       "log1p needs an argument greater than -1", latex=r"\log(1 + #1)",
       second=(lambda a, out: -1.0 / ((1.0 + a) * (1.0 + a)),), second_templates=("-1/(1 + a)^2",),
       floats=(math.log1p, None, None)),
    Op("expm1", 1, np.expm1, (lambda a, out: np.exp(a),), ("exp(a)",),
       "exp(a) - 1, accurate for small a", latex=r"(e^{#1} - 1)",
       second=(lambda a, out: np.exp(a),), second_templates=("exp(a)",),
       floats=(math.expm1, (lambda a, out: math.exp(a),), (lambda a, out: math.exp(a),))),
    Op("erf", 1, _per_entry(math.erf), (lambda a, out: _TWO_OVER_SQRT_PI * _gauss(a),),
       ("2/sqrt(pi)*exp(-a^2)",), "the error function", latex=r"\operatorname{erf}(#1)",
       second=(lambda a, out: -2.0 * a * _TWO_OVER_SQRT_PI * _gauss(a),),
       second_templates=("-4*a/sqrt(pi)*exp(-a^2)",)),
    Op("erfc", 1, _per_entry(math.erfc), (lambda a, out: -_TWO_OVER_SQRT_PI * _gauss(a),),
       ("-2/sqrt(pi)*exp(-a^2)",), "1 - erf(a), accurate for large a",
       latex=r"\operatorname{erfc}(#1)",
       second=(lambda a, out: 2.0 * a * _TWO_OVER_SQRT_PI * _gauss(a),),
       second_templates=("4*a/sqrt(pi)*exp(-a^2)",)),
    # logaddexp(0, a) is log1p(exp(−|a|)) + max(a, 0); softplus'' is σ(a)σ(−a), not
    # σ(a)(1 − σ(a)), which is 0 from a = 37 on
    Op("softplus", 1, lambda a: np.logaddexp(0.0, a), (lambda a, out: _sigmoid(a),),
       ("sigmoid(a)",), "log(1 + exp(a)), without overflow",
       latex=r"\operatorname{softplus}(#1)",
       second=(lambda a, out: _sigmoid(a) * _sigmoid(-a),),
       second_templates=("sigmoid(a)*sigmoid(-a)",)),
    Op("cbrt", 1, np.cbrt, (lambda a, out: 1.0 / (3.0 * out * out),), ("1/(3*out^2)",),
       "cube root (of negative numbers too)", latex=r"\sqrt[3]{#1}",
       second=(lambda a, out: -2.0 / (9.0 * out ** 5),), second_templates=("-2/(9*out^5)",)),
    Op("floor", 1, np.floor, (_zero1,), ("0",), "the largest integer ≤ a",
       kink=lambda a: a == np.floor(a), kink_text="floor jumps at integers; its derivative is taken as 0",
       latex=r"\lfloor #1 \rfloor", flat=(0,),
       second=(_zero1,), second_templates=("0",), kink2_text="floor'' is taken as 0 at its jumps too"),
    Op("ceil", 1, np.ceil, (_zero1,), ("0",), "the smallest integer ≥ a",
       kink=lambda a: a == np.floor(a), kink_text="ceil jumps at integers; its derivative is taken as 0",
       latex=r"\lceil #1 \rceil", flat=(0,),
       second=(_zero1,), second_templates=("0",), kink2_text="ceil'' is taken as 0 at its jumps too"),
    Op("round", 1, np.round, (_zero1,), ("0",), "the nearest integer (a half to the even one)",
       kink=lambda a: a - np.floor(a) == 0.5,
       kink_text="round jumps half-way between integers; its derivative is taken as 0",
       latex=r"\operatorname{round}(#1)", flat=(0,),
       second=(_zero1,), second_templates=("0",), kink2_text="round'' is taken as 0 at its jumps too"),
    # As PyTorch's clamp: at a bound the adjoint goes to x.
    Op("clip", 3, np.clip,
       (lambda a, b, c, out: ((a >= b) & (a <= c)) * 1.0, lambda a, b, c, out: (a < b) * 1.0,
        lambda a, b, c, out: (a > c) * 1.0),
       ("(a >= b)*(a <= c)", "a < b", "a > c"), "clip(x, lo, hi): x held between lo and hi",
       kink=lambda a, b, c: (a == b) | (a == c),
       kink_text="at a bound the adjoint goes to x, as PyTorch's clamp",
       latex=r"\operatorname{clip}(#1, #2, #3)", second=(_zero3,) * 6,
       second_templates=("0",) * 6, kink2_text="the second partials are 0, at a bound too"),
    # --- vectors and matrices: a vector–Jacobian product instead of partials ----------
    Op("matmul", 2, np.matmul, (), (), "a @ b: matrix product (a vector is a column)",
       vjp=(_matmul_vjp_a, _matmul_vjp_b),
       jvp=(lambda t, a, b, out: t @ b, lambda t, a, b, out: a @ t),
       rule=_matmul_rule, shape=_matmul_shape, dvjp=(_matmul_dvjp_a, _matmul_dvjp_b),
       callable=False, infix=(2, "@", "@"),
       latex="#1 #2"),
    Op("T", 1, np.transpose, (), (), "a.T or T(a): transpose",
       vjp=(lambda g, a, out: np.transpose(g),), jvp=(lambda t, a, out: np.transpose(t),),
       rule=lambda a: ("gᵀ",), shape=lambda a: a[::-1], dvjp=(None,),
       latex=r"#1^{\top}"),
    Op("sum", 1, np.sum, (), (), "the sum of the entries",
       vjp=(lambda g, a, out: np.full(np.shape(a), g),), jvp=(lambda t, a, out: np.sum(t),),
       rule=lambda a: ("g",), shape=lambda a: (), dvjp=(None,),
       latex=r"\sum(#1)"),
    Op("mean", 1, np.mean, (), (), "the mean of the entries",
       vjp=(lambda g, a, out: np.full(np.shape(a), g / np.size(a)),),
       jvp=(lambda t, a, out: np.mean(t),),
       rule=lambda a: (f"g/{int(np.prod(a))}",), shape=_reduce_shape("mean"), dvjp=(None,),
       latex=r"\operatorname{mean}(#1)"),
    Op("dot", 2, np.dot, (), (), "dot(a, b): the dot product of two vectors",
       vjp=(lambda g, a, b, out: g * b, lambda g, a, b, out: g * a),
       jvp=(lambda t, a, b, out: np.dot(t, b), lambda t, a, b, out: np.dot(a, t)),
       rule=lambda a, b: ("g·b", "g·a"), shape=_dot_shape,
       dvjp=(lambda g, dots, a, b, out, out_dot: None if dots[1] is None else g * dots[1],
             lambda g, dots, a, b, out, out_dot: None if dots[0] is None else g * dots[0]),
       latex=r"{#1}^{\top} {#2}"),
    Op("norm", 1, lambda a: np.sqrt(np.sum(a * a)), (), (), "the 2-norm: sqrt(sum(a**2))",
       vjp=(lambda g, a, out: g * _over(a, out),),
       jvp=(lambda t, a, out: np.sum(t * _over(a, out)),),
       rule=lambda a: ("g·a/out",), shape=lambda a: (), dvjp=(_norm_dvjp,),
       kink=lambda a: not np.any(a), kink_text="norm'(0) is taken as 0",
       kink2_text="norm''(0) is taken as 0",
       latex=r"\lVert #1 \rVert"),
    Op("amax", 1, np.max, (), (), "max(a): the largest entry", shown="max",
       vjp=(lambda g, a, out: _at_first(a, np.argmax(a), g),),
       jvp=(lambda t, a, out: np.ravel(t)[np.argmax(a)],),
       rule=lambda a: ("g at the first largest entry",), shape=_reduce_shape("max"),
       kink=lambda a: np.sum(a == np.max(a)) > 1,
       kink_text="at a tie the adjoint goes to the first largest entry",
       dvjp=(None,), kink2_text="its second derivative is 0, at a tie too",
       latex=r"\max(#1)"),
    Op("amin", 1, np.min, (), (), "min(a): the smallest entry", shown="min",
       vjp=(lambda g, a, out: _at_first(a, np.argmin(a), g),),
       jvp=(lambda t, a, out: np.ravel(t)[np.argmin(a)],),
       rule=lambda a: ("g at the first smallest entry",), shape=_reduce_shape("min"),
       kink=lambda a: np.sum(a == np.min(a)) > 1,
       kink_text="at a tie the adjoint goes to the first smallest entry",
       dvjp=(None,), kink2_text="its second derivative is 0, at a tie too",
       latex=r"\min(#1)"),
    # x[0], x[:2], A[1, :]: operand b is the key, a constant (tensors.key_slices)
    Op("index", 2, lambda a, key: a[_key(key)], (), (), "a[0], a[:2], A[1, :]",
       vjp=(_index_vjp, None), jvp=(lambda t, a, key, out: t[_key(key)], None),
       rule=lambda a, key: ("g at [key], 0 elsewhere", ""), shape=_index_shape,
       dvjp=(None, None),
       callable=False,
       latex="#1[#2]"),
    # Over the last axis (a row of logits each), shifted by the largest entry so that
    # exp cannot overflow: softmax(a) = exp(a − m)/Σ exp(a − m).
    Op("softmax", 1, _softmax, (), (), "exp(a)/sum(exp(a)), over the last axis",
       vjp=(lambda g, a, out: out * (g - np.sum(g * out, axis=-1, keepdims=True)),),
       jvp=(lambda t, a, out: out * (t - np.sum(t * out, axis=-1, keepdims=True)),),
       rule=lambda a: ("out⊙(g − sum(g⊙out))",), shape=_vector_shape("softmax", keep=True),
       dvjp=(_softmax_dvjp,),
       latex=r"\operatorname{softmax}(#1)"),
    Op("logsumexp", 1, _logsumexp, (), (), "log(sum(exp(a))), over the last axis",
       # softmax(a), not exp(a − out): where out = m + log Σ rounds back to m, that is 1
       vjp=(lambda g, a, out: np.expand_dims(g, -1) * _softmax(a),),
       jvp=(lambda t, a, out: np.sum(t * _softmax(a), axis=-1),),
       rule=lambda a: ("g·softmax(a)",), shape=_vector_shape("logsumexp", keep=False),
       dvjp=(_logsumexp_dvjp,),
       latex=r"\operatorname{logsumexp}(#1)"),
]}

# max(x) of one argument is the reduction; max(a, b) stays the elementwise larger.
OVERLOADS: dict[tuple[str, int], str] = {("max", 1): "amax", ("min", 1): "amin"}

# Names that stand for numbers.
CONSTANTS: dict[str, float] = {"pi": float(np.pi), "π": float(np.pi), "e": float(np.e)}

# Operand names in templates, by position.
OPERAND_NAMES = ("a", "b", "c")

# Other spellings of a function: ln(x) is log(x), and prints as log.
ALIASES: dict[str, str] = {"ln": "log"}


def callable_names() -> list[str]:
    """The rows a call may name."""
    return sorted(name for name, op in OPS.items() if op.callable)


def documented_names() -> list[str]:
    """The functions a user may call as the README names them: max and min, not the rows
    amax and amin they overload to; ln beside log."""
    return sorted({OPS[name].shown or name for name in callable_names()} | set(ALIASES))
