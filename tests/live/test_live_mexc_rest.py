"""Read-only checks against the REAL MEXC API. Opt-in: ``pytest -m live tests/live``.

Never run in CI (the default ``-m 'not live'`` deselects them). Private checks also need
``MEXC_API_KEY``/``MEXC_SECRET_KEY`` and only read (balances, open orders, clock offset).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from exchanges.config import Credentials, ExchangeConfig
from exchanges.models import KlineInterval, Symbol
from exchanges_mexc.constants import REST_BASE_URL
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest

pytestmark = pytest.mark.live

BTC = Symbol("BTC", "USDT")
CONFIG = ExchangeConfig(name="mexc_spot", rest_url=REST_BASE_URL, ws_url="wss://wbs-api.mexc.com/ws")


@pytest.fixture
async def public() -> AsyncIterator[MexcPublicSpotRest]:
    client = MexcPublicSpotRest(CONFIG)
    try:
        yield client
    finally:
        await client.close()


async def test_live_public_endpoints(public: MexcPublicSpotRest) -> None:
    assert await public.ping()
    assert await public.get_server_time() > 1_700_000_000_000
    infos = await public.get_exchange_info()
    assert BTC in infos
    assert infos[BTC].base_precision >= 0
    book = await public.get_orderbook(BTC, limit=20)
    assert book.bids
    assert book.asks
    assert book.version is not None
    assert await public.get_recent_trades(BTC, limit=5)
    assert len(await public.get_klines(BTC, KlineInterval.HOUR_1, limit=3)) == 3
    assert (await public.get_ticker(BTC)).last_price > 0
    assert (await public.get_book_ticker(BTC)).ask_price > 0
    assert await public.get_avg_price(BTC) > 0


@pytest.mark.skipif(not os.environ.get("MEXC_API_KEY"), reason="needs MEXC_API_KEY / MEXC_SECRET_KEY")
async def test_live_private_read_only() -> None:
    async with MexcPrivateSpotRest(CONFIG, Credentials.from_env("MEXC")) as private:
        assert isinstance(await private.get_balances(), dict)
        assert isinstance(await private.get_open_orders(BTC), list)
        assert abs(private.signed.clock.offset_ms) < 60_000
