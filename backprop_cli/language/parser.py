"""Text → whatever a builder makes of it, driven by the LALR tables Lark builds from grammar/.

Lark is the grammar's compiler: compile.py has it read backprop.lark and writes the LALR(1)
tables and terminal patterns into lalr_tables.py, committed beside this module, so a run
imports neither Lark nor anything outside the package. Running the tables is this
module's loop, not Lark's parser: Lark's runtime parser costs 10–20 µs a token here, too
slow for a 10^6-node expression, and this loop with one master regex a few µs
(benchmarks/bench.py, the `parse` column). tests/test_parser.py holds it against Lark's own
parser.

At each reduction with an alias (-> add) the loop calls the builder method that
REDUCTIONS names for it (the protocol is builder.Builder), in post-order, left to right,
as Lark's transformer does when it transforms while parsing: lower.ProgramBuilder makes
SSA nodes, lower.ConstantBuilder folds --at values, syntax.SyntaxBuilder (the default)
makes the plain flat tree. Tree shaping follows Lark's rules for what the grammar uses:
anonymous and _underscored tokens are dropped, _underscored rules are spliced into their
parent, and a ?rule with one child passes it through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, NamedTuple

from ..errors import MAX_INPUT_BYTES, ParseError, too_large
from .builder import METHODS, missing_methods

# How the terminals of the grammar are named to a user in "expected: …".
_FRIENDLY = {"NAME": "a name", "NUMBER": "a number", "SUPERSCRIPT": "a power such as ²",
             "_NEWLINE": "a new line", "$END": "the end of the input",
             "_MINUS": '"-"', "_TIMES": '"*"', "_POW": '"**"', "_DOT_T": '".T"',
             "_LE": '"<="', "_GE": '">="', "_NE": '"!="'}


class Machine(NamedTuple):
    """The tables in the shape the parse loop wants: symbols are small ints, and a state's
    actions a list indexed by them (a list index is cheaper than a dict lookup)."""

    tables: dict
    symbols: list[str]  # symbol id → terminal or rule name
    ids: dict[str, int]  # and back
    rows: list  # per state, per symbol id: shift or goto state (≥ 0), ~rule, or None
    rules: list  # per rule: (shape, origin, size, keep, splice, alias, expand1)
    heads: list  # per rule: (shape, origin id, size), what the loop reads
    kinds: list  # per symbol id: 0 a token to parse, 1 to ignore, 2 an unexpected character
    master: re.Pattern  # every terminal as a named group, and a catch-all _ERROR
    splitter: object  # findall of the same alternation without names
    literal: dict  # terminal name → its literal text, for "expected: …"
    unit_chains: list  # per lookahead id, the memo of _walk_unit_chain
    plans: list  # per rule, how its reducer is made (_plans)


# Rule shapes, decided once per rule so the parse loop branches on a small int.
_PASS, _SPLICE, _BUILD = 0, 1, 2


@lru_cache(maxsize=1)
def _machine() -> Machine:
    from .compile import load
    from .lalr_tables import TABLES_JSON  # generated from grammar/ by compile.py

    t = load(TABLES_JSON)

    terminals = [name for name, _, _ in t["terminals"]]
    symbols = sorted({sym for actions in t["states"].values() for sym in actions}
                     | set(terminals) | {"_ERROR", "$END"})
    ids = {name: i for i, name in enumerate(symbols)}
    rows: list = [None] * (max(t["states"]) + 1)
    for state, actions in t["states"].items():
        rows[state] = row = [None] * len(symbols)
        for sym, action in actions.items():
            row[ids[sym]] = action
    rules = []
    for origin, size, keep, splice, name, expand1 in t["rules"]:
        if expand1 and size == 1 and keep == (0,):
            shape = _PASS  # a ?rule passing its one child through
        elif origin.startswith("_"):
            shape = _SPLICE  # an _inlined rule: its children join the parent's
        else:
            shape = _BUILD
        rules.append((shape, origin, size, keep, splice, name, expand1))
    heads = [(shape, ids[origin], size) for shape, origin, size, *_ in rules]
    kinds = [1 if name in t["ignore"] else 2 if name == "_ERROR" else 0 for name in symbols]
    # A last catch-all group makes every character belong to some token, so the tokens
    # tile the text: an _ERROR token is an unexpected character.
    master = re.compile("|".join([f"(?P<{name}>{regexp})" for name, regexp, _ in t["terminals"]]
                                 + ["(?P<_ERROR>(?s:.))"]))
    literal = {name: lit for name, _, lit in t["terminals"] if lit}
    # The same alternation without names, for re.findall to return the texts of all tokens.
    splitter = re.compile("|".join([f"(?:{regexp})" for _, regexp, _ in t["terminals"]]
                                   + ["(?s:.)"]))
    assert splitter.groups == 0, "terminal patterns must use (?:…) groups, not capturing ones"
    return Machine(t, symbols, ids, rows, rules, heads, kinds, master, splitter.findall,
                   literal, [{} for _ in symbols], _plans(rules))


def _walk_unit_chain(rows, heads, below, state, tid):
    """The state reached by reducing pass-through ?rules on top of `below` while the
    lookahead is `tid`, starting from `state`."""
    while True:
        action = rows[state][tid]
        if action is None or action >= 0 or heads[~action][0] != _PASS:
            return state
        state = rows[below][heads[~action][1]]


def describe(terminal: str, literal: dict) -> str:
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    if terminal in literal:
        return repr(literal[terminal]).replace("'", '"')
    return terminal.lower()


_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")

# How a rule's kept children become a builder call. A maker is called once per builder
# class and rule, with the rule's alias, its kept and spliced child positions, and the
# class's functions for the methods its row names; it gives the reducer the loop calls
# with the builder, the rule's values as (value, start, end), and the rule's span.
# Closures specialised per rule keep a reduction as cheap as the if-chain of rule names
# they replace; made per class, not per parse, they cost a short text nothing.


def _children(kids, keep, splice) -> list:
    out = []
    for i in keep:
        if i in splice:
            out.extend(kids[i][0])
        else:
            out.append(kids[i][0])
    return out


def _leaf(alias, keep, splice, method):
    return lambda b, kids, begin, end: method(b, kids[0][0], begin, end)


def _operator(alias, keep, splice, operator):
    if len(keep) == 2:
        i, j = keep
        return lambda b, kids, begin, end: operator(b, alias, (kids[i][0], kids[j][0]),
                                                    begin, end)
    (i,) = keep
    return lambda b, kids, begin, end: operator(b, alias, (kids[i][0],), begin, end)


def _superscript(alias, keep, splice, number, operator):
    # x² is x**2: the exponent is a number whose span is the superscript digits
    i, j = keep

    def reduce(b, kids, begin, end):
        digits, dstart, dend = kids[j]
        exponent = number(b, digits.translate(_SUPERSCRIPT_DIGITS), dstart, dend)
        return operator(b, "pow", (kids[i][0], exponent), begin, end)
    return reduce


def _call(alias, keep, splice, call):
    if len(keep) == 2 and not splice:  # NAME ( expr ): the usual case
        i, j = keep

        def reduce_one(b, kids, begin, end):
            fname = kids[i][0]
            return call(b, fname, (kids[j][0],), begin, end, begin + len(fname))
        return reduce_one

    def reduce(b, kids, begin, end):
        fname, *args = _children(kids, keep, splice)
        return call(b, fname, tuple(args), begin, end, begin + len(fname))
    return reduce


def _operands(alias, keep, splice, method):
    # tensor_op and slice: the alias names the op or the kind of slice
    return lambda b, kids, begin, end: method(b, alias, tuple(_children(kids, keep, splice)),
                                              begin, end)


def _items(alias, keep, splice, array):
    return lambda b, kids, begin, end: array(b, tuple(_children(kids, keep, splice)),
                                             begin, end)


def _named_statement(alias, keep, splice, statement):
    i, j = keep
    return lambda b, kids, begin, end: statement(b, kids[i][0], kids[j][0], begin, end)


def _bare_statement(alias, keep, splice, statement):
    (i,) = keep
    return lambda b, kids, begin, end: statement(b, None, kids[i][0], begin, end)


def _definition(alias, keep, splice, function):
    i, j = keep
    return lambda b, kids, begin, end: function(b, kids[i][0], kids[j][0], begin, end)


def _result(alias, keep, splice, result):
    return lambda b, kids, begin, end: result(b)


def _lone_expression(alias, keep, splice, statement, result):
    # a start symbol of one expression: a statement without a name, and the result
    (i,) = keep

    def reduce(b, kids, begin, end):
        statement(b, None, kids[i][0], begin, end)
        return result(b)
    return reduce


def _pass_through(alias, keep, splice):
    # a ?rule whose one kept child passes through, such as ( expr ) or +x
    return lambda b, kids, begin, end: _children(kids, keep, splice)[0]


def _spliced(alias, keep, splice):
    # an _inlined rule: its children join the parent's
    return lambda b, kids, begin, end: _children(kids, keep, splice)


class Reduction(NamedTuple):
    methods: tuple[str, ...]  # the builder's methods the reduction calls (builder.Builder)
    make: Callable  # maker(alias, keep, splice, *those methods) -> reducer


# Each alias of grammar/backprop.lark, and the builder call its reduction makes. A new alias
# is one row here; an alias without a row, or a row naming a method the protocol lacks,
# fails when the tables are loaded, whatever the input.
REDUCTIONS: dict[str, Reduction] = {
    "number": Reduction(("number",), _leaf),
    "name": Reduction(("name",), _leaf),
    "add": Reduction(("operator",), _operator),
    "sub": Reduction(("operator",), _operator),
    "mul": Reduction(("operator",), _operator),
    "div": Reduction(("operator",), _operator),
    "neg": Reduction(("operator",), _operator),
    "pow": Reduction(("operator",), _operator),
    "superscript": Reduction(("number", "operator"), _superscript),
    "call": Reduction(("call",), _call),
    "matmul": Reduction(("tensor_op",), _operands),
    "transpose": Reduction(("tensor_op",), _operands),
    "index": Reduction(("tensor_op",), _operands),
    "array": Reduction(("array",), _items),
    "slice_all": Reduction(("slice",), _operands),
    "slice_from": Reduction(("slice",), _operands),
    "slice_to": Reduction(("slice",), _operands),
    "slice_range": Reduction(("slice",), _operands),
    "lt": Reduction(("operator",), _operator),
    "le": Reduction(("operator",), _operator),
    "gt": Reduction(("operator",), _operator),
    "ge": Reduction(("operator",), _operator),
    "eq": Reduction(("operator",), _operator),
    "ne": Reduction(("operator",), _operator),
    "function_head": Reduction(("function_head",), _leaf),
    "define": Reduction(("function",), _definition),
    "assign": Reduction(("statement",), _named_statement),
    "binding": Reduction(("statement",), _named_statement),
    "bare": Reduction(("statement",), _bare_statement),
    "program": Reduction(("result",), _result),
    "bindings": Reduction(("result",), _result),
    "constant": Reduction(("statement", "result"), _lone_expression),
    "answer": Reduction(("statement", "result"), _lone_expression),
}


def _plans(rules) -> list:
    """Per rule, how its reducer is made: None for a pass-through chain the loop walks
    itself, else (maker, the builder methods it takes, alias, keep, splice). Checks the
    grammar against REDUCTIONS and REDUCTIONS against the builder protocol."""
    unknown = {name for row in REDUCTIONS.values() for name in row.methods} - set(METHODS)
    if unknown:
        raise AssertionError(f"REDUCTIONS name no method of builder.Builder: {sorted(unknown)}")
    plans = []
    for shape, origin, size, keep, splice, alias, expand1 in rules:
        if shape == _PASS:
            plans.append(None)
        elif shape == _SPLICE:
            plans.append((_spliced, (), alias, keep, splice))
        elif alias in REDUCTIONS:
            row = REDUCTIONS[alias]
            plans.append((row.make, row.methods, alias, keep, splice))
        elif expand1:
            plans.append((_pass_through, (), alias, keep, splice))
        else:
            raise AssertionError(f"grammar alias {alias!r} has no row in parser.REDUCTIONS")
    return plans


@lru_cache(maxsize=32)
def _reducers(cls) -> list:
    """Per rule, the function the loop calls for a builder of class `cls` (None for the
    pass-through chains it walks itself). The builder's methods are plain instance
    methods, called as cls.method(builder, …)."""
    missing = missing_methods(cls)
    if missing:
        raise TypeError(f"{cls.__name__} lacks the builder method"
                        f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                        "(language/builder.py)")
    return [None if plan is None else
            plan[0](*plan[2:], *[getattr(cls, name) for name in plan[1]])
            for plan in _machine().plans]


def parse(source: str, start: str = "program", origin: str = "expression", builder=None, *,
          span: tuple[int, int] | None = None):
    """Parse `source` from a start symbol of the grammar (program, bindings, constant,
    answer), calling the builder's methods (builder.Builder) as the parser reduces the
    rules, in post-order, left to right; returns builder.result(). The default builder
    gives the flat syntax tree (syntax.Syntax); lower.ProgramBuilder gives the SSA program.

    With `span` = (lo, hi), only source[lo:hi] is parsed, and every position the builder
    sees or an error holds is still the source's own: `--over x=0:1+:3` parses its middle
    part and points at the `:` after `1+`, under the text as typed. `origin` names that
    text in messages (expression, --at, --lr …)."""
    lo, hi = (0, len(source)) if span is None else span
    if hi - lo > MAX_INPUT_BYTES:  # also the texts that came on the command line
        raise too_large(f"the {origin}", hi - lo, MAX_INPUT_BYTES, "characters")
    m = _machine()
    rows, heads, kinds, unit_chains = m.rows, m.heads, m.kinds, m.unit_chains
    if builder is None:
        from .syntax import SyntaxBuilder  # the product passes its own builders

        builder = SyntaxBuilder(source)
    reducers = _reducers(type(builder))
    # token text → (symbol id, its unit-chain memo, its kind): one lookup per token
    infos: dict[str, tuple] = {}
    end_id = m.ids["$END"]

    # The LALR loop. sstack holds states; vstack holds (value, start, end) per symbol.
    state = m.tables["start"][start]
    end_state = m.tables["end"][start]
    sstack = [state]
    vstack: list = []
    push_state, push_value = sstack.append, vstack.append
    prev = None
    # Lexing: one C call splits the whole text into tokens (the master regex has a
    # catch-all, so they tile it and positions are running sums of lengths); a token's
    # type is its text's, asked of the same regex once per distinct text.
    texts = m.splitter(source, lo, hi)
    texts.append(None)
    pos = lo
    for tvalue in texts:
        if tvalue is not None:
            info = infos.get(tvalue)
            if info is None:
                tid = m.ids[m.master.fullmatch(tvalue).lastgroup]
                info = infos[tvalue] = (tid, unit_chains[tid], kinds[tid])
            tid, chains, kind = info
            tstart = pos
            pos = tend = pos + len(tvalue)
            if kind:
                if kind == 1:  # white space, a comment
                    continue
                raise ParseError(f"unexpected character {tvalue!r}", source=source,
                                 span=(tstart, tend), origin=origin)
        else:
            tid, chains, tstart, tend = end_id, unit_chains[end_id], pos, pos
        while True:
            action = rows[state][tid]
            if action is None:
                raise _unexpected(m, source, (lo, hi), start, origin, tid, tvalue, tstart, prev,
                                  sstack)
            if action >= 0:  # shift
                state = action
                push_state(state)
                push_value((tvalue, tstart, tend))
                break
            rule = ~action
            shape, rule_origin, size = heads[rule]
            if shape == _PASS:
                # A chain of ?rules passing one child through (atom → power → … → expr)
                # leaves the value and span alone and depends only on the state below,
                # the state on top and the lookahead: walk it once, then remember it.
                below = sstack[-2]
                key = below << 16 | state
                final = chains.get(key)
                if final is None:
                    final = chains[key] = _walk_unit_chain(rows, heads, below, state, tid)
                state = sstack[-1] = final
            else:
                if size:
                    kids = vstack[-size:]
                    del vstack[-size:], sstack[-size:]
                    begin, end = kids[0][1], kids[-1][2]
                else:
                    kids, begin, end = (), tstart, tstart
                push_value((reducers[rule](builder, kids, begin, end), begin, end))
                state = rows[sstack[-1]][rule_origin]
                push_state(state)
            if state == end_state and tid == end_id:
                return vstack[-1][0]
        prev = tid
    raise AssertionError("the parse loop ended without accepting")  # pragma: no cover


# What a start symbol that reads one expression says when the text holds more than one
# thing (--lr 0.1,x=2; --expect 'f = 2, 3').
_ONE_EXPRESSION = {"constant": "{origin} takes one constant expression here",
                   "answer": "an answer is one expression"}
_SEPARATORS = ("COMMA", "EQUAL", "SEMICOLON", "_NEWLINE", "COLON")


def _shifts(m: Machine, stack: list, tid: int, end_state: int) -> bool:
    """Whether the parser, with this stack, would shift the terminal `tid` after the
    reductions it makes first. A state's row also holds lookaheads merged from other
    contexts (LALR): a `)` where no ( is open. Only a shift says the token can come next."""
    rows, heads = m.rows, m.heads
    stack = list(stack)
    for _ in range(10_000):  # reductions before a shift are bounded by the stack's depth
        action = rows[stack[-1]][tid]
        if action is None:
            return False
        if action >= 0:
            return True
        _, origin, size = heads[~action]
        if size:
            del stack[-size:]
        stack.append(rows[stack[-1]][origin])
        if stack[-1] == end_state:  # the start symbol reduced: the end is what comes
            return m.symbols[tid] == "$END"
    return False  # pragma: no cover


# What can come next, in a student's words: the operators as one item (.T, @, [ and ²,
# which also may follow an operand, are left out of that list: they are for vectors or
# spell a power another way), the comparisons as another, ; and a new line as one.
_OPERATORS = ("\"+\"", '"-"', '"*"', '"/"', '"**"')
_COMPARISONS = ('"<"', '"<="', '">"', '">="', '"=="', '"!="')
_SIDE = ('".T"', '"@"', '"["', "a power such as ²")


def _stack_before(m: Machine, source: str, lo: int, hi: int, start: str, at: int) -> list:
    """The parser's states just before it read the token at `at`: the loop has made the
    reductions that token asked for when it finds the token wrong, and those can hide
    what could have come instead (after `x < y`, a `*`). Run again without a builder, on
    the error path only."""
    rows, heads = m.rows, m.heads
    stack = [m.tables["start"][start]]
    pos = lo
    for text in m.splitter(source, lo, hi):
        if pos >= at:
            break
        tid = m.ids[m.master.fullmatch(text).lastgroup]
        pos += len(text)
        if m.kinds[tid]:
            continue
        while True:
            action = rows[stack[-1]][tid]
            if action >= 0:
                stack.append(action)
                break
            _, origin, size = heads[~action]
            if size:
                del stack[-size:]
            stack.append(rows[stack[-1]][origin])
    return stack


def _expected(m: Machine, stack: list, end: str | None, end_state: int) -> list[str]:
    words = set()
    for tid, sym in enumerate(m.symbols):
        if sym != sym.upper() or m.kinds[tid] or sym == "DEFINE":
            continue
        if m.rows[stack[-1]][tid] is None or not _shifts(m, stack, tid, end_state):
            continue
        words.add(end if sym == "$END" and end else describe(sym, m.literal))
    return group_expected(words)


def group_expected(words: set[str]) -> list[str]:
    """The terminals that can come next, described, grouped as a student reads them."""
    words = set(words)
    out = []
    if set(_OPERATORS) <= words:
        words -= set(_OPERATORS) | set(_SIDE)
        out.append("an operator (+ - * / **)")
    if set(_COMPARISONS) <= words:
        words -= set(_COMPARISONS)
        out.append("a comparison (< <= > >= == !=)")
    if {'";"', "a new line"} <= words:
        words -= {'";"', "a new line"}
        out.append("; or a new line")
    return out + sorted(words)


def _unexpected(m: Machine, source, span, start, origin, tid, tvalue, tstart, prev,
                sstack) -> ParseError:
    lo, hi = span
    ttype = m.symbols[tid]
    prev_type = m.symbols[prev] if prev is not None else None
    # where the span ends inside the text (at the `:` of a range), its end is that character
    end = f'"{source[hi]}"' if hi < len(source) else None
    if ttype == "$END" and not re.sub(r"#[^\n]*|[\s;]", "", source[lo:hi]):
        # --at "" is not an empty expression: say so only where the text is one
        what = ("the expression is empty: nothing to differentiate"
                if origin.endswith("expression") else "nothing given")
        return ParseError(what, source=source, span=(lo, lo + 1), origin=origin)
    if ttype == "$END" and end:
        what, span = f"unexpected {source[hi]!r}", (hi, hi + 1)
    elif ttype == "$END":
        what, span = "unexpected end of input", (hi, hi + 1)
    elif ttype == "_NEWLINE":
        what, span = "unexpected end of line", (tstart, tstart + 1)
    else:
        what, span = f"unexpected {tvalue!r}", (tstart, tstart + len(tvalue))
    expected = _expected(m, _stack_before(m, source, lo, hi, start, tstart), end,
                         m.tables["end"][start])
    hint = None
    operand_end = ("NUMBER", "NAME", "RPAR", "SUPERSCRIPT")
    if prev_type in operand_end and ttype in ("NUMBER", "NAME", "LPAR"):
        hint = "a missing operator? Multiplication is written with *, as in 2*x"
    elif ttype == "$END" and "\")\"" in expected:
        hint = "a ( is not closed"
    elif start in _ONE_EXPRESSION and ttype in _SEPARATORS:
        hint = _ONE_EXPRESSION[start].format(origin=origin)
    elif ttype == "EQUAL":
        hint = "= names a statement (c = a + b) or a value after --at (x=2)"
    return ParseError(what, source=source, span=span, origin=origin, expected=expected, hint=hint)
