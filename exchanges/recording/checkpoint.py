"""Book checkpoints: a book's version and a checksum of all its levels, the same live and in replay."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from exchanges.models import OrderBookEntry

__all__ = ["book_checksum"]

_LEVEL = struct.Struct("<dd")
_SIDE_SEPARATOR = b"|"


def book_checksum(bids: Iterable[OrderBookEntry], asks: Iterable[OrderBookEntry]) -> int:
    """A 64-bit checksum of every level (price and size as IEEE doubles, bids then asks, in book order).

    Two books have the same checksum when they hold exactly the same levels; floats are hashed as
    their bits, so a replay must reproduce every value exactly, not approximately.
    """
    digest = hashlib.blake2b(digest_size=8)
    pack = _LEVEL.pack
    for entry in bids:
        digest.update(pack(entry[0], entry[1]))
    digest.update(_SIDE_SEPARATOR)
    for entry in asks:
        digest.update(pack(entry[0], entry[1]))
    return int.from_bytes(digest.digest(), "little")
