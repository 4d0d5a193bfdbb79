"""`backprop descend EXPR --from x=0,y=0 --lr 0.1`: gradient descent on an expression.

Exit codes: 0 when the run stopped by a rule (the step limit included: it did what was
asked), 1 when it diverged (the run failed, not the input), 2 for bad input or usage, 3 an
internal error of backprop."""

from __future__ import annotations

import sys

from .options import (Parser, common_options, input_options, output_options, plot_option,
                      read_source, whole)
from ..errors import MAX_STEPS, UsageError, printable

# tasks/descent.py's OPTIMIZERS, written out: `descend --help` imports no numpy (a test
# holds the two lists equal)
OPTIMIZERS = ("plain", "momentum", "adam", "newton")

EPILOG = """\
examples:
  backprop descend "(x-3)**2 + (y+1)**2" --from x=0,y=0 --lr 0.1
  backprop descend "(1-x)**2 + 100*(y-x**2)**2" --from x=-1,y=1 \\
      --optimizer adam --lr 0.05 --steps 5000 --plot
  backprop descend "x**4 - 3*x" --from x=2 --lr 0.01 --json | jq .loss
  backprop descend "(1-x)**2 + 100*(y-x**2)**2" --from x=-1.2,y=1 \\
      --optimizer newton

updates (the gradient g from the reverse pass, τ the rate --lr):
  plain     θ ← θ − τ·g
  momentum  v ← μ·v + g;  θ ← θ − τ·v                  (as torch.optim.SGD)
  adam      bias-corrected moments, ε = 1e-8            (as torch.optim.Adam)
  newton    θ ← θ − t·H⁻¹g, H the Hessian by forward over reverse, t = 1,
            ½, … by a backtracking line search; where H is not positive
            definite, a gradient step −t·g instead (the table says so); no --lr

exit codes: 0 stopped by a rule (also the step limit), 1 diverged (nan, inf,
out of the domain, or the loss grew a millionfold: try a smaller --lr),
2 bad input or usage, 3 an internal error of backprop.
"""

LACKS = {
    "--at": ("descend starts from --from, not --at", "backprop descend EXPR --from x=0,y=0"),
    "--over": ("--over sweeps points; descend walks from --from", "backprop sweep EXPR --over …"),
}


def build_parser() -> Parser:
    p = Parser(prog="backprop descend",
               usage="backprop descend EXPR --from x=0,y=0 [--lr τ] [options]",
               description="Gradient descent on an expression, with the gradient from the\n"
                           "reverse pass: θ(k+1) = θ(k) − τ·∇E(θ(k)).",
               epilog=EPILOG)
    group = input_options(p, what="the loss, an expression", at=False)
    group.add_argument("--from", dest="start", action="append", metavar="x=0,y=0",
                       help="the starting point (constant expressions); may be repeated")
    p.add_argument("--lr", default=None, metavar="τ",
                   help="the learning rate, a constant expression (default 0.1; newton "
                        "takes its steps by a line search instead)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="plain",
                   help="the update rule (default plain)")
    p.add_argument("--momentum", type=float, default=None, metavar="μ",
                   help="momentum's μ (default 0.9)")
    p.add_argument("--betas", default=None, metavar="β1,β2",
                   help="Adam's β1 and β2 (default 0.9,0.999)")
    p.add_argument("--steps", type=whole("--steps", 0, MAX_STEPS), default=1000, metavar="N",
                   help="stop after N steps (default 1000)")
    p.add_argument("--grad-tol", type=float, default=1e-8, metavar="G",
                   help="stop when the gradient norm is at most G (default 1e-8)")
    p.add_argument("--loss-tol", type=float, default=None, metavar="L",
                   help="stop when the loss changes by at most L in a step (default off)")
    output = output_options(p, rows=False,
                            json_help="the path as JSON Lines, a line per step, then the "
                                      "result (schema: backprop_cli/schema/"
                                      "descent.schema.json)")
    # 0 would mean nothing, not the default
    output.add_argument("--every", type=whole("--every", 1, note=": a row every K steps",
                                              hint="leave it out for about 20 rows"),
                        default=None, metavar="K",
                        help="a table row every K steps (default: about 20 rows)")
    plot_option(p, "the loss curve and, for two inputs, the path over the loss")
    common_options(p)
    return p


def _constant(text: str, option: str) -> float:
    from ..language.lower import constant_value

    if not text.strip():  # as --at "" says
        raise UsageError("nothing given", source=text, span=(0, 1), origin=option)
    return constant_value(text, option)


def _betas(args) -> tuple[float, float]:
    try:
        betas = tuple(float(b) for b in (args.betas or "0.9,0.999").split(","))
    except ValueError:
        betas = ()
    if len(betas) != 2:
        raise UsageError(f"--betas takes two numbers, β1,β2, not {args.betas!r}")
    return betas


def run(args):
    from ..language.lower import lower
    from ..tasks.descent import Descent, Kept
    from ..tasks.differentiate import parse_point

    image = args.plot or None
    if image:
        from ..render.plot_image import check_path

        check_path(image)
    betas = _betas(args)
    # given for another optimizer, they were ignored without a word
    if args.momentum is not None and args.optimizer != "momentum":
        raise UsageError("--momentum is for --optimizer momentum")
    if args.betas is not None and args.optimizer != "adam":
        raise UsageError("--betas is for --optimizer adam")
    if args.lr is not None and args.optimizer == "newton":
        raise UsageError("--lr is for the first-order optimizers: newton's steps are "
                         "chosen by a line search from the full Newton step")
    args.lr = "0.1" if args.lr is None else args.lr
    program = lower(read_source(args), share=args.share)
    descent = Descent(program, parse_point(args.start, "--from"), _constant(args.lr, "--lr"),
                      args.optimizer, 0.9 if args.momentum is None else args.momentum, betas)

    from ..render.console import progress

    walk = progress(descent.steps(args.steps, args.grad_tol, args.loss_tol), args.steps,
                    "descending")
    kept = Kept(args.every)  # bounded memory, however many steps
    if args.json:
        # a line per step as it is taken: a reader of a long run sees it go. A reader that
        # leaves early (| head -1) still gets the run's exit code: the run goes on unwritten
        # and showing the result meets the closed pipe again.
        from ..render.json_doc import step_json

        writing = True
        for step in walk:
            kept.add(step)
            if writing:
                try:
                    sys.stdout.write(step_json(step) + "\n")
                except BrokenPipeError:
                    writing = False
    else:
        for step in walk:
            kept.add(step)
    steps = kept.steps
    surface = None
    if args.plot is not None and len(program.inputs) == 2:
        from ..tasks.surface import loss_surface

        surface = loss_surface(program, steps)
    return (1 if descent.stop.failed else 0), lambda: _show(args, program, descent.stop,
                                                            kept, surface, image)


def _show(args, program, stop, kept, surface, image) -> None:
    steps = kept.steps
    if image:
        from ..render.plot_image import descent_image

        descent_image(steps, image, surface)
        print(f"wrote {printable(image)}", file=sys.stderr)
    if args.json:
        from ..render.json_doc import stop_json

        print(stop_json(stop, kept.last))
        return
    from ..render.console import plain
    from ..render.points import render_descent

    out = plain()
    every = kept.rows_every()
    rate = "damped, line search" if args.optimizer == "newton" else f"τ = {args.lr}"
    header = f"{' '.join(program.source.split())}   ({args.optimizer}, {rate})"
    render_descent(steps, stop, out, every, args.precision, header)
    if args.plot == "":
        from ..render.plot_text import plot_descent

        plot_descent(steps, out, surface, min(args.precision, 4))
