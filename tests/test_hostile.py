"""Hostile and huge input (issue 15): every case the fuzz run found, and the limits.

Each runs in-process; no case may exit 3 or print a traceback, and under --json stdout is
one JSON document, errors included. The few that need a real process (a broken pipe,
Ctrl-C) start one.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time

import mpmath
import pytest

from backprop_cli.errors import (MAX_DEPTH, MAX_DIGITS, MAX_ELEMENTS, MAX_INPUT_BYTES,
                                 printable, printable_lines)
from conftest import BACKPROP, REPO, run_cli

ESC = "\x1b"


def ok_or_refused(r, codes=(0, 1, 2)):
    assert r.returncode in codes, (r.returncode, r.stderr[-500:])
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout


def one_json(r) -> dict:
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout[:500]
    return json.loads(lines[0])


# --- the seven tracebacks ----------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "json", "latex", "markdown", "dot", "mermaid", "html"])
@pytest.mark.parametrize("source", ["x; 1", "x; y = 2*pi", "1", "x; 1@2"])
def test_a_constant_output_after_statements_prints_in_every_format(fmt, source):
    r = run_cli(source, "--at", "x=1", "--format", fmt)
    ok_or_refused(r, (0, 2))


@pytest.mark.parametrize("source", ["x + 1@2", "x + [1]@2", "x + sum(1)@x", "x + 2.T@3",
                                    "x + dot(1, 2)", "x + norm(3)", "x + softmax(2)"])
def test_tensor_ops_on_constants_are_shape_errors(source):
    r = run_cli(source, "--at", "x=1", "--json")
    ok_or_refused(r, (0, 2))
    doc = one_json(r)
    if r.returncode == 2:
        assert doc["error"]["type"] in ("shape_error", "parse_error", "name_error")


@pytest.mark.parametrize("answer", ["x@x", "sum(x)", "x.T", "x[0]", "dot(x, x)"])
def test_vector_ops_in_a_graded_answer(answer):
    r = run_cli("check", "x**2", "--at", "x=1", "--expect", f"df/dx = {answer}", "--json")
    ok_or_refused(r)
    one_json(r)


def _answers(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("digits", [4301, 5000, 100_000])
def test_long_integers_in_answers(tmp_path, digits):
    n = "9" * digits
    for args in (["--expect", f"df/dx = {n}"], ["--expect", f"df/dx = 1/{n}"],
                 ["--expect", f"f = 2**{n}"]):
        r = run_cli("check", "x**2", "--at", "x=1", *args, "--json")
        ok_or_refused(r)
        assert len(r.stdout) < 2000  # the number is not echoed whole
    json_file = _answers(tmp_path, "a.json", '{"problems": [{"expression": "x", "at": "x=1",'
                                             f' "expect": {{"f": {n}}}}}]}}')
    toml_file = _answers(tmp_path, "a.toml", f'[[problems]]\nexpression = "x"\nat = "x=1"\n'
                                             f'[problems.expect]\nf = {n}\n')
    for path in (json_file, toml_file):
        r = run_cli("check", "--answers", path, "--json")
        ok_or_refused(r, (2,))
        assert f"at most {MAX_DIGITS:,}" in one_json(r)["error"]["message"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 10**5])
def test_deep_answers_files_are_refused(tmp_path, depth):
    deep_json = _answers(tmp_path, "d.json", '{"problems": ' + "[" * depth + "]" * depth + "}")
    deep_toml = _answers(tmp_path, "d.toml", "x = " + "[" * depth + "]" * depth + "\n")
    inline = _answers(tmp_path, "i.toml", "x = " + "{a=" * depth + "1" + "}" * depth + "\n")
    for path in (deep_json, deep_toml, inline):
        r = run_cli("check", "--answers", path, "--json")
        ok_or_refused(r, (2,))
        assert "nested" in one_json(r)["error"]["message"]


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    path = _answers(tmp_path, "s.json", json.dumps({"problems": [
        {"name": "[" * 1000 + "{", "expression": "x", "at": "x=1", "expect": {"f": "1"}}]}))
    assert run_cli("check", "--answers", path).returncode == 0


@pytest.mark.parametrize("x, y", [("ones(1000000,1)", "ones(1,1000000)"),
                                  ("ones(15000,1)", "ones(1,15000)")])
def test_a_broadcast_too_large_is_refused_before_allocation(x, y):
    r = run_cli("sum(x+y)", "--at", f"x={x},y={y}", "--json")
    ok_or_refused(r, (2,))
    error = one_json(r)["error"]
    assert error["type"] == "limit_error" and f"{MAX_ELEMENTS:,}" in error["message"]


def test_a_matmul_too_large_is_refused():
    r = run_cli("sum(a @ b)", "--at", "a=ones(20000,1),b=ones(1,20000)")
    ok_or_refused(r, (2,))
    assert "at most" in r.stderr


# --- unbounded work ------------------------------------------------------------------------

def test_an_endless_file_is_read_no_further_than_the_limit():
    r = run_cli("-f", "/dev/zero", "--at", "x=1", "--json")
    ok_or_refused(r, (2,))
    assert f"at most {MAX_INPUT_BYTES:,}" in one_json(r)["error"]["message"]


def test_standard_input_past_the_limit(monkeypatch):
    r = run_cli("-", "--at", "x=1", stdin="x+" * (MAX_INPUT_BYTES // 2 + 1) + "x")
    ok_or_refused(r, (2,))
    assert "too large" in r.stderr


def test_an_expression_argument_past_the_limit():
    r = run_cli("x" * (MAX_INPUT_BYTES + 1), "--at", "x=1", "--json")
    ok_or_refused(r, (2,))
    assert one_json(r)["error"]["type"] == "limit_error"


def test_a_chain_of_constants_folds_in_linear_time():
    # 10^4 levels took ~7 s when each fold re-read its whole text
    small, large = ("x" + "**1" * n for n in (2_000, 20_000))
    times = []
    for source in (small, large):
        start = time.perf_counter()
        r = run_cli(source, "--at", "x=2", "--json")
        times.append(time.perf_counter() - start)
        assert r.returncode == 0 and one_json(r)["value"] == 2.0
    assert times[1] < 30 * times[0] + 1.0  # linear: 10x the text, not 100x the time


def test_long_folded_constants_keep_short_texts():
    r = run_cli("x*(" + "+".join(["1"] * 500) + ")", "--at", "x=1", "--json")
    doc = one_json(r)
    assert doc["value"] == 500.0 and len(r.stdout) < 5000


def test_descend_steps_are_limited_and_refused_early():
    r = run_cli("descend", "x**2", "--from", "x=1", "--steps", "1000000000", "--json")
    ok_or_refused(r, (2,))
    assert "--steps" in one_json(r)["error"]["message"]


def test_a_long_descent_keeps_a_bounded_path():
    from backprop_cli.tasks.descent import Kept, Step

    kept = Kept(most=64)
    for k in range(100_000):
        kept.add(Step(k, {"x": 0.0}, 0.0, {"x": 0.0}, 0.0))
    assert len(kept.steps) <= 2 * 64 + 1
    assert kept.steps[0].step == 0 and kept.last.step == 99_999
    every = kept.rows_every()
    rows = [s.step for s in kept.steps if s.step % every == 0]
    assert 10 <= len(rows) <= 21  # about 20 rows of the table, all kept


def test_a_descent_table_shows_about_twenty_rows():
    from backprop_cli.tasks import descent

    most = descent.Kept.__init__.__defaults__
    descent.Kept.__init__.__defaults__ = (None, 64)  # thinning from 128 steps on
    try:
        r = run_cli("descend", "x**2+y**2", "--from", "x=1,y=2", "--lr", "0.0001",
                    "--steps", "3001", "--grad-tol", "0")
    finally:
        descent.Kept.__init__.__defaults__ = most
    assert r.returncode == 0
    rows = [line.split()[0] for line in r.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert 15 <= len(rows) <= 22 and rows[-1] == "3001", rows
    every = int(rows[1])  # evenly spaced: each row a step that was kept
    assert [int(k) for k in rows[:-1]] == list(range(0, 3001, every)), rows


def test_a_plot_of_many_fixed_inputs_draws_a_few_partials(tmp_path):
    names = [f"a{i}" for i in range(400)]
    source = "+".join(names) + "+x"
    at = ",".join(f"{n}=1" for n in names)
    r = run_cli("sweep", source, "--over", "x=0:1:11", "--at", at, "--plot")
    assert r.returncode == 0
    assert "393 more partials not drawn" in r.stdout
    assert "∂f/∂x" in r.stdout


@pytest.mark.parametrize("at", ["x=arange(-1e308,1e308,1e-300)", "x=ones(1e300,1e300)",
                                "x=linspace(0,1,1e300)", "x=zeros(1e6,1e6)",
                                "x=ones(1000,1)+ones(1,100000)", "x=ones(100000,1)@ones(1,1000)"])
def test_constructors_refuse_huge_values(at):
    r = run_cli("x", "--at", at, "--json")
    ok_or_refused(r, (2,))
    one_json(r)


# --- control characters ------------------------------------------------------------------

def test_printable_escapes_every_control_character():
    hostile = "a\x1b[2Jb\x9b31m\u202ec\x07\x00\r"
    for out in (printable(hostile), printable_lines(hostile)):
        assert not any(c in out for c in "\x1b\x9b\u202e\x07\x00\r")
    assert printable_lines("a\nb\tc") == "a\nb\tc"
    assert printable("a\nb") == "a\\x0ab"


def _no_controls(text: str):
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) < 0xa0
           or c in "\u202e\u2066"]
    assert not bad, repr(text[:300])


@pytest.mark.parametrize("fmt", ["table", "latex", "markdown", "dot", "mermaid", "json", "html"])
def test_an_escape_in_a_statement_name_or_comment_never_reaches_the_terminal(fmt):
    r = run_cli(f"# a comment {ESC}[2J\u202e\nx**2", "--at", "x=1", "--format", fmt)
    ok_or_refused(r)
    _no_controls(r.stdout + r.stderr)


@pytest.mark.parametrize("args", [
    [f"x + {ESC}[31m", "--at", "x=1"],
    ["x", "--at", f"x=1{ESC}]0;owned\x07"],
    ["check", "x", "--at", "x=1", "--expect", f"df/dx = 1{ESC}[5m"],
    ["check", "x", "--at", "x=1", "--expect", f"d{ESC}f/dx = 1"],
    ["sweep", "x", "--over", f"x=0:1:{ESC}"],
    ["descend", f"x**2 # {ESC}[2J", "--from", "x=1", "--steps", "3"],
    ["descend", "x**2", "--from", "x=1", "--steps", "3", "--lr", f"0.1 # {ESC}[2J"],
    ["-f", f"/nonexistent/{ESC}[2J"],
    ["check", "--answers", f"/nonexistent/{ESC}[2J.toml"],
    [f"--frob{ESC}"],
])
def test_escapes_in_any_input_are_escaped_in_messages(args):
    for extra in ([], ["--json"]):
        r = run_cli(*args, *extra)
        ok_or_refused(r)
        _no_controls(r.stdout + r.stderr)


def test_an_escape_in_a_problem_name_is_escaped(tmp_path):
    path = _answers(tmp_path, "p.json", json.dumps({"problems": [
        {"name": f"evil {ESC}[2J\x9b31m", "expression": "x", "at": "x=1",
         "expect": {"f": "2"}}]}))
    for extra in ([], ["--json"]):
        r = run_cli("check", "--answers", path, *extra)
        assert r.returncode == 1
        _no_controls(r.stdout + r.stderr)


# --- exit codes through pipes and signals ------------------------------------------------------

def _piped(*args):
    """The script's exit code when its reader takes one line and leaves."""
    proc = subprocess.Popen([str(BACKPROP), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    return proc.wait(timeout=60), err


@pytest.mark.parametrize("args, code", [
    (["check", "x**2", "--at", "x=1", "--expect", "df/dx = 3", "--precision", "3"], 1),
    (["descend", "x**2", "--from", "x=1", "--lr", "1.5", "--steps", "3000", "--json"], 1),
    (["descend", "x**2", "--from", "x=1", "--lr", "1.5", "--steps", "3000"], 1),
])
def test_a_broken_pipe_keeps_the_verdicts_exit_code(args, code):
    got, err = _piped(*args)
    assert got == code and "Traceback" not in err, err


@pytest.mark.parametrize("delay", [0.8])
def test_ctrl_c_during_a_run_is_one_line_and_130(delay):
    proc = subprocess.Popen([str(BACKPROP), "sweep", "sin(x)*cos(y)", "--over",
                             "x=0:1:3000", "--over", "y=0:1:3000", "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert "Traceback" not in err, err
    assert code == 130 and err.strip().splitlines()[-1] == "interrupted", (code, err)


def test_ctrl_c_while_the_package_imports_is_one_line_and_130():
    # the first 0.1 s: the console script is still importing backprop_cli.cli
    proc = subprocess.run([sys.executable, "-c", "import backprop_cli.cli\n"
                           "raise KeyboardInterrupt"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 130 and proc.stderr == "interrupted\n", proc.stderr


@pytest.mark.parametrize("option", ["--js", "--jso", "--form", "--prec", "--at-", "--ex"])
def test_options_are_never_abbreviated(option):
    r = run_cli("x", "--at", "x=1", option, "json")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_cli("x", "--at", "x=1", "--json", option)
    assert r.returncode == 2
    assert one_json(r)["error"]["type"] == "usage_error"  # json was asked: errors in JSON


# --- numbers --------------------------------------------------------------------------------

def _gradient(source, at):
    r = run_cli(source, "--at", at, "--json")
    assert r.returncode == 0, r.stderr
    return one_json(r)


@pytest.mark.parametrize("x", [0.5, 5, 15, 19, 25, 100, 300, -15, -300])
def test_tanh_prime_is_accurate_where_tanh_is_near_one(x):
    mpmath.mp.dps = 50
    want = float(1 / mpmath.cosh(mpmath.mpf(x)) ** 2)
    got = _gradient("tanh(x)", f"x={x}")["gradient"]["x"]
    assert math.isclose(got, want, rel_tol=1e-13, abs_tol=1e-300)


@pytest.mark.parametrize("x", [0.5, 15, 30, 40, 700, -30, -700])
def test_sigmoid_prime_is_accurate_in_both_tails(x):
    mpmath.mp.dps = 50
    s = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
    want = float(s * (1 - s))
    got = _gradient("sigmoid(x)", f"x={x}")["gradient"]["x"]
    assert math.isclose(got, want, rel_tol=1e-13, abs_tol=1e-300)


def test_a_right_tanh_answer_is_right():
    r = run_cli("tanh(x)", "--at", "x=15", "--expect", "df/dx = 3.74305e-13")
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("x", ["0.999999", "-0.999999999"])
def test_asin_and_acos_prime_near_the_ends(x):
    mpmath.mp.dps = 50
    want = float(1 / mpmath.sqrt(1 - mpmath.mpf(float(x)) ** 2))  # at the float x
    assert math.isclose(_gradient("asin(x)", f"x={x}")["gradient"]["x"], want, rel_tol=1e-12)
    assert math.isclose(_gradient("acos(x)", f"x={x}")["gradient"]["x"], -want, rel_tol=1e-12)


def test_the_untaken_overflowed_branch_of_min_gives_zero():
    doc = _gradient("min(x, cosh(y))", "x=1,y=1000")
    assert doc["gradient"] == {"x": 1.0, "y": 0.0}
    kinds = {w["kind"] for w in doc["warnings"]}
    assert "overflow" in kinds and "not_differentiable" not in kinds


@pytest.mark.parametrize("source, at", [("0*cosh(y)", "y=1000"), ("max(-x, -exp(y))", "x=1,y=800")])
def test_zero_times_an_overflowed_partial_is_zero(source, at):
    doc = _gradient(source, at)
    assert all(v == 0.0 or v == -1.0 for v in doc["gradient"].values()), doc["gradient"]


def test_an_overflow_is_an_overflow_not_a_missing_derivative():
    doc = _gradient("cosh(y)", "y=1000")
    kinds = [w["kind"] for w in doc["warnings"]]
    assert kinds == ["overflow"]
    doc = _gradient("sqrt(y)", "y=0")
    assert [w["kind"] for w in doc["warnings"]] == ["not_differentiable"]


def test_a_sweep_is_nan_outside_the_domain():
    r = run_cli("sweep", "log(x)**0 + x", "--over", "x=-1:1:3", "--json")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["value"] for row in rows] == ["NaN", "NaN", 2.0]
    assert rows[0]["gradient"]["x"] == "NaN"
    r = run_cli("sweep", "log(x)**0 + x", "--over", "x=-1:1:3", "--format", "csv")
    assert r.stdout.splitlines()[1].split(",")[1].lower() == "nan"


@pytest.mark.parametrize("source", ["x**y", "x**2.5*y", "tanh(x*y) + sigmoid(x)",
                                    "exp(x)/y**3"])
def test_a_sweep_equals_its_single_points_within_a_few_ulp(source):
    import numpy as np

    from backprop_cli import differentiate
    from backprop_cli.tasks.sweep import sweep

    sw = sweep(source, ["x=0.1:4:23", "y=0.2:3:7"])
    for k in range(0, sw.size, 5):
        at = {name: float(v[k]) for name, v in sw.points.items()}
        t = differentiate(source, at=",".join(f"{n}={v!r}" for n, v in at.items()))
        np.testing.assert_array_max_ulp(sw.value[k], float(t.value), maxulp=16)
        for name in at:
            np.testing.assert_array_max_ulp(sw.gradient[name][k], float(t.gradient[name]),
                                            maxulp=16)


def test_modes_agree_entry_by_entry():
    from backprop_cli.engine.trace import modes_agree

    assert not modes_agree({"x": 0.0, "y": 1e6}, {"x": 0.2567, "y": 1e6})
    assert modes_agree({"x": 1.0, "y": float("nan")}, {"x": 1.0 + 1e-15, "y": float("nan")})
    assert not modes_agree({"x": 1e-20}, {"x": 1.1e-20})
    doc = _gradient("x*y + sin(x)", "x=1,y=2")
    r = run_cli("x*y + sin(x)", "--at", "x=1,y=2", "--mode", "both", "--json")
    assert one_json(r)["forward"]["agree"] is True and doc["value"]


# --- noise ----------------------------------------------------------------------------------

def test_no_runtime_warning_leaks():
    for args in (["exp(x)", "--at", "x=1000"], ["sweep", "log(x)", "--over", "x=-1:1:5"],
                 ["x/y", "--at", "x=1,y=1e-320"], ["cosh(y)*0", "--at", "y=1000"]):
        r = run_cli(*args)
        assert "RuntimeWarning" not in r.stderr and "Warning:" not in r.stderr


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "f.bp"
    path.write_bytes(b"\xef\xbb\xbfx**2")
    r = run_cli("-f", str(path), "--at", "x=3", "--json")
    assert r.returncode == 0 and one_json(r)["value"] == 9.0
    answers = tmp_path / "a.json"
    answers.write_bytes(b"\xef\xbb\xbf" + json.dumps({"problems": [
        {"expression": "x", "at": "x=1", "expect": {"f": "1"}}]}).encode())
    assert run_cli("check", "--answers", str(answers)).returncode == 0
    r = run_cli("-", "--at", "x=2", stdin="\ufeffx*3")
    assert r.returncode == 0


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_a_full_disk_is_said_in_one_line_not_a_bug():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([str(BACKPROP), "x*y", "--at", "x=1,y=2"], stdout=full,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr == "backprop: cannot write the output: No space left on device\n"


def test_a_closed_stdout_keeps_the_verdicts_code():
    # `backprop … >&-`: Python starts with sys.stdout None
    proc = subprocess.run([str(BACKPROP), "check", "x", "--at", "x=1", "--expect", "f=2"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          cwd=REPO, timeout=60, pass_fds=(),
                          preexec_fn=lambda: os.close(1))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_a_program_past_the_node_limit_is_refused_while_it_is_built(monkeypatch):
    from backprop_cli.language import lower

    monkeypatch.setattr(lower, "MAX_NODES", 50)
    r = run_cli("+".join(f"sin({k}*x)" for k in range(100)), "--at", "x=1", "--json")
    ok_or_refused(r, (2,))
    error = one_json(r)["error"]
    assert error["type"] == "limit_error" and "at most 50" in error["message"]
    assert run_cli("+".join(f"sin({k}*x)" for k in range(10)), "--at", "x=1").returncode == 0
