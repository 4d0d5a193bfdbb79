"""--format html: one self-contained file whose data is --json's document, whose steps are
the reverse pass's own updates, and where what the user wrote cannot become markup. What
a browser makes of it is tests/test_browser.py's."""

import hashlib
import json
import re
import sys
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO, assert_same_document, run_cli  # noqa: E402

LECTURE = ("-f", "examples/lecture_f.bp", "--at", "x=-1,y=pi/3")
LAYER = ("-f", "examples/layer_loss.bp", "--at",
         "A=[[1,-2],[0.5,3]],x=[0.2,-0.4],b=[0.1,-0.3],y=[1,0]")
EXAMPLES = {"lecture_f": LECTURE, "layer_loss": LAYER,
            "exercise_add": ("c = a + b; d = c + a", "--at", "a=1,b=2"),
            "vector_slice": ("x[:2]", "--at", "x=arange(4)", "--seed", "v=[1,0.5]"),
            "dynamic_programming": ("sqrt(x**2+exp(x**2))+cos(x**2+exp(x**2))", "--at", "x=2"),
            "hessian": (*LECTURE, "--hessian", "--mode", "both"),
            "jacobian_seeded": ("A @ x", "--at", "A=[[1,2],[3,4],[5,6]],x=[1,2]", "--seed",
                                "v=[1,0,2]", "--jacobian")}


class Page(HTMLParser):
    """The elements of a page, their attributes, and the text of each script and style."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self.styles, self._open = [], [], [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._open = (tag, dict(attrs)) if tag in ("script", "style") else None

    def handle_data(self, data):
        if self._open and self._open[0] == "script":
            self.scripts.append((self._open[1], data))
        elif self._open and self._open[0] == "style":
            self.styles.append(data)

    def handle_endtag(self, tag):
        self._open = None

    def data(self) -> dict:
        (text,) = [t for a, t in self.scripts if a.get("class") == "bp-data"]
        return json.loads(text)


def page(*args: str) -> tuple[str, Page]:
    result = run_cli(*args, "--format", "html")
    assert result.returncode == 0, result.stderr
    return result.stdout, Page(result.stdout)


def json_doc(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_page_fetches_nothing():
    text, p = page(*LECTURE)
    for tag, attrs in p.tags:
        assert tag not in ("link", "iframe", "img", "object", "embed", "base"), tag
        fetching = {"src", "href", "srcset", "action", "background", "data"}
        assert not fetching & set(attrs), (tag, attrs)
    assert all(not a.get("src") for a, _ in p.scripts)  # every script inline
    for css in p.styles:
        assert "@import" not in css and "url(" not in css and "@font-face" not in css
    # and the browser is told to refuse any request that slipped through
    (csp,) = [a["content"] for t, a in p.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src" not in csp
    assert "<script" in text and text.count("<script") == len(p.scripts)


def test_dagre_is_the_published_build_with_its_license():
    page_dir = resources.files("backprop_cli.render").joinpath("page")
    readme = page_dir.joinpath("README.md").read_text(encoding="utf-8")
    (digest,) = re.findall(r"sha256 `([0-9a-f]{64})`", readme)
    assert hashlib.sha256(page_dir.joinpath("dagre.min.js").read_bytes()).hexdigest() == digest
    for name in ("dagre.LICENSE", "graphlib.LICENSE"):
        assert "Permission is hereby granted" in page_dir.joinpath(name).read_text(encoding="utf-8")
    text, _ = page(*LECTURE)
    assert "Copyright (c) 2012-2014 Chris Pettitt" in text  # the notice travels with the page


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_pages_data_is_the_json_document(name, validate):
    _, p = page(*EXAMPLES[name])
    data = p.data()
    assert_same_document(validate(data["trace"]), json_doc(*EXAMPLES[name]))
    assert len(data["nodes"]) == len(data["trace"]["nodes"])
    assert [(e["source"], e["target"]) for e in data["edges"]] == [
        (int(e["from"][1:]) - 1, int(e["to"][1:]) - 1) for e in data["trace"]["partials"]]


def _expected_steps(doc: dict) -> list[tuple]:
    """The steps as the lecture does them, from --json's numbers alone: each node's value,
    the seed, then for each edge in backward order w̄ⱼ·∂wⱼ/∂wᵢ (summed back to wᵢ's shape,
    or pushed as it is by an op that is not entrywise) and the sum so far."""
    index = {n["id"]: k for k, n in enumerate(doc["nodes"])}
    out = [("forward", k, np.asarray(n["value"], float)) for k, n in enumerate(doc["nodes"])]
    o = index[doc["output"]["node"]]
    out.append(("seed", o, np.asarray(doc["nodes"][o]["adjoint"], float)))
    totals = {}
    for e in doc["partials"]:
        i, j = index[e["from"]], index[e["to"]]
        p = np.asarray(e["value"], float)
        if e.get("kind") == "vjp":
            add = p
        else:
            add = np.asarray(doc["nodes"][j]["adjoint"], float) * p
            shape = np.shape(doc["nodes"][i]["value"])  # broadcasting undone by summing
            while add.ndim > len(shape):
                add = add.sum(axis=0)
            stretched = tuple(a for a, d in enumerate(shape) if d == 1 and add.shape[a] != 1)
            add = np.sum(add, axis=stretched, keepdims=True) if shape else add
        totals[i] = totals.get(i, 0) + add
        out.append(("update", i, add, totals[i]))
    return out


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_step_adds_the_chain_rules_term_and_ends_on_the_adjoint(name):
    _, p = page(*EXAMPLES[name])
    data = p.data()
    want = _expected_steps(data["trace"])
    assert [(s["kind"], s["node"]) for s in data["steps"]] == [w[:2] for w in want]
    for s, w in zip(data["steps"], want):
        close = dict(rtol=1e-12, atol=1e-15)  # sums in another order: not the last digit
        np.testing.assert_allclose(np.asarray(s["num_value"], float), w[2], **close)
        if s["kind"] == "update":
            np.testing.assert_allclose(np.asarray(s["num_total"], float), w[3], **close)
    for k, node in enumerate(data["trace"]["nodes"]):  # the last update of w̄ᵢ leaves it complete
        last = [s for s in data["steps"] if s["kind"] != "forward" and s["node"] == k]
        if last:
            assert last[-1]["last"] and last[-1]["num_total"] == node["adjoint"]


def test_the_lecture_steps_read_as_the_lecture():
    steps = page(*LECTURE)[1].data()["steps"]
    rules = [s["rule"] for s in steps]
    assert rules[:7] == ["w1 = x", "w2 = y", "w3 = w1²", "w4 = w1·w2", "w5 = cos(w4)",
                         "w6 = w3·w5", "w7 = w6 + 1"]
    assert rules[7] == "w̄7 = 1  (seed)"
    assert rules[8:] == ["w̄6 += w̄7·∂w7/∂w6", "w̄3 += w̄6·∂w6/∂w3", "w̄5 += w̄6·∂w6/∂w5",
                         "w̄4 += w̄5·∂w5/∂w4", "w̄1 += w̄4·∂w4/∂w1", "w̄2 += w̄4·∂w4/∂w2",
                         "w̄1 += w̄3·∂w3/∂w1"]
    w1 = [s for s in steps if s["kind"] == "update" and s["node"] == 0]
    assert [s["formula"] for s in w1] == ["w̄4·w2", "w̄3·(2·w1)"]
    assert [s["total"] for s in w1] == ["0.9069", "-0.0931003"]  # the lecture's -0.0931
    assert w1[0]["numbers"] == "0.866025 × 1.0472" and not w1[0]["last"] and w1[1]["last"]


HOSTILE = "</script><img src=x onerror=window.__pwned=1><!--"


def test_what_the_user_wrote_cannot_become_markup(tmp_path):
    # a comment of a file is the one place where any text reaches the page (the
    # expression, verbatim, is in --json's document)
    source = tmp_path / "f.bp"
    source.write_text(f"# {HOSTILE} & <b>\nx*y  # {HOSTILE}\n", encoding="utf-8")
    text, p = page("-f", str(source), "--at", "x=1,y=2")
    assert "<img" not in text and "<b>" not in text and "<!--" not in text.split("<body>")[1] \
        .split("<!-- dagre")[0]
    assert not [t for t, a in p.tags if t == "img" or "onerror" in a]
    assert p.data()["trace"]["expression"] == source.read_text(encoding="utf-8")
    assert HOSTILE in p.data()["trace"]["expression"]


def test_a_blank_page_is_a_worksheet_without_the_answers():
    text, p = page(*LECTURE, "--blank")
    data = p.data()
    assert data["blank"] and data["trace"] is None
    for number in ("0.0931", "0.866", "0.9069", "1.5"):  # the point stays: it is the problem
        assert number not in text.split('class="bp-data">')[1].split("</script>")[0]
    assert [n["definition"] for n in data["nodes"]][2:4] == ["w1²", "w1·w2"]  # kept
    assert all(s["value"] == "" and s["formula"] == "" for s in data["steps"])


def test_a_constant_and_a_jacobian_page():
    _, p = page("2*pi")
    assert p.data()["steps"] == [] and p.data()["output"].startswith("f = 2")
    # without a seed there is no one backward pass: the forward pass, then the Jacobian
    _, p = page("A @ x", "--at", "A=ones(3,2),x=[1,2]", "--jacobian")
    data = p.data()
    assert {s["kind"] for s in data["steps"]} == {"forward"}
    assert [t["title"].split(",")[0] for t in data["tables"]] == ["Jacobian"]


def test_the_tables_the_stepper_does_not_show_follow_it():
    titles = [t["title"] for t in page(*EXAMPLES["hessian"])[1].data()["tables"]]
    assert titles[0].startswith("Tangents") and titles[-1].startswith("Hessian")
    assert any(t.startswith("Second-order pass 2 of 2") for t in titles)
    assert "Gradient" in titles


def test_html_is_a_format_of_the_show_command_only():
    result = run_cli("check", "x", "--at", "x=1", "--expect", "f=1", "--format", "html")
    assert result.returncode == 2


def test_the_screenshot_of_the_lecture_is_kept():
    # made by `python tests/test_browser.py --screenshot`
    shot = REPO / "examples" / "lecture_f.png"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("example", sorted((REPO / "examples").glob("*.bp")), ids=lambda p: p.stem)
def test_every_example_makes_a_page_of_its_json(example, validate):
    from test_examples import command

    args = [a for a in command(example) if a not in ("--json",)]
    _, p = page(*args)
    data = p.data()
    assert_same_document(validate(data["trace"]), json_doc(*args))
    assert len(data["steps"]) == len(data["nodes"]) + (
        1 + len(data["trace"]["partials"]) if data["trace"]["gradient"] is not None else 0)
