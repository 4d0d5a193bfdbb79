"""--format html in a real browser: headless Chromium (Debian's package; .ci/run installs
it, and these tests skip saying why where it is missing) opens the page, steps through
every adjoint update with the arrow keys, and reads the numbers the page shows: they are
--json's. Driven over the DevTools protocol by tests/browser.py (standard library only).

    python tests/test_browser.py --screenshot     # examples/lecture_f.png, after a change of look
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402
from conftest import REPO, run_cli  # noqa: E402
from test_html import EXAMPLES, HOSTILE, LAYER, LECTURE, _expected_steps  # noqa: E402

PATH, WHY = browser.find()
pytestmark = pytest.mark.skipif(PATH is None, reason=WHY)

READ = """(() => {
  const q = (s) => document.querySelector(s), all = (s) => [...document.querySelectorAll(s)];
  const num = (e) => e && e.dataset.num ? JSON.parse(e.dataset.num) : null;
  return {
    step: +q('.bp-root').dataset.step,
    work: q('.bp-work').textContent, work_num: num(q('.bp-work')),
    total: q('.bp-total').textContent, total_num: num(q('.bp-total')),
    rows: all('tr.bp-current').map((r) => r.dataset.node || 'step ' + r.dataset.step),
    edges: all('.bp-edge.bp-current').map((e) => +e.dataset.edge),
    nodes: all('.bp-node.bp-current').map((e) => e.dataset.node),
  };
})()"""

CELLS = """(() => {
  const read = (e) => ({text: e.textContent,
                        num: e.dataset.num ? JSON.parse(e.dataset.num) : null});
  return {
    values: [...document.querySelectorAll('.bp-ssa td.bp-value')].map(read),
    adjoints: [...document.querySelectorAll('.bp-ssa td.bp-adjoint')].map(read),
    graph_values: [...document.querySelectorAll('.bp-node-value')].map((e) => e.textContent),
    graph_adjoints: [...document.querySelectorAll('.bp-node-adjoint')].map((e) => e.textContent),
    partials: [...document.querySelectorAll('.bp-edge-value')].map(read),
  };
})()"""


@pytest.fixture(scope="module")
def chromium():
    try:
        b = browser.Browser.start()
    except browser.BrowserError as e:  # installed but cannot start here: say so
        pytest.skip(f"Chromium did not start: {e}")
    with b:
        yield b


def write_page(tmp_path, *args) -> str:
    result = run_cli(*args, "--format", "html")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "page.html"
    path.write_text(result.stdout, encoding="utf-8")
    return path.as_uri()


def json_doc(*args) -> dict:
    return json.loads(run_cli(*args, "--json").stdout)


def close(shown, want, text=None):
    """A number the page shows (in full in data-num, and as text) is the one expected."""
    np.testing.assert_allclose(np.asarray(shown, float), np.asarray(want, float),
                               rtol=1e-12, atol=1e-15)
    if text is not None and np.ndim(want) == 0:
        shown_text = float(text.split("=")[-1].split()[0])  # to the digits it shows
        assert shown_text == pytest.approx(float(want), rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("example", ["lecture_f", "layer_loss", "exercise_add"])
def test_stepping_through_every_update_shows_the_json_numbers(chromium, tmp_path, example):
    args = EXAMPLES[example]
    doc = json_doc(*args)
    want = _expected_steps(doc)
    chromium.send("Network.enable")
    chromium.open(write_page(tmp_path, *args))
    chromium.wait_for("!!document.querySelector('.bp-svg')")
    edges = [(e["from"], e["to"]) for e in doc["partials"]]
    assert chromium.eval(READ)["step"] == 0
    for k, w in enumerate(want, start=1):
        chromium.key("ArrowRight")
        now = chromium.eval(READ)
        assert now["step"] == k
        node = doc["nodes"][w[1]]["id"]
        close(now["work_num"], w[2], now["work"])
        assert node in now["rows"] and node in now["nodes"]
        if w[0] == "update":
            close(now["total_num"], w[3], now["total"])
            (edge,) = now["edges"]  # the edge of this update, highlighted, and its table row
            assert edges[edge][0] == node
            assert f"step {k}" in now["rows"]
    # every step made: the tables and the graph hold --json's numbers
    cells = chromium.eval(CELLS)
    for shown, node in zip(cells["values"], doc["nodes"]):
        close(shown["num"], node["value"], shown["text"])
    for shown, node in zip(cells["adjoints"], doc["nodes"]):
        close(shown["num"], node["adjoint"], shown["text"])
    for shown, edge in zip(cells["partials"], doc["partials"]):
        close(shown["num"], edge["value"], shown["text"])
    assert all(t.startswith("= ") for t in cells["graph_values"])
    assert all(t.startswith("w̄") for t in cells["graph_adjoints"])
    # the one file, and the worker made from its own script: no other request was made
    requested = {e["params"]["request"]["url"].split(":", 1)[0] for e in chromium.events
                 if e.get("method") == "Network.requestWillBeSent"}
    assert "file" in requested and requested <= {"file", "blob"}, requested
    chromium.send("Network.disable")
    if example != "lecture_f":
        return
    # and back: the left arrow undoes the last update of w̄1, which then reads 0.9069
    chromium.key("ArrowLeft")
    assert chromium.eval("document.querySelector('.bp-ssa td.bp-adjoint').textContent") == "0.9069"
    chromium.key("Home")
    assert chromium.eval(CELLS)["adjoints"][0]["text"] == ""
    assert not chromium.console_errors()


def test_show_all_and_hide_answers(chromium, tmp_path):
    chromium.open(write_page(tmp_path, *LECTURE))
    chromium.eval("document.querySelector('.bp-all').click()")
    assert chromium.eval(READ)["step"] == 15
    hidden = ("getComputedStyle(document.querySelector('.bp-ssa td.bp-adjoint')).visibility")
    assert chromium.eval(hidden) == "visible"
    chromium.eval("document.querySelector('.bp-hide-box').click()")
    assert chromium.eval(hidden) == "hidden"
    assert chromium.eval("getComputedStyle(document.querySelector('.bp-ssa td:nth-child(3)'))"
                         ".visibility") == "visible"  # the definitions stay, as --blank's


def test_vectors_show_their_arrays(chromium, tmp_path):
    doc = json_doc(*LAYER)
    chromium.open(write_page(tmp_path, *LAYER))
    chromium.key("End")
    cells = chromium.eval(CELLS)
    for shown, node in zip(cells["adjoints"], doc["nodes"]):
        close(shown["num"], node["adjoint"])
    assert cells["values"][1]["text"] == "[[1, -2], [0.5, 3]]"
    chromium.wait_for("!!document.querySelector('.bp-svg')")
    assert not chromium.console_errors()


def test_500_nodes_stay_responsive_while_the_graph_is_laid_out(chromium, tmp_path):
    expr = "+".join(f"sin(x*{k}+y)*exp(y/{k})" for k in range(1, 72))
    url = write_page(tmp_path, expr, "--at", "x=0.1,y=0.2")
    chromium.open(url)
    assert chromium.eval("document.querySelectorAll('.bp-ssa tbody tr').length") == 498
    chromium.key("ArrowRight")  # answered at once: the layout runs in a worker
    assert chromium.eval(READ)["step"] == 1
    chromium.wait_for("document.querySelectorAll('.bp-node').length === 498", timeout=60)
    chromium.key("End")
    now = chromium.eval(READ)
    assert now["step"] == 498 + 1 + 708 and "(complete)" in now["total"]
    assert not chromium.console_errors()


def test_a_hostile_comment_stays_text(chromium, tmp_path):
    source = tmp_path / "f.bp"
    source.write_text(f"# {HOSTILE}\nx*y\n", encoding="utf-8")
    chromium.open(write_page(tmp_path, "-f", str(source), "--at", "x=1,y=2"))
    chromium.key("End")
    assert chromium.eval("window.__pwned === undefined && !document.querySelector('img')")


def screenshot(path: Path) -> None:
    import tempfile

    with browser.Browser.start(1700, 800) as b, tempfile.TemporaryDirectory() as tmp:
        b.open(write_page(Path(tmp), *LECTURE))
        b.wait_for("!!document.querySelector('.bp-svg')")
        for _ in range(13):  # the update that completes nothing yet: w̄1 += w̄4·w2
            b.key("ArrowRight")
        b.screenshot(str(path))


if __name__ == "__main__" and "--screenshot" in sys.argv:
    screenshot(REPO / "examples" / "lecture_f.png")
    print("wrote examples/lecture_f.png")
