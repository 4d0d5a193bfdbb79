"""--step in a terminal: the command runs under a pseudo-terminal (pty), keys are typed
into it, and the screen it draws is read back. Without a terminal it refuses, exit 2."""

import os
import re
import select
import signal
import struct
import sys
import time

import pytest

from conftest import BACKPROP, CLI_ENV_UNSET, REPO, run_cli

pty = pytest.importorskip("pty", reason="--step reads keys from a POSIX terminal")
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FRAME_END = re.compile(r"q: quit|q quits")  # a frame's last line
LECTURE = ["x**2*cos(x*y)+1", "--at", "x=-1,y=pi/3"]


class Terminal:
    """The command on the far side of a pseudo-terminal of 100×40."""

    def __init__(self, *args: str):
        import subprocess

        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_UNSET}
        env.update(TERM="xterm", COLUMNS="100", LINES="40")
        self.proc = subprocess.Popen([str(BACKPROP), *args], stdin=slave, stdout=slave,
                                     stderr=slave, cwd=REPO, env=env, start_new_session=True)
        os.close(slave)
        self.screen = ""

    def read(self, until: str | None = None, timeout: float = 20) -> str:
        """What it drew, until `until` appears (or it falls quiet with None)."""
        deadline = time.monotonic() + timeout
        got = b""
        while time.monotonic() < deadline:
            ready = select.select([self.master], [], [], 0.2 if until is None else 0.1)[0]
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # it exited: the terminal is closed
                    break
                if not chunk:
                    break
                got += chunk
                text = ANSI.sub("", got.decode("utf-8", "replace"))
                if until is not None and until in text and FRAME_END.search(
                        text.split(until, 1)[1]):
                    break  # the whole frame that shows it
            elif until is None:
                break
        text = ANSI.sub("", got.decode("utf-8", "replace"))
        self.screen = text.rsplit("backprop x", 1)[-1] if "backprop x" in text else text
        return text

    def type(self, keys: str, until: str) -> str:
        os.write(self.master, keys.encode())
        return self.read(until)

    def close(self) -> int:
        try:
            deadline = time.monotonic() + 10
            while self.proc.poll() is None and time.monotonic() < deadline:
                self.read(timeout=0.5)  # what it still writes must not fill the terminal
            return self.proc.poll()
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGKILL)
            os.close(self.master)


def test_each_key_press_makes_one_step_and_q_quits():
    t = Terminal(*LECTURE, "--step")
    try:
        t.read("Press space")
        assert "The SSA list" in t.screen and "w1²" in t.screen
        t.type(" ", "Step 1 of 15")
        assert "w1 = x = -1" in t.screen
        for k in range(2, 13):  # space and enter alike
            t.type(" " if k % 2 else "\r", f"Step {k} of 15")
        t.type(" ", "Step 13 of 15")
        assert "w̄1 += w̄4·∂w4/∂w1" in t.screen
        assert "= w̄4·w2 = 0.866025 × 1.0472 = 0.9069" in t.screen
        assert "w̄1 = 0.9069  (so far)" in t.screen
        t.type(" ", "Step 14 of 15")
        t.type(" ", "Step 15 of 15")
        assert "w̄1 = -0.0931003  (complete)" in t.screen and "Done" in t.screen
        t.type("b", "Step 14 of 15")  # and back
        os.write(t.master, b"q")
    finally:
        code = t.close()
    assert code == 0


@pytest.mark.parametrize("extra", [[], ["--blank"]])
def test_without_a_terminal_it_exits_2_and_says_why(extra):
    result = run_cli(*LECTURE, "--step", *extra)
    assert result.returncode == 2
    assert "--step needs a terminal" in result.stderr and result.stdout == ""


def test_step_is_for_the_tables():
    result = run_cli(*LECTURE, "--step", "--format", "html")
    assert result.returncode == 2 and "--step" in result.stderr


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="--step reads keys from a POSIX terminal")
