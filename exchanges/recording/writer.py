"""RecordingWriter: append records to rotating segment files, one compressed block at a time.

Records are encoded into an in-memory buffer; the buffer becomes one block (see
:mod:`exchanges.recording.blocks`) when it reaches ``block_bytes`` or when ``flush_interval``
seconds have passed since the last block (checked on every append, and by the recorder's timer when
nothing arrives), so a ``kill -9`` loses at most the last ``flush_interval`` seconds. Each block is
one ``write`` to the OS; segments are fsynced when they are closed (rotation, ``close``), which is
what survives a power loss as well.

Rotation: a new segment starts when the current one holds ``max_segment_bytes`` (compressed) or is
``max_segment_seconds`` old. The manifest lists the segments and is rewritten at each rotation.

One owner: the writer is used from one thread (the event loop). With ``background=True`` the file
work (compression, writes, rotation) runs on one worker thread in submission order; the manifest,
which both may change, is guarded by a lock.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import attrs
import zstandard

from exchanges.recording.blocks import encode_block, segment_header
from exchanges.recording.errors import RecordingError
from exchanges.recording.manifest import MANIFEST_NAME, Manifest, segment_name, write_manifest
from exchanges.recording.records import (
    FRAME_FIXED,
    FRAME_HEADER,
    Record,
    RecordType,
    encode_record,
    frame_bytes,
)

__all__ = [
    "DEFAULT_BLOCK_BYTES",
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_SEGMENT_BYTES",
    "DEFAULT_SEGMENT_SECONDS",
    "RecordingWriter",
    "WriterLimits",
    "WriterStats",
]

_pack_frame = FRAME_HEADER.pack
_FRAME_HEADER_SIZE = FRAME_HEADER.size
_FRAME = int(RecordType.FRAME)

DEFAULT_FLUSH_INTERVAL = 1.0
DEFAULT_BLOCK_BYTES = 1 << 20
DEFAULT_SEGMENT_BYTES = 256 << 20
DEFAULT_SEGMENT_SECONDS = 3600.0


@attrs.frozen(slots=True)
class WriterLimits:
    """When blocks are cut and segments rotated (all bounds must be positive)."""

    flush_interval: float = DEFAULT_FLUSH_INTERVAL
    block_bytes: int = DEFAULT_BLOCK_BYTES
    max_segment_bytes: int = DEFAULT_SEGMENT_BYTES
    max_segment_seconds: float = DEFAULT_SEGMENT_SECONDS
    compression_level: int = 1

    def __attrs_post_init__(self) -> None:
        for name in ("flush_interval", "block_bytes", "max_segment_bytes", "max_segment_seconds"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")


@attrs.define(slots=True)
class WriterStats:
    records: int = 0
    frames: int = 0
    raw_bytes: int = 0
    written_bytes: int = 0
    blocks: int = 0
    segments: int = 0


class RecordingWriter:
    """Writes one recording directory (see the module docstring).

    ``background=True`` compresses and writes blocks on one worker thread (zstd releases the GIL),
    so the event loop only encodes records into the buffer; order is kept (one worker), ``close``
    waits for everything, and a failed write is raised (as RecordingError) by the next ``flush``.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        manifest: Manifest,
        limits: WriterLimits,
        *,
        background: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.limits = limits
        self.stats = WriterStats()
        self._manifest = manifest
        self._manifest_lock = threading.Lock()
        self._compressor = zstandard.ZstdCompressor(level=limits.compression_level)
        self._buffer = bytearray()
        self._flush_ns = int(limits.flush_interval * 1e9)
        self._block_bytes = limits.block_bytes
        self._last_flush_ns = time.time_ns()
        self._file: BinaryIO | None = None
        self._segment_bytes = 0
        self._segment_opened = 0.0
        self._closed = False
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="recording-writer") if background else None
        )
        self._pending: deque[Future[None]] = deque()

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike[str],
        manifest: Manifest,
        limits: WriterLimits | None = None,
        *,
        background: bool = False,
    ) -> RecordingWriter:
        """Start a new recording in ``directory`` (created; it must not already hold a recording)."""
        path = Path(directory)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RecordingError(f"cannot create recording directory {path}: {exc.strerror}") from None
        if (path / MANIFEST_NAME).exists():
            raise RecordingError(f"{path} already holds a recording; choose an empty directory")
        writer = cls(path, manifest, limits or WriterLimits(), background=background)
        writer._open_segment()
        return writer

    @property
    def manifest(self) -> Manifest:
        return self._manifest

    def update_manifest(
        self, *, symbols: tuple[str, ...] | None = None, channels: tuple[str, ...] | None = None
    ) -> None:
        """Change the manifest's symbols or channels and rewrite ``manifest.json`` now."""
        with self._manifest_lock:
            manifest = self._manifest
            self._manifest = attrs.evolve(
                manifest,
                symbols=manifest.symbols if symbols is None else symbols,
                channels=manifest.channels if channels is None else channels,
            )
            if not self._closed:
                write_manifest(self.directory, self._manifest)

    @property
    def closed(self) -> bool:
        return self._closed

    def append_frame(self, conn: int, received_ns: int, payload: bytes | str) -> None:
        """Append one raw frame (hot path: one pack, two appends, three counters, one check);
        cuts a block when the buffer is full or old enough."""
        if type(payload) is bytes:
            data, kind = payload, 0
        else:
            data, kind = frame_bytes(payload)
        buffer = self._buffer
        buffer += _pack_frame(FRAME_FIXED + len(data), _FRAME, conn, received_ns, kind)
        buffer += data
        stats = self.stats
        stats.records += 1
        stats.frames += 1
        stats.raw_bytes += _FRAME_HEADER_SIZE + len(data)
        if len(buffer) >= self._block_bytes or received_ns - self._last_flush_ns >= self._flush_ns:
            self.flush()

    def append(self, record: Record) -> None:
        """Append any record (connection events, snapshots, checkpoints: not the hot path)."""
        before = len(self._buffer)
        encode_record(self._buffer, record)
        self.stats.records += 1
        self.stats.raw_bytes += len(self._buffer) - before
        if len(self._buffer) >= self.limits.block_bytes:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered as one block (nothing when empty); the segment rotates after it
        when it is full or old enough."""
        self._write_block()

    def rotate(self) -> None:
        """Close the current segment (after writing what is buffered) and start the next one."""
        if self._closed:
            return
        self._write_block()
        self._run(self._rotate_now)

    def wait(self) -> None:
        """Wait until every block handed to the background worker is written (no-op without one)."""
        while self._pending:
            error = self._pending.popleft().exception()
            if error is not None:
                raise RecordingError(f"{self.directory}: writing the recording failed: {error!r}") from error

    def close(self, ended_ns: int | None = None) -> None:
        """Write the last block, fsync, and mark the manifest ended. Idempotent.

        The worker thread is always stopped and the segment closed; a write that failed (now or
        earlier) is raised afterwards as RecordingError, and the manifest then stays unfinished.
        """
        if self._closed:
            return
        failure: BaseException | None = None
        try:
            self._write_block()
        except RecordingError as exc:
            failure = exc
        self._closed = True
        try:
            self.wait()
        except RecordingError as exc:
            failure = failure or exc
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
        try:
            self._close_segment()
        except (OSError, ValueError) as exc:
            failure = failure or RecordingError(f"{self.directory}: closing the segment failed: {exc!r}")
        if failure is not None:
            raise failure
        with self._manifest_lock:
            self._manifest = attrs.evolve(self._manifest, ended_ns=ended_ns or time.time_ns())
            write_manifest(self.directory, self._manifest)

    # ------------------------------------------------------------------ internals

    def _run(self, job: Callable[[], None]) -> None:
        """Run a file job inline, or queue it on the worker (in order); raise an earlier failure."""
        pending = self._pending
        while pending and pending[0].done():
            error = pending.popleft().exception()
            if error is not None:
                raise RecordingError(f"{self.directory}: writing the recording failed: {error!r}") from error
        if self._executor is None:
            job()
        else:
            pending.append(self._executor.submit(job))

    def _write_block(self) -> None:
        self._last_flush_ns = time.time_ns()
        if self._closed or not self._buffer:
            return
        raw = bytes(self._buffer)
        self._buffer.clear()
        self._run(functools.partial(self._store, raw))

    def _store(self, raw: bytes) -> None:
        """Compress and write one block (on the worker when there is one)."""
        block = encode_block(self._compressor, raw)
        assert self._file is not None
        self._file.write(block)
        self._file.flush()  # into the OS: survives a kill -9 of this process
        self._segment_bytes += len(block)
        self.stats.written_bytes += len(block)
        self.stats.blocks += 1
        limits = self.limits
        if (
            self._segment_bytes >= limits.max_segment_bytes
            or time.monotonic() - self._segment_opened >= limits.max_segment_seconds
        ):
            self._rotate_now()

    def _rotate_now(self) -> None:
        self._close_segment()
        self._open_segment()

    def _open_segment(self) -> None:
        number = self.stats.segments + 1
        name = segment_name(number)
        handle = (self.directory / name).open("xb")
        header = segment_header(number)
        handle.write(header)
        handle.flush()
        self._file = handle
        self._segment_bytes = len(header)
        self._segment_opened = time.monotonic()
        self.stats.segments = number
        self.stats.written_bytes += len(header)
        with self._manifest_lock:
            self._manifest = attrs.evolve(self._manifest, segments=(*self._manifest.segments, name))
            write_manifest(self.directory, self._manifest)

    def _close_segment(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
