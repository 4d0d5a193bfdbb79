"""`backprop`: which command runs, and its outcome as an exit code, in one place.

    backprop EXPR --at …              the passes at one point (cli/show.py), the default
    backprop check EXPR --at … --expect …,  backprop check --answers FILE   (cli/check.py)
    backprop sweep EXPR --over x=-3:3:121 …                                   (cli/sweep.py)
    backprop descend EXPR --from x=0 …                                        (cli/descend.py)
    backprop variants TEMPLATE --roster R --secret S --out DIR               (cli/variants.py)
    backprop grade TEMPLATE SUBMISSION… --secret S                            (cli/grade.py)

A subcommand is one only as the very first argument; anywhere else check, sweep, descend,
variants and grade are names like any other. The spellings from before the subcommands
still work: `backprop EXPR --over …` is a sweep, `backprop EXPR --expect …` and `backprop
--answers FILE` a check.

Exit codes: 0 success; 1 a check found a wrong answer, or a descent diverged; 2 bad input
or usage; 3 an internal error, a bug (one line saying so, never a traceback unless --debug:
a grading script must not take a crash for a wrong answer); 130 interrupted. They hold when
the reader leaves early (`backprop … | head -1`).

Each command module has build_parser(), run(args) → (exit code, show), where show() prints
the outcome: the code is known before a line is written, so a broken pipe cannot change it;
and LACKS, the options of other commands it does not take, with the reason.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import warnings
from typing import NamedTuple

from ..errors import BackpropError, printable

DEFAULT = "show"
SUBCOMMANDS = ("check", "sweep", "descend", "variants", "grade")
# The spellings from before the subcommands: an option that only one command has names it.
ROUTES = (("sweep", ("--over",)), ("check", ("--expect", "--answers")))
INTERNAL, INTERRUPTED = 3, 130
OUTPUT = 2  # the output cannot be written (a full disk): not a bug, and no verdict


class InternalError(BackpropError):
    """A bug in backprop, not in the input."""

    kind = "internal_error"
    exit_code = INTERNAL


class Request(NamedTuple):
    command: str  # a module of cli/
    argv: list[str]  # its arguments
    json: bool  # errors as JSON on stdout
    debug: bool


def command(name: str):
    return importlib.import_module(f".{name}", __package__)


def route(argv: list[str]) -> Request:
    """Which command the arguments are for, and how errors are to be shown."""
    if argv and argv[0] in SUBCOMMANDS:
        name, rest = argv[0], argv[1:]
    else:
        name, rest = DEFAULT, argv
        given = _options(argv)
        for subcommand, options in ROUTES:
            if given & set(options):
                name = subcommand
                break
    given = _options(rest)
    as_json = "--json" in given or "--format=json" in rest or any(
        a == "--format" and b == "json" for a, b in zip(rest, rest[1:]))
    return Request(name, rest, as_json, "--debug" in given)


def _options(argv: list[str]) -> set[str]:
    """The long options given (the words after `--` are not options)."""
    words = argv[:argv.index("--")] if "--" in argv else argv
    return {w.split("=", 1)[0] for w in words if w.startswith("--")}


def parse(name: str, argv: list[str]):
    module = command(name)
    parser = module.build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        raise _unknown(name, parser, extra)
    return args


def _unknown(name: str, parser, extra: list[str]) -> BackpropError:
    """An option this command does not take: why, when another command takes it."""
    from ..errors import UsageError

    lacks = getattr(command(name), "LACKS", {})
    for word in extra:
        option = word.split("=", 1)[0]
        if option in lacks:
            message, hint = lacks[option]
            return UsageError(message, hint=hint)
    others = [command(other).build_parser() for other in (DEFAULT, *SUBCOMMANDS)
              if other != name]
    for word in extra:
        option = word.split("=", 1)[0]
        owners = [other.prog for other in others if option in _option_strings(other)]
        if owners:
            return UsageError(f"{parser.prog} has no option {option}",
                              hint=f"{option} is for {' and '.join(owners)}; "
                                   f"see {parser.prog} --help")
    return UsageError(f"unrecognized arguments: {' '.join(extra)}",
                      hint=f"see {parser.prog} --help")


def _option_strings(parser) -> set[str]:
    return {o for action in parser._actions for o in action.option_strings}


def main(argv: list[str] | None = None) -> int:
    """Run the command of argv; the exit code. Output goes to sys.stdout and sys.stderr."""
    from ..render.ascii import ascii_streams

    argv = list(sys.argv[1:] if argv is None else argv)
    quiet_blas(argv)
    request = route(argv)
    code = 0
    _open_closed_streams()
    # A command is one short run over acyclic data (the program, the trace, the rows):
    # the cyclic collector can free none of it, and with a 10^6-node trace alive it walked
    # every object again each time the renderer's own objects (1.3 million edges) filled
    # a generation: 5 of the 10 s of a 10^6-node run. Reference counting still frees.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with ascii_streams(json_out=request.json), warnings.catch_warnings():
            # numpy's warnings (overflow, invalid value) are the diagnostics' business
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                try:
                    code, show = command(request.command).run(
                        parse(request.command, request.argv))
                    show()
                except BackpropError as error:
                    code = error.exit_code
                    report_error(error, request.json)
            except BrokenPipeError:
                raise
            except OSError as e:  # writing the output: a full disk, an I/O error
                code = OUTPUT
                _say(f"backprop: cannot write the output: {e.strerror or e}")
            except Exception as bug:  # a bug, also in showing an error; Ctrl-C is below
                code = INTERNAL
                report_bug(bug, argv, request)
            try:
                sys.stdout.flush()
            except BrokenPipeError:
                raise
            except OSError as e:
                code = OUTPUT
                _say(f"backprop: cannot write the output: {e.strerror or e}")
    except SystemExit as done:  # --help and --version print, then exit 0
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 2
    except BrokenPipeError:  # `backprop … | head -1`: the reader left; the outcome stands
        _silence()
    except KeyboardInterrupt:
        code = interrupted()
    finally:
        if collecting:
            gc.enable()
    return code


def _open_closed_streams() -> None:
    """A stream closed at start-up (`backprop … >&-`) is None in Python: write to
    /dev/null instead, as after a reader left; the outcome's code stands."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))


def _say(line: str) -> None:
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def interrupted() -> int:
    """Ctrl-C: one line, exit 130, at any moment (cli/__init__.py covers the start-up)."""
    _say("interrupted")
    return INTERRUPTED


# Words of a run that may multiply matrices, where OpenBLAS's threads pay; a run that
# reads its expression from a file or stdin may too, and we cannot know before reading it.
MATRIX_PRODUCTS = ("@", "dot")
READS_SOURCE = ("-", "-f", "--file", "--answers")


def quiet_blas(argv: list[str]) -> None:
    """A run without matrix products asks numpy's OpenBLAS for one thread, before numpy is
    imported: starting its pool of threads costs a scalar run about a quarter of numpy's
    import in CPU, and no elementwise op uses them. A user's own setting wins, and so
    does a numpy imported already (in-process callers)."""
    if "numpy" in sys.modules:
        return
    for arg in argv:
        if any(word in arg for word in MATRIX_PRODUCTS) or arg.split("=", 1)[0] in \
                READS_SOURCE or (arg.startswith("-f") and not arg.startswith("--")):
            return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def report_error(error: BackpropError, as_json: bool) -> None:
    """The error on stderr, with its caret; under --json, as JSON on stdout."""
    if as_json:
        from ..render.json_doc import render_error

        print(render_error(error))
    else:
        from ..render.console import plain
        from ..render.terminal import render_error

        render_error(error, plain(stderr=True))


def report_bug(bug: Exception, argv: list[str], request: Request) -> None:
    """One line: an internal error, not the user's, and what to report. Under --json the
    same as a JSON error document; with --debug the traceback first."""
    import shlex
    import traceback

    if request.debug:
        traceback.print_exception(bug, file=sys.stderr)
    what = printable(f"{type(bug).__name__}: {bug}" if str(bug) else type(bug).__name__)
    run = printable(shlex.join(["backprop", *argv]))
    if len(run) > 300:
        run = run[:300] + "…"
    from .. import __version__

    message = (f"internal error of backprop {__version__} ({what}): a bug in backprop, "
               "not in your input")
    hint = (f"please report it with the command that caused it: {run}"
            + ("" if request.debug else " (--debug shows the traceback)"))
    if request.json:
        try:
            report_error(InternalError(message, hint=hint), as_json=True)
            return
        except BrokenPipeError:
            raise
        except Exception:  # the JSON writer is what broke: say it in the plain line
            pass
    sys.stderr.write(f"backprop: {message}; {hint}\n")


def _silence() -> None:
    """Point stdout and stderr at /dev/null: Python flushes them at exit, and a write to
    the closed pipe would print 'Exception ignored … BrokenPipeError' and exit 120."""
    for stream in (sys.stdout, sys.stderr):
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass  # not a file (a caller's own stream): nothing will flush to the pipe


def run() -> None:
    """The console script."""
    try:
        code = main()
    except KeyboardInterrupt:  # between main's own handlers
        code = interrupted()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
