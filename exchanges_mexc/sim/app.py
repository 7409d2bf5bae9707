"""``MexcSimulator``: a local MEXC spot exchange (REST + WebSocket) on 127.0.0.1, for tests and paper trading.

::

    async with MexcSimulator(symbols=("BTCUSDT", "ETHUSDT"), seed=1, market_rate=20.0) as sim:
        acct = sim.create_account(balances={"USDT": "100000", "BTC": "10"})
        # point any MEXC client at sim.rest_url (REST base) and sim.ws_url (WebSocket)

Parts: :attr:`engine` (books, orders, balances), :attr:`market` (synthetic flow), :attr:`capital`
(withdrawals/deposits), :attr:`faults`, :attr:`limits`, :attr:`ws` (WebSocket hub).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from exchanges.tasks import cancel_and_wait, finish_then_reraise
from exchanges_mexc.sim import rest_capital, rest_private, rest_public  # noqa: F401  (register routes)
from exchanges_mexc.sim.accounts import AccountStore, SimAccount
from exchanges_mexc.sim.capital import Capital
from exchanges_mexc.sim.config import SimFileConfig, load_sim_file
from exchanges_mexc.sim.engine import MatchingEngine
from exchanges_mexc.sim.faults import Faults
from exchanges_mexc.sim.http import SIM_KEY, dispatch
from exchanges_mexc.sim.limits import RateLimits
from exchanges_mexc.sim.market import SyntheticMarket
from exchanges_mexc.sim.specs import SymbolSpec, make_spec
from exchanges_mexc.sim.state import WsSettings
from exchanges_mexc.sim.ws import WsHub

log = logging.getLogger("exchanges.mexc.sim")


class MexcSimulator:
    """A faithful local MEXC spot v3 server (see docs/simulator.md)."""

    def __init__(
        self,
        symbols: Iterable[str | SymbolSpec] = ("BTCUSDT", "ETHUSDT"),
        seed: int = 1,
        market_rate: float = 20.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        symbol_overrides: Mapping[str, Mapping[str, Any]] | None = None,
        ws_idle_timeout: float = 60.0,
        ws_no_sub_timeout: float = 30.0,
        ws_max_lifetime: float | None = None,
        max_subscriptions: int = 30,
        ws_max_messages_per_second: int = 100,
        ip_weight_limit: int = 500,
        uid_weight_limit: int = 500,
        rate_window: float = 10.0,
        withdraw_step_seconds: float | None = 1.0,
        history_minutes: int = 1440,
        ticker_interval: float = 3.0,
        kline_interval: float = 1.0,
        book_levels: int = 15,
        warmup_events: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.clock_offset_ms = 0
        self.request_log: list[tuple[str, str]] = []
        # Every refused request: (method, path, MEXC code, newClientOrderId if any).
        self.refusal_log: list[tuple[str, str, int, str | None]] = []
        self.closing = asyncio.Event()
        overrides = {k.upper(): v for k, v in (symbol_overrides or {}).items()}
        specs = [s if isinstance(s, SymbolSpec) else make_spec(s, overrides.get(s.upper())) for s in symbols]
        self.accounts = AccountStore(self.now_ms)
        self.engine = MatchingEngine(specs, self.accounts, self.now_ms, id_seed=seed)
        self.capital = Capital(self.accounts, self.now_ms, withdraw_step_seconds)
        for spec in specs:
            self.capital.add_coin(spec.base)
            self.capital.add_coin(spec.quote)
        self.faults = Faults()
        self.limits = RateLimits(ip_weight_limit, uid_weight_limit, rate_window)
        self.market = SyntheticMarket(
            self.engine, self.accounts, seed=seed, rate=market_rate, levels=book_levels
        )
        for spec in specs:
            self.engine.history[spec.symbol].seed(
                spec.initial_price, self.now_ms(), history_minutes, self.market.rng, spec.quote_precision
            )
        self.market.seed_books()
        self.market.run_events(warmup_events)  # recent trades and a moved book before anyone connects
        self.ws = WsHub(
            self,
            WsSettings(
                idle_timeout=ws_idle_timeout,
                no_sub_timeout=ws_no_sub_timeout,
                max_lifetime=ws_max_lifetime,
                max_subscriptions=max_subscriptions,
                max_messages_per_second=ws_max_messages_per_second,
                ticker_interval=ticker_interval,
                kline_interval=kline_interval,
            ),
        )
        self.faults.on_drop_connections = self.ws.drop_all
        self.faults.on_capture_depth = functools.partial(rest_public.depth_answer, self)
        self.faults.on_expire_listen_key = self._expire_listen_key
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- clock and accounts ---------------------------------------------------------------------
    def now_ms(self) -> int:
        """Server time in ms, shifted by :attr:`clock_offset_ms`."""
        return int(time.time() * 1000) + self.clock_offset_ms

    def create_account(
        self,
        balances: Mapping[str, str | int | Decimal] | None = None,
        *,
        api_key: str | None = None,
        secret_key: str | None = None,
    ) -> SimAccount:
        """New account with free balances; returns its credentials."""
        account = self.accounts.create(balances, api_key=api_key, secret_key=secret_key)
        for asset in balances or {}:
            if asset.upper() not in self.capital.coins:
                self.capital.add_coin(asset.upper())
        return account

    def load_accounts(self, path: str | Path) -> list[SimAccount]:
        """Create the accounts of a TOML file (see :mod:`exchanges_mexc.sim.config`)."""
        return self.create_accounts(load_sim_file(path))

    def create_accounts(self, config: SimFileConfig) -> list[SimAccount]:
        """Create the accounts of an already parsed accounts file (:func:`load_sim_file`)."""
        return [
            self.create_account(a.balances, api_key=a.api_key, secret_key=a.secret_key)
            for a in config.accounts
        ]

    def deposit(
        self, account: SimAccount, coin: str, amount: str | Decimal, network: str | None = None
    ) -> None:
        """Credit a completed deposit (shows in deposit/hisrec and on the private account stream)."""
        self.capital.deposit(account, coin, amount, network)

    def _expire_listen_key(self, key: str) -> None:
        self.accounts.expire_listen_key(key)
        self.ws.close_listen_key(key)

    # -- URLs -----------------------------------------------------------------------------------
    @property
    def rest_url(self) -> str:
        """REST base, e.g. ``http://127.0.0.1:PORT`` (paths under /api/v3)."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """WebSocket URL, e.g. ``ws://127.0.0.1:PORT/ws`` (``?listenKey=`` for private)."""
        return f"ws://{self.host}:{self.port}/ws"

    # -- lifecycle ------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        """The aiohttp application (REST under /api/v3, WebSocket at /ws)."""
        app = web.Application()
        app[SIM_KEY] = self
        app.router.add_get("/ws", self.ws.handle)
        app.router.add_route("*", "/api/v3/{tail:.*}", dispatch)
        return app

    async def start(self) -> None:
        """Bind the port and start the market, push and wallet tasks."""
        self.closing.clear()
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])
        self._tasks = [
            asyncio.create_task(self.market.run(), name="mexc-sim-market"),
            asyncio.create_task(self._wallet_loop(), name="mexc-sim-wallet"),
            *self.ws.start(),
        ]
        log.info("MEXC simulator on %s (ws %s)", self.rest_url, self.ws_url)

    async def _wallet_loop(self) -> None:
        while True:
            await asyncio.sleep(0.1)
            self.capital.tick()

    async def stop(self) -> None:
        """Close sockets, stop tasks, release the port (all of it even if the caller is cancelled
        meanwhile; its cancellation is re-raised afterwards)."""
        self.closing.set()
        await finish_then_reraise(self._stop_now(), name="mexc-sim-stop")

    async def _stop_now(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            await cancel_and_wait(task)
        await self.ws.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MexcSimulator:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
