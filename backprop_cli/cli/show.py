"""`backprop EXPR --at …`, the default command: the forward and backward pass at one
point, as tables or another format."""

from __future__ import annotations

import importlib

from .options import (Parser, answer_key_option, chosen_format, common_options,
                      input_options, output_options, read_source)
from ..errors import UsageError

EPILOG = """\
examples:
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2 --json | jq .gradient
  backprop "-x**2" --at x=3
  backprop "c = a + b; d = c + a" --at a=1,b=2
  backprop -f examples/lecture_f.bp --at x=-1,y=pi/3
  backprop -f examples/lecture_f.bp --at x=-1,y=pi/3 --format latex > f.tex
  backprop "x*y*exp(x*y)" --at x=1,y=2 --format dot | dot -Tpng -o g.png
  backprop "x*y*exp(x*y)" --at x=1,y=2 --blank --format markdown
  backprop -f examples/lecture_f.bp --at x=-1,y=pi/3 --format html > f.html
  backprop "x*y*exp(x*y)" --at x=1,y=2 --step
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2 --mode both --expand
  backprop "x @ x" --at "x=[0,1,2,3]"
  backprop "x[:2]" --at "x=arange(4)" --seed "v=[1,0.5]"
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2 --hessian
  backprop "x**2*cos(x*y)+1" --at x=2,y=pi/2 --hvp x=1,y=0 --json | jq .hvp

the other commands (each has its --help):
  backprop check EXPR --at … --expect 'dg/dy = x*exp(x*y)'   grade answers
  backprop check --answers homework.toml             grade an answers file
  backprop sweep EXPR --over x=-3:3:121 --plot       many points, plots
  backprop descend EXPR --from x=0,y=0 --lr 0.1      gradient descent
  backprop variants TEMPLATE --roster R --secret S --out D   a class's sheets
  backprop grade TEMPLATE SUBMISSION… --secret S     grade a class
A command is one only as the first argument: backprop "(check)" --at check=1
differentiates a variable named check. The spellings from before the commands
still work: backprop EXPR --expect …, backprop --answers FILE, backprop EXPR
--over ….

exit codes: 0 success; 1 a check found a wrong answer or a descent diverged;
2 bad input or usage (parse error, unknown function, missing value, domain
error, shape error, unknown target); 3 an internal error of backprop (a bug:
please report it; --debug shows the traceback). Errors under --json are JSON
on stdout too.
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
    "html": "html",
}

LACKS = {
    "--plot": ("--plot needs points: sweep an input with --over",
               "backprop sweep EXPR --over x=-3:3:121 --plot"),
    "--rtol": ("--rtol and --atol are for grading: with --expect or --answers",
               "backprop check EXPR --at … --expect 'f = …' --rtol 0.01"),
}
LACKS["--atol"] = LACKS["--rtol"]


def _refuse_format(name: str) -> UsageError:
    return UsageError(f"--format {name} needs points: sweep an input with --over",
                      hint="backprop sweep EXPR --over x=-3:3:121 --format csv")


def build_parser() -> Parser:
    p = Parser(prog="backprop", usage="backprop EXPR [--at x=2,y=pi/2] [options]\n"
                                      "       backprop {check,sweep,descend} …",
               description="Show the forward and backward pass of an expression: the SSA\n"
                           "list w1…wn, values, local partials, adjoints and the gradient.",
               epilog=EPILOG)
    input_options(p, share_help="do not merge identical sub-expressions: show the "
                                "expression tree")
    passes = p.add_argument_group("the passes")
    passes.add_argument("--seed", metavar="v=[1,0.5]",
                        help="the adjoint of a vector or matrix output to start the backward "
                             "pass from, as y.backward(v)")
    passes.add_argument("--jacobian", action="store_true",
                        help="the whole Jacobian: one reverse pass per output entry or one "
                             "forward pass per input entry, whichever needs fewer")
    passes.add_argument("--mode", choices=("reverse", "forward", "both"), default="reverse",
                        help="reverse accumulation (backprop, the default), forward (dual "
                             "numbers: one pass per input), or both side by side")
    passes.add_argument("--hessian", action="store_true",
                        help="second derivatives by forward over reverse: one tangent pass "
                             "through the forward and the backward pass per input entry")
    passes.add_argument("--hvp", metavar="x=1,y=0",
                        help="the Hessian–vector product H·v in the direction v (one value "
                             "per input, arrays allowed): one forward-over-reverse pass")
    passes.add_argument("--expand", action="store_true",
                        help="also write each gradient entry (and with --hessian each "
                             "second derivative) in terms of the inputs")
    output = output_options(p, formats=tuple(FORMATS), refuse=_refuse_format,
                            json_help="print one JSON document (schema: backprop_cli/schema/"
                                      "trace.schema.json) instead of tables")
    output.add_argument("--graph", action="store_true",
                        help="add a tree of the graph to the tables (values, partials, "
                             "adjoints)")
    output.add_argument("--blank", action="store_true",
                        help="a worksheet: the SSA list and definitions, with values, "
                             "partials and adjoints left empty (table, markdown, latex, "
                             "dot, mermaid)")
    output.add_argument("--step", action="store_true",
                        help="in a terminal: step through the forward pass node by node, "
                             "then the backward pass one adjoint update at a time (space or "
                             "enter: next, b: back, q: quit)")
    answer_key_option(output)
    common_options(p)
    p.add_argument("--version", action="version", version=f"backprop {_version()}")
    return p


def _version() -> str:
    from .. import __version__

    return __version__


def renderer(args):
    """The module that prints the chosen format, after the checks of what it prints."""
    name = chosen_format(args)
    if args.graph and name != "table":
        raise UsageError(f"--graph adds a tree to the tables, not to --format {name}",
                         hint="for a picture of the graph: --format dot or --format mermaid")
    module = importlib.import_module(f"..render.{FORMATS[name]}", __package__)
    if (args.hessian or args.hvp) and not getattr(module, "HESSIAN", False):
        raise UsageError(f"--hessian and --hvp print second derivatives, which --format {name} "
                         "does not print", hint="use --format table, json, markdown or latex")
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


def stepper(args):
    """--step's checks: the tables' format, and a terminal to read keys from and draw on."""
    name = chosen_format(args)
    if name != "table":
        raise UsageError(f"--step steps through the tables in the terminal, not --format {name}",
                         hint="for a page to step through: --format html > f.html")
    from .keys import terminal

    if not terminal():
        raise UsageError("--step needs a terminal: standard input and output must both be "
                         "one, to read the keys and draw the steps",
                         hint="for a page to step through: --format html > f.html")


def run(args):
    from ..render import Options
    from ..tasks.differentiate import differentiate

    if args.step:
        stepper(args)
    module = renderer(args)
    trace = differentiate(read_source(args), args.at, share=args.share, mode=args.mode,
                          seed=args.seed, jacobian=args.jacobian, hessian=args.hessian,
                          hvp=args.hvp)
    if args.answers_out:
        from .check import write_key

        write_key(args.answers_out, trace, args.at)
    options = Options(args.precision, args.max_rows, args.blank, args.graph, args.mode,
                      args.expand)
    if args.step:
        return 0, lambda: _play(trace, options)
    return 0, lambda: module.emit(trace, options)


def _play(trace, options) -> None:
    from ..render.stepwise import play
    from .keys import pressed

    with pressed() as keys:
        play(trace, options, keys)
