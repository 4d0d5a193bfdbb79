"""The fuzzer: hypothesis properties over everything a user can hand backprop.

    python -m tests.fuzz --minutes 30        # a long run, new random examples each round
    python -m tests.fuzz --seconds 50        # CI's run (.ci/run)

tests/test_fuzz.py runs the same properties in the normal suite with a few derandomized
examples each. What must hold for every input (issue 15):

- no traceback and no exit code but 0, 1 or 2 (3 is a bug: the fuzzer found one);
- under --json, stdout is JSON: one document, or JSON Lines for sweep and descend;
- no control character from the input reaches stdout or stderr raw;
- values and gradients of well-conditioned programs match mpmath at 50 digits.

Inputs: grammar soups (tokens of the language in any order), mutated valid expressions,
option values, answers files, class templates and submissions (variants, grade), vector
programs, numeric edge cases; the language of issue
11 among them (comparisons, where, user functions and their errors, the new functions,
graded local partials and node values) and second derivatives (--hessian, --hvp, d2f
targets, Newton's method), in every format (html too).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import mpmath
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # conftest, run as tests.fuzz too
from conftest import run_cli  # noqa: E402

from backprop_cli.engine.ops import OPS  # noqa: E402

CONTROLS = ["\x1b[2J", "\x1b]0;t\x07", "\x00", "\x9b31m", "\u202e", "\r", "\x7f", "\ufeff"]
NUMBERS = ["0", "1", "2", "-1", "0.5", "1e308", "1e309", "1e-320", "4.9e-324", "1e-5",
           "710", "-710", "1000", "999999999999999999999", "9" * 400, "0.1", "3.", ".5",
           "1_0", "0x1", "1e", "nan", "inf", "pi", "e", "π", "2*pi", "-0"]
NAMES = ["x", "y", "z", "w1", "w1bar", "f", "θ", "x²", "a_b", "sum", "log", "e", "pi",
         "g", "a", "b"]
SYMBOLS = ["+", "-", "*", "/", "**", "^", "@", ".T", ",", ";", "=", "(", ")", "[", "]",
           ":", "#", "\n", " ", "·", "−", "²", "√", "'", '"', "\\", "$", "{", "}",
           "<", "<=", ">", ">=", "==", "!=", "≤", "≥", "≠", "f(a) = ", "g(a, b) = "]
FUNCTIONS = sorted([name for name, op in OPS.items() if op.callable]
                   + ["max", "min", "zeros", "ones", "arange", "linspace", "nope", "ln", "f",
                      "g"])
SEEDS = ["x**2*cos(x*y)+1", "x*y*exp(x*y)", "c = a + b; d = c + a", "sigmoid(x - y)",
         "log(x) + sqrt(y)", "max(x, y) + abs(x - y)", "tanh(x)**3 / (1 + y**2)",
         "u = sin(x); v = u*u; v + x", "min(x, cosh(y))", "x ** y ** 2", "-x**2",
         "sum(A @ x)", "dot(x, x) + norm(x)", "softmax(x)[0]", "x[1:] @ x[:2]",
         "logsumexp(A @ x) - x[0]", "mean(x * x)",
         # issue 11: comparisons, where (the branch not taken outside its domain), user
         # functions and their errors (recursion, arity, shadowing, free names), new rows
         "where(x > 0, sqrt(x), 0)", "where(x >= y, log(x - y), exp(y - x)) * (x != y)",
         "(x < y) + (x <= y)*x - (x == y)", "f(a, b) = a*sin(b); f(x, y) + f(y, x)",
         "g(a) = a*a; h(a) = g(a) + 1; h(x) * h(y)", "f(a) = where(a > 1, log(a - 1), a); f(x)",
         "f(a) = f(a); f(x)", "f(a) = a; f(x, y)", "sin(a) = a; sin(x)", "f(a) = a*x; f(y)",
         "f(a) = a; g(a) = f(a); f(g(x)) + g(y)", "f(x) = x; f(x)",
         "atan2(y, x) + hypot(x, y)", "softplus(x) + erf(y) - erfc(x)",
         "clip(x, -1, 1) + floor(x) + ceil(y) + round(x)",
         "cbrt(x) + log1p(x) + expm1(y) + ln(y)", "where(x > 0, x, -x)[0]",
         "where(x > 0, softplus(x), sigmoid(x)) * hypot(x, 1e200)"]
AT_SCALARS = "x={},y={},z={},a={},b={},c={},d={},u={},v={},f={},θ={}"
VECTOR_AT = "x=[1,-2],A=[[1,2],[3,4]],y=[0.5,2]"
HVP = ["x=1,y=0", "x=1", "x=[1,0],y=[0,1]", "y=nan", "x=1e308,y=-1e308", "v=1", "x=1,x=2"]
FORMATS = ["table", "json", "latex", "markdown", "dot", "mermaid", "html"]
OPTION_VALUES = ["0", "1", "3", "-1", "", "x", "1e309", "nan", "1e400", "17", "18",
                 "99999999999999999999", "10000001", "1000001", "0.1", "1/0", "--json",
                 "x=1", "log(-1)", "\x1b[2J", "ones(1e6,1e6)"]
TARGETS = ["f", "df/dx", "df/dy", "∂f/∂x", "w1", "w2bar", "w̄3", "dg/dz", "d2f/dx2", "x",
           "grad f", "", "=", "df/dx[0]", "d2f/dxdy", "∂²f/∂x∂y", "d2f/dy2", "∂w3/∂w2",
           "∂w5/∂w4", "dw4/dw1", "∂w2/∂w9", "w4", "w99"]

token = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(NAMES), st.sampled_from(SYMBOLS),
                  st.sampled_from(FUNCTIONS).map(lambda f: f + "("),
                  st.sampled_from(CONTROLS), st.text(max_size=2))
soup = st.lists(token, max_size=25).map("".join)


@st.composite
def mutated(draw):
    """A valid expression with a few edits: a token in, a span out, a span doubled."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "double", "swap"]))
        if kind == "insert":
            text = text[:at] + draw(token) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)):]
        elif kind == "double":
            text = text[:at] + text[at:at + 6] * draw(st.integers(2, 40)) + text[at:]
        elif len(text) > at + 1:
            text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
    return text


@st.composite
def definitions(draw):
    """User functions: a few definitions (names and parameters from the names, the
    built-ins and control characters), then calls of any arity, the program's or not."""
    label = st.one_of(st.sampled_from(NAMES + FUNCTIONS), st.sampled_from(CONTROLS).map(
        lambda c: "f" + c), st.text(max_size=3))
    known = []
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(label)
        params = draw(st.lists(st.sampled_from(["a", "b", "c", "x", "pi", "a"]), max_size=3))
        body = draw(st.one_of(mutated(), st.sampled_from(
            ["a", "a*b", "where(a > b, log(a), b)", "sin(a) + c", "x"] + [
                f"{k}(a)" for k in known])))
        parts.append(f"{name}({', '.join(params)}) = {body}")
        known.append(name)
    calls = draw(st.lists(st.tuples(st.sampled_from(known + ["f"]),
                                    st.lists(st.sampled_from(["x", "y", "1", "x*y", "pi"]),
                                             max_size=4)), min_size=1, max_size=3))
    parts.append(" + ".join(f"{n}({', '.join(a)})" for n, a in calls))
    return draw(st.sampled_from(["; ", "\n"])).join(parts)


expression = st.one_of(soup, mutated(), st.sampled_from(SEEDS), definitions())
number = st.one_of(st.sampled_from(NUMBERS),
                   st.floats(allow_nan=False, allow_infinity=False).map(repr))
scalar_at = st.lists(number, min_size=11, max_size=11).map(lambda v: AT_SCALARS.format(*v))
at_text = st.one_of(scalar_at, st.just(VECTOR_AT), soup, mutated())


def _check(r, as_json: bool, lines: bool = False) -> None:
    out = r.stdout + r.stderr
    assert r.returncode in (0, 1, 2), (r.args, r.returncode, r.stderr[-2000:])
    assert "Traceback" not in out, (r.args, out[-2000:])
    raw = [c for c in out if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0
           or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
    assert not raw, (r.args, raw[:5], out[:500])
    if as_json:
        docs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        assert docs, (r.args, r.stdout, r.stderr)
        if not lines:
            assert len(docs) == 1, (r.args, r.stdout[:1000])
        if r.returncode == 2:
            assert "error" in docs[-1], (r.args, r.stdout[:1000])


# --- the properties ----------------------------------------------------------------------

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None)


@given(source=expression, at=at_text, fmt=st.sampled_from(FORMATS),
       extra=st.lists(st.sampled_from(["--no-share", "--mode", "both", "forward", "--expand",
                                        "--blank", "--graph", "--precision", "17", "--seed",
                                        "1", "--jacobian", "--max-rows", "1", "--hessian",
                                        "--step"]), max_size=3),
       hvp=st.one_of(st.none(), st.sampled_from(HVP), soup))
def show_never_crashes(source, at, fmt, extra, hvp):
    # options first: after a source of "--" every word is an argument, not an option
    args = ["--format", fmt, *extra, *(["--hvp", hvp] if hvp is not None else []),
            source, "--at", at]
    _check(run_cli(*args), as_json=fmt == "json" and "--json" not in extra)


@given(source=expression, at=at_text, target=st.sampled_from(TARGETS),
       answer=st.one_of(expression, number), as_json=st.booleans())
def check_never_crashes(source, at, target, answer, as_json):
    args = ["check", *(["--json"] if as_json else []), "--at", at,
            "--expect", f"{target} = {answer}", source]
    _check(run_cli(*args), as_json)


@given(source=expression, lo=number, hi=number,
       count=st.sampled_from(["2", "3", "7", "0", "1", "-3", "x", "10000001", "1e9", ""]),
       fmt=st.sampled_from(["table", "json", "csv"]), plot=st.booleans(),
       hessian=st.booleans())
def sweep_never_crashes(source, lo, hi, count, fmt, plot, hessian):
    args = ["sweep", "--over", f"x={lo}:{hi}:{count}", "--at", "y=0.5", "--format", fmt,
            *(["--plot"] if plot else []), *(["--hessian"] if hessian else []), source]
    _check(run_cli(*args), as_json=fmt == "json" and not plot, lines=True)


@given(source=expression, start=number, lr=st.sampled_from(OPTION_VALUES + ["0.1", "2"]),
       steps=st.sampled_from(["0", "1", "5", "-1", "x", "1000000001", "20"]),
       optimizer=st.sampled_from(["plain", "momentum", "adam", "newton", "nope"]),
       as_json=st.booleans())
def descend_never_crashes(source, start, lr, steps, optimizer, as_json):
    args = ["descend", "--from", f"x={start},y=1", "--lr", lr, "--steps", steps,
            "--optimizer", optimizer, *(["--json"] if as_json else []), source]
    _check(run_cli(*args), as_json, lines=True)


@given(words=st.lists(st.one_of(st.sampled_from(
    ["--at", "--json", "--format", "--js", "--form", "--precision", "--max-rows", "--every",
     "--over", "--expect", "--answers", "--rtol", "--atol", "--lr", "--from", "--steps",
     "-f", "-", "--", "check", "sweep", "descend", "--help", "--version", "--debug",
     "--plot", "--seed", "--jacobian", "--mode", "--answers-out", "--hessian", "--hvp",
     "--step", "--optimizer", "--betas", "--momentum"]),
    st.sampled_from(OPTION_VALUES), expression), max_size=8))
def options_never_crash(words):
    if "--answers-out" in words or "--plot" in words:  # they write files: not here
        return
    r = run_cli(*words)
    _check(r, as_json=False)
    if r.returncode == 2 and "--json" in words and "--" not in words and "-" not in words:
        json.loads(r.stdout.strip().splitlines()[-1])


@given(name=soup, source=expression, at=st.one_of(at_text, st.integers(), st.none()),
       target=st.sampled_from(TARGETS), answer=st.one_of(soup, st.integers(), st.floats()),
       fmt=st.sampled_from(["json", "toml"]), junk=soup)
def answers_files_never_crash(name, source, at, target, answer, fmt, junk):
    problem = {"name": name, "expression": source, "expect": {target: answer}}
    if at is not None:
        problem["at"] = at
    if fmt == "json":
        text = json.dumps({"problems": [problem]}, allow_nan=True)
    else:
        def value(v):
            return json.dumps(v) if not isinstance(v, float) or math.isfinite(v) else "nan"
        text = ("[[problems]]\n" + "".join(f"{k} = {value(v)}\n" for k, v in problem.items()
                                           if k != "expect")
                + "[problems.expect]\n" + f"{json.dumps(target)} = {value(answer)}\n")
    text = text + junk if junk.startswith("#") else text
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"a.{fmt}"
        path.write_text(text, encoding="utf-8")
        for as_json in (False, True):
            _check(run_cli("check", "--answers", str(path), *(["--json"] if as_json else [])),
                   as_json)


@given(title=soup, source=expression, x=st.one_of(number, soup), target=st.sampled_from(TARGETS),
       points=st.sampled_from(["1", "0", "-1", "2.5", '"x"', "1e400"]),
       answer=st.one_of(expression, number, soup), student=st.one_of(st.just("s1"), soup),
       fmt=st.sampled_from(["table", "json", "csv"]))
def classes_never_crash(title, source, x, target, points, answer, student, fmt):
    """backprop variants and grade over a template and a submission made of the same
    pieces: any text a teacher or a student may hand them."""
    template = ("assignment = \"hw\"\ntitle = " + json.dumps(title) + "\n[[problems]]\n"
                'name = "p"\nexpression = ' + json.dumps(source) + "\n[problems.point]\n"
                "x = " + json.dumps(x) + '\ny = ["pi/6", 1]\n[problems.targets]\n'
                + json.dumps(target) + f" = {points}\n")
    submission = ("student = " + json.dumps(student) + "\n[p]\n" + json.dumps(target)
                  + " = " + json.dumps(answer) + "\n")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "t.toml").write_text(template, encoding="utf-8")
        (Path(tmp) / "s.toml").write_text(submission, encoding="utf-8")
        roster = ["s1"] + ([student.replace("\n", " ")] if student != "s1" else [])
        (Path(tmp) / "r.csv").write_text("id\n" + "\n".join(roster) + "\n", encoding="utf-8")
        _check(run_cli("variants", str(Path(tmp) / "t.toml"), "--roster",
                       str(Path(tmp) / "r.csv"), "--secret", "k", "--out",
                       str(Path(tmp) / "v")), as_json=False)
        _check(run_cli("grade", str(Path(tmp) / "t.toml"), str(Path(tmp) / "s.toml"),
                       "--secret", "k", "--jobs", "1", "--format", fmt),
               as_json=fmt == "json")


# --- numbers against mpmath ----------------------------------------------------------------

# Well-conditioned pieces: (text, mpmath function, bound) of operands already so. A
# bound takes the operands' bounds and gives one on the piece's terms' sizes (each at least
# the absolute value of the original), which scales the tolerance: cancellation can lose
# digits relative to the terms.
def _sigmoid(a):
    return 1 / (1 + mpmath.exp(-a))


def _where(a):
    # where(a > c, sqrt(a)*log(a), 1 - a): the branch not taken is outside its domain
    # wherever a < 0; no coordinate rounded to 6 digits (nor a difference of two) is at
    # the threshold
    return mpmath.sqrt(a) * mpmath.log(a) if a > mpmath.mpf("0.31830988") else 1 - a


UNARY = [("sin({})", mpmath.sin, mpmath.cosh), ("cos({})", mpmath.cos, mpmath.cosh),
         ("tanh({})", mpmath.tanh, lambda a: 1 + a), ("exp({})", mpmath.exp, mpmath.exp),
         ("sigmoid({})", _sigmoid, lambda a: 1 + a),
         ("atan({})", mpmath.atan, lambda a: 1 + a),
         ("log(1 + ({})**2)", lambda a: mpmath.log(1 + a ** 2), lambda a: 1 + a ** 2),
         ("sqrt(2 + ({})**2)", lambda a: mpmath.sqrt(2 + a ** 2), lambda a: 2 + a ** 2),
         ("sinh({})", mpmath.sinh, mpmath.cosh),
         ("({})**3", lambda a: a ** 3, lambda a: a + a ** 3),
         # issue 11's rows and where
         ("erf({})", mpmath.erf, lambda a: 1 + a), ("erfc({})", mpmath.erfc, lambda a: 2 + a),
         ("softplus({})", lambda a: mpmath.log(1 + mpmath.exp(a)), lambda a: 1 + a),
         ("expm1({})", mpmath.expm1, mpmath.exp),
         ("log1p(({})**2)", lambda a: mpmath.log1p(a ** 2), lambda a: 1 + a ** 2),
         ("ln(1 + ({})**2)", lambda a: mpmath.log(1 + a ** 2), lambda a: 1 + a ** 2),
         ("cbrt(2 + ({})**2)", lambda a: mpmath.cbrt(2 + a ** 2), lambda a: 2 + a ** 2),
         ("where({0} > 0.31830988, sqrt({0})*log({0}), 1 - {0})", _where, lambda a: 2 + a * a)]
BINARY = [("({} + {})", lambda a, b: a + b, lambda a, b: a + b),
          ("({} * {})", lambda a, b: a * b, lambda a, b: a * b + a + b),
          ("({} - {})", lambda a, b: a - b, lambda a, b: a + b),
          ("{} / (2 + cos({}))", lambda a, b: a / (2 + mpmath.cos(b)),
           lambda a, b: a + mpmath.cosh(b)),
          ("atan2({}, 2 + ({})**2)", lambda a, b: mpmath.atan2(a, 2 + b ** 2),
           lambda a, b: 4 + a + b ** 2),
          ("hypot({}, 1 + ({})**2)", lambda a, b: mpmath.hypot(a, 1 + b ** 2),
           lambda a, b: 1 + a + b ** 2),
          ("where({0} < {1} + 0.31830988, {0}, {1})",
           lambda a, b: a if a < b + mpmath.mpf("0.31830988") else b, lambda a, b: a + b)]


def _leaf():
    return st.sampled_from([("x", lambda v: v[0], lambda v: abs(v[0])),
                            ("y", lambda v: v[1], lambda v: abs(v[1])),
                            ("0.5", lambda v: mpmath.mpf("0.5"), lambda v: mpmath.mpf("0.5"))])


def _extend(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(
        lambda t: (t[0][0].format(t[1][0]), lambda v, f=t[0][1], a=t[1][1]: f(a(v)),
                   lambda v, m=t[0][2], a=t[1][2]: m(a(v))))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(
        lambda t: (t[0][0].format(t[1][0], t[2][0]),
                   lambda v, f=t[0][1], a=t[1][1], b=t[2][1]: f(a(v), b(v)),
                   lambda v, m=t[0][2], a=t[1][2], b=t[2][2]: m(a(v), b(v))))
    return st.one_of(unary, binary)


def _called(prog):
    """The program as a user function's body, called twice: g(x, y) + g(y, 0.5)."""
    text, f, bound = prog
    body = re.sub(r"\by\b", "b", re.sub(r"\bx\b", "a", text))
    return (f"g(a, b) = {body}; g(x, y) + g(y, 0.5)",
            lambda v: f(v) + f([v[1], mpmath.mpf("0.5")]),
            lambda v: bound(v) + bound([v[1], mpmath.mpf("0.5")]))


program = st.recursive(_leaf(), _extend, max_leaves=6)
coordinate = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 6))


@given(prog=st.one_of(program, program.map(_called)), x=coordinate, y=coordinate,
       second=st.booleans())
def values_and_gradients_match_mpmath(prog, x, y, second):
    """Value and gradient (and, every other example, the Hessian) against mpmath at 50
    digits: the derivatives by mpmath's own numerical differentiation."""
    text, f, bound = prog
    used = [(n, v) for n, v in (("x", x), ("y", y)) if re.search(rf"\b{n}\b", text)]
    if not used:
        return
    r = run_cli(text, "--at", ",".join(f"{n}={v!r}" for n, v in used), "--json",
                *(["--hessian"] if second else []))
    assert r.returncode == 0, (text, r.stderr)
    doc = json.loads(r.stdout)
    mpmath.mp.dps = 50
    point = [mpmath.mpf(x), mpmath.mpf(y)]
    want = f(point)
    scale = float(1 + bound([abs(point[0]), abs(point[1])])) * 1e3
    assert abs(doc["value"] - want) <= 1e-12 * scale, (text, x, y, doc["value"], want)
    names = [name for name in ("x", "y") if name in doc["gradient"]]
    for name in names:
        k = "xy".index(name)
        d = mpmath.diff(lambda t: f([t if i == k else point[i] for i in range(2)]), point[k])
        got = doc["gradient"][name]
        assert abs(got - d) <= 1e-10 * scale, (text, name, x, y, got, d)
    for a in names if second else ():
        for b in names:
            order = tuple(("xy".index(a) == k) + ("xy".index(b) == k) for k in range(2))
            d = mpmath.diff(lambda s, t: f([s, t]), point, order)
            got = doc["hessian"][a][b]
            assert abs(got - d) <= 1e-9 * scale * scale, (text, a, b, x, y, got, d)


PROPERTIES = [show_never_crashes, check_never_crashes, sweep_never_crashes,
              descend_never_crashes, options_never_crash, answers_files_never_crash,
              classes_never_crash, values_and_gradients_match_mpmath]


def run_for(seconds: float, examples: int = 50, derandomize: bool = False) -> int:
    """Each property in turn, `examples` at a time, until the time is up; the count run."""
    end = time.monotonic() + seconds
    rounds = 0
    # each property wrapped with these settings: @given takes the default settings when it
    # decorates, so a profile loaded now would not reach it (no deadline, this many examples)
    runs = [settings(max_examples=examples, derandomize=derandomize, **SETTINGS)(prop)
            for prop in PROPERTIES]
    while True:
        for prop in runs:
            prop()
            if time.monotonic() >= end:
                return (rounds + 1) * examples
        rounds += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="how long to run (default 1)")
    budget.add_argument("--seconds", type=float, help="how long to run")
    parser.add_argument("--examples", type=int, default=50,
                        help="examples per property per round (default 50)")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else 60 * (args.minutes or 1)
    start = time.monotonic()
    count = run_for(seconds, args.examples)
    print(f"fuzz: about {count} examples per property in {time.monotonic() - start:.0f} s, "
          "no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
