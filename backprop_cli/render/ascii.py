"""ASCII spellings for a terminal that cannot encode Unicode (PYTHONIOENCODING=cp1252 or
ascii, an old Windows console, a C locale): w̄1 is w1bar, ∂f/∂x df/dx, · *, − -, x² x**2,
Aᵀ A.T. Any other character, such as a user's θ, is escaped as \\u03b8, which no name in
the language can be mistaken for.

Where: Rich lays out tables before writing, so the consoles of render/console.py spell
their text here before layout (a column stays a column when w̄1 grows to w1bar); whatever
is printed without Rich (help, LaTeX, DOT, Markdown, CSV, JSON) is spelled by a codec
error handler on the stream itself, which cli installs once (ascii_streams). Such a stream
is switched to plain ASCII, so that every non-ASCII character reaches the handler with its
neighbours (cp1252 could encode ² but not ⁴, and x²⁴ would come out half spelled).

This module imports neither Rich nor numpy: it runs before the arguments are parsed.
"""

from __future__ import annotations

import codecs
import contextlib
import sys
import unicodedata

# Notation, spelled as the grammar reads it where it can (so a formula copied from an
# ASCII terminal still parses): one spelling per symbol.
SYMBOLS = {
    "·": "*", "×": "x", "⊙": "(*)", "−": "-", "–": "-", "—": "--", "∂": "d", "∇": "grad",
    "√": "sqrt", "‖": "||", "…": "...", "⋮": ":", "→": "->", "←": "<-", "≥": ">=",
    "≤": "<=", "≠": "!=", "≈": "~", "✓": "+", "✗": "x", "•": "o", "π": "pi", "½": "1/2",
    "ᵀ": ".T", "│": "|", "─": "-", "└": "+", "░": ".", "▒": ":", "▓": "#", "█": "@",
    "\u00a0": " ",
}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵏⁿ", "0123456789-+kn"))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₙ", "0123456789ijkn"))
# Marks on a name (w̄4, ẇ4, ā): written after the name's index, as the grammar's w4bar.
MARKS = {"\u0304": "bar", "\u02c9": "bar", "\u0307": "dot", "\u0302": "hat"}


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _index_end(text: str, i: int) -> int:
    """Where the digits and subscripts that index a name (w̄12, w̄ᵢ) end."""
    while i < len(text) and (text[i].isascii() and text[i].isdigit() or text[i] in SUBSCRIPTS):
        i += 1
    return i


def _index(text: str) -> str:
    return "".join(SUBSCRIPTS.get(c, c) for c in text)


def spell_at(text: str, i: int) -> tuple[str, int]:
    """The ASCII spelling of the character at i, and where the next one starts (a mark
    takes the index after it along: w̄12 is w, then 12bar)."""
    ch = text[i]
    if ch.isascii():
        return ch, i + 1
    if ch in MARKS:  # a mark on the letter before it
        end = _index_end(text, i + 1)
        return _index(text[i + 1:end]) + MARKS[ch], end
    if ch in SUPERSCRIPTS:  # x⁻¹⁰ is x**-10
        end = i
        while end < len(text) and text[end] in SUPERSCRIPTS:
            end += 1
        return "**" + "".join(SUPERSCRIPTS[c] for c in text[i:end]), end
    if ch in SUBSCRIPTS:
        return SUBSCRIPTS[ch], i + 1
    if ch == "Σ":  # Σⱼ is sum_j, a bare Σ sum
        return ("sum_" if i + 1 < len(text) and text[i + 1] in SUBSCRIPTS else "sum"), i + 1
    if ch in SYMBOLS:
        return SYMBOLS[ch], i + 1
    base, *marks = unicodedata.normalize("NFD", ch)  # ẇ is w and a dot, ā a and a macron
    if base.isascii() and base.isalpha() and marks and all(m in MARKS for m in marks):
        end = _index_end(text, i + 1)
        return base + _index(text[i + 1:end]) + "".join(MARKS[m] for m in marks), end
    return _escape(ch), i + 1


def pieces(text: str):
    """(start, end, spelling) for consecutive spans of text, together covering it."""
    i = 0
    while i < len(text):
        spelled, end = spell_at(text, i)
        yield i, end, spelled
        i = end


def spell(text: str) -> str:
    """text in ASCII: the notation spelled out, anything else escaped."""
    if text.isascii():
        return text
    return "".join(s for _, _, s in pieces(text))


def spell_excerpt(line: str, carets: str) -> tuple[str, str]:
    """An error's source line spelled, and its carets moved under the same characters
    (log(θ) grows to log(\\u03b8), and the carets with it)."""
    start = len(carets) - len(carets.lstrip(" "))
    end = len(carets.rstrip(" "))
    where, length = [0] * (len(line) + 2), 0
    parts = []
    for a, b, spelled in pieces(line):
        for k in range(a, b):
            where[k] = length
        parts.append(spelled)
        length += len(spelled)
    where[len(line)] = where[len(line) + 1] = length
    start, end = min(start, len(line)), min(max(end, start + 1), len(line) + 1)
    begin = where[start]
    finish = where[end] if end <= len(line) else length + (end - len(line))
    return "".join(parts), " " * begin + "^" * max(1, finish - begin)


def _spell_error(error: UnicodeError):
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return spell_at(error.object, error.start)


def _json_error(error: UnicodeError):
    """JSON's own escape, as json.dumps(ensure_ascii=True) writes it: outside strings a
    JSON document is ASCII already, so this is the same document."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    code = ord(error.object[error.start])
    if code > 0xFFFF:  # a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}", error.start + 1
    return f"\\u{code:04x}", error.start + 1


codecs.register_error("backprop-ascii", _spell_error)
codecs.register_error("backprop-json", _json_error)


def speaks_unicode(stream) -> bool:
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    return encoding.startswith("utf")


@contextlib.contextmanager
def ascii_streams(json_out: bool = False):
    """Standard output and error in ASCII, spelled as above, where they cannot encode
    Unicode; JSON on stdout gets JSON's escapes instead, which keep it the same document.
    Restored afterwards: a caller of cli.main in its own process keeps its streams."""
    changed = []
    for name, errors in (("stdout", "backprop-json" if json_out else "backprop-ascii"),
                         ("stderr", "backprop-ascii")):
        stream = getattr(sys, name)
        if stream is None or speaks_unicode(stream) or not hasattr(stream, "reconfigure"):
            continue
        before = (stream, stream.encoding, stream.errors)
        try:
            stream.reconfigure(encoding="ascii", errors=errors)
        except (OSError, ValueError):  # a stream that cannot change: write as it is
            continue
        changed.append(before)
    try:
        yield
    finally:
        for stream, encoding, errors in changed:
            with contextlib.suppress(Exception):  # a closed pipe cannot be flushed
                stream.reconfigure(encoding=encoding, errors=errors)
