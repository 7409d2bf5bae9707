"""The simulator formats pushed numbers as real MEXC does: prices and quantities padded to the symbol's
precision, miniTicker volume in the quote precision, trade ids as ``"<n>X0_<n>X0"``."""

from __future__ import annotations

import re
from decimal import Decimal

from exchanges.models import OrderRequest, OrderType, Side, Symbol
from exchanges_mexc._proto import PushDataV3ApiWrapper_pb2
from exchanges_mexc.sim import MexcSimulator, pushes
from exchanges_mexc.sim.book import fixed
from exchanges_mexc.sim.history import PublicTrade


def decode(frame: bytes) -> PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper:
    wrapper = PushDataV3ApiWrapper_pb2.PushDataV3ApiWrapper()
    wrapper.ParseFromString(frame)
    return wrapper


def test_fixed_pads_to_places() -> None:
    assert fixed(Decimal("84270"), 2) == "84270.00"
    assert fixed(Decimal("0.006387"), 8) == "0.00638700"
    assert fixed(Decimal("5"), 0) == "5"
    assert fixed(None, 2) == ""


def test_depth_and_deals_are_padded() -> None:
    depth = decode(
        pushes.aggre_depth(
            "ch", "BTCUSDT", "100ms", [(Decimal("84270"), Decimal("0.006387"))], [], 1, 2, 0, 0, (2, 8)
        )
    )
    level = depth.publicAggreDepths.asks[0]
    assert (level.price, level.quantity) == ("84270.00", "0.00638700")
    trade = PublicTrade(Decimal("84270.5"), Decimal("0.1"), 1, "BUY", "1X0_1X0")
    deals = decode(pushes.aggre_deals("ch", "BTCUSDT", "100ms", [trade], 0, (2, 6)))
    assert deals.publicAggreDeals.deals[0].price == "84270.50"
    assert deals.publicAggreDeals.deals[0].quantity == "0.100000"


async def test_streams_use_the_symbol_precision_and_mexc_trade_ids() -> None:
    async with MexcSimulator(symbols=("BTCUSDT",), seed=2, market_rate=0.0) as sim:
        spec = sim.engine.specs["BTCUSDT"]
        streams = sim.ws.streams
        assert streams.places("BTCUSDT") == (spec.quote_precision, spec.base_precision)
        fields = streams.mini_ticker_fields("BTCUSDT", "24H", sim.now_ms())
        assert re.fullmatch(rf"\d+\.\d{{{spec.quote_precision}}}", fields["volume"])
        buyer = sim.create_account({"USDT": "100000"})
        sim.engine.place(
            buyer.uid, OrderRequest(Symbol("BTC", "USDT"), Side.BUY, OrderType.MARKET, Decimal("0.001"))
        )
        trade = sim.engine.history["BTCUSDT"].trades[-1]
        number = trade.trade_id.split("X0_")[0]
        assert number.isdigit()
        assert trade.trade_id == f"{number}X0_{number}X0"
