"""Compatibility names from the user spec that the framework's real path does not use.

The spec names a ``MessageParsingStrategy`` abstraction; plugins decode frames in their own
dispatcher (the MEXC plugin's ``MexcFrameDecoder`` satisfies this Protocol) and nothing in the core
calls it. It is kept here, apart from the stated plugin API, for code written against the spec.
New plugins need not implement it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar, runtime_checkable

__all__ = ["MessageParsingStrategy"]

T_co = TypeVar("T_co", covariant=True)


@runtime_checkable
class MessageParsingStrategy(Protocol[T_co]):
    """Turns one raw WebSocket frame into the events it carries (a frame may carry several, e.g. a
    batch of trades; a control frame or unknown data gives its own record or none).

    Implementations never raise on bad input: they count and log it and return an empty list.
    """

    def decode(self, frame: bytes | bytearray | memoryview | str) -> Sequence[T_co]: ...
