"""Text → whatever a builder makes of it, driven by the LALR tables Lark builds from grammar/.

Lark is the grammar's compiler: it reads backprop.lark and builds the LALR(1) tables and
the terminal patterns. Running them is this module's loop, not Lark's parser: Lark's
runtime parser costs 10–20 µs a token here, too slow for a 10^6-node expression, and this
loop with one master regex a few µs (benchmarks/bench.py, the `parse` column).
tests/test_parser.py holds it against Lark's own parser. The tables are cached on disk
(marshal, keyed by the grammar's text and Python's version), so a run does not import Lark.

At each reduction the loop calls the builder's number, name, operator, call or statement
(and for tensors tensor_op, array and slice),
in post-order, left to right, as Lark's transformer does when it transforms while
parsing: lower.ProgramBuilder makes SSA nodes, lower.ConstantBuilder folds --at values,
syntax.SyntaxBuilder (the default) makes the plain flat tree. Tree shaping follows Lark's
rules for what the grammar uses: anonymous and _underscored tokens are dropped,
_underscored rules are spliced into their parent, a ?rule with one child passes it
through, and an alias (-> add) names the builder call.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from ..errors import ParseError

# How the terminals of the grammar are named to a user in "expected: …".
_FRIENDLY = {"NAME": "a name", "NUMBER": "a number", "SUPERSCRIPT": "a power such as ²",
             "_NEWLINE": "a new line", "$END": "the end of the input",
             "_MINUS": '"-"', "_TIMES": '"*"', "_POW": '"**"', "_DOT_T": '".T"'}


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


# Rule shapes, decided once per rule so the parse loop branches on a small int.
_PASS, _SPLICE, _BUILD = 0, 1, 2


@lru_cache(maxsize=1)
def _machine() -> Machine:
    from .lalr_tables import TABLES as t  # generated from grammar/ by compile.py

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
                   literal, [{} for _ in symbols])


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


_OPERATORS = frozenset({"add", "sub", "mul", "div", "neg", "pow"})
_TENSOR_OPS = frozenset({"matmul", "transpose", "index"})
_SLICES = frozenset({"slice_all", "slice_from", "slice_to", "slice_range"})
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _reducers(rules, builder) -> list:
    """One function per rule: it takes the values the rule reduces, as a list of
    (value, start, end), and gives the value of the rule, asking the builder for a node
    where the rule has an alias. The tree shaping is decided here, once per rule."""
    operator, number, name, call = builder.operator, builder.number, builder.name, builder.call
    statement = builder.statement

    def children(kids, keep, splice):
        out = []
        for i in keep:
            if i in splice:
                out.extend(kids[i][0])
            else:
                out.append(kids[i][0])
        return out

    def make_operator(op, keep):
        if len(keep) == 2:
            i, j = keep
            return lambda kids, begin, end: operator(op, (kids[i][0], kids[j][0]), begin, end)
        (i,) = keep
        return lambda kids, begin, end: operator(op, (kids[i][0],), begin, end)

    def make_call(keep, splice):
        if len(keep) == 2 and not splice:  # NAME ( expr ): the usual case
            i, j = keep

            def reduce_one(kids, begin, end):
                fname = kids[i][0]
                return call(fname, (kids[j][0],), begin, end, begin + len(fname))
            return reduce_one

        def reduce(kids, begin, end):
            fname, *args = children(kids, keep, splice)
            return call(fname, tuple(args), begin, end, begin + len(fname))
        return reduce

    def make_statement(keep, splice, named):
        def reduce(kids, begin, end):
            got = children(kids, keep, splice)
            statement(got[0] if named else None, got[-1], begin, end)
        return reduce

    def make_superscript(keep):
        # x² is x**2: the exponent is a number whose span is the superscript digits
        i, j = keep

        def reduce(kids, begin, end):
            digits, dstart, dend = kids[j]
            exponent = number(digits.translate(_SUPERSCRIPT_DIGITS), dstart, dend)
            return operator("pow", (kids[i][0], exponent), begin, end)
        return reduce

    def make_single(keep, splice):
        # a ?rule whose one child passes through, such as ( expr )
        return lambda kids, begin, end: children(kids, keep, splice)[0]

    out = []
    for shape, origin, size, keep, splice, alias, expand1 in rules:
        if shape == _PASS:
            out.append(None)
        elif shape == _SPLICE:
            out.append(lambda kids, begin, end, keep=keep, splice=splice:
                       children(kids, keep, splice))
        elif alias in _OPERATORS:
            out.append(make_operator(alias, keep))
        elif alias == "number":
            out.append(lambda kids, begin, end: number(kids[0][0], begin, end))
        elif alias == "name":
            out.append(lambda kids, begin, end: name(kids[0][0], begin, end))
        elif alias == "call":
            out.append(make_call(keep, splice))
        elif alias == "superscript":
            out.append(make_superscript(keep))
        elif alias in _TENSOR_OPS:  # A @ B, A.T, x[0]: the ops of tensors
            out.append(lambda kids, begin, end, alias=alias, keep=keep, splice=splice:
                       builder.tensor_op(alias, tuple(children(kids, keep, splice)), begin, end))
        elif alias == "array":
            out.append(lambda kids, begin, end, keep=keep, splice=splice:
                       builder.array(children(kids, keep, splice), begin, end))
        elif alias in _SLICES:
            out.append(lambda kids, begin, end, alias=alias, keep=keep:
                       builder.slice(alias, tuple(kids[i][0] for i in keep), begin, end))
        elif alias in ("assign", "binding", "bare"):
            out.append(make_statement(keep, splice, alias != "bare"))
        elif alias in ("program", "bindings"):
            out.append(lambda kids, begin, end: builder.result())
        elif expand1:
            out.append(make_single(keep, splice))
        else:  # pragma: no cover - a grammar alias without a builder method
            raise AssertionError(f"grammar rule {alias!r} has no builder")
    return out


def parse(source: str, start: str = "program", origin: str = "expression", builder=None):
    """Parse `source` from the start symbol `program` or `bindings`, calling the builder's
    number, name, operator, call and statement as the parser reduces the rules, in
    post-order, left to right; returns builder.result(). The default builder gives the
    flat syntax tree (syntax.Syntax); lower.ProgramBuilder gives the SSA program."""
    m = _machine()
    rows, heads, kinds, unit_chains = m.rows, m.heads, m.kinds, m.unit_chains
    if builder is None:
        from .syntax import SyntaxBuilder  # the product passes its own builders

        builder = SyntaxBuilder(source)
    reducers = _reducers(m.rules, builder)
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
    texts = m.splitter(source)
    texts.append(None)
    pos = 0
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
                raise _unexpected(m, source, origin, tid, tvalue, tstart, prev, rows[state])
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
                push_value((reducers[rule](kids, begin, end), begin, end))
                state = rows[sstack[-1]][rule_origin]
                push_state(state)
            if state == end_state and tid == end_id:
                return vstack[-1][0]
        prev = tid
    raise AssertionError("the parse loop ended without accepting")  # pragma: no cover


def _unexpected(m: Machine, source, origin, tid, tvalue, tstart, prev, row) -> ParseError:
    ttype = m.symbols[tid]
    prev_type = m.symbols[prev] if prev is not None else None
    expected = sorted({describe(sym, m.literal) for sym, action in zip(m.symbols, row)
                       if action is not None and sym == sym.upper()})
    if ttype == "$END" and not re.sub(r"#[^\n]*|[\s;]", "", source):
        # --at "" is not an empty expression: say so only where the text is one
        what = ("the expression is empty: nothing to differentiate"
                if origin.endswith("expression") else "nothing given")
        return ParseError(what, source=source, span=(0, 1), origin=origin)
    if ttype == "$END":
        what, span = "unexpected end of input", (len(source), len(source) + 1)
    elif ttype == "_NEWLINE":
        what, span = "unexpected end of line", (tstart, tstart + 1)
    else:
        what, span = f"unexpected {tvalue!r}", (tstart, tstart + len(tvalue))
    hint = None
    operand_end = ("NUMBER", "NAME", "RPAR", "SUPERSCRIPT")
    if prev_type in operand_end and ttype in ("NUMBER", "NAME", "LPAR"):
        hint = "a missing operator? Multiplication is written with *, as in 2*x"
    elif ttype == "$END" and "\")\"" in expected:
        hint = "a ( is not closed"
    elif ttype == "EQUAL":
        hint = "= names a statement (c = a + b) or a value after --at (x=2)"
    return ParseError(what, source=source, span=span, origin=origin, expected=expected, hint=hint)
