"""Gradient descent with the gradient from the reverse pass: θ(k+1) = θ(k) − τ·∇E(θ(k)).

The expression is lowered and laid out once; each step is one forward and one reverse
pass at the current point (passes.py, scalar path). Three update rules, with PyTorch's
conventions so that numbers can be held against torch.optim:

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

import numpy as np

from ..errors import DomainError, InputError
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
        self.theta = np.array([start[name] for name in inputs], dtype=np.float64)
        self.lr, self.optimizer, self.momentum, self.betas = lr, optimizer, momentum, betas
        self.stop: Stop | None = None

    def evaluate(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """E(θ) and ∇E(θ): one forward and one reverse pass."""
        program = self.program
        point = dict(zip(program.inputs, theta.tolist()))
        vals = forward(program, point, self.layout)
        _, adj = reverse(program, vals, self.layout)
        out = program.output
        loss = float(vals[out]) if type(out) is int else out.value
        return loss, np.array(adj[:program.n_inputs], dtype=np.float64)

    def loss(self, theta: np.ndarray) -> float:
        """E(θ), one forward pass; inf outside the domain (a line search steps back)."""
        program = self.program
        try:
            vals = forward(program, dict(zip(program.inputs, theta.tolist())), self.layout)
        except DomainError:
            return math.inf
        out = program.output
        value = float(vals[out]) if type(out) is int else out.value
        return value if math.isfinite(value) else math.inf

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """∇²E(θ): one forward-over-reverse pass per input."""
        from ..engine.evaluate import evaluate, second_order

        names = self.program.inputs
        trace = second_order(evaluate(self.program, dict(zip(names, theta.tolist()))))
        h = trace.second.hessian
        return np.array([[float(h[a][b]) for b in names] for a in names])

    def newton_step(self, theta: np.ndarray, loss: float, g: np.ndarray
                    ) -> tuple[np.ndarray, str, float]:
        """θ + t·d, how d was chosen ("newton" or "gradient") and t."""
        h = self.hessian(theta)
        how = "gradient"
        d = -g
        if np.all(np.isfinite(h)):
            try:
                c = np.linalg.cholesky(h)  # fails where H is not positive definite
                d = -np.linalg.solve(c.T, np.linalg.solve(c, g))
                how = "newton"
            except np.linalg.LinAlgError:
                pass
        slope = float(g @ d)
        t = 1.0
        for _ in range(HALVINGS):
            if self.loss(theta + t * d) <= loss + ARMIJO * t * slope:
                break
            t *= 0.5
        return theta + t * d, how, t

    def steps(self, max_steps: int = 1000, grad_tol: float = 1e-8,
              loss_tol: float | None = None) -> Iterator[Step]:
        """θ(0), θ(1), …, each with its loss and gradient, until a stopping rule holds."""
        names = self.program.inputs
        theta = self.theta.copy()
        velocity = np.zeros_like(theta)  # momentum's v, Adam's first moment m
        second = np.zeros_like(theta)  # Adam's v
        b1, b2 = self.betas
        start = prev = None
        how = size = None  # how the newton step to θ(k) was taken
        for k in range(max_steps + 1):
            try:
                loss, g = self.evaluate(theta)
            except DomainError as error:
                if k == 0:
                    raise  # the start itself is outside the domain: bad input
                self.stop = Stop("diverged", k, self.lr, "domain", error=error)
                return
            norm = math.hypot(*g.tolist())  # no overflow for a gradient of 1e200
            if k == 0 and not (math.isfinite(loss) and math.isfinite(norm)):
                # sqrt at 0: no learning rate helps, as for a start outside the domain
                what, value = (("the loss", loss) if not math.isfinite(loss)
                               else ("the gradient", norm))
                where = ", ".join(f"{n} = {v:.6g}" for n, v in zip(names, theta.tolist()))
                elsewhere = ",".join(f"{n}=…" for n in names)
                raise InputError(f"{what} is {value} at the start {where}: gradient "
                                 "descent cannot start there",
                                 hint=f"start elsewhere: --from {elsewhere}")
            yield Step(k, dict(zip(names, theta.tolist())), loss,
                       dict(zip(names, g.tolist())), norm, how, size)
            if start is None:
                start = loss
            at = dict(step=k, lr=self.lr, loss=loss, start=start, grad_norm=norm)
            if loss == -math.inf or loss < -DIVERGED * max(1.0, abs(start)):
                self.stop = Stop("diverged", cause="no_minimum", **at)
                return
            if not (math.isfinite(loss) and math.isfinite(norm)):
                cause = "loss_not_finite" if not math.isfinite(loss) else "gradient_not_finite"
                self.stop = Stop("diverged", cause=cause, **at)
                return
            if loss > DIVERGED * max(1.0, abs(start)):
                self.stop = Stop("diverged", cause="loss_grew", **at)
                return
            if norm <= grad_tol:
                self.stop = Stop("grad_norm", tolerance=grad_tol, **at)
                return
            if loss_tol is not None and prev is not None and abs(loss - prev) <= loss_tol:
                self.stop = Stop("loss_change", change=abs(loss - prev), tolerance=loss_tol,
                                 **at)
                return
            if k == max_steps:
                self.stop = Stop("steps", **at)
                return
            prev = loss
            if self.optimizer == "plain":
                theta = theta - self.lr * g
            elif self.optimizer == "newton":
                theta, how, size = self.newton_step(theta, loss, g)
            elif self.optimizer == "momentum":
                velocity = self.momentum * velocity + g
                theta = theta - self.lr * velocity
            else:
                t = k + 1
                velocity = b1 * velocity + (1 - b1) * g
                second = b2 * second + (1 - b2) * g * g
                m_hat = velocity / (1 - b1 ** t)
                v_hat = second / (1 - b2 ** t)
                theta = theta - self.lr * m_hat / (np.sqrt(v_hat) + ADAM_EPS)
            if not np.all(np.isfinite(theta)):
                self.stop = Stop("diverged", cause="point_not_finite", **at)
                return


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
