"""Recording a live exchange: a tap on its transport, not a second client.

A :class:`Recorder` owns one :class:`~exchanges.recording.writer.RecordingWriter`. The plugin gives
each transport connection a :class:`ConnectionTap` (``recorder.connection(name)``), which is the
connection's *listener*: it sees every frame the transport delivers to the pipeline (in delivery
order, with the time in nanoseconds), the connection's state changes and overlap windows. The
plugin also records each REST snapshot used to sync a book (``record_snapshot``) and registers its
books as a checkpoint source; the recorder writes a checkpoint (version + level checksum) of every
LIVE book every ``checkpoint_interval`` seconds.

Why frames are recorded where the pipeline receives them (after the transport's inbound queue)
rather than where the socket reads them: the recording then holds exactly what the decoder and the
books saw, in that order, interleaved with snapshots and checkpoints at the points where they
happened, which is what makes a replay reproduce every book exactly. A frame dropped by the queue's
overflow policy never reached the pipeline and is not recorded (the transport counts it).

Cost on the hot path: one ``time.time_ns()``, two ``struct`` packs and a ``bytearray`` extend per
frame; compression happens once per block (at most ``flush_interval`` apart).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence

import attrs

from exchanges.models import ConnectionState
from exchanges.recording.manifest import Manifest
from exchanges.recording.records import (
    CheckpointRecord,
    ConnectionEventKind,
    ConnectionRecord,
    Record,
    SnapshotFailedRecord,
    SnapshotRecord,
)
from exchanges.recording.writer import RecordingWriter, WriterLimits
from exchanges.tasks import cancel_and_wait, finish_then_reraise

__all__ = [
    "DEFAULT_CHECKPOINT_INTERVAL",
    "BookCheckpoint",
    "CheckpointSource",
    "ConnectionTap",
    "FrameHandler",
    "Recorder",
]

logger = logging.getLogger("exchanges.recording.tap")

FrameHandler = Callable[[bytes | str], None]
DEFAULT_CHECKPOINT_INTERVAL = 1.0


@attrs.frozen(slots=True)
class BookCheckpoint:
    """What a checkpoint source reports for one LIVE book."""

    key: str
    version: int
    checksum: int
    levels: int


CheckpointSource = Callable[[], Iterable[BookCheckpoint]]


class ConnectionTap:
    """The recording listener of one transport connection (see the module docstring).

    It is a :class:`exchanges.transport.ws.WsListener` (``on_open``, ``on_close``, ``on_state``) for
    the connection's events, and wraps the connection's frame handler (:meth:`wrap`) for its frames:
    the transport's own raw-frame tap runs on the socket reader, before the inbound queue, while
    a replay must reproduce the order the pipeline consumed frames in (see the module docstring).
    """

    def __init__(
        self, recorder: Recorder, conn: int, name: str, channels: Callable[[], Iterable[str]]
    ) -> None:
        self._recorder = recorder
        self.conn = conn
        self.name = name
        self._channels = channels
        self._lost = False

    def wrap(self, handler: FrameHandler) -> FrameHandler:
        """``handler`` preceded by recording the frame (installed as the transport's frame callback)."""
        writer = self._recorder.writer
        conn = self.conn
        clock = time.time_ns

        recorder = self._recorder

        def record_then_handle(frame: bytes | str) -> None:
            if recorder.recording:
                try:
                    writer.append_frame(conn, clock(), frame)
                except Exception as exc:  # never let the recording break the user's pipeline
                    recorder.fail(exc)
            handler(frame)

        return record_then_handle

    def on_open(self, connection_id: str) -> None:
        self.event(ConnectionEventKind.SOCKET_OPENED, self._channels())

    def on_close(self, connection_id: str, error: BaseException | None) -> None:
        self.event(ConnectionEventKind.SOCKET_CLOSED)

    def on_state(self, state: ConnectionState) -> None:
        """A transport state change; CONNECTED after RECONNECTING is recorded as ``reconnected``."""
        if state is ConnectionState.RECONNECTING:
            self._lost = True
            event = ConnectionEventKind.RECONNECTING
        elif state is ConnectionState.CONNECTED:
            event = ConnectionEventKind.RECONNECTED if self._lost else ConnectionEventKind.CONNECTED
            self._lost = False
        elif state is ConnectionState.CLOSED:
            event = ConnectionEventKind.CLOSED
        elif state is ConnectionState.FAILED:
            event = ConnectionEventKind.FAILED
        else:
            event = ConnectionEventKind.OPEN
        self.event(event, self._channels())

    def on_overlap(self, active: bool) -> None:
        self.event(ConnectionEventKind.OVERLAP_BEGIN if active else ConnectionEventKind.OVERLAP_END)

    def event(self, event: str, channels: Iterable[str] = ()) -> None:
        record = ConnectionRecord(self.conn, time.time_ns(), event, self.name, tuple(sorted(channels)))
        self._recorder.append(record)


class Recorder:
    """Owns a recording being written from a live exchange (see the module docstring)."""

    def __init__(self, writer: RecordingWriter, *, checkpoint_interval: float) -> None:
        if not checkpoint_interval > 0:
            raise ValueError(f"checkpoint_interval must be positive, got {checkpoint_interval!r}")
        self.writer = writer
        self.checkpoint_interval = checkpoint_interval
        self.checkpoints = 0
        self.snapshots = 0
        self._channels: dict[str, None] = dict.fromkeys(writer.manifest.channels)
        self._sources: list[CheckpointSource] = []
        self._connections = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False
        self.recording = True
        """False once closed or failed: the taps stop recording, the pipeline goes on."""
        self.error: BaseException | None = None

    def fail(self, error: BaseException) -> None:
        """Writing failed (disk full...): stop recording, keep the exchange running, say so once."""
        if self.error is None:
            self.error = error
            self.recording = False
            logger.error("recording into %s stopped: %r", self.writer.directory, error)

    @classmethod
    def create(
        cls,
        directory: str | os.PathLike[str],
        *,
        exchange: str,
        environment: str,
        symbols: Sequence[str],
        schema_hash: str,
        limits: WriterLimits | None = None,
        checkpoint_interval: float = DEFAULT_CHECKPOINT_INTERVAL,
    ) -> Recorder:
        """Start a new recording in ``directory`` (RecordingError if it already holds one)."""
        manifest = Manifest(
            exchange=exchange,
            symbols=tuple(symbols),
            channels=(),
            schema_hash=schema_hash,
            started_ns=time.time_ns(),
            environment=environment,
        )
        writer = RecordingWriter.create(directory, manifest, limits, background=True)
        return cls(writer, checkpoint_interval=checkpoint_interval)

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(self._channels)

    def connection(self, name: str, channels: Callable[[], Iterable[str]]) -> ConnectionTap:
        """A tap for a new transport connection (numbered 1, 2, ... in creation order);
        ``channels`` tells what the connection carries when an event is recorded."""
        self._connections += 1
        return ConnectionTap(self, self._connections, name, channels)

    def note_channels(self, channels: Iterable[str]) -> None:
        """Channels subscribed so far go into the manifest (rewritten when one is new)."""
        new = [channel for channel in channels if channel not in self._channels]
        if new:
            self._channels.update(dict.fromkeys(new))
            self.writer.update_manifest(channels=self.channels)

    def note_symbols(self, symbols: Iterable[str]) -> None:
        manifest = self.writer.manifest
        merged = tuple(dict.fromkeys((*manifest.symbols, *symbols)))
        if merged != manifest.symbols:
            self.writer.update_manifest(symbols=merged)

    def append(self, record: Record) -> bool:
        """Write one record unless recording stopped; a write failure stops recording (never raises)."""
        if not self.recording:
            return False
        try:
            self.writer.append(record)
        except Exception as exc:
            self.fail(exc)
            return False
        return True

    def record_snapshot(self, key: str, payload: bytes) -> None:
        """A REST snapshot about to be used to sync book ``key`` (call it right before it is applied)."""
        if self.append(SnapshotRecord(time.time_ns(), key, payload)):
            self.snapshots += 1

    def record_snapshot_failure(self, key: str, error: BaseException) -> None:
        self.append(SnapshotFailedRecord(time.time_ns(), key, f"{type(error).__name__}: {error}"))

    def add_checkpoint_source(self, source: CheckpointSource) -> None:
        self._sources.append(source)

    def checkpoint_now(self) -> int:
        """Write a checkpoint of every LIVE book now; returns how many were written."""
        written = 0
        now = time.time_ns()
        for source in self._sources:
            for book in source():
                if self.append(CheckpointRecord(now, book.key, book.version, book.checksum, book.levels)):
                    written += 1
        self.checkpoints += written
        return written

    def start(self) -> None:
        """Start the flush and checkpoint timers (on the running loop). Idempotent."""
        if self._tasks or self._closed:
            return
        self._tasks.append(asyncio.get_running_loop().create_task(self._flush_loop(), name="recording-flush"))
        self._tasks.append(
            asyncio.get_running_loop().create_task(self._checkpoint_loop(), name="recording-checkpoints")
        )

    async def close(self) -> None:
        """Stop the timers, write a last checkpoint, close the recording. Idempotent.

        Runs to its end even if the caller is cancelled meanwhile (the recording is then still
        closed cleanly), and re-raises that cancellation afterwards.
        """
        if self._closed:
            return
        self._closed = True
        await finish_then_reraise(self._close(), name="recording-close")

    async def _close(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self.checkpoint_now()
        self.recording = False
        try:
            self.writer.close()
        except Exception as exc:
            self.fail(exc)
        logger.info(
            "recording %s closed: %d frames, %d bytes", self.writer.directory, *self._frames_and_bytes()
        )

    def _frames_and_bytes(self) -> tuple[int, int]:
        return self.writer.stats.frames, self.writer.stats.written_bytes

    async def _flush_loop(self) -> None:
        interval = self.writer.limits.flush_interval
        while self.recording:
            await asyncio.sleep(interval / 2)
            try:
                self.writer.flush()
            except Exception as exc:
                self.fail(exc)

    async def _checkpoint_loop(self) -> None:
        while True:
            await asyncio.sleep(self.checkpoint_interval)
            try:
                self.checkpoint_now()
            except Exception:
                logger.exception("recording: checkpoint failed")
