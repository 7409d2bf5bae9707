"""Overlap windows: the periods in which a reconnecting WebSocket may deliver a frame twice.

During a planned rotation both sockets deliver for a moment, and after a lost socket the exchange
may resend what it had queued; outside those periods nothing repeats. Tracking the windows lets a
plugin de-duplicate payloads (trade ids, versions) only while it can matter instead of on every
frame.

``on_overlap(True)`` is called when a rotation starts (before the replacement opens) or a socket
is lost (before reconnecting). The window closes, with ``on_overlap(False)``, once that episode is
over (whatever its outcome), ``grace`` seconds have passed, and the dispatch task has delivered
every frame queued until then (it checks after each batch, so with no traffic the window closes
with the next batch). Calls come in pairs; closing the socket closes an open window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger("exchanges.transport.ws")


class OverlapWindow:
    """Open/closed state of one connection's overlap window, reported to an optional callback."""

    __slots__ = ("_callback", "_grace", "_name", "_open", "closes_at")

    def __init__(self, name: str, callback: Callable[[bool], None] | None, grace: float) -> None:
        self._name = name
        self._callback = callback
        self._grace = grace
        self._open = False
        self.closes_at: float | None = None
        """Monotonic time after which the dispatcher may close the window (None: not ending yet)."""

    def open(self) -> None:
        """An episode starts; an already open window stays open until this episode ends."""
        self.closes_at = None
        if not self._open:
            self._open = True
            self._report(True)

    def end(self) -> None:
        """The episode is over: close after the grace period, once queued frames are delivered."""
        if self._open:
            self.closes_at = time.monotonic() + self._grace

    def close(self) -> None:
        self.closes_at = None
        if self._open:
            self._open = False
            self._report(False)

    def close_if_due(self) -> None:
        """Called by the dispatcher after delivering a batch: close when the grace period is over."""
        if self.closes_at is not None and time.monotonic() >= self.closes_at:
            self.close()

    def _report(self, open_: bool) -> None:
        if self._callback is not None:
            try:
                self._callback(open_)
            except Exception:
                logger.exception("websocket %s: on_overlap callback failed", self._name)
