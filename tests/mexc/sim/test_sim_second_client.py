"""The docs/simulator.md example: an independent few-line MEXC client works against the simulator."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp

from exchanges_mexc.sim import MexcSimulator


async def test_independent_client_from_docs() -> None:
    async with MexcSimulator(symbols=("BTCUSDT",), seed=3, market_rate=50.0, history_minutes=10) as sim:
        acct = sim.create_account({"USDT": "10000"})
        base, key, secret = sim.rest_url, acct.api_key, acct.secret_key  # what a user pastes into a client

        # --- the example client from docs/simulator.md ---
        def signed_url(path: str, **params: str) -> str:
            query = urlencode({**params, "timestamp": str(int(time.time() * 1000))})
            sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
            return f"{base}{path}?{query}&signature={sig}"

        async with aiohttp.ClientSession(headers={"X-MEXC-APIKEY": key}) as http:
            async with http.get(f"{base}/api/v3/ticker/price?symbol=BTCUSDT") as r:
                price = float((await r.json())["price"])
            url = signed_url(
                "/api/v3/order", symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="100"
            )
            async with http.post(url) as r:
                order = await r.json()
            async with http.get(signed_url("/api/v3/account")) as r:
                balances = {b["asset"]: b for b in (await r.json())["balances"]}
        # ---
        assert price > 0
        assert order["orderId"].startswith("C02__")
        assert float(balances["BTC"]["free"]) > 0
        assert float(balances["USDT"]["free"]) < 10000
