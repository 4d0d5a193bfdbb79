"""Key presses from the terminal for --step, one at a time: the terminal in cbreak mode (no
echo, no waiting for a new line; Ctrl-C still interrupts), put back as it was after."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

# what each key asks of the stepper; the arrows arrive as escape sequences
KEYS = {" ": "next", "\r": "next", "\n": "next", "\x1b[C": "next", "\x1b[B": "next",
        "b": "back", "\x7f": "back", "\x1b[D": "back", "\x1b[A": "back",
        "q": "quit", "Q": "quit", "\x04": "quit"}


def terminal() -> bool:
    """Whether both ends are a terminal: keys to read, a screen to draw on."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


@contextmanager
def pressed():
    """The keys as words ("next", "back", "quit"), until the end of the input."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)

    def words():
        while True:
            got = os.read(fd, 64).decode("utf-8", errors="ignore")
            if not got:
                return  # the terminal closed
            while got:  # keys typed faster than they are drawn arrive together
                n = 3 if got.startswith("\x1b") else 1
                word, got = KEYS.get(got[:n]), got[n:]
                if word:
                    yield word

    try:
        tty.setcbreak(fd)
        yield words()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
