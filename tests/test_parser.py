"""The custom LALR driver (backprop_cli/parser.py) against Lark's own parser over the same
grammar, and the parser's behaviour on the constructs the language promises.

Lark is built twice from grammar_text(): with its default (contextual) lexer, and with the
basic lexer the driver's tables come from. Both trees and the driver's flat Syntax are put
into one nested form, (op, children…) with the grammar's aliases (add, sub, mul, div, neg,
pow, call, number, name), and must be equal; on an invalid input all three must reject it,
at the same place, expecting the same terminals.
"""

from __future__ import annotations

import math
import random
import re

import lark
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import differentiate
from backprop_cli.errors import BackpropError, ParseError
from backprop_cli.language.compile import grammar_text
from backprop_cli.language.parser import _machine, describe, group_expected, parse
from backprop_cli.language.syntax import Call, Name, Num

SEED = 7_2024


@pytest.fixture(scope="module")
def larks():
    text = grammar_text()
    common = dict(parser="lalr", start=["program", "bindings"], maybe_placeholders=False)
    return [lark.Lark(text, **common), lark.Lark(text, lexer="basic", **common)]


# --- one comparable form for both -----------------------------------------------------

_OPS = {"add", "sub", "mul", "div", "neg", "pow", "matmul", "transpose", "index", "array",
        "slice_all", "slice_from", "slice_to", "slice_range", "lt", "le", "gt", "ge", "eq", "ne"}


def lark_form(tree) -> tuple:
    top = str(tree.data)
    return (top, *[_lark_statement(c) for c in tree.children])


def _lark_statement(node) -> tuple:
    if isinstance(node, lark.Tree) and str(node.data) in ("assign", "binding"):
        name, expr = node.children
        return ("assign", str(name), _lark_expr(expr))
    if isinstance(node, lark.Tree) and str(node.data) == "define":  # f(a, b) = body
        head, body = node.children
        return ("define", " ".join(str(head.children[0]).split()), _lark_expr(body))
    if isinstance(node, lark.Tree) and str(node.data) == "bare":  # `statement: expr -> bare`
        (node,) = node.children
    return ("expr", _lark_expr(node))


def _lark_expr(node) -> tuple:
    assert isinstance(node, lark.Tree), node
    data = str(node.data)
    if data in ("number", "name"):
        (token,) = node.children
        return (data, str(token))
    if data == "call":
        name, *args = node.children
        return ("call", str(name), *[_lark_expr(a) for a in args])
    if data == "superscript":  # x² is pow(x, 2)
        base, digits = node.children
        return ("pow", _lark_expr(base), ("number", str(digits).translate(SUPERSCRIPT)))
    assert data in _OPS, data
    return (data, *[_lark_expr(c) for c in node.children])


def our_forms(syntax) -> list[tuple]:
    """The nested form of every node of the flat syntax, built in one loop (post-order:
    every operand comes before its user)."""
    forms: list[tuple] = []
    for i, e in enumerate(syntax.exprs):
        if type(e) is Num:
            forms.append(("number", e.text))
        elif type(e) is Name:
            forms.append(("name", e.id))
        else:
            assert type(e) is Call
            assert all(0 <= a < i for a in e.args), (i, e)
            if e.name_end == e.start:  # an operator
                assert e.op in _OPS
                forms.append((e.op, *[forms[a] for a in e.args]))
            else:
                forms.append(("call", e.op, *[forms[a] for a in e.args]))
    return forms


def our_form(syntax, start: str) -> tuple:
    forms = our_forms(syntax)
    statements = []
    for s in syntax.statements:
        if s.name is None:
            statements.append(("expr", forms[s.root]))
        elif s.name.endswith("="):  # a function's head, f(a, b) =
            statements.append(("define", s.name, forms[s.root]))
        else:
            statements.append(("assign", s.name, forms[s.root]))
    return (start, *statements)


def check_flat_invariants(syntax) -> None:
    """What lowering relies on: each statement's expressions are the contiguous block of
    the post-order list that ends at its root, and every node's span lies in the source
    and inside its statement's."""
    first = 0
    n = len(syntax.exprs)
    for s in syntax.statements:
        assert first <= s.root < n
        reach = {s.root}
        for i in range(s.root, first - 1, -1):
            e = syntax.exprs[i]
            if i in reach and type(e) is Call:
                reach.update(e.args)
        assert reach == set(range(first, s.root + 1)), (s, first)
        for i in range(first, s.root + 1):
            e = syntax.exprs[i]
            assert s.start <= e.start <= e.end <= s.end <= len(syntax.source), (s, e)
        first = s.root + 1
    assert first == n


SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def check_spans_reparse(syntax) -> None:
    """Every node's span is the text of that node: it parses alone into the same form
    (but the exponent of x², whose span is the superscript digits alone, and a slice,
    which parses inside brackets)."""
    forms = our_forms(syntax)
    for e, form in zip(syntax.exprs, forms):
        piece = syntax.source[e.start:e.end]
        if piece.translate(SUPERSCRIPT) != piece and piece.translate(SUPERSCRIPT).isdigit():
            continue
        if type(e) is Call and e.op.startswith("slice_"):  # `1:3` only means a slice in […]
            piece = f"x[{piece}]"
            alone = parse(piece)
            assert our_forms(alone)[-1] == ("index", ("name", "x"), form), (piece, form)
            continue
        alone = parse(piece)
        assert len(alone.statements) == 1, piece
        assert our_forms(alone)[alone.statements[0].root] == form, (piece, form)


# --- three parsers, one verdict ---------------------------------------------------------

_LITERAL = _machine().literal


def lark_expected(parser, text: str, err, start: str) -> set[str]:
    """What Lark's interactive parser accepts after the text before the error (its
    accepts() tries each terminal on a copy of the state), grouped as ours are. Not the
    terminals of the LALR row, which hold lookaheads merged from other contexts."""
    at = err.token.start_pos if err.token.type != "$END" else len(text)
    ip = parser.parse_interactive(text[:at], start=start)
    ip.exhaust_lexer()
    accepts = ip.accepts() - {"DEFINE"}
    return set(group_expected({describe(t, _LITERAL) for t in accepts}))


def compare(larks, text: str, start: str = "program") -> bool:
    """Assert the driver and both Lark parsers agree on `text`; True if it parsed."""
    verdicts = []
    for parser in larks:
        try:
            verdicts.append(("ok", lark_form(parser.parse(text, start=start))))
        except lark.exceptions.UnexpectedInput as err:
            verdicts.append(("error", err))
    try:
        syntax = parse(text, start)
    except ParseError as err:
        ours = err
    else:
        form = our_form(syntax, start)
        for kind, got in verdicts:
            assert kind == "ok", (text, start, "only the driver accepts", form, got)
            assert got == form, (text, start, got, form)
        check_flat_invariants(syntax)
        return True
    for kind, err in verdicts:
        assert kind == "error", (text, start, "only Lark accepts", err if kind == "ok" else "")
    # the same place; expecting the same terminals as the basic lexer's Lark, whose tables
    # the driver runs (the contextual lexer reports the terminals its lexer state knows)
    for (_, err), exact, parser in zip(verdicts, (False, True), larks):
        if isinstance(err, lark.exceptions.UnexpectedCharacters):
            assert ours.span[0] == err.pos_in_stream, (text, ours.span, err)
            assert ours.message.startswith("unexpected character"), (text, ours.message)
        else:
            assert isinstance(err, lark.exceptions.UnexpectedToken), (text, err)
            if err.token.type == "$END":
                assert ours.message.startswith(("unexpected end of input",
                                                "the expression is empty")), (text, ours)
                if ours.expected is not None and exact:
                    assert set(ours.expected) == lark_expected(parser, text, err, start), \
                        (text, ours.expected)
            elif exact or text[ours.span[0]:ours.span[1]] == err.token.value:
                # (the contextual lexer reads `==` as two `=` where only `=` can come,
                # after the name of a binding; the basic lexer, as ours, reads one token)
                assert ours.span[0] == err.token.start_pos, (text, ours.span, err.token)
                if exact:
                    assert set(ours.expected) == lark_expected(parser, text, err, start), \
                        (text, ours.expected)
    return False


# --- a generator that follows the grammar ------------------------------------------------

NUMBERS = ["0", "1", "2", "10", "007", "2.", ".5", "3.25", "1e5", "1E-3", "2.5e+2", "6.02e23",
           "0.0", "٣"]
NAMES = ["x", "y", "z", "foo", "_a", "x1", "w_2", "π", "é", "Δx", "e", "pi", "sin", "log",
         "pow", "max", "abc_def9"]


class Gen:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def ws(self) -> str:
        return self.rng.choice(["", "", "", " ", "  ", "\t"])

    def pick(self, *options):
        return self.rng.choice(options)

    def expr(self, d: int) -> str:
        if d <= 0 or self.rng.random() < 0.45:
            return self.term(d)
        return f"{self.expr(d - 1)}{self.ws()}{self.pick('+', '-', '−')}{self.ws()}{self.term(d - 1)}"

    def term(self, d: int) -> str:
        if d <= 0 or self.rng.random() < 0.45:
            return self.factor(d)
        op = self.pick("*", "*", "/", "·", "×", "@")
        return f"{self.term(d - 1)}{self.ws()}{op}{self.ws()}{self.factor(d - 1)}"

    def factor(self, d: int) -> str:
        r = self.rng.random()
        if d > 0 and r < 0.15:
            return f"{self.pick('-', '−')}{self.ws()}{self.factor(d - 1)}"
        if d > 0 and r < 0.2:
            return f"+{self.ws()}{self.factor(d - 1)}"
        return self.power(d)

    def power(self, d: int) -> str:
        if d <= 0 or self.rng.random() < 0.7:
            return self.atom(d)
        if self.rng.random() < 0.2:
            return f"{self.atom(d - 1)}{self.ws()}{self.pick('²', '³', '¹⁰')}"
        return f"{self.atom(d - 1)}{self.ws()}{self.pick('**', '^')}{self.ws()}{self.factor(d - 1)}"

    def atom(self, d: int) -> str:
        r = self.rng.random()
        if d <= 0 or r < 0.5:
            return self.pick(*NUMBERS) if self.rng.random() < 0.4 else self.pick(*NAMES)
        if r < 0.8:
            n = self.pick(0, 1, 1, 1, 2, 2, 3)
            args = f",{self.ws()}".join(self.expr(d - 1) for _ in range(n))
            return f"{self.pick(*NAMES)}({self.ws()}{args}{self.ws()})"
        if r < 0.85:
            return f"({self.ws()}{self.expr(d - 1)}{self.ws()})"
        if r < 0.9:  # tensors: [1, 2], x.T, x[0], A[1, :2]
            items = f",{self.ws()}".join(self.expr(d - 1) for _ in range(self.pick(1, 2, 3)))
            return f"[{self.ws()}{items}{self.ws()}]"
        if r < 0.93:  # not after a number: 2.T is the number 2. and a T, as in Python
            base = self.atom(d - 1)
            return f"{base if not base[0].isdigit() and base[0] != '.' else f'({base})'}.T"
        subs = f",{self.ws()}".join(self.subscript(d - 1) for _ in range(self.pick(1, 1, 2)))
        return f"{self.atom(d - 1)}[{self.ws()}{subs}{self.ws()}]"

    def subscript(self, d: int) -> str:
        e = self.expr
        return self.pick(lambda: e(d), lambda: ":", lambda: f"{e(d)}:", lambda: f":{e(d)}",
                         lambda: f"{e(d)}{self.ws()}:{self.ws()}{e(d)}")()

    def statement(self, d: int) -> str:
        r = self.rng.random()
        if r < 0.1:  # a function: f(a, b) = body
            params = f"{self.ws()},{self.ws()}".join(self.pick(*NAMES)
                                                     for _ in range(self.pick(1, 2, 3)))
            return f"{self.pick(*NAMES)}{self.ws()}({params}){self.ws()}={self.ws()}{self.expr(d)}"
        if r < 0.2:  # a comparison
            op = self.pick("<", "<=", ">", ">=", "==", "!=", "≤", "≥", "≠")
            return f"{self.expr(d)}{self.ws()}{op}{self.ws()}{self.expr(d)}"
        if r < 0.5:
            return f"{self.pick(*NAMES)}{self.ws()}={self.ws()}{self.expr(d)}"
        return self.expr(d)

    def sep(self) -> str:
        return self.pick(";", "\n", "\r\n", " ; ", ";\n", "\n\n", "  # note\n", ";;")

    def program(self) -> str:
        d = self.rng.randint(0, 5)
        parts = [self.statement(d) for _ in range(self.pick(1, 1, 1, 2, 3))]
        text = self.sep().join(parts)
        if self.rng.random() < 0.2:
            text = self.sep() + text
        if self.rng.random() < 0.2:
            text = text + self.sep()
        if self.rng.random() < 0.1:
            text += " # trailing comment"
        return text

    def bindings(self) -> str:
        n = self.pick(1, 1, 2, 3)
        return f"{self.ws()},{self.ws()}".join(
            f"{self.pick(*NAMES)}{self.ws()}={self.ws()}{self.expr(self.rng.randint(0, 3))}"
            for _ in range(n))


_TOKEN = re.compile(r"\*\*|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|[^\W\d]\w*|\r?\n|#[^\n]*|\s+|.",
                    re.S)
_NOISE = ["(", ")", ",", ";", "=", "+", "-", "*", "/", "**", "^", "\n", "x", "1", "sin(",
          "[", "]", ":", "@", ".T",
          "#", "$", "1e", ".", "·", "−", "\r", "é", "2x"]


def mutate(rng: random.Random, text: str) -> str:
    """A small random edit at the token level: usually an invalid program, sometimes not."""
    tokens = _TOKEN.findall(text) or [""]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(tokens))
        r = rng.random()
        if r < 0.3 and len(tokens) > 1:
            del tokens[i]
        elif r < 0.55:
            tokens.insert(i, rng.choice(_NOISE))
        elif r < 0.75:
            tokens[i] = rng.choice(_NOISE)
        elif r < 0.9 and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        else:
            tokens.insert(i, tokens[i])
    return "".join(tokens)


N_BATCHES = 10
PER_BATCH = 150


def _batch(kind: str, b: int) -> list[tuple[str, str]]:
    rng = random.Random(f"{SEED}-{kind}-{b}")
    gen = Gen(rng)
    out = []
    for _ in range(PER_BATCH):
        if kind == "program":
            out.append((gen.program(), "program"))
        elif kind == "bindings":
            out.append((gen.bindings(), "bindings"))
        else:
            start = rng.choice(["program", "program", "bindings"])
            text = gen.program() if start == "program" else gen.bindings()
            out.append((mutate(rng, text), start))
    return out


@pytest.mark.parametrize("b", range(N_BATCHES))
def test_valid_programs_parse_as_lark_parses_them(larks, b):
    batch = _batch("program", b)
    accepted = sum(compare(larks, text, start) for text, start in batch)
    # the generator follows the grammar: everything it writes is a program
    assert accepted == len(batch)


@pytest.mark.parametrize("b", range(N_BATCHES // 2))
def test_bindings_parse_as_lark_parses_them(larks, b):
    batch = _batch("bindings", b)
    assert sum(compare(larks, text, start) for text, start in batch) == len(batch)
    for text, _ in batch:  # and a program is not a list of bindings, nor the reverse
        if "," in text:
            compare(larks, text, "program")


@pytest.mark.parametrize("b", range(N_BATCHES))
def test_mutated_programs_are_rejected_where_lark_rejects_them(larks, b):
    batch = _batch("mutated", b)
    accepted = sum(compare(larks, text, start) for text, start in batch)
    assert 0 < accepted < len(batch) * 0.6  # mostly invalid, some valid by chance


def test_spans_are_the_text_of_their_node():
    rng = random.Random(SEED)
    gen = Gen(rng)
    for _ in range(150):
        syntax = parse(gen.program())
        check_flat_invariants(syntax)
        check_spans_reparse(syntax)


_ALPHABET = list("xyz019.e+-*/^(),;=# \t\n_π·×−$[]:@T") + ["**", "sin(", "pow(", "\r\n", ".T"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_ALPHABET), max_size=25).map("".join),
       st.sampled_from(["program", "bindings"]))
def test_character_soup_gets_the_same_verdict(larks, text, start):
    compare(larks, text, start)


# --- direct tests ----------------------------------------------------------------------

def form(text: str, start: str = "program"):
    """The form of the last statement's expression."""
    syntax = parse(text, start)
    return our_forms(syntax)[syntax.statements[-1].root]


X, Y, TWO = ("name", "x"), ("name", "y"), ("number", "2")


def test_unary_minus_binds_looser_than_power():
    assert form("-x**2") == ("neg", ("pow", X, TWO))
    assert form("-x^2") == ("neg", ("pow", X, TWO))
    assert float(differentiate("-2**2").value) == -4.0
    assert float(differentiate("(-2)**2").value) == 4.0


def test_unary_minus_binds_tighter_than_times():
    assert form("-x*y") == ("mul", ("neg", X), Y)
    assert form("x*-y") == ("mul", X, ("neg", Y))
    assert form("x - -y") == ("sub", X, ("neg", Y))


def test_power_is_right_associative():
    assert form("x**y**2") == ("pow", X, ("pow", Y, TWO))
    assert float(differentiate("2**3**2").value) == 512.0
    assert float(differentiate("2^3^2").value) == 512.0
    assert float(differentiate("(2**3)**2").value) == 64.0
    t = differentiate("2**3**x", at="x=2")
    assert float(t.value) == 512.0
    assert float(t.gradient["x"]) == pytest.approx(512 * math.log(2) * 9 * math.log(3))


def test_a_negative_exponent_needs_no_parentheses():
    assert form("2**-x") == ("pow", TWO, ("neg", X))
    assert form("x**-y**2") == ("pow", X, ("neg", ("pow", Y, TWO)))
    assert float(differentiate("2**-1").value) == 0.5


def test_plus_and_minus_are_left_associative():
    assert form("x - y - 2") == ("sub", ("sub", X, Y), TWO)
    assert form("x / y / 2") == ("div", ("div", X, Y), TWO)
    assert float(differentiate("8 / 4 / 2").value) == 1.0
    assert float(differentiate("8 - 4 - 2").value) == 2.0


def test_unary_plus_is_dropped_and_parentheses_leave_no_node():
    assert form("+x") == X
    assert form("+-+x") == ("neg", X)
    assert form("((x))") == X


def test_unicode_spellings_are_the_ascii_operators():
    assert form("x·y") == form("x×y") == form("x*y")
    assert form("x−y") == form("x-y")
    assert form("−x") == ("neg", X)
    assert form("x^y") == form("x**y")


def test_calls_keep_the_name_and_all_arguments():
    assert form("sin(x)") == ("call", "sin", X)
    assert form("pow(x, 2)") == ("call", "pow", X, TWO)
    assert form("f()") == ("call", "f")
    assert form("g(x, y, 2)") == ("call", "g", X, Y, TWO)
    # an operator and a call of the same name are told apart
    syntax = parse("pow(x,2) + x**2")
    calls = [e for e in syntax.exprs if type(e) is Call and e.op == "pow"]
    assert [c.name_end == c.start for c in calls] == [False, True]


@pytest.mark.parametrize("text", ["a = x*2; a + 1", "a = x*2\na + 1", "a = x*2\r\na + 1",
                                  "\n\na = x*2;;\n ; a + 1;\n", "a = x*2 # twice x\na + 1",
                                  "# header\na = x*2\n# between\n\na + 1  # the output"])
def test_statements_split_by_semicolons_and_newlines(text):
    syntax = parse(text)
    assert [(s.name, our_forms(syntax)[s.root]) for s in syntax.statements] == [
        ("a", ("mul", X, TWO)), (None, ("add", ("name", "a"), ("number", "1")))]
    t = differentiate(text, at="x=3")
    assert float(t.value) == 7.0 and float(t.gradient["x"]) == 2.0


def test_a_comment_is_not_code():
    assert float(differentiate("x # + 100", at="x=1").value) == 1.0
    assert float(differentiate("x*2 # ; y", at="x=1").value) == 2.0
    assert form("x # (") == X  # the comment runs to the end of the line


def test_an_open_parenthesis_across_a_comment_is_an_error():
    with pytest.raises(ParseError):
        parse("(x # )")


@pytest.mark.parametrize("text,start", [
    ("2x", "program"), ("x y", "program"), ("sin x", "program"), ("(x", "program"),
    ("x)", "program"), ("x +", "program"), ("x ** * y", "program"), ("x = ", "program"),
    ("= x", "program"), ("x $ y", "program"), ("x\ry", "program"), ("1e", "program"),
    ("x, y", "program"), ("f(x,)", "program"), ("f(,x)", "program"), ("x = 1 = 2", "program"),
    ("", "program"), (";", "program"), ("# only a comment", "program"),
    ("x", "bindings"), ("x=1;y=2", "bindings"), ("x=1,", "bindings"), ("1=2", "bindings"),
    ("x=1\ny=2", "bindings"), ("", "bindings"),
])
def test_invalid_input_is_a_parse_error_with_a_span(larks, text, start):
    with pytest.raises(ParseError) as info:
        parse(text, start)
    err = info.value
    assert isinstance(err, BackpropError) and err.exit_code == 2
    assert err.span is not None and 0 <= err.span[0] <= len(text)
    assert compare(larks, text, start) is False


def test_missing_operator_hint():
    with pytest.raises(ParseError) as info:
        parse("2x")
    assert "*" in (info.value.hint or "")


DEEP = 10_000


def test_deeply_nested_calls_parse_and_differentiate():
    text = "sin(" * DEEP + "x" + ")" * DEEP
    syntax = parse(text)
    assert len(syntax.exprs) == DEEP + 1
    t = differentiate(text, at="x=0.5")
    v, d = 0.5, 1.0
    for _ in range(DEEP):
        d *= math.cos(v)
        v = math.sin(v)
    assert float(t.value) == pytest.approx(v, rel=1e-12)
    assert float(t.gradient["x"]) == pytest.approx(d, rel=1e-9)
    assert len(t.program.nodes) == DEEP + 1
    t.program.validate()


@pytest.mark.parametrize("text,value,grad", [
    ("(" * DEEP + "x" + ")" * DEEP, 0.5, 1.0),
    ("-" * DEEP + "x", 0.5, 1.0),
    ("-(" * DEEP + "x" + ")" * DEEP, 0.5, 1.0),
    ("x" + "**1" * DEEP, 0.5, 1.0),  # right-associative: a right spine DEEP levels deep
    ("(" * DEEP + "x" + "+x)" * DEEP, 0.5 * (DEEP + 1), DEEP + 1),
], ids=["parens", "minus", "minus-parens", "power-chain", "left-sum"])
def test_other_deep_shapes_parse_and_differentiate(text, value, grad):
    t = differentiate(text, at="x=0.5")
    assert float(t.value) == pytest.approx(value)
    assert float(t.gradient["x"]) == pytest.approx(grad)


def test_a_hundred_thousand_term_sum_differentiates():
    n = 100_000
    text = " + ".join(f"{i % 7}*x" if i % 3 else "y" for i in range(n))
    t = differentiate(text, at="x=0.5,y=2")
    n_y = len(range(0, n, 3))
    coef = sum(i % 7 for i in range(n) if i % 3)
    assert float(t.value) == pytest.approx(0.5 * coef + 2 * n_y)
    assert float(t.gradient["x"]) == pytest.approx(coef)
    assert float(t.gradient["y"]) == pytest.approx(n_y)


def test_grammar_text_is_the_grammar_file():
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "grammar" / "backprop.lark"
    assert grammar_text() == path.read_text(encoding="utf-8")


def test_the_committed_tables_are_what_lark_builds_from_the_grammar():
    """The parse loop runs the tables committed in lalr_tables.py; a fresh build by Lark
    from grammar/ must give exactly them, so a grammar change cannot ship stale tables."""
    from backprop_cli.language.compile import TABLES_MODULE, build_tables, module_text

    with open(TABLES_MODULE, encoding="utf-8") as f:
        committed = f.read()
    assert module_text(build_tables(grammar_text())) == committed, \
        "run python -m backprop_cli.language.compile and commit lalr_tables.py"


@pytest.mark.parametrize("source,at", [("x + 1e999", "x=1"), ("x * 1e999", "x=1"),
                                       ("x", "x=1e999"), ("x", {"x": "1e400"})])
def test_a_number_too_big_for_a_float_is_not_silently_infinite(source, at):
    """1e308*10 is a DomainError ("mul overflows") and exp(1000) warns "overflow"; a
    literal that overflows, in the expression or after --at, must do one or the other
    rather than turn into inf without a word."""
    try:
        t = differentiate(source, at=at)
    except BackpropError:
        return
    assert t.diagnostics, (source, at, float(t.value), t.diagnostics)


# --- start symbols and spans ---------------------------------------------------------------

@pytest.fixture(scope="module")
def all_starts():
    from backprop_cli.language.compile import START_SYMBOLS

    common = dict(parser="lalr", start=list(START_SYMBOLS), maybe_placeholders=False)
    return [lark.Lark(grammar_text(), **common), lark.Lark(grammar_text(), lexer="basic", **common)]


@pytest.mark.parametrize("start", ["constant", "answer"])
def test_one_expression_starts_parse_as_lark_parses_them(all_starts, start):
    rng = random.Random(f"{SEED}-{start}")
    gen = Gen(rng)
    texts = [gen.expr(rng.randint(0, 4)) for _ in range(100)]
    assert all(compare(all_starts, text, start) for text in texts)
    for text in texts[:50]:  # and a statement, a list, a program are not one expression
        compare(all_starts, mutate(rng, text), start)
        for more in (f"x = {text}", f"{text}, 1", f"{text}; 1"):
            assert compare(all_starts, more, start) is False


def test_a_span_is_parsed_with_the_positions_of_the_whole_text():
    text = "x=-pi : 2*sin(y) : 9"
    syntax = parse(text, "constant", span=(7, 16))
    (statement,) = syntax.statements
    assert (statement.start, statement.end) == (8, 16)
    assert [text[e.start:e.end] for e in syntax.exprs] == ["2", "y", "sin(y)", "2*sin(y)"]
    assert our_form(syntax, "constant") == our_form(parse("2*sin(y)", "constant"), "constant")


@pytest.mark.parametrize("text, span, message, at, expected", [
    # the span ends where the text goes on: the character there is what came
    ("x=0:1+:3", (4, 6), "unexpected ':'", 6, '"("'),
    ("x=0:1:3+", (6, 8), "unexpected end of input", 8, '"("'),
    ("x=0:1,2:3", (4, 7), "unexpected ','", 5, '":"'),  # its end is the colon, not the end
    ("a; 1 $ 2", (3, 8), "unexpected character '$'", 5, None),
    ("x=0:  :3", (4, 6), "nothing given", 4, None),
])
def test_errors_in_a_span_point_into_the_whole_text(text, span, message, at, expected):
    with pytest.raises(ParseError) as info:
        parse(text, "constant", origin="--over", span=span)
    err = info.value
    assert err.source == text and err.message == message and err.span[0] == at
    assert expected is None or expected in err.expected, err.expected


def test_a_one_expression_start_says_it_takes_one():
    with pytest.raises(ParseError) as info:
        parse("0.1,x=2", "constant", origin="--lr")
    assert info.value.hint == "--lr takes one constant expression here"
    assert info.value.span == (3, 4)
    with pytest.raises(ParseError) as info:
        parse("f = 2; 3", "answer", origin="--expect", span=(4, 8))
    assert info.value.hint == "an answer is one expression" and info.value.span == (5, 6)


def test_a_name_may_carry_a_combining_macron_as_the_tables_write_adjoints(all_starts):
    assert form("w\u03044*c\u0304") == ("mul", ("name", "w\u03044"), ("name", "c\u0304"))
    for text in ("w\u03044 + 1", "a\u0304\u0304", "x\u0304_1"):
        assert compare(all_starts, text, "answer")
    with pytest.raises(ParseError, match="unexpected character"):
        parse("\u0304x")  # a mark alone starts no name


def test_a_run_writes_nothing_and_reads_no_file_outside_python(tmp_path):
    """The tables are part of the package: a run compiles nothing, caches nothing, and
    trusts no file a user or another program could have left. In a fresh process with an
    empty HOME, an audit hook sees every open: none for writing, none outside Python's
    and the package's folders, and HOME stays empty."""
    import os
    import subprocess
    import sys
    import sysconfig
    from pathlib import Path

    import backprop_cli

    home = tmp_path / "home"
    home.mkdir()
    allowed = {str(Path(p).resolve()) for p in (
        sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"], sys.prefix, sys.base_prefix)}
    allowed.add(str(Path(backprop_cli.__file__).resolve().parent))
    code = f"""
import os, sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        opened.append((os.fsdecode(args[0]), args[1]))
sys.addaudithook(hook)
from backprop_cli.cli import main
for argv in (["x**2*cos(x*y)+1", "--at", "x=2,y=pi/2"], ["x*y", "--at", "x=1,y=2", "--json"],
             ["check", "x*y", "--at", "x=1,y=2", "--expect", "w3 = 2"]):
    main(argv)
allowed = {sorted(allowed)!r}
for path, mode in opened:
    real = os.path.realpath(path)
    writes = mode is not None and any(c in str(mode) for c in "wax+")
    outside = not any(real == a or real.startswith(a + os.sep) for a in allowed)
    if writes or outside:
        print("OPENED", path, mode, file=sys.stderr)
"""
    env = {**os.environ, "HOME": str(home), "COLUMNS": "80"}
    env.pop("XDG_CACHE_HOME", None)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "OPENED" not in r.stderr, r.stderr
    assert list(home.iterdir()) == []
