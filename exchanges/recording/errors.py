"""Typed errors of recordings: what is wrong, in which file, at which byte offset."""

from __future__ import annotations

from exchanges.errors import ExchangeError

__all__ = ["RecordingCorrupt", "RecordingError", "RecordingTruncated", "ReplayMismatch"]


class RecordingError(ExchangeError):
    """A recording cannot be written or read (missing directory, bad manifest, wrong format version)."""


class RecordingCorrupt(RecordingError):
    """A segment holds bytes that are not a valid block or record.

    ``path`` is the segment file and ``offset`` the byte offset (in the file) of the block that is
    damaged; ``detail`` says what was wrong (bad magic, checksum mismatch, undecodable record...).
    """

    def __init__(self, path: str, offset: int, detail: str) -> None:
        super().__init__(f"{path}: corrupt data at byte offset {offset}: {detail}")
        self.path = path
        self.offset = offset
        self.detail = detail


class RecordingTruncated(RecordingCorrupt):
    """A segment ends in the middle of a block (the file was cut short)."""


class ReplayMismatch(RecordingError):
    """Replay produced a book that differs from the one recorded at a checkpoint."""
