"""Benchmarks for backprop: cold start of the command, scaling of the pipeline stages, and a
check that the interactive path imports no heavy framework.

    python benchmarks/bench.py            # full run, sizes 10^3 … 10^6 (a few minutes)
    python benchmarks/bench.py --quick    # sizes 10^3 … 10^4, fewer rounds (under 30 s)
    python benchmarks/bench.py --max-exp 5
    python benchmarks/bench.py --against e143617   # the passes beside another commit's
    python benchmarks/bench.py --grade-only        # backprop grade of 1000 submissions

Run it with the interpreter of the environment that has backprop installed: the console
script is looked up next to sys.executable. Each size of the scaling benchmark runs in its
own subprocess, so the peak RSS printed for it is that size's own. All figures are medians;
the machine this runs on is usually shared, so expect noise of 10-20 % between runs.
"""

from __future__ import annotations

import argparse
import gc
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
BARE_IMPORT = "import rich.console, rich.table, numpy"
FORBIDDEN = ("sympy", "torch", "jax")

COLD_TARGET = 0.9  # the lecture's tables / bare import, in CPU time
COLD_JSON_TARGET = 0.7  # the lecture's --json / bare import
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


GNU_TIME = "/usr/bin/time"


def run_measured(cmd: list[str], stdout=subprocess.DEVNULL, env=None) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its threads, peak RSS KiB) of one command.
    Linux starts a child's peak RSS at its parent's RSS when it forks (this process
    holds hundreds of MiB by the sweep sections), so the peak is read by GNU time, a
    small parent, when it is installed; else from wait4, an upper bound."""
    import tempfile

    peak_file = None
    if os.path.exists(GNU_TIME):
        fd, peak_file = tempfile.mkstemp(prefix="bench-rss-")
        os.close(fd)
        cmd = [GNU_TIME, "-f", "%M", "-o", peak_file, *cmd]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        sys.exit(f"bench: {' '.join(cmd)[:200]} failed ({p.returncode}): {err.decode()[-500:]}")
    peak = usage.ru_maxrss
    if peak_file:
        try:
            with open(peak_file) as f:
                peak = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
        os.unlink(peak_file)
    return wall, usage.ru_utime + usage.ru_stime, peak


def interleaved(cmds: dict[str, list[str]], base: str, target: float | dict, rounds: int,
                warmups: int, cpu: bool = False) -> dict[str, float]:
    """Times of whole commands, in interleaved rounds (rotated, so no command is always
    first), after warm-ups; prints medians and each against `base`. With `cpu`, the CPU
    time of each process (its threads included: what OpenBLAS's pool costs) is what is
    compared, and wall time is printed beside it. `target` is one bound or one per
    command. Returns the ratios of the medians to base's."""
    names = list(cmds)
    times: dict[str, list[float]] = {k: [] for k in names}
    walls: dict[str, list[float]] = {k: [] for k in names}

    def run(name):
        wall, used, _ = run_measured(cmds[name])
        walls[name].append(wall)
        return used if cpu else wall

    for _ in range(warmups):
        for name in names:
            run(name)
    for name in names:
        walls[name].clear()
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            times[name].append(run(name))
    med = {name: statistics.median(times[name]) for name in names}
    rows = []
    for name in names:
        ratio = med[name] / med[base]
        bound = target.get(name) if isinstance(target, dict) else target
        ok = None if name == base or bound is None else ratio <= bound
        row = [name, f"{med[name] * 1e3:.0f} ms", f"{min(times[name]) * 1e3:.0f} ms",
               f"{max(times[name]) * 1e3:.0f} ms"]
        if cpu:
            row.append(f"{statistics.median(walls[name]) * 1e3:.0f} ms")
        rows.append(row + [f"{ratio:.3f}x", "" if ok is None else f"{verdict(ok)} (≤ {bound:g}x)"])
    what = "CPU" if cpu else "wall"
    print(f"  {rounds} interleaved rounds after {warmups} warm-up(s); medians of {what} time")
    print(table(["command", f"{what} median", "min", "max"] + (["wall median"] if cpu else [])
                + [f"vs {base}", "target"], rows))
    return {name: med[name] / med[base] for name in names}


def cold_start(script: Path, rounds: int, warmups: int) -> None:
    heading("Cold start (CPU time of a fresh process, threads included; stdout to a pipe)")
    print(f"  command: backprop \"{EXAMPLE[0]}\" {' '.join(EXAMPLE[1:])}; bare import: "
          f"{sys.executable} -c \"{BARE_IMPORT}\"")
    interleaved({"bare import": [sys.executable, "-c", BARE_IMPORT],
                 "backprop (tables)": [str(script), *EXAMPLE],
                 "backprop --json": [str(script), *EXAMPLE, "--json"]},
                "bare import", {"backprop (tables)": COLD_TARGET,
                                "backprop --json": COLD_JSON_TARGET}, rounds, warmups,
                cpu=True)


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


# --------------------------------------------------------------------------------------
# 5. Big traces as commands: --json against the tables, and the 10^6-node end to end

JSON_TARGET = 1.5  # --json / tables, same expression, as commands
JSON_KB_TARGET = 1.2  # peak memory of --json, KB per node (over a tiny run's)


def source_file(family: str, exp: int, tmp: Path) -> Path:
    path = tmp / f"{family.replace(' ', '_')}_{exp}.bp"
    if not path.exists():
        path.write_text(source_for(family, exp))
    return path


def _medians(cmds: dict[str, list[str]], rounds: int) -> dict[str, tuple[float, float, int]]:
    """Interleaved rounds of whole commands: per command the medians of CPU time and wall
    time, and the largest peak RSS (KiB)."""
    got: dict[str, list[tuple[float, float, int]]] = {k: [] for k in cmds}
    names = list(cmds)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            wall, cpu, rss = run_measured(cmds[name])
            got[name].append((cpu, wall, rss))
    return {k: (statistics.median(c for c, _, _ in v), statistics.median(w for _, w, _ in v),
                max(m for _, _, m in v)) for k, v in got.items()}


def big_traces(script: Path, exps: list[int], rounds_for: dict[int, int], tmp: Path) -> None:
    heading("Big traces as commands: --json against the tables (CPU time, interleaved)")
    _, _, tiny = run_measured([str(script), "x*2", "--at", "x=1", "--json"])
    print(f"  KB/node = (peak RSS − {tiny / 1024:.0f} MiB of a one-node --json run) / nodes")
    rows, growth = [], {}
    for family in FAMILIES:
        for exp in exps:
            path = source_file(family, exp, tmp)
            base = [str(script), "-f", str(path), "--at", "x=0.5"]
            m = _medians({"tables": base, "json": base + ["--json"]}, rounds_for[exp])
            nodes = 10 ** exp
            (tc, tw, tr), (jc, jw, jr) = m["tables"], m["json"]
            ratio = jc / tc
            kb = (jr - tiny) * 1.024 / nodes
            growth[(family, exp)] = jc / nodes
            rows.append([family, f"10^{exp}", rounds_for[exp], fmt_s(tc), fmt_s(jc),
                         f"{ratio:.2f}x", f"{verdict(ratio <= JSON_TARGET)} (≤ {JSON_TARGET}x)",
                         f"{(tr - tiny) * 1.024 / nodes:.2f}", f"{kb:.2f}",
                         f"{verdict(kb <= JSON_KB_TARGET)} (≤ {JSON_KB_TARGET})"])
    print(table(["family", "size", "runs", "tables CPU", "--json CPU", "json/tables", "target",
                 "tables KB/node", "json KB/node", "target"], rows))
    for family in FAMILIES:
        lo, hi = (family, min(exps)), (family, max(exps))
        if lo != hi:
            g = growth[hi] / growth[lo]
            print(f"  {family}: --json µs/node at 10^{max(exps)} over 10^{min(exps)}: "
                  f"{g:.2f}x  {verdict(g <= GROWTH_TARGET) if (min(exps), max(exps)) == (4, 6) else ''}"
                  f" (linear: ≤ {GROWTH_TARGET}x from 10^4 to 10^6)")


def end_to_end(script: Path, rounds: int, tmp: Path) -> None:
    heading("10^6 nodes as a command, text to tables (CPU time of the process)")
    rows = []
    for family in FAMILIES:
        path = source_file(family, 6, tmp)
        m = _medians({family: [str(script), "-f", str(path), "--at", "x=0.5"]}, rounds)
        cpu, wall, rss = m[family]
        rows.append([family, rounds, f"{cpu:.2f} s", f"{wall:.2f} s", f"{rss / 1024:.0f}",
                     f"{verdict(cpu < E2E_TARGET_S)} (< {E2E_TARGET_S:g} s)"])
    print(table(["family", "runs", "CPU median", "wall median", "peak MiB", "target"], rows))


# --------------------------------------------------------------------------------------
# 6. Sweeps as commands: plots against tables, CSV and JSON Lines against numpy.savetxt

PLOT_TARGET = 1.5  # --plot / the table of the same sweep
STREAM_TARGET = 2.0  # --format csv|json / numpy.savetxt of the same columns
SWEEP_ARGS = [LECTURE_F, "--at", "y=1"]

SAVETXT = """import sys, numpy as np
n = int(sys.argv[1])
x = np.linspace(-3, 3, n); y = np.ones(n)
w3 = x ** 2; w4 = x * y; w5 = np.cos(w4); f = w3 * w5 + 1; w4bar = -w3 * np.sin(w4)
np.savetxt(sys.stdout, np.column_stack([x, y, f, w5 * 2 * x + w4bar * y, w4bar * x]),
           delimiter=",")
"""


def sweep_commands(script: Path, plot_exps: list[int], stream_exps: list[int],
                   rounds: int) -> None:
    heading("Sweeps as commands: --plot against the table; CSV and JSON Lines against "
            "numpy.savetxt (CPU time, interleaved)")
    print(f"  backprop sweep \"{LECTURE_F}\" --over x=-3:3:N --at y=1 …; savetxt: the same "
          "five columns computed by hand in numpy, then np.savetxt(…, delimiter=',')")
    rows = []
    for exp in plot_exps:
        over = ["--over", f"x=-3:3:{10 ** exp}"]
        table_cmd = [str(script), "sweep", *SWEEP_ARGS, *over]
        m = _medians({"table": table_cmd, "plot": table_cmd + ["--plot"]},
                     rounds if exp < 7 else max(1, rounds // 2))
        ratio = m["plot"][0] / m["table"][0]
        rows.append([f"10^{exp}", fmt_s(m["table"][0]), fmt_s(m["plot"][0]), f"{ratio:.2f}x",
                     f"{verdict(ratio <= PLOT_TARGET)} (≤ {PLOT_TARGET}x)"])
    print(table(["points", "table CPU", "--plot CPU", "plot/table", "target"], rows))
    print()
    rows = []
    for exp in stream_exps:
        n = 10 ** exp
        over = ["--over", f"x=-3:3:{n}"]
        base = [str(script), "sweep", *SWEEP_ARGS, *over, "--format"]
        m = _medians({"savetxt": [sys.executable, "-c", SAVETXT, str(n)],
                      "csv": base + ["csv"], "json": base + ["json"]},
                     rounds if exp < 7 else 1)
        for kind in ("csv", "json"):
            ratio = m[kind][0] / m["savetxt"][0]
            rows.append([f"10^{exp}", kind, fmt_s(m["savetxt"][0]), fmt_s(m[kind][0]),
                         f"{ratio:.2f}x", f"{verdict(ratio <= STREAM_TARGET)} (≤ {STREAM_TARGET}x)",
                         f"{m['savetxt'][2] / 1024:.0f}", f"{m[kind][2] / 1024:.0f}"])
    print(table(["points", "format", "savetxt CPU", "backprop CPU", "ratio", "target",
                 "savetxt MiB", "backprop MiB"], rows))
    print("  peak MiB of backprop stays flat from size to size: the points stream in blocks "
          "of 16,384")


# --------------------------------------------------------------------------------------
# 7. Descent: a step of `backprop descend` against a hand-written numpy loop

DESCENT_TARGET = 1.5
ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"


def hand_descent(optimizer: str, lr: float, steps: int):
    """The loop one writes by hand in numpy for Rosenbrock's function: loss, gradient,
    its norm, the update (PyTorch's conventions, as backprop's)."""
    import math

    import numpy as np

    theta = np.array([-1.0, 1.0])
    v, s = np.zeros(2), np.zeros(2)
    for k in range(steps):
        x, y = theta
        r = y - x * x
        loss = (1 - x) ** 2 + 100 * r ** 2
        g = np.array([-2 * (1 - x) - 400 * x * r, 200 * r])
        math.hypot(*g)
        if optimizer == "plain":
            theta = theta - lr * g
        elif optimizer == "momentum":
            v = 0.9 * v + g
            theta = theta - lr * v
        elif optimizer == "adam":
            t = k + 1
            v = 0.9 * v + 0.1 * g
            s = 0.999 * s + 0.001 * g * g
            theta = theta - lr * (v / (1 - 0.9 ** t)) / (np.sqrt(s / (1 - 0.999 ** t)) + 1e-8)
        else:  # newton: the Hessian by hand, one solve per step
            h = np.array([[2 - 400 * r + 800 * x * x, -400 * x], [-400 * x, 200.0]])
            theta = theta - lr * np.linalg.solve(h, g)
    return loss


def descent_speed(steps: int, rounds: int, script: Path) -> None:
    from backprop_cli import lower
    from backprop_cli.tasks.descent import OPTIMIZERS, Descent

    heading(f"Descent: µs per step of {steps:,} steps of Rosenbrock's function, against a "
            "hand-written numpy loop")
    program = lower(ROSENBROCK)
    rates = {"plain": 1e-4, "momentum": 1e-4, "adam": 1e-3, "newton": 1.0}
    rows = []
    for optimizer in ("plain", "momentum", "adam", "newton"):
        if optimizer not in OPTIMIZERS:
            rows.append([optimizer, "-", "-", "-", "n/a: not an optimizer of this tree"])
            continue
        lr = rates[optimizer]
        # a run may stop early (newton reaches a zero gradient in a few steps): both loops
        # take the steps backprop took, repeated until about `steps` steps are timed
        taken = sum(1 for _ in Descent(program, {"x": -1.0, "y": 1.0}, lr,
                                       optimizer).steps(steps - 1, 0.0))
        repeat = max(1, steps // taken)

        def ours():
            for _ in range(repeat):
                for _ in Descent(program, {"x": -1.0, "y": 1.0}, lr,
                                 optimizer).steps(taken - 1, 0.0):
                    pass

        def hand():
            for _ in range(repeat):
                hand_descent(optimizer, lr, taken)

        runs = {"hand": hand, "backprop": ours}
        times: dict[str, list[float]] = {k: [] for k in runs}
        for r in range(rounds):
            for name in (list(runs) if r % 2 else list(runs)[::-1]):
                t0 = time.perf_counter()
                runs[name]()
                times[name].append(time.perf_counter() - t0)
        hand = statistics.median(times["hand"]) / (taken * repeat)
        mine = statistics.median(times["backprop"]) / (taken * repeat)
        rows.append([f"{optimizer} ({taken:,} steps)", f"{hand * 1e6:.1f}", f"{mine * 1e6:.1f}",
                     f"{mine / hand:.2f}x",
                     f"{verdict(mine / hand <= DESCENT_TARGET)} (≤ {DESCENT_TARGET}x)"])
    print(f"  {rounds} alternating rounds; in-process: Descent.steps() against the loop a "
          "person writes in numpy")
    print(table(["optimizer", "hand µs/step", "backprop µs/step", "ratio", "target"], rows))
    rows = []
    for n in (1_000, 100_000):
        for extra in ([], ["--json"]):
            cmd = [str(script), "descend", ROSENBROCK, "--from", "x=-1,y=1", "--lr", "1e-4",
                   "--steps", str(n), "--grad-tol", "0", *extra]
            _, cpu, rss = run_measured(cmd)
            rows.append([f"{n:,}", "--json" if extra else "table", fmt_s(cpu),
                         f"{rss / 1024:.0f}"])
    print(table(["steps", "output", "CPU", "peak MiB"], rows))
    print("  peak MiB does not grow with the steps (the table keeps its rows, --json the "
          "last step; only --plot keeps the path)")


GRADE_TARGET = 10.0  # seconds for 1000 submissions of the example template (issue 12)


def grading_speed(students: int, rounds: int) -> None:
    """`backprop grade` of the example class: a submission per student, a third of them
    the key, a third with a number wrong, a third with a formula wrong (a counterexample to
    find), timed as the whole command, start-up included, and in-process."""
    import tempfile

    from backprop_cli.tasks.classroom import dump_submission, key, load_template, variant
    from backprop_cli.tasks.submissions import grade_class

    heading(f"Grading a class: {students:,} submissions of examples/class/template.toml")
    template_path = str(Path(__file__).resolve().parent.parent / "examples" / "class"
                        / "template.toml")
    template = load_template(template_path)
    secret = "bench"
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        paths = []
        for k in range(students):
            sid = f"s{k:05d}"
            doc = key(variant(template, secret.encode(), sid))
            if k % 3 == 1:
                doc["f"]["w1bar"] = "0.5"
            elif k % 3 == 2:
                doc["g"]["dg/dx"] = "y*exp(x*y)"
            path = os.path.join(folder, f"{sid}.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(dump_submission(doc))
            paths.append(path)
        made = time.perf_counter() - t0
        command = [str(console_script()), "grade", template_path, *paths, "--secret", secret,
                   "--format", "csv"]
        whole, one, inside, cpu = [], [], [], []

        def children_cpu() -> float:
            use = resource.getrusage(resource.RUSAGE_CHILDREN)
            return use.ru_utime + use.ru_stime
        for _ in range(rounds):
            t0 = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            whole.append(time.perf_counter() - t0)
            t0, c0 = time.perf_counter(), children_cpu()
            subprocess.run([*command, "--jobs", "1"], capture_output=True, text=True)
            one.append(time.perf_counter() - t0)
            cpu.append(children_cpu() - c0)
            t0 = time.perf_counter()
            report = grade_class(template, secret.encode(), paths)
            inside.append(time.perf_counter() - t0)
        rows = done.stdout.count("\n") - 1
        full = sum(r.full_marks for r in report.students)
    print(f"  {students:,} variants and keys made in {fmt_s(made)}; {rounds} rounds of grading; "
          f"{os.cpu_count()} CPUs, load average {_load()}")
    print(table(["run", "median", "min", "max", "per submission"],
                [[name, fmt_s(statistics.median(t)), fmt_s(min(t)), fmt_s(max(t)),
                  f"{statistics.median(t) / students * 1e3:.2f} ms"]
                 for name, t in (("backprop grade … --format csv (a process)", whole),
                                 ("  the same with --jobs 1", one),
                                 ("grade_class (in-process, one process)", inside))]))
    print(f"  exit code {done.returncode} (1: not every submission has full marks); "
          f"{rows:,} gradebook rows; {full:,} with full marks")
    print(f"  CPU time of the --jobs 1 process (user + sys, what the load of others does not "
          f"stretch): median {fmt_s(statistics.median(cpu))}")
    med = statistics.median(whole)
    print(f"  {students:,} submissions in {med:.2f} s: {verdict(med <= GRADE_TARGET)} "
          f"(≤ {GRADE_TARGET:g} s)")


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
    ap.add_argument("--grade-only", action="store_true",
                    help="only the grading of 1000 submissions (backprop grade)")
    ap.add_argument("--startup-only", action="store_true",
                    help="only the start-up sections (cold start; --version and --help)")
    ap.add_argument("--only", choices=("json", "e2e", "sweeps", "descent"),
                    help="only start-up and this section: --json against the tables "
                         "(10^4 to 10^6 nodes, or --max-exp), the 10^6-node commands, "
                         "the sweep commands (plots, CSV, JSON Lines), descent")
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
    if args.grade_only:
        grading_speed(1000, rounds=3 if args.quick else 5)
        return
    print(f"  mode        {'--quick' if args.quick else 'full'}; sizes "
          f"{', '.join(f'10^{e}' for e in exps)}; console script {script}")
    cold_start(script, rounds=5 if args.quick else 15, warmups=1 if args.quick else 2)
    version_start(script, rounds=7 if args.quick else 21, warmups=1 if args.quick else 2)
    if args.startup_only:
        return
    if args.only:
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="bench-sources-"))
        try:
            if args.only == "json":
                big_traces(script, [4, 5, 6][:max_exp - 3], {4: 5, 5: 3, 6: 3}, tmp)
            elif args.only == "e2e":
                end_to_end(script, 3, tmp)
            elif args.only == "sweeps":
                sweep_commands(script, [4, 5, 6, 7], [5, 6, 7], 5)
            elif args.only == "descent":
                descent_speed(20_000, 7, script)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="bench-sources-"))
    try:
        big_exps = [4] if args.quick else [e for e in (4, 5, 6) if e <= max_exp]
        big_traces(script, big_exps, {4: 5, 5: 3, 6: 3}, tmp)
        if not args.quick and max_exp >= 6:
            end_to_end(script, 3, tmp)
        scaling(exps, reps_for)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    import_check(script)
    sweep_speed(10 ** 5 if args.quick else 10 ** 6, rounds=7 if args.quick else 21)
    sweep_commands(script, [4, 5] if args.quick else [4, 5, 6, 7],
                   [5] if args.quick else [5, 6, 7], 3 if args.quick else 5)
    descent_speed(2_000 if args.quick else 20_000, 3 if args.quick else 7, script)
    grading_speed(1000, rounds=3 if args.quick else 5)
    print()
    print(f"total benchmark time {time.perf_counter() - t_start:.0f} s; load average now {_load()}")


if __name__ == "__main__":
    main()
