"""What an exchange offers to be recorded and replayed, in exchange-neutral terms.

A plugin's public exchange that can be recorded implements :class:`SupportsRecording`; one that can
replay a recording (``environment="replay"``) implements :class:`SupportsReplay`. The CLI and the
analysis tools (export, report) use only these, so they work for any plugin that offers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from exchanges.handlers import PublicStreamHandlers
from exchanges.models import Symbol
from exchanges.recording.replay import ReplaySource
from exchanges.recording.tap import Recorder

__all__ = ["RECORDABLE_CHANNELS", "SupportsRecording", "SupportsReplay"]

RECORDABLE_CHANNELS: tuple[str, ...] = ("depth", "trades", "book_ticker", "kline", "mini_ticker")
"""Neutral names of the public channels: local books (depth updates + snapshots), public trades,
best bid/ask, candles, 24 h tickers."""


@runtime_checkable
class SupportsRecording(Protocol):
    @property
    def recorder(self) -> Recorder | None:
        """The recording being written (``record_path`` set and a stream started), else None."""
        ...

    async def subscribe_channels(self, symbols: Sequence[Symbol], channels: Sequence[str]) -> None:
        """Subscribe public channels by neutral name (see ``RECORDABLE_CHANNELS``)."""
        ...


@runtime_checkable
class SupportsReplay(Protocol):
    async def start_replay(self, handlers: PublicStreamHandlers | None = None) -> ReplaySource:
        """Install ``handlers`` and replay every recorded channel; returns the running source."""
        ...
