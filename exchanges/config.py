"""Exchange configuration and API credentials.

``ExchangeConfig`` is deliberately flat: every knob of every layer (REST, rate limits, WebSocket,
caches) is one field with a default, so it can come from a TOML file, an environment variable or a
keyword argument with the same name. :func:`load_exchange_config` layers the sources, lowest first::

    plugin defaults  <  plugin environment profile  <  TOML [name]  <  TOML [name.environments.<env>]
                     <  environment variables (EXCHANGES_<NAME>_<FIELD>)  <  explicit overrides

The TOML file is the ``path`` argument, else ``$EXCHANGES_CONFIG``, else ``./exchanges.toml`` when it
exists::

    [mexc_spot]
    request_timeout = 3
    [mexc_spot.environments.sim]
    rest_url = "http://127.0.0.1:8080"

``Credentials`` keep the secret out of every ``repr``, ``str``, log line and exception message; they
come from ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY`` or a TOML file named by
``<PREFIX>_CREDENTIALS_FILE``. Secrets never live in the exchange config file on purpose.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from exchanges.errors import ConfigurationError
from exchanges.transport._ws_queue import OVERFLOW_POLICIES

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "SETTABLE_FIELDS",
    "Credentials",
    "ExchangeConfig",
    "coerce_settings",
    "env_prefix",
    "load_credentials",
    "load_exchange_config",
    "mask_key",
    "read_config_file",
]

logger = logging.getLogger("exchanges.config")

CONFIG_ENV_VAR = "EXCHANGES_CONFIG"
"""Environment variable naming the TOML config file."""

DEFAULT_CONFIG_FILE = "exchanges.toml"
"""Looked up in the working directory when neither a path nor ``$EXCHANGES_CONFIG`` is given."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def mask_key(value: str) -> str:
    """Show only the ends of an API key (``mx0v...ab12``); short keys are fully masked."""
    if len(value) <= 8:
        return "***"
    return f"{value[:4]}...{value[-4:]}"


@attrs.frozen(slots=True, repr=False)
class Credentials:
    """An API key pair. ``repr``/``str`` show ``Credentials(api_key='mx0v...ab12', secret_key='***')``."""

    api_key: str
    secret_key: str

    def __repr__(self) -> str:
        return f"Credentials(api_key={mask_key(self.api_key)!r}, secret_key='***')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, prefix: str, env: Mapping[str, str] | None = None) -> Credentials:
        """Read ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY``, else the file in ``<PREFIX>_CREDENTIALS_FILE``.

        ``prefix`` is required: it is the exchange's ``ExchangeSpec.credential_env_prefix``.

        Raises :class:`ConfigurationError` naming the variables when neither is set.
        """
        return load_credentials(prefix, env=os.environ if env is None else env)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Credentials:
        """Read a TOML file with top-level ``api_key`` and ``secret_key`` strings."""
        file = Path(path)
        try:
            with file.open("rb") as handle:
                data = tomllib.load(handle)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot read credentials file {str(file)!r}: {exc.strerror or type(exc).__name__}"
            ) from None
        except tomllib.TOMLDecodeError:
            # The decoder's message may quote file content: never repeat it.
            raise ConfigurationError(f"credentials file {str(file)!r} is not valid TOML") from None
        api_key, secret_key = data.get("api_key"), data.get("secret_key")
        if not isinstance(api_key, str) or not api_key or not isinstance(secret_key, str) or not secret_key:
            raise ConfigurationError(
                f"credentials file {str(file)!r} must define non-empty strings api_key and secret_key"
            )
        return cls(api_key, secret_key)


def load_credentials(prefix: str, env: Mapping[str, str]) -> Credentials:
    """Credentials from ``<PREFIX>_API_KEY``/``<PREFIX>_SECRET_KEY`` or ``<PREFIX>_CREDENTIALS_FILE``."""
    key_var, secret_var, file_var = f"{prefix}_API_KEY", f"{prefix}_SECRET_KEY", f"{prefix}_CREDENTIALS_FILE"
    api_key, secret_key = env.get(key_var, ""), env.get(secret_var, "")
    if api_key and secret_key:
        logger.debug("credentials loaded from %s/%s", key_var, secret_var)
        return Credentials(api_key, secret_key)
    if api_key or secret_key:
        missing = secret_var if api_key else key_var
        raise ConfigurationError(
            f"incomplete credentials: {missing} is not set (set both {key_var} and {secret_var})"
        )
    file = env.get(file_var, "")
    if file:
        logger.debug("credentials loaded from file named by %s", file_var)
        return Credentials.from_file(file)
    raise ConfigurationError(
        f"no API credentials: set {key_var} and {secret_var}, or {file_var} "
        "(a TOML file with api_key and secret_key), or pass credentials explicitly"
    )


_POSITIVE_FIELDS = (
    "request_timeout",
    "order_timeout",
    "connect_timeout",
    "max_retry_after",
    "max_response_bytes",
    "connection_pool_size",
    "rate_limit_window",
    "ws_ping_interval",
)
"""Fields where 0 would mean "no bound" (or nothing at all): rejected at load, naming the key."""


@attrs.frozen(slots=True)
class ExchangeConfig:
    """Every setting of one exchange connection. Flat on purpose; every field but the URLs has a default."""

    name: str
    rest_url: str
    ws_url: str
    environment: str = "production"
    """``"sim"`` for the simulator profile."""
    request_timeout: float = 10.0
    """Seconds, market-data REST (counted from when the request leaves; finite, above 0)."""
    order_timeout: float = 6.0
    """Seconds, order placement and cancel (counted from when the request leaves; finite, above 0)."""
    connect_timeout: float = 5.0
    max_retry_after: float = 10.0
    """Longest server ``Retry-After`` (seconds) waited for; a longer one raises ``RateLimitError`` at once."""
    max_response_bytes: int = 32 * 1024 * 1024
    """Largest REST answer body read; a larger one raises ``ProtocolError`` without being read whole."""
    order_reserved_connections: int = 2
    """Pooled connections that only orders, cancels and their lookups may use (below the pool size)."""
    max_retries: int = 2
    """Retries (not attempts) for idempotent requests."""
    retry_delay: float = 0.1
    recv_window_ms: int = 5000
    ip_weight_limit: int = 500
    uid_weight_limit: int = 500
    rate_limit_window: float = 10.0
    burst_allowance: int = 5
    shared_weight_pools: bool = True
    connection_pool_size: int = 10
    ws_ping_interval: float = 20.0
    ws_liveness_timeout: float = 10.0
    """Seconds without hearing anything (a frame or a PONG) after which a WebSocket is declared
    dead: its books go STALE at once and it reconnects. Finite and above 0."""
    ws_max_queue_size: int = 10000
    ws_overflow_policy: str = "drop_oldest"
    """``"drop_oldest"``, ``"drop_newest"`` or ``"block"``."""
    ws_max_subscriptions: int = 30
    ws_max_lifetime: float = 23.5 * 3600
    ws_stream_interval: str = "100ms"
    symbol_info_ttl: float = 300.0
    clock_skew_warning_ms: int = 1000
    enable_protobuf: bool = True
    enable_symbol_caching: bool = True
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """Plugin-specific settings the flat fields do not cover."""

    def __attrs_post_init__(self) -> None:
        if self.ws_overflow_policy not in OVERFLOW_POLICIES:
            raise ConfigurationError(
                f"ws_overflow_policy must be one of {', '.join(OVERFLOW_POLICIES)}, "
                f"got {self.ws_overflow_policy!r}"
            )
        if not math.isfinite(self.ws_liveness_timeout) or self.ws_liveness_timeout <= 0:
            raise ConfigurationError(
                "ws_liveness_timeout must be a finite number of seconds above 0, "
                f"got {self.ws_liveness_timeout!r}"
            )
        for field in attrs.fields(ExchangeConfig):
            value = getattr(self, field.name)
            if field.type is float and not math.isfinite(value):
                raise ConfigurationError(f"{field.name} must be a finite number, got {value!r}")
            if field.type in (int, float) and value < 0:
                raise ConfigurationError(f"{field.name} must not be negative, got {value!r}")
        for name in _POSITIVE_FIELDS:
            value = getattr(self, name)
            if value <= 0:
                raise ConfigurationError(f"{name} must be above 0, got {value!r}")
        if self.order_reserved_connections >= self.connection_pool_size:
            raise ConfigurationError(
                f"order_reserved_connections must be below connection_pool_size "
                f"({self.connection_pool_size}), got {self.order_reserved_connections!r}"
            )

    def with_overrides(self, **changes: Any) -> ExchangeConfig:
        """A copy with some fields changed; values are converted like environment variables are."""
        coerced = coerce_settings(changes, source="override")
        return attrs.evolve(self, **coerced)


attrs.resolve_types(ExchangeConfig)

_FIELDS: dict[str, attrs.Attribute[Any]] = {f.name: f for f in attrs.fields(ExchangeConfig)}
SETTABLE_FIELDS: tuple[str, ...] = tuple(name for name in _FIELDS if name != "name")
"""Fields a file, environment variable or override may set (``name`` is the plugin's identity)."""


def _unknown_key(key: str, source: str) -> ConfigurationError:
    return ConfigurationError(
        f"unknown config key {key!r} in {source}; valid keys: {', '.join(SETTABLE_FIELDS)}"
    )


def _coerce(key: str, value: Any, source: str) -> Any:
    """Convert one value to its field's type; strings (from env vars) are parsed."""
    field = _FIELDS.get(key)
    if field is None or key == "name":
        raise _unknown_key(key, source)
    kind = field.type
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("expected true/false")
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError("expected an integer")
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError("expected a number")
            return float(value)
        if kind is str:
            if not isinstance(value, str):
                raise ValueError("expected a string")
            return value
        if not isinstance(value, Mapping):
            raise ValueError("expected a table/mapping")
        return dict(value)
    except ValueError as exc:
        raise ConfigurationError(f"invalid value for {key!r} in {source}: {exc} (got {value!r})") from None


def coerce_settings(settings: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """Check keys against the ExchangeConfig fields and convert every value to its field's type."""
    return {key: _coerce(key, value, source) for key, value in settings.items()}


def env_prefix(name: str) -> str:
    """``mexc_spot`` -> ``EXCHANGES_MEXC_SPOT_``."""
    return "EXCHANGES_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


def _find_config_file(path: str | os.PathLike[str] | None, env: Mapping[str, str]) -> Path | None:
    if path is not None:
        return Path(path)
    if env.get(CONFIG_ENV_VAR):
        return Path(env[CONFIG_ENV_VAR])
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a TOML config file; errors name the file."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"config file {str(file)!r} does not exist") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {str(file)!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {str(file)!r} is not valid TOML: {exc}") from None


def _split_section(section: Any, source: str) -> tuple[dict[str, Any], dict[str, Mapping[str, Any]]]:
    """Split ``[name]`` into its flat keys and its ``environments`` sub-tables."""
    if not isinstance(section, Mapping):
        raise ConfigurationError(f"{source} must be a table")
    flat = {k: v for k, v in section.items() if k != "environments"}
    environments = section.get("environments", {})
    if not isinstance(environments, Mapping) or not all(
        isinstance(v, Mapping) for v in environments.values()
    ):
        raise ConfigurationError(f"{source}.environments must be a table of tables")
    return flat, dict(environments)


def _from_env(name: str, env: Mapping[str, str]) -> dict[str, str]:
    prefix = env_prefix(name)
    found: dict[str, str] = {}
    for var, value in env.items():
        if var.startswith(prefix):
            key = var[len(prefix) :].lower()
            if key not in _FIELDS or key == "name" or key == "extra":
                raise ConfigurationError(
                    f"unknown config environment variable {var!r}; valid: "
                    + ", ".join(prefix + f.upper() for f in SETTABLE_FIELDS if f != "extra")
                )
            found[key] = value
    return found


def load_exchange_config(
    spec_default: ExchangeConfig,
    *,
    environment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] = os.environ,
    document: Mapping[str, Any] | None = None,
    environments: Mapping[str, Mapping[str, Any]] | None = None,
) -> ExchangeConfig:
    """Layer defaults, TOML, environment variables and overrides into one ExchangeConfig.

    ``document`` is an already-parsed TOML-shaped mapping used instead of any file;
    ``environments`` are the plugin's built-in profiles (``ExchangeSpec.environments``).
    """
    name = spec_default.name
    if document is None:
        file = _find_config_file(path, env)
        document = read_config_file(file) if file is not None else {}
        source = f"config file {str(file)!r}" if file is not None else "config"
        if file is not None:
            logger.debug("reading config for %s from %s", name, file)
    else:
        source = "config mapping"
    toml_flat, toml_envs = _split_section(document.get(name, {}), f"[{name}] in {source}")
    toml_flat = coerce_settings(toml_flat, source=f"[{name}] in {source}")
    env_values = coerce_settings(_from_env(name, env), source="environment variables")
    explicit = coerce_settings(overrides or {}, source="overrides")

    chosen = (
        environment
        or explicit.get("environment")
        or env_values.get("environment")
        or toml_flat.get("environment")
        or spec_default.environment
    )
    builtin_envs = dict(environments or {})
    known = {spec_default.environment, "production", *builtin_envs, *toml_envs}
    if chosen not in known:
        raise ConfigurationError(
            f"unknown environment {chosen!r} for {name}; known: {', '.join(sorted(known))}"
        )
    layers: list[Mapping[str, Any]] = [  # lowest first; each layer is converted exactly once
        coerce_settings(builtin_envs.get(chosen, {}), source=f"{name} environment profile {chosen!r}"),
        toml_flat,
        coerce_settings(toml_envs.get(chosen, {}), source=f"[{name}.environments.{chosen}] in {source}"),
        env_values,
        explicit,
    ]
    merged: dict[str, Any] = {}
    extra: dict[str, Any] = dict(spec_default.extra)
    for layer in layers:
        for key, value in layer.items():
            if key == "extra":
                extra.update(value)
            else:
                merged[key] = value
    merged["environment"] = chosen
    merged["extra"] = extra
    return attrs.evolve(spec_default, **merged)
