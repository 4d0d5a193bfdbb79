"""The house keeps its layers: every import of the package, function-local ones included
(import-linter, run by .ci/run, skips those), goes down the order pyproject.toml
declares, and no module imports itself back through others."""

import ast
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "backprop_cli"


def _layers() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"]
                   if c["type"] == "layers"]
    return contract["layers"]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The package's modules that `name` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:  # a from-import may name a function
                t = t.rpartition(".")[0]
            if t and t != name and t.startswith("backprop_cli"):
                found.add(t)
    return found


def _layer(module: str, layers: list[str]) -> int | None:
    for k, layer in enumerate(layers):
        if module == layer or module.startswith(layer + "."):
            return k
    return None


def test_every_import_goes_down_the_layers():
    layers = _layers()
    modules = _modules()
    upward = []
    for name, path in modules.items():
        own = _layer(name, layers)
        if own is None:
            continue  # the package's face (__init__) and its data (schema)
        for target in _imports(name, path, modules):
            other = _layer(target, layers)
            if other is not None and other < own:
                upward.append(f"{name} -> {target}")
    assert not upward, "imports that go up the layers:\n" + "\n".join(sorted(upward))


def test_there_are_no_import_cycles():
    modules = _modules()
    graph = {name: {t for t in _imports(name, path, modules)
                    # a package re-exporting its children is not their dependency
                    if not (name.startswith(t + ".") and modules[t].name == "__init__.py")}
             for name, path in modules.items()}
    # depth-first search with an explicit stack: white, grey (on the path), black
    state = dict.fromkeys(graph, 0)
    for start in graph:
        if state[start]:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state[nxt] == 1:
                cycle = path[path.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            elif state[nxt] == 0:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))


def test_each_layer_is_a_sub_package():
    for layer in _layers():
        relative = Path(*layer.split(".")[1:])
        assert (PACKAGE / relative / "__init__.py").exists() or \
            (PACKAGE / relative).with_suffix(".py").exists(), layer
