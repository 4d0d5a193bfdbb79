"""SymPy as the oracle: a few hundred random programs, their values and every gradient
entry against SymPy's value and symbolic derivative, evaluated with mpmath at 40 digits.

The programs come from a seeded generator that builds one small tree per program and
prints it twice: in backprop's language (with minimal parentheses, and the alternative
spellings ^, ·, ×, − picked at random, so precedence is exercised) and fully parenthesized
in SymPy's (sigmoid written out, relu as Max, log2 as log(a, 2)). The oracle never sees
backprop's parser. Some programs are statement lists (`u = …; v = …; …`), which SymPy sees
inlined. Every program also runs with share=False, which must give the same gradient,
and against central differences of backprop's own forward pass (a looser tolerance).
"""

from __future__ import annotations

import functools
import math
import random

import mpmath
import pytest
import sympy

from backprop_cli import differentiate
from backprop_cli.errors import DomainError
from conftest import eval_text
from backprop_cli.render.json_doc import trace_document

SEED = 20240611
N_PROGRAMS = 300
POINTS_PER_PROGRAM = 2
VARS = ("x", "y", "z")
SYMBOLS = sympy.symbols("x y z", real=True)
SYMPY_LOCALS = dict(zip(VARS, SYMBOLS))

# --- the tree and its two spellings ----------------------------------------------------
# ("var", name) | ("num", ours, theirs) | ("ref", name, definition) | ("neg", a)
# | ("bin", op, a, b) | ("pow", a, b) | ("call", name, (args…))

_PREC = {"bin+": 1, "bin-": 1, "bin*": 2, "bin/": 2, "neg": 3, "pow": 4}
_ATOM = 5

_SYMPY_CALL = {
    "sigmoid": "(1/(1 + exp(-({0}))))",
    "relu": "Max({0}, 0)",
    "abs": "Abs({0})",
    "max": "Max({0}, {1})",
    "min": "Min({0}, {1})",
    "log2": "log({0}, 2)",
    "log10": "log({0}, 10)",
    "pow": "(({0})**({1}))",
}


def prec(node) -> int:
    kind = node[0]
    if kind == "bin":
        return _PREC["bin" + node[1]]
    if kind in ("neg", "pow"):
        return _PREC[kind]
    return _ATOM


class Printer:
    """backprop's spelling: minimal parentheses, plus some the generator adds for fun."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def spell(self, op: str) -> str:
        r = self.rng.random()
        if op == "*":
            return "*" if r < 0.8 else ("·" if r < 0.9 else "×")
        if op == "-":
            return "-" if r < 0.9 else "−"
        if op == "**":
            return "**" if r < 0.7 else "^"
        return op

    def sp(self) -> str:
        return self.rng.choice(["", "", " "])

    def wrap(self, text: str, needed: bool) -> str:
        if needed or self.rng.random() < 0.05:
            return f"({text})"
        return text

    def ours(self, node) -> str:
        kind = node[0]
        if kind == "var":
            return node[1]
        if kind == "num":
            return node[1]
        if kind == "ref":
            return node[1]
        if kind == "neg":
            a = node[1]
            return self.spell("-") + self.wrap(self.ours(a), prec(a) < 3)
        if kind == "bin":
            op, a, b = node[1:]
            p = _PREC["bin" + op]
            left = self.wrap(self.ours(a), prec(a) < p)
            right = self.wrap(self.ours(b), prec(b) <= p)
            return f"{left}{self.sp()}{self.spell(op)}{self.sp()}{right}"
        if kind == "pow":
            a, b = node[1:]
            if self.rng.random() < 0.15:
                return f"pow({self.ours(a)},{self.sp()}{self.ours(b)})"
            left = self.wrap(self.ours(a), prec(a) < _ATOM)
            right = self.wrap(self.ours(b), prec(b) < 3)
            return f"{left}{self.spell('**')}{right}"
        if kind == "call":
            name, args = node[1:]
            return f"{name}(" + f",{self.sp()}".join(self.ours(a) for a in args) + ")"
        raise AssertionError(node)


def theirs(node) -> str:
    """SymPy's spelling, fully parenthesized."""
    kind = node[0]
    if kind == "var":
        return node[1]
    if kind == "num":
        return node[2]
    if kind == "ref":
        return f"({theirs(node[2])})"
    if kind == "neg":
        return f"(-({theirs(node[1])}))"
    if kind == "bin":
        op, a, b = node[1:]
        return f"(({theirs(a)}) {op} ({theirs(b)}))"
    if kind == "pow":
        return f"(({theirs(node[1])})**({theirs(node[2])}))"
    if kind == "call":
        name, args = node[1:]
        texts = [theirs(a) for a in args]
        if name in _SYMPY_CALL:
            return _SYMPY_CALL[name].format(*texts)
        return f"{name}(" + ", ".join(texts) + ")"
    raise AssertionError(node)


_NUMBERS = [("2", "2"), ("3", "3"), ("0.5", "0.5"), ("1", "1"), ("1.5", "1.5"),
            ("pi", "pi"), ("e", "E"), ("π", "pi"), (".25", ".25"), ("2e-1", "2e-1")]
_ANYWHERE = ["sin", "cos", "atan", "tanh", "sigmoid", "exp", "sinh", "abs", "relu"]


class Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.refs: list = []  # earlier statements' (name, tree)

    def leaf(self):
        r = self.rng.random()
        if self.refs and r < 0.3:
            name, tree = self.rng.choice(self.refs)
            return ("ref", name, tree)
        if r < 0.8:
            return ("var", self.rng.choice(VARS))
        return ("num", *self.rng.choice(_NUMBERS))

    def positive(self, depth):
        """An expression > 0 everywhere, for log, sqrt and a real power's base."""
        e = self.expr(depth)
        r = self.rng.random()
        if r < 0.4:
            return ("bin", "+", ("pow", e, ("num", "2", "2")), ("num", "1", "1"))
        if r < 0.6:
            return ("call", "exp", (e,))
        if r < 0.8:
            return ("call", "cosh", (e,))
        return ("call", "sigmoid", (e,))

    def unit(self, depth):
        """An expression in (-1/2, 1/2), for asin, acos and tan."""
        e = self.expr(depth)
        f = self.rng.choice(["tanh", "sin", "cos"])
        return ("bin", "/", ("call", f, (e,)), ("num", "2", "2"))

    def expr(self, depth):
        rng = self.rng
        if depth <= 0 or rng.random() < 0.2:
            return self.leaf()
        d = depth - 1
        r = rng.random()
        if r < 0.35:
            return ("bin", rng.choice("+-*"), self.expr(d), self.expr(d))
        if r < 0.42:  # a denominator kept away from zero
            return ("bin", "/", self.expr(d), self.positive(d - 1))
        if r < 0.45:
            return ("bin", "/", self.expr(d), self.expr(d))
        if r < 0.52:
            return ("neg", self.expr(d))
        if r < 0.60:
            k = rng.choice(["2", "3", "2", "-1", "-2", "0", "1"])
            exponent = ("num", k, k) if not k.startswith("-") else ("neg", ("num", k[1:], k[1:]))
            return ("pow", self.expr(d), exponent)
        if r < 0.64:
            return ("pow", self.positive(d - 1), self.expr(d))
        if r < 0.82:
            return ("call", rng.choice(_ANYWHERE), (self.expr(d),))
        if r < 0.88:
            return ("call", rng.choice(["log", "log2", "log10", "sqrt"]), (self.positive(d - 1),))
        if r < 0.94:
            return ("call", rng.choice(["asin", "acos", "tan"]), (self.unit(d - 1),))
        return ("call", rng.choice(["max", "min"]), (self.expr(d), self.expr(d)))

    def program(self):
        """(backprop source, SymPy text of the output)."""
        printer = Printer(self.rng)
        self.refs = []
        lines = []
        n_statements = self.rng.choice([0, 0, 0, 1, 2, 3])
        for i in range(n_statements):
            name = ["u", "v", "w_1"][i]
            tree = self.expr(self.rng.randint(1, 3))
            lines.append(f"{name} = {printer.ours(tree)}")
            self.refs.append((name, tree))
        out = self.expr(self.rng.randint(1, 4))
        last = printer.ours(out)
        if self.rng.random() < 0.2:
            last = f"f = {last}"
        lines.append(last)
        sep = self.rng.choice(["; ", "\n", ";\n", "\n\n", " ;"])
        source = sep.join(lines)
        if self.rng.random() < 0.1:
            source += "  # a comment"
        return source, theirs(out)


def _cases():
    rng = random.Random(SEED)
    gen = Generator(rng)
    cases = []
    for i in range(N_PROGRAMS):
        source, sym_text = gen.program()
        pts = [{v: round(rng.uniform(-1.5, 1.5), rng.choice([1, 3, 17])) for v in VARS}
               for _ in range(POINTS_PER_PROGRAM)]
        cases.append(pytest.param(source, sym_text, pts, id=f"p{i:03d}"))
    return cases


CASES = _cases()


# --- the oracle ------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def oracle(sym_text: str):
    """The SymPy expression, and a function from a point to [value, ∂/∂x, ∂/∂y, ∂/∂z] as
    mpmath numbers. Built once per program: three tests ask, and building it (sympify,
    three derivatives, lambdify) is most of their time."""
    expr = sympy.sympify(sym_text, locals=SYMPY_LOCALS)
    exprs = [expr] + [sympy.diff(expr, s) for s in SYMBOLS]
    fn = sympy.lambdify(SYMBOLS, exprs, modules="mpmath")
    return expr, fn


def finite(x) -> bool:
    try:
        return mpmath.isfinite(x) and not isinstance(x, sympy.Basic)
    except TypeError:
        return False


def inputs_in_order(trace) -> list[str]:
    return trace.program.inputs


def first_appearance(source: str) -> list[str]:
    import re

    names = []
    for m in re.finditer(r"[^\W\d]\w*", source.split("#")[0]):
        if m.group() in VARS and m.group() not in names:
            names.append(m.group())
    return names


def scale(trace) -> float:
    """How much rounding the float64 passes may have accumulated: cancellation between
    big intermediate values and big adjoints."""
    big_v = max([abs(float(v)) for v in trace.values if math.isfinite(v)] + [1.0])
    big_a = max([abs(float(a)) for a in trace.adjoints if math.isfinite(a)] + [1.0])
    return big_v * big_a


RTOL = 1e-9


def close(got: float, want, tol_abs: float) -> bool:
    want = float(want)
    return abs(got - want) <= RTOL * abs(want) + tol_abs


@pytest.mark.parametrize("source,sym_text,pts", CASES)
def test_value_and_gradient_match_sympy(source, sym_text, pts):
    expr, fn = oracle(sym_text)
    checked = 0
    for pt in pts:
        try:
            with mpmath.workdps(40):
                sym = fn(*[mpmath.mpf(pt[v]) for v in VARS])
        except (ZeroDivisionError, ValueError, OverflowError):
            continue  # outside the domain, by SymPy's arithmetic
        if not all(finite(s) for s in sym) or any(abs(s) > 1e12 for s in sym):
            continue  # SymPy says the point is outside the domain, or it overflows
        names = first_appearance(source)
        at = {v: repr(pt[v]) for v in names}
        try:
            trace = differentiate(source, at=at)
        except DomainError as err:  # pragma: no cover - SymPy found a finite value
            pytest.fail(f"DomainError where SymPy has a finite value: {err}")
        assert inputs_in_order(trace) == names
        if any(w.kind == "overflow" for w in trace.diagnostics):
            continue
        tol = 1e-12 * scale(trace)
        value = float(trace.value)
        assert close(value, sym[0], tol), (source, pt, value, sym[0])
        for v in names:
            got = float(trace.gradient[v])
            want = sym[1 + VARS.index(v)]
            assert close(got, want, tol), (source, pt, v, got, want)
        checked += 1
    # every program is generated to be defined at most points; make sure tests run
    if checked == 0:
        pytest.skip("SymPy finds no finite point for this program")


@pytest.mark.parametrize("source,sym_text,pts", CASES)
def test_gradient_matches_central_differences_and_share_false(source, sym_text, pts):
    names = first_appearance(source)
    for pt in pts:
        at = {v: pt[v] for v in names}
        try:
            trace = differentiate(source, at=at)
        except DomainError:
            continue
        if trace.diagnostics or not math.isfinite(trace.value):
            continue  # a kink, an overflow, a point where a partial is infinite
        # the tree, not the DAG: the same numbers, accumulated in another order
        tree = differentiate(source, at=at, share=False)
        assert len(tree.program.nodes) >= len(trace.program.nodes)
        assert float(tree.value) == float(trace.value)
        tol = 1e-12 * scale(trace)
        for v in names:
            assert close(float(tree.gradient[v]), trace.gradient[v], tol), (source, v)
        # central differences of the forward pass, with a Richardson step
        for v in names:
            h = 1e-5 * max(1.0, abs(pt[v]))

            def f(step):
                shifted = dict(at)
                shifted[v] = pt[v] + step
                return float(differentiate(source, at=shifted).value)

            try:
                d1 = (f(h) - f(-h)) / (2 * h)
                d2 = (f(h / 2) - f(-h / 2)) / h
            except DomainError:
                continue
            fd = (4 * d2 - d1) / 3
            got = float(trace.gradient[v])
            assert abs(got - fd) <= 1e-5 * abs(fd) + 1e-6 * scale(trace), (source, pt, v, got, fd)


def test_the_generator_covers_the_language():
    """The programs exercise every function and spelling the oracle knows."""
    text = "\n".join(c.values[0] for c in CASES)
    for name in _ANYWHERE + ["log", "log2", "log10", "sqrt", "asin", "acos", "tan", "max",
                             "min", "pow(", "cosh"]:
        assert name in text, name
    for spelling in ["^", "**", "·", "×", "−", "π", ";", "\n", "#", " = ", "/", "-"]:
        assert spelling in text, spelling
    assert sum(";" in c.values[0] or "\n" in c.values[0] for c in CASES) > 50


# --- statements nothing uses -------------------------------------------------------------

@pytest.mark.parametrize("source,at,want", [
    ("u = sqrt(x); x", "x=0", {"x": 1.0}),          # sqrt'(0) is inf
    ("u = x**0.5; v = x*2; v", "x=0", {"x": 2.0}),
    ("u = exp(exp(x)); 2*x", "x=10", {"x": 2.0}),   # u overflows: a warning, not an error
    ("u = pow(y, y); x*3", "x=1,y=0", {"x": 3.0, "y": 0.0}),
], ids=["sqrt-at-0", "power-at-0", "overflow", "other-input"])
def test_an_unused_statement_does_not_poison_the_gradient(source, at, want):
    """The output does not depend on u, so SymPy's derivative is the one of the last line.
    The reverse pass multiplies u's adjoint, 0, by u's infinite local partial: 0*inf = nan."""
    t = differentiate(source, at=at)
    assert {k: float(v) for k, v in t.gradient.items()} == want


# --- forward mode, simplified adjoints and --expand on the same programs -------------------

def _trace_at_first_good_point(source, pts, mode="both"):
    names = first_appearance(source)
    for pt in pts:
        try:
            t = differentiate(source, at={v: repr(pt[v]) for v in names}, mode=mode)
        except DomainError:
            continue
        if not t.diagnostics and math.isfinite(t.value):
            return t, pt
    return None, None


@pytest.mark.parametrize("source,sym_text,pts", CASES)
def test_forward_mode_matches_reverse_mode_and_sympy(source, sym_text, pts):
    """Dual-number forward accumulation, one pass per input, against the reverse pass
    (the same local partials, summed in another order) and against SymPy."""
    expr, fn = oracle(sym_text)
    checked = 0
    for pt in pts:
        names = first_appearance(source)
        try:
            t = differentiate(source, at={v: repr(pt[v]) for v in names}, mode="both")
        except DomainError:
            continue
        fw = t.tangents
        assert fw.passes == len(names) and fw.inputs == names
        assert [len(dot) for dot in fw.tangents] == [len(t.program.nodes)] * len(names)
        for k, v in enumerate(names):
            assert float(fw.tangents[k][k]) == 1.0  # the seed
        if t.diagnostics or not math.isfinite(t.value):
            continue
        tol = 1e-12 * scale(t)
        for v in names:
            assert close(float(fw.gradient[v]), t.gradient[v], tol), (source, v)
        try:
            with mpmath.workdps(40):
                sym = fn(*[mpmath.mpf(pt[v]) for v in VARS])
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
        if not all(finite(s) for s in sym) or any(abs(s) > 1e12 for s in sym):
            continue
        for v in names:
            assert close(float(fw.gradient[v]), sym[1 + VARS.index(v)], tol), (source, v)
        checked += 1
    if checked == 0:
        pytest.skip("no point where SymPy and backprop both have a finite gradient")


@pytest.mark.parametrize("source,sym_text,pts", CASES)
def test_simplified_adjoints_parse_again_and_give_the_adjoints(source, sym_text, pts):
    """Every node's adjoint_simplified (ascii), read back by the grammar at the run's
    w's (and the w̄'s a too-long successor leaves as symbols), is the adjoint."""
    t, _ = _trace_at_first_good_point(source, pts, mode="reverse")
    if t is None:
        pytest.skip("no point inside the domain")
    doc = trace_document(t)
    env = {}
    for row in doc["nodes"]:
        env[row["id"]] = row["value"]
        env[row["id"] + "bar"] = row["adjoint"]
    checked = 0
    for i, row in enumerate(doc["nodes"]):
        text = row["adjoint_simplified"]
        if text is None:
            continue
        try:
            got = eval_text(text, env)
        except DomainError:
            continue  # a rewritten form may take a log of a 0 the reverse pass masks
        want = float(t.adjoints[i])
        assert abs(got - want) <= 1e-9 * max(abs(want), scale(t)), (source, row["id"], text)
        checked += 1
    assert checked or not doc["nodes"], doc["nodes"]  # a constant has no nodes


_SYMPY_NAMES = {**SYMPY_LOCALS, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
                "relu": lambda a: sympy.Max(a, 0), "max": sympy.Max, "min": sympy.Min,
                "log2": lambda a: sympy.log(a, 2), "log10": lambda a: sympy.log(a, 10),
                "step": sympy.Heaviside, "sign": sympy.sign, "e": sympy.E}


@pytest.mark.parametrize("source,sym_text,pts", CASES)
def test_expanded_gradient_equals_sympys_derivative(source, sym_text, pts):
    """--expand writes ∂f/∂x in terms of the inputs: read by SymPy, it takes SymPy's
    derivative's value at the points (40 digits); read by our grammar, too."""
    t, pt = _trace_at_first_good_point(source, pts, mode="reverse")
    if t is None:
        pytest.skip("no point inside the domain")
    expanded = trace_document(t, expand=True)["gradient_expanded"]
    expr, fn = oracle(sym_text)
    with mpmath.workdps(40):
        try:
            sym = fn(*[mpmath.mpf(pt[v]) for v in VARS])
        except (ZeroDivisionError, ValueError, OverflowError):
            pytest.skip("outside SymPy's domain")
        if not all(finite(s) for s in sym) or any(abs(s) > 1e12 for s in sym):
            pytest.skip("outside SymPy's domain")
        checked = 0
        for v, text in expanded.items():
            if text is None:
                continue  # too long to expand: the table says so
            want = sym[1 + VARS.index(v)]
            theirs_ = sympy.sympify(text, locals=_SYMPY_NAMES)
            got = theirs_.evalf(30, subs={s: mpmath.mpf(pt[n]) for n, s in SYMPY_LOCALS.items()})
            assert abs(float(got) - float(want)) <= 1e-20 + 1e-12 * abs(float(want)), \
                (source, v, text)
            try:
                ours = eval_text(text, pt)
            except DomainError:
                continue
            assert close(ours, want, 1e-9 * scale(t)), (source, v, text, ours, float(want))
            checked += 1
    if not checked:
        pytest.skip("every entry too long to expand")


def test_most_programs_expand():
    """The size cap is for big DAGs, not for the generated programs of a few nodes."""
    expanded = too_long = 0
    for case in CASES[:60]:
        source, _, pts = case.values
        t, _ = _trace_at_first_good_point(source, pts, mode="reverse")
        if t is None:
            continue
        for text in trace_document(t, expand=True)["gradient_expanded"].values():
            expanded += text is not None
            too_long += text is None
    assert expanded > 5 * too_long, (expanded, too_long)
