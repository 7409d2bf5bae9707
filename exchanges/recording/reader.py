"""RecordingReader: the records of a recording directory, in the order they were written.

Damage is never silent. By default the first damaged block raises :class:`RecordingCorrupt` (or
:class:`RecordingTruncated`) naming the segment file and the byte offset of the block. With
``skip_corrupt=True`` the reader resumes at the next valid block of the same segment and counts
what it skipped (:attr:`RecordingReader.skipped`: file, offset, bytes, reason).

One case is expected rather than damage: a recording whose writer died (no ``ended_ns`` in the
manifest) may end in a partly written block in its last segment. That tail is left out and
reported in :attr:`RecordingReader.truncated_tail`; everything before it reads back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import attrs

from exchanges.recording.blocks import iter_blocks
from exchanges.recording.errors import RecordingCorrupt, RecordingError, RecordingTruncated
from exchanges.recording.manifest import Manifest, read_manifest, segment_paths
from exchanges.recording.records import BlockItem, FrameRun, Record, RecordDecodeError, decode_block

__all__ = ["RecordingReader", "SkippedSpan"]


@attrs.frozen(slots=True)
class SkippedSpan:
    """Bytes of a segment that ``skip_corrupt`` left out."""

    path: str
    offset: int
    length: int
    reason: str


class RecordingReader:
    """Reads one recording directory (see the module docstring). Iterate it, as often as needed."""

    def __init__(self, directory: str | os.PathLike[str], *, skip_corrupt: bool = False) -> None:
        self.directory = Path(directory)
        self.manifest: Manifest = read_manifest(self.directory)
        self.skip_corrupt = skip_corrupt
        self.segments = segment_paths(self.directory)
        if not self.segments:
            raise RecordingError(f"{self.directory}: the recording has no segment files")
        self.skipped: list[SkippedSpan] = []
        self.truncated_tail: RecordingTruncated | None = None

    @property
    def finished(self) -> bool:
        """True when the writer closed the recording cleanly."""
        return self.manifest.ended_ns is not None

    def __iter__(self) -> Iterator[Record]:
        return self.records()

    def records(self) -> Iterator[Record]:
        """Every record of every segment, in order (resets the skip counters)."""
        for items in self.decoded_blocks():
            for item in items:
                if isinstance(item, FrameRun):
                    yield from item.records()
                else:
                    yield item

    def decoded_blocks(self) -> Iterator[list[BlockItem]]:
        """The records of each valid block, frames in runs (:func:`~.records.decode_block`), in order.

        What the replay reads: one list per block, so damage is skipped a whole block at a time
        (a block is delivered whole or not at all). Resets the skip counters.
        """
        self.skipped = []
        self.truncated_tail = None
        last = len(self.segments) - 1
        for index, path in enumerate(self.segments):
            yield from self._segment_blocks(path, tail_may_be_cut=index == last and not self.finished)

    def blocks(self) -> Iterator[tuple[str, int, bytes]]:
        """(segment path, block offset, decompressed bytes) of every block, for statistics."""
        for path in self.segments:
            spans: list[tuple[int, int, str]] = []
            for offset, _, raw in iter_blocks(str(path), path.read_bytes(), skip_corrupt=True, skipped=spans):
                yield str(path), offset, raw

    def _segment_blocks(self, path: Path, *, tail_may_be_cut: bool) -> Iterator[list[BlockItem]]:
        name = str(path)
        data = path.read_bytes()
        spans: list[tuple[int, int, str]] = []
        blocks = iter_blocks(name, data, skip_corrupt=self.skip_corrupt, skipped=spans)
        while True:
            try:
                item = next(blocks, None)
            except RecordingTruncated as exc:
                if tail_may_be_cut:
                    self.truncated_tail = exc
                    return
                raise
            finally:
                self._note_skipped(name, spans)
            if item is None:
                return
            offset, size, raw = item
            try:
                items = decode_block(raw)
            except RecordDecodeError as exc:
                if not self.skip_corrupt:
                    raise RecordingCorrupt(name, offset, str(exc)) from None
                self.skipped.append(SkippedSpan(name, offset, size, str(exc)))  # the whole block
                continue
            yield items

    def _note_skipped(self, name: str, spans: list[tuple[int, int, str]]) -> None:
        self.skipped.extend(SkippedSpan(name, offset, length, reason) for offset, length, reason in spans)
        spans.clear()
