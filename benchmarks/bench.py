"""Benchmarks for backprop: cold start of the command, scaling of the pipeline stages, and a
check that the interactive path imports no heavy framework.

    python benchmarks/bench.py            # full run, sizes 10^3 … 10^6 (a few minutes)
    python benchmarks/bench.py --quick    # sizes 10^3 … 10^4, fewer rounds (under 30 s)
    python benchmarks/bench.py --max-exp 5
    python benchmarks/bench.py --against e143617   # the passes beside another commit's

Run it with the interpreter of the environment that has backprop installed: the console
script is looked up next to sys.executable. Each size of the scaling benchmark runs in its
own subprocess, so the peak RSS printed for it is that size's own. All figures are medians;
the machine this runs on is usually shared, so expect noise of 10-20 % between runs.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

EXAMPLE = ["x**2*cos(x*y)+1", "--at", "x=2,y=pi/2"]
BARE_IMPORT = "import lark, rich, numpy"
FORBIDDEN = ("sympy", "torch", "jax")

COLD_TARGET = 1.3  # command / bare import
VERSION_TARGET = 3.0  # backprop --version (and --help) / python -c pass
GROWTH_TARGET = 1.5  # µs per node at 10^6 / at 10^4
E2E_TARGET_S = 10.0  # 10^6 nodes, end to end
REVERSE_TARGET_US = 1.0  # µs per node
HVP_TARGET = 5.0  # a Hessian–vector product / one gradient (forward + reverse)

FAMILIES = {
    "long sum": "sin(x*1) + sin(x*2) + … : 3 nodes per term (mul, sin, add)",
    "deep nest": "sin(tanh(sin(…(x)…))) : 1 node per level",
}


# --------------------------------------------------------------------------------------
# Generated expressions


def source_for(family: str, exp: int) -> str:
    target = 10 ** exp
    if family == "long sum":
        # x, then per term k: x*k, sin(·), and an add for every term after the first.
        terms = max(1, round(target / 3))
        return " + ".join([f"sin(x*{k})" for k in range(1, terms + 1)])
    if family == "deep nest":
        # sin and tanh alternating: values and adjoints shrink only polynomially (the
        # gradient at 10^6 levels is about 2e-8). sin(cos(…)) would drive the adjoints into
        # subnormal floats after ~1800 levels, where every numpy scalar product costs
        # about 2.4x as much, and the benchmark would time that instead of the code.
        depth = target - 1  # plus the input x
        heads = ["sin(", "tanh("] * (depth // 2) + ["sin("] * (depth % 2)
        return "".join(heads) + "x" + ")" * depth
    raise ValueError(family)


# --------------------------------------------------------------------------------------
# Worker: one family and size in a fresh process


def _rss_now_kib() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def worker(family: str, exp: int, reps: int) -> dict:
    from backprop_cli import differentiate
    from backprop_cli.language.lower import lower
    from backprop_cli.language.parser import parse
    from backprop_cli.engine.evaluate import evaluate
    from backprop_cli.engine.passes import adjoint_tangent, forward, layout, reverse, tangent

    import numpy as np

    differentiate("sin(x)*2+1", at={"x": 1})  # load the parser tables before timing
    rss_imports = _rss_now_kib()
    source = source_for(family, exp)
    rss_source = _rss_now_kib()
    point = {"x": 0.5}

    def timed(fn, *args, **kw):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        return out, time.perf_counter() - t0

    runs: dict[str, list[float]] = {}
    n_nodes = None
    error = None
    try:
        for _ in range(reps):
            gc.collect()
            gc.disable()  # as differentiate() does around the stages
            try:
                row = {}
                # the grammar loop alone, building the plain syntax tree: a reference
                syntax, row["parse"] = timed(parse, source)
                del syntax
                # what the product does: parse and build the SSA program in one pass
                program, row["lower"] = timed(lower, source)
                n_nodes = len(program.nodes)
                lay, row["layout"] = timed(layout, program)
                vals, row["forward"] = timed(forward, program, dict(point), lay)
                res, row["reverse"] = timed(reverse, program, vals, lay)
                # --hvp x=1: forward over reverse, the tangent pass and the adjoints'
                # tangents on top of the gradient's two passes
                dot, row["tangent"] = timed(tangent, program, vals, lay, res[0],
                                            {0: np.float64(1.0)})
                _, row["adjoint tangent"] = timed(adjoint_tangent, program, vals, lay, res[0],
                                                  res[1], dot, (0,))
                row["gradient"] = row["forward"] + row["reverse"]
                row["hvp"] = row["gradient"] + row["tangent"] + row["adjoint tangent"]
                del vals, res, lay, dot
                gc.collect()
                trace, row["evaluate()"] = timed(evaluate, program, dict(point))
                grad = trace.gradient
                del trace, program
            finally:
                gc.enable()
            gc.collect()
            for k, v in row.items():
                runs.setdefault(k, []).append(v)
        for _ in range(reps):
            gc.collect()
            trace, t = timed(differentiate, source, at=point)
            del trace
            runs.setdefault("differentiate()", []).append(t)
    except Exception as e:  # report, don't die: the other sizes still run
        error = f"{type(e).__name__}: {e}"[:200]
        grad = None
    gc.collect()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "family": family, "exp": exp, "reps": reps, "nodes": n_nodes,
        "chars": len(source),
        "median": {k: statistics.median(v) for k, v in runs.items()},
        "runs": runs,
        "rss_imports_kib": rss_imports, "rss_source_kib": rss_source, "peak_rss_kib": peak,
        "gradient": {k: float(v) for k, v in grad.items()} if grad else None,
        "error": error,
    }


# --------------------------------------------------------------------------------------
# Printing


def table(headers: list[str], rows: list[list], indent: str = "  ") -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    def line(r):
        return indent + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                  for i, (c, w) in enumerate(zip(r, widths)))
    out = [line(headers), indent + "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(out)


def verdict(ok: bool | None) -> str:
    return {True: "OK", False: "MISSED", None: "n/a"}[ok]


def fmt_s(x: float) -> str:
    if x < 1e-3:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1e3:.1f} ms"
    return f"{x:.2f} s"


def heading(text: str) -> None:
    print()
    print(text)
    print("=" * len(text))


# --------------------------------------------------------------------------------------
# 1. Cold start


def console_script() -> Path:
    here = Path(sys.executable).parent
    for name in ("backprop", "backprop.exe"):
        if (here / name).exists():
            return here / name
    found = shutil.which("backprop")
    if found:
        return Path(found)
    sys.exit(f"bench: no backprop console script next to {sys.executable}; run this with the "
             "python of the environment backprop is installed in")


def interleaved(cmds: dict[str, list[str]], base: str, target: float, rounds: int,
                warmups: int) -> dict[str, float]:
    """Wall times of whole commands, in interleaved rounds (rotated, so no command is
    always first), after warm-ups; prints medians and each against `base`. Returns the
    ratios of the medians to base's."""
    names = list(cmds)
    times: dict[str, list[float]] = {k: [] for k in names}

    def run(name):
        t0 = time.perf_counter()
        p = subprocess.run(cmds[name], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            sys.exit(f"bench: {name} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
        return dt

    for _ in range(warmups):
        for name in names:
            run(name)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(run(name))
    med = {name: statistics.median(times[name]) for name in names}
    rows = []
    for name in names:
        ratio = med[name] / med[base]
        ok = None if name == base else ratio <= target
        rows.append([name, f"{med[name] * 1e3:.0f} ms", f"{min(times[name]) * 1e3:.0f} ms",
                     f"{max(times[name]) * 1e3:.0f} ms", f"{ratio:.3f}x",
                     "" if ok is None else f"{verdict(ok)} (≤ {target:g}x)"])
    print(f"  {rounds} interleaved rounds after {warmups} warm-up(s); medians")
    print(table(["command", "median", "min", "max", f"vs {base}", "target"], rows))
    return {name: med[name] / med[base] for name in names}


def cold_start(script: Path, rounds: int, warmups: int) -> None:
    heading("Cold start (wall time of a fresh process, stdout to a pipe)")
    print(f"  command: backprop \"{EXAMPLE[0]}\" {' '.join(EXAMPLE[1:])}; bare import: "
          f"{sys.executable} -c \"{BARE_IMPORT}\"")
    interleaved({"bare import": [sys.executable, "-c", BARE_IMPORT],
                 "backprop (tables)": [str(script), *EXAMPLE],
                 "backprop --json": [str(script), *EXAMPLE, "--json"]},
                "bare import", COLD_TARGET, rounds, warmups)


def version_start(script: Path, rounds: int, warmups: int) -> float:
    """backprop --version and --help against an interpreter that does nothing: they load
    neither numpy nor Rich, so they should cost little more than Python's own start."""
    heading("Start-up of --version and --help, against python -c pass")
    ratios = interleaved({"python -c pass": [sys.executable, "-c", "pass"],
                          "backprop --version": [str(script), "--version"],
                          "backprop --help": [str(script), "--help"]},
                         "python -c pass", VERSION_TARGET, rounds, warmups)
    return ratios["backprop --version"]


# --------------------------------------------------------------------------------------
# 2. Scaling


def scaling(exps: list[int], reps_for: dict[int, int]) -> list[dict]:
    heading("Scaling: µs per SSA node, medians (each size in its own process)")
    results = []
    for family in FAMILIES:
        for exp in exps:
            reps = reps_for[exp]
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, __file__, "--_worker", family, str(exp),
                                str(reps)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=900)
            wall = time.perf_counter() - t0
            if p.returncode != 0 or not p.stdout.strip():
                res = {"family": family, "exp": exp, "reps": reps, "nodes": None,
                       "median": {}, "error": f"worker exit {p.returncode}: "
                       f"{p.stderr.strip()[-300:]}"}
            else:
                res = json.loads(p.stdout.strip().splitlines()[-1])
            res["wall"] = wall
            results.append(res)
            print(f"  … {family} 10^{exp}: {res.get('nodes')} nodes, worker {wall:.1f} s"
                  + (f"  ERROR {res['error']}" if res.get("error") else ""),
                  file=sys.stderr, flush=True)

    print("  parse = the grammar loop alone, building the plain syntax tree (a reference);")
    print("  lower = what the product does: parse and build the SSA program in one pass;")
    print("  layout, forward, reverse = the passes (backprop_cli/engine/passes.py)")
    print("  stages are timed with the cyclic GC disabled, as differentiate() does; "
          "gc.collect() between runs")
    print("  evaluate() = layout + forward + reverse + kink check + Trace; "
          "differentiate() = lower + evaluate(), text to Trace")
    stages = [s for s in ("parse", "lower", "layout", "forward", "reverse", "evaluate()",
                          "differentiate()") if any(s in r["median"] for r in results)]
    hvp_stages = ["gradient", "tangent", "adjoint tangent", "hvp"]
    for family, desc in FAMILIES.items():
        print()
        print(f"  {family}: {desc}")
        rows = []
        for r in results:
            if r["family"] != family:
                continue
            n = r["nodes"]
            m = r["median"]
            row = [f"10^{r['exp']}", n if n else "-", r["reps"]]
            row += [f"{m[s] / n * 1e6:.2f}" if n and s in m else "-" for s in stages]
            row += [fmt_s(m["differentiate()"]) if "differentiate()" in m else "-"]
            peak = r.get("peak_rss_kib")
            base = r.get("rss_imports_kib")
            row += [f"{peak / 1024:.0f}" if peak else "-",
                    f"{(peak - base) * 1024 / n:.0f}" if peak and n else "-"]
            rows.append(row)
        print(table(["size", "nodes", "runs"] + stages + ["total", "peak MiB", "B/node"], rows))
        for r in results:
            if r["family"] == family and r.get("error"):
                print(f"  ERROR at 10^{r['exp']}: {r['error']}")
    print()
    print("  columns are µs/node except total (differentiate(), wall), peak RSS of the process "
          "(MiB)")
    print("  and B/node = (peak RSS − RSS after imports) / nodes, which includes the source text")

    # Growth and targets
    print()
    print("  Growth of µs/node (linear time means a ratio near 1)")
    rows = []
    for family in FAMILIES:
        by_exp = {r["exp"]: r for r in results if r["family"] == family and r.get("nodes")}
        if len(by_exp) < 2:
            continue
        hi = max(by_exp)
        lo = 4 if 4 in by_exp and hi > 4 else min(by_exp)
        a, b = by_exp[lo], by_exp[hi]
        for s in stages:
            if s in a["median"] and s in b["median"]:
                ra = a["median"][s] / a["nodes"]
                rb = b["median"][s] / b["nodes"]
                ratio = rb / ra
                target = f"{verdict(ratio <= GROWTH_TARGET)} (≤ {GROWTH_TARGET}x)" \
                    if (lo, hi) == (4, 6) else f"(target is 10^6 vs 10^4, ≤ {GROWTH_TARGET}x)"
                rows.append([family, s, f"10^{hi} / 10^{lo}", f"{ratio:.2f}x", target])
    if rows:
        print(table(["family", "stage", "sizes", "ratio", "target"], rows))

    print()
    print("  Targets")
    rows = []
    for family in FAMILIES:
        r6 = next((r for r in results if r["family"] == family and r["exp"] == 6
                   and r.get("nodes")), None)
        if r6 and "differentiate()" in r6["median"]:
            t = r6["median"]["differentiate()"]
            rows.append([family, "10^6 nodes end to end", f"{t:.2f} s",
                         f"< {E2E_TARGET_S:.0f} s", verdict(t < E2E_TARGET_S)])
        else:
            rows.append([family, "10^6 nodes end to end", "not run", f"< {E2E_TARGET_S:.0f} s",
                         "n/a"])
        for r in results:
            if r["family"] == family and r.get("nodes") and "reverse" in r["median"] \
                    and (r["exp"] >= 4 or max(exps) < 4):
                us = r["median"]["reverse"] / r["nodes"] * 1e6
                rows.append([family, f"reverse pass at 10^{r['exp']}", f"{us:.2f} µs/node",
                             f"< {REVERSE_TARGET_US:g} µs/node", verdict(us < REVERSE_TARGET_US)])
    print(table(["family", "target", "measured", "target", "verdict"], rows))
    hvp_cost(results, hvp_stages)
    return results


def hvp_cost(results: list[dict], stages: list[str]) -> None:
    """--hvp: one forward-over-reverse pass beside one gradient, per size, and how its
    µs per node grows."""
    heading("Hessian–vector product (--hvp): forward over reverse against one gradient")
    print("  gradient = forward + reverse; hvp = gradient + tangent + adjoint tangent (the "
          "adjoints' tangents), µs/node, medians")
    rows = []
    for r in results:
        m, n = r["median"], r.get("nodes")
        if not n or "hvp" not in m:
            continue
        ratio = m["hvp"] / m["gradient"]
        rows.append([r["family"], f"10^{r['exp']}", n]
                    + [f"{m[s] / n * 1e6:.2f}" for s in stages]
                    + [f"{ratio:.2f}x", verdict(ratio <= HVP_TARGET)])
    print(table(["family", "size", "nodes"] + stages + ["hvp/gradient", f"≤ {HVP_TARGET:g}x"],
                rows))
    rows = []
    for family in FAMILIES:
        by_exp = {r["exp"]: r for r in results if r["family"] == family and r.get("nodes")
                  and "hvp" in r["median"]}
        if len(by_exp) < 2:
            continue
        hi = max(by_exp)
        lo = 4 if 4 in by_exp and hi > 4 else min(by_exp)
        a, b = by_exp[lo], by_exp[hi]
        ratio = (b["median"]["hvp"] / b["nodes"]) / (a["median"]["hvp"] / a["nodes"])
        rows.append([family, f"10^{hi} / 10^{lo}", f"{ratio:.2f}x",
                     verdict(ratio <= GROWTH_TARGET) if (lo, hi) == (4, 6)
                     else f"(target is 10^6 vs 10^4, ≤ {GROWTH_TARGET}x)"])
    if rows:
        print("  Growth of the hvp's µs/node (linear time means a ratio near 1)")
        print(table(["family", "sizes", "ratio", f"≤ {GROWTH_TARGET}x"], rows))


# --------------------------------------------------------------------------------------
# Side by side with another commit


def against(rev: str, exps: list[int], rounds: int) -> None:
    """The stages of this tree and of commit `rev`, measured in the same run: for each
    size, `rounds` workers of each tree, alternating, so load on the machine falls on both
    alike. The other commit runs its own bench.py worker (its module paths are its own)
    from a temporary git worktree, with PYTHONPATH pointing at it."""
    import tempfile

    repo = Path(__file__).resolve().parent.parent
    heading(f"Side by side: this tree against {rev}, µs per SSA node, medians of "
            f"{rounds} alternating workers each")
    tmp = Path(tempfile.mkdtemp(prefix="bench-against-"))
    other = tmp / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(other), rev], cwd=repo,
                   check=True, capture_output=True)
    trees = {"this": repo, rev: other}
    try:
        for family in FAMILIES:
            for exp in exps:
                got: dict[str, list[dict]] = {name: [] for name in trees}
                for r in range(rounds):
                    # which tree goes first alternates: a worker started right after
                    # another can find the caches and the clock in another state
                    for name, tree in list(trees.items())[::1 if r % 2 else -1]:
                        env = {**os.environ, "PYTHONPATH": str(tree)}
                        reps = 3 if exp < 6 else 1  # a worker at 10^6 takes half a minute
                        p = subprocess.run([sys.executable, str(tree / "benchmarks" / "bench.py"),
                                            "--_worker", family, str(exp), str(reps)],
                                           cwd=tree, env=env, capture_output=True, text=True,
                                           timeout=900)
                        if p.returncode or not p.stdout.strip():
                            raise RuntimeError(f"{name} worker failed: {p.stderr[-500:]}")
                        got[name].append(json.loads(p.stdout.strip().splitlines()[-1]))
                nodes = got["this"][0]["nodes"]
                assert all(r["nodes"] == nodes for rs in got.values() for r in rs), \
                    "the two trees lower the benchmark to different programs"
                print()
                print(f"  {family}, 10^{exp} ({nodes} nodes)")
                rows = []
                for stage in ("lower", "layout", "forward", "reverse", "evaluate()",
                              "differentiate()"):
                    us = {name: statistics.median(r["median"][stage] for r in rs) / nodes * 1e6
                          for name, rs in got.items()}
                    rows.append([stage, f"{us['this']:.3f}", f"{us[rev]:.3f}",
                                 f"{us['this'] / us[rev]:.3f}x"])
                print(table(["stage", "this", rev, "this / " + rev], rows))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=repo,
                       capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------------------
# 4. Imports on the interactive path


def import_check(script: Path) -> None:
    heading("Imports on the interactive path")
    ok = True
    for label, extra in (("tables", []), ("--json", ["--json"])):
        p = subprocess.run([sys.executable, "-X", "importtime", str(script), *EXAMPLE, *extra],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        mods = []
        for line in p.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            parts = line.split("|")
            if len(parts) < 3 or not parts[1].strip().isdigit():
                continue
            mods.append((parts[2].strip(), int(parts[1]), parts[2]))
        names = {m for m, _, _ in mods}
        tops = {m.split(".")[0] for m in names}
        bad = sorted(t for t in FORBIDDEN if t in tops)
        ok &= not bad and p.returncode == 0
        heavy = sorted(((c, m) for m, c, raw in mods
                        if len(raw) - len(raw.lstrip()) <= 1), reverse=True)[:4]
        print(f"  backprop … {' '.join(extra) or '(tables)'}: exit {p.returncode}, "
              f"{len(names)} modules imported; sympy/torch/jax: "
              f"{', '.join(bad) if bad else 'none'}; lark: "
              f"{'imported' if 'lark' in tops else 'not imported'}")
        print("    heaviest top-level imports (cumulative, -X importtime): "
              + ", ".join(f"{m} {c / 1000:.0f} ms" for c, m in heavy))
    # Cross-check in-process: run main() and look at sys.modules.
    code = ("import io, sys, contextlib\n"
            "from backprop_cli.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc1 = main({EXAMPLE!r}); rc2 = main({EXAMPLE + ['--json']!r})\n"
            f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & {set(FORBIDDEN)!r})\n"
            "print(rc1, rc2, ','.join(bad))\n")
    p = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    out = p.stdout.split()
    in_process_ok = p.returncode == 0 and out[:2] == ["0", "0"] and len(out) == 2
    ok &= in_process_ok
    print(f"  in-process main() (tables, then --json), then sys.modules: "
          f"{'no sympy/torch/jax' if in_process_ok else 'FAILED: ' + (p.stdout + p.stderr)[-300:]}")
    print(f"  verdict: {'OK, the interactive path imports none of sympy, torch, jax' if ok else 'MISSED'}")


# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# 4. Sweeps: many points through one program, against numpy written by hand

SWEEP_TARGET = 1.25  # a sweep / the hand-written numpy pass over the same arrays
LECTURE_F = "x**2*cos(x*y)+1"


def hand_written(x, y):
    """The lecture's f and its gradient, forward and reverse as one would write them in
    numpy over arrays: w1 = x, w2 = y, w3 = w1², w4 = w1·w2, w5 = cos w4, w6 = w3·w5,
    w7 = w6 + 1; then w̄5 = w3, w̄3 = w5, w̄4 = −w̄5·sin w4, w̄1 = w̄3·2w1 + w̄4·w2,
    w̄2 = w̄4·w1."""
    import numpy as np

    w3 = x ** 2
    w4 = x * y
    w5 = np.cos(w4)
    w7 = w3 * w5 + 1
    w4bar = -w3 * np.sin(w4)
    return w7, w5 * 2 * x + w4bar * y, w4bar * x


def sweep_speed(points: int, rounds: int) -> None:
    import numpy as np

    from backprop_cli import lower
    from backprop_cli.tasks.sweep import BLOCK, evaluate_points

    heading(f"Sweep: {points:,} points of the lecture's f, backprop against hand-written numpy")
    program = lower(LECTURE_F)
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-3, 3, points), rng.uniform(-3, 3, points)
    runs = {"hand-written numpy": lambda: hand_written(x, y),
            "backprop sweep": lambda: evaluate_points(program, {"x": x, "y": y}),
            "  as one block": lambda: evaluate_points(program, {"x": x, "y": y}, block=points)}
    s, (v, gx, gy) = runs["backprop sweep"](), runs["hand-written numpy"]()
    same = all(np.max(np.abs(a - b) / np.maximum(np.spacing(np.abs(b)), 1e-300)) <= 4
               for a, b in ((s.value, v), (s.gradient["x"], gx), (s.gradient["y"], gy)))
    times: dict[str, list[float]] = {k: [] for k in runs}
    gc.disable()
    try:
        for r in range(rounds):
            names = list(runs)
            for name in names[r % 3:] + names[:r % 3]:  # rotate, so none is always first
                t0 = time.perf_counter()
                runs[name]()
                times[name].append(time.perf_counter() - t0)
    finally:
        gc.enable()
    hand = statistics.median(times["hand-written numpy"])
    ours = statistics.median(times["backprop sweep"])
    rows = [[name, fmt_s(statistics.median(t)), fmt_s(min(t)), fmt_s(max(t))]
            for name, t in times.items()]
    print(f"  {rounds} interleaved rounds; f = {LECTURE_F}, x and y uniform in [-3, 3]")
    print(f"  the sweep: passes.forward + reverse over the arrays (sweep.evaluate_points) in "
          f"blocks of {BLOCK:,} points;\n  for reference also as one block of all of them")
    print(table(["pass", "median", "min", "max"], rows))
    one = statistics.median(times["  as one block"])
    print(f"  ratio backprop / hand-written: {ours / hand:.3f}x   "
          f"{verdict(ours / hand <= SWEEP_TARGET)} (≤ {SWEEP_TARGET}x)")
    print(f"  values and gradients within 4 ulp of the hand-written ones: "
          f"{'yes' if same else 'NO'}")
    print(f"  as one block of {points:,} points: {one / hand:.3f}x")


def environment() -> None:
    print("backprop benchmarks")
    print(f"  python      {platform.python_version()} ({platform.python_implementation()}) "
          f"at {sys.executable}")
    try:
        from importlib.metadata import version
        pkgs = ", ".join(f"{p} {version(p)}" for p in ("backprop-cli", "lark", "rich", "numpy"))
    except Exception as e:  # pragma: no cover
        pkgs = f"? ({e})"
    print(f"  packages    {pkgs}")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=Path(__file__).resolve().parent).stdout.strip()
    except OSError:
        commit = ""
    print(f"  machine     {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
          f"{platform.release()}; load average {_load()}" + (f"; commit {commit}" if commit else ""))
    print("  note        the machine is shared and noisy: compare medians between runs with a "
          "grain of salt (±10-20 %)")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="sizes up to 10^4 and fewer rounds (under 30 s)")
    ap.add_argument("--max-exp", type=int, default=None, metavar="K",
                    help="largest size 10^K of the scaling benchmark (3-6; default 6)")
    ap.add_argument("--sweep-only", action="store_true",
                    help="only the sweep section (10^6 points against hand-written numpy)")
    ap.add_argument("--against", metavar="REV",
                    help="only the passes, side by side with git commit REV (sizes 10^4 "
                         "and 10^5, or up to --max-exp), in alternating workers")
    ap.add_argument("--rounds", type=int, default=5, metavar="N",
                    help="workers per tree and size with --against (default 5)")
    ap.add_argument("--startup-only", action="store_true",
                    help="only the start-up sections (cold start; --version and --help)")
    ap.add_argument("--_worker", nargs=3, metavar=("FAMILY", "EXP", "REPS"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # keep the tables and stderr progress in order
    if args._worker:
        family, exp, reps = args._worker
        print(json.dumps(worker(family, int(exp), int(reps))))
        return

    t_start = time.perf_counter()
    max_exp = max(3, min(6 if args.max_exp is None else args.max_exp, 4 if args.quick else 6))
    exps = list(range(3, max_exp + 1))
    # Small sizes are cheap and noisy on a shared machine, and 10^4 is the denominator of
    # the growth ratios: 5 runs there in a full run, 3 in --quick.
    reps_for = ({3: 3, 4: 3} if args.quick else {3: 5, 4: 5, 5: 2, 6: 2})
    reps_for = {e: reps_for.get(e, 1) for e in exps}
    script = console_script()

    environment()
    if args.against:  # 10^4 and 10^5 unless --max-exp says otherwise: 10^6 takes minutes
        top = 5 if args.max_exp is None else args.max_exp
        against(args.against, [e for e in (4, 5, 6) if e <= top], args.rounds)
        return
    if args.sweep_only:
        sweep_speed(10 ** 6, rounds=21)
        return
    print(f"  mode        {'--quick' if args.quick else 'full'}; sizes "
          f"{', '.join(f'10^{e}' for e in exps)}; console script {script}")
    cold_start(script, rounds=5 if args.quick else 15, warmups=1 if args.quick else 2)
    version_start(script, rounds=7 if args.quick else 21, warmups=1 if args.quick else 2)
    if args.startup_only:
        return
    scaling(exps, reps_for)
    import_check(script)
    sweep_speed(10 ** 5 if args.quick else 10 ** 6, rounds=7 if args.quick else 21)
    print()
    print(f"total benchmark time {time.perf_counter() - t_start:.0f} s; load average now {_load()}")


if __name__ == "__main__":
    main()
