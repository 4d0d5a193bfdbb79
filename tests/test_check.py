"""Grading answers (--expect, --answers, --answers-out). The oracles are the course notes'
hand-derived partials and printed adjoints, and SymPy for every counterexample shown."""

import json
import math

import pytest
import sympy as sp

from conftest import run_cli

from backprop_cli.tasks.grading import check
from backprop_cli.errors import AnswerError, BackpropError
from backprop_cli.render.json_doc import report_document
from backprop_cli.render.sentences import undefined_words, verdict_reason

G = "x*y*exp(x*y)"  # the lecture exercise g(x, y) = xy·e^{xy}
LECTURE = "x**2*cos(x*y)+1"
F = "x**2*cos(x*y)+1"  # the lecture's f, graded at x = -1, y = π/3
F_AT = "x=-1,y=pi/3"

X, Y = sp.symbols("x y")
G_SYM = X * Y * sp.exp(X * Y)


def one(source, at, text, **kw):
    report = check(source, at, [text], **kw)
    (verdict,) = report.problems[0].verdicts
    return verdict


# --- the lecture exercise g ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "dg/dx = y*exp(x*y) + x*y**2*exp(x*y)",            # the notes' ∂g/∂x
    "dg/dy = x*exp(x*y) + x**2*y*exp(x*y)",            # the notes' ∂g/∂y
    "∂g/∂x = y·e^(x·y) + x·y²·e^(x·y)",                # as the tables print formulas
    "∂g/∂y = x·exp(x·y) + x²·y·exp(x·y)",
    "df/dy = x*e**(x*y)*(1 + x*y)",                    # factored, any letter for g
])
def test_hand_derived_partials_of_g_are_right(text):
    v = one(G, "x=1,y=2", text)
    assert v.right and v.kind == "formula", verdict_reason(v)
    assert v.points >= 10  # held at the point and at random points, not one


def _holds_against_sympy(v, answer_sym, truth_sym):
    """The counterexample is real: SymPy's truth there is the one shown and the answer
    differs from it."""
    at = {X: v.counterexample.at["x"], Y: v.counterexample.at["y"]}
    truth = float(truth_sym.subs(at))
    assert v.counterexample.truth == pytest.approx(truth, rel=1e-12)
    assert v.counterexample.answer == pytest.approx(float(answer_sym.subs(at)), rel=1e-12)
    assert not math.isclose(v.counterexample.answer, truth, rel_tol=1e-6)


def test_a_plausible_wrong_partial_is_rejected_with_a_counterexample():
    v = one(G, "x=1,y=2", "∂g/∂y = x·e^(xy)".replace("xy", "x*y"))
    assert not v.right and v.counterexample is not None
    _holds_against_sympy(v, X * sp.exp(X * Y), sp.diff(G_SYM, Y))


def test_an_answer_right_only_at_the_point_is_rejected():
    # the truth plus a term that vanishes at (1, 2)
    text = "dg/dx = y*exp(x*y) + x*y**2*exp(x*y) + (x - 1)*(y - 2)"
    v = one(G, "x=1,y=2", text)
    assert v.value == pytest.approx(float(sp.diff(G_SYM, X).subs({X: 1, Y: 2})))
    assert not v.right and "at the point only" in verdict_reason(v)
    assert v.counterexample.at != {"x": 1.0, "y": 2.0}
    dx = sp.diff(G_SYM, X)
    _holds_against_sympy(v, dx + (X - 1) * (Y - 2), dx)


def test_the_counterexample_is_the_same_on_every_run():
    args = (G, "--at", "x=1,y=2", "--expect", "dg/dy = x*exp(x*y)", "--json")
    first, second = run_cli(*args), run_cli(*args)
    assert first.returncode == second.returncode == 1
    assert first.stdout == second.stdout


# --- the lecture's adjoints of f at x = -1, y = π/3 ------------------------------------

# As the notes print them: the manual adjoints and the formulas of their torch cell.
NOTES_NUMBERS = ["w1bar = -0.0931", "w2bar = -0.8660", "w3bar = 0.5000", "w4bar = 0.8660",
                 "w5bar = 1.", "w6bar = 1", "w7bar = 1"]
NOTES_FORMULAS = ["w7bar = 1", "w6bar = 1", "w5bar = w3", "w4bar = -w3*sin(w4)",
                  "w3bar = w5", "w2bar = -w1*w3*sin(w4)", "w1bar = 2*w1*w5 - w2*w3*sin(w4)",
                  "df/dx = 2*w1*w5 - w2*w3*sin(w4)", "∂f/∂y = -w1*w3*sin(w4)"]


def test_the_notes_adjoints_are_right():
    report = check(F, F_AT, NOTES_NUMBERS + NOTES_FORMULAS)
    assert report.all_right, [verdict_reason(v) for v in report.problems[0].verdicts
                              if not v.right]
    reasons = {v.target: verdict_reason(v) for v in report.problems[0].verdicts[:4]}
    assert reasons["w1bar"] == "right to 3 significant digits"
    assert reasons["w2bar"] == "right to 4 significant digits"


def test_exit_codes_through_the_console_script():
    expects = [a for text in NOTES_NUMBERS + NOTES_FORMULAS for a in ("--expect", text)]
    right = run_cli(F, "--at", F_AT, *expects)
    assert right.returncode == 0, right.stdout + right.stderr
    assert f"{len(NOTES_NUMBERS + NOTES_FORMULAS)} of 16 answers right" in right.stdout
    assert "✓ right to 3 significant digits" in right.stdout
    perturbed = run_cli(F, "--at", F_AT, *expects, "--expect", "w1bar = -0.0932")
    assert perturbed.returncode == 1
    assert "16 of 17 answers right" in perturbed.stdout
    assert "✗ wrong" in perturbed.stdout
    assert verdict_reason(graded(-0.0931003178, "-0.0932")) == \
        "wrong: to 3 significant digits the truth is -0.0931"
    bad = run_cli(F, "--at", F_AT, "--expect", "w99 = 1")
    assert bad.returncode == 2 and bad.stdout == "" and "Traceback" not in bad.stderr
    for out in (right.stdout, perturbed.stdout):
        assert max(len(line) for line in out.splitlines()) <= 80 and "\x1b[" not in out


def test_unicode_spellings_from_the_tables():
    report = check(F, F_AT, ["w̄1 = w̄3·(2·w1) + w̄4·w2", "w̄4 = −w̄5·sin(w4)", "w̄2 = w̄4·w1",
                             "w3 = w1²", "w̄1 = −0.0931"])
    assert report.all_right


def test_a_wrong_adjoint_formula_is_caught():
    v = one(F, F_AT, "w1bar = 2*w1*w5 + w2*w3*sin(w4)")  # a sign slip
    assert not v.right and v.counterexample is not None


# --- the significant-digit rule ---------------------------------------------------------

def graded(truth: float, answer: str, **kw):
    """The answer for f(x) = x at x = truth, so the truth is exactly `truth`."""
    return one("x", f"x={truth!r}", f"f = {answer}", **kw)


@pytest.mark.parametrize("truth, answer, right", [
    (-0.0931003178, "-0.0931", True),
    (-0.0931003178, "−0.0931", True),          # the unicode minus of the tables
    (-0.0931003178, "-0.0932", False),
    (-0.0931003178, "0.0931", False),          # the sign counts
    (-0.0931003178, "-0.09", True),
    (-0.0931003178, "-0.093101", False),       # more digits claim more
    (-0.0931003178, "-0.0931003", True),
    (0.125, "0.13", True),                     # a tie at the half unit: either way
    (0.125, "0.12", True),
    (0.125, "0.11", False),
    (-0.125, "-0.12", True),
    (0.15, "0.1", True),                       # 0.15 is 0.1499999…: a tie up to float slack
    (0.15, "0.2", True),
    (2.0, "2", True),                          # exact integers
    (2.0, "2.000", True),
    (1.9999999999999998, "2", True),           # up to rounding
    (2.4, "2", False),                         # an integer claims an exact value
    (2.4, "2.", True),                         # a point says it is rounded
    (0.996, "1.00", True),                     # rounded to the places written, past a decade
    (0.996, "0.99", False),
    (1234.4, "1.234e3", True),
    (1234.6, "1.234e3", False),
    (0.0, "0", True),
    (6.123233995736766e-17, "0", True),        # cos(pi/2): zero up to rounding
    (-0.0931, "0", False),
    (0.04, "0.0", True),                       # a zero to one decimal place
    (0.06, "0.0", False),
    (1.0471975511965976, "pi/3", True),        # a constant expression is exact
    (1.0471975511965976, "1/3", False),
])
def test_significant_digit_rule(truth, answer, right):
    v = graded(truth, answer)
    assert v.right is right, verdict_reason(v)


def test_the_verdict_says_how_many_digits():
    assert verdict_reason(graded(-0.0931003, "-0.0931")) == "right to 3 significant digits"
    assert graded(-0.0931003, "-0.0931").digits == 3
    assert verdict_reason(graded(0.5, "0.50")) == "right to 2 significant digits"
    assert verdict_reason(graded(0.004, "0.00")) == "right to 2 decimal places"
    assert verdict_reason(graded(2.0, "2")) == "right (exact)"
    assert "the truth is 2.4" in verdict_reason(graded(2.4, "2"))


def test_rtol_and_atol_replace_the_digit_rule():
    from backprop_cli.tasks.grading import Tolerance

    assert not graded(1.0471975, "1.04").right  # 1.0471975 rounds to 1.05
    assert graded(1.0471975, "1.04", tolerance=Tolerance(rtol=0.01)).right
    assert not graded(1.0471975, "1.04", tolerance=Tolerance(rtol=1e-3)).right
    assert graded(1.0471975, "1.04", tolerance=Tolerance(atol=0.008)).right
    assert not graded(1.0471975, "1", tolerance=Tolerance(atol=0.003)).right
    r = run_cli("x", "--at", "x=1.0471975", "--expect", "f = 1.04", "--rtol", "0.01")
    assert r.returncode == 0 and "right within rtol 0.01" in r.stdout
    r = run_cli("x", "--at", "x=1.0471975", "--expect", "f = 1.04", "--atol", "1e-3")
    assert r.returncode == 1
    assert run_cli("x", "--at", "x=1", "--expect", "f = 1", "--rtol", "-1").returncode == 2


# --- formulas as functions --------------------------------------------------------------

def test_points_outside_the_truths_domain_are_skipped():
    # d/dx log(x) = 1/x where log is defined; random points with x ≤ 0 are not used
    v = one("log(x)", "x=2", "df/dx = 1/x")
    assert v.right and v.points >= 10


def test_an_answer_undefined_where_the_truth_is_defined_is_wrong():
    v = one("x**2", "x=1", "df/dx = 2*exp(log(x))")  # 2x only for x > 0
    assert not v.right
    c = v.counterexample
    assert c.at["x"] <= 0 and c.answer is None and "log" in undefined_words(c.undefined)
    assert c.undefined == ("log(x)", "log")  # the answer's own text, not its w's
    assert c.truth == pytest.approx(2 * c.at["x"])


def test_a_formula_is_not_graded_where_the_truth_is_infinite():
    # d√x/dx = 1/(2√x) is inf at x = 0: as the README says, such points are skipped (the
    # answer was marked wrong there, "answer undefined, truth inf")
    v = one("sqrt(x)", "x=0", "df/dx = 1/(2*sqrt(x))")
    assert v.right and v.points == 12, verdict_reason(v)
    assert "not finite at the point" in verdict_reason(v)
    assert not one("sqrt(x)", "x=0", "df/dx = 1/sqrt(x)").right


def test_targets_any_node_value_and_adjoint_and_named_statements():
    report = check("c = a + b; d = c + a", "a=1,b=2",
                   ["d = 4", "c = a + b", "c = 3", "w3 = 3", "dd/da = 2", "∂d/∂b = 1",
                    "value = 4", "w1bar = 2", "w3bar = w4bar", "dd/da = w3bar + 1"])
    assert report.all_right, [verdict_reason(v) for v in report.problems[0].verdicts]


def test_the_notes_exercise_dd_over_a_statement_is_its_adjoint():
    # course note 002: a + b = c, a + c = d; dd/dd = 1, dd/dc = 1, dd/db = 1, dd/da = 2
    report = check("c = a + b; d = c + a", "a=1,b=2",
                   ["dd/dd = 1", "dd/dc = 1", "∂d/∂c = 1", "dd/db = 1", "dd/da = 2",
                    "dd/dw3 = 1"])
    assert report.all_right, [verdict_reason(v) for v in report.problems[0].verdicts]
    assert not one("c = a + b; d = c + a", "a=1,b=2", "dd/dc = 2").right


@pytest.mark.parametrize("text, column", [
    ("da/da = 1", 2),   # an input is no node with operands: nothing to grade
])
def test_a_derivative_of_another_node_than_the_output_is_refused(text, column):
    with pytest.raises(AnswerError) as info:
        check("c = a + b; d = c + a", "a=1,b=2", [text])
    assert "not the output" in info.value.message
    assert info.value.position() == (1, column)


def test_local_partials_of_the_lecture_against_its_edges():
    # f = x²cos(xy) + 1 at (2, π/2): ∂w5/∂w4 = −sin(w4) = 0 … as a formula and a number
    import math
    report = check(LECTURE, "x=2,y=pi/2",
                   ["dw5/dw4 = -sin(w4)", "∂w6/∂w3 = w5", "dw4/dw2 = w1", "dw3/dw1 = 2*w1",
                    f"dw5/dw4 = {-math.sin(math.pi):.6f}", "dw6/dw5 = 4"])
    assert report.all_right, [verdict_reason(v) for v in report.problems[0].verdicts]
    assert not one(LECTURE, "x=2,y=pi/2", "dw6/dw3 = w3").right


def test_a_partial_into_the_output_written_with_its_w_is_the_edge_not_the_adjoint():
    # g = w3·w4: ∂w5/∂w3 on the edge is w4, while dg/dw3 = w̄3 = w4 + w3·w4 adds the path
    # through w4 = exp(w3)
    report = check(G, "x=1,y=2", ["dw5/dw3 = w4", "dg/dw3 = w4 + w3*w4", "∂w5/∂w4 = w3"])
    assert report.all_right, [verdict_reason(v) for v in report.problems[0].verdicts]
    assert [v.id for v in report.problems[0].verdicts] == ["dw5/dw3", "w3bar", "dw5/dw4"]


@pytest.mark.parametrize("text, column, message", [
    ("dc/dd = 1", 5, "d is not an operand of w3"),
    ("dc/dc = 1", 5, "c is not an operand of w3"),
])
def test_a_partial_off_the_edges_is_refused(text, column, message):
    with pytest.raises(AnswerError) as info:
        check("c = a + b; d = c + a", "a=1,b=2", [text])
    assert message in info.value.message
    assert info.value.position() == (1, column)


@pytest.mark.parametrize("text", ["dc/da = 1", "dw3/da = 1", "∂w3/∂w1 = 1", "dc/db = 1"])
def test_a_derivative_of_a_statement_by_its_operand_is_the_local_partial(text):
    # c = a + b is not the output: dc/da is the edge's local partial (1), not dd/da (2)
    report = check("c = a + b; d = c + a", "a=1,b=2", [text])
    assert report.all_right
    assert report.problems[0].verdicts[0].id in ("dw3/dw1", "dw3/dw2")


def test_a_local_partial_needs_an_edge():
    with pytest.raises(AnswerError) as info:
        check("c = a*b; d = sin(c) + a", "a=1,b=2", ["dw4/dw1 = 1"])  # w4 = sin(w3)
    assert "w1 is not an operand of w4" in info.value.message
    assert "from w3" in info.value.message
    assert info.value.position() == (1, 6)


def test_the_names_hint_of_a_one_node_problem_is_not_a_range():
    with pytest.raises(AnswerError) as info:
        check("x", "x=1", ["f = z"])
    assert info.value.hint == ("an answer may use x, w1, w1bar (or w̄1), x̄ or xbar for "
                               "x's adjoint, pi, e")  # not w1…w1


def test_a_missing_node_of_a_one_node_problem_is_not_a_range():
    with pytest.raises(AnswerError) as info:
        check("x", "x=1", ["w9 = 1"])
    assert info.value.message == "there is no node w9: the program has w1"  # not w1…w1
    assert "w1…" not in info.value.hint


def test_an_input_named_like_a_node_means_the_input():
    # inputs w2, w1 are the nodes w1, w2: the user's names win, in targets and answers
    report = check("w2*exp(w1)", "w1=1,w2=3",
                   ["df/dw1 = w2*exp(w1)", "w1 = 1", "w2 = 3", "w3 = e"])
    assert report.all_right, [verdict_reason(v) for v in report.problems[0].verdicts]


def test_the_targets_hint_names_the_output_once():
    with pytest.raises(AnswerError) as info:
        check("c = a + b; d = c + a", "a=1,b=2", ["zz = 1"])
    hint = info.value.hint
    assert hint.startswith("targets here: d (or value)") and hint.count("d,") == 0
    assert hint.endswith(", c, a\u0304 or abar for a's adjoint")


# --- errors --------------------------------------------------------------------------

@pytest.mark.parametrize("text, message, column, hint", [
    ("w99 = 1", "there is no node w99: the program has w1…w5", 1, "w1bar…w5bar"),
    ("dg/dz = 1", "z is not an input (the inputs are x, y)", 5, "df/dx"),
    ("d f/dz = 1", "z is not an input", 6, "df/dx"),
    ("h2 = 1", "unknown target 'h2'", 1, "w1…w5"),
    ("z = 1", "unknown target 'z'", 1, "df/dy"),
    ("dg/dx = y*exp(x*y", "unexpected end of input", 18, "a ( is not closed"),
    ("dg/dx = y*exp(z)", "'z' is not a name of this problem", 15, "x, y, w1…w5"),
    ("dg/dx = ", "no answer after the =", 9, None),
    ("dg/dx 3", "an expected answer is written TARGET = ANSWER", 1, None),
    ("w4 = 2; w5 = 1", "an answer is one expression", 7, "one --expect per target"),
    ("dg/dx = 2, 3", "unexpected ','", 10, "an answer is one expression"),
    ("w̄4 = w̄5 *", "unexpected end of input", 12, None),  # the macron is a character
])
def test_bad_targets_and_answers_point_into_the_expect_text(text, message, column, hint):
    with pytest.raises(BackpropError) as info:
        check(G, "x=1,y=2", [text])
    error = info.value
    assert message in error.message
    assert error.origin == "--expect" and error.position() == (1, column)
    if hint:
        assert hint in (error.hint or "")
    r = run_cli(G, "--at", "x=1,y=2", "--expect", text)
    assert r.returncode == 2 and "(--expect, column" in r.stderr and "^" in r.stderr


def test_errors_under_json_are_json(report_validate):
    r = run_cli(G, "--at", "x=1,y=2", "--expect", "w99 = 1", "--json")
    assert r.returncode == 2
    doc = report_validate(json.loads(r.stdout))
    assert doc["error"]["type"] == "answer_error" and doc["error"]["origin"] == "--expect"


# --- answers files -----------------------------------------------------------------------

TOML = '''
[[problems]]
name = "lecture exercise g"
expression = "x*y*exp(x*y)"
at = "x=1,y=2"
[problems.expect]
"dg/dx" = "y*exp(x*y) + x*y**2*exp(x*y)"
"∂g/∂y" = "x*exp(x*y)"     # wrong: half the product rule
w3 = "2"
w4bar = 2
w5bar = 1.0

[[problems]]
name = "lecture f"
expression = "x**2*cos(x*y)+1"
at = { x = -1, y = "pi/3" }
[problems.expect]
w1bar = "-0.0931"
w2bar = "2*w1*w5 - w2*w3*sin(w4)"    # the formula of w1bar: wrong
f = 1.5
'''


def _as_json(toml_text: str) -> str:
    import tomllib

    return json.dumps(tomllib.loads(toml_text))


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_an_answers_file_with_several_problems(tmp_path, suffix, report_validate):
    f = tmp_path / f"homework.{suffix}"
    f.write_text(TOML if suffix == "toml" else _as_json(TOML), encoding="utf-8")
    r = run_cli("--answers", str(f), "--json")
    assert r.returncode == 1, r.stdout + r.stderr
    doc = report_validate(json.loads(r.stdout))
    assert (doc["right"], doc["total"], doc["all_right"]) == (6, 8, False)
    g, f_ = doc["problems"]
    assert g["name"] == "lecture exercise g" and f_["at"]["y"] == pytest.approx(math.pi / 3)
    wrong = {a["target"]: a for p in doc["problems"] for a in p["answers"] if not a["right"]}
    assert set(wrong) == {"∂g/∂y", "w2bar"} and "counterexample" in wrong["∂g/∂y"]
    assert {a["target"]: a["kind"] for a in g["answers"]}["w5bar"] == "number"  # 1.0
    text = run_cli("--answers", str(f))
    assert text.returncode == 1 and "lecture exercise g: x*y*exp(x*y)" in text.stdout
    assert "6 of 8 answers right" in text.stdout


@pytest.mark.parametrize("content, message", [
    ('[[problems]]\nexpression = "x"\nat = "x=1"\n[problems.expect]\nw9 = "1"\n',
     "there is no node w9"),
    ('[[problems]]\nname = "p1"\nat = "x=1"\n[problems.expect]\nw1 = "1"\n',
     "problem 'p1': no expression"),
    ('[[problems]]\nname = "p1"\nexpression = "x"\nat = "x=1"\nexpected = 3\n',
     "problem 'p1': unknown key 'expected'"),
    ('[[problems]]\nname = "p1"\nexpression = "x"\nat = "x=1"\n[problems.expect]\nw1 = true\n',
     "problem 'p1', key 'w1': an answer is a string or a number"),
    ('[[problems]]\nexpression = "x"\nat = "x=1"\n[problems.expect]\nw1 = = "1"\n',
     "not valid TOML"),
    ('[[problems]]\nname = "p1"\nexpression = "log(x)"\nat = "x=-1"\n[problems.expect]\nf = "1"\n',
     "w2 = log(w1): log needs a positive argument, but w1 = -1 (/"),
    ('[[problems]]\nname = "p1"\nexpression = "x*"\nat = "x=1"\n[problems.expect]\nf = "1"\n',
     "bad.toml, problem 'p1', key 'expression', column 3)"),
    ('[[problems]]\nname = "p1"\nexpression = "x"\nat = "x=1,"\n[problems.expect]\nf = "1"\n',
     "bad.toml, problem 'p1', key 'at', column 5)"),
    ('title = "hw"\n', "no problems"),
])
def test_bad_answers_files_say_which_problem_and_key(tmp_path, content, message):
    f = tmp_path / "bad.toml"
    f.write_text(content)
    r = run_cli("--answers", str(f))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("'p1'") <= 1, r.stderr  # the problem named once
    assert "bad.toml" in r.stderr, r.stderr  # and the file


def test_a_bad_answer_in_a_file_points_at_problem_and_key(tmp_path):
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"problems": [
        {"name": "g", "expression": G, "at": "x=1,y=2", "expect": {"dg/dx": "y*exp(x*)"}}]}))
    r = run_cli("--answers", str(f))
    assert r.returncode == 2
    assert f"({f}, problem 'g', key 'dg/dx', column 17)" in r.stderr
    assert r.stderr.count("problem 'g'") == 1
    assert "dg/dx = y*exp(x*)" in r.stderr
    f.write_text('{"problems": [')
    r = run_cli("--answers", str(f))
    assert r.returncode == 2 and "not valid JSON" in r.stderr and "^" in r.stderr


@pytest.mark.parametrize("suffix", ["toml", "json"])
@pytest.mark.parametrize("expression, at", [
    (F, "x=-1,y=pi/3"), (G, "x=1,y=2"), ("c = a + b; d = c + a", "a=1,b=2"),
    ("sqrt(x**2+exp(x**2))+cos(x**2+exp(x**2))", "x=0.7"),
])
def test_answers_out_then_answers_grades_all_right(tmp_path, suffix, expression, at):
    key = tmp_path / f"key.{suffix}"
    r = run_cli(expression, "--at", at, "--answers-out", str(key))
    assert r.returncode == 0 and "Forward pass" in r.stdout
    graded = run_cli("--answers", str(key), "--json")
    doc = json.loads(graded.stdout)
    assert graded.returncode == 0 and doc["all_right"], graded.stdout
    run = json.loads(run_cli(expression, "--at", at, "--json").stdout)
    n = len(run["nodes"])
    inputs = len(doc["problems"][0]["at"])
    edges = len(run["partials"])
    # every value, adjoint, gradient entry, f, and every local partial
    assert doc["total"] == 2 * n + inputs + 1 + edges


def test_answers_needs_no_expression():
    r = run_cli(G, "--answers", "x.toml")
    assert r.returncode == 2 and "--answers gives the problems" in r.stderr


# --- the report document ---------------------------------------------------------------

def test_the_json_report_validates(report_validate):
    r = run_cli(F, "--at", F_AT, "--json", "--expect", "w1bar = -0.0931",
                "--expect", "w1bar = 2*w1*w5 + w2*w3*sin(w4)", "--expect", "w4 = pi/3")
    assert r.returncode == 1 and r.stdout.count("\n") == 1
    doc = report_validate(json.loads(r.stdout))
    right, formula, exact = doc["problems"][0]["answers"]
    assert right["right"] and right["digits"] == 3 and right["id"] == "w1bar"
    assert not formula["right"] and formula["kind"] == "formula"
    assert exact["kind"] == "exact" and not exact["right"]  # w4 = -π/3
    with pytest.raises(Exception):
        report_validate({"schema": "1", "right": 1})


def test_library_entry_point():
    report = check(G, {"x": 1, "y": 2}, {"dg/dx": "y*exp(x*y) + x*y**2*exp(x*y)",
                                         "w3": 2})
    assert report.all_right and (report.right, report.total) == (2, 2)
    with pytest.raises(AnswerError):
        check(G, "x=1,y=2", {"w0": "1"})


def test_the_default_command_imports_no_grading():
    import subprocess
    import sys

    code = ("import sys, io, contextlib\n"
            "from backprop_cli.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['x*y', '--at', 'x=1,y=2']) == 0\n"
            "loaded = {'backprop_cli.tasks.grading', 'backprop_cli.tasks.answers', 'tomllib'} & set(sys.modules)\n"
            "assert not loaded, loaded\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_grading_prints_a_report_not_a_format():
    assert run_cli(G, "--at", "x=1,y=2", "--expect", "w3 = 2", "--format", "json").returncode == 0
    r = run_cli(G, "--at", "x=1,y=2", "--expect", "w3 = 2", "--format", "latex")
    assert r.returncode == 2 and "print a report" in r.stderr


def test_a_tolerance_without_answers_is_a_usage_error():
    # --rtol on the tables was ignored without a word: the user meant to grade something
    r = run_cli(G, "--at", "x=1,y=2", "--rtol", "0.1")
    assert r.returncode == 2 and "--rtol and --atol are for grading" in r.stderr
    r = run_cli(G, "--at", "x=1,y=2", "--atol", "0.1", "--json")
    assert r.returncode == 2 and json.loads(r.stdout)["error"]


@pytest.mark.parametrize("target,answer", [
    ("c̄", "1"), ("cbar", "1"), ("c_bar", "1"), ("d̄", "1"), ("ā", "2"), ("a\u0304", "2"),
    ("abar", "2"), ("b̄", "1"), ("ā", "c̄ + 1"), ("ā", "cbar + dbar"),
])
def test_a_bar_on_a_statement_or_input_name_is_its_adjoint(target, answer):
    """Course note 002's exercise writes ā, b̄, c̄, d̄ for c = a + b; d = c + a at a=1,
    b=2: d̄ = 1, c̄ = d̄ = 1, b̄ = c̄ = 1, ā = c̄ + d̄ = 2."""
    report = check("c = a + b; d = c + a", "a=1,b=2", [f"{target} = {answer}"])
    assert report.all_right, report_document(report)


def test_an_error_in_an_answer_shows_the_answer_as_typed():
    text = "c̄ = d̄ + ē*"
    with pytest.raises(BackpropError) as info:
        check("c = a + b; d = c + a", "a=1,b=2", [text])
    assert info.value.source == text and info.value.origin == "--expect"
    assert info.value.excerpt() == (text, " " * len(text) + "^")


def test_an_unknown_barred_name_is_shown_as_typed_never_the_substitute():
    for expect in ("ē = 1", "c̄ = ē", "dd/dē = 1"):
        with pytest.raises(AnswerError) as info:
            check("c = a + b; d = c + a", "a=1,b=2", [expect])
        assert "\u02c9" not in info.value.message, info.value.message
        assert "ē" in info.value.message, info.value.message


def test_a_name_that_ends_in_bar_is_that_name_first():
    """An input called xbar is a value, not x's adjoint."""
    assert check("x*xbar", "x=2,xbar=3", ["xbar = 3", "x̄ = 3", "xbarbar = 2"]).all_right


# --- verdicts are data; their words are render's ----------------------------------------

# One answer for each outcome: (expression, point, answer, tolerance).
EVERY_OUTCOME = {
    "within_tolerance": ("x", "x=1.0471975", "f = 1.04", (0.01, 0)),
    "outside_tolerance": ("x", "x=1.0471975", "f = 1.04", (1e-3, 0)),
    "exact": ("x", "x=2", "f = 2", None),
    "not_exact_integer": ("x", "x=2.4", "f = 2", None),
    "not_exact": ("x", "x=2.4", "f = 1/3", None),
    "rounded": ("x", "x=-0.0931003178", "f = -0.0931", None),
    "misrounded": ("x", "x=1234.6", "f = 1.234e3", None),
    "truth_not_finite": ("1/x", "x=1e-320", "f = 1.0", None),
    "not_taken": ("where(x > 0, sqrt(x), 0)", "x=-1", "w3 = 1.0", None),
    "function": (G, "x=1,y=2", "dg/dx = y*exp(x*y) + x*y**2*exp(x*y)", None),
    "function_off_point": ("sqrt(x)", "x=0", "df/dx = 1/(2*sqrt(x))", None),
    "differs_at_point": (G, "x=1,y=2", "dg/dy = x*exp(x*y)", None),
    "differs_elsewhere": ("x**2", "x=1", "df/dx = 2*exp(log(x))", None),
}


# A class template's rules (backprop grade): significant digits, a number or a formula
CLASS_OUTCOMES = {
    "significant": ("x", "x=-0.0931003178", "f = -0.093104", 3, None),
    "insignificant": ("x", "x=-0.0931003178", "f = -0.0935", 3, None),
    "formula_not_number": (G, "x=1,y=2", "w3 = w1*w2", 3, "number"),
    "number_not_formula": (G, "x=1,y=2", "dg/dx = 44.33", 3, "formula"),
}


def judged(source, at, text, digits=None, form=None):
    """One answer graded as `backprop grade` grades it."""
    from backprop_cli.tasks.differentiate import differentiate
    from backprop_cli.tasks.grading import Digits, _Points, judge, parse_answer, parse_target

    trace = differentiate(source, at)
    k = text.index("=")
    written = text[:k].strip()
    target = parse_target(written, trace.program, text, 0, "test")
    answer = parse_answer(text, k + 1, trace.program, "test")
    return judge(written, target, answer, _Points(trace), digits and Digits(digits), form)


def _every_outcome():
    from backprop_cli.tasks.grading import Tolerance

    verdicts = {outcome: one(source, at, text, tolerance=tol and Tolerance(*tol))
                for outcome, (source, at, text, tol) in EVERY_OUTCOME.items()}
    verdicts.update({outcome: judged(*case) for outcome, case in CLASS_OUTCOMES.items()})
    return verdicts


@pytest.mark.parametrize("truth, answer, right, reason", [
    (-0.0931003178, "-0.0931", True, "right to 3 significant digits"),
    (-0.0931003178, "-0.0931003178", True, "right to 3 significant digits"),
    (-0.0931003178, "-0.09315", True, "right to 3 significant digits"),  # within half a unit
    (-0.0931003178, "-0.0932", False, "wrong: right to 2 significant digits, 3 asked"),
    (-0.0931003178, "0.0931", False, "wrong: the sign is wrong"),
    (-0.0931003178, "7", False, "wrong: not right to even one significant digit (3 asked)"),
    (2.0, "2", True, "right to 3 significant digits"),
    (2.0004, "2", True, "right to 3 significant digits"),
    (2.006, "2", False, "wrong: right to 2 significant digits, 3 asked"),
    (0.0, "0.0004", True, "right to 3 significant digits"),  # a zero: the 3rd decimal place
    (0.0, "0.001", False, "wrong: right to 2 significant digits, 3 asked"),
    (1234.6, "1235", True, "right to 3 significant digits"),
    (1234.6, "1.23e3", True, "right to 3 significant digits"),
])
def test_significant_digits_count_whatever_is_written(truth, answer, right, reason):
    v = judged("x", f"x={truth!r}", f"f = {answer}", 3)
    assert v.right is right and verdict_reason(v) == reason


def _strings(value):
    """Every str inside a verdict's fields, however deep."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _strings(v)


def test_a_verdict_holds_no_sentence_and_no_formatted_number():
    """Its only strings are the user's texts and the outcome's word; numbers are numbers."""
    from backprop_cli.tasks.grading import OUTCOMES, RIGHT_OUTCOMES

    verdicts = _every_outcome()
    for outcome, v in verdicts.items():
        assert v.outcome == outcome and v.outcome in OUTCOMES, (outcome, verdict_reason(v))
        assert v.right is (outcome in RIGHT_OUTCOMES)
        texts = {v.target, v.id, v.answer, v.kind, v.outcome}
        if v.counterexample is not None:
            texts |= set(v.counterexample.at)
            if v.counterexample.undefined is not None:
                texts |= set(v.counterexample.undefined)
        assert set(_strings(tuple(v))) <= texts, (outcome, v)
        for name in ("truth", "value"):
            value = getattr(v, name)
            assert value is None or type(value) is float, (outcome, name, value)
        c = v.counterexample
        if c is not None:
            assert all(type(x) is float for x in [c.truth, *c.at.values()]), c
            assert c.answer is None or type(c.answer) is float, c
    assert verdicts["differs_elsewhere"].counterexample.undefined == ("log(x)", "log")


def test_every_outcome_is_worded():
    """Each of OUTCOMES is reachable and has its sentence, with ✓ or ✗ as it is right."""
    from backprop_cli.tasks.grading import OUTCOMES

    verdicts = _every_outcome()
    assert set(verdicts) | {"unchecked"} == set(OUTCOMES)  # unchecked: no input reaches it
    for outcome, v in verdicts.items():
        reason = verdict_reason(v)
        assert reason.startswith("right" if v.right else ("wrong", "right at the point only"))
    assert verdict_reason(verdicts["misrounded"]) == \
        "wrong: to 4 significant digits the truth is 1.235e+03"  # as the answer wrote it
    assert verdict_reason(verdicts["not_exact"]) == "wrong: 1/3 = 0.333333; the truth is 2.4"
    assert verdict_reason(verdicts["truth_not_finite"]) == "wrong: the truth is inf"
    assert verdict_reason(verdicts["within_tolerance"]) == "right within rtol 0.01, atol 0"
    unchecked = verdicts["function_off_point"]._replace(outcome="unchecked", right=False,
                                                        points=0)
    assert verdict_reason(unchecked).startswith("cannot be checked: the truth is not finite")


def test_the_truth_is_shown_to_the_places_the_answer_wrote():
    from backprop_cli.render.numbers import fmt

    assert verdict_reason(graded(0.06, "0.0")) == "wrong: to 1 decimal place the truth is 0.1"
    assert verdict_reason(graded(-0.0931003178, "-0.09320")) == \
        "wrong: to 4 significant digits the truth is -0.09310"  # the zero written kept
    assert fmt(-0.0931003178, 4, "fixed") == "-0.0931"
    assert fmt(-0.0, 2, "fixed") == "0.00" and fmt(0.0, 3, "scientific") == "0.00e+00"
    assert fmt(1234.6, 4, "scientific") == "1.235e+03"
    assert fmt(float("nan"), 2, "fixed") == "nan" and fmt(-math.inf, 2, "scientific") == "-inf"
    with pytest.raises(ValueError):
        fmt(1.0, 2, "engineering")


def test_a_reason_reads_the_same_in_the_table_and_in_the_json(report_validate):
    import io

    from rich.console import Console

    from backprop_cli.render.report import render_report

    expects = [text for _, _, text, _ in EVERY_OUTCOME.values()
               if text.startswith(("dg/", "w"))] + ["w1bar = 2*w1*w5", "w3 = 2.0", "w4 = e"]
    report = check(G, "x=1,y=2", expects)
    out = io.StringIO()
    # wide enough that no reason is folded over two lines
    render_report(report, Console(file=out, width=400, color_system=None, highlight=False,
                                  markup=False, emoji=False))
    rows = [row.rstrip() for row in out.getvalue().splitlines()]
    doc = report_validate(report_document(report))
    answers = doc["problems"][0]["answers"]
    assert len(answers) == len(expects) and not doc["all_right"]
    verdict_rows = [row for row in rows if row.endswith(tuple(
        f"{'✓' if v.right else '✗'} {verdict_reason(v)}" for v in report.problems[0].verdicts))]
    assert len(verdict_rows) == len(answers), rows
    for v, answer, row in zip(report.problems[0].verdicts, answers, verdict_rows):
        assert answer["reason"] == verdict_reason(v)
        assert row.endswith(f"{'✓' if v.right else '✗'} {answer['reason']}"), (row, answer)


def test_the_library_gives_the_reports_json_document(report_validate):
    """The document `--json` prints, from the library: check() then report_document."""
    import subprocess
    import sys

    report = check(G, {"x": 1, "y": 2}, ["dg/dy = x*exp(x*y)", "w3 = 2", "w1bar = 44.3"])
    doc = report_validate(report_document(report))
    assert (doc["right"], doc["total"], doc["all_right"]) == (2, 3, False)
    wrong, exact, rounded = doc["problems"][0]["answers"]
    assert wrong["reason"] == "wrong at the point: answer 7.38906, truth 22.1672"
    assert wrong["counterexample"]["at"] == {"x": 1.0, "y": 2.0}
    assert "why" not in wrong["counterexample"]  # defined there, just wrong
    assert exact["reason"] == "right (exact)" and "digits" not in exact
    assert rounded["digits"] == 3 and rounded["truth"] == pytest.approx(44.3343365935839)
    r = run_cli(G, "--at", "x=1,y=2", "--expect", "dg/dy = x*exp(x*y)", "--expect", "w3 = 2",
                "--expect", "w1bar = 44.3", "--json")
    assert json.loads(r.stdout) == doc
    # the trace's JSON needs the grading only for the names in its annotations
    code = ("import sys, backprop_cli.render.json_doc\n"
            "assert 'backprop_cli.tasks.grading' not in sys.modules\n")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
