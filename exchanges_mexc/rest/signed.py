"""The signed-request layer shared by the MEXC trading, account, capital and listen-key calls.

* One :class:`~exchanges.transport.rest.RestTransport` with :class:`~exchanges_mexc.auth.MexcSigner`,
  the MEXC classifier and the shared rate limiter (UID + IP pools).
* The signer's clock is a :class:`~exchanges_mexc.rest.clock.ServerClock`: synced before the first
  signed request, and again when MEXC answers 700003 (timestamp outside recvWindow), after which
  that request is sent once more. A 700003 request was refused before processing, so re-sending it
  (even an order) can never duplicate anything.
* ``{code, msg}`` error envelopes inside 2xx answers are raised like HTTP errors.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import ClockSkewError
from exchanges.metrics import MetricsRegistry
from exchanges.strategies import ExponentialBackoffRetry
from exchanges.transport.rest import RestTransport, SendTrace
from exchanges_mexc import constants as c
from exchanges_mexc.auth import MexcSigner
from exchanges_mexc.errors import MexcErrorClassifier, envelope_in_body, is_error_envelope
from exchanges_mexc.rest.clock import ServerClock
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.settings import mexc_settings

logger = logging.getLogger("exchanges.mexc.rest.signed")

Params = list[tuple[str, str]] | Mapping[str, Any] | None


class MexcSignedClient:
    """Sends signed MEXC requests (see the module docstring). Owned by MexcPrivateSpotRest."""

    def __init__(
        self,
        config: ExchangeConfig,
        credentials: Credentials,
        *,
        public: MexcPublicSpotRest,
        metrics: MetricsRegistry,
    ) -> None:
        self.config = config
        self.public = public
        self.clock = ServerClock(public.get_server_time, warning_ms=config.clock_skew_warning_ms)
        self.signer = MexcSigner(
            credentials.api_key,
            credentials.secret_key,
            recv_window_ms=mexc_settings(config).recv_window_ms,
            clock=self.clock,
        )
        self.classifier: MexcErrorClassifier = public.classifier
        self.costs = public.costs
        retry = ExponentialBackoffRetry(max_attempts=config.max_retries + 1, base_delay=config.retry_delay)
        self.transport = RestTransport(
            config.rest_url,
            name=c.EXCHANGE_NAME,
            metrics=metrics,
            timeout=config.request_timeout,
            connect_timeout=config.connect_timeout,
            pool_size=config.connection_pool_size,
            max_retry_after=config.max_retry_after,
            max_body_bytes=config.max_response_bytes,
            reserved_connections=config.order_reserved_connections,
            retry=retry,  # ClockSkewError is not retryable: resynced below instead
            limiter=public.limiter,
            classifier=self.classifier,
            signer=self.signer,
        )

    def __repr__(self) -> str:
        return f"MexcSignedClient(api_key={self.signer.masked_api_key!r})"

    async def close(self) -> None:
        await self.transport.close()

    async def request(
        self,
        endpoint: c.Endpoint,
        params: Params = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - per-request HTTP timeout
        idempotent: bool | None = None,
        context: Mapping[str, Any] | None = None,
        raw: bool = False,
        priority: bool | None = None,
        trace: SendTrace | None = None,
    ) -> Any:
        """Send one signed request; returns the JSON body (with ``raw=True`` its bytes, for a ``parsing``
        function that decodes them once into its typed shape). Resyncs the clock once on 700003.

        ``priority`` and ``trace``: see :meth:`RestTransport.request`; the trace's ``signed_at`` is the
        signing time of the attempt sent last (after a clock resync, the second one)."""
        if not self.clock.synced:
            await self.clock.sync()
        resynced = False
        while True:
            try:
                data = await self.transport.request(
                    endpoint.method,
                    endpoint.path,
                    params,
                    signed=True,
                    cost=self.costs.cost(endpoint),
                    idempotent=idempotent,
                    timeout=timeout,
                    context=context,
                    raw=raw,
                    priority=priority,
                    trace=trace,
                )
            except ClockSkewError:
                if resynced:
                    raise
                resynced = True
                logger.warning(
                    "MEXC refused the timestamp of %s %s (700003); resyncing the clock and sending once more",
                    endpoint.method,
                    endpoint.path,
                )
                await self.clock.sync()
                continue
            envelope = envelope_in_body(data) if raw else data if is_error_envelope(data) else None
            if envelope is not None:
                raise self.classifier.from_envelope(envelope, where=f"{endpoint.method} {endpoint.path}")
            return data
