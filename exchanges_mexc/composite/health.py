"""Health checks behind ``health_check()`` (the seed spec's "Health Monitoring" fields).

* ``rest_connectivity``      ``GET /api/v3/ping`` answered;
* ``websocket_connectivity`` the streams' connections are up; with no stream running, a short probe
  connection to the WebSocket URL answers a ``PING`` with ``PONG`` (so the check means something
  before the first subscription, and never leaves a socket open);
* ``authentication``         (private only) a signed ``GET /api/v3/account`` succeeded;
* ``protobuf_parsing``       a ``PushDataV3ApiWrapper`` frame built here is decoded by the same
  :class:`~exchanges_mexc.parsing.MexcFrameDecoder` the streams use, into the expected record;
* ``overall``                every check above passed.

Each check catches its own failure (logged at WARNING with the reason, never with credentials)
so one failing part never hides the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

import aiohttp

from exchanges.errors import AuthenticationError, ExchangeError
from exchanges.metrics import MetricsRegistry
from exchanges.models import AssetName, Order, Side, Symbol, Trade
from exchanges_mexc._proto import (
    PrivateOrdersV3Api_pb2,
    PublicAggreDealsV3Api_pb2,
    PushDataV3ApiWrapper_pb2,
)
from exchanges_mexc.parsing import MexcFrameDecoder
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.symbols import MexcSymbolMapper

logger = logging.getLogger("exchanges.mexc.health")

PROBE_SYMBOL = Symbol(AssetName("BTC"), AssetName("USDT"))
_PING = '{"method":"PING"}'


def build_public_test_frame(now_ms: int | None = None) -> bytes:
    """A binary ``spot@public.aggre.deals`` push of one BUY trade of 0.5 BTC at 43210.5 USDT."""
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    deals = PublicAggreDealsV3Api_pb2.PublicAggreDealsV3Api(
        deals=[
            PublicAggreDealsV3Api_pb2.PublicAggreDealsV3ApiItem(
                price="43210.5", quantity="0.5", tradeType=1, time=stamp
            )
        ],
        eventType="spot@public.aggre.deals.v3.api.pb@100ms",
    )
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper(
        channel="spot@public.aggre.deals.v3.api.pb@100ms@BTCUSDT",
        symbol="BTCUSDT",
        sendTime=stamp,
        publicAggreDeals=deals,
    )
    return wrapper.SerializeToString()


def build_private_test_frame(now_ms: int | None = None) -> bytes:
    """A binary ``spot@private.orders`` push of one new LIMIT BUY order (0.5 BTC at 43210.5)."""
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    order = PrivateOrdersV3Api_pb2.PrivateOrdersV3Api(
        id="C02__health",
        clientId="health-check",
        price="43210.5",
        quantity="0.5",
        amount="21605.25",
        avgPrice="0",
        orderType=1,
        tradeType=1,
        remainAmount="21605.25",
        remainQuantity="0.5",
        cumulativeQuantity="0",
        cumulativeAmount="0",
        status=1,
        createTime=stamp,
    )
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper(
        channel="spot@private.orders.v3.api.pb",
        symbol="BTCUSDT",
        sendTime=stamp,
        privateOrders=order,
    )
    return wrapper.SerializeToString()


def check_public_parsing() -> bool:
    """Decode :func:`build_public_test_frame` and compare the trade with what was encoded."""
    try:
        decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
        events = decoder.decode(build_public_test_frame())
        ok = (
            len(events) == 1
            and isinstance(events[0], Trade)
            and events[0].symbol == PROBE_SYMBOL
            and events[0].price == 43210.5
            and events[0].quantity == 0.5
            and events[0].side is Side.BUY
        )
    except Exception as error:  # a health check reports, it never raises
        logger.warning("MEXC protobuf self-test failed: %s: %s", type(error).__name__, error)
        return False
    if not ok:
        logger.warning("MEXC protobuf self-test decoded an unexpected result")
    return ok


def check_private_parsing() -> bool:
    """Decode :func:`build_private_test_frame` and compare the order with what was encoded."""
    try:
        decoder = MexcFrameDecoder(MexcSymbolMapper(), MetricsRegistry())
        events = decoder.decode(build_private_test_frame())
        ok = (
            len(events) == 1
            and isinstance(events[0], Order)
            and events[0].symbol == PROBE_SYMBOL
            and events[0].price == Decimal("43210.5")
            and events[0].side is Side.BUY
        )
    except Exception as error:
        logger.warning("MEXC private protobuf self-test failed: %s: %s", type(error).__name__, error)
        return False
    if not ok:
        logger.warning("MEXC private protobuf self-test decoded an unexpected result")
    return ok


async def probe_websocket(url: str, within: float) -> bool:
    """Open a throw-away connection to ``url``, send ``PING``, expect ``PONG`` within ``within`` s."""
    try:
        async with (
            asyncio.timeout(within),
            aiohttp.ClientSession() as session,
            session.ws_connect(url, autoping=True, heartbeat=None) as ws,
        ):
            await ws.send_str(_PING)
            while True:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT and "PONG" in message.data:
                    return True
                if message.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    logger.warning("MEXC WebSocket probe: %s closed the connection", url)
                    return False
    except TimeoutError:
        logger.warning("MEXC WebSocket probe: no PONG from %s within %.1f s", url, within)
    except (aiohttp.ClientError, OSError) as error:
        logger.warning("MEXC WebSocket probe: cannot connect to %s: %s", url, type(error).__name__)
    return False


async def public_health(
    rest: MexcPublicSpotRest, stream_connected: bool | None, *, bus_connected: bool | None = None
) -> dict[str, bool]:
    """The public composite's health fields; ``stream_connected`` None: no stream is open, so probe;
    ``bus_connected`` None: streams do not come from a market-data bus (no ``bus_connectivity``)."""
    config = rest.config
    health: dict[str, bool] = {}
    health["rest_connectivity"] = await rest.ping()
    if stream_connected is not None:
        health["websocket_connectivity"] = stream_connected
    else:
        health["websocket_connectivity"] = await probe_websocket(
            config.ws_url, max(config.connect_timeout, 1.0)
        )
    health["protobuf_parsing"] = check_public_parsing()
    if bus_connected is not None:
        health["bus_connectivity"] = bus_connected
    health["overall"] = all(health.values())
    if not health["overall"]:
        failed = ", ".join(name for name, ok in health.items() if not ok and name != "overall")
        logger.error("MEXC health check failed: %s", failed)
    return health


async def private_health(rest: MexcPrivateSpotRest, stream_connected: bool | None) -> dict[str, bool]:
    """The private composite's health fields; ``stream_connected`` None: no user stream, so probe."""
    config = rest.config
    health: dict[str, bool] = {}
    health["rest_connectivity"] = await rest.public.ping()
    if stream_connected is not None:
        health["websocket_connectivity"] = stream_connected
    else:
        health["websocket_connectivity"] = await probe_websocket(
            config.ws_url, max(config.connect_timeout, 1.0)
        )
    try:
        await rest.get_account()
        health["authentication"] = True
    except AuthenticationError as error:
        logger.error("MEXC authentication failed: %s", error)
        health["authentication"] = False
    except ExchangeError as error:
        logger.warning("MEXC authentication check could not run: %s", error)
        health["authentication"] = False
    health["protobuf_parsing"] = check_private_parsing()
    health["overall"] = all(health.values())
    if not health["overall"]:
        failed = ", ".join(name for name, ok in health.items() if not ok and name != "overall")
        logger.error("MEXC health check failed: %s", failed)
    return health
