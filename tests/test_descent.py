"""Gradient descent: known minima of convex quadratics, the closed-form path of plain
descent on x², Adam's first step (lr·sign(g), a property of its bias correction),
progress on Rosenbrock, and divergence caught with the message and exit code 1."""

import json

import numpy as np
import pytest
from conftest import run_cli

from backprop_cli import lower
from backprop_cli.tasks.descent import Descent
from backprop_cli.errors import DomainError, InputError
from backprop_cli.render.sentences import stop_message


def run(expr, start, lr, optimizer="plain", steps=1000, **kw):
    d = Descent(lower(expr), start, lr, optimizer)
    path = list(d.steps(steps, **kw))
    return path, d.stop


@pytest.mark.parametrize("optimizer, lr", [("plain", 0.05), ("momentum", 0.05), ("adam", 0.05),
                                           ("momentum", 0.01), ("adam", 0.01)])
@pytest.mark.parametrize("expr, minimum", [
    ("(x-3)**2 + (y+1)**2", {"x": 3, "y": -1}),
    ("x**2 + 10*y**2 + x*y - 2*x", {"x": 40 / 39, "y": -2 / 39}),  # solved by hand: ∇ = 0
    ("c = 2*a - 1; c**2 + (a + b)**2", {"a": 0.5, "b": -0.5}),
])
def test_convex_quadratics_reach_their_minimum(expr, minimum, optimizer, lr):
    names = lower(expr).inputs
    path, stop = run(expr, {k: 0.0 for k in names}, lr, optimizer, steps=20000)
    assert stop.reason == "grad_norm", stop_message(stop)
    assert path[-1].point == pytest.approx(minimum, abs=1e-7)


def test_plain_descent_on_x_squared_follows_the_closed_form():
    # x(k+1) = x(k) − τ·2x(k), so x(k) = (1 − 2τ)^k · x(0)
    path, _ = run("x**2", {"x": 5.0}, 0.1, steps=30, grad_tol=0)
    xs = np.array([s.point["x"] for s in path])
    np.testing.assert_allclose(xs, 5.0 * 0.8 ** np.arange(31), rtol=1e-13)
    assert path[3].gradient["x"] == pytest.approx(2 * xs[3])
    assert path[3].loss == pytest.approx(xs[3] ** 2)


def test_adam_first_step_is_lr_times_the_sign_of_the_gradient():
    path, _ = run("3*x**2 - 0.001*y + exp(z)", {"x": 1.0, "y": 2.0, "z": -1.0}, 0.05, "adam",
                  steps=1)
    moved = {k: path[1].point[k] - path[0].point[k] for k in "xyz"}
    assert moved == pytest.approx({"x": -0.05, "y": 0.05, "z": -0.05}, rel=1e-5)


def test_momentum_accumulates_velocity():
    # on a plane the gradient is constant g: v(k) = g·(1 + μ + … + μ^(k−1))
    path, _ = run("2*x", {"x": 0.0}, 0.1, "momentum", steps=3, grad_tol=0)
    xs = [s.point["x"] for s in path]
    assert xs == pytest.approx([0, -0.2, -0.2 - 0.2 * 1.9, -0.2 - 0.2 * 1.9 - 0.2 * 2.71])


def test_rosenbrock_adam_reaches_the_valley_floor_and_plain_crawls():
    rosen = "(1-x)**2 + 100*(y-x**2)**2"
    path, stop = run(rosen, {"x": -1.0, "y": 1.0}, 0.05, "adam", steps=3000)
    assert stop.reason == "grad_norm" and path[-1].step < 3000
    assert path[-1].point == pytest.approx({"x": 1, "y": 1}, abs=1e-6)
    assert path[0].loss == 4.0 and path[-1].loss < 1e-12
    plain, _ = run(rosen, {"x": -1.0, "y": 1.0}, 0.001, "plain", steps=3000)
    assert plain[-1].loss > 1e-3  # the same budget leaves plain descent in the valley


@pytest.mark.parametrize("expr, start, lr, words", [
    ("(x-3)**2 + (y+1)**2", {"x": 0, "y": 0}, 1.5, "the loss grew from 10"),
    ("exp(x**2)", {"x": 3.0}, 1.0, "is inf"),
    ("log(x)", {"x": 1.0}, 2.0, "left the function's domain"),
])
def test_divergence_is_caught(expr, start, lr, words):
    path, stop = run(expr, start, lr)
    assert stop.failed and words in stop_message(stop)
    assert "try a smaller one, e.g. --lr" in stop_message(stop)
    assert len(path) < 1000


def test_no_minimum_is_said_so():
    path, stop = run("-x**2", {"x": 1.0}, 1.0)  # x triples each step
    message = stop_message(stop)
    assert stop.failed and "fell from -1 to" in message and "no minimum" in message
    assert len(path) == 8  # the loss is −9^k, below −10^6 from k = 7


def test_bad_starts():
    with pytest.raises(DomainError):
        run("log(x)", {"x": -1.0}, 0.1)
    with pytest.raises(InputError, match="no starting value for y"):
        run("x*y", {"x": 1.0}, 0.1)
    with pytest.raises(InputError, match="learning rate"):
        run("x*x", {"x": 1.0}, -0.1)
    with pytest.raises(InputError, match="the gradient is inf at the start"):
        run("sqrt(x)", {"x": 0.0}, 0.1)


def test_cli_table_and_exit_codes():
    r = run_cli("descend", "(x-3)**2 + (y+1)**2", "--from", "x=0,y=0", "--lr", "0.1")
    assert r.returncode == 0, r.stderr
    assert all(len(line) <= 80 for line in r.stdout.splitlines())
    assert "every 5th step" in r.stdout and "minimum found at x = 3, y = -1" in r.stdout
    assert r.stderr == ""  # no progress bar when stderr is not a terminal
    r = run_cli("descend", "(x-3)**2 + (y+1)**2", "--from", "x=0,y=0", "--lr", "3/2")
    assert r.returncode == 1
    assert "diverged: the loss grew" in r.stdout and "e.g. --lr 0.15" in r.stdout
    r = run_cli("descend", "x**2", "--from", "x=1", "--steps", "5", "--every", "2")
    assert r.returncode == 0 and "the step limit 5 was reached" in r.stdout
    steps = [line.split()[0] for line in r.stdout.splitlines() if line[:5].strip().isdigit()]
    assert steps == ["0", "2", "4", "5"]


@pytest.mark.parametrize("every", ["0", "-2"])
def test_every_below_one_is_a_usage_error_not_the_default(every):
    """--every 0 used to mean the default (about 20 rows) without a word."""
    r = run_cli("descend", "x**2", "--from", "x=1", "--every", every)
    assert r.returncode == 2 and "--every takes a whole number ≥ 1" in r.stderr, r


def test_cli_json_lines_validate(descent_validate):
    r = run_cli("descend", "(x-3)**2", "--from", "x=0", "--optimizer", "momentum", "--json")
    assert r.returncode == 0
    docs = [descent_validate(json.loads(line)) for line in r.stdout.splitlines()]
    assert [d["step"] for d in docs[:-1]] == list(range(len(docs) - 1))
    assert docs[0]["gradient"] == {"x": -6.0} and docs[0]["loss"] == 9.0
    assert docs[-1]["result"]["ok"] and docs[-1]["result"]["stopped"] == "grad_norm"
    assert docs[-1]["result"]["point"]["x"] == pytest.approx(3)
    r = run_cli("descend", "x**2", "--from", "x=1", "--lr", "2", "--json")
    assert r.returncode == 1
    result = descent_validate(json.loads(r.stdout.splitlines()[-1]))["result"]
    assert result["stopped"] == "diverged" and not result["ok"]


@pytest.mark.parametrize("args, words", [
    (["descend", "x**2"], "no starting value for x"),
    (["descend", "x**2", "--from", "x=1", "--lr", "0"], "learning rate"),
    (["descend", "x**2", "--from", "x=1", "--lr", "fast"], "fast is not a constant"),
    (["descend", "x**2", "--from", "x=oops"], "oops is not a constant"),
    (["descend", "x**2", "--from", "x=1", "--lr", "0.1,x=2"], "--lr takes one constant"),
    (["descend", "x**2", "--from", "x=1", "--optimizer", "sgd"], "invalid choice"),
    (["descend", "x**2", "--from", "x=1", "--betas", "0.9"], "--betas takes two numbers"),
    (["descend", "log(x)", "--from", "x=-1"], "log needs a positive argument"),
    (["descend", "x**", "--from", "x=1"], "^"),
    # silently plain descent before: the option was ignored
    (["descend", "x**2", "--from", "x=1", "--momentum", "0.5"],
     "--momentum is for --optimizer momentum"),
    (["descend", "x**2", "--from", "x=1", "--betas", "0.8,0.9"],
     "--betas is for --optimizer adam"),
    # a start where the gradient is infinite: no rate helps, the start is bad
    (["descend", "sqrt(x)", "--from", "x=0"], "the gradient is inf at the start x = 0"),
])
def test_cli_bad_input_is_exit_2(args, words):
    r = run_cli(*args)
    assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr
    r = run_cli(*args, "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["error"]


def test_a_usage_error_points_to_the_help_of_its_own_command():
    r = run_cli("descend", "x**2", "--bogus")
    assert r.returncode == 2 and "hint: see backprop descend --help" in r.stderr
    r = run_cli("x**2", "--bogus")
    assert r.returncode == 2 and "hint: see backprop --help" in r.stderr


def test_descend_is_a_subcommand_only_as_the_first_argument():
    r = run_cli("(descend)", "--at", "descend=2")
    assert r.returncode == 0 and "descend" in r.stdout
    r = run_cli("--at", "descend=2", "--", "descend")
    assert r.returncode == 0 and "∂f/∂descend" in r.stdout
    r = run_cli("descend", "descend**2", "--from", "descend=1", "--steps", "2")
    assert r.returncode == 0


def test_every_descend_option_is_in_the_readme():
    from conftest import REPO

    from backprop_cli.cli.descend import build_parser

    readme = (REPO / "README.md").read_text()
    options = [o for a in build_parser()._actions for o in a.option_strings
               if o.startswith("--") and o not in ("--help", "--no-share")]
    assert options and [o for o in options if f"`{o}" not in readme and f" {o}" not in readme] == []


@pytest.mark.parametrize("lr,message,caret", [
    ("", "nothing given", "  ^"),
    ("1+", "unexpected end of input", "    ^"),
    ("foo(1)", "unknown function 'foo'", "  ^^^"),
    ("0.1,x=2", "unexpected ','", "     ^"),  # one constant, not a list
    ("(0.1", "unexpected end of input", "      ^"),
])
def test_a_bad_rate_points_into_the_text_typed_not_an_internal_prefix(lr, message, caret):
    """--lr 1+ was parsed as `lr=1+`, and the caret stood under that `lr=`."""
    r = run_cli("descend", "x**2", "--from", "x=1", "--lr", lr)
    assert r.returncode == 2 and message in r.stderr and "(--lr, column" in r.stderr, r
    lines = r.stderr.splitlines()
    assert "lr=" not in r.stderr
    assert lines[1].rstrip() == f"  {lr}".rstrip(), lines
    assert lines[2].rstrip() == caret, lines


# --- a stop is data; its words are render's ---------------------------------------------

STOPS = [  # (expression, start, lr, steps, options): each rule that ends a run, and causes
    ("(x-3)**2", {"x": 0.0}, 0.1, 1000, {}),
    ("x**2", {"x": 1.0}, 0.1, 5, {}),
    ("x**2", {"x": 1.0}, 0.1, 1000, {"loss_tol": 1e-3}),
    ("(x-3)**2 + (y+1)**2", {"x": 0, "y": 0}, 1.5, 1000, {}),
    ("exp(x**2)", {"x": 3.0}, 1.0, 1000, {}),
    ("log(x)", {"x": 1.0}, 2.0, 1000, {}),
    ("-x**2", {"x": 1.0}, 1.0, 1000, {}),
]


def test_a_stop_holds_no_sentence_and_no_formatted_number():
    from backprop_cli.tasks.descent import CAUSES

    seen = set()
    for expr, start, lr, steps, kw in STOPS:
        _, stop = run(expr, start, lr, steps=steps, **kw)
        seen.add((stop.reason, stop.cause))
        strings = [x for x in stop if isinstance(x, str)]
        assert strings == [stop.reason] + ([stop.cause] if stop.failed else []), stop
        assert stop.failed is (stop.cause in CAUSES)
        numbers = (stop.loss, stop.start, stop.grad_norm, stop.change, stop.tolerance)
        assert all(x is None or type(x) is float for x in numbers), stop
        assert type(stop.step) is int and stop.lr == lr
        assert (stop.error is not None) is (stop.cause == "domain")
        assert stop_message(stop)  # every one is worded
    assert {reason for reason, _ in seen} == {"grad_norm", "steps", "loss_change", "diverged"}
    assert {cause for _, cause in seen} >= {"loss_grew", "loss_not_finite", "domain",
                                            "no_minimum"}


def test_stops_no_run_here_reaches_are_worded_too():
    from backprop_cli.tasks.descent import Stop

    smaller = "the learning rate is too large: try a smaller one, e.g. --lr 0.05"
    stop = Stop("diverged", 3, 0.5, "gradient_not_finite", loss=1.0, start=2.0,
                grad_norm=float("inf"))
    assert stop_message(stop) == f"the gradient is inf at step 3; {smaller}"
    stop = Stop("diverged", 4, 0.5, "point_not_finite", loss=1.0, start=2.0, grad_norm=1e300)
    assert stop_message(stop) == f"the point is no longer finite after step 4; {smaller}"
    with pytest.raises(ValueError):
        stop_message(Stop("diverged", 4, 0.5, "bored"))


def test_a_message_reads_the_same_in_the_table_and_in_the_json(descent_validate):
    import io

    from rich.console import Console

    from backprop_cli.render.json_doc import stop_document
    from backprop_cli.render.points import render_descent

    for expr, start, lr, steps, kw in STOPS:
        path, stop = run(expr, start, lr, steps=steps, **kw)
        out = io.StringIO()
        # wide enough that no message is folded over two lines
        render_descent(path, stop, Console(file=out, width=400, color_system=None,
                                           highlight=False, markup=False, emoji=False), 1)
        result = descent_validate(stop_document(stop, path[-1]))["result"]
        assert result["message"] == stop_message(stop)
        word = "diverged: " if stop.failed else "stopped: "
        assert word + result["message"] in out.getvalue().splitlines(), out.getvalue()
