"""The grammar's compiler: Lark reads grammar/backprop.lark and builds the LALR(1) tables,
which are written as plain data into lalr_tables.py, committed beside the parse loop.

A run never compiles, never imports Lark and never reads or writes a cache: it imports the
committed module, which is part of the package. After a change to the grammar, run

    python -m backprop_cli.language.compile

and commit both files; tests/test_parser.py rebuilds the tables and fails when the
committed ones differ from what the grammar gives.
"""

from __future__ import annotations

import json
import os
import sys

# The grammar's start symbols, each a kind of text the product parses (grammar/backprop.lark).
START_SYMBOLS = ("program", "bindings", "constant", "answer")

TABLES_MODULE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lalr_tables.py")


def grammar_path() -> str:
    """grammar/ at the top of a source checkout, or backprop_cli/grammar/ in a wheel."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder in (os.path.join(os.path.dirname(package), "grammar"),
                   os.path.join(package, "grammar")):
        path = os.path.join(folder, "backprop.lark")
        if os.path.exists(path):
            return path
    raise FileNotFoundError("grammar/backprop.lark is neither in the checkout nor the package")


def grammar_text() -> str:
    with open(grammar_path(), encoding="utf-8") as f:
        return f.read()


def build_tables(text: str) -> dict:
    """Compile the grammar with Lark into plain data (str, int, bool, tuple, list, dict)."""
    import lark

    compiled = lark.Lark(text, parser="lalr", lexer="basic", start=list(START_SYMBOLS),
                         maybe_placeholders=False)
    # Lark's compiled tables sit behind its front-end objects; read once, here, at build time
    table = compiled.parser.parser.parser.parse_table
    # Lark numbers states in an order that depends on string hashing; number them again
    # breadth-first from the start states, symbols in sorted order, so a build is the same
    # on every run and the committed tables can be compared with a fresh build.
    raw = {state: sorted((str(sym), action.name, arg) for sym, (action, arg) in actions.items())
           for state, actions in table.states.items()}
    order = [table.start_states[name] for name in sorted(table.start_states)]
    number = {state: k for k, state in enumerate(order)}
    for state in order:  # grows while it is walked
        for _, action, arg in raw[state]:
            if action == "Shift" and arg not in number:
                number[arg] = len(order)
                order.append(arg)
    rule_ids: dict = {}
    rules = []
    states = {}
    for state in order:
        row = {}
        for sym, action, arg in raw[state]:
            if action == "Shift":
                row[sym] = number[arg]
            else:
                if arg not in rule_ids:
                    rule_ids[arg] = len(rules)
                    rules.append(arg)
                row[sym] = ~rule_ids[arg]
        states[number[state]] = row
    rule_rows = []
    for rule in rules:
        keep = [i for i, sym in enumerate(rule.expansion)
                if rule.options.keep_all_tokens or not (sym.is_term and sym.filter_out)]
        splice = [i for i in keep if not rule.expansion[i].is_term
                  and rule.expansion[i].name.startswith("_")]
        name = str(rule.alias or rule.origin.name)
        rule_rows.append((str(rule.origin.name), len(rule.expansion), tuple(keep), tuple(splice),
                          name, bool(rule.options.expand1) and not rule.alias))
    # Lark's own order for a longest-match-first master regex.
    terminals = sorted(compiled.terminals, key=lambda t: (-t.priority, -t.pattern.max_width,
                                                          -len(t.pattern.value), t.name))
    return {
        "states": states,
        "start": {name: number[s] for name, s in sorted(table.start_states.items())},
        "end": {name: number[s] for name, s in sorted(table.end_states.items())},
        "rules": rule_rows,
        "terminals": [(t.name, t.pattern.to_regexp(), t.pattern.type == "str" and t.pattern.value)
                      for t in terminals],
        "ignore": sorted(compiled.lexer_conf.ignore),
    }


def module_text(tables: dict) -> str:
    """The tables as the text of a module holding one JSON string: json.loads reads it in
    about 0.3 ms, where Python takes about 7 ms to build a dict literal of this size, and
    every run of the command pays for that at start-up. One state per line, so a change of
    the grammar reads as a diff. States are numbered 0, 1, …, so they are a list."""
    assert list(tables["states"]) == list(range(len(tables["states"])))
    parts = ['{"states": [']
    last = len(tables["states"]) - 1
    for k, actions in tables["states"].items():
        parts.append(json.dumps(sorted(actions.items()), separators=(",", ":"))
                     + ("," if k < last else ""))
    parts.append("],")
    rest = [key for key in tables if key != "states"]
    for n, key in enumerate(rest):
        parts.append(f"{json.dumps(key)}: {json.dumps(tables[key], separators=(',', ':'))}"
                     + ("," if n < len(rest) - 1 else "}"))
    body = "\n".join(f"    {part!r}" for part in parts)
    return ('"""LALR(1) tables of grammar/backprop.lark, as JSON (see compile.module_text).\n'
            'Generated by compile.py: do not edit; run `python -m backprop_cli.language.compile`\n'
            'after changing the grammar."""\n\n'
            f"TABLES_JSON = (\n{body}\n)\n")


def load(text: str) -> dict:
    """The tables from module_text's JSON, in build_tables' own shape."""
    raw = json.loads(text)
    return {"states": {k: dict(actions) for k, actions in enumerate(raw["states"])},
            "start": raw["start"], "end": raw["end"],
            "rules": [(origin, size, tuple(keep), tuple(splice), name, expand1)
                      for origin, size, keep, splice, name, expand1 in raw["rules"]],
            "terminals": [tuple(row) for row in raw["terminals"]],
            "ignore": raw["ignore"]}


def main() -> int:
    text = module_text(build_tables(grammar_text()))
    with open(TABLES_MODULE, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {TABLES_MODULE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
