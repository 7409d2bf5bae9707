"""The typed records of a recording and their byte encoding (one function each way).

A record on disk (inside a decompressed block) is ``u32 length`` (of what follows), ``u8 type``, then
the type's body; integers are little-endian. Bodies:

========== ==== =======================================================================
type       code body
========== ==== =======================================================================
frame      1    ``u32 conn, i64 received_ns, u8 kind`` (0 binary, 1 text), the payload byte-exact
connection 2    ``u32 conn, i64 at_ns``, UTF-8 JSON ``{"event", "name", "channels"}``
snapshot   3    ``i64 at_ns, u16 key length``, key (UTF-8), the plugin's snapshot bytes
snap-fail  4    ``i64 at_ns, u16 key length``, key, UTF-8 error text
checkpoint 5    ``i64 at_ns, i64 version, u64 checksum, u32 levels, u16 key length``, key
========== ==== =======================================================================

Unknown types are an error (a newer writer's file): the manifest's format version says which
reader can read it.
"""

from __future__ import annotations

import json
import struct
from enum import IntEnum
from typing import Final

import attrs

__all__ = [
    "FRAME_FIXED",
    "FRAME_HEADER",
    "LENGTH_PREFIX",
    "BlockItem",
    "CheckpointRecord",
    "ConnectionEventKind",
    "ConnectionRecord",
    "FrameRecord",
    "FrameRun",
    "NonFrameRecord",
    "Record",
    "RecordDecodeError",
    "RecordType",
    "SnapshotFailedRecord",
    "SnapshotRecord",
    "decode_block",
    "decode_records",
    "encode_frame",
    "encode_record",
    "frame_bytes",
    "record_time_ns",
]


class RecordType(IntEnum):
    FRAME = 1
    CONNECTION = 2
    SNAPSHOT = 3
    SNAPSHOT_FAILED = 4
    CHECKPOINT = 5


class ConnectionEventKind:
    """Names of connection events (strings on disk, so new kinds need no format change)."""

    OPEN = "open"
    """A transport connection was created (``channels``: what it will carry)."""
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    RECONNECTED = "reconnected"
    """Connected again after a loss: frames may be missing, books it carries resync."""
    CLOSED = "closed"
    FAILED = "failed"
    """The transport gave up on this connection (terminal)."""
    SOCKET_OPENED = "socket_opened"
    SOCKET_CLOSED = "socket_closed"
    OVERLAP_BEGIN = "overlap_begin"
    """Frames may repeat from now on (a rotation or reconnect window)."""
    OVERLAP_END = "overlap_end"
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"


@attrs.frozen(slots=True)
class FrameRecord:
    """One raw WebSocket frame as the transport delivered it to the pipeline."""

    conn: int
    received_ns: int
    payload: bytes | str


@attrs.frozen(slots=True)
class ConnectionRecord:
    conn: int
    at_ns: int
    event: str
    name: str = ""
    channels: tuple[str, ...] = ()


@attrs.frozen(slots=True)
class SnapshotRecord:
    """A REST snapshot used to sync a book; ``key`` names the book, ``payload`` is the plugin's bytes."""

    at_ns: int
    key: str
    payload: bytes


@attrs.frozen(slots=True)
class SnapshotFailedRecord:
    """A snapshot fetch that failed (replay fails it again at the same point)."""

    at_ns: int
    key: str
    message: str


@attrs.frozen(slots=True)
class CheckpointRecord:
    """A LIVE book's version and the checksum of all its levels at one point of the stream."""

    at_ns: int
    key: str
    version: int
    checksum: int
    levels: int


Record = FrameRecord | ConnectionRecord | SnapshotRecord | SnapshotFailedRecord | CheckpointRecord

_LEN: Final = struct.Struct("<IB")
_FRAME: Final = struct.Struct("<IqB")
_CONN: Final = struct.Struct("<Iq")
_KEYED: Final = struct.Struct("<qH")
_CHECKPOINT: Final = struct.Struct("<qqQIH")
LENGTH_PREFIX: Final = _LEN.size

_FRAME_TYPE: Final = int(RecordType.FRAME)
FRAME_HEADER: Final = struct.Struct("<IBIqB")
"""A whole frame record header at once: length, type, conn, received_ns, kind (the hot path)."""
FRAME_FIXED: Final = 1 + _FRAME.size
"""The length field of a frame record is this plus the payload size."""


def frame_bytes(payload: bytes | str) -> tuple[bytes, int]:
    """(payload bytes, kind): text frames are stored UTF-8 encoded with kind 1."""
    if type(payload) is bytes:
        return payload, 0
    if isinstance(payload, str):
        return payload.encode(), 1
    return bytes(payload), 0


def encode_frame(out: bytearray, conn: int, received_ns: int, payload: bytes | str) -> None:
    """Append one frame record to ``out``."""
    data, kind = frame_bytes(payload)
    out += FRAME_HEADER.pack(FRAME_FIXED + len(data), _FRAME_TYPE, conn, received_ns, kind)
    out += data


def _keyed(at_ns: int, key: str) -> bytes:
    raw = key.encode()
    return _KEYED.pack(at_ns, len(raw)) + raw


def encode_record(out: bytearray, record: Record) -> None:
    """Append any record to ``out``."""
    if isinstance(record, FrameRecord):
        encode_frame(out, record.conn, record.received_ns, record.payload)
        return
    if isinstance(record, ConnectionRecord):
        detail = {"event": record.event, "name": record.name, "channels": list(record.channels)}
        kind, body = (
            RecordType.CONNECTION,
            _CONN.pack(record.conn, record.at_ns) + json.dumps(detail).encode(),
        )
    elif isinstance(record, SnapshotRecord):
        kind, body = RecordType.SNAPSHOT, _keyed(record.at_ns, record.key) + record.payload
    elif isinstance(record, SnapshotFailedRecord):
        kind, body = RecordType.SNAPSHOT_FAILED, _keyed(record.at_ns, record.key) + record.message.encode()
    else:
        raw = record.key.encode()
        head = _CHECKPOINT.pack(record.at_ns, record.version, record.checksum, record.levels, len(raw))
        kind, body = RecordType.CHECKPOINT, head + raw
    out += _LEN.pack(1 + len(body), kind)
    out += body


class RecordDecodeError(ValueError):
    """A record inside a valid block could not be decoded (the reader adds file and offset)."""


@attrs.define(slots=True, eq=True)
class FrameRun:
    """Consecutive frame records of one connection inside a block, column by column.

    The replay's hot path takes frames in runs: no object per frame, one handler lookup per run.
    ``payloads[i]`` was received at ``received_ns[i]``; :meth:`records` gives the same frames as
    :class:`FrameRecord` objects.
    """

    conn: int
    payloads: list[bytes | str] = attrs.field(factory=list)
    received_ns: list[int] = attrs.field(factory=list)

    def records(self) -> list[FrameRecord]:
        conn = self.conn
        return [
            FrameRecord(conn, at, payload)
            for payload, at in zip(self.payloads, self.received_ns, strict=True)
        ]


NonFrameRecord = ConnectionRecord | SnapshotRecord | SnapshotFailedRecord | CheckpointRecord
BlockItem = FrameRun | NonFrameRecord
"""What :func:`decode_block` gives: runs of frames, and every other record as itself."""

_FRAME_HEADER_SIZE: Final = FRAME_HEADER.size
_LENGTH_FIELD: Final = LENGTH_PREFIX - 1
"""The u32 length counts what follows it (type byte included)."""


def decode_block(block: bytes) -> list[BlockItem]:
    """All records of one decompressed block, in order, frames grouped in runs (:class:`FrameRun`).

    The one record parser (:func:`decode_records` expands its runs). The whole block is decoded
    before anything is returned, so a block is delivered whole or not at all: any malformed record
    raises :class:`RecordDecodeError` (never another exception) naming its byte in the block.
    """
    items: list[BlockItem] = []
    unpack_frame = FRAME_HEADER.unpack_from
    header, frame_type, frame_fixed = _FRAME_HEADER_SIZE, _FRAME_TYPE, FRAME_FIXED
    run_conn = -1  # connection of the open run; -1 (no u32 connection number) when none is open
    placeholder = FrameRun(run_conn)  # never filled: no frame's conn is -1
    add_payload, add_time = placeholder.payloads.append, placeholder.received_ns.append
    pos, end = 0, len(block)
    while pos < end:
        try:
            length, kind, conn, received_ns, text = unpack_frame(block, pos)
        except struct.error:  # fewer bytes left than a frame header: not a frame
            kind = -1
        if kind == frame_type:  # the hot path: one unpack, one slice, two appends per frame
            stop = pos + _LENGTH_FIELD + length
            if length < frame_fixed or stop > end:
                raise RecordDecodeError(
                    f"frame record length {length} at block byte {pos} runs past the block"
                )
            data = block[pos + header : stop]
            if conn != run_conn:
                run = FrameRun(conn)
                items.append(run)
                add_payload, add_time, run_conn = run.payloads.append, run.received_ns.append, conn
            add_payload(_text_payload(data, text, pos) if text else data)
            add_time(received_ns)
        else:
            record, stop = _decode_other(block, pos)
            items.append(record)
            run_conn = -1
        pos = stop
    return items


def _text_payload(payload: bytes, kind: int, pos: int) -> str:
    if kind != 1:
        raise RecordDecodeError(f"record type {_FRAME_TYPE} at block byte {pos}: frame kind {kind}")
    try:
        return payload.decode()
    except UnicodeDecodeError as exc:
        raise RecordDecodeError(f"record type {_FRAME_TYPE} at block byte {pos}: {exc}") from None


def _decode_other(block: bytes, pos: int) -> tuple[NonFrameRecord, int]:
    """The record at ``pos`` that is not a well-formed frame: (record, where the next one starts)."""
    end = len(block)
    if end - pos < _LEN.size:
        raise RecordDecodeError(f"record header cut at block byte {pos}")
    length, kind = _LEN.unpack_from(block, pos)
    body_start, body_end = pos + _LEN.size, pos + _LENGTH_FIELD + length
    if length < 1 or body_end > end:
        raise RecordDecodeError(f"record length {length} at block byte {pos} runs past the block")
    if kind == _FRAME_TYPE:  # a well-formed frame took the hot path
        raise RecordDecodeError(f"frame record at block byte {pos} is shorter than its header")
    try:
        return _decode_body(kind, memoryview(block)[body_start:body_end]), body_end
    except (struct.error, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise RecordDecodeError(f"record type {kind} at block byte {pos}: {exc}") from None


def decode_records(block: bytes) -> list[Record]:
    """All records of one decompressed block, in order; RecordDecodeError on any malformed one."""
    records: list[Record] = []
    for item in decode_block(block):
        if isinstance(item, FrameRun):
            records.extend(item.records())
        else:
            records.append(item)
    return records


def _decode_body(kind: int, body: memoryview) -> NonFrameRecord:
    if kind == RecordType.CONNECTION:
        conn, at_ns = _CONN.unpack_from(body)
        detail = json.loads(bytes(body[_CONN.size :]))
        channels = tuple(str(channel) for channel in detail["channels"])
        return ConnectionRecord(conn, at_ns, str(detail["event"]), str(detail["name"]), channels)
    if kind in (RecordType.SNAPSHOT, RecordType.SNAPSHOT_FAILED):
        at_ns, key_len = _KEYED.unpack_from(body)
        key_end = _KEYED.size + key_len
        if key_end > len(body):
            raise ValueError("key runs past the record")
        key = bytes(body[_KEYED.size : key_end]).decode()
        rest = bytes(body[key_end:])
        if kind == RecordType.SNAPSHOT:
            return SnapshotRecord(at_ns, key, rest)
        return SnapshotFailedRecord(at_ns, key, rest.decode())
    if kind == RecordType.CHECKPOINT:
        at_ns, version, checksum, levels, key_len = _CHECKPOINT.unpack_from(body)
        key_end = _CHECKPOINT.size + key_len
        if key_end != len(body):
            raise ValueError("checkpoint key length does not match the record")
        return CheckpointRecord(at_ns, bytes(body[_CHECKPOINT.size :]).decode(), version, checksum, levels)
    raise ValueError(f"unknown record type {kind}")


def record_time_ns(record: Record) -> int:
    """When the record happened (frames: when received)."""
    if isinstance(record, FrameRecord):
        return record.received_ns
    return record.at_ns
