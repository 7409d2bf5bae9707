"""The core/plugin boundary and the absence of import cycles, checked statically with ``ast``.

* **Stated plugin API.** A public module of ``exchanges`` is one whose dotted path has no segment
  starting with ``_``; it states its API in ``__all__``. A plugin (``exchanges_mexc``, the toy plugin
  built from docs/writing-a-plugin.md) may import only those modules and only names in their
  ``__all__``. Everything else (``exchanges.transport._rest_support``...) is private and may change.
* **No import cycles** in ``exchanges`` or ``exchanges_mexc``. Every ``import`` counts, wherever it
  sits: module level, under ``TYPE_CHECKING`` or inside a function. A lazy import keeps Python from
  tripping over a cycle, not the design from having one.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[2]


@attrs.frozen
class ImportRef:
    """One imported name: ``module`` (absolute, dotted) and ``name`` (None for ``import module``)."""

    file: Path
    line: int
    module: str
    name: str | None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files(package_dir: Path) -> Iterator[Path]:
    yield from sorted(p for p in package_dir.rglob("*.py") if ".venv" not in p.parts)


def imports_of(path: Path, root: Path) -> Iterator[ImportRef]:
    """Every import in ``path``, with relative imports resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportRef(path, node.lineno, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                if node.level > 1:
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                yield ImportRef(path, node.lineno, base, alias.name)


def import_graph(packages: list[str], root: Path = ROOT) -> dict[str, set[str]]:
    """``module -> modules it imports`` over the given top-level packages.

    A submodule importing its own package (``from exchanges_mexc.sim import pushes``) is the
    re-export pattern, not a loop, so the edge goes to the submodule named, never to the parent.
    """
    files = {module_name(p, root): p for pkg in packages for p in python_files(root / pkg)}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for ref in imports_of(path, root):
            targets = [ref.module] if ref.name is None else [f"{ref.module}.{ref.name}", ref.module]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
                    break
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


# --- the stated plugin API ---------------------------------------------------------------------------

PLUGINS = [ROOT / "exchanges_mexc", ROOT / "tests" / "plugins" / "toy_exchange" / "toy_exchange"]

ALLOWED_CYCLES: list[list[str]] = []


def is_public(module: str) -> bool:
    return module.split(".")[0] == "exchanges" and not any(part.startswith("_") for part in module.split("."))


def core_modules() -> dict[str, Path]:
    return {module_name(p, ROOT): p for p in python_files(ROOT / "exchanges")}


def stated_api() -> dict[str, frozenset[str]]:
    """``public module -> names in its __all__`` for every public module of the core."""
    api: dict[str, frozenset[str]] = {}
    for name in core_modules():
        if is_public(name):
            module = importlib.import_module(name)
            api[name] = frozenset(getattr(module, "__all__", ()))
    return api


def modules_without_all() -> list[str]:
    return [
        name
        for name in core_modules()
        if is_public(name) and not hasattr(importlib.import_module(name), "__all__")
    ]


def boundary_violations(plugin_dir: Path) -> list[str]:
    """Every import of the core from ``plugin_dir`` that is not in the stated API, as readable lines."""
    api = stated_api()
    modules = core_modules()
    problems: list[str] = []
    for path in python_files(plugin_dir):
        for ref in imports_of(path, plugin_dir.parent):
            if ref.module != "exchanges" and not ref.module.startswith("exchanges."):
                continue
            where = f"{path.relative_to(plugin_dir.parent)}:{ref.line}"
            if ref.name is not None and f"{ref.module}.{ref.name}" in modules:
                target, name = f"{ref.module}.{ref.name}", None  # ``from exchanges import models``
            else:
                target, name = ref.module, ref.name
            if target not in api:
                problems.append(f"{where}: imports {target}, which is not a public module of the core")
            elif name is not None and name not in api[target]:
                problems.append(f"{where}: imports {name} from {target}, which is not in its __all__")
    return problems


def test_every_public_core_module_states_its_api() -> None:
    missing = modules_without_all()
    assert not missing, f"public modules without __all__ (make them private or state their API): {missing}"


def test_every_stated_name_exists() -> None:
    problems = [
        f"{module}.{name}"
        for module, names in stated_api().items()
        for name in names
        if not hasattr(importlib.import_module(module), name)
    ]
    assert not problems, f"names in __all__ that the module does not define: {problems}"


@pytest.mark.parametrize("plugin_dir", PLUGINS, ids=lambda p: p.name)
def test_plugins_import_only_the_stated_api(plugin_dir: Path) -> None:
    problems = boundary_violations(plugin_dir)
    assert not problems, "a plugin reaches past the stated API:\n" + "\n".join(problems)


def test_boundary_check_catches_a_private_import(tmp_path: Path) -> None:
    """The scan itself works: a private module, a non-stated name and a public name."""
    plugin = tmp_path / "bad_plugin"
    plugin.mkdir()
    (plugin / "__init__.py").write_text(
        "from exchanges.transport._rest_support import plain_decimal\n"
        "from exchanges.transport.rest import normalise_params\n"
        "from exchanges.models import Symbol\n"
        "from exchanges import models\n"
        "import exchanges.transport._ws_queue\n"
    )
    problems = boundary_violations(plugin)
    assert len(problems) == 3, problems
    assert "exchanges.transport._rest_support" in problems[0]
    assert "normalise_params" in problems[1]
    assert "exchanges.transport._ws_queue" in problems[2]


# --- import cycles -----------------------------------------------------------------------------------


def test_no_import_cycles() -> None:
    found = [c for c in cycles(import_graph(["exchanges", "exchanges_mexc"])) if c not in ALLOWED_CYCLES]
    assert not found, "import cycles (each line: modules importing each other around a loop):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def test_allowed_cycles_still_exist() -> None:
    """An allow-list entry whose cycle is gone must go too, so it cannot hide a new cycle later."""
    found = cycles(import_graph(["exchanges", "exchanges_mexc"]))
    stale = [c for c in ALLOWED_CYCLES if c not in found]
    assert not stale, f"remove these entries from ALLOWED_CYCLES, their cycles are gone: {stale}"


def test_cycle_finder_finds_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


# --- the record rule (docs/architecture.md "Records") -----------------------------------------------


def test_records_follow_the_stated_rule() -> None:
    """No ``dataclasses`` in the packages; ``msgspec.Struct`` only for wire shapes in a parsing layer."""
    problems: list[str] = []
    for package in ("exchanges", "exchanges_mexc"):
        for path in python_files(ROOT / package):
            where = path.relative_to(ROOT).as_posix()
            for ref in imports_of(path, ROOT):
                if ref.module == "dataclasses":
                    problems.append(f"{where}:{ref.line}: imports dataclasses (use attrs or NamedTuple)")
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and any(ast.unparse(base).endswith("Struct") for base in node.bases)
                    and "/parsing/" not in where
                ):
                    problems.append(f"{where}:{node.lineno}: msgspec.Struct {node.name} outside parsing/")
    assert not problems, "records break the rule:\n" + "\n".join(problems)


def test_architecture_doc_lists_every_public_module() -> None:
    """docs/architecture.md "The public API" names each public module, so the stated API is written down."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [name for name, names in stated_api().items() if names and f"| `{name}` |" not in doc]
    assert not missing, f"add these public modules to docs/architecture.md 'The public API': {missing}"
