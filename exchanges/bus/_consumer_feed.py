"""OrderedFeed: one JetStream ordered consumer over exactly the subjects a consumer process wants.

Ordered consumers detect a missed message or a lost server (idle heartbeats) and recreate themselves
from the last stream sequence delivered, so a NATS restart or reconnect loses nothing the stream
stored. Changing the subject set recreates the consumer from the last sequence as well (no loss, no
repeat). Each message is handed on as ``(channel, symbol, payload)``; one whose subject or payload is
malformed is counted in ``bus.malformed`` and skipped (the first one is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from exchanges.errors import ProtocolError
from exchanges.metrics import MetricsRegistry
from exchanges.models import Symbol

from ._subjects import Subjects

logger = logging.getLogger("exchanges.bus.consumer")

EventHandler = Callable[[str, Symbol, bytes], None]
"""Takes ``(channel, symbol, payload)``; raises ProtocolError/ValueError/KeyError for bad input."""


class OrderedFeed:
    """The ordered consumer of one process (see module doc)."""

    def __init__(
        self, subjects: Subjects, on_event: EventHandler, *, metrics: MetricsRegistry, idle_heartbeat: float
    ) -> None:
        self.subjects = subjects
        self._on_event = on_event
        self._idle_heartbeat = idle_heartbeat
        self._sub: Any = None
        self.last_sequence = 0
        """Stream sequence of the last message received (0: none yet)."""
        self._first_error_logged = False
        self._m_malformed = metrics.counter("bus.malformed")

    async def follow(self, js: JetStreamContext, filter_subjects: Sequence[str]) -> None:
        """(Re)create the ordered consumer over ``filter_subjects``, from the last sequence seen
        (new messages only before the first one); none at all for an empty set."""
        await self.close()
        subjects = sorted(filter_subjects)
        if not subjects:
            return
        if self.last_sequence:
            config = ConsumerConfig(
                filter_subjects=subjects,
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=self.last_sequence + 1,
            )
        else:
            config = ConsumerConfig(filter_subjects=subjects, deliver_policy=DeliverPolicy.NEW)
        self._sub = await js.subscribe(
            subjects[0],
            stream=self.subjects.stream,
            cb=self._on_msg,
            ordered_consumer=True,
            idle_heartbeat=self._idle_heartbeat,
            config=config,
        )

    async def close(self) -> None:
        old, self._sub = self._sub, None
        if old is not None:
            try:
                await old.unsubscribe()
            except Exception as exc:  # the connection is gone, and with it the ephemeral consumer
                logger.debug("bus subscription not unsubscribed: %r", exc)

    async def _on_msg(self, msg: Msg) -> None:
        try:
            self.last_sequence = msg.metadata.sequence.stream
        except Exception:
            self._m_malformed.inc()
            return
        try:
            channel, symbol = self.subjects.parse(msg.subject)
            self._on_event(channel, symbol, msg.data)
        except (ProtocolError, ValueError, KeyError) as exc:
            self._m_malformed.inc()
            if not self._first_error_logged:
                self._first_error_logged = True
                logger.warning(
                    "malformed bus message on %s skipped (counted in bus.malformed): %s", msg.subject, exc
                )
