"""The import rules of ARCHITECTURE.md, enforced by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "slusha"
PURE = ("slusha.query", "slusha.enrich", "slusha.domain")
FRAMEWORKS = ("fastapi", "starlette", "jinja2", "uvicorn", "sse_starlette")
DRIVERS = ("sqlalchemy", "alembic", "psycopg", "sqlite3", "nats", "redis")
NETWORK = ("httpx", "requests", "urllib3", "aiohttp", "socket", "websockets", "smtplib")
CLI_LIBS = ("click", "typer", "rich")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = {_module_name(p): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def _starts(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _bad(
    owners: tuple[str, ...], banned: tuple[str, ...], allow: tuple[str, ...] = ()
) -> list[str]:
    found = []
    for module, imports in MODULES.items():
        if not _starts(module, owners) or _starts(module, allow):
            continue
        found.extend(f"{module} imports {n}" for n in imports if _starts(n, banned))
    return found


def test_the_walk_sees_the_packages() -> None:
    assert {"slusha.query", "slusha.store.db", "slusha.pipeline.runner"} <= set(MODULES)


def test_pure_core_imports_no_framework_driver_network_or_cli() -> None:
    banned = (
        FRAMEWORKS
        + DRIVERS
        + NETWORK
        + CLI_LIBS
        + (
            "slusha.store",
            "slusha.bus",
            "slusha.web",
            "slusha.cli",
            "slusha.pipeline",
            "slusha.services",
            "slusha.plugins",
            "slusha.connectors",
            "slusha.notifiers",
            "slusha.config",
        )
    )
    assert _bad(PURE, banned) == []


def test_only_store_imports_sqlalchemy_and_alembic() -> None:
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    assert _bad(owners, ("sqlalchemy", "alembic"), allow=("slusha.store",)) == []


def test_only_web_imports_the_web_framework() -> None:
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    assert _bad(owners, FRAMEWORKS, allow=("slusha.web",)) == []


def test_only_the_jetstream_bus_imports_nats() -> None:
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    assert _bad(owners, ("nats",), allow=("slusha.bus.jetstream",)) == []


def test_only_cli_imports_click() -> None:
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    assert _bad(owners, ("click", "typer"), allow=("slusha.cli",)) == []


def test_only_plugins_import_httpx() -> None:
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    allowed = ("slusha.plugins", "slusha.connectors", "slusha.notifiers")
    assert _bad(owners, ("httpx",), allow=allowed) == []


def test_nothing_imports_the_cli() -> None:
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    assert _bad(owners, ("slusha.cli",), allow=("slusha.cli",)) == []


def test_web_and_pipeline_do_not_import_each_other() -> None:
    assert _bad(("slusha.web",), ("slusha.pipeline",)) == []
    assert _bad(("slusha.pipeline",), ("slusha.web",)) == []


def test_plugins_never_touch_store_bus_services_or_pipeline() -> None:
    owners = ("slusha.plugins", "slusha.connectors", "slusha.notifiers")
    banned = ("slusha.store", "slusha.bus", "slusha.services", "slusha.pipeline", "slusha.web")
    assert _bad(owners, banned) == []


def test_lower_layers_do_not_import_upper_ones() -> None:
    assert _bad(("slusha.store",), ("slusha.services", "slusha.pipeline", "slusha.web")) == []
    assert _bad(("slusha.services",), ("slusha.pipeline", "slusha.web")) == []
    # Services reach connectors only through the registry and the plugin API; alert channels
    # build their notifiers from the registry too (no chat notifier is imported by name).
    assert _bad(("slusha.services",), ("slusha.connectors",)) == []
    chat = ("slusha.notifiers.slack", "slusha.notifiers.teams", "slusha.notifiers.mattermost")
    assert _bad(("slusha.services",), chat) == []
    assert _bad(("slusha.bus",), ("slusha.store", "slusha.services", "slusha.pipeline")) == []


@pytest.mark.parametrize("leaf", ["slusha.config", "slusha.errors", "slusha.clock"])
def test_leaves_import_nothing_of_slusha_but_errors(leaf: str) -> None:
    imports = [n for n in MODULES[leaf] if n.startswith("slusha") and n != "slusha.errors"]
    assert imports == []


def test_tests_never_patch_our_own_code() -> None:
    tests = Path(__file__).resolve().parent
    offenders = []
    for path in tests.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "test_architecture.py" and (
            'patch("slusha' in text or "patch('slusha" in text or "patch.object(slusha" in text
        ):
            offenders.append(str(path.relative_to(tests)))
    assert offenders == []


def test_only_the_plugin_host_reaches_connectors_and_notifiers() -> None:
    """Web, pipeline, services and the CLI run plugins through ``slusha.plugins.host``; the
    registry finds the built-in packages by name, so no module imports them."""
    owners = tuple(m for m in MODULES if m.startswith("slusha"))
    allowed = ("slusha.connectors", "slusha.notifiers", "slusha.plugins.host")
    assert _bad(owners, ("slusha.connectors", "slusha.notifiers"), allow=allowed) == []


def _calls(name: str) -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                found.append(_module_name(path))
    return found


def test_the_registry_and_the_outbound_client_are_built_by_the_host_alone() -> None:
    assert set(_calls("build_registry")) <= {"slusha.plugins.host"}
    assert set(_calls("HttpClient")) <= {"slusha.plugins.host"}


def _runtime_graph() -> dict[str, set[str]]:
    """Each module's imports of other Slusha modules, lazy ones included, type-only ones not."""

    def resolve(name: str) -> str | None:
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for inner in ast.walk(node)
        }
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                target = resolve(name) if name.startswith("slusha") else None
                if target and target not in (module, "slusha"):
                    deps.add(target)
        graph[module] = deps
    return graph


def test_no_import_circles() -> None:
    """Modules form layers: no module reaches itself through its imports (Tarjan's SCCs)."""
    graph = _runtime_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in graph.get(node, ()):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_circle_check_sees_a_circle() -> None:
    """The check above can fail: a package importing its own submodule is seen as an edge."""
    graph = _runtime_graph()
    assert "slusha.bus.base" in graph["slusha.bus.factory"]
    assert "slusha.plugins.registry" in graph["slusha.plugins.host"]
