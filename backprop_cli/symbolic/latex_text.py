r"""Text made safe for LaTeX: the names a user wrote, the constants on the edges, the
numbers. Nothing user-written reaches a .tex file unescaped: a name x_1 would otherwise
become a subscript, and a θ stop pdflatex.

Core code, no renderer: formula.py prints constants with it in its "latex" style.
"""

from __future__ import annotations

import re
import unicodedata

from ..engine.program import Const

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)(?:[eE]([-+]?\d+))?")
_TEXT_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
                 "#": r"\#", "%": r"\%", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
                 "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
# Greek letters pdflatex spells as commands; the capitals missing here look like Latin ones
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
          "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
          "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi",
          "Sigma", "Upsilon", "Phi", "Psi", "Omega"}
# what the tables and the source may hold besides ASCII
_SYMBOLS = {"·": r"\cdot", "×": r"\times", "−": "-", "√": r"\surd", "…": r"\dots",
            "∂": r"\partial", "̄": ""}
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _char_math(c: str) -> str:
    r"""One non-ASCII character as math: θ → \theta, é → e, ² → ^{2}."""
    if c in _SYMBOLS:
        return _SYMBOLS[c]
    if c in _SUPERSCRIPTS:
        return f"^{{{_SUPERSCRIPTS.index(c)}}}"
    name = unicodedata.name(c, "")
    if name.startswith("GREEK "):
        letter = name.split()[-1].lower()
        letter = "epsilon" if letter == "epsilon" else letter
        if "CAPITAL" in name:
            letter = letter.capitalize()
        if letter in _GREEK:
            return "\\" + letter + " "
    plain = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    return plain if plain.isalnum() else f"\\text{{U+{ord(c):04X}}}"


def name_math(name: str) -> str:
    r"""A user's name in math mode: x, \mathit{rate}, \mathit{x\_1}, \theta."""
    if name.isascii():
        body = name.replace("_", r"\_")
        return body if len(name) == 1 else f"\\mathit{{{body}}}"
    body = "".join(c if c.isascii() else _char_math(c) for c in name).replace("_", r"\_")
    return body.strip() if len(name) == 1 else f"\\mathit{{{body.strip()}}}"


def text(s: str) -> str:
    """Any string for running text: LaTeX's specials escaped, other characters as math."""
    out = []
    for c in s:
        if c in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[c])
        elif c.isascii():
            out.append(c)
        elif unicodedata.combining(c):
            continue
        else:
            out.append(f"${_char_math(c).strip()}$")
    return "".join(out)


def number(x_text: str) -> str:
    r"""A printed number (render/numbers.fmt, or a constant's text) as math:
    1e-05 → 1 \times 10^{-5}, inf → \infty."""
    sign = ""
    if x_text.startswith("-"):
        sign, x_text = "-", x_text[1:]
    if x_text == "inf":
        return sign + r"\infty"
    if x_text == "nan":
        return r"\mathrm{NaN}"
    m = _NUMBER.fullmatch(x_text)
    if m is None:
        return sign + text(x_text)
    mantissa, exponent = m.groups()
    if exponent is None:
        return sign + mantissa
    exponent = str(int(exponent))
    return sign + (f"10^{{{exponent}}}" if mantissa == "1"
                   else f"{mantissa} \\times 10^{{{exponent}}}")


_ATOM, _NEG = 5, 3  # formula.py's precedences of an atom and of a negation


def const_latex(c: Const) -> tuple[str, int]:
    r"""(LaTeX, precedence) of a constant operand: 2, \pi, 1 \times 10^{-3}."""
    t = c.text
    if t in ("pi", "π"):
        return r"\pi", _ATOM
    if t == "e":
        return "e", _ATOM
    if _NUMBER.fullmatch(t.removeprefix("-")):
        return number(t), (_NEG if t.startswith("-") else _ATOM)
    # a constant expression (2*pi) comes here only when too long to print as its formula:
    # its value, every digit, since a folded constant is always finite
    return number(f"{float(c.value):.17g}"), (_NEG if c.value < 0 else _ATOM)
