"""The replay feed: frames go out in batches (runs of a block), and that changes nothing users see.

Against a real recording of the simulator (10 symbols, every public channel, two connections):

* the same trades, tickers, klines, books and book states, the same checkpoints, whatever the
  number of frames delivered between two yields and whatever the block size of the recording;
* a malformed record in the middle of a block: without ``skip_corrupt`` the replay stops with an
  error naming the segment and the block's offset, having delivered no frame of that block; with
  it, the whole block is skipped, counted (file, offset, bytes) and the replay goes on;
* stopping a replay or a recorder from a task that is itself cancelled re-raises that cancellation
  (after the feed, or the recording, was closed).
"""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import Any

import attrs
import pytest
import zstandard

from exchanges.cli import main
from exchanges.recording import (
    FrameRecord,
    Recorder,
    RecordingCorrupt,
    RecordingReader,
    RecordingWriter,
    SkippedSpan,
    WriterLimits,
    read_manifest,
)
from exchanges.recording.blocks import encode_block, segment_header
from exchanges.recording.manifest import segment_name, write_manifest
from exchanges.recording.records import Record, encode_record
from exchanges_mexc.composite.public import MexcCompositePublicExchange

from .sim_session import Delivered, factory, record_sim, replay

UNKNOWN_RECORD = struct.pack("<IB", 4, 9) + b"bad"
"""A record of type 9 (no such type): the block it is in is valid (CRC, zstd), the record is not."""


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("feed") / "rec"
    asyncio.run(record_sim(directory, seconds=3.0, count=10))
    return directory


def _seen(delivered: Delivered) -> dict[str, Any]:
    """What user code saw, without local-clock fields."""
    return {
        "trades": delivered.trades,
        "tickers": delivered.tickers,
        "book_tickers": delivered.book_tickers,
        "klines": delivered.klines,
        "books": [(b.symbol, b.version, b.bids, b.asks) for b in delivered.books],
        "book_states": delivered.state_changes(),
    }


def _rewrite(source: Path, target: Path, limits: WriterLimits) -> None:
    """The same records in a new recording cut into blocks (and segments) of another size."""
    manifest = attrs.evolve(read_manifest(source), segments=(), ended_ns=None)
    writer = RecordingWriter.create(target, manifest, limits)
    for record in RecordingReader(source):
        writer.append(record)
    writer.close()


async def test_replay_is_the_same_whatever_the_batch_and_the_block_size(
    recording: Path, tmp_path: Path
) -> None:
    reference, expected = await replay(recording)
    assert expected.ok, expected
    assert len(expected.frames_by_conn) == 2, "two connections: runs of frames interleave"
    assert expected.checkpoints > 0
    assert reference.trades
    small_blocks = tmp_path / "small-blocks"
    _rewrite(recording, small_blocks, WriterLimits(block_bytes=700, max_segment_bytes=40_000))
    assert len(RecordingReader(small_blocks).segments) > 1

    for directory, every in ((recording, 1), (recording, 7), (recording, 1_000_000), (small_blocks, 3)):
        delivered, result = await replay(directory, yield_every=every)
        assert result.ok, (directory.name, every, result)
        assert result.records == expected.records
        assert result.frames_by_conn == expected.frames_by_conn
        assert result.checkpoints == expected.checkpoints
        assert result.snapshots_served == expected.snapshots_served
        assert _seen(delivered) == _seen(reference), (directory.name, every)


def _damaged_copy(source: Path, target: Path, *, per_block: int) -> tuple[Path, int, int, int, int]:
    """``source``'s records in blocks of ``per_block``, the middle block holding an unknown record
    between its records. Returns (segment, the block's offset and size on disk, frames before the
    block, frames in it)."""
    records: list[Record] = list(RecordingReader(source))
    chunks = [records[start : start + per_block] for start in range(0, len(records), per_block)]
    damaged = len(chunks) // 2
    compressor = zstandard.ZstdCompressor(level=1)
    data = bytearray(segment_header(1))
    offset = size = frames_before = frames_in = 0
    for index, chunk in enumerate(chunks):
        raw = bytearray()
        for position, record in enumerate(chunk):
            if index == damaged and position == len(chunk) // 2:
                raw += UNKNOWN_RECORD
            encode_record(raw, record)
        frames = sum(isinstance(record, FrameRecord) for record in chunk)
        if index < damaged:
            frames_before += frames
        elif index == damaged:
            offset, frames_in = len(data), frames
        block = encode_block(compressor, raw)
        data += block
        if index == damaged:
            size = len(block)
    target.mkdir()
    segment = target / segment_name(1)
    segment.write_bytes(bytes(data))
    manifest = read_manifest(source)
    write_manifest(target, attrs.evolve(manifest, segments=(segment.name,)))
    assert frames_in > 1
    return segment, offset, size, frames_before, frames_in


async def test_a_bad_record_mid_block_stops_the_replay_naming_file_and_offset(
    recording: Path, tmp_path: Path
) -> None:
    segment, offset, _, frames_before, _ = _damaged_copy(recording, tmp_path / "bad", per_block=40)
    exchange = await factory().create_public_exchange(
        "mexc_spot", environment="replay", overrides={"replay_path": str(segment.parent), "replay_speed": 0}
    )
    assert isinstance(exchange, MexcCompositePublicExchange)
    try:
        source = await exchange.start_replay()
        with pytest.raises(RecordingCorrupt) as caught:
            async with asyncio.timeout(120):
                await source.wait_finished()
    finally:
        await exchange.close()
    assert caught.value.path == str(segment)
    assert caught.value.offset == offset
    assert "unknown record type 9" in str(caught.value)
    assert source.result.frames == frames_before  # nothing of the damaged block went out
    assert not source.result.finished


async def test_skip_corrupt_skips_the_whole_block_counts_it_and_goes_on(
    recording: Path, tmp_path: Path
) -> None:
    segment, offset, size, _, frames_in = _damaged_copy(recording, tmp_path / "bad", per_block=40)
    total = sum(1 for record in RecordingReader(recording) if isinstance(record, FrameRecord))
    _, result = await replay(segment.parent, skip_corrupt=True)
    assert result.finished
    assert len(result.skipped) == 1
    span = result.skipped[0]
    assert span == SkippedSpan(str(segment), offset, size, span.reason)
    assert "unknown record type 9" in span.reason
    assert result.frames == total - frames_in
    assert sum(result.frames_by_conn.values()) == result.frames


def test_the_replay_command_reports_the_damage_or_skips_and_counts_it(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    segment, offset, size, _, _ = _damaged_copy(recording, tmp_path / "bad", per_block=40)
    assert main(["replay", str(segment.parent)]) == 1
    error = capsys.readouterr().err
    assert str(segment) in error
    assert f"offset {offset}" in error
    assert main(["replay", str(segment.parent), "--skip-corrupt"]) == 0
    assert f"skipped blocks 1 ({size:,} bytes)" in capsys.readouterr().out


async def test_closing_a_replay_from_a_cancelled_task_stops_the_feed_and_stays_cancelled(
    recording: Path,
) -> None:
    exchange = await factory().create_public_exchange(
        "mexc_spot", environment="replay", overrides={"replay_path": str(recording), "replay_speed": 0.5}
    )
    assert isinstance(exchange, MexcCompositePublicExchange)
    try:
        source = await exchange.start_replay()
        await asyncio.sleep(0)  # the feed runs, paced: it lasts several seconds
        closing = asyncio.create_task(source.close())
        await asyncio.sleep(0)  # close() cancelled the feed and waits for it to end
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        assert closing.cancelled()
        async with asyncio.timeout(10):
            result = await source.wait_finished()  # the feed has ended
        assert not result.finished
    finally:
        await exchange.close()


async def test_closing_a_recorder_from_a_cancelled_task_still_closes_the_recording(tmp_path: Path) -> None:
    recorder = Recorder.create(
        tmp_path / "rec", exchange="x", environment="t", symbols=["A/B"], schema_hash="abc"
    )
    recorder.start()
    tap = recorder.connection("c1", lambda: ())
    handled: list[bytes | str] = []
    tap.wrap(handled.append)(b"\x0a\x01")
    closing = asyncio.create_task(recorder.close())
    await asyncio.sleep(0)  # close() is stopping the timers
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    reader = RecordingReader(tmp_path / "rec")
    assert reader.finished  # closed cleanly all the same
    assert [r.payload for r in reader if isinstance(r, FrameRecord)] == [b"\x0a\x01"]
    assert handled == [b"\x0a\x01"]
