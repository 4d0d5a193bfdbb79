"""The option groups the subcommands share, declared once, and the parser they are added
to. A subcommand is the groups that apply to it and its own few options; an option that
does not apply is simply not there.

Nothing here imports numpy, Rich or the library: `backprop --help` builds these parsers.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import MAX_INPUT_BYTES, UsageError, printable, too_large


class Parser(argparse.ArgumentParser):
    """argparse, with one error path (UsageError), no abbreviations (`--js` is not
    `--json`), and an expression that may start with a minus sign (`-x**2`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):  # argparse would print and exit; keep one error path
        raise UsageError(message, hint=f"see {self.prog} --help")

    def _parse_optional(self, arg_string):
        # argparse takes any word that starts with "-" for an option and refuses -x**2 as
        # unrecognized. A single dash followed by anything but a short option of this
        # parser (-f, -h) is the expression; --anything stays an option (--frobnicate is
        # an error, not the double negation of frobnicate).
        if arg_string[:1] == "-" and arg_string[1:2] not in ("", "-") \
                and arg_string not in self._option_string_actions:
            return None
        return super()._parse_optional(arg_string)


def whole(option: str, least: int, most: int | None = None, note: str = "",
          hint: str | None = None):
    """An argparse type: a whole number in [least, most], else a usage error that says
    so (argparse would say only 'invalid int value')."""
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least or (most is not None and value > most):
            bound = f"{least} to {most}" if most is not None else f"a whole number ≥ {least}"
            raise UsageError(f"{option} takes {bound}{note}", hint=hint)
        return value
    return convert


def non_negative(option: str):
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not value >= 0:  # also nan
            raise UsageError(f"{option} takes a number ≥ 0")
        return value
    return convert


# --- the groups ---------------------------------------------------------------------------

def input_options(p: argparse.ArgumentParser, *, what: str = "the expression",
                  at: bool = True, share_help: str | None = None):
    """The expression (or -f FILE, or - for standard input), its point, --no-share."""
    group = p.add_argument_group("the expression")
    group.add_argument("expression", nargs="?",
                       help=f"{what}, or statements separated by ; or new lines "
                            "(c = a + b; d = c + a); - reads standard input")
    group.add_argument("-f", "--file", help="read the expression from a file")
    if at:
        group.add_argument("--at", action="append", metavar="x=2,y=pi/2",
                           help="values of the inputs; each is a constant expression "
                                "(pi/2, -1e-3, 2*e); may be repeated")
    group.add_argument("--no-share", dest="share", action="store_false",
                       help=share_help or argparse.SUPPRESS)
    return group


def output_options(p: argparse.ArgumentParser, *, formats: tuple[str, ...] = (),
                   refuse=None, json_help: str, rows: bool = True):
    """--json, --format (when there is more than one), --precision, --max-rows.

    formats are what this command prints; refuse(name) is the UsageError for a format that
    another command prints (why it is not printed here, and where it is)."""
    group = p.add_argument_group("output")
    group.add_argument("--json", action="store_true", help=json_help)
    if formats:
        known = set(ALL_FORMATS)

        def format_name(text: str) -> str:
            if text in formats:
                return text
            if text in known:
                raise refuse(text)
            raise UsageError(f"argument --format: invalid choice: {text!r} (choose from "
                             f"{', '.join(formats)})")

        group.add_argument("--format", type=format_name, metavar="FORMAT",
                           help="what to print: " + ", ".join(formats)
                                + f" (default {formats[0]}; --json is --format json)")
    group.add_argument("--precision", type=whole("--precision", 1, 17, " significant digits"),
                       default=6, metavar="N", help="significant digits in tables (default 6)")
    if rows:
        group.add_argument("--max-rows", type=whole("--max-rows", 0,
                                                    note=" (0 shows every row)"),
                           default=60, metavar="N",
                           help="rows per table before the middle is elided "
                                "(0: all; default 60)")
    return group


def grading_options(p: argparse.ArgumentParser):
    group = p.add_argument_group("checking answers (exit 1 when one is wrong)")
    group.add_argument("--expect", action="append", metavar="'TARGET = ANSWER'",
                       help="grade an answer: TARGET is f, df/dx, d2f/dxdy, w4 or w4bar; "
                            "ANSWER a number or a formula; may be repeated")
    group.add_argument("--answers", metavar="FILE",
                       help="grade the problems of an answers file (.toml or .json)")
    answer_key_option(group)
    group.add_argument("--rtol", type=non_negative("--rtol"), metavar="R",
                       help="numbers are right within this relative tolerance, instead "
                            "of to the digits written")
    group.add_argument("--atol", type=non_negative("--atol"), metavar="A",
                       help="numbers are right within this absolute tolerance")
    return group


def answer_key_option(group):
    group.add_argument("--answers-out", metavar="FILE",
                       help="write the answer key of the run (.toml or .json): every "
                            "value, adjoint, partial and f")


def plot_option(p: argparse.ArgumentParser, what: str):
    p.add_argument("--plot", nargs="?", const="", metavar="FILE",
                   help=f"{what}: in the terminal, or in FILE (.png, .svg, .pdf; needs "
                        "matplotlib)")


def common_options(p: argparse.ArgumentParser):
    p.add_argument("--debug", action="store_true",
                   help="show the traceback of an internal error (exit 3)")


# Every --format name: which command prints it is the command's business (its formats).
ALL_FORMATS = ("table", "json", "latex", "markdown", "dot", "mermaid", "html", "csv")


def chosen_format(args) -> str:
    """The format asked for: --json is --format json, and asking for two is an error."""
    given = getattr(args, "format", None)
    if args.json and given not in (None, "json"):
        raise UsageError(f"--json and --format {given} ask for two formats; give one")
    return "json" if args.json else given or "table"


def read_source(args) -> str:
    """The expression: the argument, the file of -f, or standard input for -."""
    if args.file and args.expression:
        raise UsageError("give the expression or --file, not both")
    if args.file:
        try:
            with open(args.file, "rb") as f:
                return decoded(f.read(MAX_INPUT_BYTES + 1), args.file)
        except OSError as e:
            raise UsageError(f"cannot read {printable(args.file)}: {e.strerror}") from None
    if args.expression == "-":
        # bytes, read as UTF-8 whatever the terminal's encoding (PYTHONIOENCODING=ascii
        # would refuse a θ piped in); no more than the limit, however much is sent
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            return decoded(sys.stdin.read(MAX_INPUT_BYTES + 1).encode("utf-8"),
                           "standard input")
        return decoded(stream.read(MAX_INPUT_BYTES + 1), "standard input")
    if args.expression is None:
        raise UsageError("no expression given", hint='backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2')
    return args.expression


def decoded(data: bytes, name: str) -> str:
    """The text of an input file or stream read up to one byte past the limit: refused
    past it, or when not UTF-8; a byte-order mark (Windows editors write one) dropped."""
    if len(data) > MAX_INPUT_BYTES:
        raise too_large(printable(name), len(data), MAX_INPUT_BYTES, "bytes or more")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        what = name if name == "standard input" else f"cannot read {printable(name)}: it"
        raise UsageError(f"{what} is not UTF-8 text") from None
