"""`backprop check EXPR --at … --expect 'TARGET = ANSWER'` and `backprop check --answers
FILE`: grade answers against the truth and print a report. Exit 0 when every answer is
right, 1 when one is wrong, 2 when one cannot be read.

The spellings from before this subcommand, `backprop EXPR --at … --expect …` and
`backprop --answers FILE`, come here too (cli/main.py routes them)."""

from __future__ import annotations

from .options import (Parser, chosen_format, common_options, grading_options, input_options,
                      output_options, read_source)
from ..errors import UsageError

EPILOG = """\
examples:
  backprop check "x*y*exp(x*y)" --at x=1,y=2 --expect 'dg/dy = x*exp(x*y)'
  backprop check "x*y*exp(x*y)" --at x=1,y=2 --expect w3=2 --expect w5bar=1
  backprop check "x" --at x=1.0471975 --expect 'f = 1.04' --rtol 0.01
  backprop check --answers examples/homework.toml --json
  backprop check "x*y" --at x=1,y=2 --expect 'f = 2' --answers-out key.toml

targets: f (the value), df/dx or ∂f/∂x, w4 (a node's value), w4bar or w̄4
(an adjoint), dw5/dw4 or ∂w5/∂w4 (a local partial), a statement's or an
input's name (c, cbar). Answers: a number
(right to the digits written, or within --rtol/--atol), an exact value (1,
pi/3), or a formula in the inputs and the w's (checked at the point and 12
more).

exit codes: 0 every answer right, 1 an answer is wrong, 2 an answer, a target
or the input cannot be read, 3 an internal error of backprop.
"""

_REPORT = "run backprop EXPR --at … (without --expect) to see the trace"
LACKS = {
    "--mode": ("--mode and --expand do not go with --expect or --answers, which print a "
               "report", "run without them to see the trace"),
    "--graph": ("--graph and --blank are for the trace; --expect and --answers print a "
                "report", _REPORT),
    "--over": ("--over sweeps many points; --expect and --answers grade one point each",
               "backprop sweep EXPR --over x=-3:3:121"),
    "--seed": ("--seed and --jacobian are for vectors and matrices; grading takes programs "
               "of scalars for now", _REPORT),
}
LACKS["--expand"] = LACKS["--mode"]
LACKS["--blank"] = LACKS["--graph"]
LACKS["--plot"] = LACKS["--over"]
LACKS["--jacobian"] = LACKS["--seed"]


def _refuse_format(name: str) -> UsageError:
    return UsageError(f"--format {name} is for the trace; --expect and --answers print a "
                      "report: as a table, or with --json", hint=_REPORT)


def build_parser() -> Parser:
    p = Parser(prog="backprop check",
               usage="backprop check EXPR --at x=1,y=2 --expect 'TARGET = ANSWER' …\n"
                     "       backprop check --answers FILE [options]",
               description="Grade answers (values, partials, adjoints, formulas) against the\n"
                           "truth: a report, and exit 1 when one is wrong.",
               epilog=EPILOG)
    input_options(p, share_help="do not merge identical sub-expressions (the w's of the "
                                "expression tree)")
    grading_options(p)
    output_options(p, formats=("table", "json"), refuse=_refuse_format, rows=False,
                   json_help="the report as one JSON document (schema: backprop_cli/"
                             "schema/report.schema.json)")
    common_options(p)
    return p


def run(args):
    from ..tasks import grading

    chosen_format(args)
    tolerance = None
    if args.rtol is not None or args.atol is not None:
        tolerance = grading.Tolerance(args.rtol or 0.0, args.atol or 0.0)
    if args.answers:
        if args.expression or args.file or args.at or args.expect or args.answers_out \
                or not args.share:
            raise UsageError("--answers gives the problems: no expression, --at, --expect "
                             "or --answers-out with it")
        from ..tasks.answers import load_answers

        report = grading.check_problems(load_answers(args.answers), tolerance)
    elif args.expect:
        from ..tasks.differentiate import differentiate

        trace = differentiate(read_source(args), args.at, share=args.share)
        if args.answers_out:
            write_key(args.answers_out, trace, args.at)
        report = grading.Report([grading.grade(trace, grading.expect_entries(args.expect),
                                               tolerance)])
    else:
        raise UsageError("nothing to check: give --expect 'TARGET = ANSWER' or --answers FILE",
                         hint="to write an answer key: backprop EXPR --at … --answers-out FILE")
    return (0 if report.all_right else 1), lambda: _show(args, report)


def write_key(path: str, trace, at: list[str] | None) -> None:
    """The answer key of a trace, for --answers-out."""
    from ..tasks.answers import write_answers
    from ..tasks.grading import answer_key

    write_answers(path, [answer_key(trace, ",".join(at) if at else None)])


def _show(args, report) -> None:
    if chosen_format(args) == "json":
        from ..render.json_doc import report_json

        print(report_json(report))
    else:
        from ..render.console import plain
        from ..render.report import render_report

        render_report(report, plain(), precision=args.precision)
