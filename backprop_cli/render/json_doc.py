"""--json: exactly one JSON document on stdout, described by schema/trace.schema.json."""

from __future__ import annotations

import json

from ..errors import BackpropError
from ..engine.trace import SCHEMA_VERSION, Trace

JACOBIAN = True  # Trace.to_dict carries it


def dumps(doc: dict) -> str:
    # allow_nan=False: inf and nan were already spelled as strings; JSON has no others
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


def render_trace(trace: Trace, expand: bool = False) -> str:
    return dumps(trace.to_dict(expand=expand))


def render_error(error: BackpropError) -> str:
    return dumps({"schema": SCHEMA_VERSION, "error": error.to_dict()})


def emit(trace: Trace, options) -> None:
    print(render_trace(trace, expand=options.expand))
