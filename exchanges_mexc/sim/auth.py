"""Request parameters and SIGNED-endpoint verification, exactly as API.md §2.2 states.

* Parameters come from the query string and/or an x-www-form-urlencoded body; the query value wins.
* totalParams = raw query string + raw body (concatenated directly, no ``&``), each without the
  ``signature`` component; signature = lowercase hex HMAC-SHA256(secret, totalParams), compared with
  :func:`hmac.compare_digest`.
* ``timestamp`` accepted iff ``timestamp < server + 1000`` and ``server - timestamp <= recvWindow``
  (default 5000, more than 60000 -> 700005); else 700003.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from exchanges_mexc.sim.accounts import AccountStore, SimAccount
from exchanges_mexc.sim.errors import SimError, missing

MAX_RECV_WINDOW = 60_000
DEFAULT_RECV_WINDOW = 5_000


def sign(secret: str, total_params: str) -> str:
    """MEXC signature of ``total_params`` (lowercase hex)."""
    return hmac.new(secret.encode(), total_params.encode(), hashlib.sha256).hexdigest()


def strip_signature(raw: str) -> tuple[str, str | None]:
    """Remove the ``signature=...`` component from a raw urlencoded string; returns (rest, signature)."""
    if not raw:
        return "", None
    kept, found = [], None
    for part in raw.split("&"):
        if part.startswith("signature="):
            found = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), found


def parse_body(raw_body: str) -> list[tuple[str, str]]:
    """Parameters of a urlencoded body (a JSON body yields none; MEXC signs it but reads the query)."""
    text = raw_body.strip()
    if not text or text.startswith(("{", "[")):
        return []
    return parse_qsl(text, keep_blank_values=True)


def merged_params(raw_query: str, raw_body: str) -> dict[str, str]:
    """Query + body parameters, query winning on duplicates."""
    params = dict(parse_body(raw_body))
    params.update(parse_qsl(raw_query, keep_blank_values=True))
    return params


def verify(
    accounts: AccountStore,
    api_key: str | None,
    raw_query: str,
    raw_body: str,
    params: dict[str, str],
    server_ms: int,
) -> SimAccount:
    """Check key, signature presence, recvWindow, timestamp and signature; returns the account."""
    if not api_key:
        raise SimError(400, "api key required")
    account = accounts.by_key(api_key)
    if account is None:
        raise SimError(10072, "Api key info invalid")
    query_rest, sig_q = strip_signature(raw_query)
    body_rest, sig_b = strip_signature(raw_body)
    signature = sig_q if sig_q is not None else sig_b
    if not signature:
        raise missing("signature")
    raw_ts = params.get("timestamp", "")
    if not raw_ts.isdigit():
        raise missing("timestamp")
    raw_rw = params.get("recvWindow", "")
    if raw_rw and not raw_rw.isdigit():
        raise SimError(33333, "param is error: recvWindow")
    recv_window = int(raw_rw) if raw_rw else DEFAULT_RECV_WINDOW
    if recv_window > MAX_RECV_WINDOW:
        raise SimError(700005, "recvWindow must less than 60000")
    timestamp = int(raw_ts)
    if not (timestamp < server_ms + 1000 and server_ms - timestamp <= recv_window):
        raise SimError(700003, "Timestamp for this request is outside of the recvWindow.")
    expected = sign(account.secret_key, query_rest + body_rest)
    if not hmac.compare_digest(expected, signature):
        raise SimError(700002, "Signature for this request is not valid.")
    return account
