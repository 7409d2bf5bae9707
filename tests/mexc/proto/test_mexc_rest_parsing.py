"""REST JSON -> models, with the real shapes of API.md §3, §4, §5 and §14 (null, "", int-or-string)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import msgspec
import pytest

from exchanges.errors import ExchangeAPIError, ProtocolError
from exchanges.models import (
    AssetName,
    DepositStatus,
    KlineInterval,
    OrderStatus,
    OrderType,
    Side,
    Symbol,
    WithdrawalRequest,
    WithdrawalStatus,
)
from exchanges_mexc.parsing import (
    interval_from_rest,
    parse_account,
    parse_agg_trades,
    parse_book_ticker_json,
    parse_book_tickers_json,
    parse_coin_config,
    parse_default_symbols,
    parse_deposit,
    parse_deposit_addresses,
    parse_deposits,
    parse_depth_snapshot,
    parse_exchange_info,
    parse_klines,
    parse_my_trade,
    parse_order_json,
    parse_rest_trades,
    parse_ticker_24h,
    parse_ticker_price,
    parse_ticker_prices,
    parse_tickers_24h,
    parse_withdraw_response,
    parse_withdrawal,
    parse_withdrawals,
    rest_interval,
    ws_interval,
)
from exchanges_mexc.symbols import MexcSymbolMapper

BTC = Symbol("BTC", "USDT")


def j(text: str) -> bytes:
    """A REST body as the transport hands it to the parse functions (raw bytes)."""
    return text.encode()


@pytest.mark.parametrize(
    ("last_update", "ts"),
    [("1112416", None), ("56217769552", 1767225600000), ('"20453289489"', '"1767225600000"')],
)
def test_depth_int_or_string(last_update: str, ts: str | None) -> None:
    extra = f',"timestamp":{ts}' if ts else ""
    data = j(
        f'{{"lastUpdateId":{last_update},"bids":[["15.00000","49999.00000"],["14.5","1"]],'
        f'"asks":[["16.0000","1.0000"]]{extra}}}'
    )
    book = parse_depth_snapshot(BTC, data)
    assert book.version == int(last_update.strip('"'))
    assert book.bids[0].price == 15.0
    assert book.bids[0].size == 49999.0
    assert book.asks == ((16.0, 1.0),)
    if ts:
        assert book.timestamp == 1767225600000
    else:
        assert book.timestamp > 0


def test_trades_null_id_and_taker_side() -> None:
    rows = j(
        '[{"id":null,"price":"3219.58","qty":"0.04757","quoteQty":"153.1554206","time":1737623988881,'
        '"isBuyerMaker":false,"isBestMatch":true,"tradeType":"BID"},'
        '{"id":123,"price":"1","qty":"2","time":"5","isBuyerMaker":true,"tradeType":"ASK"}]'
    )
    first, second = parse_rest_trades(BTC, rows)
    assert (first.price, first.quantity, first.side, first.timestamp, first.trade_id) == (
        3219.58,
        0.04757,
        Side.BUY,
        1737623988881,
        None,
    )
    assert (second.side, second.timestamp, second.trade_id) == (Side.SELL, 5, "123")


def test_agg_trades_int_or_string_time() -> None:
    rows = j(
        '[{"a":null,"f":null,"l":null,"p":"46782.67","q":"0.0038","T":1641380483000,"m":false,"M":true},'
        '{"a":null,"f":null,"l":null,"p":"1.5","q":"2","T":"1641380483001","m":true,"M":true}]'
    )
    first, second = parse_agg_trades(BTC, rows)
    assert (first.price, first.quantity, first.side, first.timestamp, first.trade_id) == (
        46782.67,
        0.0038,
        Side.BUY,
        1641380483000,
        None,
    )
    assert (second.side, second.timestamp) == (Side.SELL, 1641380483001)


def test_klines_eight_columns() -> None:
    rows = j(
        '[[1640804880000,"47482.36","47482.36","47416.57","47436.1","3.550717",1640804940000,"168387.3"]]'
    )
    (k,) = parse_klines(BTC, KlineInterval.MINUTE_1, rows)
    assert (k.open_time, k.close_time) == (1640804880000, 1640804940000)
    assert (k.open, k.high, k.low, k.close, k.volume, k.quote_volume) == (
        47482.36,
        47482.36,
        47416.57,
        47436.1,
        3.550717,
        168387.3,
    )
    assert k.interval is KlineInterval.MINUTE_1


def test_kline_interval_spellings() -> None:
    assert rest_interval(KlineInterval.HOUR_1) == "60m"
    assert rest_interval(KlineInterval.WEEK_1) == "1W"
    assert interval_from_rest("1h") is KlineInterval.HOUR_1
    assert ws_interval(KlineInterval.HOUR_1) == "Min60"
    with pytest.raises(ExchangeAPIError, match="8h"):
        rest_interval(KlineInterval.HOUR_8)


TICKER = (
    '{"symbol":"BTCUSDT","priceChange":"184.34","priceChangePercent":"0.00400048","prevClosePrice":"46079.37",'
    '"lastPrice":"46263.71","bidPrice":"46260.38","bidQty":"","askPrice":"46260.41","askQty":"",'
    '"openPrice":"46079.37","highPrice":"47550.01","lowPrice":"45555.5","volume":"1732.461487",'
    '"quoteVolume":null,"openTime":1641349500000,"closeTime":1641349582808,"count":null}'
)


def test_ticker_24h_null_and_empty_fields() -> None:
    t = parse_ticker_24h(BTC, j(TICKER))
    assert (t.last_price, t.high, t.low, t.volume) == (46263.71, 47550.01, 45555.5, 1732.461487)
    assert t.quote_volume == 0.0  # null
    assert t.price_change_ratio == 0.00400048  # a fraction, as sent ("priceChangePercent")
    assert t.price_change_percent == pytest.approx(0.400048)  # the same change in percent
    assert (t.timestamp, t.open_price, t.bid_price, t.ask_price) == (
        1641349582808,
        46079.37,
        46260.38,
        46260.41,
    )


def test_ticker_lists_skip_unknown_pairs() -> None:
    mapper = MexcSymbolMapper()
    rows = j(f'[{TICKER}, {{"symbol":"??","lastPrice":"1"}}]')
    assert list(parse_tickers_24h(rows, mapper.to_symbol)) == [BTC]
    prices = parse_ticker_prices(
        j('[{"symbol":"BTCUSDT","price":"184.34"},{"symbol":"X","price":"1"}]'), mapper.to_symbol
    )
    assert prices == {BTC: 184.34}
    assert parse_ticker_price(j('{"symbol":"BTCUSDT","price":"184.34"}')) == 184.34


def test_book_ticker_json() -> None:
    data = j(
        '{"symbol":"AEUSDT","bidPrice":"0.11001","bidQty":"115.59","askPrice":"0.11127","askQty":"215.48"}'
    )
    bt = parse_book_ticker_json(Symbol("AE", "USDT"), data, 5)
    assert (bt.bid_price, bt.bid_quantity, bt.ask_price, bt.ask_quantity, bt.timestamp) == (
        0.11001,
        115.59,
        0.11127,
        215.48,
        5,
    )
    many = parse_book_tickers_json(b"[" + data + b"]", MexcSymbolMapper().to_symbol)
    assert list(many) == [Symbol("AE", "USDT")]


EXCHANGE_INFO = """
{"timezone":"CST","serverTime":1737623435453,"rateLimits":[],"exchangeFilters":[],
 "symbols":[
  {"symbol":"BROCKUSDT","status":"1","baseAsset":"BROCK","baseAssetPrecision":2,
   "quoteAsset":"USDT","quotePrecision":5,"quoteAssetPrecision":5,"baseCommissionPrecision":2,
   "quoteCommissionPrecision":5,"orderTypes":["LIMIT","MARKET","LIMIT_MAKER"],
   "isSpotTradingAllowed":true,"isMarginTradingAllowed":false,"quoteAmountPrecision":"1",
   "baseSizePrecision":"0","permissions":["SPOT"],"filters":[],"maxQuoteAmount":"2000000",
   "makerCommission":"0.0005","takerCommission":"0.0005","quoteAmountPrecisionMarket":"1",
   "maxQuoteAmountMarket":"100000","fullName":"Bitrock","tradeSideType":1},
  {"symbol":"BTCUSDT","status":"1","baseAsset":"BTC","baseAssetPrecision":6,"quoteAsset":"USDT",
   "quotePrecision":2,"quoteAssetPrecision":2,"orderTypes":["LIMIT","LIMIT_MAKER"],
   "isSpotTradingAllowed":false,"quoteAmountPrecision":"5","baseSizePrecision":"0.000001",
   "filters":[{"filterType":"PERCENT_PRICE_BY_SIDE","bidMultiplierUp":"0.005","askMultiplierDown":"0.005"},
              {"filterType":"SOMETHING_NEW","x":"1"}],
   "maxQuoteAmount":"2000000","makerCommission":"0","takerCommission":"0.0005",
   "quoteAmountPrecisionMarket":"5","maxQuoteAmountMarket":"4000000","tradeSideType":"3","st":false},
  {"symbol":"OFFUSDC","status":"3","baseAsset":"OFF","baseAssetPrecision":0,"quoteAsset":"USDC",
   "quoteAssetPrecision":4,"orderTypes":["MARKET"],"isSpotTradingAllowed":true,"tradeSideType":4},
  {"symbol":"BAD","status":"1","baseAsset":"","quoteAsset":"USDT"}
 ]}
"""


def test_exchange_info() -> None:
    infos = parse_exchange_info(j(EXCHANGE_INFO))
    assert set(infos) == {Symbol("BROCK", "USDT"), BTC, Symbol("OFF", "USDC")}  # the bad item is skipped
    brock = infos[Symbol("BROCK", "USDT")]
    assert (brock.base_precision, brock.quote_precision) == (2, 5)
    assert brock.quantity_step is None
    assert brock.min_quantity == 0
    assert brock.min_notional == Decimal(1)
    assert brock.max_notional == Decimal(2000000)
    assert (brock.min_notional_market, brock.max_notional_market) == (Decimal(1), Decimal(100000))
    assert brock.order_types == frozenset(OrderType)  # LIMIT implies IOC and FOK
    assert brock.tradable
    assert brock.api_tradable
    assert brock.buy_allowed
    assert brock.sell_allowed
    assert brock.maker_fee == Decimal("0.0005")
    btc = infos[BTC]
    assert btc.quantity_step == Decimal("0.000001") == btc.min_quantity
    assert btc.tradable
    assert not btc.api_tradable
    assert (btc.buy_allowed, btc.sell_allowed) == (False, True)  # tradeSideType "3": sell only
    assert btc.max_buy_price_ratio == Decimal("0.005") == btc.min_sell_price_ratio
    assert OrderType.MARKET not in btc.order_types
    off = infos[Symbol("OFF", "USDC")]
    assert not off.tradable
    assert not off.buy_allowed
    assert not off.sell_allowed
    assert off.order_types == frozenset({OrderType.MARKET})


def test_exchange_info_with_default_symbols_and_mapper_load() -> None:
    allowed = parse_default_symbols(j('{"code":0,"data":["BROCKUSDT"]}'))
    assert parse_default_symbols(j('{"code":200,"data":["A"],"msg":null}')) == {"A"}
    with pytest.raises(ProtocolError, match="code 500"):
        parse_default_symbols(j('{"code":500,"msg":"boom"}'))
    infos = parse_exchange_info(j(EXCHANGE_INFO), allowed)
    assert infos[Symbol("BROCK", "USDT")].api_tradable
    assert not infos[Symbol("OFF", "USDC")].api_tradable
    mapper = MexcSymbolMapper(quote_assets=())
    assert mapper.load(infos) == 3
    assert mapper.to_symbol("BROCKUSDT") == Symbol("BROCK", "USDT")
    assert mapper.to_symbol("NEWUSDC") == Symbol("NEW", "USDC")  # quotes are learned too


def test_order_post_response_has_no_status() -> None:
    data = j(
        '{"symbol":"MXUSDT","orderId":"06a480e69e604477bfb48dddd5f0b750","orderListId":-1,"price":"0.1",'
        '"origQty":"50","type":"LIMIT","side":"BUY","transactTime":1666676533741}'
    )
    order = parse_order_json(data, Symbol("MX", "USDT"))
    assert order.status is OrderStatus.NEW
    assert (order.order_id, order.price, order.quantity, order.side, order.order_type) == (
        "06a480e69e604477bfb48dddd5f0b750",
        Decimal("0.1"),
        Decimal(50),
        Side.BUY,
        OrderType.LIMIT,
    )
    assert order.timestamp == 1666676533741
    assert order.filled_quantity == 0


def test_order_delete_response_uses_orig_client_id() -> None:
    data = j(
        '{"symbol":"LTCBTC","origClientOrderId":"myOrder1","orderId":4,"clientOrderId":"cancelMyOrder1",'
        '"price":"2.00000000","origQty":"1.00000000","executedQty":"0.50000000",'
        '"cummulativeQuoteQty":"1.00000000","status":"CANCELED","timeInForce":"GTC","type":"LIMIT","side":"BUY"}'
    )
    order = parse_order_json(data, Symbol("LTC", "BTC"))
    assert (order.order_id, order.client_order_id, order.status) == ("4", "myOrder1", OrderStatus.CANCELED)
    assert order.filled_quantity == Decimal("0.5")
    assert order.average_price == Decimal(2)


def test_order_get_response_and_ioc_type() -> None:
    data = j(
        '{"symbol":"BTCUSDT","orderId":"C02__545584045430513665029","orderListId":"-1","clientOrderId":"c1",'
        '"price":"50000","origQty":"0.001","executedQty":"0","cummulativeQuoteQty":"0","status":"PARTIALLY_FILLED",'
        '"timeInForce":null,"type":"IMMEDIATE_OR_CANCEL","side":"SELL","stopPrice":null,"time":1,'
        '"updateTime":"2","isWorking":true,"origQuoteOrderQty":"50"}'
    )
    order = parse_order_json(data, BTC)
    assert order.order_type is OrderType.IMMEDIATE_OR_CANCEL
    assert (order.status, order.side, order.client_order_id, order.timestamp, order.update_time) == (
        OrderStatus.PARTIALLY_FILLED,
        Side.SELL,
        "c1",
        1,
        2,
    )
    assert order.quote_quantity == Decimal(50)
    assert order.average_price is None


def test_my_trade() -> None:
    data = j(
        '{"symbol":"BTCUSDT","id":"fad2af9e942049b6adbda1a271f990c6","orderId":"bb41e5663e124046bd9497a3f5692f39",'
        '"orderListId":-1,"price":"8.00","qty":"1.2","quoteQty":"9.6","commission":"0.001",'
        '"commissionAsset":"usdt","time":1666676533741,"isBuyer":true,"isMaker":false,"isBestMatch":true,'
        '"isSelfTrade":false,"clientOrderId":null}'
    )
    fill = parse_my_trade(data, BTC)
    assert (fill.side, fill.price, fill.quantity, fill.quote_quantity, fill.fee, fill.fee_asset) == (
        Side.BUY,
        Decimal("8.00"),
        Decimal("1.2"),
        Decimal("9.6"),
        Decimal("0.001"),
        "USDT",
    )
    assert (fill.is_maker, fill.client_order_id, fill.trade_id) == (
        False,
        None,
        "fad2af9e942049b6adbda1a271f990c6",
    )


def test_account() -> None:
    data = j(
        '{"makerCommission":null,"takerCommission":null,"buyerCommission":null,"sellerCommission":null,'
        '"canTrade":true,"canWithdraw":true,"canDeposit":true,"updateTime":null,"accountType":"SPOT",'
        '"balances":[{"asset":"NBNTEST","free":"1111078","locked":"33"},{"asset":"BTC","free":"0.5","locked":""}],'
        '"permissions":["SPOT"]}'
    )
    balances = parse_account(data)
    assert balances[AssetName("NBNTEST")].free == Decimal(1111078)
    assert balances[AssetName("NBNTEST")].locked == Decimal(33)
    assert balances[AssetName("BTC")].total == Decimal("0.5")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (1, WithdrawalStatus.PENDING),
        (4, WithdrawalStatus.PROCESSING),
        (7, WithdrawalStatus.COMPLETED),
        (8, WithdrawalStatus.FAILED),
        (9, WithdrawalStatus.CANCELED),
        (10, WithdrawalStatus.PROCESSING),
        ("7", WithdrawalStatus.COMPLETED),
        (99, WithdrawalStatus.PROCESSING),
    ],
)
def test_withdrawal_history(status: object, expected: WithdrawalStatus) -> None:
    data = {
        "id": "bb17a2d452684f00a523c015d512a341",
        "txId": None,
        "coin": "EOS",
        "network": "EOS",
        "address": "zzqqqqqqqqqq",
        "amount": "10",
        "transferType": 0,
        "status": status,
        "transactionFee": "0",
        "confirmNo": None,
        "applyTime": 1665300874000,
        "remark": "",
        "memo": "MX10086",
        "transHash": "0x01",
        "coinId": "x",
        "vcoinId": "y",
        "withdrawOrderId": "w1",
    }
    w = parse_withdrawal(msgspec.json.encode(data))
    assert w.status is expected
    assert w.raw_status == str(status)
    assert (w.asset, w.amount, w.fee, w.tx_id, w.memo, w.client_id, w.timestamp) == (
        "EOS",
        Decimal(10),
        Decimal(0),
        "0x01",
        "MX10086",
        "w1",
        1665300874000,
    )


def test_withdraw_response() -> None:
    req = WithdrawalRequest(asset=AssetName("USDT"), amount=Decimal("5"), address="T123", network="TRX")
    w = parse_withdraw_response(b'{"id": "7213fea8e94b4a5593d507237e5a555b"}', req, 9)
    assert (w.withdrawal_id, w.status, w.network, w.timestamp) == (
        "7213fea8e94b4a5593d507237e5a555b",
        WithdrawalStatus.PENDING,
        "TRX",
        9,
    )
    assert parse_withdraw_response(b'[{"id": "x"}]', req).withdrawal_id == "x"
    for unusable in (b"{}", b"[]", b"null", b'{"id": ""}', b"<html>"):
        with pytest.raises(ProtocolError) as caught:
            parse_withdraw_response(unusable, req)
        assert caught.value.source == "POST /api/v3/capital/withdraw"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (1, DepositStatus.FAILED),
        (4, DepositStatus.PENDING),
        (5, DepositStatus.COMPLETED),
        (7, DepositStatus.FAILED),
        (12, DepositStatus.COMPLETED),
        ("9", DepositStatus.PENDING),
    ],
)
def test_deposit_history(status: object, expected: DepositStatus) -> None:
    d = parse_deposit(
        msgspec.json.encode(
            {
                "amount": "50000",
                "coin": "EOS",
                "network": "EOS",
                "status": status,
                "address": "a",
                "txId": "t",
                "insertTime": 1659513342000,
                "unlockConfirm": "10",
                "confirmTimes": "241",
                "memo": "xxyy1122",
            }
        )
    )
    assert (d.status, d.raw_status, d.amount, d.timestamp, d.memo) == (
        expected,
        str(status),
        Decimal(50000),
        1659513342000,
        "xxyy1122",
    )


def test_deposit_addresses_and_coin_config() -> None:
    (addr,) = parse_deposit_addresses(
        b'[{"coin": "USDT", "network": "TRC20", "address": "T1", "memo": null}]'
    )
    assert (addr.asset, addr.network, addr.address, addr.memo) == ("USDT", "TRC20", "T1", None)
    config = j(
        '[{"coin":"EOS","name":"EOS","networkList":[{"coin":"EOS","depositDesc":null,"depositEnable":true,'
        '"minConfirm":0,"name":"EOS","network":"EOS","withdrawEnable":false,"withdrawFee":"0.000100000000000000",'
        '"withdrawIntegerMultiple":null,"withdrawMax":"10000.000000000000000000","withdrawMin":"0.001",'
        '"sameAddress":false,"contract":"TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9","withdrawTips":null,'
        '"depositTips":null,"netWork":"EOSIO"}]}]'
    )
    (net,) = parse_coin_config(config)
    assert (net.asset, net.network, net.name, net.deposit_enabled, net.withdraw_enabled) == (
        "EOS",
        "EOSIO",
        "EOS",
        True,
        False,
    )
    assert (net.withdraw_fee, net.withdraw_min, net.withdraw_max) == (
        Decimal("0.0001"),
        Decimal("0.001"),
        Decimal(10000),
    )


def test_trade_fee_envelope_and_bare_object() -> None:
    from decimal import Decimal

    from exchanges_mexc.parsing import parse_trade_fee

    symbol = Symbol("BTC", "USDT")
    wrapped = b'{"data": {"makerCommission": 0.003, "takerCommission": "0.001"}, "code": 0, "msg": "success"}'
    fee = parse_trade_fee(symbol, wrapped)
    assert (fee.symbol, fee.maker, fee.taker) == (symbol, Decimal("0.003"), Decimal("0.001"))
    bare = parse_trade_fee(symbol, b'{"makerCommission": "0", "takerCommission": "0.002"}')
    assert bare.taker == Decimal("0.002")


@pytest.mark.parametrize(
    "bad",
    [
        '"filters": [{"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "-1"}]',
        '"filters": [{"filterType": "PERCENT_PRICE_BY_SIDE", "askMultiplierDown": "NaN"}]',
        '"filters": "none"',
        '"takerCommission": "-0.001"',
        '"baseAssetPrecision": -2',
        '"orderTypes": [1]',
    ],
)
def test_exchange_info_skips_a_listing_with_a_bad_value_and_keeps_the_others(bad: str) -> None:
    good = '{"baseAsset": "ETH", "quoteAsset": "USDT", "baseAssetPrecision": 4, "quoteAssetPrecision": 2}'
    odd = '{"baseAsset": "BTC", "quoteAsset": "USDT", "baseAssetPrecision": 6, "quoteAssetPrecision": 2, '
    infos = parse_exchange_info(f'{{"symbols": [{odd}{bad}}}, {good}]}}'.encode())
    assert list(infos) == [Symbol("ETH", "USDT")]


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (parse_deposits, b'[{"coin": "USDT", "amount": "1", "insertTime": -1}]'),
        (parse_withdrawals, b'[{"id": "w", "coin": "USDT", "amount": "1", "applyTime": -5}]'),
        (parse_withdrawals, b'[{"coin": "USDT", "amount": "1"}]'),
        (parse_coin_config, b'[{"coin": "X", "networkList": [{"netWork": "X", "minConfirm": -1}]}]'),
        (parse_coin_config, b'[{"coin": "X", "networkList": [{"netWork": "X", "withdrawMax": "-1"}]}]'),
        (parse_coin_config, b'[{"coin": "X", "networkList": [{"withdrawIntegerMultiple": "inf"}]}]'),
    ],
)
def test_capital_answers_with_impossible_values_raise_protocol_error(
    parse: Callable[[bytes], object], body: bytes
) -> None:
    """Negative times, counts and limits, or a withdrawal without an id, are typed errors (the old
    untyped reader built ``withdrawal_id="None"`` and negative timestamps)."""
    with pytest.raises(ProtocolError):
        parse(body)
