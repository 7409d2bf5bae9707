"""Compatibility names from the user spec that the connector's real path does not use.

The spec describes a ``MexcProtobufParser`` class; the connector decodes frames with
:class:`exchanges_mexc.parsing.MexcFrameDecoder` instead. This module keeps the spec's class for code
written against the spec, and nothing in ``exchanges_mexc`` imports it. New code should use
``MexcFrameDecoder`` directly.

The spec's ``MexcProtobufParser``: raw-frame helpers plus frame -> events via MexcFrameDecoder.

``extract_symbol_from_protobuf`` and ``detect_message_type`` scan the wrapper's top-level fields (varint
keys, length-delimited values) without a full parse: useful for routing and debugging. The decoding
itself is :class:`~.frames.MexcFrameDecoder`'s.
"""

from __future__ import annotations

from typing import Final

from exchanges.metrics import MetricsRegistry
from exchanges_mexc._proto.PushDataV3ApiWrapper_pb2 import PushDataV3ApiWrapper
from exchanges_mexc.parsing.frames import (
    BODY_FIELDS,
    Event,
    Frame,
    MexcFrameDecoder,
    is_json_frame,
    printable_text,
)
from exchanges_mexc.symbols import MexcSymbolMapper

__all__ = ["MexcProtobufParser"]

_OPEN_BRACE: Final = 0x7B
_OPEN_BRACKET: Final = 0x5B


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _top_level_fields(data: bytes) -> list[tuple[int, int, int]]:
    """(field number, start, end) of every top-level length-delimited field; stops at malformed input."""
    fields: list[tuple[int, int, int]] = []
    pos, end = 0, len(data)
    try:
        while pos < end:
            key, pos = _varint(data, pos)
            number, wire_type = key >> 3, key & 7
            if wire_type == 0:
                _, pos = _varint(data, pos)
            elif wire_type == 1:
                pos += 8
            elif wire_type == 2:
                length, pos = _varint(data, pos)
                if pos + length > end:
                    break
                fields.append((number, pos, pos + length))
                pos += length
            elif wire_type == 5:
                pos += 4
            else:
                break
    except (IndexError, ValueError):
        pass
    return fields


class MexcProtobufParser:
    """The seed spec's parser API. Static helpers work on raw frames; an instance also decodes frames
    to events through a :class:`MexcFrameDecoder` (``parse_message``)."""

    _JSON_INDICATORS: Final = frozenset({_OPEN_BRACE, _OPEN_BRACKET})

    def __init__(
        self, mapper: MexcSymbolMapper | None = None, metrics: MetricsRegistry | None = None
    ) -> None:
        self.decoder = MexcFrameDecoder(mapper, metrics)

    def parse_message(self, data: Frame) -> list[Event]:
        """Decode one frame into events (never raises; see :class:`MexcFrameDecoder`)."""
        return self.decoder.decode(data)

    @staticmethod
    def extract_symbol_from_protobuf(data: bytes) -> str | None:
        """The wrapper's ``symbol`` (field 3) read by scanning top-level fields, without a full parse."""
        if not data or data[0] in MexcProtobufParser._JSON_INDICATORS:
            return None
        for number, start, end in _top_level_fields(bytes(data)):
            if number == 3:
                try:
                    return bytes(data[start:end]).decode("utf-8")
                except UnicodeDecodeError:
                    return None
        return None

    @staticmethod
    def parse_wrapper_message(data: bytes) -> PushDataV3ApiWrapper:
        """A fresh, fully parsed wrapper. Raises ``google.protobuf.message.DecodeError`` on bad input."""
        wrapper = PushDataV3ApiWrapper()
        wrapper.ParseFromString(bytes(data))
        return wrapper

    @staticmethod
    def detect_message_type(data: Frame) -> str:
        """``"json"``, ``"text"``, ``"empty"``, a body name such as ``"publicAggreDeals"`` (found by a field
        scan, no full parse) or ``"protobuf_unknown"``."""
        if not data:
            return "empty"
        if is_json_frame(data):
            return "json"
        if isinstance(data, str):
            return "text"
        raw = bytes(data)
        for number, _, _ in _top_level_fields(raw):
            name = BODY_FIELDS.get(number)
            if name is not None:
                return name
        return "text" if printable_text(raw) is not None else "protobuf_unknown"
