"""MexcCompositePrivateExchange: MEXC spot trading and account behind :class:`PrivateExchange`.

Composition:

* :class:`~exchanges_mexc.rest.private.MexcPrivateSpotRest`: every order is checked and quantized
  against the symbol rules before sending, always carries a client order id, and a lost answer is
  reconciled by that id instead of being sent again (never a duplicate order). Order results are
  logged at INFO, failures at ERROR, by that layer.
* :class:`~exchanges_mexc.composite.user_stream.UserStream`, started by ``start_user_stream``:
  order updates, fills and balance changes, exactly once, reconciled through REST after gaps.
* :class:`~exchanges_mexc.composite.wallet.MexcWallet`: networks, safe withdrawals, deposits, transfers.
* :mod:`~exchanges_mexc.composite.paging` (order and fill history under MEXC's windows),
  :mod:`~exchanges_mexc.composite.open_orders` (open orders without a symbol) and
  :mod:`~exchanges_mexc.composite.health` (``health_check``) do one job each; this class routes the
  calls, refuses them after :meth:`close`, and keeps the view of every order it has seen.

Capabilities (checked with ``isinstance``): ``SupportsTrading``, ``SupportsBalance``,
``SupportsWithdrawal``, ``SupportsUserStream``; never a public stream method.

``orders`` is a read-only view of every order this instance has seen (from its own REST calls and
from the user stream), each in its latest known state.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal, overload

from exchanges.config import Credentials, ExchangeConfig, mask_key
from exchanges.errors import ExchangeClosedError, ExchangeError
from exchanges.handlers import PrivateStreamHandlers
from exchanges.interfaces import PrivateExchange
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
    AccountType,
    Amount,
    AssetBalance,
    AssetName,
    Deposit,
    DepositAddress,
    Fill,
    NetworkInfo,
    Order,
    OrderRequest,
    OrderType,
    Side,
    Symbol,
    SymbolInfo,
    TradeFee,
    Transfer,
    Withdrawal,
    WithdrawalPlan,
    WithdrawalRequest,
)
from exchanges.order_table import OrderTable
from exchanges_mexc.composite import paging
from exchanges_mexc.composite.health import private_health
from exchanges_mexc.composite.metrics import spec_metrics
from exchanges_mexc.composite.open_orders import all_open_orders
from exchanges_mexc.composite.orders import OrdersView
from exchanges_mexc.composite.user_stream import UserStream
from exchanges_mexc.composite.wallet import MexcWallet
from exchanges_mexc.constants import EXCHANGE_NAME
from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket
from exchanges_mexc.ws.reconcile import is_older

logger = logging.getLogger("exchanges.mexc.exchange.private")


class MexcCompositePrivateExchange(PrivateExchange):
    """MEXC spot trading, balances, withdrawals and the user stream (see module doc)."""

    def __init__(self, config: ExchangeConfig, credentials: Credentials) -> None:
        self.name = config.name
        self.config = config
        self._api_key_masked = mask_key(credentials.api_key)
        self.metrics = MetricsRegistry()
        self.rest = MexcPrivateSpotRest(config, credentials, metrics=self.metrics)
        self.wallet = MexcWallet(self.rest)
        self._user_stream = UserStream(config, self.rest, self.metrics)
        self._own_orders = OrderTable()  # open orders + the most recent finished ones
        self._symbols: set[Symbol] = set()
        self.orders = OrdersView(self._own_orders, self._user_stream.orders)
        self._initialized = False
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"MexcCompositePrivateExchange(name={self.name!r}, environment={self.config.environment!r}, "
            f"rest_url={self.config.rest_url!r}, api_key={self._api_key_masked!r})"
        )

    # ------------------------------------------------------------------ lifecycle

    async def initialize(self) -> None:
        """Load the symbol rules (for pre-flight checks) and measure the server clock offset."""
        if self._initialized:
            return
        await self.rest.initialize()
        self._initialized = True
        logger.debug("MEXC private exchange ready (%s, key %s)", self.config.rest_url, self._api_key_masked)

    async def close(self) -> None:
        """Stop the user stream (deleting its listen key) and close the HTTP sessions. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.stop_user_stream()
        finally:
            await self.rest.close()
        logger.debug("MEXC private exchange closed")

    @property
    def closed(self) -> bool:
        return self._closed

    def _require_open(self) -> None:
        """Every call after :meth:`close` raises ExchangeClosedError (nothing reopens a connection)."""
        if self._closed:
            raise ExchangeClosedError(
                f"{self.name} private exchange is closed: create a new one", exchange=EXCHANGE_NAME
            )

    def has_credentials(self) -> bool:
        """True: a private exchange always holds an API key (the spec's check before private calls)."""
        return bool(self._api_key_masked)

    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        self._require_open()
        return await self.rest.get_symbols_info()

    # ------------------------------------------------------------------ order tracking

    def _track(self, order: Order) -> Order:
        self._symbols.add(order.symbol)
        current = self._own_orders.get(order.order_id)
        if current is None or not is_older(order, current):
            self._own_orders[order.order_id] = order
        return order

    def _track_all(self, orders: list[Order]) -> list[Order]:
        for order in orders:
            self._track(order)
        return orders

    async def _watch_symbol(self, symbol: Symbol) -> None:
        """Make the user stream reconcile ``symbol`` after gaps (MEXC lists fills per symbol only)."""
        self._symbols.add(symbol)
        await self._user_stream.watch(symbol)

    @property
    def tracked_symbols(self) -> frozenset[Symbol]:
        """Symbols of every order seen, traded or asked about through this instance."""
        stream = {order.symbol for order in self._user_stream.orders().values()}
        return frozenset(self._symbols | stream)

    # ------------------------------------------------------------------ trading

    async def place_limit_order(
        self,
        symbol: Symbol,
        side: Side | str,
        quantity: Amount,
        price: Amount,
        *,
        order_type: OrderType | str = OrderType.LIMIT,
        client_order_id: str | None = None,
    ) -> Order:
        """LIMIT, LIMIT_MAKER, IMMEDIATE_OR_CANCEL or FILL_OR_KILL, quantized to the symbol's precision."""
        return await self.place(
            OrderRequest(symbol, side, order_type, quantity, price, None, client_order_id)
        )

    async def place_market_order(
        self,
        symbol: Symbol,
        side: Side | str,
        quantity: Amount | None = None,
        *,
        quote_quantity: Amount | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """MARKET by base ``quantity`` or by ``quote_quantity`` to spend (exactly one of them)."""
        return await self.place(
            OrderRequest(symbol, side, OrderType.MARKET, quantity, None, quote_quantity, client_order_id)
        )

    async def place(self, request: OrderRequest) -> Order:
        """Place one order, passed whole to the wire. Ends as the real :class:`Order`,
        :class:`~exchanges.errors.OrderNotPlaced` or :class:`~exchanges.errors.OrderOutcomeUnknown`
        (or the exchange's typed refusal); see docs/mexc.md "Orders"."""
        self._require_open()
        await self._watch_symbol(request.symbol)
        try:
            prepared = await self.rest.prepare(request)
        except ExchangeError as error:
            logger.error(
                "MEXC order refused before sending: %s %s %s: %s",
                request.symbol,
                request.side.value,
                request.order_type.value,
                error,
            )
            raise
        return self._track(await self.rest.place_prepared(prepared))

    async def cancel_order(self, symbol: Symbol, order_id: str) -> Order:
        self._require_open()
        return self._track(await self.rest.cancel_order(symbol, order_id))

    async def cancel_all_orders(self, symbol: Symbol) -> list[Order]:
        self._require_open()
        return self._track_all(await self.rest.cancel_all_orders(symbol))

    async def get_open_orders(self, symbol: Symbol | None = None) -> list[Order]:
        """Open orders of ``symbol``; with None, every open order of the account.

        MEXC lists open orders per symbol only, so None asks every symbol that may hold one: those
        this instance has seen, plus every listed symbol whose base or quote asset has a locked balance
        (see :mod:`~exchanges_mexc.composite.open_orders` for the cost: one account request plus one
        request per candidate symbol). Pass a symbol when you know it.
        """
        self._require_open()
        if symbol is not None:
            self._symbols.add(symbol)
            return self._track_all(await self.rest.get_open_orders(symbol))
        return self._track_all(await all_open_orders(self.rest, self.tracked_symbols))

    async def get_order_status(self, symbol: Symbol, order_id: str) -> Order:
        self._require_open()
        return self._track(await self.rest.get_order_status(symbol, order_id))

    async def get_order_history(
        self,
        symbol: Symbol,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 500,
    ) -> list[Order]:
        """Orders of ``symbol`` (MEXC: default the last 24 h, at most 7 days back)."""
        self._require_open()
        return await self.rest.get_order_history(symbol, start_time, end_time, limit)

    async def get_my_trades(
        self,
        symbol: Symbol,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 100,
    ) -> list[Fill]:
        self._require_open()
        return await self.rest.get_my_trades(symbol, start_time, end_time, limit)

    # ------------------------------------------------------------------ balances

    async def get_balances(self) -> dict[AssetName, AssetBalance]:
        """Every asset with a non-zero free or locked balance."""
        self._require_open()
        return await self.rest.get_balances()

    async def get_asset_balance(self, asset: AssetName) -> AssetBalance:
        """One asset's balance; a zero balance when the account holds none."""
        self._require_open()
        return await self.rest.get_asset_balance(asset)

    # ------------------------------------------------------------------ withdrawals

    @overload
    async def withdraw(
        self, request: WithdrawalRequest, *, dry_run: Literal[False] = False
    ) -> Withdrawal: ...

    @overload
    async def withdraw(self, request: WithdrawalRequest, *, dry_run: Literal[True]) -> WithdrawalPlan: ...

    async def withdraw(
        self, request: WithdrawalRequest, *, dry_run: bool = False
    ) -> Withdrawal | WithdrawalPlan:
        """Check every withdrawal rule, then submit (see :mod:`~exchanges_mexc.composite.wallet`).

        ``request.network`` may be MEXC's id (``TRX``) or a common name (``TRC20``). A refused check
        raises :class:`~exchanges.errors.WithdrawalRefused` and sends nothing; ``dry_run=True`` returns
        the :class:`~exchanges.models.WithdrawalPlan` instead of sending. A lost answer is looked up.
        """
        self._require_open()
        if dry_run:
            return await self.wallet.plan_withdrawal(request)
        return await self.wallet.withdraw(request)

    async def plan_withdrawal(self, request: WithdrawalRequest) -> WithdrawalPlan:
        """Every pre-send check; the plan that would be sent (same as ``withdraw(..., dry_run=True)``)."""
        self._require_open()
        return await self.wallet.plan_withdrawal(request)

    async def get_withdrawal_networks(self, asset: AssetName | str) -> list[NetworkInfo]:
        """Every network ``asset`` moves on, with fee, min, max, multiple and memo rules."""
        self._require_open()
        return await self.wallet.get_withdrawal_networks(asset)

    async def get_deposit_address(self, asset: AssetName | str, network: str | None = None) -> DepositAddress:
        """Where to deposit ``asset`` (``network``: MEXC id or common name; None: the first network)."""
        self._require_open()
        return await self.wallet.get_deposit_address(asset, network)

    async def get_deposit_history(
        self, asset: AssetName | str | None = None, start_time: int | None = None, end_time: int | None = None
    ) -> list[Deposit]:
        """Deposits, newest first (MEXC: default the last 7 days, windows of at most 7 days)."""
        self._require_open()
        return await self.wallet.get_deposit_history(asset, start_time, end_time)

    async def transfer(
        self, asset: AssetName | str, amount: Amount, from_account: AccountType, to_account: AccountType
    ) -> Transfer:
        """Move funds between your own SPOT and FUTURES accounts (MEXC ``/api/v3/capital/transfer``)."""
        self._require_open()
        return await self.wallet.transfer(asset, amount, from_account, to_account)

    # ------------------------------------------------------------------ batches, tests, fees, paging

    async def place_batch_orders(self, requests: Sequence[OrderRequest]) -> list[Order | ExchangeError]:
        """Up to 20 orders of one symbol in one request (MEXC ``batchOrders``); one result per request,
        in order: the placed Order, or the typed error that refused it. Every item is checked and
        quantized first; refused items are not sent. A lost answer is reconciled per client order id."""
        self._require_open()
        if requests:
            await self._watch_symbol(requests[0].symbol)
        results = await self.rest.place_batch_orders(requests)
        out: list[Order | ExchangeError] = []
        for result in results:
            if result.order is not None:
                out.append(self._track(result.order))
            else:
                assert result.error is not None
                out.append(result.error)
        return out

    async def test_order(self, request: OrderRequest) -> None:
        """Validate ``request`` locally and with MEXC (``POST /api/v3/order/test``) without placing it."""
        self._require_open()
        await self.rest.test_order(request)

    async def get_trading_fees(self, symbol: Symbol) -> TradeFee:
        """The account's maker/taker rates for ``symbol`` (MEXC ``/api/v3/tradeFee``)."""
        self._require_open()
        return await self.rest.get_trade_fee(symbol)

    def iter_order_history(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None
    ) -> AsyncIterator[Order]:
        """Every order of ``symbol`` created in the window, oldest first, each once. MEXC answers only
        the last 7 days (default start), at most 1000 per request: walked one day at a time, a full
        answer split in halves."""
        self._require_open()
        return paging.iter_order_history(self.rest, symbol, start_time, end_time)

    def iter_my_trades(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None
    ) -> AsyncIterator[Fill]:
        """Every fill of ``symbol`` in the window, oldest first, each once. MEXC keeps about one month
        (default start), at most 100 per request: walked one day at a time, a full answer split."""
        self._require_open()
        return paging.iter_my_trades(self.rest, symbol, start_time, end_time)

    async def get_withdrawal_history(
        self, asset: AssetName | str | None = None, start_time: int | None = None, end_time: int | None = None
    ) -> list[Withdrawal]:
        """Withdrawals, newest first (MEXC: default the last 7 days, windows of at most 7 days)."""
        self._require_open()
        return await self.rest.get_withdrawal_history(
            None if asset is None else str(asset).strip().upper(), None, start_time, end_time
        )

    async def get_withdrawal_status(self, withdrawal_id: str) -> Withdrawal:
        self._require_open()
        return await self.rest.get_withdrawal_status(withdrawal_id)

    async def cancel_withdrawal(self, withdrawal_id: str) -> str:
        self._require_open()
        return await self.rest.cancel_withdrawal(withdrawal_id)

    # ------------------------------------------------------------------ user stream

    async def start_user_stream(self, handlers: PrivateStreamHandlers | None = None) -> None:
        """Stream order updates, fills and balance changes; REST reconciliation after every gap.

        Calling it again while running only replaces the handlers.
        """
        self._require_open()
        await self._user_stream.start(handlers or PrivateStreamHandlers(), self.tracked_symbols)

    async def stop_user_stream(self) -> None:
        """Stop the user stream and delete its listen key. Harmless when not running."""
        await self._user_stream.stop(keep=self._track)  # the orders view keeps the latest states

    @property
    def user_stream(self) -> MexcPrivateSpotWebsocket | None:
        """The running user-stream client (iterators: ``order_updates()``, ``fills()``...), or None."""
        return self._user_stream.client

    # ------------------------------------------------------------------ observability

    def get_performance_metrics(self) -> dict[str, Any]:
        """The spec's metric keys (see :mod:`exchanges_mexc.composite.metrics`) plus account facts."""
        mapper = self.rest.public.symbol_mapper
        data = spec_metrics(self.metrics, symbol_cache_hit_rate=mapper.cache_hit_rate)
        data["clock_offset_ms"] = self.rest.signed.clock.offset_ms
        data["tracked_orders"] = len(self.orders)
        data["user_stream_connected"] = self._user_stream.is_connected()
        data["details"] = self.metrics.snapshot()
        return data

    async def health_check(self) -> dict[str, bool]:
        """The spec's health fields: REST, WebSocket, authentication, protobuf parsing and ``overall``."""
        self._require_open()  # a closed exchange never reopens a session, not even to check health
        stream = self._user_stream.client
        return await private_health(self.rest, None if stream is None else stream.is_connected())
