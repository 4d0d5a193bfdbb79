"""Grading a class (issue 12): the template and roster of examples/class, a variant per
student from an HMAC of the secret, worksheets and keys, and `backprop grade` with its
reports, against untrusted submissions. The truths are held against formulas written here
from the course notes (the lecture's adjoints, note 002's, a neuron's by hand) and the
notes' printed numbers, not against backprop's own output."""

import csv
import hashlib
import hmac
import io
import json
import math
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO, _validator, run_cli, run_script  # noqa: E402

from backprop_cli.tasks.classroom import (dump_submission, key, load_template, pick,  # noqa: E402
                                          variant)

TEMPLATE = str(REPO / "examples" / "class" / "template.toml")
ROSTER = str(REPO / "examples" / "class" / "roster.csv")
SECRET = "correct horse battery staple"
STUDENTS = ["ada", "alan", "grace", "katherine"]


@pytest.fixture(scope="module")
def template():
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def papers(tmp_path_factory):
    """`backprop variants` of the example class."""
    out = tmp_path_factory.mktemp("variants")
    r = run_cli("variants", TEMPLATE, "--roster", ROSTER, "--secret", SECRET, "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _grade(*args):
    return run_cli("grade", TEMPLATE, *args, "--secret", SECRET)


def _doc(*args) -> dict:
    r = _grade(*args, "--json")
    doc = json.loads(r.stdout)
    _validator("grades")(doc)
    return doc


def _key_text(student: str, template) -> str:
    return dump_submission(key(variant(template, SECRET.encode(), student)))


# --- the template and the variants -------------------------------------------------------

def test_the_example_holds_the_notes_exercises_and_every_kind_of_target(template):
    expressions = [p.expression for p in template.problems]
    assert "x**2*cos(x*y) + 1" in expressions and "x*y*exp(x*y)" in expressions
    assert "c = a + b; d = c + a" in expressions
    assert "sqrt(x**2 + exp(x**2)) + cos(x**2 + exp(x**2))" in expressions
    assert any("sigmoid" in e for e in expressions)  # the layer loss
    v = variant(template, b"k", "ada")
    kinds = {t.kind for p in v.problems for t in p.targets}
    assert kinds == {"value", "node", "adjoint", "partial", "gradient"}
    forms = {s.form for p in template.problems for s in p.targets}
    assert forms == {"number", "formula"}
    assert any(p.parameters for p in template.problems)  # coefficients drawn too


def test_each_student_gets_a_worksheet_and_a_key(papers):
    assert sorted(os.listdir(papers)) == sorted(STUDENTS)
    for student in STUDENTS:
        assert sorted(os.listdir(papers / student)) == ["key.toml", "problems.md"]
        sheet = (papers / student / "problems.md").read_text("utf-8")
        assert f'student = "{student}"' in sheet  # the file to hand in
        assert "**Adjoints w̄ᵢ = Σⱼ w̄ⱼ·∂wⱼ/∂wᵢ, from the seed w̄ₙ = 1**" in sheet
        assert "| w̄1 |  |  |  |" in sheet  # blank tables, as --blank makes them
        assert "| `w1bar` | 2 | a number (3 significant digits) |" in sheet


def test_the_same_secret_and_id_give_byte_identical_files(papers, tmp_path):
    again = tmp_path / "again"
    r = run_cli("variants", TEMPLATE, "--roster", ROSTER, "--secret", SECRET, "--out",
                str(again))
    assert r.returncode == 0
    assert _files(again) == _files(papers)
    other = tmp_path / "other"
    run_cli("variants", TEMPLATE, "--roster", ROSTER, "--secret", "another", "--out",
            str(other))
    assert _files(other)["ada/problems.md"] != _files(papers)["ada/problems.md"]


def test_the_variants_do_not_depend_on_the_process(papers, tmp_path):
    # Python's hash() of a str changes with PYTHONHASHSEED; an HMAC does not
    out = tmp_path / "process"
    r = run_script("variants", TEMPLATE, "--roster", ROSTER, "--secret", SECRET, "--out",
                   str(out), env={"PYTHONHASHSEED": "12345"})
    assert r.returncode == 0, r.stderr
    assert _files(out) == _files(papers)


def test_another_assignment_draws_other_variants(template):
    other = template._replace(assignment="ece364-hw9")
    same = sum(variant(template, b"s", f"id{k}").problems[0].at
               == variant(other, b"s", f"id{k}").problems[0].at for k in range(50))
    assert same < 10  # f has 9 × 5 points: a few coincide by chance


def test_a_draw_is_an_hmac_sha256_of_the_secret_assignment_id_and_name():
    message = json.dumps(["hw", "ada", "f", 0, "x"]).encode()
    digest = hmac.new(b"secret", message, hashlib.sha256).digest()
    assert pick(b"secret", "hw", "ada", "f", 0, "x", 17) == \
        int.from_bytes(digest[:8], "big") % 17


def test_at_least_95_percent_of_1000_students_get_distinct_worksheets(template):
    from backprop_cli.render.classroom import worksheet_markdown

    secret = b"class of 1000"
    ids = [f"s{k:04d}" for k in range(1000)]
    variants = [variant(template, secret, sid) for sid in ids]
    problems = {tuple((p.expression, tuple(p.at.items())) for p in v.problems)
                for v in variants}
    assert len(problems) >= 950
    # the worksheets themselves, with the line that names the student taken out
    sheets = {"\n".join(line for line in worksheet_markdown(template, v).splitlines()
                        if v.student not in line) for v in variants[:200]}
    assert len(sheets) >= 190


def test_a_draw_outside_the_domain_is_drawn_again(tmp_path):
    path = _write(tmp_path, "t.toml", """
assignment = "a"
[[problems]]
name = "p"
expression = "log(x) + sqrt(y) + 1/(x - 1)"
[problems.point]
x = { from = -3, to = 3, step = 0.5 }
y = [-1, 0, 4]
[problems.targets]
"df/dx" = 1
"df/dy" = 1
""")
    t = load_template(path)
    for k in range(200):
        p = variant(t, b"s", f"id{k}").problems[0]
        x, y = float(p.at["x"]), float(p.at["y"])
        assert x > 0 and x != 1 and y == 4  # sqrt'(0) is infinite: redrawn too


def test_the_layer_loss_by_hand(template):
    # z = w·x + b, a = σ(z), L = (y − a)²: dL/dw = 2(a − y)·a(1 − a)·x, dL/db without x
    for sid in ("ada", "alan", "s1", "s2", "s3"):
        p = variant(template, b"layer", sid).problems[4]
        w, b = float(p.at["w"]), float(p.at["b"])
        x, y = float(p.parameters["x"]), float(p.parameters["y"])
        a = 1 / (1 + math.exp(-(w * x + b)))
        by_hand = {"z": w * x + b, "a": a, "da/dz": a * (1 - a), "ā": 2 * (a - y),
                   "z̄": 2 * (a - y) * a * (1 - a), "dL/dw": 2 * (a - y) * a * (1 - a) * x,
                   "dL/db": 2 * (a - y) * a * (1 - a)}
        answers = key(variant(template, b"layer", sid))["layer"]
        for target, value in by_hand.items():
            assert float(answers[target]) == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_the_key_of_the_lectures_point_holds_the_notes_numbers(tmp_path):
    # note 000, in torch: w1bar -0.0931, w2bar -0.8660, w3bar 0.5000, w4bar 0.8660
    path = _write(tmp_path, "t.toml", """
assignment = "a"
[[problems]]
name = "f"
expression = "x**2*cos(x*y) + 1"
point = { x = -1, y = "pi/3" }
[problems.targets]
w1bar = 1
w2bar = 1
w3bar = 1
"w̄4" = { answer = "formula" }
""")
    answers = key(variant(load_template(path), b"s", "ada"))["f"]
    assert [round(float(answers[k]), 4) for k in ("w1bar", "w2bar", "w3bar")] == \
        [-0.0931, -0.866, 0.5]
    assert answers["w̄4"] == "-w3*sin(w4)"  # the lecture's own w4bar = -w3*torch.sin(w4)


# --- grading -----------------------------------------------------------------------------

def test_a_key_of_formulas_of_every_kind_scores_full_marks(tmp_path):
    template = _write(tmp_path, "t.toml", """
assignment = "a"
[[problems]]
name = "g"
expression = "x*y*exp(x*y)"
point = { x = [0.5, 1, 1.5], y = [-1, 2] }
[problems.targets]
g = { answer = "formula" }
w4 = { answer = "formula" }
"dw5/dw3" = { answer = "formula" }
w3bar = { answer = "formula" }
"dg/dy" = { answer = "formula" }
""")
    t = load_template(template)
    answers = key(variant(t, SECRET.encode(), "ada"))["g"]
    # the lecture's: w4 = e^{w3}, ∂w5/∂w3 = w4, ∂g/∂y = x·e^{xy} + x²·y·e^{xy}
    assert answers["w4"] == "exp(w3)" and answers["dw5/dw3"] == "w4"
    assert answers["dg/dy"] == "x*exp(x*y) + x**2*y*exp(x*y)"
    sub = _write(tmp_path, "ada.toml", _key_text("ada", t))
    r = run_cli("grade", template, sub, "--secret", SECRET, "--json")
    assert r.returncode == 0, r.stdout
    targets = json.loads(r.stdout)["students"][0]["problems"][0]["targets"]
    assert [t["outcome"] for t in targets] == ["function"] * 5
    wrong = _write(tmp_path, "w.toml", 'student = "ada"\n[g]\nw4 = "exp(w4)"\n'
                   'w3bar = "w3bar"\n"dg/dy" = "x*exp(x*y)"\n')
    doc = json.loads(run_cli("grade", template, wrong, "--secret", SECRET, "--json").stdout)
    said = {t["target"]: t["feedback"] for t in doc["students"][0]["problems"][0]["targets"]}
    assert "'w4' may not be used in this answer" in said["w4"]  # only the nodes before it
    assert "'w3bar' may not be used" in said["w3bar"]
    assert said["dg/dy"].startswith("wrong: as a function it differs")

def test_every_key_scores_full_marks(papers):
    keys = [str(papers / s / "key.toml") for s in STUDENTS]
    r = _grade(*keys)
    assert r.returncode == 0, r.stdout
    doc = _doc(*keys, "--roster", ROSTER)
    assert doc["all_full_marks"] and doc["maximum"] == 47
    assert [s["id"] for s in doc["students"]] == STUDENTS
    assert all(s["score"] == s["maximum"] == 47 for s in doc["students"])


def test_someone_elses_key_is_not_yours(papers, tmp_path):
    text = (papers / "ada" / "key.toml").read_text("utf-8").replace('"ada"', '"alan"')
    doc = _doc(_write(tmp_path, "alan.toml", text))
    (row,) = doc["students"]
    assert row["id"] == "alan" and row["score"] < 20  # the note-002 integers agree


def _answers(template, student: str, change: dict) -> str:
    doc = key(variant(template, SECRET.encode(), student))
    for (problem, target), answer in change.items():
        if answer is None:
            del doc[problem][target]
        else:
            doc[problem][target] = answer
    return dump_submission(doc)


def test_points_partial_credit_and_feedback(template, tmp_path):
    v = variant(template, SECRET.encode(), "ada")
    w1bar = v.problems[0].targets[7].truth(v.problems[0].trace)
    fewer = f"{w1bar:.2g}" if abs(round(w1bar, 1 - int(math.floor(math.log10(abs(w1bar)))))
                                   - w1bar) > 0.5 * 10 ** (math.floor(math.log10(abs(w1bar))) - 2) \
        else None
    change = {("f", "w4"): "w1*w2",                   # a formula where a number is asked
              ("f", "w2bar"): repr(-v.problems[0].targets[6].truth(v.problems[0].trace)),
              ("g", "dg/dx"): "y*exp(x*y)",           # half of the lecture's ∂g/∂x
              ("dp", "w4"): None}                     # no answer
    if fewer:
        change[("f", "w1bar")] = fewer
    doc = _doc(_write(tmp_path, "ada.toml", _answers(template, "ada", change)))
    (row,) = doc["students"]
    targets = {(p["name"], t["target"]): t for p in row["problems"] for t in p["targets"]}
    assert targets[("f", "w4")]["score"] == 0
    assert targets[("f", "w4")]["feedback"] == "wrong: a number is asked for, not a formula"
    assert targets[("f", "w2bar")]["feedback"] == "wrong: the sign is wrong"
    g = targets[("g", "dg/dx")]
    assert g["status"] == "wrong" and g["outcome"] == "differs_at_point"
    assert "your formula gives" in g["feedback"] and "the truth is" in g["feedback"]
    assert "check it against the lecture" in g["feedback"]  # the template's hint
    assert targets[("dp", "w4")]["status"] == "missing"
    lost = 1 + 2 + 3 + 1
    if fewer:
        assert targets[("f", "w1bar")]["status"] == "partial"
        assert targets[("f", "w1bar")]["score"] == 1  # half of 2 points
        lost += 1
    assert row["score"] == 47 - lost
    assert row["problems"][0]["score"] == sum(t["score"] for t in row["problems"][0]["targets"])


def test_partial_credit_needs_a_digit_right(tmp_path):
    template = _write(tmp_path, "t.toml", """
assignment = "a"
[[problems]]
name = "p"
expression = "x"
point = { x = 0.123456 }
[problems.targets]
f = { points = 4, digits = 1 }
w1 = { points = 4, digits = 4 }
""")
    for answers, scores in [({"f": "0.2", "w1": "0.1235"}, [0, 4]),    # 1 digit: all or none
                            ({"f": "0.1", "w1": "0.1236"}, [4, 2]),    # 3 of 4 digits: half
                            ({"f": "0.1", "w1": "0.1241"}, [4, 0])]:   # 2 of 4: none
        sub = _write(tmp_path, "s.toml", dump_submission({"student": "ada", "p": answers}))
        doc = json.loads(run_cli("grade", template, sub, "--secret", "s", "--json").stdout)
        assert [t["score"] for t in doc["students"][0]["problems"][0]["targets"]] == scores


@pytest.mark.parametrize("reveal, shows, hides", [
    ("score", [], ["sign", "hint", "truth is"]),
    ("hint", ["the sign is wrong"], ["truth is"]),
    ("counterexample", ["the sign is wrong"], ["truth is"]),
    ("truth", ["the sign is wrong", "the truth is"], []),
])
def test_hint_tiers_show_more_and_never_the_truth_below_the_last(template, tmp_path, reveal,
                                                                 shows, hides):
    v = variant(template, SECRET.encode(), "ada")
    truth = v.problems[0].targets[6].truth(v.problems[0].trace)
    sub = _write(tmp_path, "ada.toml", _answers(template, "ada", {("f", "w2bar"): repr(-truth)}))
    doc = _doc(sub, "--reveal", reveal)
    (said,) = [t["feedback"] for p in doc["students"][0]["problems"] for t in p["targets"]
               if t["status"] != "right"]
    assert said.startswith("wrong")
    assert all(s in said for s in shows) and not any(h in said for h in hides), said


def test_csv_is_one_gradebook_row_per_student(papers, tmp_path):
    bad = _write(tmp_path, "broken.toml", "student = ")
    r = _grade(str(papers / "ada" / "key.toml"), str(papers / "alan" / "key.toml"), bad,
               "--roster", ROSTER, "--format", "csv")
    assert r.returncode == 1
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["id", "score", "maximum", "f", "g", "autograd", "dp", "layer",
                             "status"]
    assert [(x["id"], x["score"], x["status"]) for x in rows] == [
        ("ada", "47", "graded"), ("alan", "47", "graded"), ("", "0", "unreadable"),
        ("grace", "0", "missing"), ("katherine", "0", "missing")]
    assert rows[0]["f"] == "12" and rows[0]["maximum"] == "47"


def test_gradescope_results_follow_the_autograder_spec(papers, template, tmp_path):
    out = tmp_path / "results"
    sub = _write(tmp_path, "ada.toml", _answers(template, "ada", {("g", "dg/dx"): "x"}))
    r = _grade(sub, str(papers / "alan" / "key.toml"), "--format", "gradescope", "--out",
               str(out))
    assert r.returncode == 1 and "ada" in r.stdout
    assert sorted(os.listdir(out)) == ["ada", "alan"]
    for student in ("ada", "alan"):
        doc = json.loads((out / student / "results.json").read_text("utf-8"))
        # https://gradescope-autograders.readthedocs.io/en/latest/specs/
        assert set(doc) <= {"score", "execution_time", "output", "output_format",
                            "test_output_format", "test_name_format", "visibility",
                            "stdout_visibility", "extra_data", "tests", "leaderboard"}
        assert doc["output_format"] == doc["test_output_format"] == "text"  # never HTML
        assert doc["score"] == pytest.approx(sum(t["score"] for t in doc["tests"]))
        assert len(doc["tests"]) == sum(len(p.targets) for p in template.problems)
        for t in doc["tests"]:
            assert {"name", "score", "max_score", "output", "visibility"} <= set(t)
            assert 0 <= t["score"] <= t["max_score"]
            assert t["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    ada = json.loads((out / "ada" / "results.json").read_text("utf-8"))
    (wrong,) = [t for t in ada["tests"] if t["score"] < t["max_score"]]
    # a file that names no student still gets its zero and the reason, where no id can be
    again = tmp_path / "again"
    r = _grade(_write(tmp_path, "broken.toml", "student = "), "--format", "gradescope",
               "--out", str(again))
    assert r.returncode == 1 and os.listdir(again) == ["_unidentified-1"]
    broken = json.loads((again / "_unidentified-1" / "results.json").read_text("utf-8"))
    assert broken["score"] == 0 and "cannot be read" in broken["output"]
    assert all(t["score"] == 0 and "cannot be read" in t["output"] for t in broken["tests"])
    assert wrong["name"] == "g: dg/dx" and wrong["status"] == "failed"
    assert "your formula gives" in wrong["output"]  # the counterexample
    assert ada["score"] == 44


def test_the_table_names_the_targets_the_class_missed_most(template, tmp_path):
    subs = [_write(tmp_path, f"{s}.toml", _answers(template, s, {
        ("f", "w1bar"): "1e9", ("g", "w3"): "1e9" if s != "ada" else None}))
        for s in ("ada", "alan", "grace")]
    r = _grade(*subs)
    assert r.returncode == 1
    assert "w3 (3 of 3), w1bar (3 of 3)" in r.stdout or "w1bar (3 of 3)" in r.stdout
    assert "g" in r.stdout and "0 of 3 students with full marks" in r.stdout


def test_the_example_submissions(tmp_path):
    subs = sorted(str(p) for p in (REPO / "examples" / "class" / "submissions").glob("*.toml"))
    r = run_cli("grade", TEMPLATE, *subs, "--secret", "demo", "--roster", ROSTER,
                "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    rows = [(s["id"], s["status"], s["score"]) for s in doc["students"]]
    assert rows == [("ada", "graded", 47), ("alan", "graded", 36), (None, "unreadable", 0),
                    ("grace", "missing", 0), ("katherine", "missing", 0)]
    alan = {(p["name"], t["target"]): t for p in doc["students"][1]["problems"]
            for t in p["targets"]}
    assert [(k, t["status"], t["score"]) for k, t in alan.items() if t["status"] != "right"] == [
        (("f", "w2bar"), "wrong", 0), (("f", "w1bar"), "partial", 1),
        (("f", "w̄3"), "unreadable", 0), (("g", "dg/dx"), "wrong", 0),
        (("dp", "df/dx"), "missing", 0)]
    assert doc["students"][1]["ignored"] == ["expression"]


# --- untrusted submissions -------------------------------------------------------------

HOSTILE = {
    "deep.toml": 'student = "s1"\n[f]\nw4 = "' + "(" * 5000 + "1" + ")" * 5000 + '"\n',
    "power.toml": 'student = "s2"\n[f]\nw4 = "10**10**10**10"\nw5 = "9e999999"\n',
    "long.toml": 'student = "s3"\n[f]\nw4 = "' + "1+" * 2000 + '1"\n',
    "self.toml": 'student = "s4"\n[f]\n"w̄3" = "w3bar"\nw1bar = "w1bar"\n',
    "types.toml": 'student = "s5"\n[f]\nw4 = [1, 2]\nw5 = true\n"dw5/dw4" = { a = 1 }\n',
}


def test_hostile_answers_score_zero_with_the_reason_and_the_run_goes_on(papers, tmp_path):
    subs = [_write(tmp_path, name, text) for name, text in HOSTILE.items()]
    subs.append(str(papers / "ada" / "key.toml"))
    doc = _doc(*subs)
    rows = {s["id"]: s for s in doc["students"]}
    assert rows["ada"]["full_marks"]
    for sid in ("s1", "s2", "s3", "s4", "s5"):
        assert rows[sid]["status"] == "graded" and rows[sid]["score"] == 0, sid
        f = {t["target"]: t for t in rows[sid]["problems"][0]["targets"]}
        answered = [t for t in f.values() if t["status"] != "missing"]
        assert answered and all(t["status"] in ("unreadable", "wrong") for t in answered)
    assert "may not be used in this answer" in \
        {t["target"]: t for t in rows["s4"]["problems"][0]["targets"]}["w̄3"]["feedback"]
    assert "over 1000 characters" in rows["s3"]["problems"][0]["targets"][0]["feedback"]


@pytest.mark.parametrize("name, content, status, reason", [
    ("binary.toml", b"\xff\xfe\x00student", "unreadable", "not UTF-8"),
    ("bad.toml", b"student = 'a\n[[", "unreadable", "not valid TOML"),
    ("nested.toml", b"student = 'x'\nv = " + b"[" * 100000, "unreadable", "over the limit"),
    ("arrays.toml", b"v = " + b"[" * 20000 + b"]" * 20000, "unreadable", "nested too deeply"),
    ("huge.toml", b"student = 'big'\n#" + b"x" * 70000, "unreadable", "over the limit"),
    ("noid.toml", b"[f]\nw4 = '1'\n", "no_id", "no student"),
    ("keys.toml", b"student = 'many'\n" + b"".join(b"k%d = 1\n" % k for k in range(2500)),
     "unreadable", "over the limit of 2000"),
    ("dots.toml", b"student = '../../etc'\n", "bad_id", "is not an id"),
    ("slash.toml", b"student = 'a/b'\n", "bad_id", "is not an id"),
])
def test_a_file_that_cannot_be_read_is_a_row_with_the_reason(tmp_path, papers, name, content,
                                                           status, reason):
    path = tmp_path / name
    path.write_bytes(content)
    r = _grade(str(path), str(papers / "ada" / "key.toml"))
    assert r.returncode == 1, r.stderr
    doc = _doc(str(path), str(papers / "ada" / "key.toml"))
    bad = doc["students"][0]
    assert bad["status"] == status and bad["score"] == 0 and reason in bad["reason"]
    assert doc["students"][1]["full_marks"]


def test_control_characters_never_reach_the_terminal(tmp_path):
    sub = _write(tmp_path, "evil\x1b[2J.toml",
                 'student = "s9"\nnote\\u001b = 1\n[f]\nw4 = "\\u001b[31mred\\u0007"\n'
                 '"w\\u001b5" = "1"\n')
    noid = _write(tmp_path, "x\x1b]0;pwned\x07.toml", "student = 3\n")
    for fmt in ("table", "csv", "json"):
        r = _grade(sub, noid, "--format", fmt)
        assert r.returncode == 1
        assert not any(c in r.stdout + r.stderr for c in "\x1b\x07\x9b"), fmt
    r = _grade(sub, noid)
    assert "\\x1b" in r.stdout  # shown escaped: the file that names no id


def test_a_submission_cannot_change_its_problem(papers, tmp_path):
    text = (papers / "ada" / "key.toml").read_text("utf-8")
    text = text.replace('w1bar = "', 'w1bar = "1', 1)  # a wrong digit that digits = 1 forgives
    forged = _write(tmp_path, "ada.toml", 'expression = "x"\nassignment = "other"\n'
                    + text.replace("[f]\n", '[f]\nexpression = "x"\nat = "x=0,y=0"\n', 1)
                    + "\n[grading]\ndigits = 1\npartial = 1\n")
    doc = _doc(forged)
    (row,) = doc["students"]
    # graded against the real variant and the template's rules, as if nothing were there
    assert row["score"] == 45 and row["problems"][0]["score"] == 10
    assert row["ignored"] == ["expression", "assignment", "grading", "f.expression", "f.at"]
    r = _grade(forged)
    assert "ignored: expression, assignment, grading, f.expression, f.at" in r.stdout


def test_duplicates_unknown_ids_and_missing_students(papers, tmp_path):
    ada = str(papers / "ada" / "key.toml")
    again = _write(tmp_path, "ada-again.toml", (papers / "ada" / "key.toml").read_text("utf-8"))
    stranger = _write(tmp_path, "zed.toml",
                      (papers / "ada" / "key.toml").read_text("utf-8").replace('"ada"', '"zed"'))
    doc = _doc(ada, again, stranger, str(papers / "alan" / "key.toml"), "--roster", ROSTER)
    rows = [(s["id"], s["status"], s["score"]) for s in doc["students"]]
    assert rows == [("ada", "duplicate", 0), ("zed", "unknown_student", 0),
                    ("alan", "graded", 47), ("grace", "missing", 0), ("katherine", "missing", 0)]
    assert "2 submissions name ada" in doc["students"][0]["reason"]


def test_nothing_is_written_outside_out(papers, tmp_path):
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "ada").symlink_to(outside, target_is_directory=True)
    r = _grade(str(papers / "ada" / "key.toml"), "--format", "gradescope", "--out", str(out))
    assert r.returncode == 2 and "link" in r.stderr
    assert os.listdir(outside) == []


def test_a_submission_over_the_time_limit_is_a_row(monkeypatch, papers):
    import time

    from backprop_cli.tasks import submissions

    real = submissions.grade_problem

    def slow(problem, *args):
        if problem.spec.name == "layer":
            time.sleep(2)
        return real(problem, *args)
    monkeypatch.setattr(submissions, "grade_problem", slow)
    doc = _doc(str(papers / "ada" / "key.toml"), "--time-limit", "0.2")
    (row,) = doc["students"]
    assert row["status"] == "time_limit" and row["score"] == 0
    assert "over the limit of 0.2 s" in row["reason"]


# --- exit 2: the template, the roster, the options -----------------------------------------

BAD_TEMPLATES = [
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'x'\n", "targets is a table"),
    ("assignment = 'a'\nfoo = 1\n", "unknown key 'foo'"),
    ("[[problems]]\n", "assignment is missing"),
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'log(x)'\n"
     "point = { x = { from = -3, to = -1, step = 1 } }\ntargets = { 'df/dx' = 1 }\n",
     "none of 64 points"),
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'x*y'\npoint = { x = 1 }\n"
     "targets = { 'df/dx' = 1 }\n", "give every input a value"),
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'x*y'\n"
     "point = { x = 1, y = 2 }\ntargets = { w4 = 1 }\n", "there is no node w4"),
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'x*y'\n"
     "point = { x = 1, y = 2 }\ntargets = { w3bar = 1, 'w̄3' = 2 }\n", "are one quantity"),
    ("assignment = 'a'\n[[problems]]\nname = 'student'\nexpression = 'x'\n"
     "point = { x = 1 }\ntargets = { w1 = 1 }\n", "name is a short word"),
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'x'\n"
     "point = { x = 1 }\ntargets = { w1 = -1 }\n", "points is a number above 0"),
    ("not toml [", "not valid TOML"),
    ("assignment = 'a'\n[[problems]]\nname = 'p'\nexpression = 'x*y'\n"
     "point = { x = 1, y = 2 }\ntargets = { y = { answer = 'formula' } }\n",
     "is an input or a constant"),
]


@pytest.mark.parametrize("text, message", BAD_TEMPLATES)
def test_a_bad_template_is_exit_2(tmp_path, papers, text, message):
    path = _write(tmp_path, "t.toml", text)
    for command in (["grade", path, str(papers / "ada" / "key.toml")],
                    ["variants", path, "--roster", ROSTER, "--out", str(tmp_path / "o")]):
        r = run_cli(*command, "--secret", SECRET)
        assert r.returncode == 2 and message in r.stderr, r.stderr


@pytest.mark.parametrize("text, message", [
    ("name\nada\n", "one of them id"),
    ("id\nada\nada\n", "already on line 2"),
    ("id\nada\nADA\n", "already on line 2"),
    ("id\n../x\n", "is not an id"),
    ("id\n.hidden\n", "is not an id"),
    ("id\n", "no students"),
])
def test_a_bad_roster_is_exit_2(tmp_path, text, message):
    roster = _write(tmp_path, "r.csv", text)
    r = run_cli("variants", TEMPLATE, "--roster", roster, "--secret", SECRET, "--out",
                str(tmp_path / "o"))
    assert r.returncode == 2 and message in r.stderr
    assert not (tmp_path / "o").exists() or os.listdir(tmp_path / "o") == []


@pytest.mark.parametrize("args, message", [
    (["--format", "gradescope"], "give --out DIR"),
    (["--out", "x"], "--out is for --format gradescope"),
    (["--format", "latex"], "is for a trace"),
    (["--reveal", "all"], "invalid choice"),
])
def test_bad_options_are_exit_2(papers, args, message):
    r = _grade(str(papers / "ada" / "key.toml"), *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_an_empty_secret_is_refused(papers, tmp_path):
    r = run_cli("grade", TEMPLATE, str(papers / "ada" / "key.toml"), "--secret", "")
    assert r.returncode == 2 and "the secret is empty" in r.stderr
    empty = _write(tmp_path, "empty", "\n")
    r = run_cli("grade", TEMPLATE, str(papers / "ada" / "key.toml"), "--secret-file", empty)
    assert r.returncode == 2 and "the secret is empty" in r.stderr
    r = run_cli("grade", TEMPLATE, str(papers / "ada" / "key.toml"))
    assert r.returncode == 2 and "--secret" in r.stderr


def test_the_secret_from_a_file_is_its_first_line(papers, tmp_path):
    secret = _write(tmp_path, "secret", SECRET + "\r\nnot this\n")
    r = run_cli("grade", TEMPLATE, str(papers / "ada" / "key.toml"), "--secret-file", secret)
    assert r.returncode == 0, r.stdout


def test_a_file_named_twice_is_graded_once_and_ids_are_one_whatever_their_case(papers,
                                                                             tmp_path):
    ada = str(papers / "ada" / "key.toml")
    r = _grade(ada, ada, "--format", "csv")
    assert r.returncode == 0 and r.stdout.count("ada,") == 1
    shouting = _write(tmp_path, "ADA.toml", (papers / "ada" / "key.toml").read_text("utf-8")
                      .replace('"ada"', '"ADA"'))
    doc = _doc(ada, shouting)
    assert [(s["id"], s["status"]) for s in doc["students"]] == [("ada", "duplicate")]


def test_a_byte_order_mark_is_read_past(papers, tmp_path):
    text = (papers / "ada" / "key.toml").read_text("utf-8")
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert _grade(str(path)).returncode == 0


def test_an_error_under_json_is_a_json_error(tmp_path):
    r = run_cli("grade", _write(tmp_path, "t.toml", "x"), "s.toml", "--secret", "s", "--json")
    assert r.returncode == 2
    doc = _validator("grades")(json.loads(r.stdout))
    assert doc["error"]["type"] == "template_error"


# --- LaTeX worksheets ----------------------------------------------------------------------

def test_latex_worksheets(tmp_path):
    import shutil
    import subprocess

    out = tmp_path / "tex"
    r = run_cli("variants", TEMPLATE, "--roster", ROSTER, "--secret", SECRET, "--out",
                str(out), "--format", "latex")
    assert r.returncode == 0
    tex = (out / "ada" / "problems.tex").read_text("utf-8")
    assert tex.startswith(r"\documentclass{article}") and tex.rstrip().endswith(r"\end{document}")
    assert tex.count(r"\begin{document}") == 1 and tex.count(r"\end{document}") == 1
    assert r"\bar{w}_1 &= \blank" in tex and 'student = "ada"' in tex
    assert "w3bar" in tex and "w̄" not in tex.split(r"\begin{verbatim}")[1]  # ascii keys
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "problems.tex"], cwd=out / "ada", capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]


def test_a_template_whose_key_would_not_grade_right_is_refused(monkeypatch, papers):
    from backprop_cli.tasks import classroom

    real = classroom.key_answer
    monkeypatch.setattr(classroom, "key_answer",
                        lambda problem, k: "w1bar" if problem.spec.targets[k].form == "formula"
                        else real(problem, k))
    r = _grade(str(papers / "ada" / "key.toml"))
    assert r.returncode == 2 and "is not graded right" in r.stderr


def test_a_progress_bar_only_on_a_terminal(monkeypatch, papers):
    import rich.console

    from backprop_cli.render import console

    keys = [str(papers / s / "key.toml") for s in STUDENTS]
    r = _grade(*keys)
    assert r.returncode == 0 and r.stderr == ""  # piped: no bar

    class Terminal(io.StringIO):
        def isatty(self):
            return True
    screen = Terminal()
    monkeypatch.setattr(console, "plain", lambda stderr=False: rich.console.Console(
        file=screen, force_terminal=True, width=80))
    from backprop_cli.tasks.classroom import load_template as load
    from backprop_cli.tasks.submissions import grade_class

    with console.bar(len(keys), "grading") as update:
        grade_class(load(TEMPLATE), SECRET.encode(), keys, progress=update)
    assert "grading" in screen.getvalue() and "100%" in screen.getvalue()


def test_worker_processes_grade_as_this_process_does(monkeypatch, template, tmp_path):
    import threading

    from backprop_cli.tasks import submissions

    monkeypatch.setattr(submissions, "PARALLEL_FROM", 4)
    subs = [_write(tmp_path, f"s{k}.toml", _answers(template, f"s{k}", {
        ("f", "w1bar"): "0.5" if k % 2 else None, ("g", "dg/dx"): "x" if k % 3 else None}))
        for k in range(10)]
    alone = _grade(*subs, "--jobs", "1", "--json")
    assert threading.active_count() == 1  # else the workers would not be forked
    workers = _grade(*subs, "--jobs", "2", "--json")
    assert workers.returncode == alone.returncode == 1
    assert workers.stdout == alone.stdout


def test_second_derivatives_in_a_template(tmp_path):
    # g = xy·e^{xy}: ∂²g/∂x² = y²e^{xy}(2 + xy), by hand; as a number and as a formula
    template = _write(tmp_path, "t.toml", """
assignment = "a"
[[problems]]
name = "g"
expression = "x*y*exp(x*y)"
point = { x = [0.5, 1], y = [-1, 2] }
[problems.targets]
"d2g/dx2" = 2
"d2g/dxdy" = { answer = "formula" }
""")
    t = load_template(template)
    for sid in ("ada", "alan", "grace"):
        v = variant(t, SECRET.encode(), sid)
        x, y = float(v.problems[0].at["x"]), float(v.problems[0].at["y"])
        answers = key(v)["g"]
        assert float(answers["d2g/dx2"]) == pytest.approx(
            y * y * math.exp(x * y) * (2 + x * y), rel=1e-12)
        sub = _write(tmp_path, f"{sid}.toml", _key_text(sid, t))
        assert run_cli("grade", template, sub, "--secret", SECRET).returncode == 0
    wrong = _write(tmp_path, "w.toml", 'student = "ada"\n[g]\n"d2g/dxdy" = "exp(x*y)"\n')
    doc = json.loads(run_cli("grade", template, wrong, "--secret", SECRET, "--json").stdout)
    (mixed,) = [t for t in doc["students"][0]["problems"][0]["targets"] if t["answer"]]
    assert mixed["status"] == "wrong" and "your formula gives" in mixed["feedback"]


@pytest.mark.parametrize("expression, values, written", [
    ("k*x + kx + x**k + 2e3*k", {"k": "2"}, "2*x + kx + x**2 + 2e3*2"),  # whole names only
    ("a*x + b", {"a": "-1.5", "b": "pi/3"}, "(-1.5)*x + (pi/3)"),      # signs, expressions
    ("e1*x + e*x", {"e1": "3"}, "3*x + e*x"),
    ("c = a*k; c + k", {"k": "0.25"}, "c = a*0.25; c + 0.25"),
])
def test_coefficients_are_written_into_the_expression(expression, values, written):
    from backprop_cli.tasks.classroom import substitute

    assert substitute(expression, values) == written
