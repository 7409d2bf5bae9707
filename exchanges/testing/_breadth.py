"""Checks of the breadth capabilities (all tickers, more streams, paging, batch/test orders, fees,
deposits, safe withdrawals, transfers), called by the conformance classes for each capability a plugin
has. Plain async functions so plugin authors can also call them from their own tests."""

from __future__ import annotations

import uuid
from decimal import Decimal

from exchanges.capabilities import (
    SupportsAllTickers,
    SupportsBalance,
    SupportsBatchOrders,
    SupportsDeposits,
    SupportsKlineHistory,
    SupportsPagedHistory,
    SupportsSafeWithdrawal,
    SupportsTestOrder,
    SupportsTrading,
    SupportsTradingFees,
    SupportsTransfer,
)
from exchanges.errors import ExchangeError, WithdrawalRefused
from exchanges.models import (
    AccountType,
    AssetName,
    DepositAddress,
    KlineInterval,
    NetworkInfo,
    Order,
    OrderRequest,
    OrderType,
    Side,
    Symbol,
    WithdrawalRequest,
)
from exchanges.testing._checks import assert_valid_book_ticker, assert_valid_order, assert_valid_ticker

MINUTE_MS = 60_000


async def check_all_tickers(exchange: SupportsAllTickers, symbol: Symbol) -> None:
    """Both dicts are keyed by Symbol, hold ``symbol``, and each value is about its key."""
    tickers = await exchange.get_tickers()
    assert symbol in tickers, f"get_tickers() lacks {symbol}"
    for key, ticker in tickers.items():
        assert isinstance(key, Symbol), f"get_tickers() must be keyed by Symbol, got {type(key).__name__}"
        assert ticker.symbol == key, f"get_tickers()[{key}] describes {ticker.symbol}"
    assert_valid_ticker(tickers[symbol], symbol)
    books = await exchange.get_book_tickers()
    assert symbol in books, f"get_book_tickers() lacks {symbol}"
    for key, book in books.items():
        assert book.symbol == key, f"get_book_tickers()[{key}] describes {book.symbol}"
    assert_valid_book_ticker(books[symbol], symbol)


async def check_kline_history(exchange: SupportsKlineHistory, symbol: Symbol, end_time: int) -> None:
    """Two hours of 1-minute candles: inside the window, strictly increasing open times (each once)."""
    start = end_time - 120 * MINUTE_MS
    candles = [k async for k in exchange.iter_kline_history(symbol, KlineInterval.MINUTE_1, start, end_time)]
    opens = [k.open_time for k in candles]
    assert opens == sorted(set(opens)), "candles must be oldest first and each once"
    assert all(start <= t < end_time for t in opens), "candles outside the asked window"
    assert all(k.symbol == symbol and k.interval is KlineInterval.MINUTE_1 for k in candles), (
        f"every candle must be a 1-minute candle of {symbol}"
    )


async def check_batch_orders(
    exchange: SupportsBatchOrders, symbol: Symbol, quantity: Decimal, price: Decimal
) -> None:
    """One valid resting order and one refused item: an Order and an ExchangeError, in that order."""
    results = await exchange.place_batch_orders(
        [
            OrderRequest(
                symbol, Side.BUY, OrderType.LIMIT, quantity, price, client_order_id=uuid.uuid4().hex
            ),
            # Below any exchange's quantity step: refused by the item's own checks, never sent.
            OrderRequest(symbol, Side.BUY, OrderType.LIMIT, Decimal("1e-30"), price),
        ]
    )
    assert len(results) == 2, "one result per request"
    placed, refused = results
    assert isinstance(refused, ExchangeError), f"a 1e-30 quantity must be refused, got {refused!r}"
    assert isinstance(placed, Order), f"the valid item must be placed, got {placed!r}"
    assert_valid_order(placed, symbol)
    if isinstance(exchange, SupportsTrading):
        await exchange.cancel_order(symbol, placed.order_id)


async def check_test_order(
    exchange: SupportsTestOrder, symbol: Symbol, quantity: Decimal, price: Decimal
) -> None:
    """A valid request passes without placing anything; an invalid one raises a typed error."""
    before = await exchange.get_open_orders(symbol) if isinstance(exchange, SupportsTrading) else []
    await exchange.test_order(OrderRequest(symbol, Side.BUY, OrderType.LIMIT, quantity, price))
    if isinstance(exchange, SupportsTrading):
        after = await exchange.get_open_orders(symbol)
        assert {o.order_id for o in after} == {o.order_id for o in before}, "test_order placed an order"
    # A valid record (a zero quantity would be refused by OrderRequest itself, before the exchange is
    # ever asked) whose quantity is below any exchange's step: the exchange's own checks must refuse it.
    below_step = OrderRequest(symbol, Side.BUY, OrderType.LIMIT, Decimal("1e-30"), price)
    try:
        await exchange.test_order(below_step)
    except ExchangeError:
        pass
    else:
        raise AssertionError("test_order accepted a quantity of 1e-30, below any exchange's step")


async def check_trading_fees(exchange: SupportsTradingFees, symbol: Symbol) -> None:
    fee = await exchange.get_trading_fees(symbol)
    assert fee.symbol == symbol, f"get_trading_fees({symbol}) returned fees for {fee.symbol}"
    assert Decimal(0) <= fee.maker < 1, f"maker fee must be a fraction in [0, 1), got {fee.maker}"
    assert Decimal(0) <= fee.taker < 1, f"taker fee must be a fraction in [0, 1), got {fee.taker}"


async def check_paged_history(exchange: SupportsPagedHistory, symbol: Symbol, placed: Order | None) -> None:
    """Orders and fills oldest first, each once; a just-placed order is in the order history."""
    orders = [o async for o in exchange.iter_order_history(symbol)]
    ids = [o.order_id for o in orders]
    assert len(ids) == len(set(ids)), "an order was yielded twice"
    assert [o.timestamp for o in orders] == sorted(o.timestamp for o in orders), (
        "iter_order_history must yield oldest first"
    )
    if placed is not None:
        assert placed.order_id in ids, "the order placed just now is missing from iter_order_history"
    fills = [f async for f in exchange.iter_my_trades(symbol)]
    trade_ids = [f.trade_id for f in fills]
    assert len(trade_ids) == len(set(trade_ids)), "a fill was yielded twice"
    assert [f.timestamp for f in fills] == sorted(f.timestamp for f in fills), (
        "iter_my_trades must yield oldest first"
    )


async def check_deposits(exchange: SupportsDeposits, asset: AssetName) -> None:
    address = await exchange.get_deposit_address(asset)
    assert isinstance(address, DepositAddress), f"expected DepositAddress, got {type(address).__name__}"
    assert address.asset == asset, f"deposit address is for {address.asset}, expected {asset}"
    assert address.address, "the deposit address must not be empty"
    history = await exchange.get_deposit_history(asset)
    assert all(d.asset == asset for d in history), f"get_deposit_history({asset}) returned other assets"


async def check_safe_withdrawal(exchange: SupportsSafeWithdrawal, asset: AssetName) -> None:
    """The network list has rules; an unknown network is refused before sending, naming the rule."""
    networks = await exchange.get_withdrawal_networks(asset)
    assert networks, f"{asset} should have at least one network"
    assert all(isinstance(n, NetworkInfo) and n.asset == asset for n in networks), (
        f"get_withdrawal_networks({asset}) must return NetworkInfo records of {asset}"
    )
    request = WithdrawalRequest(asset=asset, amount=Decimal(1), address="conformance", network="NO-SUCH-NET")
    try:
        await exchange.plan_withdrawal(request)
    except WithdrawalRefused as refused:
        rule = refused.rule
    else:
        raise AssertionError("an unknown network must be refused with WithdrawalRefused")
    assert rule == "unknown_network", f"refused for {rule!r}, expected unknown_network"
    usable = [n for n in networks if n.withdraw_enabled and not n.memo_required]
    if usable:
        await _check_plan_arithmetic(exchange, usable[0])


def _smallest_allowed(net: NetworkInfo) -> Decimal:
    """The smallest amount every rule of ``net`` allows: at least the minimum, above the fee, on the step."""
    step = net.withdraw_multiple if net.withdraw_multiple is not None and net.withdraw_multiple > 0 else None
    amount = max(net.withdraw_min, net.withdraw_fee + (step or Decimal(1)))
    if step is not None and amount % step:
        amount = (amount // step + 1) * step
    return amount


async def _check_plan_arithmetic(exchange: SupportsSafeWithdrawal, net: NetworkInfo) -> None:
    """The smallest allowed amount plans with the network's id, its fee and ``amount - fee`` received."""
    amount = _smallest_allowed(net)
    if net.withdraw_max is not None and 0 < net.withdraw_max < amount:
        return  # no amount satisfies this network's rules
    request = WithdrawalRequest(asset=net.asset, amount=amount, address="conformance", network=net.network)
    plan = await exchange.plan_withdrawal(request)
    assert plan.network == net.network, f"planned on {plan.network}, asked for {net.network}"
    assert plan.amount == amount, f"planned amount {plan.amount}, asked for {amount}"
    assert plan.fee == net.withdraw_fee, f"planned fee {plan.fee}, the network lists {net.withdraw_fee}"
    assert plan.receive_amount == amount - net.withdraw_fee, (
        f"receive_amount {plan.receive_amount} must be amount - fee = {amount - net.withdraw_fee}"
    )


async def check_transfer(exchange: SupportsTransfer, asset: AssetName, amount: Decimal) -> None:
    """SPOT -> FUTURES -> SPOT leaves the spot balance where it was."""
    before = (await exchange.get_asset_balance(asset)).free if isinstance(exchange, SupportsBalance) else None
    out = await exchange.transfer(asset, amount, AccountType.SPOT, AccountType.FUTURES)
    assert out.transfer_id, "a transfer must return its id"
    assert out.amount == amount, f"transfer returned amount {out.amount}, expected {amount}"
    await exchange.transfer(asset, amount, AccountType.FUTURES, AccountType.SPOT)
    if before is not None and isinstance(exchange, SupportsBalance):
        after = (await exchange.get_asset_balance(asset)).free
        assert after == before, f"SPOT -> FUTURES -> SPOT must leave free {asset} at {before}, got {after}"
