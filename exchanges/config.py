"""Exchange configuration and API credentials.

``ExchangeConfig`` is deliberately flat: every exchange-neutral knob (REST, WebSocket, caches) is one
field with a default, and a plugin's own knobs are the fields of its typed ``settings`` record, so
each can come from a TOML file, an environment variable or a keyword argument with the same name.
:func:`load_exchange_config` layers the sources, lowest first::

    plugin defaults  <  plugin environment profile  <  TOML [name]  <  TOML [name.environments.<env>]
                     <  environment variables (EXCHANGES_<NAME>_<FIELD>)  <  explicit overrides

The TOML file is the ``path`` argument, else ``$EXCHANGES_CONFIG``, else ``./exchanges.toml`` when it
exists::

    [toy]
    request_timeout = 3
    [toy.environments.sim]
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
from typing import Any, TypeVar

import attrs

from exchanges.errors import ConfigurationError
from exchanges.transport._ws_queue import OVERFLOW_POLICIES

__all__ = [
    "CONFIG_ENV_VAR",
    "DEFAULT_CONFIG_FILE",
    "Credentials",
    "ExchangeConfig",
    "env_prefix",
    "load_credentials",
    "load_exchange_config",
    "mask_key",
    "read_config_file",
]

S = TypeVar("S")

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
    "ws_ping_interval",
)
"""Fields where 0 would mean "no bound" (or nothing at all): rejected at load, naming the key."""


@attrs.frozen(slots=True)
class ExchangeConfig:
    """The exchange-neutral settings of one exchange connection, plus the plugin's typed ``settings``.

    Flat on purpose: every core knob is one field with a default, so it can come from a TOML file, an
    environment variable or a keyword argument with the same name. What only one exchange has (its
    rate-limit pools, subscription caps, stream intervals, signing window...) lives in the plugin's
    own attrs record in ``settings``, layered and validated the same way.
    """

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
    connection_pool_size: int = 10
    ws_ping_interval: float = 20.0
    ws_liveness_timeout: float = 10.0
    """Seconds without hearing anything (a frame or a PONG) after which a WebSocket is declared
    dead: its books go STALE at once and it reconnects. Finite and above 0."""
    ws_max_queue_size: int = 10000
    ws_overflow_policy: str = "drop_oldest"
    """``"drop_oldest"``, ``"drop_newest"`` or ``"block"``."""
    ws_max_lifetime: float = 23.5 * 3600
    symbol_info_ttl: float = 300.0
    clock_skew_warning_ms: int = 1000
    enable_symbol_caching: bool = True
    record_path: str = ""
    """A directory: record every raw frame, snapshot and checkpoint of the public streams there
    (see docs/recording.md). Empty: no recording."""
    replay_path: str = ""
    """A recording directory to replay instead of connecting (``environment="replay"``)."""
    replay_speed: float = 1.0
    """Replay pace: 1.0 real time, 2.0 twice as fast, 0 as fast as possible."""
    replay_skip_corrupt: bool = False
    """Replay past damaged blocks (counted) instead of stopping with RecordingCorrupt."""
    market_data_url: str = ""
    """Empty: market data from the exchange itself. ``nats://host:port`` (comma-separated for a
    cluster): streams and local books come from market-data gateways over NATS JetStream
    (docs/bus.md); REST still goes to the exchange."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """Untyped plugin knobs; prefer typed ``settings`` for anything a user is meant to set."""
    settings: object = None
    """The plugin's typed settings (an attrs record the plugin declares in its spec's
    ``default_config``), or None when the plugin has none. Read it with :meth:`settings_of`."""

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
        if self.market_data_url and not all(
            url.strip().startswith(("nats://", "tls://")) for url in self.market_data_url.split(",")
        ):
            raise ConfigurationError(
                f"market_data_url must be nats://host:port or tls://host:port, got {self.market_data_url!r}"
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
        if self.settings is not None and not attrs.has(type(self.settings)):
            raise ConfigurationError(
                f"{self.name}: settings must be an attrs record, got {type(self.settings).__name__}"
            )

    def settings_of(self, kind: type[S]) -> S:
        """The plugin's settings as ``kind``; its defaults when the config carries none (a config
        built by hand). Raises :class:`ConfigurationError` when they are another plugin's."""
        settings = self.settings
        if settings is None:
            return kind()
        if not isinstance(settings, kind):
            raise ConfigurationError(
                f"{self.name}: settings are {type(settings).__name__}, expected {kind.__name__}"
            )
        return settings

    def with_overrides(self, **changes: Any) -> ExchangeConfig:
        """A copy with some core fields or plugin settings changed; values are converted like
        environment variables are, and checked like every other layer."""
        core, plugin = _coerce_layer(changes, _plugin_fields(self.settings), source="override")
        return _apply(self, core, plugin)


attrs.resolve_types(ExchangeConfig)

_FIELDS: dict[str, attrs.Attribute[Any]] = {f.name: f for f in attrs.fields(ExchangeConfig)}
_SETTABLE: tuple[str, ...] = tuple(name for name in _FIELDS if name not in ("name", "settings"))
"""Core fields a file, environment variable or override may set (``name`` is the plugin's identity)."""


def _plugin_fields(settings: object) -> dict[str, attrs.Attribute[Any]]:
    """The settable fields of a plugin's settings record (types resolved), by name."""
    if settings is None:
        return {}
    kind: Any = type(settings)
    attrs.resolve_types(kind)
    return {f.name: f for f in attrs.fields(kind) if f.init}


def _unknown_key(key: str, source: str, plugin_fields: Mapping[str, Any]) -> ConfigurationError:
    valid = [*_SETTABLE, *plugin_fields]
    return ConfigurationError(f"unknown config key {key!r} in {source}; valid keys: {', '.join(valid)}")


def _convert(kind: Any, value: Any) -> Any:
    """Convert one value to ``kind``; strings (from env vars) are parsed. Raises ValueError."""
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
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(kind, type) and not isinstance(value, kind):
        raise ValueError(f"expected {kind.__name__}")
    return value


def _coerce_layer(
    values: Mapping[str, Any], plugin_fields: Mapping[str, attrs.Attribute[Any]], *, source: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split one layer into (core fields, plugin settings), each value converted to its field's type."""
    core: dict[str, Any] = {}
    plugin: dict[str, Any] = {}
    for key, value in values.items():
        if key in _SETTABLE:
            target, kind = core, _FIELDS[key].type
            if key == "extra" and not isinstance(value, Mapping):
                raise ConfigurationError(f"invalid value for 'extra' in {source}: expected a table/mapping")
        elif key in plugin_fields:
            target, kind = plugin, plugin_fields[key].type
        else:
            raise _unknown_key(key, source, plugin_fields)
        try:
            target[key] = _convert(kind, value)
        except ValueError as exc:
            raise ConfigurationError(
                f"invalid value for {key!r} in {source}: {exc} (got {value!r})"
            ) from None
    return core, plugin


def _apply(config: ExchangeConfig, core: Mapping[str, Any], plugin: Mapping[str, Any]) -> ExchangeConfig:
    """``config`` with ``core`` fields and ``plugin`` settings changed; the plugin's validators run."""
    settings: Any = config.settings
    if plugin:
        try:
            settings = attrs.evolve(settings, **plugin)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"invalid {config.name} setting: {exc}") from None
    return attrs.evolve(config, **core, settings=settings)


def env_prefix(name: str) -> str:
    """``toy_spot`` -> ``EXCHANGES_TOY_SPOT_``."""
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


def _from_env(name: str, env: Mapping[str, str], plugin_fields: Mapping[str, Any]) -> dict[str, str]:
    prefix = env_prefix(name)
    valid = [key for key in (*_SETTABLE, *plugin_fields) if key != "extra"]
    found: dict[str, str] = {}
    for var, value in env.items():
        if var.startswith(prefix):
            key = var[len(prefix) :].lower()
            if key not in valid:
                raise ConfigurationError(
                    f"unknown config environment variable {var!r}; valid: "
                    + ", ".join(prefix + f.upper() for f in valid)
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

    Core keys and the plugin's settings keys (the fields of ``spec_default.settings``) share one
    namespace per exchange and go through the same layers; a key that is neither raises
    :class:`ConfigurationError` naming it, and so does a value the plugin's validators refuse.
    ``document`` is an already-parsed TOML-shaped mapping used instead of any file;
    ``environments`` are the plugin's built-in profiles (``ExchangeSpec.environments``).
    """
    name = spec_default.name
    plugin_fields = _plugin_fields(spec_default.settings)
    if document is None:
        file = _find_config_file(path, env)
        document = read_config_file(file) if file is not None else {}
        source = f"config file {str(file)!r}" if file is not None else "config"
        if file is not None:
            logger.debug("reading config for %s from %s", name, file)
    else:
        source = "config mapping"

    def coerce(values: Mapping[str, Any], where: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return _coerce_layer(values, plugin_fields, source=where)

    toml_flat, toml_envs = _split_section(document.get(name, {}), f"[{name}] in {source}")
    toml_layer = coerce(toml_flat, f"[{name}] in {source}")
    env_layer = coerce(_from_env(name, env, plugin_fields), "environment variables")
    explicit = coerce(overrides or {}, "overrides")

    chosen = (
        environment
        or explicit[0].get("environment")
        or env_layer[0].get("environment")
        or toml_layer[0].get("environment")
        or spec_default.environment
    )
    builtin_envs = dict(environments or {})
    known = {spec_default.environment, "production", *builtin_envs, *toml_envs}
    if chosen not in known:
        raise ConfigurationError(
            f"unknown environment {chosen!r} for {name}; known: {', '.join(sorted(known))}"
        )
    layers = [  # lowest first; each layer is converted exactly once
        coerce(builtin_envs.get(chosen, {}), f"{name} environment profile {chosen!r}"),
        toml_layer,
        coerce(toml_envs.get(chosen, {}), f"[{name}.environments.{chosen}] in {source}"),
        env_layer,
        explicit,
    ]
    merged: dict[str, Any] = {}
    plugin: dict[str, Any] = {}
    extra: dict[str, Any] = dict(spec_default.extra)
    for core_layer, plugin_layer in layers:
        for key, value in core_layer.items():
            if key == "extra":
                extra.update(value)
            else:
                merged[key] = value
        plugin.update(plugin_layer)
    merged["environment"] = chosen
    merged["extra"] = extra
    return _apply(spec_default, merged, plugin)
