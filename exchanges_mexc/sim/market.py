"""Synthetic market: seeded random order flow of a market-maker account around a random-walk price.

The market maker's orders live in the same books as users' orders, so users trade against it and its
market orders can fill users' resting orders. ``rate`` is flow events per second per symbol (0 = still,
thousands = a busy book). Tests freeze it with :meth:`pause` and drive it with ``await step(n)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from decimal import ROUND_DOWN, Decimal

from exchanges.models import OrderRequest, OrderType, Side
from exchanges_mexc.sim.accounts import AccountStore, SimAccount
from exchanges_mexc.sim.book import Order
from exchanges_mexc.sim.engine import MatchingEngine
from exchanges_mexc.sim.errors import SimError
from exchanges_mexc.sim.rules import symbol_of
from exchanges_mexc.sim.specs import SymbolSpec

log = logging.getLogger("exchanges.mexc.sim.market")
MM_FUNDS = Decimal("1000000000000")


class SyntheticMarket:
    """Order flow for every symbol of an engine."""

    def __init__(
        self,
        engine: MatchingEngine,
        accounts: AccountStore,
        *,
        seed: int = 1,
        rate: float = 20.0,
        levels: int = 15,
        spacing: float = 0.0005,
        volatility: float = 0.0002,
    ) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.rate = rate
        self.levels = levels
        self.spacing = spacing
        self.volatility = volatility
        assets = {a for s in engine.specs.values() for a in (s.base, s.quote)}
        self.account: SimAccount = accounts.create({a: MM_FUNDS for a in sorted(assets)})
        engine.unlimited_uids.add(self.account.uid)
        self.mid: dict[str, float] = {s.symbol: float(s.initial_price) for s in engine.specs.values()}
        self._paused = asyncio.Event()
        self._paused.set()  # set = running

    # -- control --------------------------------------------------------------------------------
    def pause(self) -> None:
        """Stop the background flow (books stay as they are)."""
        self._paused.clear()

    def resume(self) -> None:
        """Restart the background flow."""
        self._paused.set()

    def run_events(self, n: int) -> None:
        """Run ``n`` flow events per symbol synchronously (warm-up before serving, deterministic tests)."""
        for _ in range(n):
            for symbol in list(self.mid):
                self.event(symbol)

    async def step(self, n: int = 1) -> None:
        """Run ``n`` flow events per symbol now (works while paused)."""
        self.run_events(n)
        await asyncio.sleep(0)

    # -- flow -----------------------------------------------------------------------------------
    def seed_books(self) -> None:
        """Place ``levels`` bids and asks around each initial price."""
        for spec in list(self.engine.specs.values()):
            if spec.symbol not in self.mid:
                self.mid[spec.symbol] = float(spec.initial_price)
            for i in range(1, self.levels + 1):
                for side in ("BUY", "SELL"):
                    self._limit(spec, side, i)

    def _price(self, spec: SymbolSpec, side: str, distance: int) -> Decimal:
        mid = self.mid[spec.symbol]
        offset = max(mid * self.spacing * distance, float(spec.tick) * distance)
        raw = mid - offset if side == "BUY" else mid + offset
        return Decimal(repr(max(raw, float(spec.tick)))).quantize(spec.tick, ROUND_DOWN)

    def _qty(self, spec: SymbolSpec, price: Decimal) -> Decimal:
        notional = Decimal(repr(self.rng.uniform(100.0, 3000.0)))
        qty = (notional / price).quantize(spec.lot, ROUND_DOWN)
        floor = max(spec.min_qty, spec.lot)
        min_for_notional = (Decimal(spec.min_notional) / price).quantize(spec.lot) + spec.lot
        return max(qty, floor, min_for_notional)

    def _place(self, req: OrderRequest) -> None:
        try:
            self.engine.place(self.account.uid, req)
        except SimError as err:
            log.debug("market maker order refused: %s %s", err.code, err.msg)

    def _limit(self, spec: SymbolSpec, side: str, distance: int) -> None:
        price = self._price(spec, side, distance)
        self._place(OrderRequest(symbol_of(spec), Side(side), OrderType.LIMIT, self._qty(spec, price), price))

    def event(self, symbol: str) -> None:
        """One random action on ``symbol``: move the mid, then place, cancel or take."""
        spec = self.engine.specs.get(symbol)
        if spec is None or spec.status != "1":
            return
        rng = self.rng
        self.mid[symbol] *= math.exp(rng.gauss(0.0, self.volatility))
        roll = rng.random()
        mine = self.engine.open_orders(self.account, symbol)
        if roll < 0.45 or len(mine) < self.levels:
            self._limit(spec, rng.choice(("BUY", "SELL")), rng.randint(1, self.levels))
        elif roll < 0.85 or len(mine) > 6 * self.levels:
            victim = self._farthest(symbol, mine) if rng.random() < 0.7 else rng.choice(mine)
            with contextlib.suppress(SimError):
                self.engine.cancel(self.account.uid, symbol, victim.order_id, None)
        else:
            side = rng.choice(("BUY", "SELL"))
            ref = self.engine.ref_price(symbol) or spec.initial_price
            qty = self._qty(spec, ref) / 4 or spec.lot
            self._place(OrderRequest(symbol_of(spec), Side(side), OrderType.MARKET, qty))
        self._trim(spec)

    def _farthest(self, symbol: str, orders: list[Order]) -> Order:
        mid = Decimal(repr(self.mid[symbol]))
        return max(orders, key=lambda o: abs((o.price or mid) - mid))

    def _trim(self, spec: SymbolSpec) -> None:
        """Keep each side non-empty so users can always trade and the book never dries out."""
        book = self.engine.books[spec.symbol]
        for side in ("BUY", "SELL"):
            if book.best(side) is None:
                for i in range(1, 4):
                    self._limit(spec, side, i)

    async def run(self) -> None:
        """Background loop: ``rate`` events per second per symbol while not paused."""
        carry = 0.0
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await self._paused.wait()
            if self.rate <= 0:
                await asyncio.sleep(0.1)
                last = loop.time()
                continue
            await asyncio.sleep(max(0.005, min(0.1, 1.0 / self.rate)))
            now = loop.time()
            carry += (now - last) * self.rate
            last = now
            count = int(carry)
            carry -= count
            for _ in range(min(count, int(self.rate) + 1)):
                for symbol in list(self.mid):
                    self.event(symbol)
