"""What the simulator's parts see of the whole, as Protocols.

``MexcSimulator`` (:mod:`exchanges_mexc.sim.app`) assembles the HTTP routes, the WebSocket hub and the
push streams; they reach shared state through :class:`SimState` and the streams reach the hub through
:class:`PushHub`, so none of them imports the module that assembles it (no import cycle).
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable
from typing import Protocol

import attrs

from exchanges_mexc.sim.accounts import AccountStore
from exchanges_mexc.sim.capital import Capital
from exchanges_mexc.sim.channels import ChannelState
from exchanges_mexc.sim.engine import MatchingEngine
from exchanges_mexc.sim.faults import Faults
from exchanges_mexc.sim.limits import RateLimits

__all__ = ["ListenKeySockets", "PushHub", "SimState", "WsSettings"]


@attrs.frozen
class WsSettings:
    """Connection rules (seconds)."""

    idle_timeout: float = 60.0
    no_sub_timeout: float = 30.0
    max_lifetime: float | None = None
    max_subscriptions: int = 30
    max_messages_per_second: int = 100
    ticker_interval: float = 3.0
    kline_interval: float = 1.0
    max_queue: int = 20_000


class ListenKeySockets(Protocol):
    """The WebSocket hub as the REST routes see it: closing the sockets of a deleted listen key."""

    def close_listen_key(self, key: str) -> None: ...


class SimState(Protocol):
    """The simulator's shared state, as routes, the hub and the streams use it."""

    accounts: AccountStore
    engine: MatchingEngine
    capital: Capital
    faults: Faults
    limits: RateLimits
    request_log: list[tuple[str, str]]
    refusal_log: list[tuple[str, str, int, str | None]]
    closing: asyncio.Event

    @property
    def ws(self) -> ListenKeySockets:
        """The WebSocket hub."""
        ...

    def now_ms(self) -> int:
        """The simulator's clock in epoch milliseconds (with its scripted offset)."""
        ...


class PushHub(Protocol):
    """What the push streams need from the WebSocket hub: subscriptions and delivery."""

    settings: WsSettings
    channels: dict[str, ChannelState]

    def states(self, kind: str, symbol: str | None) -> Iterable[ChannelState]: ...

    def private_subscribers(self, uid: int, channel: str) -> Collection[object]: ...

    def publish(self, state: ChannelState, frame: bytes) -> None: ...

    def publish_private(self, uid: int, channel: str, frame: bytes) -> None: ...
