"""The plugin registry: built-ins and entry points through one door, validated, then frozen.

Built-in connectors are found by scanning the ``slusha.connectors`` package (a new network is a
new folder, nothing else changes); third-party ones come from the ``slusha.connectors`` and
``slusha.notifiers`` entry-point groups. A plugin that fails to import or to validate is kept
as a ``PluginFailure`` with its reason, so ``slusha plugins list`` can show it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from slusha.errors import ConfigError, NotFound
from slusha.plugins.api import CAPABILITIES, Connector, Notifier

CONNECTOR_GROUP = "slusha.connectors"
NOTIFIER_GROUP = "slusha.notifiers"


class PluginError(ConfigError):
    """A plugin class does not declare what the API requires."""

    code = "plugin"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded, and why."""

    group: str
    name: str
    origin: str
    error: str


@dataclass(frozen=True)
class PluginEntry:
    """One loaded plugin as listed by ``slusha plugins list``."""

    group: str
    kind: str
    title: str
    summary: str
    origin: str
    capabilities: tuple[str, ...]


def _require_str(cls: type, name: str) -> None:
    value = getattr(cls, name, None)
    if not isinstance(value, str) or not value.strip():
        raise PluginError(f"{cls.__qualname__}.{name} must be a non-empty string")


def validate_connector(cls: Any) -> type[Connector]:
    """Check that ``cls`` declares a connector correctly; return it typed."""
    if not (inspect.isclass(cls) and issubclass(cls, Connector)):
        raise PluginError(f"{cls!r} is not a subclass of slusha.plugins.api.Connector")
    for name in ("kind", "title", "summary", "description"):
        _require_str(cls, name)
    if not cls.kind.replace("_", "").isalnum() or cls.kind != cls.kind.lower():
        raise PluginError(f"{cls.__qualname__}.kind {cls.kind!r} must be lower-case letters/digits")
    config = getattr(cls, "Config", None)
    if not (inspect.isclass(config) and issubclass(config, BaseModel)):
        raise PluginError(f"{cls.__qualname__}.Config must be a pydantic model")
    for field_name, info in config.model_fields.items():
        if not info.description:
            raise PluginError(
                f"{cls.__qualname__}.Config.{field_name} needs a description (it drives the "
                "admin form and the docs)"
            )
    capabilities = getattr(cls, "capabilities", None)
    if not isinstance(capabilities, frozenset) or not capabilities:
        raise PluginError(f"{cls.__qualname__}.capabilities must be a non-empty frozenset")
    unknown = capabilities - CAPABILITIES
    if unknown:
        raise PluginError(
            f"{cls.__qualname__}.capabilities has unknown values {sorted(unknown)} "
            f"(allowed: {', '.join(sorted(CAPABILITIES))})"
        )
    interval = getattr(cls, "default_interval_seconds", None)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise PluginError(f"{cls.__qualname__}.default_interval_seconds must be a positive int")
    return cls


def validate_notifier(cls: Any) -> type[Notifier]:
    """Check that ``cls`` declares a notifier correctly; return it typed."""
    if not (inspect.isclass(cls) and issubclass(cls, Notifier)):
        raise PluginError(f"{cls!r} is not a subclass of slusha.plugins.api.Notifier")
    for name in ("kind", "title", "summary"):
        _require_str(cls, name)
    config = getattr(cls, "Config", None)
    if not (inspect.isclass(config) and issubclass(config, BaseModel)):
        raise PluginError(f"{cls.__qualname__}.Config must be a pydantic model")
    return cls


class Registry:
    """Every connector and notifier, by kind; immutable once built."""

    def __init__(
        self,
        *,
        connectors: Mapping[str, tuple[type[Connector], str]],
        notifiers: Mapping[str, tuple[type[Notifier], str]],
        failures: Iterable[PluginFailure],
    ) -> None:
        self._connectors = MappingProxyType(dict(connectors))
        self._notifiers = MappingProxyType(dict(notifiers))
        self.failures: tuple[PluginFailure, ...] = tuple(failures)

    @property
    def connectors(self) -> Mapping[str, type[Connector]]:
        """Connector classes by kind (read-only)."""
        return MappingProxyType({kind: cls for kind, (cls, _) in self._connectors.items()})

    @property
    def notifiers(self) -> Mapping[str, type[Notifier]]:
        """Notifier classes by kind (read-only)."""
        return MappingProxyType({kind: cls for kind, (cls, _) in self._notifiers.items()})

    def connector(self, kind: str) -> Connector:
        """A connector instance for ``kind``, or ``NotFound`` naming the known kinds."""
        entry = self._connectors.get(kind)
        if entry is None:
            failed = [f for f in self.failures if f.name == kind]
            hint = f" (it failed to load: {failed[0].error})" if failed else ""
            raise NotFound(
                f"unknown source kind {kind!r}{hint}; known kinds: "
                f"{', '.join(sorted(self._connectors)) or 'none'}"
            )
        return entry[0]()

    def notifier(self, kind: str) -> Notifier:
        """A notifier instance for ``kind``."""
        entry = self._notifiers.get(kind)
        if entry is None:
            raise NotFound(
                f"unknown notifier kind {kind!r}; known kinds: "
                f"{', '.join(sorted(self._notifiers)) or 'none'}"
            )
        return entry[0]()

    def entries(self) -> list[PluginEntry]:
        """Every loaded plugin, connectors first, sorted by kind."""
        out = [
            PluginEntry("connector", kind, cls.title, cls.summary, origin,
                        tuple(sorted(cls.capabilities)))
            for kind, (cls, origin) in sorted(self._connectors.items())
        ]  # fmt: skip
        out += [
            PluginEntry("notifier", kind, cls.title, cls.summary, origin, ())
            for kind, (cls, origin) in sorted(self._notifiers.items())
        ]
        return out


def _module_classes(module: Any, base: type) -> list[type]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, base)
        and obj is not base
        and obj.__module__ == module.__name__
        and isinstance(getattr(obj, "kind", None), str)
    ]


def _scan_package(package_name: str, base: type) -> tuple[list[tuple[type, str]], list[str]]:
    """Plugin classes in ``package_name``: ``<pkg>.<name>.connector`` or ``<pkg>.<name>``."""
    found: list[tuple[type, str]] = []
    errors: list[str] = []
    try:
        package = importlib.import_module(package_name)
    except Exception as exc:  # a broken package is reported, not fatal
        return [], [f"{package_name}: {type(exc).__name__}: {exc}"]
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module_name = f"{package_name}.{info.name}"
        candidates = [f"{module_name}.connector", module_name] if info.ispkg else [module_name]
        for candidate in candidates:
            try:
                module = importlib.import_module(candidate)
            except ModuleNotFoundError as exc:
                if exc.name == candidate:
                    continue
                errors.append(f"{candidate}: {type(exc).__name__}: {exc}")
                break
            except Exception as exc:
                errors.append(f"{candidate}: {type(exc).__name__}: {exc}")
                break
            classes = _module_classes(module, base)
            if classes:
                found.extend((cls, f"builtin:{candidate}") for cls in classes)
                break
    return found, errors


def build_registry(
    *,
    include_builtins: bool = True,
    include_entry_points: bool = True,
    extra_connectors: Iterable[type] = (),
    extra_notifiers: Iterable[type] = (),
) -> Registry:
    """Load, validate and freeze every plugin; failures are recorded, never raised."""
    connectors: dict[str, tuple[type[Connector], str]] = {}
    notifiers: dict[str, tuple[type[Notifier], str]] = {}
    failures: list[PluginFailure] = []

    def add(group: str, cls: Any, origin: str) -> None:
        try:
            if group == CONNECTOR_GROUP:
                checked = validate_connector(cls)
                target: dict[str, Any] = connectors
            else:
                checked = validate_notifier(cls)  # type: ignore[assignment]
                target = notifiers
        except PluginError as exc:
            name = getattr(cls, "kind", getattr(cls, "__name__", repr(cls)))
            failures.append(PluginFailure(group, str(name), origin, str(exc)))
            return
        if checked.kind in target:
            failures.append(
                PluginFailure(
                    group,
                    checked.kind,
                    origin,
                    f"kind {checked.kind!r} is already provided by {target[checked.kind][1]}",
                )
            )
            return
        target[checked.kind] = (checked, origin)

    if include_builtins:
        for package, group, base in (
            ("slusha.connectors", CONNECTOR_GROUP, Connector),
            ("slusha.notifiers", NOTIFIER_GROUP, Notifier),
        ):
            classes, errors = _scan_package(package, base)
            for cls, origin in classes:
                add(group, cls, origin)
            for error in errors:
                module = error.split(":", 1)[0]
                parts = module.split(".")
                name = parts[2] if len(parts) > 2 else module
                failures.append(PluginFailure(group, name, module, error))
    for cls in extra_connectors:
        add(CONNECTOR_GROUP, cls, "extra")
    for cls in extra_notifiers:
        add(NOTIFIER_GROUP, cls, "extra")
    if include_entry_points:
        for group in (CONNECTOR_GROUP, NOTIFIER_GROUP):
            for ep in entry_points(group=group):
                origin = f"entry point {ep.name} = {ep.value}"
                try:
                    loaded = ep.load()
                except Exception as exc:
                    failures.append(
                        PluginFailure(group, ep.name, origin, f"{type(exc).__name__}: {exc}")
                    )
                    continue
                add(group, loaded, origin)
    return Registry(connectors=connectors, notifiers=notifiers, failures=failures)
