"""MEXC WebSocket control messages (JSON text frames, API.md §9.3) -> :class:`ControlMessage`.

Everything the server says that is not market or account data: subscription acks (``msg`` echoes the
channels, comma-joined), ``PONG``, refusals (``Not Subscribed successfully! [<channel>].  Reason：
Blocked! `` with ``code`` still 0 and a full-width colon), and the plain text ``Invalid listen key``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from .values import code_opt

__all__ = ["ControlMessage", "control_from_json", "control_from_text"]

_REFUSED = re.compile(
    r"Not Subscribed successfully!\s*\[(?P<channels>[^\]]*)\]\.?\s*(?:Reason\s*[:：]\s*(?P<reason>.*))?", re.S
)
_INVALID_LISTEN_KEY = "invalid listen key"


class ControlMessage(NamedTuple):
    """One control frame.

    ``channels``: channels the server acknowledged (subscribe/unsubscribe OK). ``blocked``: channels it
    refused, with ``reason`` (e.g. ``"Blocked!"`` for retired JSON channels). ``invalid_listen_key``: the
    private stream's key is unknown or expired. ``raw`` keeps the frame's text for logging.
    """

    id: int | None
    code: int | None
    msg: str
    is_pong: bool = False
    channels: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()
    reason: str | None = None
    invalid_listen_key: bool = False
    raw: str = ""

    @property
    def ok(self) -> bool:
        """True for a PONG or a successful ack: code 0 (or absent), nothing refused, key valid."""
        return (self.code in (None, 0)) and not self.blocked and not self.invalid_listen_key

    @property
    def is_error(self) -> bool:
        return not self.ok


def _split_channels(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def control_from_json(data: Mapping[str, object], raw: str = "") -> ControlMessage:
    """A parsed ``{"id":..,"code":..,"msg":..}`` object -> ControlMessage (flags derived from ``msg``)."""
    msg_value = data.get("msg")
    msg = "" if msg_value is None else str(msg_value)
    code = code_opt(data.get("code"))
    ident = code_opt(data.get("id"))
    refused = _REFUSED.search(msg)
    if refused is not None:
        reason = (refused.group("reason") or "").strip() or None
        return ControlMessage(
            ident, code, msg, blocked=_split_channels(refused.group("channels")), reason=reason, raw=raw
        )
    if msg.upper() == "PONG":
        return ControlMessage(ident, code, msg, is_pong=True, raw=raw)
    if _INVALID_LISTEN_KEY in msg.lower():
        return ControlMessage(ident, code, msg, invalid_listen_key=True, reason=msg, raw=raw)
    if (code in (None, 0)) and "@" in msg:
        return ControlMessage(ident, code, msg, channels=_split_channels(msg), raw=raw)
    return ControlMessage(ident, code, msg, reason=msg or None, raw=raw)


def control_from_text(text: str) -> ControlMessage:
    """A non-JSON text frame, e.g. ``Invalid listen key``."""
    stripped = text.strip()
    invalid = _INVALID_LISTEN_KEY in stripped.lower()
    return ControlMessage(
        None,
        None,
        stripped,
        is_pong=stripped.upper() == "PONG",
        invalid_listen_key=invalid,
        reason=stripped if invalid else None,
        raw=text,
    )
