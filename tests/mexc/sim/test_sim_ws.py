"""WebSocket behaviour with plain aiohttp ws_connect: control messages, protobuf pushes, rules, faults."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
import msgspec

from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2
from exchanges_mexc.sim import MexcSimulator

DEPTH = "spot@public.aggre.depth.v3.api.pb@10ms@BTCUSDT"


def decode(data: bytes) -> Any:
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper()
    wrapper.ParseFromString(data)
    return wrapper


def _json(message: dict[str, Any]) -> str:
    """A client request as the text frame MEXC expects."""
    return msgspec.json.encode(message).decode()


async def recv_text(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        msg = await asyncio.wait_for(ws.receive(), 5)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return dict(msgspec.json.decode(msg.data))
        assert msg.type == aiohttp.WSMsgType.BINARY, msg


async def recv_push(ws: aiohttp.ClientWebSocketResponse, body: str | None = None) -> Any:
    while True:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), msg
        if msg.type == aiohttp.WSMsgType.BINARY:
            wrapper = decode(msg.data)
            if body is None or wrapper.WhichOneof("body") == body:
                return wrapper


async def test_control_messages(sim: MexcSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(sim.ws_url) as ws:
        await ws.send_str('{"method":"PING"}')
        assert await recv_text(ws) == {"id": 0, "code": 0, "msg": "PONG"}
        await ws.send_str('{"method":"ping"}')
        assert (await recv_text(ws))["msg"] == "PONG"
        chans = [DEPTH, "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"]
        await ws.send_str(_json({"method": "SUBSCRIPTION", "params": chans, "id": 7}))
        assert await recv_text(ws) == {"id": 7, "code": 0, "msg": ",".join(chans)}
        for bad in (
            "spot@public.deals.v3.api@BTCUSDT",
            "spot@public.aggre.deals.v3.api.pb@100ms@btcusdt",
            "spot@public.limit.depth.v3.api.pb@BTCUSDT@7",
            "spot@private.orders.v3.api.pb",
        ):
            await ws.send_str(_json({"method": "SUBSCRIPTION", "params": [bad], "id": 8}))
            reply = await recv_text(ws)
            assert reply == {
                "id": 8,
                "code": 0,
                "msg": f"Not Subscribed successfully! [{bad}].  Reason： Blocked! ",
            }
        await ws.send_str(_json({"method": "UNSUBSCRIPTION", "params": [DEPTH], "id": 9}))
        assert await recv_text(ws) == {"id": 9, "code": 0, "msg": DEPTH}
        # cap: 1 left subscribed + 29 more = 30; the 31st is refused
        kl = [
            f"spot@public.kline.v3.api.pb@{s}@{i}"
            for s in ("BTCUSDT", "ETHUSDT", "SELLUSDT")
            for i in ("Min1", "Min5", "Min15", "Min30", "Min60", "Hour4", "Hour8", "Day1", "Week1", "Month1")
        ]
        await ws.send_str(_json({"method": "SUBSCRIPTION", "params": kl, "id": 10}))
        replies = [await recv_text(ws), await recv_text(ws)]
        assert {
            "id": 10,
            "code": 0,
            "msg": f"Not Subscribed successfully! [{kl[-1]}].  Reason： Blocked! ",
        } in replies
        assert {"id": 10, "code": 0, "msg": ",".join(kl[:29])} in replies


async def test_depth_stream_continues_rest_snapshot(sim: MexcSimulator) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(sim.ws_url) as ws:
        await ws.send_str(_json({"method": "SUBSCRIPTION", "params": [DEPTH], "id": 1}))
        await recv_text(ws)
        async with session.get(
            f"{sim.rest_url}/api/v3/depth", params={"symbol": "BTCUSDT", "limit": "5000"}
        ) as r:
            snap = await r.json()
        book = {("BUY", Decimal(p)): Decimal(q) for p, q in snap["bids"]}
        book.update({("SELL", Decimal(p)): Decimal(q) for p, q in snap["asks"]})
        version = snap["lastUpdateId"]
        assert isinstance(version, int)
        for _ in range(5):
            await sim.market.step(20)
            push = await recv_push(ws, "publicAggreDepths")
            body = push.publicAggreDepths
            assert push.channel == DEPTH
            assert push.symbol == "BTCUSDT"
            assert int(body.fromVersion) == version + 1, (body.fromVersion, version)
            version = int(body.toVersion)
            for side, levels in (("BUY", body.bids), ("SELL", body.asks)):
                for item in levels:
                    if Decimal(item.quantity) == 0:
                        book.pop((side, Decimal(item.price)), None)
                    else:
                        book[(side, Decimal(item.price))] = Decimal(item.quantity)
            bids, asks, engine_version = sim.engine.book_levels("BTCUSDT")
            assert engine_version == version  # flow is paused: one push covers each step
            expected = {("BUY", p): q for p, q in bids} | {("SELL", p): q for p, q in asks}
            assert book == expected
        sim.faults.skip_depth_version("BTCUSDT")
        await sim.market.step(10)
        push = await recv_push(ws, "publicAggreDepths")
        assert int(push.publicAggreDepths.fromVersion) == version + 2


async def test_public_channels_all_push(sim: MexcSimulator) -> None:
    chans = {
        "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT": "publicAggreDeals",
        "spot@public.limit.depth.v3.api.pb@BTCUSDT@5": "publicLimitDepths",
        "spot@public.aggre.bookTicker.v3.api.pb@100ms@BTCUSDT": "publicAggreBookTicker",
        "spot@public.bookTicker.batch.v3.api.pb@BTCUSDT": "publicBookTickerBatch",
        "spot@public.kline.v3.api.pb@BTCUSDT@Min1": "publicSpotKline",
        "spot@public.miniTicker.v3.api.pb@BTCUSDT@UTC+8": "publicMiniTicker",
        "spot@public.miniTickers.v3.api.pb@UTC+5:30": "publicMiniTickers",
    }
    async with aiohttp.ClientSession() as session, session.ws_connect(sim.ws_url) as ws:
        await ws.send_str(_json({"method": "SUBSCRIPTION", "params": list(chans), "id": 1}))
        await recv_text(ws)
        seen: dict[str, Any] = {}
        for _ in range(200):
            if len(seen) == len(chans):
                break
            await sim.market.step(3)
            try:
                push = await asyncio.wait_for(recv_push(ws), 0.5)
            except TimeoutError:
                continue
            seen.setdefault(push.WhichOneof("body"), push)
        assert set(seen) == set(chans.values())
        limit = seen["publicLimitDepths"].publicLimitDepths
        assert len(limit.asks) == 5
        assert len(limit.bids) == 5
        assert int(limit.version) > 0
        kline = seen["publicSpotKline"].publicSpotKline
        assert kline.interval == "Min1"
        assert kline.windowEnd - kline.windowStart == 60
        assert len(seen["publicMiniTickers"].publicMiniTickers.items) == 4
        deal = seen["publicAggreDeals"].publicAggreDeals.deals[0]
        assert deal.tradeType in (1, 2)
        assert Decimal(deal.price) > 0


async def test_private_stream(sim: MexcSimulator, client: Any) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(sim.ws_url + "?listenKey=nope") as bad:
            msg = await asyncio.wait_for(bad.receive(), 5)
            assert (msg.type, msg.data) == (aiohttp.WSMsgType.TEXT, "Invalid listen key")
            assert (await asyncio.wait_for(bad.receive(), 5)).type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
            )
        status, data = await client.signed("POST", "/api/v3/userDataStream")
        key = data["listenKey"]
        async with session.ws_connect(f"{sim.ws_url}?listenKey={key}") as ws:
            chans = [
                "spot@private.account.v3.api.pb",
                "spot@private.orders.v3.api.pb",
                "spot@private.deals.v3.api.pb",
            ]
            await ws.send_str(_json({"method": "SUBSCRIPTION", "params": chans, "id": 2}))
            assert (await recv_text(ws))["msg"] == ",".join(chans)
            status, placed = await client.signed(
                "POST",
                "/api/v3/order",
                symbol="BTCUSDT",
                side="BUY",
                type="MARKET",
                quoteOrderQty="100",
                newClientOrderId="ws-1",
            )
            assert status == 200
            kinds: dict[str, list[Any]] = {"privateOrders": [await recv_push(ws, "privateOrders")]}
            while "privateDeals" not in kinds or kinds["privateOrders"][-1].privateOrders.status not in (
                2,
                5,
            ):
                push = await recv_push(ws)
                kinds.setdefault(push.WhichOneof("body"), []).append(push)
            final = kinds["privateOrders"][-1].privateOrders
            assert (final.id, final.clientId, final.orderType, final.tradeType) == (
                placed["orderId"],
                "ws-1",
                5,
                1,
            )
            assert final.status in (2, 5)
            deal = kinds["privateDeals"][0].privateDeals
            assert (deal.orderId, deal.tradeType, deal.isMaker, deal.feeCurrency) == (
                placed["orderId"],
                1,
                False,
                "BTC",
            )
            account = kinds["privateAccount"][0]
            assert account.privateAccount.vcoinName == "USDT"
            assert not account.HasField("symbol")
            sim.faults.expire_listen_key(key)
            while True:
                msg = await asyncio.wait_for(ws.receive(), 5)
                if msg.type != aiohttp.WSMsgType.BINARY:
                    break
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        status, data = await client.signed("PUT", "/api/v3/userDataStream", listenKey=key)
        assert status == 400


async def test_delete_listen_key_closes_its_sockets(sim: MexcSimulator, client: Any) -> None:
    _, data = await client.signed("POST", "/api/v3/userDataStream")
    key = data["listenKey"]
    channel = "spot@private.orders.v3.api.pb"
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{sim.ws_url}?listenKey={key}") as ws:
        await ws.send_str(_json({"method": "SUBSCRIPTION", "params": [channel], "id": 1}))
        assert (await recv_text(ws))["msg"] == channel
        assert sim.ws.private_subscribers(client.account.uid, channel)
        status, _ = await client.signed("DELETE", "/api/v3/userDataStream", listenKey=key)
        assert status == 200
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert not sim.ws.private_subscribers(client.account.uid, channel)
        assert channel not in sim.ws.channels
        assert not sim.ws.by_symbol


async def test_connection_rules_and_drop() -> None:
    sim = MexcSimulator(
        symbols=("BTCUSDT",), market_rate=0, ws_no_sub_timeout=0.3, ws_idle_timeout=0.6, history_minutes=5
    )
    async with sim, aiohttp.ClientSession() as session:
        async with session.ws_connect(sim.ws_url) as lonely:
            msg = await asyncio.wait_for(lonely.receive(), 5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        quiet = "spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT"
        async with session.ws_connect(sim.ws_url) as idle:
            await idle.send_str(_json({"method": "SUBSCRIPTION", "params": [quiet]}))
            assert (await recv_text(idle))["id"] == 0
            msg = await asyncio.wait_for(idle.receive(), 5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        async with session.ws_connect(sim.ws_url) as kept:
            await kept.send_str(_json({"method": "SUBSCRIPTION", "params": [quiet]}))
            await recv_text(kept)
            for _ in range(6):  # PING every 0.2 s keeps it past the 0.6 s idle limit
                await asyncio.sleep(0.2)
                await kept.send_str('{"method":"PING"}')
                assert (await recv_text(kept))["msg"] == "PONG"
            sim.faults.drop_connections()
            msg = await asyncio.wait_for(kept.receive(), 5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
