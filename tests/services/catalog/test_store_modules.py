"""The store's modules: one responsibility each, no import cycle, ranking.py apart from them.

base.py composes SqlStore from the parts (dialect, meta, writes, schema, reads, course and
organization search); ranking.py gets what it needs passed in (ranking.Reader) and must not
import any of them. Imports are read from the source (module level, functions and
TYPE_CHECKING blocks alike), so a cycle hidden in a function is found too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from services.catalog import store
from services.catalog.config import REPO_ROOT

PACKAGE = "services.catalog.store"
STORE_DIR = Path(store.__file__).parent
MODULES = sorted(
    PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"
    for path in STORE_DIR.glob("*.py")
)
# What the parts that SqlStore is composed of may not be imported by.
STORE_PARTS = {
    f"{PACKAGE}.{name}"
    for name in (
        "base",
        "dialect",
        "meta",
        "writes",
        "schema",
        "reads",
        "course_search",
        "organization_search",
        "sqlite",
        "postgres",
    )
}


def _imports(module: str) -> set[str]:
    """The modules of the store package that ``module`` imports, anywhere in its source."""
    path = STORE_DIR / ("__init__.py" if module == PACKAGE else module.rsplit(".", 1)[1] + ".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:  # a module of the package (ranking) or the package
                for alias in node.names:
                    name = f"{PACKAGE}.{alias.name}"
                    found.add(name if name in MODULES else PACKAGE)
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for other in sorted(graph[node]):
            if state.get(other) == "open":
                return path[path.index(other) :] + [other]
            if other not in state:
                found = visit(other)
                if found:
                    return found
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_store_modules_import_no_cycle():
    graph = {module: _imports(module) for module in MODULES}
    assert f"{PACKAGE}.course_search" in MODULES and len(MODULES) >= 12
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_ranking_imports_none_of_the_store_parts_and_no_private_hook():
    ranking = f"{PACKAGE}.ranking"
    assert _imports(ranking) <= {f"{PACKAGE}.queries", f"{PACKAGE}.conditions"}
    assert not _imports(ranking) & STORE_PARTS
    source = (STORE_DIR / "ranking.py").read_text(encoding="utf-8")
    assert "._sql(" not in source and "SqlStore" not in source


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_on_its_own(module):
    """In a fresh interpreter, so no other test has imported its dependencies first."""
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_each_module_says_what_it_owns():
    for path in STORE_DIR.glob("*.py"):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert docstring and len(docstring) > 40, path.name


def test_the_public_import_paths_stay():
    from services.catalog.store import SqlStore, StoreError, open_store
    from services.catalog.store.base import SCHEMA_VERSION
    from services.catalog.store.base import SqlStore as BaseStore
    from services.catalog.store.base import StoreError as BaseError
    from services.catalog.store.postgres import PostgresStore
    from services.catalog.store.sqlite import SqliteStore

    assert SqlStore is BaseStore and StoreError is BaseError and callable(open_store)
    assert issubclass(SqliteStore, SqlStore) and issubclass(PostgresStore, SqlStore)
    assert SCHEMA_VERSION == 4
    # Every hook a dialect must supply is still abstract on SqlStore, and supplied by both.
    assert {"_sql", "transaction", "rid_list", "walk_source"} <= SqlStore.__abstractmethods__
    assert not SqliteStore.__abstractmethods__ and not PostgresStore.__abstractmethods__
