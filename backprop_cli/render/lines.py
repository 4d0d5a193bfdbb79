"""Many points as data: CSV and JSON Lines (one object per line, schema/sweep.schema.json;
descent's lines, schema/descent.schema.json, are json_doc's). Numbers are written in full
(repr: they read back exactly); in CSV nan and inf are `nan`, `inf`, `-inf`, as numpy and
pandas read them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ..tasks.sweep import Sweep


def sweep_columns(sweep: Sweep) -> list[tuple[str, np.ndarray]]:
    """(header, values) per column: the inputs, the output, then ∂output/∂input each."""
    name = sweep.output_name
    return ([(k, v) for k, v in sweep.points.items()] + [(name, sweep.value)]
            + [(f"d{name}/d{k}", g) for k, g in sweep.gradient.items()])


def sweep_csv(sweep: Sweep) -> Iterator[str]:
    columns = sweep_columns(sweep)
    yield ",".join(h for h, _ in columns)
    lists = [np.asarray(v, dtype=np.float64).tolist() for _, v in columns]
    for row in zip(*lists):
        yield ",".join(map(repr, row))




def write_lines(lines: Iterable[str], out) -> None:
    write = out.write
    for line in lines:
        write(line)
        write("\n")
