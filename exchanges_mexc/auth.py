"""MEXC request signing (API.md §2.2): the transport's ``RequestSigner``.

MEXC signs ``totalParams`` = query string concatenated with the body (no ``&`` between them) with
HMAC-SHA256 keyed by the secret, hex, lower case. We send every parameter in the query string (as
MEXC's own demo and CCXT do), so ``totalParams`` is exactly the query string we send, with
``signature`` appended last. Values are URL-encoded with ``urllib.parse.quote(value, safe="")``:
upper-case hex escapes, as MEXC requires for the JSON of ``batchOrders``.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from urllib.parse import quote

from exchanges.transport.rest import is_unreserved
from exchanges_mexc.constants import API_KEY_HEADER, DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS

Params = Sequence[tuple[str, str]]


def _hmac_hex(key: bytes, total_params: str) -> str:
    """HMAC-SHA256 of ``total_params`` keyed by ``key``, as lower-case hex."""
    # hmac.digest with a digest name is OpenSSL's one-shot HMAC: no Python-level HMAC object.
    return hmac.digest(key, total_params.encode("utf-8"), "sha256").hex()


def _quote(text: str) -> str:
    # Unreserved-only text (symbols, numbers, ids: nearly all of it) is what quote() would return.
    return text if is_unreserved(text) else quote(text, safe="")


def local_time_ms() -> int:
    """The local wall clock in integer milliseconds."""
    return time.time_ns() // 1_000_000


class MexcSigner:
    """Signs MEXC requests; implements the transport's ``RequestSigner`` protocol.

    Called once per attempt, so each attempt carries a fresh ``timestamp`` from ``clock`` (which
    should include the measured server offset, see :class:`exchanges_mexc.rest.clock.ServerClock`).
    ``recvWindow`` is added unless the caller passed one. The secret lives in a private attribute and
    never appears in ``repr``.
    """

    __slots__ = ("_api_key", "_clock", "_headers", "_key_bytes", "_recv_window", "_recv_window_ms", "_secret")

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        recv_window_ms: int = DEFAULT_RECV_WINDOW_MS,
        clock: Callable[[], int] = local_time_ms,
    ) -> None:
        if not api_key or not secret_key:
            raise ValueError("MEXC signing needs a non-empty API key and secret key")
        if not 0 < recv_window_ms <= MAX_RECV_WINDOW_MS:
            raise ValueError(f"recvWindow must be in 1..{MAX_RECV_WINDOW_MS} ms, got {recv_window_ms}")
        self._api_key = api_key
        self._secret = secret_key
        self._key_bytes = secret_key.encode("utf-8")
        self._recv_window_ms = recv_window_ms
        self._recv_window = str(recv_window_ms)
        self._clock = clock
        # The same read-only header mapping for every request (the transport only reads it).
        self._headers: Mapping[str, str] = MappingProxyType({API_KEY_HEADER: api_key})

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def masked_api_key(self) -> str:
        """The key shortened for logs: ``mx0v...ab12``."""
        key = self._api_key
        return f"{key[:4]}...{key[-4:]}" if len(key) > 8 else "***"

    def __repr__(self) -> str:
        return f"MexcSigner(api_key={self.masked_api_key!r}, secret_key='***')"

    def sign(self, method: str, path: str, params: Params) -> tuple[str, Mapping[str, str]]:
        """Return the final query string (``...&timestamp=..&signature=..``) and the key header."""
        quote_ = _quote
        parts = []
        has_recv_window = False
        for key, value in params:
            if key == "timestamp" or key == "signature":
                continue
            if key == "recvWindow":
                has_recv_window = True
            parts.append(f"{quote_(key)}={quote_(value)}")
        if not has_recv_window:
            parts.append(f"recvWindow={self._recv_window}")
        parts.append(f"timestamp={self._clock()}")
        query = "&".join(parts)
        return f"{query}&signature={_hmac_hex(self._key_bytes, query)}", self._headers
