"""Every JSON document backprop writes comes from render/json_doc.py, carries the one
schema version, and validates against the schema of its kind in backprop_cli/schema/:
real output of every command, its failures included."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import _validator, run_cli  # noqa: E402

from backprop_cli.render.json_doc import SCHEMA_VERSION  # noqa: E402
from backprop_cli.schema import KINDS, load  # noqa: E402

LECTURE = "x**2*cos(x*y)+1"


def test_every_schema_names_the_one_version():
    for kind in KINDS:
        schema = load(kind)
        assert schema["$id"].endswith(f"/{kind}/{SCHEMA_VERSION}"), kind
        found = []
        stack = [schema]
        while stack:  # every "schema": {"const": …} anywhere in it
            node = stack.pop()
            if isinstance(node, dict):
                if "schema" in node and isinstance(node["schema"], dict) \
                        and "const" in node["schema"]:
                    found.append(node["schema"]["const"])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        assert found and set(found) == {SCHEMA_VERSION}, (kind, found)


def _lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("kind, args", [
    ("trace", [LECTURE, "--at", "x=2,y=pi/2"]),
    ("trace", ["x @ A", "--at", "x=[1,2],A=[[1,0],[0,2]]", "--jacobian"]),
    ("trace", ["abs(x) + sqrt(y)", "--at", "x=0,y=0", "--mode", "both"]),
    ("sweep", [LECTURE, "--over", "x=-1:1:5", "--at", "y=1"]),
    ("descent", ["descend", "(x-3)**2", "--from", "x=0", "--steps", "3"]),
    ("report", [LECTURE, "--at", "x=2,y=pi/2", "--expect", "f = -3"]),
    ("grades", ["grade", "examples/class/template.toml", "examples/class/submissions/ada.toml",
                "--secret", "demo"]),
])
def test_documents_of_every_command_validate(kind, args):
    r = run_cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    docs = _lines(r.stdout)
    assert docs and all(d["schema"] == SCHEMA_VERSION for d in docs)
    check = _validator(kind)
    for d in docs:
        check(d)


@pytest.mark.parametrize("kind, args", [
    ("trace", ["log(x)", "--at", "x=-1"]),
    ("trace", ["x +", "--at", "x=1"]),
    ("trace", ["x + y", "--at", "x=[1,2,3],y=[1,2]"]),
    ("sweep", ["log(x)", "--over", "x=-1:1:two"]),
    ("descent", ["descend", "log(x)", "--from", "x=-1"]),
    ("report", ["x*y", "--at", "x=1,y=2", "--expect", "w9 = 1"]),
    ("grades", ["grade", "examples/class/roster.csv", "ada.toml", "--secret", "demo"]),
])
def test_failures_are_one_error_document(kind, args):
    """Under --json a failure is exactly one document on stdout, the error schema's, which
    the command's own schema admits too; and the exit code is 2."""
    r = run_cli(*args, "--json")
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    (doc,) = _lines(r.stdout)
    _validator("error")(doc)
    _validator(kind)(doc)
    assert doc["error"]["message"]


def test_a_domain_error_names_its_node_and_the_operand_values():
    doc = json.loads(run_cli("sum(x/y)", "--at", "x=[[1,2],[3,4]],y=[1,0]", "--json").stdout)
    assert doc["error"]["node"] == "w3"
    assert doc["error"]["message"] == \
        "w3 = w1/w2: division by zero, but w1[0, 1] = 2, w2[1] = 0"
