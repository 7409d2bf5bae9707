"""The simulator's one error type: a MEXC error code and message, answered with HTTP 400."""

from __future__ import annotations


class SimError(Exception):
    """Raised inside the simulator; the REST layer turns it into ``{"code": code, "msg": msg}``."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg

    def to_json(self) -> dict[str, object]:
        """The MEXC error body."""
        return {"code": self.code, "msg": self.msg}


def missing(name: str) -> SimError:
    """700004 for an absent mandatory parameter."""
    return SimError(700004, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")
