"""A class's papers: each student's worksheet (Markdown or LaTeX) with the blank tables
--blank makes, and the grading reports: the terminal table with the class's statistics,
the CSV gradebook, the JSON document (schema/grades.schema.json) and Gradescope's
results.json. Every text that came from a submission goes through sentences.printable
(terminal, CSV) or JSON's own escapes; Gradescope is told to show it as plain text."""

from __future__ import annotations

import csv
import io

from . import Options
from .numbers import fmt
from ..errors import printable
from .sentences import feedback, plural, status_reason
from ..tasks.classroom import Template, Variant, dump_submission
from ..tasks.submissions import ClassReport, StudentResult
from .json_doc import SCHEMA_VERSION  # one version for every document


def points(x: float) -> str:
    """Points as a person writes them: 2, 1.5, 0.25."""
    return str(int(x)) if x == int(x) else fmt(x, 6)


def _form(spec) -> str:
    if spec.form == "formula":
        return "a formula in the inputs and the w's"
    return f"a number ({plural(spec.digits, 'significant digit')})"


def _skeleton(v: Variant, ascii_keys: bool) -> str:
    """The file to hand in, every answer left empty."""
    doc: dict = {"student": v.student}
    for p in v.problems:
        doc[p.spec.name] = {(t.label(p.trace) if ascii_keys else s.key): ""
                            for s, t in zip(p.spec.targets, p.targets)}
    return dump_submission(doc)


# --- worksheets ------------------------------------------------------------------------

def worksheet_markdown(template: Template, v: Variant) -> str:
    from .markdown import text as tables

    out = [f"# {template.title}", "",
           f"Student **{v.student}** · assignment `{template.assignment}` · "
           f"{points(template.maximum)} points", "",
           f"Hand in one TOML file: `student = \"{v.student}\"` and a table of answers per "
           "problem (the last section is the file with every answer left empty). Write "
           "answers as strings. A number is right to the significant digits asked; a "
           "formula is checked as a function at your point and at 12 more; a formula may "
           "use the inputs and the w's, not the adjoint it answers.", ""]
    for k, p in enumerate(v.problems, 1):
        spec = p.spec
        out += [f"## {k}. {spec.title} ({points(spec.maximum)} points)", ""]
        if spec.text:
            out += [spec.text, ""]
        at = ", ".join(f"{name} = {value}" for name, value in p.at.items())
        out += [f"`{p.trace.output_name}` = `{_one_line(p.expression)}` at {at}", ""]
        if spec.hint:
            out += [f"*Hint:* {spec.hint}", ""]
        out += [f"Answers, in the table `[{spec.name}]`:", "",
                "| target | points | answer as |", "|---|---:|---|"]
        out += [f"| `{t.key}` | {points(t.points)} | {_form(t)} |" for t in spec.targets]
        out += ["", tables(p.trace, Options(blank=True, max_rows=0)).rstrip("\n"), ""]
    out += ["## Handing in", "", "```toml", _skeleton(v, False).rstrip("\n"), "```",
            ""]
    return "\n".join(out)


def _one_line(expression: str) -> str:
    lines = [line.split("#", 1)[0].strip() for line in expression.splitlines()]
    return "; ".join(line for line in lines if line)


def worksheet_latex(template: Template, v: Variant) -> str:
    from .latex import PREAMBLE, sections
    from ..symbolic.latex_text import text

    out = [PREAMBLE.rstrip("\n"), rf"\section*{{{text(template.title)}}}",
           rf"Student \texttt{{{text(v.student)}}}, assignment "
           rf"\texttt{{{text(template.assignment)}}}, {points(template.maximum)} points.", "",
           "Hand in one TOML file with your id and a table of answers per problem (the "
           "last section). A number is right to the significant digits asked; a formula is "
           "checked as a function at your point and at 12 more.", ""]
    for k, p in enumerate(v.problems, 1):
        spec = p.spec
        out += [rf"\section*{{{k}. {text(spec.title)} ({points(spec.maximum)} points)}}"]
        if spec.text:
            out += [text(spec.text), ""]
        at = ", ".join(f"{name} = {value}" for name, value in p.at.items())
        out += [rf"\texttt{{{text(_one_line(p.expression))}}} at \texttt{{{text(at)}}}.", ""]
        if spec.hint:
            out += [rf"\emph{{Hint:}} {text(spec.hint)}", ""]
        out += [rf"Answers, in the table \texttt{{[{text(spec.name)}]}}:", "",
                r"\begin{tabular}{lrl}", r"target & points & answer as\\ \hline"]
        out += [rf"\texttt{{{text(t.label(p.trace))}}} & {points(s.points)} & {_form(s)}\\"
                for s, t in zip(spec.targets, p.targets)]
        out += [r"\end{tabular}", ""]
        out += sections(p.trace, Options(blank=True, max_rows=0))
    out += [r"\section*{Handing in}", r"\begin{verbatim}",
            _skeleton(v, True).rstrip("\n"), r"\end{verbatim}", r"\end{document}"]
    return "\n".join(out) + "\n"


WORKSHEETS = {"markdown": ("problems.md", worksheet_markdown),
              "latex": ("problems.tex", worksheet_latex)}


# --- the reports -----------------------------------------------------------------------

def _who(row: StudentResult) -> str:
    """The id, or for a file that names none, the file."""
    import os

    if row.student is not None:
        return row.student
    return "? " + printable(os.path.basename(row.files[0])) if row.files else "?"


def render_table(report: ClassReport, console, precision: int = 3) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = report.template
    console.print(Text.assemble((printable(t.title), "bold"),
                                f"   {plural(len(report.students), 'student')}, "
                                f"{points(t.maximum)} points each"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("student", overflow="fold")
    table.add_column("score", justify="right", no_wrap=True)
    for p in t.problems:
        table.add_column(p.name, justify="right", no_wrap=True)
    notes = []
    for row in report.students:
        style = "green" if row.full_marks else "red"
        note = status_reason(row)
        if note is None and row.ignored:
            note = "ignored: " + ", ".join(printable(k) for k in row.ignored[:8]) + \
                   (" …" if len(row.ignored) > 8 else "")
        if note:
            notes.append(Text.assemble((_who(row), "bold"), ": ", note))
        table.add_row(Text(_who(row), style="bold"),
                      Text(f"{points(row.score)}/{points(row.maximum)}", style=style),
                      *[points(p.score) for p in row.problems])
    console.print(table)
    for note in notes:
        console.print(note)
    if notes:
        console.print()
    stats = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Per problem",
                  title_justify="left")
    stats.add_column("problem")
    stats.add_column("mean", justify="right", no_wrap=True)
    stats.add_column("full marks", justify="right", no_wrap=True)
    stats.add_column("missed most (students who missed it)", overflow="fold")
    for s in report.stats:
        missed = [f"{x.key} ({x.missed} of {x.students})" for x in s.targets if x.missed][:3]
        stats.add_row(s.name, f"{fmt(s.mean, precision)}/{points(s.maximum)}",
                      f"{s.full} of {len(report.students)}", ", ".join(missed) or "none")
    console.print(stats)
    full = sum(r.full_marks for r in report.students)
    console.print(Text(f"{full} of {plural(len(report.students), 'student')} with full marks",
                       style="bold green" if report.all_full_marks else "bold red"))


def _csv_cell(text: str) -> str:
    # a cell a spreadsheet would run as a formula (=, +, -, @) is quoted as text
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_text(report: ClassReport) -> str:
    """The gradebook: a row per student, id, score, maximum, each problem's score, status."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "score", "maximum", *[p.name for p in report.template.problems],
                "status"])
    for row in report.students:
        w.writerow([_csv_cell(row.student or ""), points(row.score), points(row.maximum),
                    *[points(p.score) for p in row.problems], row.status])
    return out.getvalue()


def _target_document(t, reveal: str) -> dict:
    return {"target": t.key, "id": t.label, "points": t.points, "score": t.score,
            "status": t.status, "answer": t.answer,
            "outcome": t.verdict.outcome if t.verdict is not None else None,
            "feedback": feedback(t, reveal)}


def student_document(row: StudentResult, reveal: str) -> dict:
    return {"id": row.student, "files": row.files, "status": row.status,
            "reason": status_reason(row), "score": row.score, "maximum": row.maximum,
            "full_marks": row.full_marks, "ignored": row.ignored,
            "problems": [{"name": p.name, "score": p.score, "maximum": p.maximum,
                          "targets": [_target_document(t, reveal) for t in p.targets]}
                         for p in row.problems]}


def printable_json(doc: dict) -> str:
    """JSON whose strings keep their letters (w̄1, θ) but escape every character that is
    not printable, C1 controls and bidi overrides included, which json.dumps would let
    through raw to a terminal."""
    import json

    def escape(c: str) -> str:
        if c.isprintable():
            return c
        n = ord(c)
        if n > 0xFFFF:  # as JSON writes it: a surrogate pair
            n -= 0x10000
            return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"
        return f"\\u{n:04x}"
    return "".join(map(escape, json.dumps(doc, ensure_ascii=False, allow_nan=False)))


def class_document(report: ClassReport, reveal: str) -> dict:
    """The whole grading as one JSON document (schema/grades.schema.json)."""
    t = report.template
    return {"schema": SCHEMA_VERSION, "assignment": t.assignment, "title": t.title,
            "maximum": t.maximum, "all_full_marks": report.all_full_marks,
            "students": [student_document(r, reveal) for r in report.students],
            "problems": [{"name": s.name, "mean": s.mean, "maximum": s.maximum,
                          "full_marks": s.full,
                          "targets": [{"target": x.key, "missed": x.missed,
                                       "students": x.students} for x in s.targets]}
                         for s in report.stats]}


def gradescope_document(row: StudentResult, template: Template, reveal: str) -> dict:
    """results.json for Gradescope's autograder: a test per target, with its points, and
    the submission's score as their sum. Every text is shown as plain text (not HTML)."""
    tests = []
    reason = status_reason(row)
    for k, (spec, p) in enumerate(zip(template.problems, row.problems), 1):
        results = p.targets
        for j, s in enumerate(spec.targets, 1):
            r = results[j - 1] if results else None
            score = r.score if r is not None else 0.0
            test = {"name": f"{spec.name}: {s.key}", "number": f"{k}.{j}",
                    "score": score, "max_score": s.points,
                    "status": "passed" if r is not None and r.status == "right" else "failed",
                    "output": feedback(r, reveal) if r is not None else reason,
                    "visibility": template.visibility}
            tests.append(test)
    doc = {"score": round(sum(x["score"] for x in tests), 9),
           "output": reason or f"{points(row.score)} of {points(row.maximum)} points",
           "output_format": "text", "test_output_format": "text", "test_name_format": "text",
           "visibility": template.visibility, "tests": tests}
    if row.ignored:
        doc["output"] += ("; ignored (not answers to this assignment's targets): "
                          + ", ".join(row.ignored))
    return doc
