"""Answers files: several problems, each an expression, a point and the expected answers,
in TOML or JSON of one shape:

    [[problems]]
    name = "lecture exercise g"
    expression = "x*y*exp(x*y)"
    at = "x=1,y=2"
    [problems.expect]
    "dg/dx" = "y*exp(x*y) + x*y**2*exp(x*y)"
    w4 = "2"

Answers are strings (which keep the digits written) or numbers; a TOML or JSON float
is read by its shortest repr, so 0.50 reads as 0.5. Reading checks the shape only;
grading.py grades.
"""

from __future__ import annotations

import json
import math
import re
import sys

from .grading import Problem, entry
from ..errors import (MAX_DEPTH, MAX_DIGITS, MAX_INPUT_BYTES, AnswerError, LimitError,
                      UsageError, printable, too_large)

_KEYS = ("name", "expression", "at", "expect")


def _format(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".toml"):
        return "toml"
    if lower.endswith(".json"):
        return "json"
    raise UsageError(f"{path}: an answers file ends in .toml or .json")


def _read(path: str) -> str:
    """The file's text, read no further than the limit; a byte-order mark dropped."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise AnswerError(f"cannot read {printable(path)}: {e.strerror}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise too_large(printable(path), len(data), MAX_INPUT_BYTES, "bytes or more")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnswerError(f"cannot read {printable(path)}: it is not UTF-8 text") from None


# What is inside strings and comments, which nest nothing and may hold any bracket.
_QUOTED = {"json": re.compile(r'"(?:[^"\\]|\\.)*"?'),
           "toml": re.compile(r'"""[\s\S]*?(?:"""|$)|\'\'\'[\s\S]*?(?:\'\'\'|$)'
                              r'|"(?:[^"\\\n]|\\.)*"?|\'[^\'\n]*\'?|#[^\n]*')}
_LONG_NUMBER = re.compile(r"[0-9_]{%d,}" % (MAX_DIGITS + 1))


def _refuse_deep_or_long(text: str, path: str, fmt: str) -> None:
    """Nesting past MAX_DEPTH and numbers past MAX_DIGITS digits, found in one linear
    pass before a decoder meets them (json and tomllib recurse per level, and Python
    reads no integer of over 4300 digits)."""
    bare = _QUOTED[fmt].sub(" ", text)
    m = _LONG_NUMBER.search(bare)
    if m:
        raise LimitError(f"{printable(path)}: a number of {m.end() - m.start():,} digits; "
                         f"at most {MAX_DIGITS:,}")
    import numpy as np

    codes = np.frombuffer(bare.encode("utf-8"), dtype=np.uint8)
    steps = (np.isin(codes, (0x5b, 0x7b)).astype(np.int32)
             - np.isin(codes, (0x5d, 0x7d)).astype(np.int32))
    depth = int(np.max(np.cumsum(steps), initial=0))
    if depth > MAX_DEPTH:
        raise LimitError(f"{printable(path)}: nested {depth:,} levels deep; at most "
                         f"{MAX_DEPTH}")


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(s) + 1 for s in lines[: line - 1]) + column - 1


def _decode(text: str, path: str, fmt: str):
    """The document, or an error with a caret at the place the decoder stopped."""
    _refuse_deep_or_long(text, path, fmt)
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise AnswerError(f"not valid JSON: {e.msg}", source=text,
                              span=(e.pos, e.pos + 1), origin=path) from None
        except (ValueError, RecursionError) as e:  # what the scan above let pass
            raise AnswerError(f"{printable(path)}: not valid JSON ({printable(str(e))})") \
                from None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if m:
            at = _offset(text, int(m.group(1)), int(m.group(2)))
            raise AnswerError(f"not valid TOML: {message[:m.start()]}", source=text,
                              span=(at, at + 1), origin=path) from None
        raise AnswerError(f"{path}: not valid TOML: {message}") from None
    except (ValueError, RecursionError) as e:
        raise AnswerError(f"{printable(path)}: not valid TOML ({printable(str(e))})") \
            from None


def _answer_text(value, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise AnswerError(f"{where}: an answer is a string or a number, "
                          f"not {type(value).__name__}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AnswerError(f"{where}: {value} is not a number an answer can be")
        return repr(value)
    return str(value)


def _at(value, where: str):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {k: _answer_text(v, f"{where}, value of {k}") for k, v in value.items()}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise AnswerError(f"{where}: at is a string such as \"x=1,y=2\" or a table of values")


def load_answers(path: str) -> list[Problem]:
    """The problems of an answers file; AnswerError (exit 2) naming the problem and key."""
    fmt = _format(path)
    doc = _decode(_read(path), path, fmt)
    problems = doc.get("problems") if isinstance(doc, dict) else None
    if not isinstance(problems, list) or not problems:
        raise AnswerError(f"{path}: no problems: the file needs a list \"problems\" of "
                          "tables with expression, at and expect")
    if isinstance(doc, dict) and set(doc) != {"problems"}:
        extra = sorted(set(doc) - {"problems"})
        raise AnswerError(f"{path}: unknown key {extra[0]!r} at the top; the file holds "
                          "only \"problems\"")
    out = []
    for k, p in enumerate(problems, 1):
        if not isinstance(p, dict):
            raise AnswerError(f"{path}: problem {k} is not a table")
        name = p.get("name", f"problem {k}")
        where = f"{path}, problem {name!r}" if "name" in p else f"{path}, problem {k}"
        if not isinstance(name, str):
            raise AnswerError(f"{where}: name is a string")
        unknown = [key for key in p if key not in _KEYS]
        if unknown:
            raise AnswerError(f"{where}: unknown key {unknown[0]!r}; a problem has "
                              + ", ".join(_KEYS))
        expression = p.get("expression")
        if not isinstance(expression, str):
            raise AnswerError(f"{where}: " + ("no expression" if expression is None
                                              else "expression is a string"))
        expect = p.get("expect")
        if not isinstance(expect, dict) or not expect:
            raise AnswerError(f"{where}: " + ("no expect" if expect is None else
                                              "expect is a table of target = answer")
                              + ", e.g. \"dg/dx\" = \"y*exp(x*y)\"")
        entries = [entry(target, _answer_text(answer, f"{where}, key {target!r}"),
                         f"{where}, key {target!r}") for target, answer in expect.items()]
        out.append(Problem(name, expression, _at(p.get("at"), f"{where}, key 'at'"), entries,
                           where))
    return out


def _toml_string(s: str) -> str:
    # JSON's string escapes (\" \\ \n \t \uXXXX) are all TOML basic-string escapes too
    return json.dumps(s, ensure_ascii=True)


def _toml_key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_-]+", s) else _toml_string(s)


def dump_answers(problems: list[dict], fmt: str) -> str:
    """Problems (dicts as grading.answer_key makes them) as the text of an answers file."""
    if fmt == "json":
        return json.dumps({"problems": problems}, ensure_ascii=False, indent=2) + "\n"
    lines = []
    for p in problems:
        lines.append("[[problems]]")
        for key in ("name", "expression", "at"):
            if key in p:
                lines.append(f"{key} = {_toml_string(p[key])}")
        lines.append("[problems.expect]")
        lines += [f"{_toml_key(k)} = {_toml_string(v)}" for k, v in p["expect"].items()]
        lines.append("")
    return "\n".join(lines)


def write_answers(path: str, problems: list[dict]) -> None:
    text = dump_answers(problems, _format(path))
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None
