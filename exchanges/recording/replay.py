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

Speed. The reader hands over one decoded block at a time, its frames in runs of one connection
(:class:`~exchanges.recording.records.FrameRun`: no object per frame). At speed 0 a run goes to the
connection's frame handler in a plain loop and the feed yields to the event loop once every
``yield_every`` frames, so handlers and iterators drain their buffers as they would live (where the
transport delivers everything queued in one wake-up). At speed > 0 every record waits for its
recorded time. Either way the order is the recorded one, and snapshots and checkpoints are handled
at their recorded positions: batching changes when other tasks run, never what the books see.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Protocol

import attrs

from exchanges.errors import ExchangeConnectionError
from exchanges.recording.errors import RecordingError
from exchanges.recording.reader import RecordingReader, SkippedSpan
from exchanges.recording.records import (
    CheckpointRecord,
    ConnectionRecord,
    FrameRun,
    NonFrameRecord,
    SnapshotFailedRecord,
    SnapshotRecord,
)
from exchanges.recording.tap import BookCheckpoint
from exchanges.tasks import cancel_and_wait

__all__ = [
    "DEFAULT_SNAPSHOT_WAIT",
    "DEFAULT_YIELD_EVERY",
    "CheckpointMismatch",
    "ReplayResult",
    "ReplaySink",
    "ReplaySource",
]

logger = logging.getLogger("exchanges.recording.replay")

DEFAULT_SNAPSHOT_WAIT = 10.0
"""Seconds the feed waits for a book to ask for a recorded snapshot before it moves on."""
DEFAULT_YIELD_EVERY = 64
"""Frames the feed delivers between two yields to the event loop when it is ahead of time."""

FrameHandler = Callable[[bytes | str], None]


class ReplaySink(Protocol):
    """What a plugin gives the replay: where frames and connection events go, how to probe a book."""

    def frame_handler(self, conn: int) -> FrameHandler:
        """Where connection ``conn``'s frames go (asked once per connection, called once per frame:
        the live transport's frame callback, so replayed frames take the live path)."""
        ...

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
        yield_every: int = DEFAULT_YIELD_EVERY,
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
        self._yield_every = 1
        self.yield_every = yield_every
        self._waiters: dict[str, asyncio.Future[bytes]] = {}
        self._asked: dict[str, asyncio.Event] = {}
        self._applied: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._done = asyncio.Event()
        self._budget = 0  # frames left before the next yield
        self._clock: tuple[float, int] | None = None  # (monotonic, recorded ns) of the first record

    @property
    def yield_every(self) -> int:
        """Frames delivered between two yields to the event loop while the feed is ahead of time
        (every speed; read when the feed starts and at each yield)."""
        return self._yield_every

    @yield_every.setter
    def yield_every(self, frames: int) -> None:
        if not isinstance(frames, int) or frames < 1:
            raise RecordingError(f"yield_every must be a whole number of frames >= 1, got {frames!r}")
        self._yield_every = frames

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
        """Stop the feed (the caller's own cancellation is re-raised once it has stopped)."""
        task, self._task = self._task, None
        try:
            await cancel_and_wait(task)
        finally:
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
        deliver = self._deliver_paced if self.speed > 0 else self._deliver_now
        handlers: dict[int, FrameHandler] = {}
        self._budget = self._yield_every
        try:
            for items in self.reader.decoded_blocks():
                for item in items:
                    if isinstance(item, FrameRun):
                        handler = handlers.get(item.conn)
                        if handler is None:
                            handler = handlers[item.conn] = sink.frame_handler(item.conn)
                        await deliver(item, handler)
                    else:
                        await self._apply(sink, item)
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

    async def _deliver_now(self, run: FrameRun, handler: FrameHandler) -> None:
        """Speed 0: the run's frames in a plain loop, a yield to the loop every ``yield_every``."""
        payloads = run.payloads
        count = len(payloads)
        result = self.result
        done = 0
        while done < count:
            take = min(count - done, self._budget)
            for frame in payloads if take == count else payloads[done : done + take]:
                handler(frame)
            done += take
            result.records += take
            result.frames += take
            result.frames_by_conn[run.conn] += take
            self._budget -= take
            if not self._budget:
                self._budget = self._yield_every
                await asyncio.sleep(0)

    async def _deliver_paced(self, run: FrameRun, handler: FrameHandler) -> None:
        """Speed > 0: each frame at its recorded time (divided by the speed)."""
        result = self.result
        by_conn = result.frames_by_conn
        conn = run.conn
        for frame, at in zip(run.payloads, run.received_ns, strict=True):
            await self._wait_until(at)
            handler(frame)
            result.records += 1
            result.frames += 1
            by_conn[conn] += 1

    async def _wait_until(self, at_ns: int) -> None:
        """Wait for the record made at ``at_ns`` to be due; when behind, still yield now and then."""
        if self._clock is None:
            self._clock = (time.monotonic(), at_ns)
        started, first_ns = self._clock
        wait = started + (at_ns - first_ns) / 1e9 / self.speed - time.monotonic()
        if wait > 0:
            self._budget = self._yield_every
            await asyncio.sleep(wait)
            return
        self._budget -= 1
        if self._budget <= 0:
            self._budget = self._yield_every
            await asyncio.sleep(0)

    async def _apply(self, sink: ReplaySink, record: NonFrameRecord) -> None:
        """A record other than a frame, at its position in the stream."""
        self.result.records += 1
        if self.speed > 0:
            await self._wait_until(record.at_ns)
        if isinstance(record, SnapshotRecord):
            await self._serve(record.key, record.payload, None)
        elif isinstance(record, SnapshotFailedRecord):
            await self._serve(record.key, b"", ExchangeConnectionError(record.message))
        elif isinstance(record, CheckpointRecord):
            self._check(sink, record)
        else:
            sink.on_connection(record)

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
