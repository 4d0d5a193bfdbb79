"""`backprop sweep EXPR --over x=-3:3:121 …`: the value and the gradient at many points,
as a table, CSV, JSON Lines or a plot. `backprop EXPR --over …`, the spelling from before
this subcommand, comes here too (cli/main.py routes it)."""

from __future__ import annotations

import sys

from .options import (Parser, chosen_format, common_options, input_options, output_options,
                      plot_option, read_source)
from ..errors import UsageError, printable

FORMATS = ("table", "csv", "json")

EPILOG = """\
examples:
  backprop sweep "x**2*cos(x*y)+1" --over x=-3:3:121 --at y=pi/3
  backprop sweep "x**2*cos(x*y)+1" --over x=-3:3:121 --at y=pi/3 --plot
  backprop sweep "x**2*cos(x*y)+1" --over x=-2:2:41 --over y=-2:2:41 \\
      --plot f.png
  backprop sweep "log(x)" --over x=0.1:10:100 --format csv > log.csv
  backprop sweep "sin(x)*x" --over x=-3:3:121 --hessian --plot

A range is name=start:stop:count, each part a constant expression
(x=-pi:pi:101). Several --over make a grid; the other inputs take their values
from --at.

exit codes: 0 success (a point outside the domain is nan there, with a warning),
2 bad input or usage, 3 an internal error of backprop.
"""

_ONE_POINT = "backprop EXPR --at x=1 shows one point"
LACKS = {
    "--expect": ("--expect, --answers and --answers-out are for one point, not a sweep",
                 "backprop check EXPR --at x=1 --expect …"),
    "--rtol": ("--rtol and --atol are for grading, not a sweep",
               "grade at one point with --at and --expect"),
    "--graph": ("--graph shows one point, not a sweep", _ONE_POINT),
    "--blank": ("--blank shows one point, not a sweep", _ONE_POINT),
    "--mode": ("--mode and --expand show one point; a sweep runs the reverse pass", _ONE_POINT),
    "--hvp": ("--hvp is a direction at one point; a sweep gives the whole Hessian with "
              "--hessian", _ONE_POINT),
    "--seed": ("--seed and --jacobian are for vectors and matrices at one point; a sweep "
               "takes programs of scalars", _ONE_POINT),
}
for _same, _as in (("--answers", "--expect"), ("--answers-out", "--expect"),
                   ("--atol", "--rtol"), ("--expand", "--mode"), ("--jacobian", "--seed")):
    LACKS[_same] = LACKS[_as]


def _refuse_format(name: str) -> UsageError:
    return UsageError(f"--format {name} shows one point; a sweep prints " + ", ".join(FORMATS),
                      hint=_ONE_POINT)


def build_parser() -> Parser:
    p = Parser(prog="backprop sweep",
               usage="backprop sweep EXPR --over x=-3:3:121 [--at y=1] [options]",
               description="The value and the gradient of an expression at many points:\n"
                           "a table, CSV, JSON Lines, or a plot.",
               epilog=EPILOG)
    group = input_options(p, share_help="do not merge identical sub-expressions")
    group.add_argument("--over", action="append", required=True, metavar="x=-3:3:121",
                       help="sweep an input over start:stop:count (constant expressions: "
                            "x=-pi:pi:101); several make a grid; the others from --at")
    group.add_argument("--hessian", action="store_true",
                       help="the second derivatives at every point too, by forward over "
                            "reverse (a pass per input over all points); --plot adds f''")
    output_options(p, formats=FORMATS, refuse=_refuse_format,
                   json_help="JSON Lines, one object per point (schema: backprop_cli/schema/"
                             "sweep.schema.json)")
    plot_option(p, "draw the function and its partials")
    common_options(p)
    return p


def run(args):
    from ..language.lower import lower
    from ..tasks.differentiate import parse_point
    from ..tasks.sweep import parse_range, sweep_blocks, sweep_program

    fmt = chosen_format(args)
    image = args.plot or None  # --plot FILE; --plot alone is ""
    if image:
        from ..render.plot_image import check_path

        check_path(image)  # before the work: a bad name or no matplotlib is exit 2 now
    ranges = [parse_range(text) for text in args.over]
    if args.plot is not None and len(ranges) > 2:
        raise UsageError("--plot draws one or two swept inputs, not more")
    program = lower(read_source(args), share=args.share)
    if fmt != "table" and args.plot is None:
        # CSV and JSON Lines stream: each block is computed, written and dropped
        diagnostics = []
        blocks = sweep_blocks(program, ranges, parse_point(args.at), diagnostics,
                              hessian=args.hessian)
        return 0, lambda: _stream(program, blocks, diagnostics, fmt)
    sweep = sweep_program(program, ranges, parse_point(args.at), args.hessian)
    return 0, lambda: _show(args, sweep, fmt, image)


def _stream(program, blocks, diagnostics, fmt: str) -> None:
    from ..render.console import plain
    from ..render.lines import write_lines
    from ..render.points import render_diagnostics

    name = program.output_name or "f"
    if fmt == "json":
        from ..render.json_doc import sweep_lines

        write_lines(sweep_lines(blocks, program.inputs), sys.stdout)
    else:
        from ..render.lines import sweep_csv

        write_lines(sweep_csv(blocks, name), sys.stdout)
    sys.stdout.flush()  # the data first, then what its points met
    render_diagnostics(program, diagnostics, plain(stderr=True))


def _show(args, sweep, fmt: str, image: str | None) -> None:
    from ..render.console import plain
    from ..render.points import render_diagnostics, render_sweep

    render_diagnostics(sweep.program, sweep.diagnostics, plain(stderr=True))
    if image:
        from ..render.plot_image import sweep_image

        sweep_image(sweep, image)
        print(f"wrote {printable(image)}", file=sys.stderr)
    if fmt != "table":
        from ..render.json_doc import sweep_lines
        from ..render.lines import sweep_csv, write_lines

        write_lines(sweep_lines([sweep], sweep.program.inputs) if fmt == "json"
                    else sweep_csv([sweep], sweep.output_name), sys.stdout)
        return
    console = plain()
    if args.plot == "":
        from ..render.plot_text import plot_sweep

        plot_sweep(sweep, console, min(args.precision, 4))
    elif not image:
        render_sweep(sweep, console, args.precision, args.max_rows)
