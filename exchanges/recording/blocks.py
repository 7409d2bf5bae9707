"""Segment files: a header, then independently compressed blocks of records.

Layout of one segment file (``seg-000001.xrec``)::

    header  16 bytes   b"XRECSEG1", u16 format version, u16 reserved, u32 segment number
    block   16 bytes   b"XRB1", u32 compressed length, u32 raw length, u32 CRC-32 of the compressed bytes
            ...        one zstd frame holding whole records (see :mod:`exchanges.recording.records`)
    block   ...

Each block is written with one ``write`` call and compressed on its own, so a reader can start at
any block, a damaged block is found by its CRC and can be skipped (the next one is found by its
magic and a valid header), and a recorder killed mid-run loses only the block it had not written
yet. Integers are little-endian.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import Final

import zstandard

from exchanges.recording.errors import RecordingCorrupt, RecordingTruncated

__all__ = [
    "BLOCK_HEADER",
    "BLOCK_MAGIC",
    "FORMAT_VERSION",
    "MAX_BLOCK_RAW",
    "SEGMENT_HEADER",
    "SEGMENT_MAGIC",
    "encode_block",
    "iter_blocks",
    "next_block_candidate",
    "read_segment_header",
    "segment_header",
]

FORMAT_VERSION: Final = 1
SEGMENT_MAGIC: Final = b"XRECSEG1"
BLOCK_MAGIC: Final = b"XRB1"
SEGMENT_HEADER: Final = struct.Struct("<8sHHI")
BLOCK_HEADER: Final = struct.Struct("<4sIII")
MAX_BLOCK_RAW: Final = 64 * 1024 * 1024
"""A block header claiming more than this is treated as corrupt (writers flush far earlier)."""


def segment_header(number: int) -> bytes:
    return SEGMENT_HEADER.pack(SEGMENT_MAGIC, FORMAT_VERSION, 0, number)


def encode_block(compressor: zstandard.ZstdCompressor, raw: bytes | bytearray) -> bytes:
    """One block: header plus the zstd frame of ``raw`` (whole records)."""
    compressed = compressor.compress(bytes(raw))
    return BLOCK_HEADER.pack(BLOCK_MAGIC, len(compressed), len(raw), zlib.crc32(compressed)) + compressed


def read_segment_header(path: str, data: bytes) -> int:
    """Check the segment header; return the segment number."""
    if len(data) < SEGMENT_HEADER.size:
        raise RecordingTruncated(path, 0, f"file is {len(data)} bytes, shorter than the segment header")
    magic, version, _, number = SEGMENT_HEADER.unpack_from(data)
    if magic != SEGMENT_MAGIC:
        raise RecordingCorrupt(path, 0, "not a recording segment (bad magic)")
    if version != FORMAT_VERSION:
        raise RecordingCorrupt(
            path, 0, f"segment format version {version}, this reader knows {FORMAT_VERSION}"
        )
    number_: int = number
    return number_


def _block_at(
    path: str, data: bytes, offset: int, decompressor: zstandard.ZstdDecompressor
) -> tuple[bytes, int]:
    """Decode the block starting at ``offset``: (raw bytes, offset of the next block)."""
    end = len(data)
    if end - offset < BLOCK_HEADER.size:
        raise RecordingTruncated(path, offset, f"block header cut short ({end - offset} of 16 bytes)")
    magic, size, raw_size, crc = BLOCK_HEADER.unpack_from(data, offset)
    if magic != BLOCK_MAGIC:
        raise RecordingCorrupt(path, offset, "bad block magic")
    if raw_size > MAX_BLOCK_RAW:
        raise RecordingCorrupt(path, offset, f"block claims {raw_size} raw bytes")
    start = offset + BLOCK_HEADER.size
    if start + size > end:
        raise RecordingTruncated(path, offset, f"block of {size} bytes cut short ({end - start} present)")
    payload = data[start : start + size]
    if zlib.crc32(payload) != crc:
        raise RecordingCorrupt(path, offset, "block checksum mismatch")
    try:
        raw = decompressor.decompress(payload, max_output_size=raw_size)
    except zstandard.ZstdError as exc:
        raise RecordingCorrupt(path, offset, f"zstd: {exc}") from None
    if len(raw) != raw_size:
        raise RecordingCorrupt(
            path, offset, f"block decompressed to {len(raw)} bytes, header says {raw_size}"
        )
    return raw, start + size


def next_block_candidate(
    path: str, data: bytes, offset: int, decompressor: zstandard.ZstdDecompressor
) -> int:
    """The offset of the first valid block after ``offset`` (``len(data)`` when there is none)."""
    pos = offset + 1
    while True:
        pos = data.find(BLOCK_MAGIC, pos)
        if pos < 0:
            return len(data)
        try:
            _block_at(path, data, pos, decompressor)
        except RecordingCorrupt:
            pos += 1
            continue
        return pos


def iter_blocks(
    path: str, data: bytes, *, skip_corrupt: bool, skipped: list[tuple[int, int, str]]
) -> Iterator[tuple[int, int, bytes]]:
    """(file offset, size on disk, raw bytes) of each block of one segment.

    A damaged block raises :class:`RecordingCorrupt` (or ``RecordingTruncated``) naming the file and
    offset, unless ``skip_corrupt``: then ``(offset, bytes skipped, reason)`` is appended to
    ``skipped`` and reading resumes at the next valid block.
    """
    read_segment_header(path, data)
    decompressor = zstandard.ZstdDecompressor()
    offset = SEGMENT_HEADER.size
    end = len(data)
    while offset < end:
        try:
            raw, following = _block_at(path, data, offset, decompressor)
        except RecordingCorrupt as exc:
            if not skip_corrupt:
                raise
            resume = next_block_candidate(path, data, offset, decompressor)
            skipped.append((offset, resume - offset, exc.detail))
            offset = resume
            continue
        yield offset, following - offset, raw
        offset = following
