"""Grading a class's submissions against the variants the secret gives, as plain data.

A submission holds answers only: `student = "ID"` and a table per problem of target =
answer. Whatever else it holds cannot change the problem: the expression and the point are
rebuilt from the template, the secret and the id. Submissions are untrusted: a file that
cannot be read (too large, not UTF-8, not TOML, nested too deeply, no id) is that
student's row with the reason and zero points, and the run goes on; an answer that cannot
be read scores zero with the reason; each submission has a time limit.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import NamedTuple

from ..errors import AnswerError, BackpropError
from .classroom import ID, Template, Variant, allowed, variant
from .grading import (Digits, RIGHT_OUTCOMES, Verdict, _Points, agreeing_digits, judge,
                      parse_answer, parse_target)

SUBMISSION_BYTES = 64 * 1024
ANSWER_CHARS = 1000  # of one answer's text
KEY_CHARS = 100  # of one target as a submission writes it
ANSWERS = 2000  # keys in one submission
TIME_LIMIT = 5.0  # seconds per submission

# A row's status: graded, or why it was not
STATUSES = ("graded", "unreadable", "no_id", "bad_id", "unknown_student", "duplicate",
            "missing", "time_limit")


class TargetResult(NamedTuple):
    key: str  # the template's spelling
    label: str  # canonical: w4bar, dw5/dw4, df/dx
    points: float
    score: float
    status: str  # "right", "wrong", "partial", "missing", "unreadable"
    answer: str | None  # as submitted
    verdict: Verdict | None
    error: str | None  # why the answer could not be read
    hint: str | None  # the template's


class ProblemResult(NamedTuple):
    name: str
    score: float
    maximum: float
    targets: list[TargetResult]


class StudentResult(NamedTuple):
    student: str | None  # None when the file names no usable id
    files: list[str]
    status: str  # one of STATUSES
    detail: str | None  # the error's message, for unreadable
    problems: list[ProblemResult]
    ignored: list[str]  # keys of the submission that are not answers to graded targets
    maximum: float

    @property
    def score(self) -> float:
        return round(sum(p.score for p in self.problems), 9)

    @property
    def full_marks(self) -> bool:
        return self.status == "graded" and self.score >= self.maximum


class TargetStats(NamedTuple):
    key: str
    missed: int  # wrong, missing or unreadable
    students: int


class ProblemStats(NamedTuple):
    name: str
    mean: float
    maximum: float
    full: int  # students with full marks on it
    targets: list[TargetStats]  # most missed first


class ClassReport(NamedTuple):
    template: Template
    students: list[StudentResult]
    stats: list[ProblemStats]

    @property
    def all_full_marks(self) -> bool:
        return all(s.full_marks for s in self.students)


class Submission(NamedTuple):
    path: str
    student: str | None
    answers: dict  # problem → {target as written: answer}
    ignored: list[str]
    status: str  # "graded" when it could be read
    detail: str | None


# --- reading ---------------------------------------------------------------------------

class _Unreadable(Exception):
    pass


def read_submission(path: str, template: Template) -> Submission:
    """A submission's id and answers, or why it cannot be read (never an exception)."""
    from .classroom import parse_toml, read_limited

    try:
        doc = parse_toml(read_limited(path, SUBMISSION_BYTES, _Unreadable), path, _Unreadable)
    except _Unreadable as e:
        return Submission(path, None, {}, [], "unreadable", str(e))
    student = doc.get("student")
    if not isinstance(student, str):
        return Submission(path, None, {}, [], "no_id",
                          "no student = \"ID\" at the top of the file")
    if not ID.fullmatch(student):
        return Submission(path, None, {}, [], "bad_id", student[:80])
    problems = {p.name for p in template.problems}
    answers, ignored = {}, []
    count = len(doc) + sum(len(t) for t in doc.values() if isinstance(t, dict))
    if count > ANSWERS:
        return Submission(path, student, {}, [], "unreadable",
                          f"{path}: {count} keys, over the limit of {ANSWERS}")
    for name, table in doc.items():
        if name == "student":
            continue
        if name not in problems or not isinstance(table, dict):
            ignored.append(name[:KEY_CHARS])
            continue
        answers[name] = dict(table)
    return Submission(path, student, answers, ignored, "graded", None)


# --- grading ---------------------------------------------------------------------------

def _answer_text(value) -> str | None:
    """The answer as text, as an answers file reads it; None for a table, a list, a bool
    or a float that is not finite."""
    from .answers import _answer_text as text

    try:
        return text(value, "")
    except AnswerError:
        return None


def _matching(problem, table: dict, ignored: list[str]) -> dict[int, tuple[str, object]]:
    """Target index → (the key as submitted, the answer): a key is read as a target of the
    variant's program, so w4bar, w̄4 and w4_bar are one; the first of two spellings counts."""
    found: dict[int, tuple[str, object]] = {}
    for written, value in table.items():
        k = None
        if len(written) <= KEY_CHARS:
            try:
                t = parse_target(written.strip(), problem.trace.program, written, 0, "")
                k = problem.targets.index(t) if t in problem.targets else None
            except (AnswerError, RecursionError):
                k = None
        if k is None or k in found:
            ignored.append(f"{problem.spec.name}.{written[:KEY_CHARS]}")
        else:
            found[k] = (written, value)
    return found


def _credit(v: Verdict, points: float, partial: float) -> tuple[float, str]:
    """The points a verdict earns: all when right; `partial` of them for a number right
    to one significant digit fewer than asked (at least one); else none."""
    if v.right:
        return points, "right"
    n = v.tolerance.n if v.outcome == "insignificant" else 0
    if partial and n >= 2 and agreeing_digits(v.value, v.truth, n) == n - 1:
        return points * partial, "partial"
    return 0.0, "wrong"


def grade_problem(problem, table: dict, template: Template, ignored: list[str]):
    spec, program = problem.spec, problem.trace.program
    found = _matching(problem, table, ignored)
    # the random points, drawn once for the problem's formulas (with the Hessian if asked)
    points = _Points(problem.trace, any(t.kind == "second" for t in problem.targets))
    results = []
    for k, (t, target) in enumerate(zip(spec.targets, problem.targets)):
        label = target.label(problem.trace)
        common = dict(key=t.key, label=label, points=t.points, hint=t.hint)
        if k not in found:
            results.append(TargetResult(**common, score=0.0, status="missing", answer=None,
                                        verdict=None, error=None))
            continue
        written, value = found[k]
        text = _answer_text(value)
        if text is None or len(text) > ANSWER_CHARS or not text.strip():
            why = ("an answer is a string or a number" if text is None else
                   "empty" if not text.strip() else f"over {ANSWER_CHARS} characters")
            results.append(TargetResult(**common, score=0.0, status="unreadable",
                                        answer=None if text is None else text[:ANSWER_CHARS],
                                        verdict=None, error=why))
            continue
        source = f"{t.key} = {text}"
        allow, words = allowed(target, program)
        try:
            answer = parse_answer(source, len(t.key) + 3, program, spec.name, allow, words)
        except (BackpropError, RecursionError) as e:
            message = e.message if isinstance(e, BackpropError) else "nested too deeply"
            results.append(TargetResult(**common, score=0.0, status="unreadable", answer=text,
                                        verdict=None, error=message))
            continue
        v = judge(written.strip(), target, answer, points, Digits(t.digits), t.form)
        score, status = _credit(v, t.points, template.partial)
        results.append(TargetResult(**common, score=score, status=status, answer=text,
                                    verdict=v, error=None))
    return ProblemResult(spec.name, round(sum(r.score for r in results), 9), spec.maximum,
                         results)


class TimeUp(Exception):
    pass


@contextmanager
def time_limit(seconds: float | None):
    """SIGALRM after `seconds` of this block, where signals can be had (POSIX, the main
    thread); elsewhere no limit. The sizes refused early keep every single step short."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def up(signum, frame):
        raise TimeUp()
    previous = signal.signal(signal.SIGALRM, up)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def grade_submission(sub: Submission, template: Template, v: Variant,
                     seconds: float | None = TIME_LIMIT) -> StudentResult:
    ignored = list(sub.ignored)
    try:
        with time_limit(seconds):
            problems = [grade_problem(p, sub.answers.get(p.spec.name, {}), template, ignored)
                        for p in v.problems]
    except TimeUp:
        return _zero(template, sub.student, [sub.path], "time_limit", f"{seconds:g}")
    return StudentResult(sub.student, [sub.path], "graded", None, problems, ignored,
                         template.maximum)


def _zero(template: Template, student: str | None, files: list[str], status: str,
          detail: str | None) -> StudentResult:
    problems = [ProblemResult(p.name, 0.0, p.maximum, []) for p in template.problems]
    return StudentResult(student, files, status, detail, problems, [], template.maximum)


PARALLEL_FROM = 64  # submissions to grade before worker processes pay for their start


def grade_class(template: Template, secret: bytes, paths: list[str],
                roster: list[str] | None = None, seconds: float | None = TIME_LIMIT,
                progress=None, jobs: int = 1) -> ClassReport:
    """Every submission graded into one row per student (one per file that names none),
    then, with a roster, a zero row for each student without a submission. With jobs > 1
    and enough submissions, worker processes grade them (the same rows, in order)."""
    paths = _once(paths)
    subs = [read_submission(p, template) for p in paths]
    # ids that differ in case only are one student: they would be one folder of --out
    by_id: dict[str, list[Submission]] = {}
    for s in subs:
        if s.status == "graded":
            by_id.setdefault(s.student.lower(), []).append(s)
    known = set(roster) if roster is not None else None
    rows: list[StudentResult | Submission] = []  # a Submission: to be graded
    done: set[str] = set()
    for s in subs:
        if s.status != "graded":  # unreadable, or no usable id
            rows.append(_zero(template, s.student, [s.path], s.status, s.detail))
            continue
        if s.student.lower() in done:
            continue
        done.add(s.student.lower())
        same = by_id[s.student.lower()]
        if len(same) > 1:
            rows.append(_zero(template, s.student, [x.path for x in same], "duplicate", None))
        elif known is not None and s.student not in known:
            rows.append(_zero(template, s.student, [s.path], "unknown_student", None))
        else:
            rows.append(s)
    todo = [k for k, row in enumerate(rows) if isinstance(row, Submission)]
    graded = _graded([rows[k] for k in todo], template, secret, seconds, jobs)
    for n, (k, result) in enumerate(zip(todo, graded)):
        if progress:
            progress(n, len(todo))
        rows[k] = result
    named = {row.student for row in rows}
    for sid in roster or ():
        if sid not in named:
            rows.append(_zero(template, sid, [], "missing", None))
    if progress:
        progress(len(todo), len(todo))
    return ClassReport(template, rows, statistics(template, rows))


def _graded(subs: list[Submission], template: Template, secret: bytes,
            seconds: float | None, jobs: int):
    """The submissions' results, in order: here, or by `jobs` worker processes."""
    import multiprocessing

    # Forked workers start in milliseconds and need nothing of __main__ (spawned ones run
    # it again, which a script read from stdin does not survive). A fork is safe only with
    # no other thread alive (the progress bar refreshes from the main thread for this);
    # otherwise, and where there is no fork, the grading stays in this process.
    forkable = "fork" in multiprocessing.get_all_start_methods() \
        and threading.active_count() == 1
    if jobs <= 1 or len(subs) < PARALLEL_FROM or not forkable:
        return (grade_submission(s, template, variant(template, secret, s.student), seconds)
                for s in subs)
    pool = multiprocessing.get_context("fork").Pool(
        min(jobs, len(subs) // (PARALLEL_FROM // 2)), initializer=_worker_start,
        initargs=(template, secret, seconds))
    return _pooled(pool, subs)


def _pooled(pool, subs):
    with pool:
        yield from pool.imap(_worker_grade, subs, chunksize=8)


_WORKER: tuple = ()  # a worker process's template, secret and time limit


def _worker_start(template: Template, secret: bytes, seconds: float | None) -> None:
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _WORKER = (template, secret, seconds)


def _worker_grade(sub: Submission) -> StudentResult:
    template, secret, seconds = _WORKER
    return grade_submission(sub, template, variant(template, secret, sub.student), seconds)


def check_template(template: Template) -> None:
    """A probe student's key, graded as a submission, has full marks: else the template
    asks for something its key cannot answer (TemplateError, exit 2)."""
    from ..errors import TemplateError
    from .classroom import key

    v = variant(template, b"template check", "probe")
    answers = key(v)
    for problem in v.problems:
        result = grade_problem(problem, answers[problem.spec.name], template, [])
        for t in result.targets:
            if t.status != "right":
                raise TemplateError(f"{template.path}, problem {problem.spec.name!r}: the "
                                    f"answer key's {t.key} = {t.answer} is not graded right "
                                    f"({t.error or t.verdict.outcome})")


def _once(paths: list[str]) -> list[str]:
    """The paths, a file named twice (subs/*.toml subs/ada.toml) kept once."""
    import os

    seen, out = set(), []
    for p in paths:
        real = os.path.realpath(p)
        if real not in seen:
            seen.add(real)
            out.append(p)
    return out


def statistics(template: Template, rows: list[StudentResult]) -> list[ProblemStats]:
    """Per problem, the mean score and its targets by how many students missed them (of
    the students whose submission was graded)."""
    graded = [r for r in rows if r.status == "graded"]
    out = []
    for k, spec in enumerate(template.problems):
        missed = [0] * len(spec.targets)
        for r in graded:
            for j, t in enumerate(r.problems[k].targets):
                missed[j] += t.status != "right"
        scores = [r.problems[k].score for r in rows]
        mean = sum(scores) / len(scores) if scores else 0.0
        full = sum(s >= spec.maximum for s in scores)
        targets = sorted((TargetStats(t.key, missed[j], len(graded))
                          for j, t in enumerate(spec.targets)),
                         key=lambda s: -s.missed)
        out.append(ProblemStats(spec.name, mean, spec.maximum, full, targets))
    return out


__all__ = ["grade_class", "grade_submission", "read_submission", "ClassReport",
           "StudentResult", "ProblemResult", "TargetResult", "ProblemStats", "STATUSES",
           "RIGHT_OUTCOMES"]
