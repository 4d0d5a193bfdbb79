"""`backprop descend EXPR --from x=0,y=0 --lr 0.1`: gradient descent on an expression.

cli.main hands over when the first argument is `descend`. Exit codes: 0 when the run
stopped by a rule (the step limit included: it did what was asked), 1 when it diverged
(the run failed, not the input), 2 for bad input or usage."""

from __future__ import annotations

import argparse
import sys

from .main import _Parser, _read_source, report_error
from ..tasks.descent import OPTIMIZERS
from ..errors import BackpropError, UsageError

EPILOG = """\
examples:
  backprop descend "(x-3)**2 + (y+1)**2" --from x=0,y=0 --lr 0.1
  backprop descend "(1-x)**2 + 100*(y-x**2)**2" --from x=-1,y=1 \\
      --optimizer adam --lr 0.05 --steps 5000 --plot
  backprop descend "x**4 - 3*x" --from x=2 --lr 0.01 --json | jq .loss

updates (the gradient g from the reverse pass, τ the rate --lr):
  plain     θ ← θ − τ·g
  momentum  v ← μ·v + g;  θ ← θ − τ·v                  (as torch.optim.SGD)
  adam      bias-corrected moments, ε = 1e-8            (as torch.optim.Adam)

exit codes: 0 stopped by a rule (also the step limit), 1 diverged (nan, inf,
out of the domain, or the loss grew a millionfold: try a smaller --lr),
2 bad input or usage.
"""


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="backprop descend", formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Gradient descent on an expression, with the gradient from the\n"
                            "reverse pass: θ(k+1) = θ(k) − τ·∇E(θ(k)).",
                epilog=EPILOG)
    p.add_argument("expression", nargs="?",
                   help="the loss, an expression or statements; - reads standard input")
    p.add_argument("-f", "--file", help="read the expression from a file")
    p.add_argument("--from", dest="start", action="append", metavar="x=0,y=0",
                   help="the starting point (constant expressions); may be repeated")
    p.add_argument("--lr", default="0.1", metavar="τ",
                   help="the learning rate, a constant expression (default 0.1)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="plain",
                   help="the update rule (default plain)")
    p.add_argument("--momentum", type=float, default=None, metavar="μ",
                   help="momentum's μ (default 0.9)")
    p.add_argument("--betas", default=None, metavar="β1,β2",
                   help="Adam's β1 and β2 (default 0.9,0.999)")
    p.add_argument("--steps", type=int, default=1000, metavar="N",
                   help="stop after N steps (default 1000)")
    p.add_argument("--grad-tol", type=float, default=1e-8, metavar="G",
                   help="stop when the gradient norm is at most G (default 1e-8)")
    p.add_argument("--loss-tol", type=float, default=None, metavar="L",
                   help="stop when the loss changes by at most L in a step (default off)")
    p.add_argument("--every", type=int, default=None, metavar="K",
                   help="a table row every K steps (default: about 20 rows)")
    p.add_argument("--json", action="store_true",
                   help="the path as JSON Lines, a line per step, then the result "
                        "(schema: backprop_cli/schema/descent.schema.json)")
    p.add_argument("--plot", nargs="?", const="", metavar="FILE",
                   help="the loss curve and, for two inputs, the path over the loss: "
                        "in the terminal, or in FILE (.png, .svg, .pdf)")
    p.add_argument("--precision", type=int, default=6, metavar="N",
                   help="significant digits in tables (default 6)")
    p.add_argument("--no-share", dest="share", action="store_false", help=argparse.SUPPRESS)
    return p


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        return _run(args)
    except BackpropError as error:
        return report_error(error, as_json)


def _constant(text: str, option: str) -> float:
    from ..language.lower import binding_values

    if not text.strip():  # as --at "" says
        raise UsageError("nothing given", source=text, span=(0, 1), origin=option)
    prefix = f"{option[2:]}="  # the grammar reads bindings; the user typed only text
    try:
        bindings = binding_values(prefix + text, origin=option)
    except BackpropError as error:
        if error.source == prefix + text and error.span is not None:
            error.source = text  # the caret into what was typed, never under the prefix
            error.span = tuple(max(0, k - len(prefix)) for k in error.span)
        raise
    if len(bindings) != 1:
        raise UsageError(f"{option} takes one constant expression, not {text!r}")
    return bindings[0][1]


def _run(args) -> int:
    from ..tasks.differentiate import parse_point
    from ..tasks.descent import Descent
    from ..language.lower import lower

    if args.steps < 0:
        raise UsageError("--steps takes a whole number ≥ 0")
    if args.every is not None and args.every < 1:  # 0 would mean nothing, not the default
        raise UsageError("--every takes a whole number ≥ 1: a row every K steps",
                         hint="leave it out for about 20 rows")
    if not 1 <= args.precision <= 17:
        raise UsageError("--precision takes 1 to 17 significant digits")
    image = args.plot or None
    if image:
        from ..render.plot_image import check_path

        check_path(image)
    try:
        betas = tuple(float(b) for b in (args.betas or "0.9,0.999").split(","))
    except ValueError:
        betas = ()
    if len(betas) != 2:
        raise UsageError(f"--betas takes two numbers, β1,β2, not {args.betas!r}")
    # given for another optimizer, they were ignored without a word
    if args.momentum is not None and args.optimizer != "momentum":
        raise UsageError("--momentum is for --optimizer momentum")
    if args.betas is not None and args.optimizer != "adam":
        raise UsageError("--betas is for --optimizer adam")
    program = lower(_read_source(args), share=args.share)
    run = Descent(program, parse_point(args.start, "--from"), _constant(args.lr, "--lr"),
                  args.optimizer, 0.9 if args.momentum is None else args.momentum, betas)

    from ..render.console import plain

    out = plain()
    steps = []
    walk = run.steps(args.steps, args.grad_tol, args.loss_tol)
    if args.json:
        from ..render.json_doc import step_json

        for step in _progress(walk, args.steps):
            steps.append(step)
            sys.stdout.write(step_json(step) + "\n")
    else:
        steps = list(_progress(walk, args.steps))
    stop = run.stop
    surface = _surface(program, steps) if args.plot is not None and len(program.inputs) == 2 \
        else None
    if image:
        from ..render.plot_image import descent_image

        descent_image(steps, image, surface)
        print(f"wrote {image}", file=sys.stderr)
    if args.json:
        from ..render.json_doc import stop_json

        print(stop_json(stop, steps[-1] if steps else None))
    else:
        from ..render.points import render_descent

        every = args.every or max(1, -(-len(steps) // 20))
        header = f"{' '.join(program.source.split())}   ({args.optimizer}, τ = {args.lr})"
        render_descent(steps, stop, out, every, args.precision, header)
        if args.plot == "":
            from ..render.plot_text import plot_descent

            plot_descent(steps, out, surface, min(args.precision, 4))
    return 1 if stop.failed else 0


def _progress(walk, total: int):
    """A progress bar on stderr while the steps run, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield from walk
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("descending", total=total)
        for step in walk:
            bar.update(task, completed=step.step)
            yield step


def _surface(program, steps, count: int = 81):
    """The loss over a box around the path, for the contour behind it: one sweep."""
    import numpy as np

    from ..tasks.sweep import Range, sweep_program

    xn, yn = program.inputs
    ranges = []
    for name in (xn, yn):
        v = np.array([s.point[name] for s in steps])
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (-1.0, 1.0)
        pad = 0.15 * (hi - lo) or 1.0
        ranges.append(Range(name, lo - pad, hi + pad, count))
    sweep = sweep_program(program, ranges, {})
    z = np.asarray(sweep.value).reshape(count, count)
    return (ranges[0].values(), ranges[1].values(), z), (xn, yn)
