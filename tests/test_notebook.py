"""Jupyter: a Trace shows itself (_repr_html_: the tables, and the graph to step through
where it fits; _repr_markdown_: the Markdown tables), though Trace lives in the engine,
which imports no renderer. examples/stepper.ipynb is a valid notebook whose code runs.

    python tests/test_notebook.py --regenerate    # the notebook's outputs, after a change
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO, run_cli  # noqa: E402

NOTEBOOK = REPO / "examples" / "stepper.ipynb"


def trace(*args, **kwargs):
    import backprop_cli

    return backprop_cli.differentiate(*args, **kwargs)


def test_a_trace_shows_its_tables_and_graph_as_html():
    shown = trace("x**2*cos(x*y)+1", at="x=-1,y=pi/3")._repr_html_()
    assert "<table>" in shown and "<td>w̄1</td>" in shown
    assert "-0.0931003" in shown and "w3·w5" in shown
    assert 'class="bp-root"' in shown and "bp-dagre" in shown  # 7 nodes: the graph fits
    assert 'data-keys="self"' in shown  # its keys only when it has the focus


def test_a_big_trace_shows_its_tables_without_the_graph():
    expr = "+".join(f"sin(x*{k})" for k in range(1, 40))
    shown = trace(expr, at="x=1")._repr_html_()
    assert "<table>" in shown and "more rows" in shown and "bp-root" not in shown


def test_markdown_is_the_markdown_format():
    md = trace("x*y*exp(x*y)", at="x=1,y=2")._repr_markdown_()
    assert md == run_cli("x*y*exp(x*y)", "--at", "x=1,y=2", "--format", "markdown").stdout


def test_forward_mode_shows_both_gradients():
    md = trace("x*y", at="x=1,y=2", mode="both")._repr_markdown_()
    assert "| input | forward | reverse |" in md and "agree" in md


def test_the_display_hook_is_set_by_the_public_name_in_a_fresh_process():
    # the engine's Trace asks a hook the render layer sets: `from backprop_cli import
    # differentiate` must be enough, as it is in a notebook's first cell
    code = ("from backprop_cli import differentiate\n"
            "t = differentiate('x*y', at='x=1,y=2')\n"
            "print(type(t).__module__, '<table>' in t._repr_html_(), "
            "'| node |' in t._repr_markdown_())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=REPO)
    assert out.stdout.split() == ["backprop_cli.engine.trace", "True", "True"], out.stderr


def test_ipython_finds_the_html_and_the_markdown():
    formatters = pytest.importorskip("IPython.core.formatters",
                                     reason="IPython is not installed (not a test dependency)")
    data, _ = formatters.DisplayFormatter().format(trace("x*y", at="x=1,y=2"))
    assert {"text/html", "text/markdown", "text/plain"} <= set(data)


def _cells():
    return json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]


def test_the_example_notebook_is_valid():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is a test dependency")
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    nbformat.validate(nb)
    assert any(c.cell_type == "code" for c in nb.cells)


def run_cells(cells):
    """Each code cell as Jupyter runs it: the last line, an expression, is what it shows."""
    env: dict = {}
    shown = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = tree.body[:-1] if last else tree.body
        exec(compile(ast.Module(body, []), "<cell>", "exec"), env)
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), env) if last else None
        shown.append(value)
    return shown


def test_the_notebooks_code_runs_and_each_trace_shows_itself():
    shown = run_cells(_cells())
    traces = [v for v in shown if hasattr(v, "_repr_html_")]
    assert len(traces) >= 2
    for t in traces:
        assert "<table>" in t._repr_html_() and "| node |" in t._repr_markdown_()


def regenerate() -> None:
    """The outputs a notebook would store, from running its cells here."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for n, (cell, value) in enumerate(zip(code, run_cells(nb["cells"])), start=1):
        cell["execution_count"] = n
        cell["outputs"] = []
        if value is None:
            continue
        data = {"text/plain": repr(value).splitlines(keepends=True)}
        for mime, method in (("text/html", "_repr_html_"), ("text/markdown", "_repr_markdown_")):
            if hasattr(value, method):
                data[mime] = getattr(value, method)().splitlines(keepends=True)
        cell["outputs"] = [{"output_type": "execute_result", "execution_count": n,
                            "metadata": {}, "data": data}]
    NOTEBOOK.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_what_the_user_wrote_stays_text_in_the_notebook():
    hostile = "# </script><img src=x onerror=alert(1)> <i>\nx*y"  # a comment: any text
    shown = trace(hostile, at="x=1,y=2")._repr_html_()
    assert "<img" not in shown and "<i>" not in shown
    assert "bp-root" in shown and "\\u003cimg" in shown  # in the data, as JSON escapes it


if __name__ == "__main__" and "--regenerate" in sys.argv:
    regenerate()
    print("wrote", NOTEBOOK.relative_to(REPO))
