"""A small client of the Chrome DevTools Protocol over a pipe (--remote-debugging-pipe:
the browser reads commands on fd 3 and writes replies on fd 4, each JSON ending in a NUL),
so the tests drive headless Chromium with the standard library alone.

    with Browser.start() as b:           # None-safe: Browser.find() says why there is none
        b.open("file:///tmp/f.html")
        b.key("ArrowRight")
        b.eval("document.title")
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time

CANDIDATES = ("chromium", "chromium-browser", "chromium-headless-shell", "google-chrome")


def find() -> tuple[str | None, str]:
    """The browser's path, or None and why not."""
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path, ""
    return None, ("no Chromium here (Debian's package: apt-get install chromium; "
                  ".ci/run installs it)")


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, proc, to_browser, from_browser, profile):
        self.proc, self._out, self._in, self._profile = proc, to_browser, from_browser, profile
        self._id, self._buffer, self.session = 0, b"", None
        self.events: list[dict] = []

    @classmethod
    def start(cls, width: int = 1400, height: int = 900) -> "Browser":
        path, why = find()
        if path is None:
            raise BrowserError(why)
        profile = tempfile.mkdtemp(prefix="backprop-chromium-")
        commands_r, commands_w = os.pipe()  # we write, the browser reads (its fd 3)
        replies_r, replies_w = os.pipe()  # the browser writes (its fd 4), we read

        def fds():  # in the child: the pipe ends where Chromium looks for them
            import fcntl

            # by way of fds above 10, so that neither end overwrites the other on the way
            ends = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_r, replies_w)]
            os.dup2(ends[0], 3)
            os.dup2(ends[1], 4)

        proc = subprocess.Popen(
            [path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--mute-audio",
             "--remote-debugging-pipe", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds,  # kept: the closing runs after fds()
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_r)
        os.close(replies_w)
        b = cls(proc, os.fdopen(commands_w, "wb", buffering=0), os.fdopen(replies_r, "rb", 0),
                profile)
        try:
            targets = b.send("Target.getTargets")["targetInfos"]
            page = next(t for t in targets if t["type"] == "page")
            b.session = b.send("Target.attachToTarget", targetId=page["targetId"],
                               flatten=True)["sessionId"]
            b.send("Page.enable")
            b.send("Runtime.enable")
        except BaseException:
            b.close()
            raise
        return b

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        try:
            self._out.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._in.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    # --- the protocol -------------------------------------------------------------------
    def send(self, method: str, timeout: float = 20, **params) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        self._out.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise BrowserError("the browser did not answer in time")
            chunk = os.read(self._in.fileno(), 1 << 16)
            if not chunk:
                raise BrowserError("the browser closed the pipe")
            self._buffer += chunk
        msg, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(msg)

    # --- what the tests do --------------------------------------------------------------
    def open(self, url: str, timeout: float = 20) -> None:
        self.events.clear()
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline))

    def eval(self, expression: str, timeout: float = 20):
        result = self.send("Runtime.evaluate", timeout=timeout, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30):
        """Poll until the expression is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"waited {timeout} s for {expression}")
            time.sleep(0.05)

    def key(self, key: str) -> None:
        """A real key press, as the keyboard sends it."""
        codes = {"ArrowRight": 39, "ArrowLeft": 37, "ArrowUp": 38, "ArrowDown": 40,
                 "Home": 36, "End": 35}
        for kind in ("rawKeyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=codes.get(key, 0))

    def screenshot(self, path: str) -> None:
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def console_errors(self) -> list:
        return [e for e in self.events
                if e.get("method") == "Runtime.exceptionThrown"
                or (e.get("method") == "Runtime.consoleAPICalled"
                    and e["params"].get("type") == "error")]
