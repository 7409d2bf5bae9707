"""How MEXC WebSocket connections are opened, kept alive, rotated and recovered.

* No extra headers and no permessage-deflate: MEXC has been seen to refuse handshakes carrying
  unexpected headers, and compression only costs CPU on small protobuf frames.
* ``{"method":"PING"}`` every ``config.ws_ping_interval`` seconds (default 20 s), well inside the
  60 s cut MEXC applies to connections without data flow.
* Rotation before ``config.ws_max_lifetime`` (default 23.5 h; MEXC closes after 24 h).
* Reconnect forever with capped exponential backoff: a market-data or user stream must survive
  long outages. Close codes 1005/1006 (no status / abnormal closure) are MEXC's everyday way of
  dropping a connection, so they are logged at DEBUG; other closes at INFO, errors at WARNING.
"""

from __future__ import annotations

import logging

from exchanges.config import ExchangeConfig
from exchanges.strategies import ReconnectionPolicy, WsConnectOptions
from exchanges_mexc.ws.codec import PING_MESSAGE

logger = logging.getLogger("exchanges.mexc.ws.strategy")

QUIET_CLOSE_CODES = frozenset({1000, 1005, 1006})
"""Closes that are routine on MEXC and are logged at DEBUG only."""

DEFAULT_POLICY = ReconnectionPolicy(max_attempts=None, initial_delay=0.2, backoff_factor=2.0, max_delay=30.0)


class MexcConnectionStrategy:
    """The :class:`exchanges.strategies.ConnectionStrategy` for MEXC spot (public and private)."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        name: str = "mexc",
        policy: ReconnectionPolicy | None = None,
        max_msg_size: int = 4 * 1024 * 1024,
    ) -> None:
        if config.ws_ping_interval <= 0 or config.ws_ping_interval >= 60:
            raise ValueError("ws_ping_interval must be between 0 and MEXC's 60 s idle limit")
        self._name = name
        self._options = WsConnectOptions(
            headers={},
            compress=0,
            max_msg_size=max_msg_size,
            heartbeat=None,
            open_timeout=config.connect_timeout,
        )
        self._policy = policy or DEFAULT_POLICY
        self._ping_interval = float(config.ws_ping_interval)
        self._lifetime = float(config.ws_max_lifetime) if config.ws_max_lifetime > 0 else None

    def connect_options(self) -> WsConnectOptions:
        return self._options

    def reconnection_policy(self) -> ReconnectionPolicy:
        return self._policy

    def should_reconnect(self, error: BaseException | None, close_code: int | None) -> bool:
        """Always reconnect; only the log level depends on how the connection ended."""
        if error is not None:
            logger.warning("%s: connection lost (%s), reconnecting", self._name, type(error).__name__)
        elif close_code in QUIET_CLOSE_CODES or close_code is None:
            logger.debug("%s: closed with code %s (routine on MEXC), reconnecting", self._name, close_code)
        else:
            logger.info("%s: closed with code %s, reconnecting", self._name, close_code)
        return True

    @property
    def keepalive_interval(self) -> float | None:
        return self._ping_interval

    def keepalive_message(self) -> str | None:
        return PING_MESSAGE

    @property
    def max_connection_lifetime(self) -> float | None:
        return self._lifetime
