import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BACKPROP = Path(sys.executable).parent / "backprop"


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it: piped, 80 columns, from the repo."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env["COLUMNS"] = "80"
    env["LINES"] = "200"
    return subprocess.run([str(BACKPROP), *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, env=env, timeout=120)


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
