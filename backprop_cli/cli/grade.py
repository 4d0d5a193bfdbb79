"""`backprop grade TEMPLATE SUBMISSION… --secret TEXT`: rebuild each student's variant from
the secret and grade every target of every submission, with points and partial credit.
Exit 0 when every submission has full marks, 1 when one has less (an unreadable one
included), 2 only for a bad template, roster or option."""

from __future__ import annotations

from .options import Parser, common_options, output_options
from .variants import secret, secret_option
from ..errors import UsageError

EPILOG = """\
examples:
  backprop grade examples/class/template.toml subs/*.toml --secret "$SECRET"
  backprop grade template.toml subs/*.toml --secret "$SECRET" --format csv
  backprop grade template.toml subs/*.toml --secret "$SECRET" \\
      --roster roster.csv
  backprop grade template.toml answers.toml --secret "$SECRET" \\
      --format gradescope --out results

A submission is TOML: student = "ID", then a table per problem of
target = answer. --format gradescope writes DIR/ID/results.json (the
format of Gradescope's autograder) and prints the table.

exit codes: 0 every submission has full marks, 1 one has less (or cannot be
read), 2 a bad template, roster or option, 3 an internal error of backprop.
"""

FORMATS = ("table", "json", "csv", "gradescope")
LACKS = {}


def build_parser() -> Parser:
    from ..tasks.classroom import REVEAL
    from .options import ALL_FORMATS, non_negative, whole

    p = Parser(prog="backprop grade",
               usage="backprop grade TEMPLATE SUBMISSION… --secret TEXT\n"
                     "       [--format table|json|csv|gradescope] [--out DIR] [options]",
               description="Grade a class: each submission against its student's variant,\n"
                           "with points, partial credit and the class's statistics.",
               epilog=EPILOG)
    p.add_argument("template", help="the class template (.toml)")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="the students' answer files (.toml)")
    secret_option(p)
    p.add_argument("--roster", metavar="ROSTER.csv",
                   help="the students: an id not on it is not graded, and a student without "
                        "a submission gets a row with zero points")
    p.add_argument("--out", metavar="DIR", help="with --format gradescope: where "
                                                "DIR/ID/results.json go")
    p.add_argument("--reveal", choices=REVEAL, help="the feedback's hint tier instead of the "
                   "template's: " + ", ".join(REVEAL) + " (each shows more)")
    p.add_argument("--time-limit", type=non_negative("--time-limit"), default=5.0,
                   metavar="S", help="seconds of grading per submission (default 5)")
    p.add_argument("--jobs", type=whole("--jobs", 1, 64), default=None, metavar="N",
                   help="worker processes for many submissions (default: one per CPU; "
                        "1: all in this process)")
    output_options(p, formats=FORMATS, rows=False,
                   refuse=lambda name: UsageError(
                       f"--format {name} is for a trace; backprop grade prints "
                       + ", ".join(FORMATS)),
                   json_help="the whole report as one JSON document (schema: backprop_cli/"
                             "schema/grades.schema.json)")
    assert set(FORMATS) - {"gradescope"} <= set(ALL_FORMATS)
    common_options(p)
    return p


def run(args):
    from ..tasks.classroom import load_roster, load_template
    from ..tasks.submissions import check_template, grade_class
    from .options import chosen_format

    name = chosen_format(args)
    if name == "gradescope" and not args.out:
        raise UsageError("--format gradescope writes DIR/ID/results.json: give --out DIR")
    if args.out and name != "gradescope":
        raise UsageError("--out is for --format gradescope; the other formats print",
                         hint="backprop grade … --format csv > grades.csv")
    key = secret(args)
    template = load_template(args.template)
    check_template(template)
    roster = load_roster(args.roster) if args.roster else None
    reveal = args.reveal or template.reveal
    with _progress(len(args.submissions)) as update:
        report = grade_class(template, key, args.submissions, roster,
                             args.time_limit or None, update, args.jobs or _cpus())
    if name == "gradescope":
        _gradescope(args.out, report, reveal)
    return (0 if report.all_full_marks else 1), lambda: _show(name, report, reveal, args)


def _cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _progress(total: int):
    """A progress bar on stderr when it is a terminal, else nothing."""
    from contextlib import contextmanager

    from ..render.console import bar

    @contextmanager
    def none():
        yield None
    return bar(total, "grading") if total > 1 else none()


def _gradescope(out: str, report, reveal: str) -> None:
    from . import outdir
    from ..render.classroom import gradescope_document, printable_json

    folder = outdir.prepare(out)
    unnamed = 0
    for row in report.students:
        name = row.student
        if name is None:  # a file naming no usable id still gets its zero and the reason,
            unnamed += 1  # under a name no id can have (an id starts with a letter or digit)
            name = f"_unidentified-{unnamed}"
        outdir.write(folder, name, "results.json",
                     printable_json(gradescope_document(row, report.template, reveal)) + "\n")


def _show(name: str, report, reveal: str, args) -> None:
    if name == "json":
        from ..render.classroom import class_document, printable_json

        print(printable_json(class_document(report, reveal)))
    elif name == "csv":
        from ..render.classroom import csv_text

        print(csv_text(report), end="")
    else:
        from ..render.classroom import render_table
        from ..render.console import plain

        render_table(report, plain(), args.precision)
