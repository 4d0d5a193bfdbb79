import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BACKPROP = Path(sys.executable).parent / "backprop"

# What a user's terminal would hand the command, set while it runs: 80 columns, and none
# of the variables that turn colour or a terminal on (Rich reads them at each Console).
CLI_ENV = {"COLUMNS": "80", "LINES": "200"}
CLI_ENV_UNSET = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def run_cli(*args: str, stdin: str | None = None,
            encoding: str = "utf-8") -> subprocess.CompletedProcess:
    """The command's entry point, run in this process as the console script would run
    it: argv in; stdout, stderr (pipes of the given encoding, not terminals: no colour)
    and the exit code out; from the repo, at 80 columns. Starting the installed script
    for each of the suite's few hundred runs took most of its time; a handful of tests
    start it for real (test_cli.py: script, -m, broken pipe, encodings, another folder)."""
    from backprop_cli.cli.main import main

    out, err = io.BytesIO(), io.BytesIO()
    streams = {
        "stdin": io.TextIOWrapper(io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8"),
        "stdout": io.TextIOWrapper(out, encoding=encoding, write_through=True),
        "stderr": io.TextIOWrapper(err, encoding=encoding, write_through=True),
    }
    saved_env = {k: os.environ.get(k) for k in (*CLI_ENV, *CLI_ENV_UNSET)}
    saved_streams = {name: getattr(sys, name) for name in streams}
    cwd = os.getcwd()
    try:
        os.environ.update(CLI_ENV)
        for k in CLI_ENV_UNSET:
            os.environ.pop(k, None)
        for name, stream in streams.items():
            setattr(sys, name, stream)
        os.chdir(REPO)
        with warnings.catch_warnings():
            # as a fresh process filters them (no -W), each shown once, on its stderr
            warnings.resetwarnings()
            for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                             ResourceWarning):
                warnings.simplefilter("ignore", category)
            warnings.showwarning = _warning_to(streams["stderr"])
            try:
                code = main(list(args))
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
        streams["stdout"].flush()
        streams["stderr"].flush()
    finally:
        os.chdir(cwd)
        for name, stream in saved_streams.items():
            setattr(sys, name, stream)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return subprocess.CompletedProcess(["backprop", *args], code,
                                       out.getvalue().decode(encoding),
                                       err.getvalue().decode(encoding))


def _warning_to(stream):
    def show(message, category, filename, lineno, file=None, line=None):
        stream.write(warnings.formatwarning(message, category, filename, lineno, line))
    return show


def run_script(*args: str, stdin: str | None = None, cwd: Path = REPO,
               env: dict | None = None, command=None) -> subprocess.CompletedProcess:
    """The installed console script, started for real (the few tests of what only a
    process shows: the script on PATH, encodings, a broken pipe, another folder)."""
    full_env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_UNSET}
    full_env.update(CLI_ENV)
    full_env.update(env or {})
    return subprocess.run([*(command or [str(BACKPROP)]), *args], input=stdin,
                          capture_output=True, text=True, cwd=cwd, env=full_env, timeout=120)


def assert_same_document(got, want, ulps: int = 8, path: str = "$") -> None:
    """Two JSON documents are the same: every key, list length and string exactly, every
    float within a few ulp. A CPU with AVX-512 makes OpenBLAS take other kernels, so the
    last digits of a matrix product may differ from the machine that wrote a golden file."""
    import math

    if isinstance(want, float) or isinstance(got, float):
        assert isinstance(got, (int, float)) and isinstance(want, (int, float)), (path, got, want)
        assert not isinstance(got, bool) and not isinstance(want, bool), (path, got, want)
        tol = ulps * math.ulp(max(abs(got), abs(want)))
        assert got == want or abs(got - want) <= tol, f"{path}: {got!r} != {want!r}"
    elif isinstance(want, dict):
        assert isinstance(got, dict) and list(got) == list(want), (path, list(got), list(want))
        for k in want:
            assert_same_document(got[k], want[k], ulps, f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (path, got, want)
        for k, (g, w) in enumerate(zip(got, want)):
            assert_same_document(g, w, ulps, f"{path}[{k}]")
    else:
        assert type(got) is type(want) and got == want, f"{path}: {got!r} != {want!r}"


class NamesAConstant(Exception):
    """A formula whose constant keeps the text the user wrote, naming a statement that
    holds a constant: `u = 2; x*u` prints w1*u. Such a formula is not checked."""


def eval_text(text: str, env: dict) -> float:
    """The value of a formula in backprop's ascii syntax, read by backprop's grammar,
    its names (w1…, w1bar…, or the inputs) bound from env."""
    from backprop_cli import differentiate, lower

    inputs = lower(text).inputs
    if not inputs:
        return float(differentiate(text).value)
    if not set(inputs) <= set(env):
        raise NamesAConstant(text)
    return float(differentiate(text, at={n: repr(float(env[n])) for n in inputs}).value)


@pytest.fixture(scope="session")
def trace_schema():
    from backprop_cli.schema import trace_schema

    return trace_schema()


def _validator(name):
    """A validator of one document kind, with every schema of the package registered, so
    the $refs between them (to the error document, to trace's numbers) resolve."""
    import jsonschema
    from referencing import Registry, Resource

    from backprop_cli.schema import KINDS, load

    registry = Registry().with_resources(
        (load(kind)["$id"], Resource.from_contents(load(kind))) for kind in KINDS)
    validator = jsonschema.Draft202012Validator(load(name), registry=registry)

    def check(doc):
        validator.validate(doc)
        return doc

    return check


@pytest.fixture(scope="session")
def validate():
    return _validator("trace")


@pytest.fixture(scope="session")
def report_validate():
    return _validator("report")


@pytest.fixture(scope="session")
def error_validate():
    return _validator("error")


@pytest.fixture(scope="session")
def sweep_validate():
    return _validator("sweep")


@pytest.fixture(scope="session")
def descent_validate():
    return _validator("descent")
