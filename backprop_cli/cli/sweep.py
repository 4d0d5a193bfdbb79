"""`backprop EXPR --over x=-3:3:121 …`: a sweep's table, CSV, JSON Lines or plot. Called
by cli.main, whose parser read the options; like it, nothing here computes anything."""

from __future__ import annotations

import sys


def run_sweep(args, source: str) -> int:
    from ..tasks.differentiate import parse_point
    from ..language.lower import lower
    from ..tasks.sweep import parse_range, sweep_program

    image = args.plot or None  # --plot FILE; --plot alone is ""
    if image:
        from ..render.plot_image import check_path

        check_path(image)  # before the work: a bad name or no matplotlib is exit 2 now
    from .main import SWEEP_FORMATS

    if args.json and args.format not in (None, "json"):
        raise _usage(f"--json and --format {args.format} ask for two formats; give one")
    fmt = "json" if args.json else args.format or "table"
    if fmt not in SWEEP_FORMATS:
        raise _usage(f"--format {fmt} shows one point; a sweep prints "
                     + ", ".join(SWEEP_FORMATS))
    if args.graph or args.blank:
        raise _usage(f"{'--graph' if args.graph else '--blank'} shows one point, not a sweep")
    if args.mode != "reverse" or args.expand:
        raise _usage("--mode and --expand show one point; a sweep runs the reverse pass")
    if args.seed is not None or args.jacobian:  # theirs are vector outputs: one point
        raise _usage("--seed and --jacobian are for vectors and matrices at one point; "
                     "a sweep takes programs of scalars")
    ranges = [parse_range(text) for text in args.over]
    if args.plot is not None and len(ranges) > 2:
        raise _usage("--plot draws one or two swept inputs, not more")
    program = lower(source, share=args.share)
    sweep = sweep_program(program, ranges, parse_point(args.at))

    from ..render.console import plain
    from ..render.points import render_diagnostics, render_sweep

    render_diagnostics(program, sweep.diagnostics, plain(stderr=True))
    if image:
        from ..render.plot_image import sweep_image

        sweep_image(sweep, image)
        print(f"wrote {image}", file=sys.stderr)
    if fmt != "table":
        from ..render.json_doc import sweep_lines
        from ..render.lines import sweep_csv, write_lines

        write_lines(sweep_lines(sweep) if fmt == "json" else sweep_csv(sweep), sys.stdout)
        return 0
    console = plain()
    if args.plot == "":
        from ..render.plot_text import plot_sweep

        plot_sweep(sweep, console, min(args.precision, 4))
    elif not image:
        render_sweep(sweep, console, args.precision, args.max_rows)
    return 0


def _usage(message: str):
    from ..errors import UsageError

    return UsageError(message)
