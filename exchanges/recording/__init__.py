"""Record what an exchange sent, byte-exact, and replay it through the same pipeline.

Exchange-neutral: the format (:mod:`.records`, :mod:`.blocks`, :mod:`.manifest`), the writer and
reader, the transport tap that records a live exchange (:mod:`.tap`), the replay source
(:mod:`.replay`), and the analysis tools (export to Parquet, report PNG) that work from normalized
records. A plugin says what is exchange-specific (which channel a frame is, how a snapshot is
encoded) through :class:`RecordingProfile`. See docs/recording.md.
"""

from exchanges.recording.checkpoint import book_checksum
from exchanges.recording.errors import (
    RecordingCorrupt,
    RecordingError,
    RecordingTruncated,
    ReplayMismatch,
)
from exchanges.recording.manifest import Manifest, read_manifest
from exchanges.recording.reader import RecordingReader, SkippedSpan
from exchanges.recording.records import (
    CheckpointRecord,
    ConnectionEventKind,
    ConnectionRecord,
    FrameRecord,
    Record,
    SnapshotFailedRecord,
    SnapshotRecord,
)
from exchanges.recording.replay import CheckpointMismatch, ReplayResult, ReplaySink, ReplaySource
from exchanges.recording.session import RECORDABLE_CHANNELS, SupportsRecording, SupportsReplay
from exchanges.recording.tap import BookCheckpoint, ConnectionTap, Recorder
from exchanges.recording.writer import RecordingWriter, WriterLimits, WriterStats

__all__ = [
    "RECORDABLE_CHANNELS",
    "BookCheckpoint",
    "CheckpointMismatch",
    "CheckpointRecord",
    "ConnectionEventKind",
    "ConnectionRecord",
    "ConnectionTap",
    "FrameRecord",
    "Manifest",
    "Record",
    "Recorder",
    "RecordingCorrupt",
    "RecordingError",
    "RecordingReader",
    "RecordingTruncated",
    "RecordingWriter",
    "ReplayMismatch",
    "ReplayResult",
    "ReplaySink",
    "ReplaySource",
    "SkippedSpan",
    "SnapshotFailedRecord",
    "SnapshotRecord",
    "SupportsRecording",
    "SupportsReplay",
    "WriterLimits",
    "WriterStats",
    "book_checksum",
    "read_manifest",
]
