"""MEXC WebSocket request encoding (API.md §9.2): SUBSCRIPTION / UNSUBSCRIPTION, and the PING message.

The transport calls :class:`MexcSubscriptionCodec` to turn a list of channels into one text frame;
it never looks inside. MEXC echoes the request ``id`` in acks (or 0), and always echoes the channel
names in ``msg``, so acks are matched by channel (see :mod:`exchanges_mexc.ws.acks`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import msgspec

PING_MESSAGE = '{"method":"PING"}'
"""Application keep-alive; MEXC answers ``{"id":0,"code":0,"msg":"PONG"}``."""

MAX_PARAMS_PER_REQUEST = 30
"""A single request never names more channels than one connection may hold."""


class MexcSubscriptionCodec:
    """Encodes ``{"method":"SUBSCRIPTION","params":[...],"id":n}`` with increasing ids per codec."""

    __slots__ = ("_ids",)

    def __init__(self, first_id: int = 1) -> None:
        self._ids = itertools.count(first_id)

    def _encode(self, method: str, channels: Sequence[str]) -> str:
        if not channels:
            raise ValueError(f"{method} needs at least one channel")
        if len(channels) > MAX_PARAMS_PER_REQUEST:
            raise ValueError(f"{method} of {len(channels)} channels exceeds {MAX_PARAMS_PER_REQUEST}")
        body = {"method": method, "params": list(channels), "id": next(self._ids)}
        return msgspec.json.encode(body).decode()

    def subscribe(self, channels: Sequence[str]) -> str:
        return self._encode("SUBSCRIPTION", channels)

    def unsubscribe(self, channels: Sequence[str]) -> str:
        return self._encode("UNSUBSCRIPTION", channels)


def is_ack_frame(frame: bytes | str) -> bool:
    """A subscription answer: a JSON text frame that is not a PONG.

    The transport uses it as ``ready_check`` during a rotation: the replacement socket is switched
    in once every subscribe request sent on it was answered.
    """
    return isinstance(frame, str) and frame.startswith("{") and "PONG" not in frame
