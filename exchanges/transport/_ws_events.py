"""The options record and the listener Protocols of a :class:`~exchanges.transport.ws.ReconnectingWebSocket`.

:class:`WsOptions` holds every tuning knob of one reconnecting WebSocket (queue, batching,
rotation, overlap, liveness), so the constructor takes one record instead of a dozen keywords.

Listeners observe a connection without being part of its data path:

* :class:`WsListener`: ``on_open`` / ``on_close`` for every physical socket (a rotation opens a
  replacement and closes the old one; a lost socket is closed with the error that ended it) and
  ``on_state`` for the logical stream (CONNECTING, CONNECTED, RECONNECTING, CLOSED, FAILED).
* :class:`FrameListener`: a ``WsListener`` that also sees every raw frame as it leaves the socket,
  with its receive time (``time.time_ns()``) and the id of the socket it came from. A recorder is
  one. When no frame listener is attached the reader pays one truth test per frame, nothing else.

Connection ids are ``"<name>#<n>"``: the stream's name and the socket's number within it (1, 2...).
A listener that raises is logged and ignored: observers never break the stream.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import attrs

from exchanges.models import ConnectionState
from exchanges.transport._ws_queue import OVERFLOW_POLICIES, Frame

logger = logging.getLogger("exchanges.transport.ws")


def _positive_finite(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be a finite number above 0, got {value!r}")


def _optional_positive_finite(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value <= 0):
        raise ValueError(f"{attribute.name} must be None or a finite number above 0, got {value!r}")


def _policy(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in OVERFLOW_POLICIES:
        raise ValueError(f"overflow_policy must be one of {OVERFLOW_POLICIES}, got {value!r}")


@attrs.frozen(slots=True)
class WsOptions:
    """How one reconnecting WebSocket buffers, batches, rotates and decides that a socket is dead."""

    max_queue_size: int = 10000
    """Inbound frames buffered between the socket reader and the dispatch task."""
    overflow_policy: str = attrs.field(default="drop_oldest", validator=_policy)
    """What a full inbound queue does: ``drop_oldest``, ``drop_newest`` or ``block``."""
    max_channels_per_message: int | None = None
    """Channels per subscribe message (None: all in one)."""
    ready_check: Callable[[Frame], bool] | None = None
    """Which frames confirm a subscribe message of a rotation's replacement (None: any frame)."""
    rotation_timeout: float = attrs.field(default=10.0, validator=_positive_finite)
    """Seconds a rotation waits for its replacement to be confirmed before switching anyway."""
    overlap_grace: float = attrs.field(default=2.0, validator=_positive_finite)
    """Seconds an overlap window stays open after its episode ended."""
    liveness_timeout: float | None = attrs.field(default=10.0, validator=_optional_positive_finite)
    """A socket that delivers nothing (no frame, no PONG) for this long is declared dead and
    replaced; a probe (the strategy's keep-alive message, else a protocol ping) is sent after 2/5
    of it. None turns the deadline off (not recommended: a silent proxy then goes unnoticed)."""

    def __attrs_post_init__(self) -> None:
        if self.max_queue_size < 1:
            raise ValueError(f"max_queue_size must be at least 1, got {self.max_queue_size}")
        if self.max_channels_per_message is not None and self.max_channels_per_message < 1:
            raise ValueError("max_channels_per_message must be None or at least 1")


class WsListener(Protocol):
    """Connection events of one reconnecting WebSocket (see the module docstring)."""

    def on_open(self, connection_id: str) -> None:
        """A socket was opened and subscribed."""
        ...

    def on_close(self, connection_id: str, error: BaseException | None) -> None:
        """A socket ended: ``error`` is why it was lost (None: closed on purpose or rotated away)."""
        ...

    def on_state(self, state: ConnectionState) -> None:
        """The logical stream changed state."""
        ...


@runtime_checkable
class FrameListener(WsListener, Protocol):
    """A listener that also taps every raw frame (e.g. a recorder)."""

    def on_frame(self, connection_id: str, frame: Frame, received_ns: int) -> None:
        """One frame as received, before any decoding; called on the socket reader: keep it cheap."""
        ...


class Listeners:
    """The listeners of one connection; each call is isolated (a failing listener is logged)."""

    __slots__ = ("_listeners", "_name", "taps")

    def __init__(self, name: str) -> None:
        self._name = name
        self._listeners: tuple[WsListener, ...] = ()
        self.taps: tuple[FrameListener, ...] = ()
        """The frame listeners; empty when none, so the reader skips them with one truth test."""

    def add(self, listener: WsListener) -> None:
        if listener not in self._listeners:
            self._listeners = (*self._listeners, listener)
            self._retap()

    def remove(self, listener: WsListener) -> None:
        self._listeners = tuple(item for item in self._listeners if item is not listener)
        self._retap()

    def _retap(self) -> None:
        self.taps = tuple(item for item in self._listeners if isinstance(item, FrameListener))

    def opened(self, connection_id: str) -> None:
        for listener in self._listeners:
            self._call(listener.on_open, connection_id)

    def closed(self, connection_id: str, error: BaseException | None) -> None:
        for listener in self._listeners:
            self._call(listener.on_close, connection_id, error)

    def state(self, state: ConnectionState) -> None:
        for listener in self._listeners:
            self._call(listener.on_state, state)

    def frame(self, connection_id: str, frame: Frame, received_ns: int) -> None:
        for tap in self.taps:
            self._call(tap.on_frame, connection_id, frame, received_ns)

    def _call(self, method: Callable[..., None], *args: object) -> None:
        try:
            method(*args)
        except Exception:
            logger.exception("websocket %s: listener %s failed", self._name, method.__qualname__)
