"""The JSON Schemas of every JSON document backprop writes, shipped with the package, one
per kind: trace (--json), sweep (JSON Lines of --over … --json), descent (JSON Lines of
descend --json), report (grading with --json), grades (backprop grade --json) and error
(what any of them prints instead when it fails; the others refer to it, and to trace's
numbers, by $id)."""

from importlib import resources
import json

KINDS = ("trace", "sweep", "descent", "report", "grades", "error")


def load(name: str) -> dict:
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8"))


def trace_schema() -> dict:
    return load("trace")


def report_schema() -> dict:
    return load("report")
