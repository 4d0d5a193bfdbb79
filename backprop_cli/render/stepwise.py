"""--step: the passes in the terminal one step per key press, the steps of render/steps.py
(the forward pass node by node, then each adjoint update w̄ᵢ += w̄ⱼ·∂wⱼ/∂wᵢ). Each frame
is drawn anew: the step with its formula and numbers, the SSA list with the values and
adjoints so far, and the updates made so far, the current row highlighted. A big graph
shows the rows around the current one, as many as the terminal has room for.

The keys come from the caller (cli/keys.py reads them from the terminal): play() knows
"next", "back" and "quit" and nothing of a keyboard.
"""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ..engine.program import node_id
from ..engine.trace import Trace
from ..symbolic.formula import node_text, var_name
from . import Options
from . import tables as cells
from .console import plain
from .steps import Step, product_text, step_text, steps as walk

NOW = "reverse bold"
HELP = "space or enter: next   b: back   q: quit"


def window(count: int, at: int, room: int) -> range:
    """`room` rows around row `at` (all when they fit)."""
    if count <= room:
        return range(count)
    start = min(max(0, at - room // 2), count - room)
    return range(start, start + room)


class Frames:
    """What the screen shows after k steps."""

    def __init__(self, trace: Trace, options: Options):
        self.trace, self.options = trace, options
        self.edges = trace.edges()
        self.steps: list[Step] = walk(trace, self.edges)
        self.n_forward = len(trace.program.nodes)

    def shown(self, s: Step) -> tuple[str, str]:
        """The step's value and total as the tables print them (not taken, exact zeros)."""
        if self.options.blank:
            return "", ""
        return step_text(self.trace, s, self.options.precision, self.edges)

    def now(self, k: int) -> Text:
        """The step just made: where it is, its rule, formula and numbers."""
        steps, out = self.steps, Text()
        if not steps:
            return Text(cells.constant_note(self.trace) or "No steps to show.", style="dim")
        if k == 0:
            return Text("Press space or enter to start the forward pass.", style="dim")
        s = steps[k - 1]
        forward = s.kind == "forward"
        where = (f"forward pass, node {k} of {self.n_forward}" if forward else
                 f"backward pass, step {k - self.n_forward} of {len(steps) - self.n_forward}")
        out.append(f"Step {k} of {len(steps)}: {where}\n", style="dim")
        out.append(s.rule, style="bold")
        if self.options.blank:
            return out
        value, total = self.shown(s)
        if forward:
            out.append(f" = {value}")
            return out
        if s.kind == "update":
            numbers = product_text(self.trace, self.edges[s.edge], self.options.precision)
            out.append(f"\n  = {s.formula}" + (f" = {numbers}" if numbers else "")
                       + f" = {value}")
        out.append(f"\n  {var_name(s.node, True, 'unicode')} = {total}"
                   + ("  (complete)" if s.last else "  (so far)"), style="green")
        return out

    def state(self, k: int):
        """Values and adjoints after k steps: what the SSA list shows."""
        n = self.n_forward
        values = [None] * n
        adjoints: list = [None] * n
        for s in self.steps[:k]:
            if s.kind == "forward":
                values[s.node] = s
            else:
                adjoints[s.node] = s
        return values, adjoints

    def ssa(self, k: int, room: int) -> Table:
        program = self.trace.program
        values, adjoints = self.state(k)
        current = self.steps[k - 1].node if k else -1
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for name, right in (("node", False), ("name", False), ("definition", False),
                            ("value", True), ("adjoint", True)):
            t.add_column(name, justify="right" if right else "left", overflow="fold")
        for i in window(len(program.nodes), max(current, 0), room):
            a = adjoints[i]
            adjoint = "" if a is None else self.shown(a)[1] + ("" if a.last else " …")
            t.add_row(node_id(i), ", ".join(program.nodes[i].names),
                      "input" if i < program.n_inputs else node_text(program, i),
                      "" if values[i] is None else self.shown(values[i])[0],
                      Text(adjoint, style="green"), style=NOW if i == current else None)
        return t

    def updates(self, k: int, room: int) -> Table | None:
        back = [j for j in range(self.n_forward, min(k, len(self.steps)))]
        if not back:
            return None
        t = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for name, right in (("step", False), ("update", False), ("formula", False),
                            ("adds", True), ("adjoint now", True)):
            t.add_column(name, justify="right" if right else "left", overflow="fold")
        for j in [back[r] for r in window(len(back), len(back) - 1, room)]:
            s = self.steps[j]
            value, total = self.shown(s)
            t.add_row(str(j + 1), s.rule, "" if self.options.blank else s.formula,
                      value, Text(total, style="green"),
                      style=NOW if j == k - 1 else None)
        return t

    def draw(self, console, k: int) -> None:
        trace = self.trace
        room = max(3, (console.size.height - 18) // 2)  # both tables and the text
        point = cells.point_text(trace, self.options.precision)
        console.print(Text.assemble(("backprop ", "bold"), cells.source_line(trace),
                                    (f"   at {point}" if point else "", "dim")))
        console.print(self.now(k))
        console.print()
        if trace.program.nodes:
            console.print(Text("The SSA list: values and adjoints so far", style="bold"))
            console.print(self.ssa(k, room))
        updates = self.updates(k, room)
        if updates is not None:
            console.print(Text("The backward pass so far", style="bold"))
            console.print(updates)
        if k == len(self.steps):
            console.print(Text(cells.output_line(trace, self.options), style="bold"))
            console.print(Text("Done: every step is shown. q quits, b goes back.", style="dim"))
        else:
            console.print(Text(HELP, style="dim"))


def play(trace: Trace, options: Options, keys) -> None:
    """Draw a frame, then one more step per "next" from `keys`, one back per "back",
    until "quit" (or the keys run out)."""
    console = plain()
    frames = Frames(trace, options)
    k = 0
    while True:
        console.clear()
        frames.draw(console, k)
        key = next(keys, "quit")
        if key == "quit":
            return
        k = min(len(frames.steps), k + 1) if key == "next" else max(0, k - 1)
