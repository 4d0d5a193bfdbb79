"""A class template, a roster, and one variant of the problems per student.

A template (TOML) holds problems, each an expression with the targets to grade and their
points; the point, and coefficients written into the expression, may be drawn per student
from declared choices or ranges:

    assignment = "ece364-hw8"   # drawn from with the secret and the student's id
    title = "Backpropagation by hand"
    [grading]
    digits = 3                  # numbers right to 3 significant digits (a target may differ)
    partial = 0.5               # of a number's points when right to one digit fewer
    reveal = "counterexample"   # the hint tier of the feedback: score, hint, counterexample, truth
    visibility = "visible"      # of each Gradescope test
    [[problems]]
    name = "f"                  # the submission's table for this problem
    title = "The lecture's f"
    text = "Run both passes by hand."
    hint = "…"                  # on the worksheet
    expression = "x**2*cos(x*y) + 1"
    [problems.point]            # a value, a list of choices, or {from, to, step}
    x = { from = -2, to = 2, step = 0.5 }
    y = ["pi/3", "pi/4", "pi/6"]
    [problems.parameters]       # coefficients: each name is replaced by its value
    [problems.targets]          # target = points, or a table
    w4bar = 1
    "w̄1" = { points = 2, answer = "formula", hint = "two paths reach w1" }

A student's variant is drawn from an HMAC-SHA256 keyed by the secret over the assignment,
the student's id, the problem and the name drawn (never Python's hash(), which changes from
run to run): the same secret and id give the same variant on any machine. A draw whose
function, gradient or any target is not finite there, or that leaves the domain or sits on
a kink, is drawn again with the next attempt number, deterministically.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from ..errors import AnswerError, BackpropError, DomainError, TemplateError
from ..engine.ops import OPS
from ..engine.program import node_id
from ..engine.trace import Trace
from .differentiate import differentiate, parse_point
from .grading import Target, parse_target

TEMPLATE_BYTES = 1 << 20
ROSTER_BYTES = 4 << 20
ROSTER_ROWS = 100_000
PROBLEMS = 50
TARGETS = 200  # per problem
CHOICES = 10 ** 6  # values a range may hold
TRIES = 64  # draws of a variant before the template is said to have no valid point
POINTS_MAX = 10 ** 6
# A student's id names a folder of --out: letters, digits and . _ @ + -, not starting
# with a dot, so that no id can reach outside it.
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
PROBLEM_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
FORMS = ("number", "formula")
REVEAL = ("score", "hint", "counterexample", "truth")  # tiers, each showing more
VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's
RESERVED = ("student",)  # the submission's own key, never a problem


# --- the template ---------------------------------------------------------------------

class Draw(NamedTuple):
    """A value drawn per student: one of `choices` (constant expressions as text), or of
    the range start + k·step, k < count (kept as decimals, so 0.1 steps stay 0.1)."""

    name: str
    choices: tuple[str, ...] | None
    start: Decimal | None = None
    step: Decimal | None = None
    count: int = 0

    def __len__(self) -> int:
        return len(self.choices) if self.choices is not None else self.count

    def __getitem__(self, k: int) -> str:
        if self.choices is not None:
            return self.choices[k]
        return _decimal_text(self.start + k * self.step)


def _decimal_text(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class TargetSpec(NamedTuple):
    key: str  # as the template writes it: the worksheet's and the key's spelling
    points: float
    form: str  # "number" or "formula"
    digits: int  # significant digits a number needs
    hint: str | None  # feedback from the "hint" tier on


class ProblemSpec(NamedTuple):
    name: str
    title: str
    text: str | None
    hint: str | None
    expression: str
    point: list[Draw]
    parameters: list[Draw]
    targets: list[TargetSpec]

    @property
    def maximum(self) -> float:
        return sum(t.points for t in self.targets)


class Template(NamedTuple):
    path: str
    assignment: str
    title: str
    digits: int
    partial: float
    reveal: str
    visibility: str
    problems: list[ProblemSpec]

    @property
    def maximum(self) -> float:
        return sum(p.maximum for p in self.problems)


def read_limited(path: str, limit: int, error) -> str:
    """A regular file's text, refused early when larger than `limit` bytes or not UTF-8.
    `error(message)` makes the exception to raise."""
    import os
    import stat

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            raise error(f"{path}: not a regular file")
        if info.st_size > limit:
            raise error(f"{path}: {info.st_size} bytes, over the limit of {limit}")
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise error(f"cannot read {path}: {e.strerror}") from None
    if len(data) > limit:
        raise error(f"{path}: over the limit of {limit} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    return text[1:] if text.startswith("\ufeff") else text  # the mark some editors write


def parse_toml(text: str, where: str, error):
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{where}: not valid TOML: {e}") from None
    except (RecursionError, MemoryError):
        raise error(f"{where}: nested too deeply to read") from None


def _fail(where: str, message: str) -> TemplateError:
    return TemplateError(f"{where}: {message}")


def _keys(table: dict, allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r}; the keys here are "
                           + ", ".join(allowed))


def _text(table: dict, key: str, where: str, default=None, required=False) -> str | None:
    value = table.get(key, default)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, f"{key} is " + ("missing" if value is None else "a non-empty string"))
    return value


def _whole(value, key: str, where: str, least: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise _fail(where, f"{key} is a whole number from {least} to {most}")
    return value


def _choice(table: dict, key: str, where: str, options: tuple[str, ...], default: str) -> str:
    value = table.get(key, default)
    if value not in options:
        raise _fail(where, f"{key} is one of {', '.join(options)}")
    return value


def _constant(value, where: str) -> str:
    """A choice as the text of a constant expression, checked by the grammar."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _fail(where, "a value is a number or a constant expression such as \"pi/3\"")
    text = repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(where, f"{text} is not a value a point can have")
    try:
        parse_point({"v": text})
    except BackpropError as e:
        raise _fail(where, f"{text!r} is not a constant expression: {e.message}") from None
    return text


def _draw(name: str, value, where: str) -> Draw:
    where = f"{where}, {name}"
    if isinstance(value, list):
        if not value or len(value) > CHOICES:
            raise _fail(where, f"a list of 1 to {CHOICES} choices")
        return Draw(name, tuple(_constant(v, where) for v in value))
    if isinstance(value, dict):
        _keys(value, ("from", "to", "step"), where)
        try:
            start, stop, step = (Decimal(repr(value[k]) if isinstance(value[k], float)
                                         else str(value[k])) for k in ("from", "to", "step"))
        except (KeyError, InvalidOperation):
            raise _fail(where, "a range is {from = A, to = B, step = S}, numbers") from None
        if any(isinstance(value[k], (bool, str)) for k in ("from", "to", "step")) \
                or not all(d.is_finite() for d in (start, stop, step)) \
                or step <= 0 or stop < start:
            raise _fail(where, "a range needs numbers, from ≤ to and a step > 0")
        count = int((stop - start) / step) + 1
        if count > CHOICES:
            raise _fail(where, f"{count} values in the range; at most {CHOICES}")
        return Draw(name, None, start, step, count)
    return Draw(name, (_constant(value, where),))


_TARGET_KEYS = ("points", "answer", "digits", "hint")


def _target(key: str, value, where: str, digits: int) -> TargetSpec:
    where = f"{where}, target {key!r}"
    if not isinstance(value, dict):
        value = {"points": value}
    _keys(value, _TARGET_KEYS, where)
    points = value.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) \
            or not 0 < points <= POINTS_MAX or not math.isfinite(points):
        raise _fail(where, f"points is a number above 0, at most {POINTS_MAX}")
    form = _choice(value, "answer", where, FORMS, "number")
    n = _whole(value.get("digits", digits), "digits", where, 1, 15)
    return TargetSpec(key, float(points), form, n, _text(value, "hint", where))


_PROBLEM_KEYS = ("name", "title", "text", "hint", "expression", "point", "parameters",
                 "targets")


def _problem(k: int, p, path: str, digits: int) -> ProblemSpec:
    where = f"{path}, problem {k}"
    if not isinstance(p, dict):
        raise _fail(where, "a problem is a table ([[problems]])")
    name = p.get("name")
    if not isinstance(name, str) or not PROBLEM_NAME.fullmatch(name) or name in RESERVED:
        raise _fail(where, "name is a short word ([A-Za-z][A-Za-z0-9_-]*, not student): "
                           "the submission's table for the problem")
    where = f"{path}, problem {name!r}"
    _keys(p, _PROBLEM_KEYS, where)
    expression = _text(p, "expression", where, required=True)
    draws = {}
    for key in ("point", "parameters"):
        table = p.get(key, {})
        if not isinstance(table, dict):
            raise _fail(where, f"{key} is a table of name = value, choices or range")
        draws[key] = [_draw(n, v, f"{where}, {key}") for n, v in table.items()]
    for d in draws["parameters"]:
        if d.name in OPS or d.name in ("pi", "e", "π") or not re.fullmatch(r"[^\W\d]\w*", d.name):
            raise _fail(where, f"parameter {d.name!r} is not a name a coefficient can have")
    targets = p.get("targets")
    if not isinstance(targets, dict) or not targets or len(targets) > TARGETS:
        raise _fail(where, f"targets is a table of 1 to {TARGETS} targets = points")
    specs = [_target(key, value, where, digits) for key, value in targets.items()]
    return ProblemSpec(name, _text(p, "title", where) or name, _text(p, "text", where),
                       _text(p, "hint", where), expression, draws["point"],
                       draws["parameters"], specs)


_TOP_KEYS = ("assignment", "title", "grading", "problems")
_GRADING_KEYS = ("digits", "partial", "reveal", "visibility")


def load_template(path: str) -> Template:
    """The template, checked whole: every key, every target against its program, and a
    variant drawn for a probe id (so a range that never meets the domain is found here)."""
    doc = parse_toml(read_limited(path, TEMPLATE_BYTES, TemplateError), path, TemplateError)
    _keys(doc, _TOP_KEYS, path)
    assignment = _text(doc, "assignment", path, required=True)
    grading = doc.get("grading", {})
    if not isinstance(grading, dict):
        raise _fail(path, "grading is a table")
    where = f"{path}, grading"
    _keys(grading, _GRADING_KEYS, where)
    digits = _whole(grading.get("digits", 3), "digits", where, 1, 15)
    partial = grading.get("partial", 0.5)
    if isinstance(partial, bool) or not isinstance(partial, (int, float)) \
            or not 0 <= partial <= 1:
        raise _fail(where, "partial is a fraction from 0 to 1")
    problems = doc.get("problems")
    if not isinstance(problems, list) or not problems or len(problems) > PROBLEMS:
        raise _fail(path, f"problems is a list of 1 to {PROBLEMS} tables ([[problems]])")
    specs = [_problem(k, p, path, digits) for k, p in enumerate(problems, 1)]
    names = [p.name for p in specs]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise _fail(path, f"two problems are named {twice!r}")
    template = Template(path, assignment, _text(doc, "title", path) or assignment, digits,
                        float(partial), _choice(grading, "reveal", where, REVEAL,
                                                "counterexample"),
                        _choice(grading, "visibility", where, VISIBILITY, "visible"), specs)
    key(variant(template, b"template check", "probe"))  # every formula asked can be written
    return template


# --- variants -------------------------------------------------------------------------

class ProblemVariant(NamedTuple):
    spec: ProblemSpec
    expression: str  # the parameters written in
    at: dict[str, str]  # input → the text of its value
    parameters: dict[str, str]
    trace: Trace
    targets: list[Target]  # aligned with spec.targets


class Variant(NamedTuple):
    student: str
    problems: list[ProblemVariant]


def pick(secret: bytes, assignment: str, student: str, problem: str, attempt: int,
         name: str, count: int) -> int:
    """An index below count from an HMAC-SHA256 of the secret over the rest (as a JSON
    list, so no two tuples share a message). 64 bits: the modulo's bias is nil."""
    message = json.dumps([assignment, student, problem, attempt, name]).encode("utf-8")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % count


def substitute(expression: str, values: dict[str, str]) -> str:
    """The expression with each parameter name replaced by its value: a whole name only
    (not inside another name or a number's exponent), negative values in parentheses."""
    if not values:
        return expression
    names = sorted(values, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?![\w(])")

    def value(m: re.Match) -> str:
        text = values[m.group(1)]
        return text if re.fullmatch(r"[0-9.]+(?:e[-+]?[0-9]+)?", text) else f"({text})"
    return pattern.sub(value, expression)


NOISE = 1e-9  # a truth this small but not 0 is rounding's (cos(π/2) = 6.1e-17): redrawn


def _usable(trace: Trace, targets: list[Target]) -> bool:
    """A point a student can work at: finite everywhere asked, no kink (of the first or
    the second derivatives), no overflow, and no answer that is a zero blurred by rounding
    (no digit of it could be written)."""
    if trace.diagnostics or not math.isfinite(trace.value):
        return False
    if not all(math.isfinite(g) for g in trace.gradient.values()):
        return False
    truths = [t.truth(trace) for t in targets]
    return all(math.isfinite(v) and not 0 < abs(v) < NOISE for v in truths)


_PARSED: dict = {}  # the targets of a problem, per shape of its program (see _targets)


def _targets(spec: ProblemSpec, trace: Trace, where: str) -> list[Target]:
    """The template's targets read against the variant's program. Every variant of a
    problem has the program of the same shape (its numbers are constants on the edges), so
    they are read once per shape, not once per student."""
    program = trace.program
    shape = (spec.expression, tuple(t.key for t in spec.targets),
             tuple((n.op, tuple(a if type(a) is int else None for a in n.args), n.names)
                   for n in program.nodes))
    if shape not in _PARSED:
        if len(_PARSED) > 256:
            _PARSED.clear()
        _PARSED[shape] = _read_targets(spec, trace, where)
    return _PARSED[shape]


def _read_targets(spec: ProblemSpec, trace: Trace, where: str) -> list[Target]:
    out = []
    for t in spec.targets:
        try:
            out.append(parse_target(t.key.strip(), trace.program, t.key, 0,
                                    f"{where}, target {t.key!r}"))
        except AnswerError as e:
            raise TemplateError(f"{where}: target {t.key!r}: {e.message}",
                                hint=e.hint) from None
        if out[-1] in out[:-1]:  # a submission's w4bar or w̄4 must name one target
            other = spec.targets[out.index(out[-1])].key
            raise TemplateError(f"{where}: targets {other!r} and {t.key!r} are one quantity")
        i = trace.program.output if out[-1].kind == "value" else out[-1].index
        if t.form == "formula" and out[-1].kind in ("value", "node") \
                and (type(i) is not int or i < trace.program.n_inputs):
            raise TemplateError(f"{where}: target {t.key!r} is an input or a constant: its "
                                "value is a number, not a formula", hint='answer = "number"')
    return out


def problem_variant(spec: ProblemSpec, secret: bytes, assignment: str, student: str,
                    where: str) -> ProblemVariant:
    for attempt in range(TRIES):
        drawn = {d.name: d[pick(secret, assignment, student, spec.name, attempt, d.name,
                                len(d))] for d in spec.point + spec.parameters}
        params = {d.name: drawn[d.name] for d in spec.parameters}
        at = {d.name: drawn[d.name] for d in spec.point}
        expression = substitute(spec.expression, params)
        try:
            trace = differentiate(expression, at)
        except DomainError:
            continue
        except BackpropError as e:
            raise TemplateError(f"{where}: {e.message}", hint=e.hint) from None
        if len(trace.shapes) and any(trace.shapes):
            raise TemplateError(f"{where}: the problems of a class are of scalars")
        targets = _targets(spec, trace, where)
        if any(t.kind == "second" for t in targets):  # a Hessian entry is asked
            from ..engine.evaluate import second_order

            trace = second_order(trace)
        if _usable(trace, targets):
            return ProblemVariant(spec, expression, at, params, trace, targets)
    raise TemplateError(f"{where}: none of {TRIES} points drawn for {student!r} is usable "
                        "(in the domain, off kinks, everything asked finite)",
                        hint="narrow the ranges of the point and the parameters")


def variant(template: Template, secret: bytes, student: str) -> Variant:
    """The student's problems: the same for the same secret and id, on any machine."""
    return Variant(student, [problem_variant(p, secret, template.assignment, student,
                                             f"{template.path}, problem {p.name!r}")
                             for p in template.problems])


# --- keys -----------------------------------------------------------------------------

def key_answer(problem: ProblemVariant, k: int) -> str:
    """The right answer to a target: every digit of a number, or a formula."""
    from ..symbolic.formula import edge_formula, node_text, show
    from ..symbolic.simplify import Adjoints, expanded_gradient

    spec, target, trace = problem.spec.targets[k], problem.targets[k], problem.trace
    if spec.form == "number":
        v = target.truth(trace)
        return str(int(v)) if v == int(v) and abs(v) < 2.0 ** 53 else repr(v)
    program = trace.program
    if target.kind == "gradient":
        form = expanded_gradient(Adjoints(trace))[target.input]
        text = None if form is None else show(form, "ascii")
    elif target.kind == "second":
        from ..symbolic.second import expanded_hessian

        text = expanded_hessian(trace, "ascii")[target.input][target.other]
    elif target.kind == "adjoint":
        form = Adjoints(trace).formula(target.index)
        text = None if form is None else show(form, "ascii")
    elif target.kind == "partial":
        text = edge_formula(program, target.edge(program), "ascii")
    else:
        i = program.output if target.kind == "value" else target.index
        text = node_text(program, i, "ascii")
    if text is None:
        raise TemplateError(f"{problem.spec.name}, target {spec.key!r}: the formula is too "
                            "long to ask for", hint='answer = "number"')
    return text


def key(variant_: Variant) -> dict:
    """The student's complete answers, as a submission: {"student": id, problem: {…}}."""
    doc: dict = {"student": variant_.student}
    for p in variant_.problems:
        doc[p.spec.name] = {t.key: key_answer(p, k) for k, t in enumerate(p.spec.targets)}
    return doc


def _toml_text(s: str) -> str:
    """A TOML basic string that keeps its letters (w̄1, ā, as the worksheet writes them):
    JSON's escapes of the quote, the backslash and the controls, and DEL, which TOML
    also refuses raw."""
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_-]+", s) else _toml_text(s)


def dump_submission(doc: dict) -> str:
    """A key (or any submission) as TOML: `student = "ID"`, then a table per problem."""
    lines = [f"student = {_toml_text(doc['student'])}"]
    for name, answers in doc.items():
        if name == "student":
            continue
        lines += ["", f"[{_toml_key(name)}]"]
        lines += [f"{_toml_key(k)} = {_toml_text(v)}" for k, v in answers.items()]
    return "\n".join(lines) + "\n"


def allowed(target: Target, program) -> tuple:
    """Which names a formula answer to the target may use, (allow(kind, i), the words
    for the error): never the target itself, so `w1bar = w1bar` is no answer. An adjoint
    may use the values and the adjoints after it (the chain rule's w̄ⱼ); a node's value
    the values before it; a gradient entry, f and a local partial the values."""
    n = len(program.nodes)
    if target.kind == "adjoint":
        i = target.index
        later = f", w{i + 2}bar…w{n}bar" if i + 1 < n else ""
        return ((lambda kind, k: kind == "node" or k > i),
                f"the inputs, w1…w{n}{later}, pi, e")
    if target.kind in ("node", "value"):
        i = program.output if target.kind == "value" else target.index
        if type(i) is not int or i == 0:
            return (lambda kind, k: False), "pi, e"
        return ((lambda kind, k: kind == "node" and k < i),
                f"the nodes before it, w1…{node_id(i - 1)}, pi, e")
    return (lambda kind, k: kind == "node"), f"the inputs, w1…w{n}, pi, e"


# --- rosters --------------------------------------------------------------------------

def load_roster(path: str) -> list[str]:
    """The ids of a CSV roster with a column `id` (other columns are the teacher's)."""
    text = read_limited(path, ROSTER_BYTES, TemplateError)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as e:
        raise TemplateError(f"{path}: not valid CSV: {e}") from None
    if not rows or "id" not in [c.strip() for c in rows[0]]:
        raise TemplateError(f"{path}: the first row names the columns, one of them id")
    column = [c.strip() for c in rows[0]].index("id")
    if len(rows) - 1 > ROSTER_ROWS:
        raise TemplateError(f"{path}: {len(rows) - 1} students; at most {ROSTER_ROWS}")
    ids, seen = [], {}
    for line, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        sid = row[column].strip() if column < len(row) else ""
        if not ID.fullmatch(sid):
            raise TemplateError(f"{path}, line {line}: {sid!r} is not an id: letters, digits "
                                "and . _ @ + -, at most 64, not starting with a dot")
        if sid.lower() in seen:  # s1 and S1 would be one folder on some file systems
            raise TemplateError(f"{path}, line {line}: {sid!r} is already on line "
                                f"{seen[sid.lower()]}")
        seen[sid.lower()] = line
        ids.append(sid)
    if not ids:
        raise TemplateError(f"{path}: no students")
    return ids


__all__ = ["Template", "ProblemSpec", "TargetSpec", "Draw", "Variant", "ProblemVariant",
           "load_template", "load_roster", "variant", "key", "key_answer", "dump_submission",
           "allowed", "pick", "substitute", "REVEAL", "ID"]
