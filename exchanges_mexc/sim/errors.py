"""The simulator's one error type: a MEXC error code, message and HTTP status (400 unless told)."""

from __future__ import annotations


class SimError(Exception):
    """Raised inside the simulator; the REST layer turns it into ``{"code": code, "msg": msg}``."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status

    def to_json(self) -> dict[str, object]:
        """The MEXC error body."""
        return {"code": self.code, "msg": self.msg}
