"""language/writer.py: the text of an operation on constants, written from its operands'
texts, reads back through the grammar as that same operation."""

from __future__ import annotations

import random

import pytest

from backprop_cli import differentiate
from backprop_cli.language.lower import lower
from backprop_cli.language.parser import parse
from backprop_cli.language.syntax import Call, Name, Num
from backprop_cli.language.writer import outermost, written
from backprop_cli.render.json_doc import trace_document

LEAVES = ["2", "0.5", "1e-3", "pi", "e", "7", "1/3", "-2", "2**-1", "sin(1)", "2²", "-(1/3)"]
OPS = [("add", 2), ("sub", 2), ("mul", 2), ("div", 2), ("pow", 2), ("neg", 1),
       ("sin", 1), ("max", 2), ("log", 1)]


def tree_of(text: str):
    """The nested form of a one-expression text: (op, operands…), a leaf its text."""
    syntax = parse(text, "constant")
    forms = []
    for node in syntax.exprs:
        if type(node) is Num:
            forms.append(node.text)
        elif type(node) is Name:
            forms.append(node.id)
        else:
            assert type(node) is Call
            forms.append((node.op, *[forms[a] for a in node.args]))
    return forms[syntax.statements[0].root]


def random_tree(rng: random.Random, depth: int):
    """(text written by the writer, the form it must read back as)."""
    if depth == 0 or rng.random() < 0.25:
        leaf = rng.choice(LEAVES)
        return leaf, tree_of(leaf)
    op, arity = rng.choice(OPS)
    parts = [random_tree(rng, depth - 1) for _ in range(arity)]
    return written(op, [t for t, _ in parts]), (op, *[f for _, f in parts])


@pytest.mark.parametrize("seed", range(4))
def test_a_written_text_reads_back_as_the_operations_it_was_written_from(seed):
    rng = random.Random(seed)
    for _ in range(300):
        text, form = random_tree(rng, rng.randint(1, 4))
        assert tree_of(text) == form, text


@pytest.mark.parametrize("op, texts, want", [
    ("mul", ["1/3", "2"], "(1/3)*2"),       # a fraction reads as one number
    ("neg", ["1/3"], "-(1/3)"),
    ("neg", ["-2"], "-(-2)"),
    ("pow", ["-2", "2"], "(-2)**2"),        # -2**2 would be -(2**2)
    ("pow", ["2", "-3"], "2**-3"),          # the grammar takes a negative exponent bare
    ("pow", ["2**3", "2"], "(2**3)**2"),    # a power is right-associative
    ("sub", ["1", "2 - 3"], "1 - (2 - 3)"),
    ("sub", ["1 - 2", "3"], "1 - 2 - 3"),
    ("div", ["6", "2*3"], "6/(2*3)"),
    ("mul", ["2*pi", "3"], "2*pi*3"),
    ("sin", ["1/3"], "sin(1/3)"),
    ("amax", ["2"], "max(2)"),              # the name a formula prints
])
def test_parentheses_where_the_grammar_needs_them(op, texts, want):
    assert written(op, texts) == want


def test_outermost_names_the_operation_applied_last():
    assert [outermost(t) for t in ["1 + 2*3", "-2**2", "(1 + 2)", "sin(1 + 2)", "2²"]] \
        == ["add", "neg", None, None, "pow"]


def test_a_constant_of_statements_is_written_from_its_operands():
    program = lower("u = 1/3; v = u*2; w = -u; v*x + w**2*x")
    texts = [a.text for node in program.nodes for a in node.args if type(a) is not int]
    assert texts == ["(1/3)*2", "(-(1/3))**2"]
    assert lower("u = 1/3; u*2").output.text == "(1/3)*2"
    # the tables re-read it, and print it as a person would
    doc = trace_document(differentiate("u = 1/3; v = u*2; v*x", at="x=1"))
    assert doc["nodes"][1]["text"] == "(2/3)*w1"


def test_past_a_formulas_length_the_digits_stand_in_and_stay():
    program = lower("u = 1/3; v = u*u; w = v*v; z = w*w; q = z*z; r = q*q; r*x")
    (const,) = [a for a in program.nodes[1].args if type(a) is not int]
    assert const.text == repr(const.value)  # q's text was over 80: digits, and r's too
    assert float(const.text) == pytest.approx(3.0 ** -64, rel=1e-14)
