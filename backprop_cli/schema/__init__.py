"""The JSON Schema of --json output (trace.schema.json), shipped with the package."""

from importlib import resources
import json


def trace_schema() -> dict:
    return json.loads(resources.files(__name__).joinpath("trace.schema.json").read_text("utf-8"))
