"""Text → SSA program, in the lecture's numbering, built while parsing.

The parser calls a builder as it reduces the grammar's rules, in post-order, left to right
(Lark's transform-while-parsing); ProgramBuilder makes each reduction an SSA node at once,
so no syntax tree is built and nothing recurses. Inputs come first, w1, w2, … in order of
first appearance; then operations in the order the parser reduces them. Constants stay on
the edge (`w7 = w6 + 1`); an operation on constants alone is folded; identical
sub-expressions become one node (hash-consing on op and operands) unless share=False.
ConstantBuilder does the same for the values after --at, where only constants may appear.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..errors import (MAX_NODES, ArityError, DomainError, LimitError, ShapeError,
                      StatementError, UnknownNameError, too_large)
from ..engine.ops import ALIASES, CONSTANTS, OPS, OVERLOADS, documented_names
from .parser import parse
from .values import CONSTRUCTORS
from .writer import written
from ..engine.program import INPUT, Call, Const, Node, Program
from .functions import Function, is_function, read_head, replay
from .builder import NoFunctions

MAX_COPIED = MAX_NODES  # rows inlining may copy in all (about 1.5 µs each): README, Limits
_new = tuple.__new__  # a NamedTuple without its Python-level __new__, on the hot path
_NAME = re.compile(r"[^\W\d](?:\w|\u0304)*")  # as the grammar's NAME


def fold(op, consts, source: str, span: tuple[int, int], origin: str = "expression") -> Const:
    """Evaluate an op whose operands are all constants, or say why it cannot be. The
    constant keeps the text the user wrote (2*pi), unless that names statements (u*3),
    which mean nothing outside the program, or is long: then it is written from its
    operands' (or its value's digits). Nothing here reads more of the source than
    MAX_WRITTEN, so folding a chain of n constants (1**1**…) is linear in n."""
    values = [c.value for c in consts]
    if op.shape is not None or any(type(v) is not float for v in values):
        return _fold_tensor(op, values, source, span, origin)
    with np.errstate(all="ignore"):
        value = op.forward(*[np.float64(v) for v in values])
    if not np.isfinite(value):
        why = op.domain_text if op.domain and not op.domain(*values) else f"{op.name} overflows"
        raise DomainError(f"{why}: {_excerpt(source, span)}", source=source, span=span,
                          origin=origin)
    if span[1] - span[0] > MAX_WRITTEN:
        return Const(float(value), _digits(value))
    text = source[span[0]:span[1]]
    if any(name not in CONSTANTS and not is_function(name) for name in _NAME.findall(text)):
        text = _written(op, consts, value)
    return Const(float(value), " ".join(text.split()))


def _excerpt(source: str, span: tuple[int, int]) -> str:
    """The text of a span for a message, cut short when long (the caret shows where)."""
    text = " ".join(source[span[0]:min(span[1], span[0] + MAX_WRITTEN + 1)].split())
    return text if span[1] - span[0] <= MAX_WRITTEN else text[:MAX_WRITTEN] + "…"


def _digits(value) -> str:
    return repr(float(value)).removesuffix(".0")


def _fold_tensor(op, values, source, span, origin) -> Const:
    """fold, where an operand is an array (after --at: 2*ones(3)) or an index key, or
    the op is one of arrays (1@2 is an error, not numpy's)."""
    from ..engine.shapes import TooLarge, result_shape, shape

    try:
        result_shape(op, [v if type(v) is tuple else shape(v) for v in values])
    except ValueError as e:
        error = LimitError if type(e) is TooLarge else ShapeError
        raise error(f"{op.name}: {e}", source=source, span=span, origin=origin) from None
    with np.errstate(all="ignore"):
        try:
            value = op.forward(*[v if type(v) is tuple else np.asarray(v, dtype=float)
                                 for v in values])
        except ValueError as e:  # shapes that do not broadcast
            shapes = " and ".join(str(shape(v)) for v in values if type(v) is not tuple)
            raise ShapeError(f"{op.name} of shapes {shapes}: {e}", source=source, span=span,
                             origin=origin) from None
    if not np.all(np.isfinite(value)):
        raise DomainError(f"{op.domain_text or op.name + ' overflows'}: "
                          f"{_excerpt(source, span)}", source=source, span=span, origin=origin)
    value = np.asarray(value, dtype=float)
    text = _excerpt(source, span) if span[1] - span[0] <= MAX_WRITTEN or value.ndim else \
        _digits(value)
    return Const(value if value.ndim else float(value), text)


MAX_WRITTEN = 80  # past this, a written constant is its value's digits: no text grows without bound


def _written(op, consts, value) -> str:
    """A folded constant's text in terms of its operands' texts, when its own text names
    statements (u = 1/3; u*2 is (1/3)*2, sin(u) is sin(1/3)); its value's digits when that
    is long, or when an operand's text is such digits already (a formula of them would
    only grow again)."""
    text = written(op.name, [c.text for c in consts])
    if len(text) > MAX_WRITTEN or any(map(_digits_of_value, consts)):
        return _digits(value)
    return text


def _digits_of_value(c: Const) -> bool:
    """Whether a constant's text is a float's full repr (0.1 is a number a person writes,
    2.9123240587562585e-31 the digits that stood in for a long text)."""
    return len(c.text) > 16 and c.text == repr(c.value)


def number(text: str, source: str, start: int, end: int, origin: str) -> Const:
    value = float(text)
    if value - value != 0:  # inf: 1e999 does not fit a float
        shown = text if len(text) <= 40 else f"{text[:20]}…{text[-8:]} ({len(text):,} characters)"
        raise DomainError(f"{shown} is too large for a 64-bit float", source=source,
                          span=(start, end), origin=origin)
    return _new(Const, (value, text))


def constant(name: str) -> Const:
    """pi, π or e as an operand; π is spelled pi, so ascii formulas stay ascii."""
    return Const(CONSTANTS[name], "pi" if name == "π" else name)


def checked_op(name: str, nargs: int, source: str, start: int, end: int, name_end: int,
               origin: str = "expression"):
    """The op a call names, or the error that says what is wrong with the call."""
    name = ALIASES.get(name, name)
    op = OPS.get(OVERLOADS.get((name, nargs), name))
    if op is None or not op.callable:
        import difflib  # only on this error path: start-up time counts

        names = documented_names()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        hint = (f"did you mean {' or '.join(close)}?" if close
                else "known functions: " + ", ".join(names))
        raise UnknownNameError(f"unknown function {name!r}", source=source,
                               span=(start, name_end), hint=hint, origin=origin)
    if nargs != op.arity:
        raise ArityError(f"{name} takes {op.arity} argument{'s' if op.arity > 1 else ''}, "
                         f"got {nargs}", source=source, span=(start, end), origin=origin)
    return op


class ProgramBuilder:
    """Builds the Program. Rows are [op, args, names, start, end]. Until result(),
    operations have ids 0, 1, … and inputs -1, -2, …; then inputs go first: input -1-k
    becomes node k and operation j becomes node n_inputs + j."""

    def __init__(self, source: str, share: bool = True, origin: str = "expression"):
        self.source = source
        self.share = share
        self.origin = origin  # names the text in errors: expression, --expect, …
        self.input_rows: list[list] = []
        self.op_rows: list[list] = []
        self.inputs: dict[str, int] = {}
        self.memo: dict = {}
        self.bound: dict[str, object] = {}  # statement names → id or Const
        self.last: tuple = (None, None)  # the last statement: (name, ref)
        self.tensor = False  # an op of vectors and matrices is used
        self.functions: dict[str, Function] = {}  # user functions, by name
        self.defining: tuple | None = None  # while a body is read: (Function, outer state)
        self.calls: list[tuple] = []  # per call of a user function in the program: Call rows
        # Constants whose folding failed (sqrt(-1), exp(1000)), by id: an error only where
        # the program needs them, not in a where's branch that a constant condition drops
        # (f(a) = where(a > 0, log(a), 0); f(-1) is 0).
        self.failed: dict[int, _Failure] = {}
        self.copied = 0  # rows that calls copied from bodies, in all (MAX_COPIED)

    def number(self, text, start, end):
        value = float(text)
        if value - value != 0:  # inf
            return number(text, self.source, start, end, self.origin)  # raises
        return _new(Const, (value, text))

    def name(self, id, start, end):
        ref = self.bound.get(id)
        if ref is not None:
            return ref
        ref = self.inputs.get(id)
        if ref is not None:
            return ref
        if id in CONSTANTS:
            return constant(id)
        if is_function(id) or id in self.functions:
            raise UnknownNameError(f"{id} is a function: call it as {id}(…)",
                                   source=self.source, span=(start, end), origin=self.origin)
        if self.defining is not None:
            fn = self.defining[0]
            raise UnknownNameError(f"{id} is not a parameter of {fn.signature}",
                                   source=self.source, span=(start, end), origin=self.origin,
                                   hint="a function's body uses its parameters, numbers, pi, e "
                                        "and earlier functions")
        ref = self.inputs[id] = -1 - len(self.input_rows)
        self.input_rows.append([INPUT, (), (id,), start, end])
        return ref

    def operator(self, op, args, start, end):
        if self.failed and any(id(a) in self.failed for a in args):
            return self._with_failed(op, args, start, end)
        if type(args[0]) is not int and (len(args) == 1 or type(args[1]) is not int) \
                and (len(args) < 3 or type(args[2]) is not int):
            try:
                return fold(OPS[op], args, self.source, (start, end), self.origin)
            except DomainError as error:
                return self._failure(error, [])
        key = (op, args)
        ref = self.memo.get(key) if self.share else None
        if ref is None:
            ref = len(self.op_rows)
            if ref >= MAX_NODES:
                raise too_large("the program", ref + 1 + len(self.input_rows), MAX_NODES,
                                "nodes or more", source=self.source, span=(start, end),
                                origin=self.origin)
            self.op_rows.append([op, args, (), start, end])
            if self.share:
                self.memo[key] = ref
        return ref

    def _failure(self, error, parents: list) -> Const:
        c = _new(Const, (math.nan, "nan"))
        self.failed[id(c)] = _Failure(c, error, parents)
        return c

    def _with_failed(self, op, args, start, end):
        """An op of a constant whose folding failed: a where whose condition is a constant
        drops the branch it does not take (that constant is needed nowhere else through it);
        any other op fails as its operand did, once the program turns out to need it."""
        failed = [self.failed[id(a)] for a in args if id(a) in self.failed]
        if op == "where" and type(args[0]) is Const and id(args[0]) not in self.failed:
            taken, dropped = (args[1], args[2]) if args[0].value != 0 else (args[2], args[1])
            if id(dropped) in self.failed:
                self.failed[id(dropped)].excuse()
            return taken
        if all(type(a) is not int for a in args):
            return self._failure(failed[0].error, failed)
        raise failed[0].error

    def call(self, fname, args, start, end, name_end):
        fn = self.functions.get(fname)
        if fn is not None or (self.defining is not None and fname == self.defining[0].name):
            return self._inline(fn, fname, args, start, end, name_end)
        op = OPS.get(fname)
        if op is None or not op.callable or op.arity != len(args):
            if fname in CONSTRUCTORS and op is None:
                raise UnknownNameError(f"{fname}(…) makes a value for --at, not an operation",
                                       source=self.source, span=(start, end),
                                       origin=self.origin,
                                       hint=f"name the value and give it after --at: "
                                            f"--at v={self.source[start:end]}")
            try:
                op = checked_op(fname, len(args), self.source, start, end, name_end,
                                self.origin)
            except UnknownNameError as error:
                if self.defining is not None:  # perhaps one defined later: not yet known
                    error.hint = (f"{self.defining[0].name} may call the built-in functions "
                                  "and those defined before it; " + (error.hint or ""))
                raise
            fname = op.name  # max(x) of one argument is amax
        if op.vjp is not None:
            self.tensor = True
        return self.operator(fname, args, start, end)

    def tensor_op(self, op, args, start, end):
        """A @ B, A.T and x[0]: ops of vectors and matrices, written as operators."""
        self.tensor = True
        if op == "transpose":
            op = "T"
        elif op == "index":
            base, subs = args[0], args[1:]
            if type(base) is not int:
                raise ShapeError("only a variable or an expression of variables can be "
                                 "indexed, not a constant", source=self.source,
                                 span=(start, end), origin=self.origin)
            args = (base, index_key(subs, self.source, (start, end), self.origin))
        return self.operator(op, args, start, end)

    def array(self, items, start, end):
        raise ShapeError("an array is a value: name it and give it after --at",
                         source=self.source, span=(start, end), origin=self.origin,
                         hint=f"--at y={self.source[start:end]}")

    def slice(self, kind, parts, start, end):
        return slice_part(kind, parts, self.source, (start, end), self.origin)

    def statement(self, name, ref, start, end):
        if name is not None:
            span = (start, start + len(name))
            if name in self.bound:
                raise StatementError(f"{name} is assigned twice; each name names one node",
                                     source=self.source, span=span, origin=self.origin)
            if name in self.functions:
                raise StatementError(f"{name} is a function of the program and cannot be "
                                     "assigned", source=self.source, span=span,
                                     origin=self.origin)
            if name in CONSTANTS or is_function(name):
                raise StatementError(f"{name} is a built-in name and cannot be assigned",
                                     source=self.source, span=span, origin=self.origin)
            if name in self.inputs:
                row = self.input_rows[-1 - self.inputs[name]]
                raise StatementError(f"{name} is used before the statement that assigns it",
                                     source=self.source, span=(row[3], row[4]),
                                     origin=self.origin)
            self.bound[name] = ref
            if type(ref) is int:  # the node gets the statement's name (`c = a`, a second one)
                row = self.op_rows[ref] if ref >= 0 else self.input_rows[-1 - ref]
                row[2] += (name,)
        self.last = (name, ref)

    # --- user functions: f(a, b) = a*sin(b) ------------------------------------------------

    def function_head(self, text, start, end):
        """Check the head and read the body into a list of its own, the parameters its
        inputs: the function's tape, which every call replays (functions.Function)."""
        if self.defining is not None:  # pragma: no cover - the grammar nests no definition
            raise StatementError("a function is defined at the top level",
                                 source=self.source, span=(start, end), origin=self.origin)
        fn = read_head(text, start, self.source, self.origin, self._taken_name)
        outer = (self.op_rows, self.memo, self.inputs, self.input_rows, self.tensor, self.bound)
        self.op_rows, self.memo, self.tensor, self.bound = [], {}, False, {}
        self.inputs = {p: -1 - k for k, p in enumerate(fn.params)}
        self.input_rows = [[INPUT, (), (p,), ps, pe] for p, (ps, pe) in zip(fn.params, fn.spans)]
        self.defining = (fn, outer)
        return fn

    def function(self, fn, body, start, end):
        done = fn._replace(rows=self.op_rows, body=body, tensor=self.tensor)
        self.op_rows, self.memo, self.inputs, self.input_rows, tensor, self.bound = \
            self.defining[1]
        self.tensor = tensor or done.tensor
        self.defining = None
        self.functions[fn.name] = done

    def _taken_name(self, name: str) -> str | None:
        """What a new function's name would clash with, if anything."""
        if name in self.functions:
            return f"{name} is defined twice; each function is defined once"
        if name in self.bound or name in self.inputs:
            return f"{name} already names a value of the program"
        return None

    def _inline(self, fn, fname, args, start, end, name_end):
        if fn is None:
            raise StatementError(f"{fname} calls itself: a function may call only the "
                                 "functions defined before it", source=self.source,
                                 span=(start, name_end), origin=self.origin)
        if len(args) != len(fn.params):
            n = len(fn.params)
            raise ArityError(f"{fn.signature} takes {n} argument{'s' if n > 1 else ''}, got "
                             f"{len(args)}", source=self.source, span=(start, end),
                             origin=self.origin)
        if len(self.op_rows) + len(fn.rows) > MAX_NODES:  # refused before it is copied
            raise too_large(f"the program with this call of {fname} inlined",
                            len(self.op_rows) + len(fn.rows), MAX_NODES, "nodes or more",
                            source=self.source, span=(start, end), origin=self.origin)
        # every call copies its function's body, in bodies too: a chain of definitions,
        # each calling the one before, copies quadratically many rows in all
        self.copied += len(fn.rows)
        if self.copied > MAX_COPIED:
            raise too_large("inlining the calls of your functions", self.copied, MAX_COPIED,
                            "rows copied or more", source=self.source, span=(start, end),
                            origin=self.origin)
        first = len(self.op_rows)
        ref = replay(fn, args, self.operator, start, end)
        self.tensor = self.tensor or fn.tensor
        if self.defining is None:
            self.calls.append((fname, args, first, len(self.op_rows), start, end))
        return ref

    def result(self) -> Program:
        n_in = len(self.input_rows)
        for failure in self.failed.values():  # in the order they were made
            if not failure.excused:
                raise failure.error
        if self.last[1] is None:
            end = len(self.source.rstrip())
            raise StatementError("the program ends with a function definition: nothing to "
                                 "differentiate", source=self.source, span=(end, end + 1),
                                 origin=self.origin, hint="add a last line that uses it, "
                                 "f(a) = a**2; f(x) + 1")

        def final(ref):
            if type(ref) is not int:
                return ref
            return -1 - ref if ref < 0 else n_in + ref

        nodes = [Node(*row) for row in self.input_rows]
        append = nodes.append
        for op, args, names, start, end in self.op_rows:
            # final() inlined: this loop runs once per node
            a = args[0]
            if type(a) is int:
                a = -1 - a if a < 0 else n_in + a
            if len(args) == 1:
                args = (a,)
            elif len(args) == 2:
                b = args[1]
                if type(b) is int:
                    b = -1 - b if b < 0 else n_in + b
                args = (a, b)
            else:
                args = tuple(final(x) for x in args)
            append(_new(Node, (op, args, names, start, end)))
        name, ref = self.last
        calls = tuple(Call(fname, tuple(final(a) for a in args), n_in + first, n_in + stop,
                           start, end)
                      for fname, args, first, stop, start, end in self.calls)
        return Program(self.source, nodes, n_in, final(ref), name, self.tensor, calls)


class _Failure:
    """A constant whose folding failed: its error, the failures it was made of, and whether
    a where dropped it (then those are needed nowhere through it)."""

    def __init__(self, const: Const, error, parents: list):
        # the constant is kept alive: its id is its key in ProgramBuilder.failed
        self.const, self.error, self.parents, self.excused = const, error, parents, False

    def excuse(self) -> None:
        stack = [self]
        while stack:  # a loop: a chain of failed constants may be long
            f = stack.pop()
            if not f.excused:
                f.excused = True
                stack.extend(f.parents)


class ConstantBuilder(NoFunctions):
    """Values after --at: `name = constant expression`, folded as they are parsed.
    result() is a list of (name, value, span of the name); from the start symbol
    `constant`, one (None, value, span of the expression)."""

    def __init__(self, source: str, origin: str = "--at"):
        self.source = source
        self.origin = origin
        self.values: list[tuple[str, float, tuple[int, int]]] = []
        self.texts: dict[str | None, str] = {}

    def number(self, text, start, end):
        return number(text, self.source, start, end, self.origin)

    def name(self, id, start, end):
        if id not in CONSTANTS:
            raise UnknownNameError(f"{id} is not a constant: a value is a number or an "
                                   "expression of numbers, pi and e", source=self.source,
                                   span=(start, end), origin=self.origin)
        return constant(id)

    def operator(self, op, args, start, end):
        return fold(OPS[op], args, self.source, (start, end), self.origin)

    def call(self, fname, args, start, end, name_end):
        if fname in CONSTRUCTORS:
            return _construct(fname, args, self.source, (start, end), self.origin)
        op = checked_op(fname, len(args), self.source, start, end, name_end, self.origin)
        return fold(op, args, self.source, (start, end), self.origin)

    def tensor_op(self, op, args, start, end):
        if op == "index":
            args = (args[0], index_key(args[1:], self.source, (start, end), self.origin))
        return fold(OPS["T" if op == "transpose" else op], args, self.source, (start, end),
                    self.origin)

    def array(self, items, start, end):
        values = [c.value for c in items]
        shapes = {np.shape(v) for v in values}
        if len(shapes) > 1:
            raise ShapeError("the rows of an array must have one shape, not "
                             + " and ".join(sorted(str(s) for s in shapes)),
                             source=self.source, span=(start, end), origin=self.origin)
        if any(type(v) is tuple for v in values):
            raise ShapeError("a slice is not a value", source=self.source, span=(start, end),
                             origin=self.origin)
        return Const(np.array(values, dtype=float), self.source[start:end])

    def slice(self, kind, parts, start, end):
        return slice_part(kind, parts, self.source, (start, end), self.origin)

    def statement(self, name, const, start, end):
        self.texts[name] = const.text  # as typed, for what is known of it exactly
        self.values.append((name, const.value,
                            (start, end) if name is None else (start, start + len(name))))

    def result(self):
        return self.values


class Slice(tuple):
    """(lo, hi) of lo:hi inside x[…], until index_key makes it part of a key. (Not a
    NamedTuple: creating one costs start-up time.)"""

    __slots__ = ()


def _whole(c, source, span, origin) -> int:
    if type(c) is not Const or type(c.value) is not float or c.value != int(c.value):
        raise ShapeError("an index must be a constant whole number", source=source,
                         span=span, origin=origin)
    return int(c.value)


def slice_part(kind, parts, source, span, origin) -> Slice:
    ints = [_whole(p, source, span, origin) for p in parts]
    if kind == "slice_all":
        return Slice((None, None))
    if kind == "slice_from":
        return Slice((ints[0], None))
    if kind == "slice_to":
        return Slice((None, ints[0]))
    return Slice(ints)


def index_key(subs, source, span, origin) -> Const:
    """The subscripts of x[…] as one constant operand: a tuple of ints and (lo, hi)."""
    from ..engine.shapes import key_text

    key = tuple(tuple(s) if type(s) is Slice else _whole(s, source, span, origin)
                for s in subs)
    return Const(key, key_text(key))


def _construct(fname, args, source, span, origin) -> Const:
    values = [c.value for c in args]
    if not args or any(type(v) is not float for v in values):
        raise ShapeError(f"{fname} takes numbers: {CONSTRUCTORS[fname][1]}", source=source,
                         span=span, origin=origin)
    try:
        value = CONSTRUCTORS[fname][0](*values)
    except (ValueError, TypeError) as e:
        raise ShapeError(f"{fname}: {e}", source=source, span=span, origin=origin,
                         hint=CONSTRUCTORS[fname][1]) from None
    return Const(value, " ".join(source[span[0]:span[1]].split()))


def lower(source: str, *, share: bool = True) -> Program:
    """The SSA program of an expression or a list of statements."""
    return parse(source, builder=ProgramBuilder(source, share))


def binding_values(source: str, origin: str = "--at", span: tuple[int, int] | None = None
                   ) -> list[tuple[str, float, tuple]]:
    """The (name, value, span of the name) of each binding in `x=2,y=pi/2`, or in the
    span of `source` given; spans and errors are the source's own."""
    return parse(source, "bindings", origin, ConstantBuilder(source, origin), span=span)


def binding_texts(source: str) -> dict[str, str]:
    """Each binding's value as typed, `x=2,y=pi/2` → {x: 2, y: pi/2}."""
    builder = ConstantBuilder(source)
    parse(source, "bindings", "--at", builder)
    return builder.texts


def constant_value(source: str, origin: str, span: tuple[int, int] | None = None):
    """The value of one constant expression (--lr 0.1, the count of a range), the whole
    source or the span of it given."""
    ((_, value, _),) = parse(source, "constant", origin, ConstantBuilder(source, origin),
                             span=span)
    return value
