"""``ExchangeConfig``, its validation, and how one layer of values is applied to it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

from exchanges._config.allowlist import WithdrawalAllowlist, to_allowlist
from exchanges._config.convert import convert_value
from exchanges.errors import ConfigurationError
from exchanges.transport._ws_queue import OVERFLOW_POLICIES

S = TypeVar("S")

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
    withdrawal_allowlist: WithdrawalAllowlist | None = attrs.field(
        default=None, converter=to_allowlist, hash=False
    )
    """The only addresses withdrawals may go to (a list for every asset, or a table asset -> list;
    see :class:`WithdrawalAllowlist`). None: no allowlist. A bad entry raises ConfigurationError."""
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
        if "withdrawal_allowlist" in self.extra:  # read from ``extra`` before it was typed: never ignore it
            raise ConfigurationError(
                "withdrawal_allowlist in 'extra' is no longer read: set it as a key of its own "
                f"([{self.name}] withdrawal_allowlist = [...], "
                "or overrides={'withdrawal_allowlist': [...]})"
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
        core, plugin = coerce_layer(changes, plugin_fields_of(self.settings), source="override")
        return apply_layer(self, core, plugin)


attrs.resolve_types(ExchangeConfig)

FIELDS: dict[str, attrs.Attribute[Any]] = {f.name: f for f in attrs.fields(ExchangeConfig)}
SETTABLE: tuple[str, ...] = tuple(name for name in FIELDS if name not in ("name", "settings"))
"""Core fields a file, environment variable or override may set (``name`` is the plugin's identity)."""


def plugin_fields_of(settings: object) -> dict[str, attrs.Attribute[Any]]:
    """The settable fields of a plugin's settings record (types resolved), by name."""
    if settings is None:
        return {}
    kind: Any = type(settings)
    attrs.resolve_types(kind)
    return {f.name: f for f in attrs.fields(kind) if f.init}


def unknown_key(key: str, source: str, plugin_fields: Mapping[str, Any]) -> ConfigurationError:
    valid = [*SETTABLE, *plugin_fields]
    return ConfigurationError(f"unknown config key {key!r} in {source}; valid keys: {', '.join(valid)}")


def coerce_layer(
    values: Mapping[str, Any], plugin_fields: Mapping[str, attrs.Attribute[Any]], *, source: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split one layer into (core fields, plugin settings), each value converted to its field's type."""
    core: dict[str, Any] = {}
    plugin: dict[str, Any] = {}
    for key, value in values.items():
        if key in SETTABLE:
            target, kind = core, FIELDS[key].type
            if key == "extra" and not isinstance(value, Mapping):
                raise ConfigurationError(f"invalid value for 'extra' in {source}: expected a table/mapping")
        elif key in plugin_fields:
            target, kind = plugin, plugin_fields[key].type
        else:
            raise unknown_key(key, source, plugin_fields)
        try:
            target[key] = convert_value(kind, value)
        except ValueError as exc:
            raise ConfigurationError(
                f"invalid value for {key!r} in {source}: {exc} (got {value!r})"
            ) from None
    return core, plugin


def apply_layer(config: ExchangeConfig, core: Mapping[str, Any], plugin: Mapping[str, Any]) -> ExchangeConfig:
    """``config`` with ``core`` fields and ``plugin`` settings changed; the plugin's validators run."""
    settings: Any = config.settings
    if plugin:
        try:
            settings = attrs.evolve(settings, **plugin)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(f"invalid {config.name} setting: {exc}") from None
    return attrs.evolve(config, **core, settings=settings)
