"""Imports point one way: storage at the bottom, the stages above it, web/service/cli on top.

Each module's imports are read from its source (``ast``, every import, also those inside a
function), so a wrong-way import fails here even if it is only reached at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lower first. A room may import rooms of a lower rank only (and itself); rooms of the same
# rank are independent of each other.
RANKS: dict[str, int] = {
    "errors": 0, "clock": 0,
    "settings": 1, "policy": 1, "backoff": 1,
    "config": 2,
    "storage": 3,
    "people": 4, "classify": 4,
    "alerts": 5,
    "review": 6, "polling": 6,
    "app": 7,
    "web": 8,  # the review page; the daemon may serve it (review.serve_with_daemon)
    "service": 9,
    "cli": 10,
    "__main__": 11,
}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of a monitor module in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("monitor")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "monitor":
                found += [(node.lineno, f"monitor.{a.name}") for a in node.names]
            elif node.module.startswith("monitor."):
                found.append((node.lineno, node.module))
    return found


def _sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "versions" not in p.parts)


def test_every_room_has_a_rank() -> None:
    rooms = {_room(_module_name(p)) for p in _sources("monitor")} - {"__init__"}
    assert rooms <= set(RANKS), f"give these rooms a rank in RANKS: {rooms - set(RANKS)}"


def test_no_room_imports_a_higher_or_sibling_room() -> None:
    wrong = []
    for path in _sources("monitor"):
        here = _room(_module_name(path))
        if here == "__init__":
            continue
        for line, target in _imports(path):
            there = _room(target)
            if there == here or there == "__init__":
                continue
            if RANKS[there] >= RANKS[here]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {target} ({there})")
    assert not wrong, "imports pointing the wrong way:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", ["connectors", "classifiers"])
def test_plug_ins_know_nothing_of_the_monitor(package: str) -> None:
    """Connectors and detectors know nothing about the database, e-mail or the service."""
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {target}"
             for p in _sources(package) for line, target in _imports(p)]
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_a_wrong_way_import(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text("def f():\n    from monitor.service import daemon\n")
    assert _imports(source) == [(2, "monitor.service")]
    assert RANKS[_room("monitor.service")] > RANKS[_room("monitor.storage.db")]


def _project_imports(path: Path, package_modules: set[str]) -> set[str]:
    """Modules of the project that ``path`` imports, at module level or inside a function
    (not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()

    def visit(nodes: Iterable[ast.AST]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            visit(ast.iter_child_nodes(node))

    visit(tree.body)
    return {m for m in found if m in package_modules}


def test_no_import_circle() -> None:
    """No module needs itself to be imported first, across monitor, connectors, classifiers
    and testing, counting imports inside functions too (they close a circle at run time)."""
    paths = {_module_name(p): p for pkg in ("monitor", "connectors", "classifiers", "testing")
             for p in _sources(pkg)}
    graph = {name: {m for m in _project_imports(path, set(paths)) - {name}}
             for name, path in paths.items()}
    state: dict[str, int] = {}
    circles: list[str] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1 and not nxt.startswith(node + "."):
                circles.append(" -> ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                walk(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    # A package's __init__ importing its own modules is not a circle.
    circles = [c for c in circles if not all(
        part.startswith(c.split(" -> ")[-1]) for part in c.split(" -> "))]
    assert not circles, "import circles:\n" + "\n".join(circles)


def _training_imports(path: Path, module: str) -> list[int]:
    """Lines of ``path`` (module ``module``) that import ``classifiers.training``, wherever
    they stand (inside a function or under ``if TYPE_CHECKING`` too)."""
    here = module.split(".")
    if path.name != "__init__.py":
        here.pop()
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            names = [target, *(f"{target}.{a.name}" for a in node.names)]
        else:
            continue
        if any(n == "classifiers.training" or n.startswith("classifiers.training.")
               for n in names):
            lines.append(node.lineno)
    return lines


def test_runtime_classifiers_never_import_training(tmp_path: Path) -> None:
    """classifiers/training/ may import the detectors and the wording model; no runtime
    module of classifiers imports it back."""
    wrong = [f"{p.relative_to(ROOT)}:{line} imports classifiers.training"
             for p in _sources("classifiers") if p.relative_to(ROOT).parts[1] != "training"
             for line in _training_imports(p, _module_name(p))]
    assert not wrong, "\n".join(wrong)
    # the checker sees one inside a function, and a relative one
    source = tmp_path / "bad.py"
    source.write_text("def f():\n    from classifiers.training import harmful\n"
                      "def g():\n    from .training.data import load_tsv\n")
    assert _training_imports(source, "classifiers.bad") == [2, 4]


# The storage boundary: the page and the commands hold no table row and build no query; the
# stage rooms below them run the SQL and hand back frozen values.
NO_STORAGE_ROOMS = ("monitor/cli", "monitor/web")
STORAGE_INSIDES = ("monitor.storage.models", "monitor.storage.queries", "monitor.storage.audit",
                   "sqlmodel", "sqlalchemy")


def _storage_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in ``path`` of the tables, a query builder or the
    audit trail (also inside a function, also ``from monitor.storage import models``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []

    def inside(name: str) -> bool:
        return any(name == bad or name.startswith(bad + ".") for bad in STORAGE_INSIDES)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if inside(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if inside(node.module):
                found.append((node.lineno, node.module))
            else:
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names
                          if inside(f"{node.module}.{a.name}")]
    return found


def test_web_and_cli_import_no_table_and_no_query_builder() -> None:
    wrong = [f"{p.relative_to(ROOT)}:{line} imports {target}"
             for room in NO_STORAGE_ROOMS for p in _sources(room)
             for line, target in _storage_imports(p)]
    assert not wrong, ("web/ and cli/ call the stage rooms, which return frozen values:\n"
                       + "\n".join(wrong))


def test_the_checker_sees_a_table_or_query_builder_import(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text("import sqlalchemy as sa\nfrom monitor.storage import models\n"
                      "def f():\n    from sqlmodel import select\n"
                      "from monitor.storage.db import session_scope\n")
    assert _storage_imports(source) == [
        (1, "sqlalchemy"), (2, "monitor.storage.models"), (4, "sqlmodel")]


# Small modules with one job each: none over this many lines (generated migrations aside).
MAX_MODULE_LINES = 400


def test_no_module_is_over_400_lines() -> None:
    long = [f"{p.relative_to(ROOT)}: {n} lines"
            for pkg in ("monitor", "connectors", "classifiers", "testing", "benchmarks")
            for p in _sources(pkg)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not long, "split these along a seam that reads well:\n" + "\n".join(long)
