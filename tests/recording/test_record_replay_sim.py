"""Record the simulator's moving market over every public channel, replay it at speed 0: the same
books at every checkpoint, the same frames, the same trades and tickers in the same order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exchanges.recording import RecordingReader
from exchanges.recording.collect import read_markers

from .sim_session import frames_per_channel, record_sim, replay


def _live_frames(metrics: dict[str, Any]) -> int:
    """Frames the live pipeline decoded (counted by the decoder, not by the recording tap)."""
    kinds = ("protobuf", "json", "errors", "unknown")
    return sum(int(metrics.get(f"mexc.ws.frames.{kind}", 0)) for kind in kinds)


async def _check_round_trip(directory: Path, seconds: float, count: int, *, disturb: bool = False) -> None:
    live, metrics = await record_sim(directory, seconds=seconds, count=count, disturb=disturb)
    reader = RecordingReader(directory)
    records = list(reader)
    assert reader.finished
    assert reader.skipped == []
    assert reader.manifest.exchange == "mexc_spot"
    assert len(reader.manifest.symbols) == count
    kinds = frames_per_channel(directory)
    for kind in ("aggre.deals", "aggre.depth", "aggre.bookTicker", "kline", "miniTicker", "control"):
        assert kinds[kind] > 0, kinds
    recorded_frames = sum(kinds.values())
    assert recorded_frames == _live_frames(metrics)  # every frame the live pipeline decoded is in the file
    if disturb:
        markers = read_markers(directory)
        assert markers.reconnects, "the dropped connections reconnected"
        assert markers.resyncs, "books resynced from new snapshots"

    replayed, result = await replay(directory)
    assert result.finished
    assert result.frames == recorded_frames
    assert result.checkpoints >= count * int(seconds) // 2, result
    assert result.mismatches == []
    assert result.snapshots_served >= count
    assert result.snapshots_unclaimed == 0
    assert len(records) == result.records

    assert live.trades, "the simulator traded"
    assert replayed.trades == live.trades
    assert replayed.tickers == live.tickers
    assert replayed.book_tickers == live.book_tickers
    assert replayed.klines == live.klines
    assert replayed.state_changes() == live.state_changes()
    assert [(b.symbol, b.version, b.bids, b.asks) for b in replayed.books] == [
        (b.symbol, b.version, b.bids, b.asks) for b in live.books
    ]


async def test_a_recording_of_the_simulator_replays_identically(tmp_path: Path) -> None:
    await _check_round_trip(tmp_path / "rec", seconds=4.0, count=10)


async def test_resyncs_and_reconnects_replay_identically(tmp_path: Path) -> None:
    await _check_round_trip(tmp_path / "rec", seconds=6.0, count=4, disturb=True)


@pytest.mark.slow
async def test_thirty_seconds_of_ten_symbols_replay_identically(tmp_path: Path) -> None:
    await _check_round_trip(tmp_path / "rec", seconds=30.0, count=10)
