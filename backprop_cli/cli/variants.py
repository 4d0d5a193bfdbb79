"""`backprop variants TEMPLATE --roster ROSTER.csv --secret TEXT --out DIR`: for each
student of the roster, DIR/ID/problems.md (or problems.tex with --format latex), the
worksheet of the student's variant with blank tables, and DIR/ID/key.toml, its complete
answers as a submission that scores full marks. The same secret and id give the same
files, byte for byte."""

from __future__ import annotations

from .options import Parser, common_options
from ..errors import UsageError

EPILOG = """\
examples:
  backprop variants examples/class/template.toml \\
      --roster examples/class/roster.csv --secret "$SECRET" --out variants
  backprop variants template.toml --roster roster.csv --secret "$SECRET" \\
      --out variants --format latex

Each student's variant (the point, the coefficients) is drawn from an HMAC
of the secret, the assignment and the id: keep the secret to grade with it
(backprop grade).

exit codes: 0 written, 2 a bad template, roster or option, 3 an internal
error of backprop.
"""

LACKS = {}


def secret_option(p: Parser) -> None:
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--secret", metavar="TEXT",
                       help="the text each variant is drawn from, with the assignment and "
                            "the id; the same for variants and grade")
    group.add_argument("--secret-file", metavar="FILE",
                       help="the secret from a file (its first line), kept out of the "
                            "process list")


def secret(args) -> bytes:
    """The secret as bytes: --secret, or the first line of --secret-file; never empty."""
    text = args.secret
    if args.secret_file is not None:
        from ..tasks.classroom import read_limited

        text = read_limited(args.secret_file, 4096, UsageError).split("\n", 1)[0].rstrip("\r")
    if not text:
        raise UsageError("the secret is empty: the variants would be guessable",
                         hint="--secret TEXT or --secret-file FILE, the same for variants "
                              "and grade")
    return text.encode("utf-8")


def build_parser() -> Parser:
    p = Parser(prog="backprop variants",
               usage="backprop variants TEMPLATE --roster ROSTER.csv --secret TEXT --out DIR",
               description="A worksheet and an answer key for every student of a roster,\n"
                           "each with the student's own variant of the template's problems.",
               epilog=EPILOG)
    p.add_argument("template", help="the class template (.toml)")
    p.add_argument("--roster", required=True, metavar="ROSTER.csv",
                   help="the students: a CSV file with a column id")
    secret_option(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="where DIR/ID/problems.md and DIR/ID/key.toml are written")
    p.add_argument("--format", choices=("markdown", "latex"), default="markdown",
                   help="the worksheet: problems.md (default) or problems.tex")
    common_options(p)
    return p


def run(args):
    from . import outdir
    from ..render.classroom import WORKSHEETS
    from ..tasks.classroom import dump_submission, key, load_roster, load_template, variant
    from ..tasks.submissions import check_template

    key_ = secret(args)
    template = load_template(args.template)
    check_template(template)
    roster = load_roster(args.roster)
    name, worksheet = WORKSHEETS[args.format]
    # every variant drawn once before a file is written: a student whose ranges give no
    # usable point is exit 2 with nothing half written (drawing is ~1 ms; papers are kept
    # out of memory, 10-20 KB each)
    for student in roster:
        variant(template, key_, student)
    out = outdir.prepare(args.out)
    for student in roster:
        v = variant(template, key_, student)
        outdir.write(out, student, name, worksheet(template, v))
        outdir.write(out, student, "key.toml", dump_submission(key(v)))

    def show():
        print(f"{len(roster)} students: {args.out}/ID/{name} and {args.out}/ID/key.toml")
    return 0, show
