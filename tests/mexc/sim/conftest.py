"""Fixtures for simulator tests: a running simulator and a tiny signed client written with plain aiohttp."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from yarl import URL

from exchanges_mexc.sim import MexcSimulator, SimAccount


class PlainClient:
    """Independent MEXC REST client (HMAC-SHA256 over the query string), no project code involved."""

    def __init__(
        self, session: aiohttp.ClientSession, sim: MexcSimulator, account: SimAccount | None
    ) -> None:
        self.session = session
        self.sim = sim
        self.account = account

    async def public(self, path: str, **params: Any) -> tuple[int, Any]:
        async with self.session.get(self.sim.rest_url + path, params=params) as resp:
            return resp.status, await resp.json(content_type=None)

    async def signed(
        self, method: str, path: str, *, account: SimAccount | None = None, **params: Any
    ) -> tuple[int, Any]:
        acct = account or self.account
        assert acct is not None
        params.setdefault("timestamp", self.sim.now_ms())
        query = urlencode({k: str(v) for k, v in params.items()})
        sig = hmac.new(acct.secret_key.encode(), query.encode(), hashlib.sha256).hexdigest()
        url = f"{self.sim.rest_url}{path}?{query}&signature={sig}"
        # encoded=True: send exactly the bytes that were signed (yarl would re-quote ':' and ',').
        headers = {"X-MEXC-APIKEY": acct.api_key}
        async with self.session.request(method, URL(url, encoded=True), headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


@pytest.fixture
async def sim() -> AsyncIterator[MexcSimulator]:
    """A still simulator (no flow): BTCUSDT, ETHUSDT, a sell-only and an API-blocked pair."""
    overrides: dict[str, dict[str, Any]] = {
        "SELLUSDT": {"trade_side_type": 3},
        "NOAPIUSDT": {"api_tradable": False},
    }
    simulator = MexcSimulator(
        symbols=("BTCUSDT", "ETHUSDT", "SELLUSDT", "NOAPIUSDT"),
        seed=7,
        market_rate=0,
        symbol_overrides=overrides,
        history_minutes=120,
        ticker_interval=0.2,
        kline_interval=0.2,
    )
    async with simulator:
        yield simulator


@pytest.fixture
async def client(sim: MexcSimulator) -> AsyncIterator[PlainClient]:
    """Plain client with a funded account."""
    account = sim.create_account(
        {"USDT": "100000", "BTC": "10", "ETH": "100", "SELL": "1000", "NOAPI": "1000"}
    )
    async with aiohttp.ClientSession() as session:
        yield PlainClient(session, sim, account)
