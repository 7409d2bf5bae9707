"""``PublicExchangeConformance``: pytest checks of the market-data contract for any plugin."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from exchanges.capabilities import (
    ALL_CAPABILITIES,
    SupportsAllTickers,
    SupportsBalance,
    SupportsBatchOrders,
    SupportsBookTickerStream,
    SupportsKlineHistory,
    SupportsKlineStream,
    SupportsOrderBookStream,
    SupportsTickerStream,
    SupportsTradeStream,
    SupportsTrading,
    SupportsUserStream,
    SupportsWithdrawal,
)
from exchanges.errors import ExchangeClosedError, SymbolNotSupported
from exchanges.interfaces import PrivateExchange, PublicExchange
from exchanges.models import BookState, Kline, KlineInterval, Symbol
from exchanges.registry import ExchangeSpec
from exchanges.testing._breadth import check_all_tickers, check_kline_history
from exchanges.testing._checks import (
    assert_valid_book_ticker,
    assert_valid_orderbook,
    assert_valid_symbols_info,
    assert_valid_ticker,
    assert_valid_trades,
)
from exchanges.testing._contract import expect

PRIVATE_ONLY = (SupportsTrading, SupportsBalance, SupportsWithdrawal, SupportsUserStream, SupportsBatchOrders)


async def first_item(iterator: AsyncIterator[Any], seconds: float) -> Any:
    """The next item of an async iterator, or a test failure after ``seconds``."""
    try:
        return await asyncio.wait_for(anext(iterator), seconds)
    except TimeoutError:
        pytest.fail(f"no stream item within {seconds} s")
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None and inspect.iscoroutinefunction(close):
            await close()


async def stream_round_trip(
    start: Awaitable[None],
    stop: Callable[..., Awaitable[None]],
    items: Callable[[], AsyncIterator[Any]],
    check: Callable[[Any], object],
    symbol: Symbol,
    wait_seconds: float | None,
) -> None:
    """Start a stream, check its first item within ``wait_seconds`` (None: do not wait for data),
    stop the symbol, then stop everything again (stopping twice is harmless)."""
    await start
    try:
        if wait_seconds is not None:
            check(await first_item(items(), wait_seconds))
    finally:
        await stop([symbol])
    await stop()


def assert_valid_kline(kline: Any, symbol: Symbol) -> None:
    assert isinstance(kline, Kline), f"iter_klines must yield Kline, got {type(kline).__name__}"
    assert kline.symbol == symbol, f"kline is for {kline.symbol}, expected {symbol}"
    assert kline.low <= kline.close <= kline.high, f"kline must satisfy low <= close <= high: {kline}"


def spec_for(exchange: Any) -> ExchangeSpec:
    """The installed spec registered under ``exchange.name`` (the default ``exchange_spec`` fixture)."""
    from exchanges.plugins import ExchangesPluginManager

    return ExchangesPluginManager().registry.get(exchange.name)


class PublicExchangeConformance:
    """Subclass as ``TestXxx`` and override the fixtures; every ``test_*`` checks one contract point.

    Required fixtures: ``public_exchange`` (an initialized exchange; close it in teardown) and
    ``known_symbol``. Optional: ``exchange_spec`` (default: the installed spec with the exchange's
    name), ``unknown_symbol``, ``stream_timeout`` (seconds) and ``expect_stream_data`` (False when
    the market is still, so stream tests only check start/stop).
    """

    @pytest_asyncio.fixture
    async def public_exchange(self) -> AsyncIterator[PublicExchange]:
        """Override: yield an initialized exchange and close it afterwards."""
        pytest.fail("override the public_exchange fixture with your initialized exchange")
        yield  # pragma: no cover - makes this an async generator fixture like the overrides

    @pytest.fixture
    def known_symbol(self) -> Symbol:
        pytest.fail("override the known_symbol fixture with a symbol your exchange lists")

    @pytest.fixture
    def unknown_symbol(self) -> Symbol:
        return Symbol("NOSUCHCOIN", "NOSUCHQUOTE")

    @pytest.fixture
    def exchange_spec(self, public_exchange: PublicExchange) -> ExchangeSpec:
        return spec_for(public_exchange)

    @pytest.fixture
    def stream_timeout(self) -> float:
        return 10.0

    @pytest.fixture
    def expect_stream_data(self) -> bool:
        return True

    # -- REST contract -----------------------------------------------------------------------------

    async def test_is_public_exchange(self, public_exchange: PublicExchange) -> None:
        assert isinstance(public_exchange, PublicExchange), (
            f"public_exchange must be a PublicExchange subclass, got {type(public_exchange).__name__}"
        )
        assert not isinstance(public_exchange, PrivateExchange), "the two domains must stay separate"
        expect(
            isinstance(public_exchange.name, str) and public_exchange.name,
            (
                "the exchange needs a non-empty str attribute 'name' (its spec name), "
                f"got {public_exchange.name!r}"
            ),
        )
        assert isinstance(public_exchange.symbols, tuple), (
            "the exchange's 'symbols' attribute must be a tuple of Symbol (store tuple(symbols) in the "
            f"constructor), got {type(public_exchange.symbols).__name__}"
        )

    async def test_symbols_info(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        assert_valid_symbols_info(await public_exchange.get_symbols_info(), known_symbol)

    async def test_orderbook(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        book = assert_valid_orderbook(await public_exchange.get_orderbook(known_symbol, 20), known_symbol)
        expect(book.bids or book.asks, "the known symbol's book is empty")

    async def test_recent_trades(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        assert_valid_trades(await public_exchange.get_recent_trades(known_symbol, 50), known_symbol)

    async def test_ticker(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        assert_valid_ticker(await public_exchange.get_ticker(known_symbol), known_symbol)

    async def test_book_ticker(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        assert_valid_book_ticker(await public_exchange.get_book_ticker(known_symbol), known_symbol)

    async def test_klines(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        klines = await public_exchange.get_klines(known_symbol, KlineInterval.MINUTE_1, limit=10)
        assert isinstance(klines, list), (
            f"get_klines must return a list of Kline, got {type(klines).__name__}"
        )
        for kline in klines:
            assert isinstance(kline, Kline), f"expected Kline items, got {type(kline).__name__}"
            assert kline.symbol == known_symbol, f"kline is for {kline.symbol}, expected {known_symbol}"
            assert kline.low <= min(kline.open, kline.close) <= max(kline.open, kline.close) <= kline.high, (
                f"kline must satisfy low <= open, close <= high, got {kline}"
            )
        opens = [kline.open_time for kline in klines]
        assert opens == sorted(opens), "klines must be oldest first"

    async def test_server_time_and_ping(self, public_exchange: PublicExchange) -> None:
        server_time = await public_exchange.get_server_time()
        expect(
            isinstance(server_time, int) and server_time > 0,
            (f"get_server_time must return positive int epoch milliseconds, got {server_time!r}"),
        )
        pong = await public_exchange.ping()
        assert pong is True, f"ping() must return True when the exchange answers, got {pong!r}"

    async def test_unknown_symbol_raises(
        self, public_exchange: PublicExchange, unknown_symbol: Symbol
    ) -> None:
        with pytest.raises(SymbolNotSupported):
            await public_exchange.get_orderbook(unknown_symbol)
        with pytest.raises(SymbolNotSupported):
            await public_exchange.get_ticker(unknown_symbol)
        with pytest.raises(SymbolNotSupported):
            await public_exchange.get_recent_trades(unknown_symbol)

    async def test_health_and_metrics(self, public_exchange: PublicExchange) -> None:
        health = await public_exchange.health_check()
        expect(
            isinstance(health, dict) and "overall" in health,
            (f"health_check must return a dict of bools with an 'overall' key, got {health!r}"),
        )
        assert all(isinstance(value, bool) for value in health.values()), (
            f"every health_check value must be a bool, got {health!r}"
        )
        metrics = public_exchange.get_performance_metrics()
        assert isinstance(metrics, dict), (
            f"get_performance_metrics must return a dict, got {type(metrics).__name__}"
        )

    # -- capabilities ------------------------------------------------------------------------------

    async def test_declared_capabilities(
        self, public_exchange: PublicExchange, exchange_spec: ExchangeSpec
    ) -> None:
        assert public_exchange.name == exchange_spec.name, (
            f"exchange.name must equal its spec's name {exchange_spec.name!r}, got {public_exchange.name!r}"
        )
        for capability in exchange_spec.public_capabilities:
            assert isinstance(public_exchange, ALL_CAPABILITIES[capability]), (
                f"spec declares {capability!r} but the public exchange lacks its methods"
            )
        for protocol in PRIVATE_ONLY:
            assert not isinstance(public_exchange, protocol), (
                f"a public exchange must not offer {protocol.__name__}"
            )

    # -- streams -----------------------------------------------------------------------------------

    async def test_orderbook_stream_lifecycle(
        self,
        public_exchange: PublicExchange,
        known_symbol: Symbol,
        stream_timeout: float,
        expect_stream_data: bool,
    ) -> None:
        if not isinstance(public_exchange, SupportsOrderBookStream):
            pytest.skip("no orderbook_stream capability")
        await public_exchange.start_orderbook_stream([known_symbol])
        try:
            if expect_stream_data:
                try:
                    await public_exchange.wait_orderbook_ready([known_symbol], stream_timeout)
                except TimeoutError as error:
                    raise AssertionError(f"wait_orderbook_ready: local book not LIVE: {error}") from None
                assert public_exchange.orderbook_state(known_symbol) is BookState.LIVE, (
                    "wait_orderbook_ready returned but orderbook_state is not LIVE"
                )
                assert_valid_orderbook(public_exchange.get_local_orderbook(known_symbol, 10), known_symbol)
        finally:
            await public_exchange.stop_orderbook_stream([known_symbol])
        await public_exchange.stop_orderbook_stream()  # stopping again is harmless

    async def test_trade_stream_lifecycle(
        self,
        public_exchange: PublicExchange,
        known_symbol: Symbol,
        stream_timeout: float,
        expect_stream_data: bool,
    ) -> None:
        if not isinstance(public_exchange, SupportsTradeStream):
            pytest.skip("no trade_stream capability")
        exchange = public_exchange
        await stream_round_trip(
            exchange.start_trades_stream([known_symbol]),
            exchange.stop_trades_stream,
            exchange.iter_trades,
            lambda trade: assert_valid_trades([trade], known_symbol),
            known_symbol,
            stream_timeout if expect_stream_data else None,
        )

    async def test_ticker_stream_lifecycle(
        self,
        public_exchange: PublicExchange,
        known_symbol: Symbol,
        stream_timeout: float,
        expect_stream_data: bool,
    ) -> None:
        if not isinstance(public_exchange, SupportsTickerStream):
            pytest.skip("no ticker_stream capability")
        exchange = public_exchange
        await stream_round_trip(
            exchange.start_ticker_stream([known_symbol]),
            exchange.stop_ticker_stream,
            exchange.iter_tickers,
            lambda ticker: assert_valid_ticker(ticker, known_symbol),
            known_symbol,
            stream_timeout if expect_stream_data else None,
        )

    async def test_book_ticker_stream_lifecycle(
        self,
        public_exchange: PublicExchange,
        known_symbol: Symbol,
        stream_timeout: float,
        expect_stream_data: bool,
    ) -> None:
        if not isinstance(public_exchange, SupportsBookTickerStream):
            pytest.skip("no book_ticker_stream capability")
        exchange = public_exchange
        await stream_round_trip(
            exchange.start_book_ticker_stream([known_symbol]),
            exchange.stop_book_ticker_stream,
            exchange.iter_book_tickers,
            lambda book: assert_valid_book_ticker(book, known_symbol),
            known_symbol,
            stream_timeout if expect_stream_data else None,
        )

    async def test_kline_stream_lifecycle(
        self,
        public_exchange: PublicExchange,
        known_symbol: Symbol,
        stream_timeout: float,
        expect_stream_data: bool,
    ) -> None:
        if not isinstance(public_exchange, SupportsKlineStream):
            pytest.skip("no kline_stream capability")
        exchange = public_exchange
        await stream_round_trip(
            exchange.start_kline_stream([known_symbol], KlineInterval.MINUTE_1),
            exchange.stop_kline_stream,
            exchange.iter_klines,
            lambda kline: assert_valid_kline(kline, known_symbol),
            known_symbol,
            stream_timeout if expect_stream_data else None,
        )

    # -- breadth -----------------------------------------------------------------------------------

    async def test_all_tickers(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        if not isinstance(public_exchange, SupportsAllTickers):
            pytest.skip("no all_tickers capability")
        await check_all_tickers(public_exchange, known_symbol)

    async def test_kline_history(self, public_exchange: PublicExchange, known_symbol: Symbol) -> None:
        if not isinstance(public_exchange, SupportsKlineHistory):
            pytest.skip("no kline_history capability")
        await check_kline_history(public_exchange, known_symbol, await public_exchange.get_server_time())

    # -- lifecycle ---------------------------------------------------------------------------------

    async def test_close_is_idempotent(self, public_exchange: PublicExchange) -> None:
        await public_exchange.close()
        await public_exchange.close()

    async def test_calls_after_close_raise(
        self, public_exchange: PublicExchange, known_symbol: Symbol
    ) -> None:
        await public_exchange.close()
        with pytest.raises(ExchangeClosedError):
            await public_exchange.get_ticker(known_symbol)
