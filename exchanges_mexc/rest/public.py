"""MexcPublicSpotRest: MEXC spot market-data REST client (no credentials).

One pooled :class:`~exchanges.transport.rest.RestTransport` with the MEXC error classifier and the
IP-pool rate limits of :mod:`exchanges_mexc.rest.limits`. Every response goes through the
``exchanges_mexc.parsing`` functions; nothing here builds models from JSON itself.

Symbol rules (exchangeInfo + defaultSymbols) are cached for ``config.symbol_info_ttl`` seconds; once
stale they keep being served while one background task refreshes them, so a slow exchangeInfo
(thousands of symbols) never stalls an order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from exchanges.config import ExchangeConfig
from exchanges.errors import ExchangeConnectionError, ExchangeError, SymbolNotSupported
from exchanges.metrics import MetricsRegistry
from exchanges.models import BookTicker, Kline, KlineInterval, OrderBook, Symbol, SymbolInfo, Ticker, Trade
from exchanges.ratelimit import RateLimiter
from exchanges.strategies import ExponentialBackoffRetry
from exchanges.tasks import cancel_and_wait, finish_then_reraise
from exchanges.transport.rest import RestTransport
from exchanges_mexc import constants as c
from exchanges_mexc.errors import MexcErrorClassifier, envelope_in_body, is_error_envelope
from exchanges_mexc.parsing.enums import rest_interval
from exchanges_mexc.parsing.market import (
    parse_agg_trades,
    parse_avg_price,
    parse_book_ticker_json,
    parse_book_tickers_json,
    parse_depth_snapshot,
    parse_klines,
    parse_rest_trades,
    parse_server_time,
    parse_ticker_24h,
    parse_ticker_price,
    parse_ticker_prices,
    parse_tickers_24h,
)
from exchanges_mexc.parsing.reference import parse_default_symbols, parse_exchange_info
from exchanges_mexc.rest.limits import EndpointCosts, build_limiter
from exchanges_mexc.symbols import MexcSymbolMapper

logger = logging.getLogger("exchanges.mexc.rest.public")

MISSING_SYMBOL_REFRESH_AFTER = 30.0
"""Seconds: an unknown symbol forces an exchangeInfo refresh if the cache is at least this old."""


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(int(value), high))


class MexcPublicSpotRest:
    """MEXC spot public REST endpoints (API.md §3). Use as ``async with`` or call :meth:`close`."""

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        metrics: MetricsRegistry | None = None,
        limiter: RateLimiter | None = None,
        symbol_mapper: MexcSymbolMapper | None = None,
    ) -> None:
        self.config = config
        self.metrics = metrics if metrics is not None else MetricsRegistry()
        self.limiter = limiter if limiter is not None else build_limiter(config)
        self.costs = EndpointCosts(config)
        self.symbol_mapper = symbol_mapper if symbol_mapper is not None else MexcSymbolMapper()
        self.classifier = MexcErrorClassifier()
        self.transport = RestTransport(
            config.rest_url,
            name=c.EXCHANGE_NAME,
            metrics=self.metrics,
            timeout=config.request_timeout,
            connect_timeout=config.connect_timeout,
            pool_size=config.connection_pool_size,
            max_retry_after=config.max_retry_after,
            max_body_bytes=config.max_response_bytes,
            reserved_connections=config.order_reserved_connections,
            retry=ExponentialBackoffRetry(max_attempts=config.max_retries + 1, base_delay=config.retry_delay),
            limiter=self.limiter,
            classifier=self.classifier,
        )
        self._infos: dict[Symbol, SymbolInfo] | None = None
        self._infos_at = 0.0
        self._infos_lock = asyncio.Lock()
        self._refresh_task: asyncio.Task[None] | None = None
        self._default_symbols: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"MexcPublicSpotRest(rest_url={self.config.rest_url!r})"

    async def __aenter__(self) -> MexcPublicSpotRest:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop the background refresh and close the HTTP session. Idempotent."""
        task, self._refresh_task = self._refresh_task, None
        # A caller cancelled meanwhile still gets the session closed, then its CancelledError back.
        await finish_then_reraise(self._close_now(task), name="mexc-public-rest-close")

    async def _close_now(self, refresh: asyncio.Task[None] | None) -> None:
        await cancel_and_wait(refresh)  # its own end (cancelled, or an error) is not the caller's
        await self.transport.close()

    # ------------------------------------------------------------------ plumbing

    async def request(
        self, endpoint: c.Endpoint, params: Mapping[str, Any] | None = None, *, all_symbols: bool = False
    ) -> Any:
        """Send one unsigned request and return the JSON body (raises on MEXC error envelopes)."""
        data = await self.transport.request(
            endpoint.method, endpoint.path, params, cost=self.costs.cost(endpoint, all_symbols=all_symbols)
        )
        if is_error_envelope(data):
            raise self.classifier.from_envelope(data, where=f"{endpoint.method} {endpoint.path}")
        return data

    async def request_body(
        self, endpoint: c.Endpoint, params: Mapping[str, Any] | None = None, *, all_symbols: bool = False
    ) -> bytes:
        """Like :meth:`request`, but the body's bytes, for a ``parsing`` function that decodes them once
        into its typed shape (raises on MEXC error envelopes)."""
        body: bytes = await self.transport.request(
            endpoint.method,
            endpoint.path,
            params,
            cost=self.costs.cost(endpoint, all_symbols=all_symbols),
            raw=True,
        )
        envelope = envelope_in_body(body)
        if envelope is not None:
            raise self.classifier.from_envelope(envelope, where=f"{endpoint.method} {endpoint.path}")
        return body

    def pair(self, symbol: Symbol) -> str:
        """``Symbol("BTC", "USDT")`` -> ``"BTCUSDT"``."""
        return self.symbol_mapper.to_pair(symbol)

    # ------------------------------------------------------------------ general

    async def ping(self) -> bool:
        """True when the REST API answers ``/api/v3/ping``."""
        try:
            await self.request(c.PING)
        except ExchangeError as error:
            logger.warning("MEXC ping failed: %s", error)
            return False
        return True

    async def get_server_time(self) -> int:
        """MEXC's clock in milliseconds."""
        return parse_server_time(await self.request_body(c.TIME))

    # ------------------------------------------------------------------ reference data

    async def get_default_symbols(self) -> frozenset[Symbol]:
        """Symbols MEXC lists as tradable through the API (``/api/v3/defaultSymbols``)."""
        pairs = parse_default_symbols(await self.request_body(c.DEFAULT_SYMBOLS))
        self._default_symbols = pairs
        result: set[Symbol] = set()
        for pair in pairs:
            try:
                result.add(self.symbol_mapper.to_symbol(pair))
            except SymbolNotSupported:
                logger.debug("defaultSymbols lists %s, which no known quote asset splits", pair)
        return frozenset(result)

    async def get_exchange_info(self, *, force: bool = False) -> dict[Symbol, SymbolInfo]:
        """Rules of every listed symbol; cached ``symbol_info_ttl`` seconds, stale served while refreshing."""
        cached = self._infos
        caching = self.config.enable_symbol_caching
        if cached is not None and not force and caching:
            if time.monotonic() - self._infos_at >= self.config.symbol_info_ttl:
                self._schedule_refresh()
            return cached
        generation = self._infos_at
        async with self._infos_lock:
            if self._infos is not None and self._infos_at != generation and caching:
                return self._infos  # another caller refreshed while we waited
            return await self._load_infos()

    get_symbols_info = get_exchange_info

    async def get_symbol_info(self, symbol: Symbol) -> SymbolInfo | None:
        """One symbol's rules, None when MEXC does not list it (a new listing triggers one refresh)."""
        infos = await self.get_exchange_info()
        info = infos.get(symbol)
        if info is None and time.monotonic() - self._infos_at >= MISSING_SYMBOL_REFRESH_AFTER:
            info = (await self.get_exchange_info(force=True)).get(symbol)
        return info

    def peek_symbol_info(self, symbol: Symbol) -> SymbolInfo | None:
        """``symbol``'s rules from a fresh cache, without awaiting; None when the cache is empty,
        stale, disabled or lacks the symbol (then :meth:`get_symbol_info` decides)."""
        infos = self._infos
        config = self.config
        if (
            infos is None
            or not config.enable_symbol_caching
            or time.monotonic() - self._infos_at >= config.symbol_info_ttl
        ):
            return None
        return infos.get(symbol)

    async def _load_infos(self) -> dict[Symbol, SymbolInfo]:
        try:
            self._default_symbols = parse_default_symbols(await self.request_body(c.DEFAULT_SYMBOLS))
        except (ExchangeError, ValueError) as error:
            # Unreachable server: exchangeInfo is about to fail with the same error and say so, so
            # this one is only a detail (DEBUG). Other failures matter on their own (WARNING).
            level = logging.DEBUG if isinstance(error, ExchangeConnectionError) else logging.WARNING
            logger.log(level, "MEXC defaultSymbols unavailable (%s); using isSpotTradingAllowed alone", error)
        infos = parse_exchange_info(await self.request_body(c.EXCHANGE_INFO), self._default_symbols)
        self.symbol_mapper.load(infos)
        self._infos = infos
        self._infos_at = time.monotonic()
        logger.debug("loaded MEXC rules for %d symbols", len(infos))
        return infos

    def _schedule_refresh(self) -> None:
        if self._refresh_task is not None and not self._refresh_task.done():
            return
        self._refresh_task = asyncio.get_running_loop().create_task(self._refresh())

    async def _refresh(self) -> None:
        try:
            async with self._infos_lock:
                await self._load_infos()
        except ExchangeError as error:
            logger.warning("MEXC exchangeInfo refresh failed, serving cached rules: %s", error)

    # ------------------------------------------------------------------ market data

    async def get_orderbook(self, symbol: Symbol, limit: int = 100) -> OrderBook:
        """Depth snapshot with at least ``limit`` levels when available (``version`` = lastUpdateId)."""
        params = {"symbol": self.pair(symbol), "limit": c.pick_depth_limit(limit)}
        return parse_depth_snapshot(symbol, await self.request_body(c.DEPTH, params))

    async def get_recent_trades(self, symbol: Symbol, limit: int = 500) -> list[Trade]:
        """Recent public trades (limit 1..1000)."""
        params = {"symbol": self.pair(symbol), "limit": _clamp(limit, 1, c.MAX_TRADES_LIMIT)}
        return parse_rest_trades(symbol, await self.request_body(c.TRADES, params))

    async def get_agg_trades(
        self, symbol: Symbol, limit: int = 500, start_time: int | None = None, end_time: int | None = None
    ) -> list[Trade]:
        """Aggregate trades; MEXC needs ``start_time`` and ``end_time`` together or neither."""
        if (start_time is None) != (end_time is None):
            raise ValueError("MEXC aggTrades needs start_time and end_time together, or neither")
        params: dict[str, Any] = {"symbol": self.pair(symbol), "limit": _clamp(limit, 1, c.MAX_TRADES_LIMIT)}
        if start_time is not None:
            params.update(startTime=start_time, endTime=end_time)
        return parse_agg_trades(symbol, await self.request_body(c.AGG_TRADES, params))

    async def get_klines(
        self,
        symbol: Symbol,
        interval: KlineInterval,
        limit: int = 500,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> list[Kline]:
        """Candles oldest first; HOUR_8 is not offered by MEXC REST (raises before sending)."""
        params: dict[str, Any] = {
            "symbol": self.pair(symbol),
            "interval": rest_interval(interval),
            "limit": _clamp(limit, 1, c.MAX_KLINES_LIMIT),
            "startTime": start_time,
            "endTime": end_time,
        }
        return parse_klines(symbol, interval, await self.request_body(c.KLINES, params))

    async def get_avg_price(self, symbol: Symbol) -> float:
        """MEXC's current average price (``/api/v3/avgPrice``, 5-minute window)."""
        return parse_avg_price(await self.request_body(c.AVG_PRICE, {"symbol": self.pair(symbol)}))

    async def get_ticker(self, symbol: Symbol) -> Ticker:
        """24 h rolling statistics of one symbol."""
        return parse_ticker_24h(symbol, await self.request_body(c.TICKER_24HR, {"symbol": self.pair(symbol)}))

    async def get_tickers(self, symbols: Sequence[Symbol] | None = None) -> dict[Symbol, Ticker]:
        """24 h statistics of every symbol (weight 40), optionally filtered to ``symbols``."""
        rows = await self.request_body(c.TICKER_24HR, all_symbols=True)
        tickers = parse_tickers_24h(rows, self.symbol_mapper.to_symbol)
        return tickers if symbols is None else {s: tickers[s] for s in symbols if s in tickers}

    async def get_price(self, symbol: Symbol) -> float:
        """Last traded price."""
        return parse_ticker_price(await self.request_body(c.TICKER_PRICE, {"symbol": self.pair(symbol)}))

    async def get_prices(self) -> dict[Symbol, float]:
        """Last price of every symbol."""
        rows = await self.request_body(c.TICKER_PRICE, all_symbols=True)
        return parse_ticker_prices(rows, self.symbol_mapper.to_symbol)

    async def get_book_ticker(self, symbol: Symbol) -> BookTicker:
        """Best bid and ask of one symbol."""
        data = await self.request_body(c.BOOK_TICKER, {"symbol": self.pair(symbol)})
        return parse_book_ticker_json(symbol, data)

    async def get_book_tickers(self) -> dict[Symbol, BookTicker]:
        """Best bid and ask of every symbol."""
        rows = await self.request_body(c.BOOK_TICKER, all_symbols=True)
        return parse_book_tickers_json(rows, self.symbol_mapper.to_symbol)

    # ------------------------------------------------------------------ observability

    def get_performance_metrics(self) -> dict[str, Any]:
        """Transport counters/latencies, connection reuse and symbol-cache hit rates."""
        data = self.metrics.snapshot()
        data["connection_reuse_rate"] = self.transport.connection_reuse_rate()
        data.update(self.symbol_mapper.stats())
        return data
