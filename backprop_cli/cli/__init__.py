"""The command line: subcommands that parse arguments, call the library, pick a renderer
and map errors to exit codes. Nothing here computes."""

import sys


def _interrupted(kind, value, tb, _hook=sys.excepthook):
    """Ctrl-C before main() is running (importing it, in the first 0.1 s): the same one
    line and exit 130 as later, never a traceback. Set here, the first module of the
    console script and of `python -m backprop_cli` that the package runs."""
    if issubclass(kind, KeyboardInterrupt):
        try:
            sys.stderr.write("interrupted\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        import os

        os._exit(130)
    _hook(kind, value, tb)


sys.excepthook = _interrupted

from .main import main, run  # noqa: E402  (after the hook: importing it may be interrupted)

__all__ = ["main", "run"]
