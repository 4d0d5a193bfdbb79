"""Gradient descent with the gradient from the reverse pass: θ(k+1) = θ(k) − τ·∇E(θ(k)).

The expression is lowered and laid out once; each step is one forward and one reverse
pass at the current point, in Python floats (engine/floats.py), or by the numpy drivers
where those cannot say (a domain error, an overflow); the updates are in floats too.
The update rules, with PyTorch's conventions so that numbers can be held against
torch.optim:

- plain:    θ ← θ − τ·g
- momentum: v ← μ·v + g;  θ ← θ − τ·v                          (torch.optim.SGD)
- adam:     m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
            θ ← θ − τ·m̂/(√v̂ + ε),  m̂ = m/(1−β₁ᵏ), v̂ = v/(1−β₂ᵏ)    (torch.optim.Adam)
- newton:   d = −H⁻¹g with the Hessian H by forward over reverse; where H is not positive
            definite (its Cholesky factorization fails), d = −g, and the step says so.
            Damped: θ ← θ + t·d with t = 1, ½, ¼, … until the loss falls by at least
            10⁻⁴·t·|gᵀd| (Armijo's backtracking line search). A convex quadratic's
            minimum is one full step away.

A run stops at the first of: the step limit, a gradient norm ‖g‖ ≤ the tolerance, a loss
change |E(k) − E(k−1)| ≤ the tolerance (off unless given), or divergence: a loss or a
point that is nan or infinite, a step out of the function's domain, or a loss that grew
(or fell) past DIVERGED times max(1, |its start|). Why it stopped is a Stop, plain data;
render/sentences.py words it, for the table and the JSON result alike.
"""

from __future__ import annotations

import math
from typing import Iterator, NamedTuple

from ..errors import DomainError, InputError
from ..engine.floats import prepare
from ..engine.passes import forward, layout, reverse
from ..engine.program import Program

OPTIMIZERS = ("plain", "momentum", "adam", "newton")
ARMIJO = 1e-4  # the share of the predicted decrease a damped step must achieve
HALVINGS = 50  # of the step before the line search gives up and takes the last one
ADAM_EPS = 1e-8
DIVERGED = 1e6  # the loss grew past this many times max(1, |its start|)


class Step(NamedTuple):
    step: int  # k: 0 is the start
    point: dict[str, float]  # θ(k)
    loss: float  # E(θ(k))
    gradient: dict[str, float]  # ∇E(θ(k)), from the reverse pass
    grad_norm: float  # ‖∇E(θ(k))‖₂
    # newton: how θ(k) was reached from θ(k−1): "newton", or "gradient" where the Hessian
    # was not positive definite; and the line search's step t. None at the start and for
    # the first-order optimizers.
    update: str | None = None
    step_size: float | None = None


# Why a run diverged: the step left the domain; the loss fell without bound; it grew;
# the loss, the gradient or the point is no longer finite.
CAUSES = ("domain", "no_minimum", "loss_grew", "loss_not_finite", "gradient_not_finite",
          "point_not_finite")


class Stop(NamedTuple):
    """Why a run ended, and the numbers that decided it."""

    reason: str  # "steps", "grad_norm", "loss_change" or "diverged"
    step: int  # k, where the rule held; for "point_not_finite" the step whose update it was
    lr: float  # the learning rate: after a divergence a smaller one is suggested
    cause: str | None = None  # for "diverged": one of CAUSES
    loss: float | None = None  # E(θ(k))
    start: float | None = None  # E(θ(0)), which the loss grew or fell from
    grad_norm: float | None = None  # ‖∇E(θ(k))‖₂
    change: float | None = None  # |E(k) − E(k−1)|, for "loss_change"
    tolerance: float | None = None  # the --grad-tol or --loss-tol that was met
    error: DomainError | None = None  # what the step out of the domain met

    @property
    def failed(self) -> bool:
        return self.reason == "diverged"


class Descent:
    """One run. Iterate `steps()` for the path; `stop` says why it ended."""

    def __init__(self, program: Program, start: dict[str, float], lr: float,
                 optimizer: str = "plain", momentum: float = 0.9,
                 betas: tuple[float, float] = (0.9, 0.999)):
        from ..engine.shapes import scalars_only

        scalars_only(program, start, "descend")
        inputs = program.inputs
        if not inputs:
            raise InputError("the expression has no inputs to descend over")
        program.match_inputs(start, "starting value",
                             "give every input a start: --from {example}")
        if not (lr > 0 and math.isfinite(lr)):
            raise InputError("the learning rate --lr must be a positive number")
        if optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {optimizer}: one of {', '.join(OPTIMIZERS)}")
        if not 0 <= momentum < 1 or not all(0 <= b < 1 for b in betas):
            raise InputError("--momentum and --betas take numbers in [0, 1)")
        self.program = program
        self.layout = layout(program)  # once: each step is only the two passes
        self.floats = prepare(program, self.layout)  # they in Python floats, where they can
        self.theta = [float(start[name]) for name in inputs]
        self.lr, self.optimizer, self.momentum, self.betas = lr, optimizer, momentum, betas
        self.stop: Stop | None = None

    def by_drivers(self, theta: list) -> tuple[float, list]:
        """E(θ) and ∇E(θ): one forward and one reverse pass of the numpy drivers, where
        the float passes do not answer (a domain error, an overflow, 0·inf)."""
        program = self.program
        vals = forward(program, dict(zip(program.inputs, theta)), self.layout)
        _, adj = reverse(program, vals, self.layout)
        out = program.output
        loss = float(vals[out]) if type(out) is int else out.value
        return loss, [float(a) for a in adj[:program.n_inputs]]

    def loss(self, theta: list) -> float:
        """E(θ), one forward pass; inf outside the domain (a line search steps back)."""
        if self.floats is not None:
            value = self.floats.loss(theta)
            if value is not None:
                return value
        program = self.program
        try:
            vals = forward(program, dict(zip(program.inputs, theta)), self.layout)
        except DomainError:
            return math.inf
        out = program.output
        value = float(vals[out]) if type(out) is int else out.value
        return value if math.isfinite(value) else math.inf

    def hessian(self, theta: list) -> list[list[float]]:
        """∇²E(θ): one forward-over-reverse pass per input; over floats where the float
        passes took the gradient at θ and can say."""
        from ..engine.evaluate import evaluate, second_order

        if self.floats is not None and self.floats.vals is not None \
                and self.floats.vals[:len(theta)] == theta:
            h = self.floats.hessian()
            if h is not None:
                return h
        names = self.program.inputs
        trace = second_order(evaluate(self.program, dict(zip(names, theta))))
        h = trace.second.hessian
        return [[float(h[a][b]) for b in names] for a in names]

    def newton_step(self, theta: list, loss: float, g: list) -> tuple[list, str, float]:
        """θ + t·d, how d was chosen ("newton" or "gradient") and t."""
        h = self.hessian(theta)
        d = newton_direction(h, g)
        how = "newton"
        if d is None:  # not positive definite
            how, d = "gradient", [-x for x in g]
        slope = sum(a * b for a, b in zip(g, d))
        t = 1.0
        for _ in range(HALVINGS):
            if self.loss([a + t * b for a, b in zip(theta, d)]) <= loss + ARMIJO * t * slope:
                break
            t *= 0.5
        return [a + t * b for a, b in zip(theta, d)], how, t

    def steps(self, max_steps: int = 1000, grad_tol: float = 1e-8,
              loss_tol: float | None = None) -> Iterator[Step]:
        """θ(0), θ(1), …, each with its loss and gradient, until a stopping rule holds."""
        names = self.program.inputs
        theta = self.theta[:]
        velocity = [0.0] * len(theta)  # momentum's v, Adam's first moment m
        second = [0.0] * len(theta)  # Adam's v
        b1, b2 = self.betas
        lr, mu, optimizer = self.lr, self.momentum, self.optimizer
        isfinite, make = math.isfinite, tuple.__new__
        start = prev = None
        how = size = None  # how the newton step to θ(k) was taken
        fast = self.floats.gradient if self.floats is not None else None
        for k in range(max_steps + 1):
            try:
                got = fast(theta) if fast is not None else None
                loss, g = got if got is not None else self.by_drivers(theta)
            except DomainError as error:
                if k == 0:
                    raise  # the start itself is outside the domain: bad input
                self.stop = Stop("diverged", k, self.lr, "domain", error=error)
                return
            norm = math.hypot(*g)  # no overflow for a gradient of 1e200
            if k == 0 and not (isfinite(loss) and isfinite(norm)):
                # sqrt at 0: no learning rate helps, as for a start outside the domain
                what, value = (("the loss", loss) if not isfinite(loss)
                               else ("the gradient", norm))
                where = ", ".join(f"{n} = {v:.6g}" for n, v in zip(names, theta))
                elsewhere = ",".join(f"{n}=…" for n in names)
                raise InputError(f"{what} is {value} at the start {where}: gradient "
                                 "descent cannot start there",
                                 hint=f"start elsewhere: --from {elsewhere}")
            # tuple.__new__: Step(…) without its Python-level __new__, once a step
            yield make(Step, (k, dict(zip(names, theta)), loss, dict(zip(names, g)), norm,
                              how, size))
            if start is None:
                start = loss
                bound = DIVERGED * max(1.0, abs(start))
            if loss < -bound or loss > bound or not (isfinite(loss) and isfinite(norm)) \
                    or norm <= grad_tol or k == max_steps \
                    or loss_tol is not None and prev is not None and abs(loss - prev) <= loss_tol:
                self.stop = _stop(k, loss, start, norm, prev, bound, self.lr, grad_tol,
                                  loss_tol)
                return
            prev = loss
            if optimizer == "plain":
                theta = [a - lr * b for a, b in zip(theta, g)]
            elif optimizer == "newton":
                theta, how, size = self.newton_step(theta, loss, g)
            elif optimizer == "momentum":
                velocity = [mu * v + b for v, b in zip(velocity, g)]
                theta = [a - lr * v for a, v in zip(theta, velocity)]
            else:
                t = k + 1
                velocity = [b1 * v + (1 - b1) * b for v, b in zip(velocity, g)]
                second = [b2 * v + (1 - b2) * b * b for v, b in zip(second, g)]
                c1, c2 = 1 - b1 ** t, 1 - b2 ** t
                theta = [a - lr * (m / c1) / (math.sqrt(v / c2) + ADAM_EPS)
                         for a, m, v in zip(theta, velocity, second)]
            if not all(map(isfinite, theta)):
                self.stop = Stop("diverged", k, self.lr, "point_not_finite", loss=loss,
                                 start=start, grad_norm=norm)
                return


def _stop(k, loss, start, norm, prev, bound, lr, grad_tol, loss_tol) -> Stop:
    """Which stopping rule holds at step k, in the order they are asked."""
    at = dict(step=k, lr=lr, loss=loss, start=start, grad_norm=norm)
    if loss == -math.inf or loss < -bound:
        return Stop("diverged", cause="no_minimum", **at)
    if not (math.isfinite(loss) and math.isfinite(norm)):
        cause = "loss_not_finite" if not math.isfinite(loss) else "gradient_not_finite"
        return Stop("diverged", cause=cause, **at)
    if loss > bound:
        return Stop("diverged", cause="loss_grew", **at)
    if norm <= grad_tol:
        return Stop("grad_norm", tolerance=grad_tol, **at)
    if loss_tol is not None and prev is not None and abs(loss - prev) <= loss_tol:
        return Stop("loss_change", change=abs(loss - prev), tolerance=loss_tol, **at)
    return Stop("steps", **at)


def newton_direction(h: list[list[float]], g: list[float]) -> list[float] | None:
    """d = −H⁻¹g by the Cholesky factorization H = LLᵀ (LAPACK's order of operations), or
    None where H is not finite or not positive definite (a pivot ≤ 0). Loops over
    floats: a Newton step's system is as small as its inputs are few."""
    n = len(g)
    for row in h:
        if not all(map(math.isfinite, row)):
            return None
    chol: list[list[float]] = []  # L's rows, each as long as its index + 1
    for j in range(n):
        row = h[j][:j + 1]
        for k in range(j + 1):
            done = chol[k] if k < j else row
            total = row[k]
            for m in range(k):
                total -= row[m] * done[m]
            if k < j:
                row[k] = total / done[k]
            elif not total > 0:
                return None
            else:
                row[k] = math.sqrt(total)
        chol.append(row)
    y = []  # L·y = g, then Lᵀ·x = y
    for i in range(n):
        total = g[i]
        row = chol[i]
        for m in range(i):
            total -= row[m] * y[m]
        y.append(total / row[i])
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        total = y[i]
        for m in range(i + 1, n):
            total -= chol[m][i] * x[m]
        x[i] = total / chol[i][i]
    return [-v for v in x]


class Kept:
    """The steps of a run, kept in bounded memory whatever its length: every step up to
    `most`, then every stride-th (the stride doubling each time the list fills), the
    multiples of `every` when a table asks for them, and always the last. A table of about
    20 rows and a plot of the path need no more; JSON Lines are written as they come."""

    def __init__(self, every: int | None = None, most: int = 4096):
        self.every, self.most = every, most
        self.stride = 1
        self.steps: list = []
        self.last = None

    def add(self, step) -> None:
        if self.last is not None and not self._wanted(self.last.step):
            self.steps.pop()  # the previous last, kept only as the last
        self.last = step
        self.steps.append(step)
        if len(self.steps) > 2 * self.most:
            self.stride *= 2
            self.steps = [s for s in self.steps if self._wanted(s.step) or s is step]

    def _wanted(self, k: int) -> bool:
        return k % self.stride == 0 or (self.every is not None and k % self.every == 0)

    def rows_every(self, rows: int = 20) -> int:
        """The table's step between rows: --every, or about `rows` rows of kept steps."""
        if self.every:
            return self.every
        count = 0 if self.last is None else self.last.step // self.stride + 1
        return self.stride * max(1, -(-count // rows))
