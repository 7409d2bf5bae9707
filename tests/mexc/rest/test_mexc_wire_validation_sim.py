"""Wrong-shape 200 answers on every REST read, through the real client, transport and simulator.

A :class:`ChaosProxy` between the client and the simulator replaces one answer with ``[]``, ``null``,
``{}``, a truncated body or garbage. Invariant: the call raises :class:`ProtocolError` naming the
endpoint (a list endpoint may return an empty list for ``[]``), never an untyped error and never a
record built from nothing; the next call, answered normally, succeeds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from exchanges.config import Credentials
from exchanges.errors import ProtocolError
from exchanges.models import KlineInterval, Symbol
from exchanges.testing.chaos import ChaosProxy, FaultSchedule, HttpFault
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.sim import MexcSimulator

from .conftest import make_config  # type: ignore[import-not-found]

BTC = Symbol("BTC", "USDT")
SHAPES = [
    HttpFault.EMPTY_ARRAY,
    HttpFault.NULL_BODY,
    HttpFault.EMPTY_OBJECT,
    HttpFault.TRUNCATED_JSON,
    HttpFault.GARBAGE,
]
Call = Callable[[MexcPublicSpotRest, MexcPrivateSpotRest], Awaitable[Any]]
READS: dict[str, tuple[str, Call, bool]] = {
    "server time": ("/api/v3/time", lambda pub, _: pub.get_server_time(), False),
    "order book": ("/api/v3/depth", lambda pub, _: pub.get_orderbook(BTC, 20), False),
    "trades": ("/api/v3/trades", lambda pub, _: pub.get_recent_trades(BTC, 5), True),
    "klines": ("/api/v3/klines", lambda pub, _: pub.get_klines(BTC, KlineInterval.MINUTE_1, 5), True),
    "ticker": ("/api/v3/ticker/24hr", lambda pub, _: pub.get_ticker(BTC), False),
    "price": ("/api/v3/ticker/price", lambda pub, _: pub.get_price(BTC), False),
    "book ticker": ("/api/v3/ticker/bookTicker", lambda pub, _: pub.get_book_ticker(BTC), False),
    "account": ("/api/v3/account", lambda _, priv: priv.get_account(), False),
    "open orders": ("/api/v3/openOrders", lambda _, priv: priv.get_open_orders(BTC), True),
    "my trades": ("/api/v3/myTrades", lambda _, priv: priv.get_my_trades(BTC), True),
}
"""name -> (path, call, is a list endpoint)."""


@pytest.fixture
async def clients(
    sim: MexcSimulator,
) -> AsyncIterator[tuple[FaultSchedule, MexcPublicSpotRest, MexcPrivateSpotRest]]:
    account = sim.create_account(balances={"USDT": "100000", "BTC": "10"})
    schedule = FaultSchedule(1)
    async with ChaosProxy(sim.rest_url, schedule) as proxy:
        config = make_config(sim, rest_url=proxy.url, max_retries=0)
        public = MexcPublicSpotRest(config)
        private = MexcPrivateSpotRest(config, Credentials(account.api_key, account.secret_key))
        await private.initialize()
        try:
            yield schedule, public, private
        finally:
            await private.close()
            await public.close()


@pytest.mark.parametrize("fault", SHAPES, ids=lambda f: f.value)
@pytest.mark.parametrize("name", sorted(READS))
async def test_wrong_shape_answer_is_a_protocol_error(
    clients: tuple[FaultSchedule, MexcPublicSpotRest, MexcPrivateSpotRest], name: str, fault: HttpFault
) -> None:
    schedule, public, private = clients
    path, call, is_list = READS[name]
    await call(public, private)  # answered normally first (warms clock sync and symbol info)
    schedule.inject(fault, path=path)
    if fault is HttpFault.EMPTY_ARRAY and is_list:
        assert await call(public, private) == []  # an empty list is a valid answer here
    else:
        with pytest.raises(ProtocolError) as caught:
            await call(public, private)
        assert path in caught.value.source
    assert [f.fault for f in schedule.injected] == [fault]
    await call(public, private)  # the next, normal answer is read again
