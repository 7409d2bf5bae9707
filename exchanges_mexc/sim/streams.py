"""When and what to push: engine events feed channel states, timed loops turn them into protobuf frames.

* aggre.deals / aggre.depth / aggre.bookTicker: every 10 ms or 100 ms (the channel's interval), only
  when something changed. aggre.depth carries ``fromVersion..toVersion`` = the book versions since the
  previous push of that channel and the absolute quantities of the levels changed in between, so it
  continues the REST depth ``lastUpdateId`` exactly (faults can skip or repeat a version).
* limit.depth and bookTicker.batch: every 100 ms when the book version moved (and once on subscribe).
* kline: every ``kline_interval`` s; miniTicker(s): every ``ticker_interval`` s.
* private account/orders/deals: immediately, per engine or wallet event of the account.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from exchanges_mexc.sim import pushes
from exchanges_mexc.sim.accounts import BalanceChange
from exchanges_mexc.sim.book import Order, fixed, fmt
from exchanges_mexc.sim.channels import ChannelState, tz_offset_minutes
from exchanges_mexc.sim.engine import EngineListener, PrivateDeal
from exchanges_mexc.sim.history import MINUTE, WS_INTERVALS, PublicTrade, window_end, window_start
from exchanges_mexc.sim.state import PushHub, SimState

log = logging.getLogger("exchanges.mexc.sim.streams")
DAY = 24 * 60 * MINUTE


class Streams(EngineListener):
    """Feeds channel states from engine events and runs the push loops."""

    def __init__(self, sim: SimState, hub: PushHub) -> None:
        self.sim = sim
        self.hub = hub
        sim.engine.listeners.append(self)
        sim.accounts.listeners.append(self.on_balance)

    def start(self) -> list[asyncio.Task[None]]:
        """The push loops."""
        settings = self.hub.settings
        return [
            asyncio.create_task(self._loop(0.01, self._tick_fast), name="mexc-sim-push-10ms"),
            asyncio.create_task(self._loop(0.1, self._tick_slow), name="mexc-sim-push-100ms"),
            asyncio.create_task(self._loop(settings.kline_interval, self._tick_kline), name="mexc-sim-kline"),
            asyncio.create_task(
                self._loop(settings.ticker_interval, self._tick_ticker), name="mexc-sim-ticker"
            ),
        ]

    async def _loop(self, period: float, tick: object) -> None:
        assert callable(tick)
        while True:
            await asyncio.sleep(period)
            try:
                tick()
            except Exception:  # a bug in one push must not stop the stream
                log.exception("push tick failed")

    def init_state(self, state: ChannelState) -> None:
        """A channel got its first subscriber: start its version range at the current book."""
        if state.key.symbol is not None and state.key.kind in ("depth", "limitDepth", "batch", "bookTicker"):
            state.next_from = self.sim.engine.books[state.key.symbol].version + 1

    def _states(self, kind: str) -> list[ChannelState]:
        return [s for s in self.hub.channels.values() if s.key.kind == kind]

    # -- engine events --------------------------------------------------------------------------
    def on_level(self, symbol: str, side: str, price: Decimal, qty: Decimal, version: int) -> None:
        """Remember changed levels for aggre.depth."""
        for state in self.hub.states("depth", symbol):
            state.dirty.add((side, price))

    def on_trade(self, symbol: str, trade: PublicTrade) -> None:
        """Buffer trades for aggre.deals."""
        for state in self.hub.states("deals", symbol):
            state.trades.append(trade)

    def on_deal(self, deal: PrivateDeal) -> None:
        """Private deals push."""
        channel = "spot@private.deals.v3.api.pb"
        if self.hub.private_subscribers(deal.uid, channel):
            self.hub.publish_private(deal.uid, channel, pushes.private_deal(deal, self.sim.now_ms()))

    def on_order(self, order: Order) -> None:
        """Private orders push."""
        channel = "spot@private.orders.v3.api.pb"
        if self.hub.private_subscribers(order.uid, channel):
            self.hub.publish_private(order.uid, channel, pushes.private_order(order, self.sim.now_ms()))

    def on_balance(self, change: BalanceChange) -> None:
        """Private account push (one asset)."""
        channel = "spot@private.account.v3.api.pb"
        if self.hub.private_subscribers(change.uid, channel):
            self.hub.publish_private(change.uid, channel, pushes.private_account(change, self.sim.now_ms()))

    # -- timed pushes ---------------------------------------------------------------------------
    def _tick_fast(self) -> None:
        self._tick_streams("10ms")

    def _tick_slow(self) -> None:
        self._tick_streams("100ms")
        now = self.sim.now_ms()
        engine = self.sim.engine
        for state in list(self.hub.channels.values()):
            kind, symbol = state.key.kind, state.key.symbol
            if kind not in ("limitDepth", "batch") or symbol is None:
                continue
            book = engine.books[symbol]
            if book.version == state.last_version:
                continue
            state.last_version = book.version
            if kind == "limitDepth":
                level = int(state.key.param)
                frame = pushes.limit_depth(
                    state.channel,
                    symbol,
                    book.levels("SELL", level),
                    book.levels("BUY", level),
                    book.version,
                    book.last_order_time,
                    now,
                    self.places(symbol),
                )
            else:
                frame = pushes.book_ticker_batch(
                    state.channel,
                    symbol,
                    book.top(),
                    book.version,
                    book.last_order_time,
                    now,
                    self.places(symbol),
                )
            self.hub.publish(state, frame)

    def _tick_streams(self, interval: str) -> None:
        now = self.sim.now_ms()
        engine = self.sim.engine
        for state in list(self.hub.channels.values()):
            key = state.key
            if key.param != interval or key.symbol is None:
                continue
            symbol = key.symbol
            if key.kind == "deals" and state.trades:
                trades, state.trades = state.trades, []
                self.hub.publish(
                    state,
                    pushes.aggre_deals(state.channel, symbol, interval, trades, now, self.places(symbol)),
                )
            elif key.kind == "depth" and state.dirty:
                self._push_depth(state, symbol, interval, now)
            elif key.kind == "bookTicker":
                book = engine.books[symbol]
                best = book.top()
                if best != state.last_best:
                    state.last_best = best
                    frame = pushes.aggre_book_ticker(
                        state.channel,
                        symbol,
                        best,
                        book.version,
                        book.last_order_time,
                        now,
                        self.places(symbol),
                    )
                    self.hub.publish(state, frame)

    def _push_depth(self, state: ChannelState, symbol: str, interval: str, now: int) -> None:
        book = self.sim.engine.books[symbol]
        dirty, state.dirty = state.dirty, set()
        asks = sorted((p, book.level_qty("SELL", p)) for side, p in dirty if side == "SELL")
        bids = sorted(((p, book.level_qty("BUY", p)) for side, p in dirty if side == "BUY"), reverse=True)
        from_v, to_v = state.next_from, book.version
        fault = self.sim.faults.take_depth_fault(symbol)
        if fault > 0 and from_v >= to_v:
            # A one-version push cannot start a version later without claiming a version the book
            # does not have yet (the client would then be legitimately "ahead" of every snapshot):
            # keep the fault for the next push that covers two versions or more.
            self.sim.faults.skip_depth_version(symbol)
        elif fault > 0:
            from_v += 1
        elif fault < 0:
            from_v -= 1
        to_v = max(to_v, from_v)
        state.next_from = to_v + 1
        if self.sim.faults.take_depth_drop(symbol):
            return  # lost: these changes never reach the client
        frame = pushes.aggre_depth(
            state.channel,
            symbol,
            interval,
            asks,
            bids,
            from_v,
            to_v,
            book.last_order_time,
            now,
            self.places(symbol),
        )
        self.hub.publish(state, frame)

    def places(self, symbol: str) -> pushes.Places:
        """(price, quantity) decimals of ``symbol``: MEXC pads pushed numbers to them."""
        spec = self.sim.engine.specs[symbol]
        return spec.quote_precision, spec.base_precision

    def _tick_kline(self) -> None:
        now = self.sim.now_ms()
        for state in self._states("kline"):
            assert state.key.symbol is not None
            rest_interval = WS_INTERVALS[state.key.param]
            candle = self.sim.engine.history[state.key.symbol].current(rest_interval, now)
            if candle is None:
                continue
            end = window_end(candle.open_time, rest_interval)
            frame = pushes.kline(state.channel, state.key.symbol, state.key.param, candle, end, now)
            self.hub.publish(state, frame)

    def _tick_ticker(self) -> None:
        now = self.sim.now_ms()
        for state in self._states("miniTicker"):
            assert state.key.symbol is not None
            fields = self.mini_ticker_fields(state.key.symbol, state.key.param, now)
            self.hub.publish(state, pushes.mini_ticker(state.channel, state.key.symbol, fields, now))
        for state in self._states("miniTickers"):
            items = [self.mini_ticker_fields(s, state.key.param, now) for s in self.sim.engine.specs]
            self.hub.publish(state, pushes.mini_tickers(state.channel, items, now))

    def mini_ticker_fields(self, symbol: str, tz: str, now: int) -> dict[str, str]:
        """PublicMiniTickerV3Api fields: rate vs UTC+8 day open, zonedRate vs ``tz`` day open (or 24h)."""
        engine = self.sim.engine
        hist = engine.history[symbol]
        last = engine.ref_price(symbol) or Decimal(0)
        rolling = hist.rolling(now)
        high = rolling.high if rolling else last
        low = rolling.low if rolling else last

        def day_open(offset_min: int | None, day_shift: int = 0) -> Decimal:
            if offset_min is None:
                start = now - DAY
            else:
                off = offset_min * MINUTE
                start = window_start(now + off, "1d") - off - day_shift * DAY
            rows = hist.klines("1m", start, None, 1)
            return rows[0].open if rows else last

        def rate(open_price: Decimal) -> str:
            return fmt(((last - open_price) / open_price).quantize(Decimal("0.0001"))) if open_price else "0"

        zoned_offset = tz_offset_minutes(tz)
        quote_places = self.places(symbol)[0]
        prev_open = day_open(480, 1)
        return {
            "symbol": symbol,
            "price": fmt(last),
            "rate": rate(day_open(480)),
            "zonedRate": rate(day_open(zoned_offset)),
            "high": fmt(high),
            "low": fmt(low),
            "volume": fixed(rolling.quote_volume if rolling else Decimal(0), quote_places),
            "quantity": fmt(rolling.volume if rolling else Decimal(0)),
            "lastCloseRate": rate(prev_open),
            "lastCloseZonedRate": rate(day_open(zoned_offset, 1)),
            "lastCloseHigh": fmt(high),
            "lastCloseLow": fmt(low),
        }
