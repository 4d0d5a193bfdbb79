"""The JSON Schemas of --json output (trace.schema.json; report.schema.json when grading
answers), shipped with the package."""

from importlib import resources
import json


def trace_schema() -> dict:
    return json.loads(resources.files(__name__).joinpath("trace.schema.json").read_text("utf-8"))


def report_schema() -> dict:
    return json.loads(resources.files(__name__).joinpath("report.schema.json").read_text("utf-8"))
