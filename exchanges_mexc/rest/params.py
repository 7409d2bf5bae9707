"""Query parameters shared by several signed MEXC endpoints."""

from __future__ import annotations


def window_params(
    start_time: int | None, end_time: int | None, limit: int, max_limit: int
) -> list[tuple[str, str]]:
    """``limit`` clamped to ``1..max_limit``, plus ``startTime``/``endTime`` (ms) when given."""
    params = [("limit", str(max(1, min(limit, max_limit))))]
    if start_time is not None:
        params.append(("startTime", str(start_time)))
    if end_time is not None:
        params.append(("endTime", str(end_time)))
    return params
