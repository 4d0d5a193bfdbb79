"""--format latex, markdown, dot, mermaid; --graph; --blank. The oracles are outside this
code: pdflatex and Graphviz parse what we print (skipped, with the reason, where they are
not installed), the course notes give the numbers, and the tables printed back are parsed
and held against the Trace.

    python tests/test_formats.py --regenerate    # the .md and .mmd snapshots in examples/
"""

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO, run_cli  # noqa: E402
from test_cli import columns  # noqa: E402
from test_examples import EXAMPLES, command  # noqa: E402

from backprop_cli import differentiate  # noqa: E402
from backprop_cli.engine.ops import OPS  # noqa: E402
from backprop_cli.render.markdown import escape  # noqa: E402
from backprop_cli.render.numbers import fmt  # noqa: E402
from backprop_cli.render.tables import adjoint_cell, value_cell  # noqa: E402

LECTURE = ["x**2*cos(x*y)+1", "--at", "x=-1,y=pi/3"]
SNAPSHOTS = {"markdown": ".md", "mermaid": ".mmd"}
needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex is not installed (apt-get install "
                                           "texlive-latex-base texlive-latex-recommended)")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")


def _trace(args):
    """The Trace a command line computes, through the library."""
    expr, at = args[0], args[args.index("--at") + 1]
    if expr == "-f":
        expr = (REPO / args[1]).read_text()
    seed = args[args.index("--seed") + 1] if "--seed" in args else None
    return differentiate(expr, at=at, seed=seed)


def _ok(*args) -> str:
    r = run_cli(*args)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout


# --- LaTeX -------------------------------------------------------------------------------

def _compile(tex: str, tmp_path: Path) -> None:
    (tmp_path / "doc.tex").write_text(tex)
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


@needs_pdflatex
@pytest.mark.parametrize("args", [LECTURE] + [command(e) for e in EXAMPLES],
                         ids=["lecture"] + [e.stem for e in EXAMPLES])
@pytest.mark.parametrize("blank", [False, True], ids=["answers", "blank"])
def test_latex_compiles(args, blank, tmp_path):
    _compile(_ok(*args, "--format", "latex", *(["--blank"] if blank else [])), tmp_path)


@needs_pdflatex
def test_latex_escapes_what_the_user_wrote(tmp_path):
    # a subscript-looking name, a Greek one, an accented one, a name in a statement
    tex = _ok("rate_1 = x_1*θ; total = rate_1 + é + 2*pi*x_1", "--at",
              "x_1=1,θ=2,é=3", "--format", "latex")
    assert r"(rate\_1)" in tex and r"\mathit{x\_1}" in tex and r"\theta" in tex and r"2\pi" in tex
    assert "θ" not in tex and "é" not in tex
    _compile(tex, tmp_path)


@needs_pdflatex
def test_latex_of_every_op_compiles(tmp_path):
    expr = ("tan(x) + asin(x/2) + acos(x/3) + atan(x*y) + sinh(y) + cosh(x) + tanh(x*y)"
            " + log(x) + log2(y) + log10(x*y) + sigmoid(x - y) + relu(x) + abs(y - 2)"
            " + max(x, y) * min(x, y) + pow(x, 3) - -x + exp(x)**2 + sqrt(x)**y + sign(x)"
            " + step(y) + sin(x)/cos(y) + 1e-3*x + x**(1/3)")
    tex = _ok(expr, "--at", "x=0.4,y=0.9", "--format", "latex")
    _compile(tex, tmp_path)


def test_latex_parenthesizes_as_a_reader_needs():
    from backprop_cli.symbolic.formula import App, Var, show
    from backprop_cli.engine.program import Const

    two, w1, w2 = Const(2.0, "2"), Var(0), Var(1)
    assert show(App("pow", (App("exp", (w1,)), two)), "latex") == r"(e^{w_1})^{2}"
    assert show(App("pow", (App("div", (w1, w2)), two)), "latex") == \
        r"\left(\frac{w_1}{w_2}\right)^{2}"
    assert show(App("mul", (App("add", (w1, w2)), App("neg", (w2,)))), "latex") == \
        r"(w_1 + w_2)(-w_2)"
    assert show(App("div", (App("add", (w1, w2)), two)), "latex") == r"\frac{w_1 + w_2}{2}"
    assert show(App("pow", (w1, App("sub", (w2, two)))), "latex") == "w_1^{w_2 - 2}"


def test_latex_products_juxtapose_where_unambiguous():
    from backprop_cli.symbolic.formula import App, Param, Var, show
    from backprop_cli.engine.program import Const

    two, three, pi = Const(2.0, "2"), Const(3.0, "3"), Const(3.141592653589793, "pi")
    w1, w2, w5 = Var(0), Var(1), Var(4)
    x, y, rate = Param("x"), Param("y"), Param("rate")

    def mul(*fs):
        out = fs[0]
        for f in fs[1:]:
            out = App("mul", (out, f))
        return out

    assert show(mul(two, w1, w5), "latex") == "2w_1w_5"  # the lecture's 2w_1w_5
    assert show(mul(mul(x, x), App("cos", (mul(x, y),))), "latex") == r"xx\cos(xy)"
    assert show(mul(two, three), "latex") == r"2 \cdot 3"  # not 23
    assert show(mul(w1, two), "latex") == r"w_1 \cdot 2"  # not w_12
    assert show(mul(two, App("div", (Const(1.0, "1"), w1))), "latex") == \
        r"2 \cdot \frac{1}{w_1}"  # not the mixed number 2½
    assert show(mul(w2, App("div", (Const(1.0, "1"), w1))), "latex") == r"w_2\frac{1}{w_1}"
    assert show(mul(pi, w1), "latex") == r"\pi w_1"  # \piw_1 would be no command
    assert show(mul(two, pi), "latex") == r"2\pi"
    # a multi-letter name is set apart from letters, so rate·x does not read as ratex
    assert show(mul(rate, x), "latex") == r"\mathit{rate} \cdot x"
    assert show(mul(x, rate), "latex") == r"x \cdot \mathit{rate}"
    assert show(mul(two, rate), "latex") == r"2\mathit{rate}"
    assert show(mul(App("abs", (w1,)), App("abs", (w2,))), "latex") == r"|w_1| \cdot |w_2|"
    # plain parentheses around a simple argument, growing ones around a fraction
    assert show(App("sin", (w1,)), "latex") == r"\sin(w_1)"
    assert show(App("sin", (App("div", (w1, two)),)), "latex") == \
        r"\sin\left(\frac{w_1}{2}\right)"
    assert show(App("abs", (App("div", (w1, two)),)), "latex") == r"\left|\frac{w_1}{2}\right|"
    assert show(App("max", (App("div", (w1, two)), w2)), "latex") == \
        r"\max\left(\frac{w_1}{2}, w_2\right)"
    # a call's power: \sin^{2}(w_1), as a teacher writes it; \sin(w_1)^{2} reads as sin(w_1²)
    assert show(App("pow", (App("sin", (w1,)), two)), "latex") == r"\sin^{2}(w_1)"
    assert show(App("pow", (App("sin", (w1,)), Const(0.5, "0.5"))), "latex") == \
        r"(\sin(w_1))^{0.5}"
    assert show(App("pow", (App("log2", (w1,)), two)), "latex") == r"(\log_{2}(w_1))^{2}"


def test_every_op_has_a_latex_template():
    for op in OPS.values():
        assert [f"#{k}" in op.latex for k in (1, 2, 3)] == [k <= op.arity for k in (1, 2, 3)], \
            op.name


def _latex_lines(tex: str) -> list[str]:
    """Each line without spaces, line breaks, a full stop or braces around a one-character
    exponent: the lecture's w_1^2 and our w_1^{2} are one notation."""
    out = []
    for line in tex.splitlines():
        line = re.sub(r"\s+", "", line)
        line = re.sub(r"(\\\\\*?(\[[^]]*\])?)$", "", line).rstrip(".")
        out.append(re.sub(r"\^\{(\w)\}", r"^\1", line))
    return out


def _notes_lecture_lines() -> list[str]:
    """The course notes' align lines from the SSA list to w̄1 (000_*.txt), except the
    general definitions (w̄_i) and those in the ∂f/∂w_j notation we do not print."""
    found = [f for d in (REPO.parent / "shared", REPO.parent.parent / "shared",
                         Path("/work/shared"))
             for f in sorted((d / "course-notes").glob("000_*.txt"))]
    if not found:
        pytest.skip("the course notes (shared/course-notes/000_*.txt) are not here")
    text = found[0].read_text()
    text = text[text.index(r"w_1 &=x"):text.index(r"since $w_1$ has two successor")]
    plug = text.index(r"f(x, y) &= w_7")  # plugging back in: the expansion, not printed
    text = text[:plug] + text[text.index(r"\end{align*}", plug):]
    lines = []
    for line in _latex_lines(text):
        if "&=" in line and "\\partialf" not in line and "w}_i" not in line \
                and not line.startswith("f("):
            lines.append(line)
    return lines


def test_latex_derivations_are_the_lectures():
    tex = _ok(*LECTURE, "--format", "latex")
    ours = _latex_lines(tex)
    notes = _notes_lecture_lines()
    # the SSA list, w̄6's, w̄5's, w̄3's and w̄1's derivations, their simplified forms
    for must in ["w_4&=w_1w_2", r"w_5&=\cos(w_4)", "&=w_3", r"&=2w_1w_5-w_2w_3\sin(w_4)",
                 r"\bar{w}_1&=\bar{w}_3\frac{\partialw_3}{\partialw_1}+"
                 r"\bar{w}_4\frac{\partialw_4}{\partialw_1}"]:
        assert must in notes  # the notes still say it, so the rest below is a real check
    missing = [line for line in notes if line not in ours]
    assert missing == []
    # w̄1 in full: the sum, the partials substituted, the simplified form, the value
    assert (r"\bar{w}_1 &= \bar{w}_3\frac{\partial w_3}{\partial w_1} + "
            r"\bar{w}_4\frac{\partial w_4}{\partial w_1}\\*" "\n"
            r"&= \bar{w}_3(2w_1) + \bar{w}_4w_2\\*" "\n"
            r"&= 2w_1w_5 - w_2w_3\sin(w_4)\\*" "\n"
            r"&= -0.0931003") in tex
    # no step repeats the one before: w̄6 = w̄7·∂w7/∂w6 = w̄7 = 1, not "= 1 = 1"
    assert (r"\bar{w}_6 &= \bar{w}_7\frac{\partial w_7}{\partial w_6}\\*" "\n"
            r"&= \bar{w}_7\\*" "\n" r"&= 1\\[4pt]") in tex
    assert not re.search(r"&= ([^\n]*?)\\\\\*?\n&= \1(\\\\|\n)", tex)
    # the adjoints the notes print beside torch.autograd: the last line of each derivation
    finals = dict(re.findall(r"\\bar\{w\}_(\d) &=(?:[^\n]*\n&=)*[^\n]*?(-?[\d.]+)"
                             r"(?:\\\\(?:\[4pt\])?)?\n", tex))
    printed = {"1": -0.0931, "2": -0.8660, "3": 0.5, "4": 0.8660, "5": 1, "6": 1, "7": 1}
    assert {k: round(float(v), 4) for k, v in finals.items()} == printed
    assert r"\frac{\partial f}{\partial x} &= \bar{w}_1 = -0.0931003" in tex


def test_latex_expand_is_the_notes_gradient_of_g():
    # the notes' hand-calculated ∂g/∂x = ye^{xy} + xy^2e^{xy}, ∂g/∂y = xe^{xy} + x^2ye^{xy}
    tex = _ok("g = x*y*exp(x*y)", "--at", "x=1,y=2", "--format", "latex", "--expand")
    ours = _latex_lines(tex)
    assert r"&=ye^{xy}+xy^2e^{xy}" in ours and r"&=xe^{xy}+x^2ye^{xy}" in ours
    assert r"\frac{\partial g}{\partial x} &= \bar{w}_1\\*" in tex


def test_latex_forward_mode_is_the_tangent_pass():
    tex = _ok(*LECTURE, "--format", "latex", "--mode", "forward")
    assert r"\bar{w}" not in tex  # forward mode only: no adjoints
    fw = differentiate(LECTURE[0], at=LECTURE[2], mode="forward").tangents
    # the product rule as a person writes it, and each pass's values are the Tangents'
    assert r"\dot{w}_4 &= \dot{w}_1w_2 + w_1\dot{w}_2 = 1.0472" in tex
    assert r"\dot{w}_5 &= -\dot{w}_4\sin(w_4) = 0.9069" in tex
    blocks = tex.split(r"\paragraph{The pass of")[1:]
    assert len(blocks) == 2
    for p, block in enumerate(blocks):
        values = re.findall(r"\\dot\{w\}_(\d) &= [^\n]*?(-?[\d.]+)(?:\\\\)?\n", block)
        assert [round(float(v), 4) for _, v in values] == \
            [round(float(t), 4) for t in fw.tangents[p]]
    assert (r"\frac{\partial f}{\partial x} &= \dot{w}_7\big|_{\text{pass } x} = "
            + fmt(fw.gradient["x"], 6)) in tex


def test_latex_blank_has_no_answers():
    tex = _ok(*LECTURE, "--format", "latex", "--blank")
    assert "0.0931" not in tex and "0.866" not in tex and r"\sin" not in tex
    assert r"\cos(w_4)" in tex  # the definitions stay
    # 7 values, 7 partials, 7 adjoints, f and the gradient; and the macro's definition
    assert tex.count(r"\blank") == 7 + 7 + 7 + 1 + 2 + 1
    assert "At $x = -1$, $y = 1.0472$." in tex  # the point is the question, not the answer


def test_latex_blank_in_both_modes_with_expand_has_no_simplified_forms():
    tex = _ok(*LECTURE, "--format", "latex", "--blank", "--mode", "both", "--expand")
    answers = tex.split(r"\subsection*{Local partials")[1]
    for answer in [r"\sin", "w_3w_5", "2w_1", r"\cos(xy)", "x^{2}", "&= w_3", "&= w_5",
                   r"\dot{w}_1w_2", "0.0931", "agree"]:
        assert answer not in answers, answer
    # 7 values, 7 partials, 5 tangents on each of 2 passes, 7 adjoints, f, and for each
    # of 2 inputs the gradient and its form in the inputs; the macro's definition
    assert tex.count(r"\blank") == 7 + 7 + 2 * 5 + 7 + 1 + 2 * 2 + 1
    assert "the tangents and the adjoints" in tex


@needs_pdflatex
@pytest.mark.parametrize("mode", ["reverse", "forward", "both"])
@pytest.mark.parametrize("flags", [[], ["--expand"], ["--blank"], ["--blank", "--expand"]],
                         ids=["answers", "expand", "blank", "blank-expand"])
def test_latex_of_every_mode_and_option_compiles(mode, flags, tmp_path):
    # multi-letter and Greek names, fractions inside functions and bars, 2π on an edge
    expr = "rate_1 = x_1*θ; total = rate_1 + 2*pi*x_1 + sin(x_1/θ)*abs(x_1/2) + x**2*cos(x*y)"
    tex = _ok(expr, "--at", "x_1=1,θ=2,x=-1,y=pi/3", "--format", "latex", "--mode", mode,
              *flags)
    assert (r"\dot{w}" in tex) == (mode != "reverse")
    assert (r"\bar{w}_1 &=" in tex) == (mode != "forward")
    _compile(tex, tmp_path)
    assert "Overfull" not in (tmp_path / "doc.log").read_text()


# --- DOT ---------------------------------------------------------------------------------

def _dot_args():
    return [LECTURE] + [command(e) for e in EXAMPLES]


@needs_dot
@pytest.mark.parametrize("args", _dot_args(), ids=["lecture"] + [e.stem for e in EXAMPLES])
@pytest.mark.parametrize("blank", [False, True], ids=["answers", "blank"])
def test_dot_parses_with_one_node_per_ssa_node_and_one_edge_per_trace_edge(args, blank):
    src = _ok(*args, "--format", "dot", *(["--blank"] if blank else []))
    svg = subprocess.run(["dot", "-Tsvg"], input=src, capture_output=True, text=True,
                         timeout=60)
    assert svg.returncode == 0 and "Warning" not in svg.stderr, svg.stderr
    trace = _trace(args)
    # Graphviz's own count of what it drew
    assert svg.stdout.count('class="node"') == len(trace.program.nodes)
    assert svg.stdout.count('class="edge"') == len(trace.edges())


def test_dot_labels_carry_values_partials_and_green_adjoints():
    src = _ok(*LECTURE, "--format", "dot")
    assert 'w7 [label="f = w7 = w6 + 1\\n= 1.5", xlabel=<<font color="#1a7f37">w̄7 = 1' in src
    assert "peripheries=2" in src.split("w7 [", 1)[1].split("\n", 1)[0]
    assert 'w4 -> w5 [label="∂w5/∂w4 = −sin(w4)\\n= 0.866025"];' in src
    assert src == _ok(*LECTURE, "--format", "dot")  # deterministic


# --- Mermaid and Markdown snapshots ------------------------------------------------------

@pytest.mark.parametrize("fmt_", SNAPSHOTS)
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_snapshot(example, fmt_):
    out = _ok(*command(example), "--format", fmt_)
    assert out == example.with_suffix(SNAPSHOTS[fmt_]).read_text()


_MERMAID_LINE = re.compile(
    r'%% .*|flowchart LR|  classDef output stroke-width:3px|  class w\d+ output'
    r'|  (w\d+)(?:\(\["([^"]*)"\]\)|\["([^"]*)"\])'
    r'|  (w\d+) -->\|"([^"]*)"\| (w\d+)')


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_mermaid_structure(example):
    """Every line is one of the forms we mean, labels quoted with no quote inside; one
    node per SSA node with its value and adjoint; one edge per trace edge."""
    trace = _trace(command(example))
    out = _ok(*command(example), "--format", "mermaid")
    nodes, edges = {}, []
    for line in out.splitlines():
        m = _MERMAID_LINE.fullmatch(line)
        assert m, line
        if m.group(1):
            nodes[m.group(1)] = (m.group(2) or m.group(3)).split("<br/>")
        if m.group(4):
            edges.append((m.group(4), m.group(6)))
    assert list(nodes) == [f"w{i + 1}" for i in range(len(trace.program.nodes))]
    for i, lines in enumerate(nodes.values()):  # as the tables print them (exact zeros,
        assert lines[1] == f"= {value_cell(trace, i, 6)}"  # branches not taken)
        assert lines[2] == f"w̄{i + 1} = {adjoint_cell(trace, i, 6)}"
        if "(" not in lines[1]:
            assert lines[1] == f"= {fmt(trace.values[i])}"
    assert edges == [(f"w{e.source + 1}", f"w{e.target + 1}") for e in trace.edges()]


def _md_tables(md: str) -> dict[str, list[list[str]]]:
    """The pipe tables of a Markdown text by their bold titles, cells unescaped."""
    out, title = {}, None
    for line in md.splitlines():
        if line.startswith("**") and line.endswith("**"):
            title = line.strip("*").split(":")[0].split(" ")[0]
        elif line.startswith("|") and not line.startswith("|--") and title:
            cells = [c.strip().replace("\\|", "|") for c in
                     re.split(r"(?<!\\)\|", line)[1:-1]]
            out.setdefault(title, []).append(cells)
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_markdown_numbers_are_the_traces(example):
    trace = _trace(command(example))
    t = _md_tables(_ok(*command(example), "--format", "markdown"))
    forward, partials, adjoints = t["Forward"], t["Local"], t["Adjoints"]
    assert forward[0] == ["node", "name", "definition", "value"] or \
        forward[0] == ["node", "name", "definition", "shape", "value"] and trace.tensor
    assert len(forward) - 1 == len(trace.program.nodes)
    assert len(partials) - 1 == len(trace.edges())
    assert len(adjoints) - 1 == len(trace.program.nodes)
    close = lambda cell, v: (cell.startswith("not taken (")  # noqa: E731
                             or np.allclose(_cell(cell), v, rtol=1e-5, atol=1e-12, equal_nan=True))
    for row, v in zip(forward[1:], trace.values):
        assert close(row[-1], v)
    for row, e in zip(partials[1:], trace.edges()):
        assert row[0] == f"∂w{e.target + 1}/∂w{e.source + 1}"
        assert close(row[2], trace.edge_value(e))
    for row, i in zip(adjoints[1:], range(len(trace.adjoints) - 1, -1, -1)):
        assert close(row[-1], trace.adjoints[i])
    for row, (name, g) in zip(t["Gradient"][1:], trace.gradient.items()):
        # the value: row[2] (after partial, or forward's beside reverse's), the last with
        # a shape column
        assert row[0] == name and close(row[-1] if trace.tensor else row[2], g)


def _cell(text: str):
    """A number, or the entries of a small array ([1, 0.5], [[1, 2], [3, 4]])."""
    text = text.replace("\\", "")
    if text.startswith("0 (exact; float64 gives "):  # 0 in exact arithmetic: rounding's noise
        return float(text.removeprefix("0 (exact; float64 gives ").removesuffix(")"))
    text = text.removesuffix(" (not taken)")  # a where's branch not taken: the number stands
    return np.array(json.loads(text)) if text.startswith("[") else float(text)


def test_markdown_escapes_pipes_and_markup():
    assert escape("a|b*c_d") == "a\\|b\\*c\\_d"
    t = _md_tables(_ok("rate_1 = x*2; rate_1 + 1", "--at", "x=1", "--format", "markdown"))
    assert t["Forward"][2][1] == "rate\\_1"  # a name with _ stays a name, not italics
    assert all(len(row) == 4 for row in t["Forward"])


def test_markdown_blank_keeps_definitions_and_empties_the_rest():
    t = _md_tables(_ok(*LECTURE, "--format", "markdown", "--blank"))
    assert [r[2] for r in t["Forward"][1:]] == ["input", "input", "w1²", "w1·w2", "cos(w4)",
                                                "w3·w5", "w6 + 1"]
    assert all(r[3] == "" for r in t["Forward"][1:])
    assert all(r[1:] and not any(r[1:]) for r in t["Local"][1:] + t["Adjoints"][1:])


# --- the terminal: --graph and --blank ---------------------------------------------------

def test_graph_draws_a_shared_node_once():
    out = _ok(*LECTURE, "--graph")
    tree = out.split("The graph, from the output down to the inputs\n", 1)[1]
    assert tree.startswith("f = w7 = w6 + 1 = 1.5   w̄7 = 1\n")
    assert "w4 = w1·w2 = -1.0472   w̄4 = 0.866025   ∂w5/∂w4 = −sin(w4) = 0.866025" in tree
    assert tree.count("w1 = x = -1") == 1 and "w1 … (shown above)" in tree
    assert len(tree.strip().splitlines()) == 1 + len(_trace(LECTURE).edges())


BIG = {"long sum": "+".join(f"sin({k}*x)*y" for k in range(1, 3334)),  # 10^4 nodes
       "deep nest": "sin(" * 9999 + "x" + ")" * 9999}


@pytest.mark.parametrize("flags", [["--graph"], ["--blank"], ["--graph", "--blank"]],
                         ids=" ".join)
@pytest.mark.parametrize("args", [command(e) for e in EXAMPLES] +
                         [[expr, "--at", "x=0.5,y=2"] for expr in BIG.values()],
                         ids=[e.stem for e in EXAMPLES] + list(BIG))
def test_graph_and_blank_fit_80_columns(args, flags):
    if args[0] == BIG["deep nest"]:
        args = [args[0], "--at", "x=0.5"]
    out = _ok(*args, *flags)
    assert max(columns(line) for line in out.splitlines()) <= 80
    assert len(out.splitlines()) < 400  # cut to a readable size
    if "--graph" in flags and len(args[0]) > 1000:
        assert "… deeper:" in out or "more branches not drawn" in out


def test_graph_notes_count_in_the_singular_and_the_plural():
    """`1 more branch`, `2 more branches`; `1 operand`, not `1 more branches`."""
    def tail(*args):
        return _ok(*args, "--graph").splitlines()[-1]

    assert "… 1 more branch not drawn (--max-rows 4)" in tail("x*y+x", "--at", "x=1,y=2",
                                                              "--max-rows", "4")
    assert "… 2 more branches not drawn" in tail("x*y+x", "--at", "x=1,y=2", "--max-rows", "3")
    deep = "sin(" * 10 + "x" + ")" * 10
    assert "… deeper: 1 operand not drawn" in tail(deep, "--at", "x=1")
    assert "… deeper: 2 operands not drawn" in tail("sin(" * 8 + "x*y" + ")" * 8, "--at",
                                                    "x=1,y=2")


def test_blank_tables_keep_names_and_drop_numbers():
    out = _ok(*LECTURE, "--blank")
    assert "cos(w4)" in out and "w̄1" in out and "∂w5/∂w4" in out
    assert "0.0931" not in out and "0.866" not in out and "sin" not in out


@needs_pdflatex
def test_latex_long_formulas_and_many_passes_fit_the_page(tmp_path):
    # a long expanded gradient breaks before its outer signs; a long source at its
    # operators; eleven inputs' passes are elided as rows are
    expr = ("sin(x*y)/(1+exp(-x*y)) + log(x**2+y**2)*sqrt(x*y) + tanh(x/y)**3 + "
            + "+".join(f"x{k}*sin(x{k}+y)" for k in range(1, 12)))
    at = ",".join([f"x{k}={k / 10}" for k in range(1, 12)] + ["x=1.2", "y=0.7"])
    tex = _ok(expr, "--at", at, "--format", "latex", "--mode", "both", "--expand",
              "--max-rows", "8")
    assert r"&\qquad + " in tex and "more passes" in tex
    assert r"\tanh^{2}\left(\frac{x}{y}\right)" in tex
    _compile(tex, tmp_path)
    assert "Overfull" not in (tmp_path / "doc.log").read_text()


@needs_pdflatex
def test_latex_of_a_big_graph_is_elided_and_compiles(tmp_path):
    tex = _ok(BIG["long sum"], "--at", "x=0.5,y=2", "--format", "latex")
    assert tex.count(r"&\vdots") == 4  # SSA list, forward, partials, adjoints
    assert len(tex.splitlines()) < 600
    _compile(tex, tmp_path)


# --- the options -------------------------------------------------------------------------

def test_json_flag_is_format_json():
    assert _ok(*LECTURE, "--json") == _ok(*LECTURE, "--format", "json")
    assert _ok(*LECTURE) == _ok(*LECTURE, "--format", "table")


@pytest.mark.parametrize("args,message", [
    (["--format", "dot", "--json"], "--json and --format dot ask for two formats"),
    (["--format", "latex", "--graph"], "--graph adds a tree to the tables"),
    (["--format", "json", "--blank"], "--blank makes a worksheet"),
    (["--format", "svg"], "invalid choice: 'svg'"),
])
def test_format_usage_errors(args, message):
    r = run_cli(*LECTURE, *args)
    assert r.returncode == 2 and "Traceback" not in r.stdout + r.stderr
    assert message in r.stdout + r.stderr


if __name__ == "__main__" and "--regenerate" in sys.argv:
    for example in EXAMPLES:
        for name, suffix in SNAPSHOTS.items():
            example.with_suffix(suffix).write_text(run_cli(*command(example), "--format",
                                                           name).stdout)
            print("wrote", example.with_suffix(suffix).name)


NOTE = "there are no inputs, so there is nothing to differentiate"


@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "dot", "mermaid"])
def test_a_constant_shows_its_value_and_why_there_is_nothing_more(fmt):
    """`backprop "2*pi"` printed empty tables, an empty graph, and `f = ` on a worksheet."""
    out = _ok("2*pi", "--format", fmt)
    assert "6.28319" in out and NOTE in out, out
    assert "Forward pass" not in out and "SSA list" not in out, out
    blank = _ok("2*pi", "--format", fmt, "--blank")
    assert NOTE in blank and "6.28" not in blank, blank
    assert "Forward pass" not in blank and "SSA list" not in blank, blank
    if fmt in ("table", "markdown"):
        assert ("f = 2*pi = 6.28319" if fmt == "table" else r"f = 2\*pi = 6.28319") in out
    if fmt == "dot":
        assert "peripheries=2" in out  # the one box, drawn as the output
    if fmt == "mermaid":
        assert "output[" in out


def test_a_constant_in_json_is_its_value_and_an_empty_gradient():
    doc = json.loads(_ok("2*pi", "--json"))
    assert doc["value"] == pytest.approx(2 * math.pi) and doc["gradient"] == {}
