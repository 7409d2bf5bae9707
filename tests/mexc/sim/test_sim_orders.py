"""Orders over plain signed HTTP: matching, balances, fees, order types and MEXC rejections."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from exchanges_mexc.sim import MexcSimulator


async def _inside_spread(client: Any, symbol: str = "BTCUSDT") -> Decimal:
    status, book = await client.public("/api/v3/depth", symbol=symbol, limit=5)
    assert status == 200
    bid, ask = Decimal(book["bids"][0][0]), Decimal(book["asks"][0][0])
    mid = ((bid + ask) / 2).quantize(Decimal("0.01"))
    assert bid < mid < ask
    return mid


async def test_maker_taker_fill_moves_balances_and_fees(sim: MexcSimulator, client: Any) -> None:
    maker = client.account
    taker = sim.create_account({"BTC": "1"})
    price = await _inside_spread(client)
    status, placed = await client.signed(
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT",
        quantity="0.5",
        price=str(price),
        newClientOrderId="maker-1",
    )
    assert status == 200, placed
    assert set(placed) == {
        "symbol",
        "orderId",
        "orderListId",
        "price",
        "origQty",
        "type",
        "side",
        "transactTime",
    }
    cost = price * Decimal("0.5")
    assert sim.engine.balances_of(maker)["USDT"] == (Decimal(100000) - cost, cost)
    status, sold = await client.signed(
        "POST",
        "/api/v3/order",
        account=taker,
        symbol="BTCUSDT",
        side="SELL",
        type="LIMIT",
        quantity="0.2",
        price=str(price),
    )
    assert status == 200, sold
    # maker fee 0 (received BTC), taker fee 0.0005 of the USDT received
    assert sim.engine.balances_of(maker)["BTC"] == (Decimal("10.2"), Decimal(0))
    assert sim.engine.balances_of(maker)["USDT"] == (Decimal(100000) - cost, price * Decimal("0.3"))
    proceeds = price * Decimal("0.2")
    assert sim.engine.balances_of(taker)["USDT"] == (proceeds - proceeds * Decimal("0.0005"), Decimal(0))
    assert sim.engine.balances_of(taker)["BTC"] == (Decimal("0.8"), Decimal(0))
    status, order = await client.signed("GET", "/api/v3/order", symbol="BTCUSDT", origClientOrderId="maker-1")
    assert (status, order["status"], order["executedQty"]) == (200, "PARTIALLY_FILLED", "0.2")
    assert order["orderId"] == placed["orderId"]
    assert order["clientOrderId"] == "maker-1"
    status, trades = await client.signed("GET", "/api/v3/myTrades", symbol="BTCUSDT")
    assert [(t["isMaker"], t["isBuyer"], t["commission"], t["commissionAsset"]) for t in trades] == [
        (True, True, "0", "BTC")
    ]
    status, canceled = await client.signed(
        "DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=placed["orderId"]
    )
    assert (status, canceled["status"]) == (200, "PARTIALLY_CANCELED")
    assert sim.engine.balances_of(maker)["USDT"][1] == 0
    status, again = await client.signed(
        "DELETE", "/api/v3/order", symbol="BTCUSDT", orderId=placed["orderId"]
    )
    assert (status, again["code"]) == (400, -2011)
    status, public = await client.public("/api/v3/trades", symbol="BTCUSDT", limit=1)
    assert Decimal(public[0]["price"]) == price
    assert public[0]["isBuyerMaker"] is True
    assert public[0]["id"] is None


async def test_order_types(sim: MexcSimulator, client: Any) -> None:
    _, book = await client.public("/api/v3/depth", symbol="BTCUSDT", limit=5)
    ask = Decimal(book["asks"][0][0])
    ask_qty = Decimal(book["asks"][0][1])
    status, err = await client.signed(
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY",
        type="LIMIT_MAKER",
        quantity="0.001",
        price=str(ask),
    )
    assert (status, err["code"]) == (400, 30041)
    too_much = ask_qty * 1000
    status, fok = await client.signed(
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY",
        type="FILL_OR_KILL",
        quantity=str(too_much),
        price=str(ask),
    )
    assert status == 200
    _, fok_state = await client.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=fok["orderId"])
    assert (fok_state["status"], fok_state["executedQty"], fok_state["timeInForce"]) == (
        "CANCELED",
        "0",
        "FOK",
    )
    status, ioc = await client.signed(
        "POST",
        "/api/v3/order",
        symbol="BTCUSDT",
        side="BUY",
        type="IMMEDIATE_OR_CANCEL",
        quantity=str(ask_qty * 2),
        price=str(ask),
    )
    _, ioc_state = await client.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=ioc["orderId"])
    assert (ioc_state["status"], Decimal(ioc_state["executedQty"])) == ("PARTIALLY_CANCELED", ask_qty)
    status, mkt = await client.signed(
        "POST", "/api/v3/order", symbol="BTCUSDT", side="BUY", type="MARKET", quoteOrderQty="500"
    )
    assert status == 200, mkt
    _, mkt_state = await client.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=mkt["orderId"])
    assert mkt_state["status"] == "FILLED"
    assert Decimal(mkt_state["cummulativeQuoteQty"]) <= 500
    status, sell = await client.signed(
        "POST", "/api/v3/order", symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.01"
    )
    _, sell_state = await client.signed("GET", "/api/v3/order", symbol="BTCUSDT", orderId=sell["orderId"])
    assert sell_state["status"] == "FILLED"
    assert sell_state["executedQty"] == "0.01"
    assert all(v[0] >= 0 and v[1] >= 0 for v in sim.engine.balances_of(client.account).values())
    assert sim.engine.balances_of(client.account)["USDT"][1] == 0
    assert sim.engine.balances_of(client.account)["BTC"][1] == 0


async def test_rejections(sim: MexcSimulator, client: Any) -> None:
    async def code(**params: Any) -> int:
        status, data = await client.signed("POST", "/api/v3/order", **params)
        assert status == 400, data
        return int(data["code"])

    base = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT"}
    assert await code(**base, quantity="0.0001", price="5000") == 30002  # 0.5 USDT < 1 USDT
    status, data = await client.signed("POST", "/api/v3/order", **base, quantity="0.0001", price="5000")
    assert data["msg"] == "The minimum transaction volume cannot be less than:1USDT"
    assert await code(**base, quantity="40", price="60000") == 30003
    assert await code(**base, quantity="0.0000001", price="60000") == 33333  # 7 decimals > 6
    assert await code(**base, quantity="0.001", price="60000.123") == 33333
    assert await code(**base, quantity="1.9", price="60000") == 30004  # 114k USDT > 100k
    assert await code(**base, quantity="0.001", price="90000") == 30087  # above PERCENT_PRICE_BY_SIDE
    assert await code(symbol="SELLUSDT", side="BUY", type="LIMIT", quantity="10", price="1.5") == 30001
    assert await code(symbol="NOAPIUSDT", side="SELL", type="LIMIT", quantity="10", price="1.5") == 10007
    assert await code(symbol="NOPEUSDT", side="BUY", type="LIMIT", quantity="1", price="1") == 30014
    assert await code(**base, quantity="0.001") == 700004
    ok = {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "2000"}
    status, _ = await client.signed("POST", "/api/v3/order", **ok, newClientOrderId="dup")
    assert status == 200
    assert await code(**ok, newClientOrderId="dup") == 33333
    status, unknown = await client.signed("GET", "/api/v3/order", symbol="ETHUSDT", orderId="C02__1")
    assert (status, unknown["code"]) == (400, -2011)
    status, bad = await client.public("/api/v3/depth", symbol="NOPEUSDT")
    assert (status, bad["code"]) == (400, -1121)
    status, sell_ok = await client.signed(
        "POST", "/api/v3/order", symbol="SELLUSDT", side="SELL", type="LIMIT", quantity="10", price="1.6"
    )
    assert status == 200, sell_ok


async def test_batch_and_lists(sim: MexcSimulator, client: Any) -> None:
    import msgspec

    items = [
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.01",
            "price": "2000",
            "newClientOrderId": "b1",
        },
        {
            "symbol": "ETHUSDT",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.0001",
            "price": "2000",
            "newClientOrderId": "b2",
        },
    ]
    status, result = await client.signed(
        "POST", "/api/v3/batchOrders", batchOrders=msgspec.json.encode(items).decode()
    )
    assert status == 200, result
    assert result[0]["newClientOrderId"] == "b1"
    assert result[0]["orderId"].startswith("C02__")
    assert result[1] == {
        "newClientOrderId": "b2",
        "msg": "The minimum transaction volume cannot be less than:1USDT",
        "code": 30002,
    }
    status, _too_many = await client.signed(
        "POST", "/api/v3/batchOrders", batchOrders=msgspec.json.encode(items * 11).decode()
    )
    assert status == 400
    _, open_orders = await client.signed("GET", "/api/v3/openOrders", symbol="ETHUSDT")
    assert [o["clientOrderId"] for o in open_orders] == ["b1"]
    _, all_orders = await client.signed("GET", "/api/v3/allOrders", symbol="ETHUSDT")
    assert len(all_orders) == 1
    status, canceled = await client.signed("DELETE", "/api/v3/openOrders", symbol="ETHUSDT")
    assert status == 200
    assert [c["status"] for c in canceled] == ["CANCELED"]
    status, test = await client.signed("POST", "/api/v3/order/test", **{**items[0], "newClientOrderId": "t1"})
    assert (status, test) == (200, {})
    status, fee = await client.signed("GET", "/api/v3/tradeFee", symbol="BTCUSDT")
    assert fee["code"] == 0
    assert fee["data"]["takerCommission"] == 0.0005
    status, account = await client.signed("GET", "/api/v3/account")
    assert account["accountType"] == "SPOT"
    assert {"asset": "ETH", "free": "100", "locked": "0"} in account["balances"]


async def test_faults_5xx_books_order_and_429(sim: MexcSimulator, client: Any) -> None:
    sim.faults.fail_next_order("5xx")
    status, _ = await client.signed(
        "POST",
        "/api/v3/order",
        symbol="ETHUSDT",
        side="BUY",
        type="LIMIT",
        quantity="0.01",
        price="2000",
        newClientOrderId="unknown-outcome",
    )
    assert status == 500
    status, order = await client.signed(
        "GET", "/api/v3/order", symbol="ETHUSDT", origClientOrderId="unknown-outcome"
    )
    assert (status, order["status"]) == (200, "NEW")
    sim.faults.force_429(2, retry_after=3)
    async with client.session.get(sim.rest_url + "/api/v3/ping") as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "3"
    status, _ = await client.public("/api/v3/time")
    assert status == 429
    status, _ = await client.public("/api/v3/time")
    assert status == 200
    assert ("GET", "/api/v3/time") in sim.request_log


async def test_weight_limit_429() -> None:
    import aiohttp

    async with (
        MexcSimulator(symbols=("BTCUSDT",), market_rate=0, ip_weight_limit=25, history_minutes=5) as sim,
        aiohttp.ClientSession() as session,
    ):
        statuses = []
        for _ in range(4):  # exchangeInfo weighs 10
            async with session.get(sim.rest_url + "/api/v3/exchangeInfo") as resp:
                statuses.append(resp.status)
                retry = resp.headers.get("Retry-After")
        assert statuses == [200, 200, 429, 429]
        assert retry is not None
        assert int(retry) >= 1
