"""The one entry point: text and a point in, a Trace out. The CLI is a thin layer on it."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from contextlib import contextmanager

from ..errors import BackpropError, InputError, UsageError
from ..language.lower import binding_texts, binding_values, lower
from ..engine.evaluate import evaluate, second_order, tangents
from ..engine.trace import Trace

def parse_point(at: str | list[str] | Mapping | None, origin: str = "--at") -> dict[str, float]:
    """Values for the inputs: "x=2,y=pi/2" (or several such strings), or a mapping whose
    values are numbers or constant expressions. Each text is parsed by the grammar;
    `origin` names the option in error messages."""
    if at is None:
        return {}
    if isinstance(at, Mapping):
        given = {k: v for k, v in at.items() if not isinstance(v, str)}
        point = {k: _array(v) for k, v in given.items()}  # numbers and arrays as they are
        texts = [f"{k}={v}" for k, v in at.items() if isinstance(v, str)]
        return {**point, **parse_point(texts)} if texts else point
    elif isinstance(at, str):
        at = [at]
    point: dict[str, float] = {}
    for text in at:
        for name, value, span in binding_values(text, origin):
            if name in point:
                raise InputError(f"{name} is given twice", source=text, span=span,
                                 origin=origin)
            point[name] = value
    return point


def _array(v):
    import numpy as np

    a = np.asarray(v, dtype=float)
    return a if a.ndim else float(a)


@contextmanager
def _no_cyclic_gc():
    """The stages allocate millions of small acyclic objects on a big input; the cyclic
    collector would walk all of them again and again (measured: about 1.7x the time of
    lowering at 10^5 nodes) and can free none of them. Reference counting still frees."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


MODES = ("reverse", "forward", "both")


def differentiate(source: str, at=None, *, share: bool = True, mode: str = "reverse",
                  seed=None, jacobian: bool = False, hessian: bool = False,
                  hvp=None) -> Trace:
    """Parse, lower, and run the forward and reverse passes at the point `at`. With
    mode "forward" or "both", forward accumulation runs too, one tangent pass per input,
    and its result is `trace.tangents` (engine.trace.Tangents). A vector or matrix output
    needs `seed`, its adjoint ("v=[1,0.5]", as y.backward(v), or an array), or
    jacobian=True for the whole Jacobian. hessian=True adds the second derivatives, and
    hvp (a direction: "x=1,y=0", or a mapping) the Hessian–vector product, both by forward
    over reverse (`trace.second`)."""
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    with _no_cyclic_gc():
        trace = _differentiate(source, at, share, seed, jacobian)
        if mode != "reverse":
            trace = trace._replace(tangents=tangents(trace))
        if hessian or hvp is not None:
            direction = None
            if hvp is not None:
                direction = parse_point(hvp, "--hvp")
                trace.program.match_inputs(direction, "direction",
                                           "give every input a direction: --hvp {example}")
                direction = {name: direction[name] for name in trace.program.inputs}
            trace = second_order(trace, hessian, direction)
        return trace


def parse_seed(seed):
    """The output's adjoint: "v=[1,0.5]" (one binding, parsed as --at values are), or a
    number or array as it is."""
    if seed is None or not isinstance(seed, str):
        return seed
    values = binding_values(seed, origin="--seed")
    if len(values) != 1:
        raise InputError("--seed takes one value, the output's adjoint: v=[1,0.5]",
                         source=seed, span=values[1][2], origin="--seed")
    return values[0][1]


def _differentiate(source: str, at, share: bool, seed=None, jacobian: bool = False) -> Trace:
    program = lower(source, share=share)
    point = parse_point(at)
    program.match_inputs(point, "value", "give every input a value: --at {example}")
    trace = evaluate(program, {name: point[name] for name in program.inputs},
                     parse_seed(seed), jacobian)
    return trace._replace(input_texts=_texts(at))


def _texts(at) -> dict[str, str] | None:
    """The inputs' values as typed (already parsed once: no error here)."""
    if at is None:
        return None
    if isinstance(at, Mapping):
        return {k: str(v) for k, v in at.items() if isinstance(v, (str, int, float))}
    texts: dict[str, str] = {}
    for text in [at] if isinstance(at, str) else at:
        texts.update(binding_texts(text))
    return texts


__all__ = ["differentiate", "parse_point", "BackpropError"]
