"""A connector's settings as form fields (from its Config schema), and form values back to config.

The web page and the API describe the same fields: name, type, whether required, the default,
the connector's own description, and whether it is a secret (a password field, encrypted at rest).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from slusha.errors import InputError
from slusha.plugins.api import Connector, secret_fields
from slusha.plugins.registry import Registry

FIELD_TYPES = ("text", "number", "integer", "boolean", "list", "object")


@dataclass(frozen=True, slots=True)
class SettingField:
    """One setting of a connector, as a form shows it."""

    name: str
    label: str
    type: str  # one of FIELD_TYPES
    required: bool
    secret: bool
    description: str
    default: Any = None
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        out = asdict(self)
        out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True, slots=True)
class ConnectorForm:
    """A connector kind and its settings fields."""

    kind: str
    title: str
    summary: str
    fields: tuple[SettingField, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"kind": self.kind, "title": self.title, "summary": self.summary,
                "fields": [f.to_dict() for f in self.fields]}  # fmt: skip


def _type_of(prop: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    options = [prop, *prop.get("anyOf", [])]
    for option in options:
        if "enum" in option:
            return "text", tuple(str(v) for v in option["enum"])
        kind = option.get("type")
        if kind in ("string", "number", "integer", "boolean"):
            return {"string": "text"}.get(kind, kind), ()
        if kind == "array":
            return "list", ()
        if kind == "object":
            return "object", ()
    return "text", ()


def connector_form(connector: Connector) -> ConnectorForm:
    """The settings fields of ``connector``, in the order its Config declares them."""
    schema = connector.Config.model_json_schema()
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    secrets = set(secret_fields(connector.Config))
    fields = []
    for name, prop in props.items():
        kind, choices = _type_of(prop)
        fields.append(SettingField(
            name=name, label=prop.get("title") or name.replace("_", " ").capitalize(), type=kind,
            required=name in required, secret=name in secrets,
            description=str(prop.get("description") or ""),
            default=None if name in secrets else prop.get("default"), choices=choices,
        ))  # fmt: skip
    return ConnectorForm(
        kind=connector.kind, title=connector.title, summary=connector.summary, fields=tuple(fields)
    )


def connector_forms(registry: Registry) -> list[ConnectorForm]:
    """Every installed connector kind with its settings, by kind."""
    return [connector_form(registry.connector(kind)) for kind in sorted(registry.connectors)]


def _value(field: SettingField, text: str) -> Any:
    if field.type == "boolean":
        return text.lower() in ("true", "on", "1", "yes")
    if field.type == "list":
        return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]
    if field.type == "object":
        try:
            return json.loads(text)
        except ValueError:
            raise InputError(f"{field.name}: expected a JSON object") from None
    if field.type in ("integer", "number"):
        try:
            return int(text) if field.type == "integer" else float(text)
        except ValueError:
            raise InputError(f"{field.name}: expected a number") from None
    return text


def parse_form(
    form: ConnectorForm, values: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Form values (strings; blank means "not given") to (config, secrets) for ``add_source``.

    Booleans come from checkboxes: a missing checkbox is ``false``.
    """
    config: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for field in form.fields:
        raw = values.get(field.name)
        if field.type == "boolean":
            if raw is not None or field.default is not None:
                config[field.name] = _value(field, raw or "")
            continue
        text = (raw or "").strip()
        if not text:
            continue
        (secrets if field.secret else config)[field.name] = _value(field, text)
    return config, secrets
