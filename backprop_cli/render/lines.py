"""Many points as data: CSV and JSON Lines (one object per line, schema/sweep.schema.json;
descent's lines, schema/descent.schema.json, are json_doc's). Numbers are written in full
(repr: they read back exactly); in CSV nan and inf are `nan`, `inf`, `-inf`, as numpy and
pandas read them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ..tasks.sweep import Block, Sweep


def sweep_columns(sweep: Sweep | Block, name: str | None = None
                  ) -> list[tuple[str, np.ndarray]]:
    """(header, values) per column: the inputs, the output, then ∂output/∂input each,
    and with --hessian each second derivative. A whole sweep or one block of it."""
    name = name or sweep.output_name
    columns = ([(k, v) for k, v in sweep.points.items()] + [(name, sweep.value)]
               + [(f"d{name}/d{k}", g) for k, g in sweep.gradient.items()])
    if sweep.hessian is not None:  # each pair once: the Hessian is symmetric
        inputs = list(sweep.gradient)
        columns += [(second_header(name, a, b), sweep.hessian[a][b])
                    for k, a in enumerate(inputs) for b in inputs[k:]]
    return columns


def second_header(name: str, a: str, b: str) -> str:
    """d2f/dx2, d2f/dxdy: the spellings --expect grades."""
    return f"d2{name}/d{a}2" if a == b else f"d2{name}/d{a}d{b}"


def sweep_csv(blocks: Iterable[Block], name: str) -> Iterator[str]:
    """The header, then each block's rows as one text: a block's columns become lists of
    reprs at C speed, and the rows are joined from them, no Python loop per number."""
    header = None
    for block in blocks:
        columns = sweep_columns(block, name)
        if header is None:
            header = ",".join(h for h, _ in columns)
            yield header
        texts = [list(map(repr, np.asarray(v, dtype=np.float64).tolist()))
                 for _, v in columns]
        if texts and texts[0]:
            yield "\n".join(map(",".join, zip(*texts)))


def write_lines(lines: Iterable[str], out) -> None:
    write = out.write
    for line in lines:
        write(line)
        write("\n")
