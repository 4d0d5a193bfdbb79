"""Exact numbers for formulas: what a person writes, not what a float holds.

A constant's rational value comes from its decimal text (0.1 is 1/10, not the float
nearest it); arithmetic on such values is exact (fractions.Fraction). formula.py folds an
operation on numbers only when the result is short() — a decimal a user could have typed
— and otherwise keeps the operation (1/3 stays a division); simplify.py carries rational
coefficients and prints them with text().
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

DECIMAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
SHORT = 10  # characters in the longest folded number: 1048576, 0.125, -2.5
BIG = 10 ** 15  # past this, a numerator or denominator is no longer exact in a float
MAX_EXPONENT = 64  # an exact integer power past this would grow without bound


@lru_cache(maxsize=4096)  # the same few texts, over and over in a big graph
def rational(text: str) -> Fraction | None:
    """The exact value of a number as written: '0.1' is 1/10; None for 'pi' or '2*pi'."""
    if DECIMAL.fullmatch(text) is None:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def arith(op: str, args: list) -> Fraction | None:
    """An infix op on exact values, or None when the result is not exact (2**0.5), not
    defined (1/0), or would grow past any use."""
    if op == "neg":
        return -args[0]
    a, b = Fraction(args[0]), args[1]  # an int over an int is no float
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / b if b else None
    if op == "pow":
        if b.denominator != 1 or abs(b) > MAX_EXPONENT or (a == 0 and b < 0):
            return None
        return a ** int(b)
    return None


def bounded(r):
    """r, or the shortest decimal of its float when it has grown too long to print
    (1.1**40): the exact form is for numbers a person reads. A whole number comes back
    as an int, which hashes and multiplies faster than a Fraction."""
    if not (abs(r.numerator) < BIG ** 2 and r.denominator < BIG ** 2):
        r = Fraction(repr(float(r)))
    return r.numerator if r.denominator == 1 else r


@lru_cache(maxsize=4096)
def decimal(r: Fraction) -> str | None:
    """r as the decimal a user types (3, 0.5, -2.5, 1e-05), if that is exactly r."""
    if r.denominator == 1 and abs(r.numerator) < BIG:
        return str(r.numerator)
    text = repr(float(r))
    if Fraction(text) != r:
        return None
    return text.removesuffix(".0")


def short(r: Fraction) -> str | None:
    """decimal(r) when it is at most SHORT characters: 0.5, 2.5, 1024, not 0.3333…"""
    text = decimal(r)
    return text if text is not None and len(text) <= SHORT else None


def small_ratio(r: Fraction) -> bool:
    """Whether p/q reads as a fraction a person writes: 1/3, 22/7, not 1/3074457345618258."""
    return abs(r.numerator) < 10 ** 6 and r.denominator < 10 ** 6
