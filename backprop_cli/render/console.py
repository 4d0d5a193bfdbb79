"""Rich's console for stdout, except when the reader leaves early (`backprop … | head`):
Rich's own handler exits 1, the code of a wrong answer; this one hands the broken pipe
to cli.run, which exits 0 as for JSON and CSV."""

from __future__ import annotations

import rich.console


class Console(rich.console.Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to write
        raise BrokenPipeError


def plain(stderr: bool = False) -> rich.console.Console:
    """The console every output uses: cells are plain text, so no markup, emoji or
    highlighting (parsing them as markup cost ~10 ms). stdout's hands a broken pipe on."""
    kind = rich.console.Console if stderr else Console
    return kind(stderr=stderr, highlight=False, markup=False, emoji=False)
