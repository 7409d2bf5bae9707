"""Wallet endpoints: coin config, withdraw life cycle and cancel, deposits; TOML accounts."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from exchanges_mexc.sim import MexcSimulator
from exchanges_mexc.sim.config import load_sim_file


async def test_withdraw_lifecycle_and_cancel(sim: MexcSimulator, client: Any) -> None:
    status, coins = await client.signed("GET", "/api/v3/capital/config/getall")
    usdt = next(c for c in coins if c["coin"] == "USDT")
    assert {n["netWork"] for n in usdt["networkList"]} == {"TRX", "ETH", "BSC", "SOL"}
    status, err = await client.signed(
        "POST", "/api/v3/capital/withdraw", coin="USDT", address="T1", amount="1", netWork="TRX"
    )
    assert (status, err["code"]) == (400, 10097)  # below withdrawMin
    status, err = await client.signed(
        "POST", "/api/v3/capital/withdraw", coin="USDT", address="T1", amount="999999", netWork="TRX"
    )
    assert (status, err["code"]) == (400, 10101)
    status, first = await client.signed(
        "POST",
        "/api/v3/capital/withdraw",
        coin="USDT",
        address="T1",
        amount="100",
        netWork="TRX",
        withdrawOrderId="w1",
    )
    assert status == 200, first
    assert sim.engine.balances_of(client.account)["USDT"] == (Decimal(99900), Decimal(100))
    status, second = await client.signed(
        "POST", "/api/v3/capital/withdraw", coin="USDT", address="T2", amount="50"
    )
    status, canceled = await client.signed("DELETE", "/api/v3/capital/withdraw", id=second["id"])
    assert (status, canceled) == (200, {"id": second["id"]})
    sim.capital.advance(first["id"])
    status, history = await client.signed("GET", "/api/v3/capital/withdraw/history", coin="USDT")
    by_id = {h["id"]: h for h in history}
    assert by_id[first["id"]]["status"] == 7
    assert by_id[first["id"]]["transactionFee"] == "1"
    assert by_id[first["id"]]["withdrawOrderId"] == "w1"
    assert by_id[first["id"]]["txId"]
    assert by_id[second["id"]]["status"] == 9
    assert sim.engine.balances_of(client.account)["USDT"] == (Decimal(99900), Decimal(0))
    status, err = await client.signed("DELETE", "/api/v3/capital/withdraw", id=first["id"])
    assert status == 400


async def test_withdraw_timer_and_deposits(client: Any) -> None:
    sim: MexcSimulator = client.sim
    sim.capital.step_seconds = 0.05
    status, w = await client.signed(
        "POST", "/api/v3/capital/withdraw", coin="BTC", address="bc1q", amount="0.01"
    )
    assert status == 200, w
    for _ in range(100):
        await asyncio.sleep(0.05)
        if sim.capital.withdrawals[w["id"]].status == 7:
            break
    assert sim.capital.withdrawals[w["id"]].status == 7
    sim.deposit(client.account, "USDT", "250", "TRX")
    status, deposits = await client.signed("GET", "/api/v3/capital/deposit/hisrec", coin="USDT")
    assert [(d["amount"], d["status"], d["network"]) for d in deposits] == [("250", 5, "TRX")]
    status, addresses = await client.signed(
        "GET", "/api/v3/capital/deposit/address", coin="USDT", network="TRX"
    )
    assert addresses[0]["address"].startswith("T")
    assert addresses[0]["network"] == "TRX"


async def test_toml_accounts(tmp_path: Path) -> None:
    path = tmp_path / "sim.toml"
    path.write_text(
        '[[account]]\napi_key = "mx0vtoml"\nsecret_key = "s3cr3t"\n'
        'balances = { USDT = "5000", BTC = "1" }\n\n'
        "[symbols.ETHUSDT]\ntrade_side_type = 2\n",
        encoding="utf-8",
    )
    async with MexcSimulator(symbols=("BTCUSDT",), market_rate=0, history_minutes=5) as sim:
        [acct] = sim.load_accounts(path)
        assert (acct.api_key, acct.secret_key) == ("mx0vtoml", "s3cr3t")
        assert sim.engine.balances_of(acct)["USDT"] == (Decimal(5000), Decimal(0))
        assert "s3cr3t" not in repr(acct)
    assert load_sim_file(path).symbols == {"ETHUSDT": {"trade_side_type": 2}}


async def test_rest_public_shapes(client: Any) -> None:
    status, klines = await client.public("/api/v3/klines", symbol="BTCUSDT", interval="5m", limit=3)
    assert status == 200
    assert len(klines) == 3
    assert all(len(row) == 8 for row in klines)
    assert klines[0][6] - klines[0][0] == 300_000
    status, _err = await client.public("/api/v3/klines", symbol="BTCUSDT", interval="1h")
    assert status == 400
    status, info = await client.public("/api/v3/exchangeInfo", symbols="BTCUSDT,SELLUSDT")
    specs = {s["symbol"]: s for s in info["symbols"]}
    assert specs["SELLUSDT"]["tradeSideType"] == 3
    assert specs["BTCUSDT"]["status"] == "1"
    assert specs["BTCUSDT"]["filters"][0]["filterType"] == "PERCENT_PRICE_BY_SIDE"
    status, default = await client.public("/api/v3/defaultSymbols")
    assert default["code"] == 0
    assert "NOAPIUSDT" not in default["data"]
    for path in ("/api/v3/ticker/24hr", "/api/v3/ticker/price", "/api/v3/ticker/bookTicker"):
        status, one = await client.public(path, symbol="ETHUSDT")
        status, every = await client.public(path)
        assert one["symbol"] == "ETHUSDT"
        assert isinstance(every, list)
        assert len(every) == 4
    status, avg = await client.public("/api/v3/avgPrice", symbol="BTCUSDT")
    assert avg["mins"] == 5
    assert Decimal(avg["price"]) > 0
    async with aiohttp.ClientSession() as session, session.get(client.sim.rest_url + "/api/v3/nope") as resp:
        assert resp.status == 404


async def test_warmup_events_leave_trades_and_a_moved_book_before_serving() -> None:
    async with (
        MexcSimulator(symbols=("BTCUSDT",), market_rate=0, history_minutes=5) as cold,
        MexcSimulator(symbols=("BTCUSDT",), market_rate=0, history_minutes=5, warmup_events=60) as warm,
        aiohttp.ClientSession() as http,
    ):
        results = {}
        for name, sim in (("cold", cold), ("warm", warm)):
            async with http.get(f"{sim.rest_url}/api/v3/trades", params={"symbol": "BTCUSDT"}) as resp:
                trades = await resp.json()
            async with http.get(f"{sim.rest_url}/api/v3/depth", params={"symbol": "BTCUSDT"}) as resp:
                depth = await resp.json()
            results[name] = (len(trades), int(depth["lastUpdateId"]))
    assert results["cold"][0] == 0
    assert results["warm"][0] > 0  # market orders of the warm-up traded against the book
    assert results["warm"][1] > results["cold"][1]  # and the book moved (more versions)
