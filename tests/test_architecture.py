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
