"""The command line: parse arguments, call the library, pick a renderer, map errors to
exit codes (0 success, 1 a wrong answer, 2 bad input or usage). Nothing here computes anything."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import BackpropError, UsageError

EPILOG = """\
examples:
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2 --json | jq .gradient
  backprop "c = a + b; d = c + a" --at a=1,b=2
  backprop -f examples/lecture_f.bp --at x=-1,y=pi/3
  backprop -f examples/lecture_f.bp --at x=-1,y=pi/3 --format latex > f.tex
  backprop "x*y*exp(x*y)" --at x=1,y=2 --format dot | dot -Tpng -o g.png
  backprop "x*y*exp(x*y)" --at x=1,y=2 --blank --format markdown
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2 --mode both --expand
  backprop "x**2*cos(x*y)+1" --over x=-3:3:121 --at y=pi/3 --plot
  backprop descend "(x-3)**2 + (y+1)**2" --from x=0,y=0 --lr 0.1
  backprop "x @ x" --at "x=[0,1,2,3]"
  backprop "x[:2]" --at "x=arange(4)" --seed "v=[1,0.5]"
  backprop "x*y*exp(x*y)" --at x=1,y=2 --expect 'dg/dy = x*exp(x*y)'
  backprop --answers homework.toml

exit codes: 0 success (with --expect or --answers: every answer right),
1 an answer is wrong, 2 bad input or usage (parse error, unknown function,
missing value, domain error, shape error, unknown target). Errors under
--json are JSON on stdout too. `backprop descend --help` for gradient descent
(exit 1: diverged).
"""

# --format NAME: the module of backprop_cli/render/ that prints it (its emit(trace,
# options)). A new format is one line here and one module there.
FORMATS = {
    "table": "terminal",
    "json": "json_doc",
    "latex": "latex",
    "markdown": "markdown",
    "dot": "dot",
    "mermaid": "mermaid",
    "csv": "lines",  # many points only (--over): cli_sweep.py prints it
}
# What a sweep (--over) prints; the other formats show one point.
SWEEP_FORMATS = ("table", "csv", "json")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print and exit; keep one error path
        raise UsageError(message, hint=f"see {self.prog} --help")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="backprop", formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Show the forward and backward pass of an expression: the SSA\n"
                            "list w1…wn, values, local partials, adjoints and the gradient.",
                epilog=EPILOG)
    p.add_argument("expression", nargs="?",
                   help="the expression, or statements separated by ; or new lines "
                        "(c = a + b; d = c + a); - reads standard input")
    p.add_argument("-f", "--file", help="read the expression from a file")
    p.add_argument("--at", action="append", metavar="x=2,y=pi/2",
                   help="values of the inputs; each is a constant expression (pi/2, -1e-3, "
                        "2*e); may be repeated")
    p.add_argument("--seed", metavar="v=[1,0.5]",
                   help="the adjoint of a vector or matrix output to start the backward "
                        "pass from, as y.backward(v)")
    p.add_argument("--jacobian", action="store_true",
                   help="the whole Jacobian: one reverse pass per output entry or one "
                        "forward pass per input entry, whichever needs fewer")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document (schema: backprop_cli/schema/"
                        "trace.schema.json) instead of tables; the same as --format json")
    p.add_argument("--format", choices=list(FORMATS), metavar="FORMAT",
                   help="what to print: " + ", ".join(FORMATS) + " (default table; csv "
                        "only with --over)")
    p.add_argument("--graph", action="store_true",
                   help="add a tree of the graph to the tables (values, partials, adjoints)")
    p.add_argument("--blank", action="store_true",
                   help="a worksheet: the SSA list and definitions, with values, partials "
                        "and adjoints left empty (table, markdown, latex, dot, mermaid)")
    p.add_argument("--precision", type=int, default=6, metavar="N",
                   help="significant digits in tables (default 6)")
    p.add_argument("--no-share", dest="share", action="store_false",
                   help="do not merge identical sub-expressions: show the expression tree")
    p.add_argument("--max-rows", type=int, default=60, metavar="N",
                   help="rows per table before the middle is elided (0: all; default 60)")
    p.add_argument("--mode", choices=("reverse", "forward", "both"), default="reverse",
                   help="reverse accumulation (backprop, the default), forward (dual "
                        "numbers: one pass per input), or both side by side")
    p.add_argument("--expand", action="store_true",
                   help="also write each gradient entry in terms of the inputs")
    p.add_argument("--over", action="append", metavar="x=-3:3:121",
                   help="sweep an input over start:stop:count (constant expressions: "
                        "x=-pi:pi:101); several make a grid; the others from --at")
    p.add_argument("--plot", nargs="?", const="", metavar="FILE",
                   help="with --over: draw the function and its partials in the "
                        "terminal, or write FILE (.png, .svg, .pdf; needs matplotlib)")
    grading = p.add_argument_group("checking answers (exit 1 when one is wrong)")
    grading.add_argument("--expect", action="append", metavar="'TARGET = ANSWER'",
                         help="grade an answer: TARGET is f, df/dx, w4 or w4bar; ANSWER a "
                              "number or a formula; may be repeated")
    grading.add_argument("--answers", metavar="FILE",
                         help="grade the problems of an answers file (.toml or .json)")
    grading.add_argument("--answers-out", metavar="FILE",
                         help="write the answer key of the run (.toml or .json)")
    grading.add_argument("--rtol", type=float, metavar="R",
                         help="numbers are right within this relative tolerance, instead "
                              "of to the digits written")
    grading.add_argument("--atol", type=float, metavar="A",
                         help="numbers are right within this absolute tolerance")
    p.add_argument("--version", action="version", version=f"backprop {_version()}")
    return p


def _version() -> str:
    from .. import __version__
    return __version__


def _read_source(args) -> str:
    if args.file and args.expression:
        raise UsageError("give the expression or --file, not both")
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            raise UsageError(f"cannot read {args.file}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"cannot read {args.file}: it is not UTF-8 text") from None
    if args.expression == "-":
        try:
            return sys.stdin.read()
        except UnicodeDecodeError:
            raise UsageError("standard input is not UTF-8 text") from None
    if args.expression is None:
        raise UsageError("no expression given", hint='backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2')
    return args.expression


def _wants_json(argv: list[str]) -> bool:
    """Whether errors should be JSON: --json, --format json or --format=json."""
    return "--json" in argv or "--format=json" in argv or any(
        a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))


def _renderer(args):
    """The module that prints the chosen format, after the checks of what goes with it."""
    if args.json and args.format not in (None, "json"):
        raise UsageError(f"--json and --format {args.format} ask for two formats; give one")
    name = "json" if args.json else args.format or "table"
    if args.graph and name != "table":
        raise UsageError(f"--graph adds a tree to the tables, not to --format {name}",
                         hint="for a picture of the graph: --format dot or --format mermaid")
    module = importlib.import_module(f"..render.{FORMATS[name]}", __package__)
    if args.jacobian and not getattr(module, "JACOBIAN", False):
        raise UsageError(f"--jacobian prints a table of ∂f/∂x, which --format {name} does "
                         "not print", hint="use --format table, markdown or json")
    if args.blank and not getattr(module, "WORKSHEET", False):
        sheets = [f for f in FORMATS if f != name and getattr(
            importlib.import_module(f"..render.{FORMATS[f]}", __package__), "WORKSHEET", False)]
        raise UsageError(f"--blank makes a worksheet, which --format {name} does not print "
                         "(it always carries the answers)",
                         hint="use --format " + ", ".join(sheets))
    return module


def _refuse_combinations(args) -> None:
    """Options that do not go together, refused in one place before any work: each would
    otherwise be ignored without a word."""
    grading = bool(args.expect or args.answers)
    tolerance = args.rtol is not None or args.atol is not None
    if args.over:
        if grading or args.answers_out:
            raise UsageError("--expect, --answers and --answers-out are for one point, "
                             "not a sweep")
        if tolerance:
            raise UsageError("--rtol and --atol are for grading, not a sweep",
                             hint="grade at one point with --at and --expect")
        return  # the sweep's own formats and options: cli_sweep.run_sweep
    if args.format == "csv" or args.plot is not None:
        what = "--plot" if args.plot is not None else "--format csv"
        raise UsageError(f"{what} needs points: sweep an input with --over",
                         hint="backprop EXPR --over x=-3:3:121")
    if grading:
        if args.format not in (None, "table", "json") or args.graph or args.blank:
            raise UsageError("--expect and --answers print a report: as a table, or with "
                             "--json", hint="--format, --graph and --blank are for the trace")
        if args.mode != "reverse" or args.expand:
            raise UsageError("--mode and --expand do not go with --expect or --answers, "
                             "which print a report", hint="run without them to see the trace")
    elif tolerance:
        raise UsageError("--rtol and --atol are for grading: with --expect or --answers")


def _tolerance(args):
    if args.rtol is None and args.atol is None:
        return None
    from ..tasks.grading import Tolerance

    for name in ("rtol", "atol"):
        value = getattr(args, name)
        if value is not None and not value >= 0:  # also nan
            raise UsageError(f"--{name} takes a number ≥ 0")
    return Tolerance(args.rtol or 0.0, args.atol or 0.0)


def _grade(args):
    """The report of --expect (on the expression) or of --answers (a file's problems)."""
    tolerance = _tolerance(args)
    if args.answers:
        if args.expression or args.file or args.at or args.expect or args.answers_out:
            raise UsageError("--answers gives the problems: no expression, --at, --expect "
                             "or --answers-out with it")
        from ..tasks.answers import load_answers
        from ..tasks.grading import check_problems

        return check_problems(load_answers(args.answers), tolerance)
    from ..tasks.grading import Report, expect_entries, grade
    from ..tasks.differentiate import differentiate

    source = _read_source(args)
    trace = differentiate(source, args.at, share=args.share)
    if args.answers_out:
        _write_key(args, trace)
    return Report([grade(trace, expect_entries(args.expect), tolerance)])


def _write_key(args, trace) -> None:
    from ..tasks.answers import write_answers
    from ..tasks.grading import answer_key

    at = ",".join(args.at) if args.at else None
    write_answers(args.answers_out, [answer_key(trace, at)])


def _print_report(args, report) -> None:
    if args.json or args.format == "json":
        from ..render.json_doc import report_json

        print(report_json(report))
    else:
        from ..render.console import plain
        from ..render.report import render_report

        render_report(report, plain(), precision=args.precision)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "descend":  # the subcommand; `(descend)` is the variable
        from .descend import main as descend

        return descend(argv[1:])
    as_json = _wants_json(argv)
    try:
        args = build_parser().parse_args(argv)
        if args.precision < 1 or args.precision > 17:
            raise UsageError("--precision takes 1 to 17 significant digits")
        if args.max_rows < 0:  # not "no limit", which is 0: say so rather than guess
            raise UsageError("--max-rows takes a whole number ≥ 0 (0 shows every row)")
        _refuse_combinations(args)
        if args.over:
            from .sweep import run_sweep

            return run_sweep(args, _read_source(args))
        if args.expect or args.answers:
            report = _grade(args)
        else:
            renderer = _renderer(args)
            from ..tasks.differentiate import differentiate

            source = _read_source(args)
            trace = differentiate(source, args.at, share=args.share, mode=args.mode,
                                  seed=args.seed, jacobian=args.jacobian)
            if args.answers_out:
                _write_key(args, trace)
    except BackpropError as error:
        return report_error(error, as_json)
    if args.expect or args.answers:
        _print_report(args, report)
        return 0 if report.all_right else 1
    from ..render import Options

    renderer.emit(trace, Options(args.precision, args.max_rows, args.blank, args.graph,
                                 args.mode, args.expand))
    return 0


def report_error(error: BackpropError, as_json: bool) -> int:
    """The error on stderr, with its caret; under --json, as JSON on stdout."""
    if as_json:
        from ..render.json_doc import render_error

        print(render_error(error))
    else:
        from ..render.console import plain
        from ..render.terminal import render_error

        render_error(error, plain(stderr=True))
    return error.exit_code


def run() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `backprop … | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
