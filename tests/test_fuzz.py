"""The fuzzer's properties (tests/fuzz.py) in the normal suite: a few derandomized
examples each, so a regression of issue 15 fails here; CI's run (.ci/run) and
`python -m tests.fuzz --minutes N` go deeper with fresh examples."""

import pytest
from hypothesis import settings

import fuzz

QUICK = settings(max_examples=25, derandomize=True, **fuzz.SETTINGS)


@pytest.mark.parametrize("prop", fuzz.PROPERTIES, ids=lambda p: p.__name__)
def test_property(prop):
    QUICK(prop)()
