"""The command line: subcommands that parse arguments, call the library, pick a renderer
and map errors to exit codes. Nothing here computes."""

from .main import main, run

__all__ = ["main", "run"]
