"""Rich's console for stdout, except when the reader leaves early (`backprop … | head`):
Rich's own handler exits 1, the code of a wrong answer; this one hands the broken pipe
to cli.run, which exits 0 as for JSON and CSV."""

from __future__ import annotations

import rich.console


class Console(rich.console.Console):
    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to write
        raise BrokenPipeError
