"""The recording file format: round trips, rotation, and damage reported with file and offset."""

from __future__ import annotations

import asyncio
import itertools
import random
import struct
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.recording import (
    CheckpointRecord,
    ConnectionRecord,
    FrameRecord,
    Manifest,
    Recorder,
    RecordingCorrupt,
    RecordingError,
    RecordingReader,
    RecordingTruncated,
    RecordingWriter,
    SnapshotFailedRecord,
    SnapshotRecord,
    WriterLimits,
)
from exchanges.recording.blocks import SEGMENT_HEADER
from exchanges.recording.records import (
    FrameRun,
    RecordDecodeError,
    decode_block,
    decode_records,
    encode_record,
)

ints32 = st.integers(0, 2**32 - 1)
ns = st.integers(-(2**63), 2**63 - 1)
keys = st.text(max_size=40)
frames = st.builds(FrameRecord, ints32, ns, st.binary(max_size=300) | st.text(max_size=100))
records = st.one_of(
    frames,
    st.builds(
        ConnectionRecord,
        ints32,
        ns,
        st.sampled_from(["open", "connected", "reconnected", "closed"]),
        st.text(max_size=20),
        st.lists(st.text(max_size=30), max_size=5).map(tuple),
    ),
    st.builds(SnapshotRecord, ns, keys, st.binary(max_size=500)),
    st.builds(SnapshotFailedRecord, ns, keys, st.text(max_size=80)),
    st.builds(CheckpointRecord, ns, keys, ns, st.integers(0, 2**64 - 1), ints32),
)


def _manifest() -> Manifest:
    return Manifest(
        exchange="x", symbols=("A/B",), channels=("c1",), schema_hash="abc", started_ns=1, environment="t"
    )


def _write(directory: Path, items: list[object], limits: WriterLimits | None = None) -> RecordingWriter:
    writer = RecordingWriter.create(directory, _manifest(), limits)
    for item in items:
        assert isinstance(
            item, FrameRecord | ConnectionRecord | SnapshotRecord | SnapshotFailedRecord | CheckpointRecord
        )
        writer.append(item)
    writer.close()
    return writer


@given(st.lists(records, max_size=60), st.integers(64, 4096), st.integers(200, 5000))
def test_any_records_read_back_in_order_whatever_the_block_and_segment_sizes(
    tmp_path_factory: pytest.TempPathFactory, items: list[object], block: int, segment: int
) -> None:
    directory = tmp_path_factory.mktemp("rec")
    limits = WriterLimits(block_bytes=block, max_segment_bytes=segment)
    writer = _write(directory, items, limits)
    reader = RecordingReader(directory)
    assert list(reader) == items
    assert reader.skipped == []
    assert reader.finished
    assert reader.manifest.segments == tuple(path.name for path in reader.segments)
    assert writer.stats.records == len(items)


def test_append_frame_is_the_same_record_as_append(tmp_path: Path) -> None:
    writer = RecordingWriter.create(tmp_path, _manifest())
    writer.append_frame(3, 17, b"\x0a\x01")
    writer.append_frame(4, 18, '{"code":0}')
    writer.close()
    assert list(RecordingReader(tmp_path)) == [
        FrameRecord(3, 17, b"\x0a\x01"),
        FrameRecord(4, 18, '{"code":0}'),
    ]


def test_segments_rotate_by_size_and_the_manifest_lists_them(tmp_path: Path) -> None:
    noise = random.Random(1)
    items = [FrameRecord(1, i, noise.randbytes(1000)) for i in range(200)]
    _write(tmp_path, list(items), WriterLimits(block_bytes=4096, max_segment_bytes=20_000))
    reader = RecordingReader(tmp_path)
    assert len(reader.segments) > 3
    assert list(reader) == items


def test_a_background_writer_writes_the_same_recording_in_order(tmp_path: Path) -> None:
    noise = random.Random(2)
    items = [FrameRecord(i % 3, i, noise.randbytes(500)) for i in range(400)]
    limits = WriterLimits(block_bytes=4096, max_segment_bytes=30_000)
    writer = RecordingWriter.create(tmp_path, _manifest(), limits, background=True)
    for index, item in enumerate(items):
        writer.append_frame(item.conn, item.received_ns, item.payload)
        if index == 200:
            writer.update_manifest(channels=("c1", "c2"))
    writer.close()
    reader = RecordingReader(tmp_path)
    assert list(reader) == items
    assert len(reader.segments) > 3
    assert reader.manifest.segments == tuple(path.name for path in reader.segments)
    assert reader.manifest.channels == ("c1", "c2")
    assert reader.finished


def test_a_directory_holding_a_recording_is_not_overwritten(tmp_path: Path) -> None:
    _write(tmp_path, [])
    with pytest.raises(RecordingError, match="already holds a recording"):
        RecordingWriter.create(tmp_path, _manifest())


def test_not_a_recording_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="not a recording directory"):
        RecordingReader(tmp_path)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="flush_interval"):
        WriterLimits(flush_interval=0)


def _three_blocks(directory: Path) -> list[FrameRecord]:
    writer = RecordingWriter.create(directory, _manifest())
    items = [FrameRecord(1, i, f"frame {i}".encode() * 20) for i in range(30)]
    for index, item in enumerate(items):
        writer.append(item)
        if index % 10 == 9:
            writer.flush()
    writer.close()
    return items


def _block_offsets(path: Path) -> list[int]:
    reader_offsets = []
    data = path.read_bytes()
    offset = SEGMENT_HEADER.size
    while offset < len(data):
        reader_offsets.append(offset)
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 16 + size
    return reader_offsets


def test_a_flipped_byte_names_the_file_and_the_block_offset_and_skip_corrupt_continues(
    tmp_path: Path,
) -> None:
    items = _three_blocks(tmp_path)
    segment = tmp_path / "seg-000001.xrec"
    offsets = _block_offsets(segment)
    assert len(offsets) == 3
    data = bytearray(segment.read_bytes())
    data[offsets[1] + 20] ^= 0xFF
    segment.write_bytes(bytes(data))

    with pytest.raises(RecordingCorrupt) as caught:
        list(RecordingReader(tmp_path))
    assert caught.value.path == str(segment)
    assert caught.value.offset == offsets[1]
    assert "checksum" in str(caught.value)
    assert f"offset {offsets[1]}" in str(caught.value)

    reader = RecordingReader(tmp_path, skip_corrupt=True)
    assert list(reader) == items[:10] + items[20:]
    assert len(reader.skipped) == 1
    assert reader.skipped[0].offset == offsets[1]
    assert reader.skipped[0].length == offsets[2] - offsets[1]


def test_a_truncated_segment_of_a_finished_recording_names_file_and_offset(tmp_path: Path) -> None:
    items = _three_blocks(tmp_path)
    segment = tmp_path / "seg-000001.xrec"
    offsets = _block_offsets(segment)
    data = segment.read_bytes()
    segment.write_bytes(data[: offsets[2] + 30])

    with pytest.raises(RecordingTruncated) as caught:
        list(RecordingReader(tmp_path))
    assert caught.value.path == str(segment)
    assert caught.value.offset == offsets[2]

    reader = RecordingReader(tmp_path, skip_corrupt=True)
    assert list(reader) == items[:20]
    assert [span.offset for span in reader.skipped] == [offsets[2]]


def test_a_cut_tail_of_an_unfinished_recording_is_the_crash_case_not_an_error(tmp_path: Path) -> None:
    writer = RecordingWriter.create(tmp_path, _manifest())
    items = [FrameRecord(1, i, b"x" * 100) for i in range(10)]
    for item in items:
        writer.append(item)
    writer.flush()
    writer.append(FrameRecord(1, 99, b"lost"))
    writer.flush()
    segment = tmp_path / "seg-000001.xrec"
    data = segment.read_bytes()
    segment.write_bytes(data[:-5])  # the writer "died" inside its last write
    reader = RecordingReader(tmp_path)
    assert not reader.finished
    assert list(reader) == items
    assert reader.truncated_tail is not None
    assert reader.truncated_tail.path == str(segment)


def test_a_bad_segment_header_is_corrupt_at_offset_zero(tmp_path: Path) -> None:
    _three_blocks(tmp_path)
    segment = tmp_path / "seg-000001.xrec"
    data = bytearray(segment.read_bytes())
    data[0] ^= 0xFF
    segment.write_bytes(bytes(data))
    with pytest.raises(RecordingCorrupt) as caught:
        list(RecordingReader(tmp_path))
    assert caught.value.offset == 0


async def test_a_failing_disk_stops_the_recording_never_the_pipeline(tmp_path: Path) -> None:
    recorder = Recorder.create(
        tmp_path / "rec",
        exchange="x",
        environment="t",
        symbols=["A/B"],
        schema_hash="h",
        limits=WriterLimits(block_bytes=64),
    )
    seen: list[bytes | str] = []
    handler = recorder.connection("conn", lambda: ()).wrap(seen.append)
    handler(b"first")
    recorder.writer.wait()
    handle = recorder.writer._file
    assert handle is not None
    handle.close()  # the disk goes away under the writer
    for index in range(200):  # bounded: the worker reports the failure within a few frames
        handler(f"frame {index:03d} ".encode() * 8)
        if not recorder.recording:
            break
        await asyncio.sleep(0.01)
    assert not recorder.recording
    assert isinstance(recorder.error, RecordingError)
    handler(b"after")
    assert seen[-1] == b"after"  # every frame still reached the pipeline
    assert len(seen) == index + 3
    await recorder.close()  # does not raise: the failure was reported when it happened
    assert not any(thread.name.startswith("recording-writer") for thread in threading.enumerate())


def _encoded(items: Sequence[object]) -> bytes:
    out = bytearray()
    for item in items:
        assert isinstance(
            item, FrameRecord | ConnectionRecord | SnapshotRecord | SnapshotFailedRecord | CheckpointRecord
        )
        encode_record(out, item)
    return bytes(out)


@given(st.lists(records, max_size=60))
def test_decode_block_groups_consecutive_frames_of_one_connection_and_keeps_the_order(
    items: list[object],
) -> None:
    decoded = decode_block(_encoded(items))
    assert decode_records(_encoded(items)) == items
    expanded: list[object] = []
    for item in decoded:
        expanded.extend(item.records() if isinstance(item, FrameRun) else [item])
    assert expanded == items
    for before, after in itertools.pairwise(decoded):  # runs are as long as they can be
        if isinstance(before, FrameRun) and isinstance(after, FrameRun):
            assert before.conn != after.conn
    assert all(item.payloads for item in decoded if isinstance(item, FrameRun))


@given(st.lists(records, min_size=1, max_size=20), st.data())
def test_a_damaged_block_is_a_record_decode_error_or_records_never_another_exception(
    items: list[object], data: st.DataObject
) -> None:
    raw = bytearray(_encoded(items))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    error: RecordDecodeError | None = None
    try:
        decode_block(bytes(raw[:cut]))
    except RecordDecodeError as exc:
        error = exc
    assert error is None or "block byte" in str(error)


def test_a_bad_record_in_the_middle_of_a_block_rejects_the_whole_block() -> None:
    good = [FrameRecord(1, i, b"x" * 10) for i in range(5)]
    raw = _encoded(good[:2]) + struct.pack("<IB", 4, 9) + b"abc" + _encoded(good[2:])
    with pytest.raises(RecordDecodeError, match="unknown record type 9"):
        decode_block(raw)
