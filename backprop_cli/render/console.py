"""The consoles every output is printed with (plain), and what they do that Rich's own do
not: hand a broken pipe on, and spell their text in ASCII where the terminal cannot
encode Unicode."""

from __future__ import annotations

from contextlib import contextmanager

import rich.box
import rich.console
from rich.segment import Segment
from rich.table import Table
from rich.text import Span, Text

from ..errors import printable_lines
from .ascii import pieces, speaks_unicode, spell

# Rich draws any box as full ASCII borders on such a terminal; the tables here have only
# a rule under the header, so they keep just that.
_ASCII_BOXES = {rich.box.SIMPLE_HEAD: rich.box.Box("    \n    \n -- \n    \n    \n    \n"
                                                   "    \n    \n", ascii=True)}


class Console(rich.console.Console):
    def _render_buffer(self, buffer) -> str:
        # The last step before the terminal: a control character from input (an ESC in a
        # problem's name, an expression, an error's excerpt) is escaped, whatever printed
        # it; Rich's own control segments (cursor moves of a progress bar) pass.
        return super()._render_buffer(
            segment if segment.control else Segment(printable_lines(segment.text),
                                                    segment.style)
            for segment in buffer)

    def on_broken_pipe(self) -> None:
        # Rich's own handler exits 1, the code of a wrong answer; cli keeps the run's code
        self.quiet = True  # nothing more to write
        raise BrokenPipeError


class AsciiConsole(Console):
    """Spells what it prints in ASCII before Rich lays it out, so a column stays a column
    when w̄1 grows to w1bar."""

    def print(self, *objects, **options) -> None:
        super().print(*(ascii_renderable(o) for o in objects), **options)


def ascii_text(text: Text) -> Text:
    """text spelled in ASCII, its styles kept on the same characters."""
    if text.plain.isascii():
        return text
    parts, where = [], [0] * (len(text.plain) + 1)
    length = 0
    for start, end, spelled in pieces(text.plain):
        for k in range(start, end):
            where[k] = length
        parts.append(spelled)
        length += len(spelled)
    where[len(text.plain)] = length
    spelled = text.copy()
    spelled.plain = "".join(parts)
    spelled.spans = [Span(where[s.start], where[s.end], s.style) for s in text.spans]
    return spelled


def ascii_renderable(thing):
    """What Rich is handed, spelled in ASCII: text, and the text inside tables and trees
    (the renderables the tables here are made of)."""
    from rich.tree import Tree  # here: only --graph pays for it otherwise

    if isinstance(thing, str):
        return spell(thing)
    if isinstance(thing, Text):
        return ascii_text(thing)
    if isinstance(thing, Table):
        thing.title, thing.caption = ascii_renderable(thing.title), ascii_renderable(thing.caption)
        thing.box = _ASCII_BOXES.get(thing.box, thing.box)
        for column in thing.columns:
            column.header = ascii_renderable(column.header)
            column.footer = ascii_renderable(column.footer)
            column._cells = [ascii_renderable(cell) for cell in column._cells]
        return thing
    if isinstance(thing, Tree):
        stack = [thing]
        while stack:  # a loop, not recursion: the graph's tree is as deep as the user's nesting
            tree = stack.pop()
            tree.label = ascii_renderable(tree.label)
            stack.extend(tree.children)
        return thing
    return thing


def plain(stderr: bool = False) -> rich.console.Console:
    """The console every output uses: cells are plain text, so no markup, emoji or
    highlighting (parsing them as markup cost ~10 ms). Both hand a broken pipe on."""
    console = Console(stderr=stderr, highlight=False, markup=False, emoji=False)
    if not speaks_unicode(console.file):
        console = AsciiConsole(stderr=stderr, highlight=False, markup=False, emoji=False)
    return console


def ascii_only(console: rich.console.Console) -> bool:
    """Whether the console writes ASCII: plots then draw with ASCII glyphs of one cell."""
    return isinstance(console, AsciiConsole) or not speaks_unicode(console.file)


def progress(steps, total: int, what: str):
    """A progress bar on stderr while the steps run, only when stderr is a terminal."""
    with bar(total, what) as update:
        for step in steps:
            if update is not None:
                update(step.step, total)
            yield step


@contextmanager
def bar(total: int, what: str):
    """A progress bar on stderr while a block runs, only when stderr is a terminal: the
    block calls update(done, total); None when there is no bar."""
    console = plain(stderr=True)
    if not console.file.isatty():
        yield None
        return
    from rich.progress import Progress

    # refreshed on each update, from this thread: no thread of Rich's own, so a command
    # may fork its workers while the bar runs
    with Progress(console=console, transient=True, auto_refresh=False) as progress:
        task = progress.add_task(ascii_renderable(what) if ascii_only(console) else what,
                                 total=total)
        yield lambda done, _total: progress.update(task, completed=done, refresh=True)
