"""Plots: terminal plots render at 80 columns; images are written and non-empty (skipped
with a reason when matplotlib is absent); a clear exit-2 message without it."""

import subprocess
import sys

import pytest
from conftest import BACKPROP, REPO, run_cli

SWEEP_1 = ["x**2*cos(x*y)+1", "--over", "x=-3:3:121", "--at", "y=pi/3"]
SWEEP_2 = ["x**2*cos(x*y)+1", "--over", "x=-3:3:41", "--over", "y=-2:2:31"]
DESCEND = ["descend", "(x-3)**2 + (y+1)**2", "--from", "x=0,y=0"]


def _fits(text):
    lines = text.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), max(map(len, lines))
    return text


def test_terminal_curves_for_one_input():
    r = run_cli(*SWEEP_1, "--plot")
    assert r.returncode == 0, r.stderr
    out = _fits(r.stdout)
    assert [line for line in out.splitlines() if line in ("f", "∂f/∂x", "∂f/∂y")] == \
        ["f", "∂f/∂x", "∂f/∂y"]
    assert any(0x2800 < ord(c) <= 0x28FF for c in out)  # braille dots were drawn
    assert "       -8│" in out  # f's minimum over the sweep labels the bottom row


def test_a_curve_with_nan_points_keeps_the_axis_it_is_labelled_with():
    # log(x) over [-1, 1]: nan for x ≤ 0, so the left half of the chart stays empty; it was
    # stretched over the whole width under an axis still labelled -1 … 1
    import numpy as np

    from backprop_cli.render.plot_text import curve

    x = np.linspace(-1.0, 1.0, 41)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(x > 0, np.log(x), np.nan)
    rows = curve(x, y, width=40)
    assert all(row[:20].strip() == "" for row in rows)  # x < 0.025: nothing drawn
    assert any(row[20:].strip() for row in rows)
    # the last point, log(1) = 0, is the top right corner
    assert rows[0][-1] != " "


def test_terminal_heat_map_for_two_inputs():
    r = run_cli(*SWEEP_2, "--plot")
    assert r.returncode == 0, r.stderr
    out = _fits(r.stdout)
    assert "f over x (across) and y (up)" in out and "arrows: −∇, downhill" in out
    assert any(a in out for a in "→↗↑↖←↙↓↘") and "█" in out


def test_terminal_descent_plot():
    r = run_cli(*DESCEND, "--plot")
    assert r.returncode == 0, r.stderr
    out = _fits(r.stdout)
    assert "loss (log scale)" in out and "•: the path" in out


def test_three_swept_inputs_do_not_plot():
    r = run_cli("x*y*z", "--over", "x=0:1:3", "--over", "y=0:1:3", "--over", "z=0:1:3",
                "--plot")
    assert r.returncode == 2 and "one or two swept inputs" in r.stderr


@pytest.mark.parametrize("args", [SWEEP_1, SWEEP_2, DESCEND])
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_images_are_written(tmp_path, args, suffix, magic):
    pytest.importorskip("matplotlib", reason="--plot FILE needs the plot extra")
    path = tmp_path / f"plot{suffix}"
    r = run_cli(*args, "--plot", str(path))
    assert r.returncode == 0, r.stderr
    assert f"wrote {path}" in r.stderr
    data = path.read_bytes()
    assert len(data) > 5000 and data.startswith(magic)
    if suffix == ".svg":
        assert b"<path" in data


def test_bad_image_name():
    r = run_cli(*SWEEP_1, "--plot", "out.jpg")
    assert r.returncode == 2 and "--plot writes .png, .svg, .pdf files" in r.stderr


def test_without_matplotlib_the_message_says_how_to_install():
    # the console script's own entry point, with matplotlib made unimportable
    code = ("import sys; sys.modules['matplotlib'] = None; "
            "from backprop_cli.cli.main import run; "
            f"sys.argv = ['backprop', *{SWEEP_1!r}, '--plot', 'out.png']; run()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "needs matplotlib" in r.stderr and 'pip install "backprop-cli[plot]"' in r.stderr
    assert BACKPROP.exists()
