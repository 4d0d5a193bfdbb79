"""The builder protocol (language/builder.py) and the table that maps the grammar's aliases
to its methods (parser.REDUCTIONS): every builder has every method, and a gap is caught
before any input is parsed, not on the input that needs it."""

from __future__ import annotations

import inspect

import pytest

from backprop_cli.language import parser
from backprop_cli.language.builder import METHODS, Builder, missing_methods
from backprop_cli.language.lower import ConstantBuilder, ProgramBuilder
from backprop_cli.language.syntax import SyntaxBuilder
from backprop_cli.symbolic.formula import _TemplateBuilder

BUILDERS = [ProgramBuilder, ConstantBuilder, SyntaxBuilder, _TemplateBuilder]


def test_the_protocol_names_every_call_the_parse_loop_makes():
    assert set(METHODS) == {"number", "name", "operator", "call", "tensor_op", "array",
                            "slice", "statement", "function_head", "function", "result"}
    assert {m for row in parser.REDUCTIONS.values() for m in row.methods} == set(METHODS)
    for name in METHODS:  # each documented
        assert inspect.getdoc(getattr(Builder, name)), name


@pytest.mark.parametrize("cls", BUILDERS, ids=lambda c: c.__name__)
def test_every_builder_has_every_method_with_the_protocols_parameters(cls):
    assert missing_methods(cls) == []
    for name in METHODS:
        want = list(inspect.signature(getattr(Builder, name)).parameters)
        got = list(inspect.signature(getattr(cls, name)).parameters)
        assert len(got) == len(want), (cls.__name__, name, got, want)


def test_every_alias_of_the_grammar_has_one_row_and_every_row_an_alias():
    m = parser._machine()
    aliases = {alias for shape, _, _, _, _, alias, expand1 in m.rules
               if shape == parser._BUILD and not expand1}
    assert aliases == set(parser.REDUCTIONS)


def test_a_builder_without_a_method_fails_on_any_input():
    class NoSlices(SyntaxBuilder):
        slice = None  # not callable: as good as missing

    with pytest.raises(TypeError, match="lacks the builder method slice"):
        parser.parse("1", builder=NoSlices("1"))  # no slice in sight


def test_an_alias_without_a_row_is_caught_when_the_table_is_built(monkeypatch):
    rules = parser._machine().rules
    monkeypatch.delitem(parser.REDUCTIONS, "matmul")
    with pytest.raises(AssertionError, match="'matmul' has no row"):
        parser._plans(rules)
    monkeypatch.setitem(parser.REDUCTIONS, "matmul", parser.Reduction(("matrix",), None))
    with pytest.raises(AssertionError, match="matrix"):
        parser._plans(rules)
