"""The grading report in the terminal: one Rich table per problem (target, answer, truth,
verdict with the reason and, for a wrong formula, a point where it differs), then the
count of right answers."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..tasks.grading import ProblemReport, Report, Verdict
from .numbers import fmt
from .sentences import plural, verdict_reason


def _title(problem: ProblemReport, precision: int) -> Text:
    lines = [line.split("#", 1)[0].strip() for line in problem.expression.splitlines()]
    shown = "; ".join(line for line in lines if line)
    if len(shown) > 120:
        shown = f"{shown[:110]}… ({len(shown)} characters)"
    point = ", ".join(f"{k} = {fmt(v, precision)}" for k, v in problem.point.items())
    head = [(f"{problem.name}: ", "bold")] if problem.name else [("backprop ", "bold")]
    return Text.assemble(*head, shown, (f"   at {point}" if point else "", "dim"))


def _verdict(v: Verdict) -> Text:
    mark = ("✓ ", "bold green") if v.right else ("✗ ", "bold red")
    return Text.assemble(mark, verdict_reason(v))


def render_report(report: Report, console: Console, precision: int = 6) -> None:
    for k, problem in enumerate(report.problems):
        if k:
            console.print()
        console.print(_title(problem, precision))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
        table.add_column("target", overflow="fold", max_width=14)
        table.add_column("answer", overflow="fold", max_width=22)
        table.add_column("truth", justify="right", no_wrap=True)
        table.add_column("verdict", overflow="fold")
        for v in problem.verdicts:
            table.add_row(Text(v.target, style="bold cyan"), v.answer, fmt(v.truth, precision),
                          _verdict(v))
        console.print(table)
    right, total = report.right, report.total
    style = "bold green" if report.all_right else "bold red"
    console.print(Text(f"{right} of {plural(total, 'answer')} right", style=style))
