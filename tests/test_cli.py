"""The installed console script as a user meets it: exit codes, exact error text with the
caret under the column, JSON valid against the schema, never a traceback."""

import json
import math
import shlex
import unicodedata

import pytest

from conftest import run_cli

LECTURE = "x**2*cos(x*y)+1"


def columns(line: str) -> int:
    """Terminal columns of a line: the macron of w̄ combines with its w and takes none."""
    return sum(not unicodedata.combining(c) for c in line)


def test_tables_for_the_lecture_example():
    r = run_cli(LECTURE, "--at", "x=2,y=pi/2")
    assert r.returncode == 0 and r.stderr == ""
    for header in ("Forward pass", "Local partials", "Adjoints", "Gradient"):
        assert header in r.stdout
    assert "∂w5/∂w4   −sin(w4)" in r.stdout
    assert "f = w7 = -3" in r.stdout
    assert "\x1b[" not in r.stdout  # no colour codes when piped
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80


def test_json_document(validate):
    r = run_cli(LECTURE, "--at", "x=2,y=pi/2", "--json")
    assert r.returncode == 0
    doc = validate(json.loads(r.stdout))
    assert r.stdout.count("\n") == 1  # exactly one document
    assert [n["id"] for n in doc["nodes"]] == [f"w{i}" for i in range(1, 8)]
    assert doc["value"] == -3.0 and doc["gradient"]["x"] == pytest.approx(-4.0)
    assert doc["nodes"][4] | {} == doc["nodes"][4]
    assert doc["nodes"][4]["text"] == "cos(w4)" and doc["nodes"][4]["operands"] == ["w4"]
    assert doc["nodes"][6]["operands"] == ["w6", 1.0]
    assert {"from": "w4", "to": "w5", "formula": "-sin(w4)"}.items() <= \
        next(p for p in doc["partials"] if p["to"] == "w5").items()


def test_named_statements_keep_their_names(validate):
    r = run_cli("c = a + b; d = c + a", "--at", "a=1,b=2", "--json")
    doc = validate(json.loads(r.stdout))
    assert [n.get("name") for n in doc["nodes"]] == ["a", "b", "c", "d"]
    assert [n["adjoint"] for n in doc["nodes"]] == [2.0, 1.0, 1.0, 1.0]
    assert doc["output"] == {"name": "d", "node": "w4"}


def test_expression_from_stdin_and_file(tmp_path):
    f = tmp_path / "g.bp"
    f.write_text("# a comment\nh = x*y\nh*exp(h)\n")
    by_file = run_cli("-f", str(f), "--at", "x=1,y=2", "--json")
    by_stdin = run_cli("-", "--at", "x=1,y=2", "--json", stdin=f.read_text())
    assert by_file.returncode == by_stdin.returncode == 0
    assert json.loads(by_file.stdout)["gradient"] == json.loads(by_stdin.stdout)["gradient"]


def test_no_share_shows_the_tree(validate):
    f = "sqrt(x**2+exp(x**2))+cos(x**2+exp(x**2))"
    shared = validate(json.loads(run_cli(f, "--at", "x=0.5", "--json").stdout))
    tree = validate(json.loads(run_cli(f, "--at", "x=0.5", "--json", "--no-share").stdout))
    assert (len(shared["nodes"]), len(tree["nodes"])) == (7, 12)
    assert shared["gradient"]["x"] == pytest.approx(tree["gradient"]["x"], rel=1e-15)


def test_precision_and_exact_zero():
    r = run_cli("x*0 + y", "--at", "x=2,y=pi", "--precision", "3")
    assert "3.14" in r.stdout and "3.142" not in r.stdout
    assert " 0 \n" in r.stdout  # ∂f/∂x is exactly 0 and prints as 0


# --- errors: exit code 2, what and where, never a traceback ---------------------------------

ERRORS = [
    # (args, text that must appear on stderr)
    (["x**2*", "--at", "x=1"], "error: unexpected end of input (expression, column 6)\n"
                               "  x**2*\n       ^\nexpected:"),
    (["2x", "--at", "x=1"], "hint: a missing operator? Multiplication is written with *"),
    (["sinn(x)", "--at", "x=1"], "error: unknown function 'sinn' (expression, column 1)\n"
                                 "  sinn(x)\n  ^^^^\nhint: did you mean sin or sinh or sign?"),
    (["sin(x, y)", "--at", "x=1,y=2"], "error: sin takes 1 argument, got 2"),
    ([LECTURE, "--at", "x=1"], "error: no value for y\nhint: give every input a value: --at y=…"),
    ([LECTURE], "error: no value for x, y"),
    ([LECTURE, "--at", "x=1,y=2,z=3"], "error: z is not an input of the expression (it has x, y)"),
    (["x", "--at", "x="], "error: unexpected end of input (--at, column 3)\n  x=\n    ^"),
    (["x", "--at", ""], "error: nothing given (--at, column 1)"),  # not "the expression"
    (["x", "--at", "=2"], "error: unexpected '=' (--at, column 1)\n  =2\n  ^"),
    (["x", "--at", "x=2,,y=1"], "error: unexpected ',' (--at, column 5)\n  x=2,,y=1\n      ^"),
    (["x", "--at", "x=1,x=2"], "error: x is given twice (--at, column 5)"),
    (["x", "--at", "x=y"], "error: y is not a constant"),
    (["x", "--at", "x=__import__('os')"], "error: unexpected"),
    (["log(x)", "--at", "x=-1"], "error: w2 = log(w1): log needs a positive argument, but w1 = -1"),
    (["1/x", "--at", "x=0"], "error: w2 = 1/w1: division by zero, but w1 = 0"),
    (["sqrt(x)", "--at", "x=-4"], "error: w2 = sqrt(w1): sqrt needs a non-negative argument, but w1 = -4"),
    (["acos(x)", "--at", "x=2"], "error: w2 = acos(w1): acos needs an argument between -1 and 1"),
    (["x + log(-1)", "--at", "x=2"], "error: log needs a positive argument: log(-1) (expression, column 5)"),
    (["a = x; a = 2*x; a", "--at", "x=1"], "error: a is assigned twice"),
    (["x $ 2", "--at", "x=1"], "error: unexpected character '$'"),
    (["--frobnicate"], "error: unrecognized arguments: --frobnicate"),
    (["x", "--at", "x=1", "--precision", "0"], "error: --precision takes 1 to 17"),
]


@pytest.mark.parametrize("args,expected", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_errors_say_what_and_where(args, expected):
    r = run_cli(*args)
    assert r.returncode == 2
    assert expected in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""


@pytest.mark.parametrize("args,expected", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_errors_under_json_are_json(args, expected, validate):
    r = run_cli(*args, "--json")
    assert r.returncode == 2 and r.stderr == ""
    error = validate(json.loads(r.stdout))["error"]
    # the same error as the terminal prints, in fields
    assert run_cli(*args).stderr.startswith(f"error: {error['message']}")


def test_domain_error_in_json_names_the_node(validate):
    doc = validate(json.loads(run_cli("x*log(x-3)", "--at", "x=2", "--json").stdout))
    assert doc["error"]["type"] == "domain_error"
    assert doc["error"]["node"] == "w3"
    assert doc["error"]["excerpt"] == ["x*log(x-3)", "  ^^^^^^^^"]


@pytest.mark.parametrize("expr,at,kind", [
    ("abs(x)", "x=0", "kink"),
    ("relu(x)", "x=0", "kink"),
    ("max(x, y)", "x=1,y=1", "kink"),
    ("sqrt(x)", "x=0", "not_differentiable"),
    ("exp(x)", "x=1000", "overflow"),
])
def test_non_differentiable_points_warn_and_go_on(expr, at, kind, validate):
    doc = validate(json.loads(run_cli(expr, "--at", at, "--json").stdout))
    assert kind in [w["kind"] for w in doc["warnings"]]
    r = run_cli(expr, "--at", at)
    assert r.returncode == 0 and "warning:" in r.stdout


def test_kink_conventions():
    doc = json.loads(run_cli("abs(x) + relu(y) + max(x, y)", "--at", "x=0,y=0", "--json").stdout)
    # abs'(0) = relu'(0) = 0; at the tie max gives its adjoint to the first operand
    assert doc["gradient"] == {"x": 1.0, "y": 0.0}


def test_help_and_module_entry_point():
    r = run_cli("--help")
    assert r.returncode == 0 and "--at" in r.stdout and "exit codes" in r.stdout
    import subprocess
    import sys
    m = subprocess.run([sys.executable, "-m", "backprop_cli", "x*y", "--at", "x=3,y=4",
                        "--json"], capture_output=True, text=True)
    assert m.returncode == 0 and json.loads(m.stdout)["gradient"] == {"x": 4.0, "y": 3.0}


def test_grammar_is_found_from_another_folder(tmp_path):
    import os
    import subprocess
    from conftest import BACKPROP
    r = subprocess.run([str(BACKPROP), "x**2", "--at", "x=3", "--json"], cwd=tmp_path,
                       capture_output=True, text=True,
                       env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["gradient"] == {"x": 6.0}


def test_big_graphs_elide_rows_and_long_sums():
    expr = "+".join(f"sin(x*{k})" for k in range(1, 41))  # w1 feeds 40 products
    r = run_cli(expr, "--at", "x=0.5", "--max-rows", "6")
    assert r.returncode == 0
    assert "⋮" in r.stdout and "… 114 more rows" in r.stdout  # 120 nodes, 6 shown
    assert "+ … (40 terms)" in r.stdout
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80
    everything = run_cli(expr, "--at", "x=0.5", "--max-rows", "0")
    assert "more rows" not in everything.stdout and "w120" in everything.stdout


def test_max_rows_one_still_says_rows_are_elided():
    expr = "+".join(f"sin(x*{k})" for k in range(1, 41))  # 120 nodes
    r = run_cli(expr, "--at", "x=0.5", "--max-rows", "1")
    assert r.returncode == 0 and "… 119 more rows" in r.stdout  # it showed w1 and nothing else
    assert "w120" in r.stdout  # the output's row, as the last row of every cut table
    md = run_cli(expr, "--at", "x=0.5", "--max-rows", "1", "--format", "markdown")
    assert "… 119 more rows" in md.stdout


def test_every_option_is_in_the_readme():
    from conftest import REPO

    from backprop_cli.cli.main import DEFAULT, SUBCOMMANDS, command

    readme = (REPO / "README.md").read_text()
    for name in (DEFAULT, *SUBCOMMANDS):
        options = [o for a in command(name).build_parser()._actions for o in a.option_strings
                   if o.startswith("--") and o not in ("--help", "--version")]
        assert options and [o for o in options
                            if f"`{o}" not in readme and f" {o}" not in readme] == [], name
    for name in SUBCOMMANDS:
        assert f"`backprop {name}" in readme, name


# --- forward mode, both modes, --expand ------------------------------------------------------

def test_reverse_is_the_default_mode():
    default = run_cli(LECTURE, "--at", "x=-1,y=pi/3")
    assert default.stdout == run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--mode", "reverse").stdout
    assert "Tangents" not in default.stdout and "ẇ" not in default.stdout
    doc = json.loads(run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--json").stdout)
    assert "forward" not in doc and "gradient_expanded" not in doc


def test_forward_mode_tables():
    r = run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--mode", "forward")
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert "Adjoints" not in r.stdout  # the tangents instead
    assert any(line.split()[:2] == ["ẇ4", "ẇ1·w2"] for line in lines if line.strip())
    row = next(line for line in lines if line.startswith(" ẇ7 "))
    assert row.split()[-2:] == ["-0.0931003", "-0.866025"]  # ∂f/∂x and ∂f/∂y, printed
    assert "ẇ (x)" in r.stdout and "ẇ (y)" in r.stdout
    assert "∂f/∂x = ẇ7 (x)" in r.stdout
    assert max(columns(line) for line in lines) <= 80


def test_both_modes_side_by_side():
    r = run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--mode", "both")
    assert r.returncode == 0
    assert "Tangents" in r.stdout and "Adjoints" in r.stdout
    x_row = next(line for line in r.stdout.splitlines() if line.startswith(" x "))
    assert x_row.split() == ["x", "-0.0931003", "-0.0931003"]
    assert "Forward and reverse mode agree: the largest difference is" in r.stdout
    assert "Forward mode took 2 passes (one per input), reverse mode 1." in \
        " ".join(r.stdout.split())
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80


def test_many_inputs_split_the_tangent_table_and_fit_80_columns():
    expr = "a*b + c*d - e1*f + g*sin(a*b*c*d)"
    r = run_cli(expr, "--at", "a=1,b=2,c=3,d=4,e1=5,f=6,g=7", "--mode", "both", "--expand")
    assert r.returncode == 0, r.stderr
    assert "Tangents, continued" in r.stdout
    assert "7 passes" in r.stdout
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80


def test_expand_writes_the_gradient_in_terms_of_the_inputs(validate):
    r = run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--expand")
    assert "2·x·cos(x·y) − x²·y·sin(x·y)" in r.stdout
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80
    doc = validate(json.loads(run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--json",
                                      "--expand").stdout))
    assert doc["gradient_expanded"] == {"x": "2*x*cos(x*y) - x**2*y*sin(x*y)",
                                        "y": "-x**3*sin(x*y)"}


def test_simplified_adjoints_in_the_table_and_json(validate):
    r = run_cli(LECTURE, "--at", "x=-1,y=pi/3")
    assert "w̄1        w̄3·(2·w1) + w̄4·w2   2·w1·w5 − w2·w3·sin(w4)" in r.stdout
    doc = validate(json.loads(run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--json").stdout))
    assert [n["adjoint_simplified"] for n in doc["nodes"]] == [
        "2*w1*w5 - w2*w3*sin(w4)", "-w1*w3*sin(w4)", "w5", "-w3*sin(w4)", "w3", "1", "1"]


def test_forward_json(validate):
    for mode in ("forward", "both"):
        doc = validate(json.loads(run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--json",
                                          "--mode", mode).stdout))
        fw = doc["forward"]
        assert fw["passes"] == 2
        assert list(fw["tangents"]) == ["x", "y"]
        assert fw["tangents"]["x"][:2] == [1.0, 0.0] and fw["tangents"]["y"][:2] == [0.0, 1.0]
        assert fw["tangents"]["x"][3] == pytest.approx(math.pi / 3)  # ẇ4 = ẇ1·w2 + w1·ẇ2
        assert fw["gradient"] == pytest.approx(doc["gradient"], rel=1e-15)
        assert fw["largest_difference"] <= 1e-15


def test_too_long_simplified_forms_say_so():
    # each level squares the number of terms below it
    expr = "; ".join(["u0 = x"] + [f"u{k} = (u{k - 1} + y)*(u{k - 1} - y)" for k in range(1, 9)])
    r = run_cli(expr, "--at", "x=0.5,y=0.25", "--expand", "--max-rows", "0")
    assert r.returncode == 0
    assert "too long" in r.stdout
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80


def test_a_negative_max_rows_is_a_usage_error_not_all_rows():
    """-1 used to act as 0 (every row) without a word."""
    for args in (["--at", "x=1"], ["--over", "x=0:1:5"]):
        r = run_cli("x**2", *args, "--max-rows", "-1")
        assert r.returncode == 2 and "--max-rows takes a whole number ≥ 0" in r.stderr, r
        assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args,words", [
    (["--at", "x=1", "--expect", "f=1", "--mode", "forward"], "--mode and --expand do not go"),
    (["--at", "x=1", "--expect", "f=1", "--expand"], "--mode and --expand do not go"),
    (["--over", "x=0:1:3", "--rtol", "0.1"], "--rtol and --atol are for grading, not a sweep"),
    (["--over", "x=0:1:3", "--atol", "0.1"], "--rtol and --atol are for grading, not a sweep"),
])
def test_options_ignored_by_grading_or_a_sweep_are_usage_errors(args, words):
    r = run_cli("x", *args)
    assert r.returncode == 2 and words in r.stderr, r


def test_answers_with_mode_is_a_usage_error(tmp_path):
    key = tmp_path / "key.json"
    key.write_text('{"problems": [{"name": "p", "expression": "x", "at": "x=1", '
                   '"expect": {"f": "1"}}]}')
    r = run_cli("--answers", str(key), "--mode", "both")
    assert r.returncode == 2 and "do not go with --expect or --answers" in r.stderr, r
    assert run_cli("--answers", str(key)).returncode == 0


def test_bad_mode_is_a_usage_error():
    r = run_cli(LECTURE, "--at", "x=1,y=2", "--mode", "sideways")
    assert r.returncode == 2 and "invalid choice: 'sideways'" in r.stderr


def test_a_blank_worksheet_leaves_the_tangents_and_simplified_forms_empty():
    r = run_cli(LECTURE, "--at", "x=-1,y=pi/3", "--mode", "both", "--expand", "--blank")
    assert r.returncode == 0, r.stderr
    assert "Tangents" in r.stdout and "simplified" in r.stdout
    for answer in ("0.0931", "0.866", "ẇ1·w2", "sin(w4)", "cos(x·y)", "agree"):
        assert answer not in r.stdout, answer
    assert max(columns(line) for line in r.stdout.splitlines()) <= 80



LONG = "+".join(f"sin(x*{k})" for k in range(1, 400))  # tables of over 64 KiB, a pipe's buffer


@pytest.mark.parametrize("args", [
    (LONG, "--at", "x=1", "--max-rows", "0"),                         # the tables
    ("KEY",),                                                         # a report, all right
    ("x**2", "--over", "x=-1:1:5000", "--max-rows", "0"),            # a sweep's table
    ("descend", "x", "--from", "x=0", "--every", "1", "--steps", "3000"),  # descent's table
])
def test_a_reader_that_leaves_early_is_not_a_failure(args, tmp_path):
    # `backprop … | head -1`: Rich's own broken-pipe handler exits 1, a wrong answer's code
    import os
    import subprocess

    from conftest import BACKPROP

    if args == ("KEY",):
        # 150 terms: a report of about 110 KB, and a third of the grading time of LONG's
        key = tmp_path / "key.json"
        expr = "+".join(f"sin(x*{k})" for k in range(1, 151))
        assert run_cli(expr, "--at", "x=1", "--answers-out", str(key)).returncode == 0
        report = run_cli("--answers", str(key))
        assert report.returncode == 0 and len(report.stdout.encode()) > 65536
        args = ("--answers", str(key))
    script = " ".join(f"'{a}'" for a in (str(BACKPROP), *args))
    r = subprocess.run(["bash", "-c", f"set -o pipefail; {script} | head -c 1 >/dev/null"],
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "COLUMNS": "80"})
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


# --- an expression may start with a minus sign ------------------------------------------------

@pytest.mark.parametrize("expr,at,gradient", [
    ("-x**2", "x=3", {"x": -6.0}),  # -(x**2): power binds tighter than the minus
    ("-sin(x)*y", "x=1,y=2", {"x": -2 * math.cos(1), "y": -math.sin(1)}),
    ("-1/x", "x=2", {"x": 0.25}),
    ("-x", "x=1", {"x": -1.0}),
])
def test_an_expression_may_start_with_a_minus_sign(expr, at, gradient):
    """argparse took -x**2 for an unknown option: 'unrecognized arguments: -x**2'."""
    for args in ([expr, "--at", at], ["--at", at, expr], ["--at", at, "--", expr]):
        r = run_cli("--json", *args)
        assert r.returncode == 0, (args, r.stderr, r.stdout)
        assert json.loads(r.stdout)["gradient"] == pytest.approx(gradient, rel=1e-12)
    r = run_cli(expr, "--at", at)
    assert r.returncode == 0 and r.stderr == "" and "Gradient" in r.stdout


def test_options_still_work_beside_a_leading_minus(tmp_path):
    f = tmp_path / "neg.bp"
    f.write_text("-x**2\n")
    r = run_cli("-f", str(f), "--at", "x=3", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["gradient"] == {"x": -6.0}
    r = run_cli("-x**2", "--at", "x=3", "--max-rows", "-1")
    assert r.returncode == 2 and "--max-rows takes a whole number ≥ 0" in r.stderr
    r = run_cli("descend", "-cos(x)", "--from", "x=0.5", "--json")
    assert r.returncode == 0
    assert json.loads(r.stdout.splitlines()[-1])["result"]["point"]["x"] == \
        pytest.approx(0, abs=1e-6)


@pytest.mark.parametrize("abbreviation", ["--js", "--jso", "--form", "--prec"])
def test_long_options_are_never_abbreviated(abbreviation):
    r = run_cli("x", "--at", "x=1", abbreviation, "json")
    assert r.returncode == 2 and f"unrecognized arguments: {abbreviation}" in r.stderr, r


# --- subcommands, and the spellings from before them -----------------------------------------

G = "x*y*exp(x*y)"


@pytest.mark.parametrize("new,old", [
    (["check", G, "--at", "x=1,y=2", "--expect", "w3 = 2", "--expect", "dg/dy = x*exp(x*y)"],
     [G, "--at", "x=1,y=2", "--expect", "w3 = 2", "--expect", "dg/dy = x*exp(x*y)"]),
    (["check", "--answers", "examples/homework.toml"], ["--answers", "examples/homework.toml"]),
    (["sweep", LECTURE, "--over", "x=-3:3:7", "--at", "y=pi/3"],
     [LECTURE, "--over", "x=-3:3:7", "--at", "y=pi/3"]),
    (["sweep", LECTURE, "--over", "x=-3:3:41", "--at", "y=pi/3", "--plot"],
     [LECTURE, "--at", "y=pi/3", "--plot", "--over", "x=-3:3:41"]),
])
def test_the_old_spellings_run_the_subcommands(new, old):
    a, b = run_cli(*new), run_cli(*old)
    assert a.returncode == b.returncode and a.returncode in (0, 1)
    assert (a.stdout, a.stderr) == (b.stdout, b.stderr) and a.stdout


def test_a_check_exits_1_only_for_a_wrong_answer():
    assert run_cli("check", G, "--at", "x=1,y=2", "--expect", "w3 = 2").returncode == 0
    r = run_cli("check", G, "--at", "x=1,y=2", "--expect", "w3 = 3")
    assert r.returncode == 1 and "0 of 1 answer right" in r.stdout
    r = run_cli("check", G, "--at", "x=1,y=2")
    assert r.returncode == 2 and "nothing to check" in r.stderr


@pytest.mark.parametrize("name", ["descend", "check", "sweep"])
def test_a_variable_named_like_a_subcommand_is_an_expression(name):
    for args in ([f"{name}*2", "--at", f"{name}=1"], [f"({name})", "--at", f"{name}=1"],
                 ["--at", f"{name}=1", "--", name]):
        r = run_cli("--json", *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        assert list(json.loads(r.stdout)["gradient"]) == [name]


@pytest.mark.parametrize("args,message,hint", [
    (["check", G, "--at", "x=1,y=2", "--expect", "w3 = 2", "--max-rows", "3"],
     "backprop check has no option --max-rows", "--max-rows is for backprop and backprop sweep"),
    (["sweep", "x", "--over", "x=0:1:3", "--from", "x=1"],
     "backprop sweep has no option --from", "--from is for backprop descend"),
    (["descend", "x**2", "--at", "x=1"], "descend starts from --from, not --at", None),
    (["x", "--at", "x=1", "--plot"], "--plot needs points: sweep an input with --over",
     "backprop sweep EXPR --over"),
    (["sweep", "x", "--at", "x=1"], "the following arguments are required: --over", None),
])
def test_an_option_of_another_command_says_whose_it_is(args, message, hint):
    r = run_cli(*args)
    assert r.returncode == 2 and f"error: {message}" in r.stderr, r.stderr
    if hint:
        assert hint in r.stderr, r.stderr
    r = run_cli(*args, "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["error"]["message"] == message


@pytest.mark.parametrize("command", [[], ["check"], ["sweep"], ["descend"], ["variants"],
                                     ["grade"]])
def test_every_command_has_help_with_its_exit_codes(command):
    r = run_cli(*command, "--help")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith(f"usage: backprop {' '.join(command)}".rstrip())
    assert "exit codes" in r.stdout and "3 an internal error" in " ".join(r.stdout.split())
    assert max(len(line) for line in r.stdout.splitlines()) <= 80


def test_descend_lists_the_optimizers_of_the_library():
    from backprop_cli.cli.descend import OPTIMIZERS
    from backprop_cli.tasks.descent import OPTIMIZERS as LIBRARY

    assert OPTIMIZERS == LIBRARY


# --- an internal error is exit 3, one line, never a traceback --------------------------------

def _boom(*args, **kwargs):
    raise ZeroDivisionError("float division by zero")


@pytest.mark.parametrize("target,args", [
    ("backprop_cli.tasks.differentiate.differentiate", [LECTURE, "--at", "x=1,y=2"]),
    # a crash while grading must not read as a wrong answer (1)
    ("backprop_cli.tasks.grading.grade", ["check", G, "--at", "x=1,y=2", "--expect", "w3 = 9"]),
    # (check_sweep: both the kept sweep of a table and the streamed CSV and JSON Lines)
    ("backprop_cli.tasks.sweep.check_sweep", [LECTURE, "--over", "x=0:1:3", "--at", "y=1"]),
    ("backprop_cli.render.terminal.render", [LECTURE, "--at", "x=1,y=2"]),
])
def test_an_internal_error_is_exit_3_in_one_line(monkeypatch, target, args, error_validate):
    monkeypatch.setattr(target, _boom)
    r = run_cli(*args)
    assert r.returncode == 3, r
    assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith("backprop: internal error of backprop ")
    assert "(ZeroDivisionError: float division by zero)" in r.stderr
    assert "not in your input" in r.stderr and "please report it" in r.stderr
    assert f"the command that caused it: {shlex.join(['backprop', *args])} (" in r.stderr
    assert "--debug shows the traceback" in r.stderr
    debug = run_cli(*args, "--debug")
    assert debug.returncode == 3
    assert "Traceback (most recent call last)" in debug.stderr and "_boom" in debug.stderr
    if ".render." in target:  # --json does not print through the terminal's renderer
        return
    doc = run_cli(*args, "--json")
    assert doc.returncode == 3 and doc.stderr == ""
    error = error_validate(json.loads(doc.stdout))["error"]
    assert error["type"] == "internal_error" and "ZeroDivisionError" in error["message"]


def test_an_internal_error_names_the_command_without_control_characters(monkeypatch):
    monkeypatch.setattr("backprop_cli.tasks.differentiate.differentiate", _boom)
    r = run_cli("x\x1b[31m", "--at", "x=1")
    assert r.returncode == 3 and "\x1b" not in r.stderr and "\\x1b" in r.stderr


def test_ctrl_c_is_exit_130(monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("backprop_cli.tasks.differentiate.differentiate", interrupt)
    r = run_cli(LECTURE, "--at", "x=1,y=2")
    assert r.returncode == 130 and r.stderr == "interrupted\n" and r.stdout == ""


# --- a terminal that cannot encode Unicode -------------------------------------------------------

ASCII_RUNS = [
    # (args, what the ASCII output must hold, exit code)
    ([LECTURE, "--at", "x=-1,y=pi/3", "--expand"],
     ["df/dx = w1bar", "w1*w2", "-sin(w4)", "w1**2", "wibar = sum_j wjbar*dwj/dwi",
      "2*x*cos(x*y) - x**2*y*sin(x*y)"], 0),
    ([LECTURE, "--at", "x=-1,y=pi/3", "--mode", "both"],
     ["wjdot = sum_k dwj/dwk*wkdot", "w4dot     w1dot*w2 + w1*w2dot"], 0),
    (["A @ x", "--at", "A=[[1,2],[3,4]],x=[1,1]", "--seed", "v=[1,0]"], ["w3bar*w2.T"], 0),
    ([LECTURE, "--at", "x=-1,y=pi/3", "--graph"], ["`-- w6 = w3*w5", "dw7/dw6 = 1"], 0),
    (["x*θ", "--at", "x=2,θ=3"], ["\\u03b8", "df/d\\u03b8"], 0),
    ([LECTURE, "--at", "x=-1,y=pi/3", "--format", "markdown"], ["w1bar", "dw5/dw4"], 0),
    ([LECTURE, "--at", "x=-1,y=pi/3", "--format", "dot"], ["w1bar"], 0),
    ([LECTURE, "--over", "x=-3:3:21", "--at", "y=pi/3"], ["df/dx"], 0),
    ([LECTURE, "--over", "x=-3:3:41", "--at", "y=pi/3", "--plot"], ["df/dx", "|"], 0),
    ([LECTURE, "--over", "x=-3:3:21", "--over", "y=-2:2:15", "--plot"], ["-grad, downhill"], 0),
    (["descend", "(x-3)**2 + (y+1)**2", "--from", "x=0,y=0", "--plot"], ["o: the path"], 0),
    (["check", G, "--at", "x=1,y=2", "--expect", "w̄1 = 44.33", "--expect", "w3 = 3"],
     ["w1bar", "+ right", "x wrong"], 1),
    (["--help"], ["w1...wn"], 0),
    (["descend", "--help"], ["\\u03b8 <- \\u03b8 - \\u03c4*g"], 0),
    (["log(θ)", "--at", "θ=-1"], ["  log(\\u03b8)\n  ^^^^^^^^^^^\n"], 2),
    (["θ + $", "--at", "θ=1"], ["  \\u03b8 + $\n           ^\n"], 2),
]


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("args,expected,code", ASCII_RUNS,
                         ids=[" ".join(a) for a, _, _ in ASCII_RUNS])
def test_a_terminal_without_unicode_gets_ascii(encoding, args, expected, code):
    """It was a UnicodeEncodeError traceback and exit 1, the code of a wrong answer."""
    r = run_cli(*args, encoding=encoding)
    assert r.returncode == code, r
    out = r.stdout + r.stderr
    assert out.isascii(), sorted({c for c in out if not c.isascii()})
    assert "Traceback" not in out
    for text in expected:
        assert text in out, (text, out)
    if "--format" not in args and "--help" not in args:  # DOT lines are long, help θ's too
        assert max(len(line) for line in r.stdout.splitlines() or [""]) <= 80


def test_ascii_tables_keep_their_columns():
    """The spelling happens before Rich lays the tables out: w̄1 grows to w1bar and its
    column grows with it, so every row's cells still start where the header's do."""
    r = run_cli(LECTURE, "--at", "x=-1,y=pi/3", encoding="ascii")
    lines = r.stdout.splitlines()
    head = lines.index(next(line for line in lines if line.startswith(" adjoint ")))
    rule = lines[head + 1]
    assert set(rule.strip()) == {"-"}
    rows = lines[head + 2:head + 9]
    assert [row.split()[0] for row in rows] == [f"w{k}bar" for k in range(7, 0, -1)]
    value_column = lines[head].index("value") + len("value")
    assert all(row[:value_column].rstrip()[-1].isdigit() for row in rows), rows
    assert rows[-1].split()[-1] == "-0.0931003"


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_json_on_an_ascii_terminal_is_the_same_document(encoding, validate):
    args = ("θ*x**2", "--at", "θ=2,x=3", "--json")
    doc = validate(json.loads(run_cli(*args, encoding=encoding).stdout))
    assert doc == json.loads(run_cli(*args).stdout)
    assert doc["gradient"] == {"θ": 9.0, "x": 12.0}
    lines = run_cli("θ*x", "--over", "θ=0:1:3", "--at", "x=1", "--json", encoding=encoding)
    assert lines.returncode == 0 and lines.stdout.isascii()
    assert [json.loads(line)["point"]["θ"] for line in lines.stdout.splitlines()] == [0, 0.5, 1]


def test_standard_input_is_utf8_whatever_the_terminal():
    r = run_cli("-", "--at", "θ=2", "--json", stdin="θ**2\n", encoding="ascii")
    assert r.returncode == 0 and json.loads(r.stdout)["gradient"] == {"θ": 4.0}


# --- the installed script, started for real ------------------------------------------------------

def test_the_script_on_path_prints_ascii_for_cp1252():
    import os
    import sys

    from conftest import run_script

    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    r = run_script("x*y", "--at", "x=1,y=2", command=["backprop"],
                   env={"PATH": path, "PYTHONIOENCODING": "cp1252"})
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "w1bar" in r.stdout and "df/dx" in r.stdout and "w1*w2" in r.stdout
    r = run_script("log(x)", "--at", "x=-1", command=["backprop"],
                   env={"PATH": path, "PYTHONIOENCODING": "ascii"})
    assert r.returncode == 2 and "w2 = log(w1)" in r.stderr and "Traceback" not in r.stderr


def test_version_and_help_load_neither_numpy_nor_rich_tables():
    import subprocess
    import sys

    code = ("import io, sys, contextlib\n"
            "from backprop_cli.cli import main\n"
            "for argv in (['--version'], ['--help'], ['check', '--help'], ['sweep', '--help'],\n"
            "             ['descend', '--help']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "        assert main(argv) == 0, argv\n"
            "    assert out.getvalue().startswith(('backprop 0', 'usage: backprop')), argv\n"
            "heavy = sorted({'numpy', 'rich', 'rich.table', 'lark'} & set(sys.modules))\n"
            "assert not heavy, heavy\n"
            "import backprop_cli\n"
            "assert backprop_cli.Trace.__name__ == 'Trace' and 'numpy' in sys.modules\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_the_library_names_are_still_importable():
    import backprop_cli
    from backprop_cli import (SCHEMA_VERSION, BackpropError, Const, Node, Program, Trace,
                              differentiate, evaluate, lower, parse, parse_point)

    assert set(backprop_cli.__all__) <= set(dir(backprop_cli))
    assert differentiate("x*y", at="x=2,y=3").gradient == {"x": 3.0, "y": 2.0}
    assert all((SCHEMA_VERSION, BackpropError, Const, Node, Program, Trace, evaluate, lower,
                parse, parse_point))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        backprop_cli.nothing_here  # noqa: B018


@pytest.mark.parametrize("args,code", [
    ((LONG, "--at", "x=1", "--max-rows", "0"), 0),
    (("check", G, "--at", "x=1,y=2", "--expect", "w3 = 3"), 1),  # a wrong answer stays 1
    (("x**", "--at", "x=1", "--json"), 2),  # the error's JSON hits the closed pipe
    (("x**", "--at", "x=1"), 2),  # on stderr: the pipe of stdout does not matter
    (("descend", "x**2", "--from", "x=1", "--lr", "2", "--every", "1"), 1),  # diverged
])
def test_a_closed_pipe_keeps_the_exit_code(args, code):
    """A pipe whose reader has gone before the first write: every write is EPIPE."""
    import os
    import subprocess

    from conftest import BACKPROP, REPO

    read, write = os.pipe()
    os.close(read)
    try:
        r = subprocess.run([str(BACKPROP), *args], stdout=write, stderr=subprocess.PIPE,
                           text=True, cwd=REPO, timeout=120, env={**os.environ, "COLUMNS": "80"})
    finally:
        os.close(write)
    assert r.returncode == code, r.stderr
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr, r.stderr


def test_a_bug_in_showing_an_error_is_still_exit_3(monkeypatch):
    """The error of bad input goes through a renderer too; if that breaks, the run must
    not end in a traceback and exit 1."""
    monkeypatch.setattr("backprop_cli.render.terminal.render_error", _boom)
    r = run_cli("x**", "--at", "x=1")
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert r.stderr.startswith("backprop: internal error of backprop ")
    monkeypatch.setattr("backprop_cli.render.json_doc.render_error", _boom)
    r = run_cli("x**", "--at", "x=1", "--json")
    assert r.returncode == 3 and "Traceback" not in r.stderr and r.stdout == ""
    assert r.stderr.startswith("backprop: internal error of backprop ")
