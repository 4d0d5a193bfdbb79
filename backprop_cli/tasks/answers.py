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
from ..errors import AnswerError, UsageError

_KEYS = ("name", "expression", "at", "expect")


def _format(path: str) -> str:
    lower = path.lower()
    if lower.endswith(".toml"):
        return "toml"
    if lower.endswith(".json"):
        return "json"
    raise UsageError(f"{path}: an answers file ends in .toml or .json")


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise AnswerError(f"cannot read {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise AnswerError(f"cannot read {path}: it is not UTF-8 text") from None


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(s) + 1 for s in lines[: line - 1]) + column - 1


def _decode(text: str, path: str, fmt: str):
    """The document, or an error with a caret at the place the decoder stopped."""
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise AnswerError(f"not valid JSON: {e.msg}", source=text,
                              span=(e.pos, e.pos + 1), origin=path) from None
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
