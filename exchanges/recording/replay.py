"""Replay: a recording fed back into a plugin's pipeline as if it were its transport.

:class:`ReplaySource` reads the records in order and hands them to a :class:`ReplaySink` (the
plugin's side: the same frame handler the live transport calls, the reconnect handling, the book
probe), pacing them by their recorded times (``speed`` 1.0 real time, 0 as fast as possible).

Determinism. The recording interleaves frames with the points where snapshots were applied and
checkpoints taken. The plugin's book-sync fetch path calls :meth:`ReplaySource.fetch_snapshot`
instead of REST; when the feed reaches a snapshot record it waits until that book asks for a
snapshot, hands it over, and continues only after the book has applied it (the fetch returns into
the synchroniser, which aligns in the same step). So every book sees its snapshot between exactly
the same frames as it did live. At a checkpoint record the feed asks the sink for the replayed
book's version and checksum and compares (:attr:`ReplayResult.mismatches`).

At speed 0 the feed still yields to the event loop every ``yield_every`` records, so handlers and
iterators drain their buffers as they would live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from typing import Protocol

import attrs

from exchanges.errors import ExchangeConnectionError
from exchanges.recording.errors import RecordingError
from exchanges.recording.reader import RecordingReader, SkippedSpan
from exchanges.recording.records import (
    CheckpointRecord,
    ConnectionRecord,
    FrameRecord,
    SnapshotFailedRecord,
    SnapshotRecord,
    record_time_ns,
)
from exchanges.recording.tap import BookCheckpoint

__all__ = ["DEFAULT_SNAPSHOT_WAIT", "CheckpointMismatch", "ReplayResult", "ReplaySink", "ReplaySource"]

logger = logging.getLogger("exchanges.recording.replay")

DEFAULT_SNAPSHOT_WAIT = 10.0
"""Seconds the feed waits for a book to ask for a recorded snapshot before it moves on."""


class ReplaySink(Protocol):
    """What a plugin gives the replay: where frames and connection events go, how to probe a book."""

    def on_frame(self, conn: int, frame: bytes | str) -> None: ...

    def on_connection(self, record: ConnectionRecord) -> None: ...

    def probe_book(self, key: str) -> BookCheckpoint | None:
        """The replayed book ``key`` now if it is LIVE, else None."""
        ...

    async def on_end(self) -> None:
        """The recording is exhausted: end the streams (after handlers drained what they hold)."""
        ...


@attrs.frozen(slots=True)
class CheckpointMismatch:
    key: str
    at_ns: int
    recorded: tuple[int, int]
    replayed: tuple[int, int] | None
    """(version, checksum) of the replayed book, None when it was not LIVE."""


@attrs.define(slots=True)
class ReplayResult:
    records: int = 0
    frames: int = 0
    frames_by_conn: Counter[int] = attrs.field(factory=Counter)
    snapshots_served: int = 0
    snapshots_unclaimed: int = 0
    checkpoints: int = 0
    mismatches: list[CheckpointMismatch] = attrs.field(factory=list)
    skipped: list[SkippedSpan] = attrs.field(factory=list)
    finished: bool = False

    @property
    def ok(self) -> bool:
        return self.finished and not self.mismatches and not self.snapshots_unclaimed


class ReplaySource:
    """Feeds one recording to a sink (see the module docstring). One feed per source."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        speed: float = 1.0,
        skip_corrupt: bool = False,
        snapshot_wait: float = DEFAULT_SNAPSHOT_WAIT,
        yield_every: int = 64,
    ) -> None:
        if not speed >= 0 or speed == float("inf"):
            raise RecordingError(f"replay_speed must be a finite number >= 0, got {speed!r}")
        if not snapshot_wait > 0:
            raise RecordingError(f"snapshot_wait must be positive, got {snapshot_wait!r}")
        self.reader = RecordingReader(directory, skip_corrupt=skip_corrupt)
        self.manifest = self.reader.manifest
        self.speed = speed
        self.result = ReplayResult()
        self._snapshot_wait = snapshot_wait
        self._yield_every = max(1, yield_every)
        self._waiters: dict[str, asyncio.Future[bytes]] = {}
        self._asked: dict[str, asyncio.Event] = {}
        self._applied: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._done = asyncio.Event()

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self, sink: ReplaySink) -> None:
        """Start feeding ``sink`` on the running loop (idempotent: one feed per source)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._feed(sink), name="replay-feed")

    async def wait_finished(self) -> ReplayResult:
        """Wait until every record was fed (or the feed failed: its error is raised here)."""
        await self._done.wait()
        if self._task is not None and self._task.done() and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                raise error
        return self.result

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for waiter in self._waiters.values():
            waiter.cancel()
        self._done.set()

    async def fetch_snapshot(self, key: str) -> bytes:
        """The next recorded snapshot of book ``key``, delivered when the feed reaches it.

        The plugin's book-sync fetch path calls this in place of REST; a recorded failure is raised
        again as ExchangeConnectionError, at the same point.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bytes] = loop.create_future()
        self._waiters[key] = waiter
        self._asked.setdefault(key, asyncio.Event()).set()
        try:
            payload = await waiter
        finally:
            if self._waiters.get(key) is waiter:
                del self._waiters[key]
        applied = self._applied
        if applied is not None and not applied.done():
            applied.set_result(None)  # the feed resumes after the caller applied it (same step)
        return payload

    # ------------------------------------------------------------------ the feed

    async def _feed(self, sink: ReplaySink) -> None:
        result = self.result
        speed = self.speed
        first_ns: int | None = None
        started = time.monotonic()
        every = self._yield_every
        try:
            for record in self.reader:
                result.records += 1
                if speed > 0:
                    at = record_time_ns(record)
                    if first_ns is None:
                        first_ns = at
                    due = started + (at - first_ns) / 1e9 / speed
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                elif result.records % every == 0:
                    await asyncio.sleep(0)
                if isinstance(record, FrameRecord):
                    result.frames += 1
                    result.frames_by_conn[record.conn] += 1
                    sink.on_frame(record.conn, record.payload)
                elif isinstance(record, SnapshotRecord):
                    await self._serve(record.key, record.payload, None)
                elif isinstance(record, SnapshotFailedRecord):
                    await self._serve(record.key, b"", ExchangeConnectionError(record.message))
                elif isinstance(record, CheckpointRecord):
                    self._check(sink, record)
                else:
                    sink.on_connection(record)
            result.finished = True
            result.skipped = list(self.reader.skipped)
            logger.info(
                "replay of %s finished: %d records, %d checkpoints, %d mismatches",
                self.reader.directory,
                result.records,
                result.checkpoints,
                len(result.mismatches),
            )
            await sink.on_end()
        finally:
            self._done.set()

    async def _serve(self, key: str, payload: bytes, error: BaseException | None) -> None:
        """Hand a recorded snapshot (or failure) to the book ``key`` once it asks, then let it apply."""
        asked = self._asked.setdefault(key, asyncio.Event())
        if key not in self._waiters:
            asked.clear()
            try:
                async with asyncio.timeout(self._snapshot_wait):
                    while key not in self._waiters:
                        await asked.wait()
                        asked.clear()
            except TimeoutError:
                self.result.snapshots_unclaimed += 1
                logger.warning("replay: no book %s asked for the snapshot recorded here; skipped", key)
                return
        waiter = self._waiters.pop(key)
        applied: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._applied = applied
        if error is None:
            waiter.set_result(payload)
        else:
            waiter.set_exception(error)
            applied.set_result(None)
        self.result.snapshots_served += 1
        try:
            async with asyncio.timeout(self._snapshot_wait):
                await applied
        except TimeoutError:
            logger.warning("replay: book %s did not take its snapshot back in time", key)
        finally:
            self._applied = None

    def _check(self, sink: ReplaySink, record: CheckpointRecord) -> None:
        result = self.result
        result.checkpoints += 1
        book = sink.probe_book(record.key)
        recorded = (record.version, record.checksum)
        replayed = None if book is None else (book.version, book.checksum)
        if replayed != recorded:
            result.mismatches.append(CheckpointMismatch(record.key, record.at_ns, recorded, replayed))
            logger.warning(
                "replay: book %s differs from its checkpoint: recorded %s, replayed %s",
                record.key,
                recorded,
                replayed,
            )
