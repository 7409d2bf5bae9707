"""The gateway's self-report and self-check: publish rates, its member record, stuck held symbols.

* :class:`PublishRates`: messages per second of each published channel since the last update
  (shown by ``status`` through the member record);
* :func:`member_info`: the record a gateway writes to the members bucket on each lease keep-alive;
* :class:`StuckSymbols`: which held symbols have not been served (book LIVE and published) for
  ``stuck_after`` seconds, so the gateway gives their leases back (see :mod:`._gateway`).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable

from exchanges.metrics import MetricsRegistry
from exchanges.models import Symbol

from ._leases import LeaseManager
from ._publisher import PUBLISHED
from .parsing._control import MemberInfo

logger = logging.getLogger("exchanges.bus.gateway")


class PublishRates:
    """Per-channel publish rates, measured between two calls of :meth:`update` (the sole owner)."""

    def __init__(self, metrics: MetricsRegistry) -> None:
        self.metrics = metrics
        self.rates: dict[str, float] = {}
        self._rate_base: tuple[float, dict[str, int]] = (time.monotonic(), {})

    def update(self) -> None:
        now = time.monotonic()
        base_time, base = self._rate_base
        current = {ch: self.metrics.value(f"bus.publish.{ch}") for ch in PUBLISHED}
        elapsed = max(now - base_time, 1e-6)
        self.rates = {ch: round((current[ch] - base.get(ch, 0)) / elapsed, 1) for ch in current}
        self._rate_base = (now, current)


def member_info(
    gateway_id: str,
    *,
    started: float,
    leases: LeaseManager | None,
    rates: dict[str, float],
    metrics: MetricsRegistry,
    channels: list[str],
) -> MemberInfo:
    """The gateway's member record: who and where it is, what it holds, how fast and well it publishes."""
    lag = metrics.histogram("bus.publish.exchange_lag")
    return MemberInfo(
        id=gateway_id,
        host=socket.gethostname(),
        pid=os.getpid(),
        started=started,
        symbols=sorted(leases.held) if leases is not None else [],
        lease_ages=leases.lease_ages() if leases is not None else {},
        rates=dict(rates),
        lag_ms=round(lag.quantile(0.5) * 1000, 1) if lag.count else 0.0,
        publish_errors=metrics.value("bus.publish.failed"),
        sent_at=time.time(),
        channels=channels,
        trade_gaps=metrics.value("bus.publish.gap"),
    )


class StuckSymbols:
    """Since when each held symbol has not been served; the sole owner of that record."""

    def __init__(self, gateway_id: str, metrics: MetricsRegistry) -> None:
        self.gateway_id = gateway_id
        self._unhealthy_since: dict[Symbol, float] = {}
        self._m_stuck = metrics.counter("bus.gateway.stuck_given_back")

    def due(
        self, held: Iterable[Symbol], serving: Callable[[Symbol], bool], stuck_after: float
    ) -> list[Symbol]:
        """The held symbols not served for ``stuck_after`` seconds now (read on each call: settings
        may change at run time); forgotten once returned, counted and logged (the caller gives them back)."""
        now = time.monotonic()
        held = set(held)
        for symbol in list(self._unhealthy_since):
            if symbol not in held or serving(symbol):
                del self._unhealthy_since[symbol]
        stuck: list[Symbol] = []
        for symbol in held:
            if serving(symbol):
                continue
            since = self._unhealthy_since.setdefault(symbol, now)
            if now - since >= stuck_after:
                stuck.append(symbol)
        if not stuck:
            return stuck
        for symbol in stuck:
            self._unhealthy_since.pop(symbol, None)
        self._m_stuck.inc(len(stuck))
        logger.warning(
            "gateway %s: %d held symbols not LIVE and published for %gs (%s): resubscribing elsewhere",
            self.gateway_id,
            len(stuck),
            stuck_after,
            ", ".join(str(s) for s in sorted(stuck, key=str)[:5]),
        )
        return stuck
