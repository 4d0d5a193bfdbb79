"""Every example runs as its `# run:` line says and prints what its .out and .json files
hold. The numbers in them are checked against the notes in test_course_notes.py; this
file keeps the printed form from changing unnoticed (golden files, 80 columns, no colour).

    python tests/test_examples.py --regenerate    # after a deliberate change of format
"""

import json
import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import REPO, assert_same_document, run_cli  # noqa: E402

EXAMPLES = sorted((REPO / "examples").glob("*.bp"))


def command(example: Path) -> list[str]:
    for line in example.read_text().splitlines():
        if line.startswith("# run: backprop "):
            return shlex.split(line.removeprefix("# run: backprop "))
    raise AssertionError(f"{example.name} has no '# run: backprop …' line")


def test_there_are_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_prints_its_expected_tables(example):
    result = run_cli(*command(example))
    assert result.returncode == 0, result.stderr
    assert result.stdout == example.with_suffix(".out").read_text()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_json_is_valid_and_expected(example, validate):
    result = run_cli(*command(example), "--json")
    assert result.returncode == 0, result.stderr
    doc = validate(json.loads(result.stdout))
    assert_same_document(doc, json.loads(example.with_suffix(".json").read_text()))


if __name__ == "__main__" and "--regenerate" in sys.argv:
    for example in EXAMPLES:
        example.with_suffix(".out").write_text(run_cli(*command(example)).stdout)
        doc = json.loads(run_cli(*command(example), "--json").stdout)
        example.with_suffix(".json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        print("wrote", example.with_suffix(".out").name, example.with_suffix(".json").name)
