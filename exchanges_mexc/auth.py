"""MEXC request signing (API.md §2.2): pure functions plus the transport's ``RequestSigner``.

MEXC signs ``totalParams`` = query string concatenated with the body (no ``&`` between them) with
HMAC-SHA256 keyed by the secret, hex, lower case. We send every parameter in the query string (as
MEXC's own demo and CCXT do), so ``totalParams`` is exactly the query string we send, with
``signature`` appended last. Values are URL-encoded with ``urllib.parse.quote(value, safe="")``:
upper-case hex escapes, as MEXC requires for the JSON of ``batchOrders``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from exchanges_mexc.constants import API_KEY_HEADER, DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS

Params = Sequence[tuple[str, str]]


def sign(secret: str, total_params: str) -> str:
    """HMAC-SHA256 of ``total_params`` keyed by ``secret``, as lower-case hex."""
    return hmac.new(secret.encode("utf-8"), total_params.encode("utf-8"), hashlib.sha256).hexdigest()


def encode_params(params: Params) -> str:
    """``k1=v1&k2=v2`` with every key and value percent-encoded (``safe=""``, upper-case hex)."""
    return "&".join(f"{quote(key, safe='')}={quote(value, safe='')}" for key, value in params)


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

    __slots__ = ("_api_key", "_clock", "_recv_window_ms", "_secret")

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
        self._recv_window_ms = recv_window_ms
        self._clock = clock

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
        items = [(k, v) for k, v in params if k not in ("timestamp", "signature")]
        if not any(k == "recvWindow" for k, _ in items):
            items.append(("recvWindow", str(self._recv_window_ms)))
        items.append(("timestamp", str(self._clock())))
        query = encode_params(items)
        signature = sign(self._secret, query)
        return f"{query}&signature={signature}", {API_KEY_HEADER: self._api_key}
