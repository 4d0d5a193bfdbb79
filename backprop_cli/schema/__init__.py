"""The JSON Schemas of the JSON outputs, shipped with the package: trace.schema.json
(--json), report.schema.json (grading answers), sweep.schema.json (--over … --json) and
descent.schema.json (descend --json). The last two refer to the first for numbers and
errors, by its $id."""

from importlib import resources
import json


def load(name: str) -> dict:
    return json.loads(resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8"))


def trace_schema() -> dict:
    return load("trace")


def report_schema() -> dict:
    return load("report")
