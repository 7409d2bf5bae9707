"""MexcPrivateSpotRest: MEXC spot trading, account, listen-key and wallet REST client.

Orders are validated and quantized from the symbol rules before anything is sent
(:mod:`~exchanges_mexc.rest.preflight`) and placed through :mod:`~exchanges_mexc.rest.placement`
(client order id always set, lost answers reconciled, never a second send). Signing, clock sync and
700003 recovery live in :mod:`~exchanges_mexc.rest.signed`; wallet calls in
:mod:`~exchanges_mexc.rest.capital`, batches in :mod:`~exchanges_mexc.rest.batch`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import Any

from exchanges.capabilities import Amount
from exchanges.config import Credentials, ExchangeConfig
from exchanges.errors import OrderOutcomeUnknown, ProtocolError
from exchanges.metrics import MetricsRegistry
from exchanges.models import (
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
    Withdrawal,
    WithdrawalRequest,
)
from exchanges.transport.rest import SendTrace
from exchanges_mexc import constants as c
from exchanges_mexc.parsing.account import (
    OPEN_ORDERS,
    ORDER_QUERY,
    parse_account,
    parse_listen_key,
    parse_listen_keys,
    parse_my_trades,
    parse_order_json,
    parse_orders_json,
    parse_trade_fee,
)
from exchanges_mexc.parsing.values import dec
from exchanges_mexc.rest.batch import place_batch
from exchanges_mexc.rest.cancel_all import cancel_all_orders
from exchanges_mexc.rest.capital import MexcCapitalRest
from exchanges_mexc.rest.params import window_params
from exchanges_mexc.rest.placement import ReconcilePolicy, order_from_answer, place_safely
from exchanges_mexc.rest.preflight import PreparedOrder, prepare_order
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.rest.signed import MexcSignedClient
from exchanges_mexc.rest.types import BatchResult, TradeFee

logger = logging.getLogger("exchanges.mexc.rest.private")


def _id_params(order_id: str | None, client_order_id: str | None) -> list[tuple[str, str]]:
    if (order_id is None) == (client_order_id is None):
        raise ValueError("pass exactly one of order_id or client_order_id")
    return [("orderId", order_id)] if order_id is not None else [("origClientOrderId", str(client_order_id))]


class MexcPrivateSpotRest:
    """Signed MEXC spot endpoints (API.md §4-§6). ``public`` is shared when given, else owned."""

    def __init__(
        self,
        config: ExchangeConfig,
        credentials: Credentials,
        *,
        public: MexcPublicSpotRest | None = None,
        metrics: MetricsRegistry | None = None,
    ) -> None:
        self._owns_public = public is None
        if public is None:
            public = MexcPublicSpotRest(config, metrics=metrics)
        self.config = config
        self.public = public
        self.metrics = metrics if metrics is not None else public.metrics
        self.signed = MexcSignedClient(config, credentials, public=public, metrics=self.metrics)
        self.policy = ReconcilePolicy.from_config(config)
        self.capital = MexcCapitalRest(self.signed)

    def __repr__(self) -> str:
        key = self.signed.signer.masked_api_key
        return f"MexcPrivateSpotRest(rest_url={self.config.rest_url!r}, api_key={key!r})"

    async def __aenter__(self) -> MexcPrivateSpotRest:
        await self.initialize()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def initialize(self) -> None:
        """Load symbol rules and measure the server clock offset."""
        await self.public.get_exchange_info()
        await self.signed.clock.sync()

    async def close(self) -> None:
        """Close the signed session (and the public client when this instance created it)."""
        await self.signed.close()
        if self._owns_public:
            await self.public.close()

    def has_credentials(self) -> bool:
        """True: this client always signs with an API key (the spec's check before private calls)."""
        return True

    async def get_symbols_info(self) -> dict[Symbol, SymbolInfo]:
        return await self.public.get_exchange_info()

    # ------------------------------------------------------------------ account

    async def get_account(self) -> dict[AssetName, AssetBalance]:
        """Every balance the account lists, zero ones included (``GET /api/v3/account``)."""
        return parse_account(await self.signed.request(c.ACCOUNT, raw=True))

    async def get_balances(self) -> dict[AssetName, AssetBalance]:
        """Assets with a non-zero free or locked balance."""
        return {asset: bal for asset, bal in (await self.get_account()).items() if bal.free or bal.locked}

    async def get_asset_balance(self, asset: AssetName | str) -> AssetBalance:
        """One asset's balance; zero when the account holds none."""
        name = AssetName(str(asset).upper())
        return (await self.get_account()).get(name) or AssetBalance(asset=name, free=dec(0))

    async def get_trade_fee(self, symbol: Symbol) -> TradeFee:
        """The account's maker/taker rates for ``symbol`` (``GET /api/v3/tradeFee``)."""
        data = await self.signed.request(c.TRADE_FEE, [("symbol", self.public.pair(symbol))], raw=True)
        return parse_trade_fee(symbol, data)

    # ------------------------------------------------------------------ orders

    async def prepare(self, request: OrderRequest) -> PreparedOrder:
        """Validate and quantize an order against the cached rules; sends nothing but exchangeInfo."""
        info = self.public.peek_symbol_info(request.symbol)  # fresh cache: no coroutine layers
        if info is None:
            info = await self.public.get_symbol_info(request.symbol)
        return prepare_order(info, request, self.public.pair(request.symbol))

    async def place(self, request: OrderRequest) -> Order:
        """Place one order safely: it ends as the real :class:`Order`, :class:`OrderNotPlaced` or
        :class:`OrderOutcomeUnknown` (see :mod:`~exchanges_mexc.rest.placement`)."""
        return await self.place_prepared(await self.prepare(request))

    async def place_order(
        self,
        symbol: Symbol,
        side: Side | str,
        order_type: OrderType | str,
        quantity: Amount | None = None,
        price: Amount | None = None,
        quote_quantity: Amount | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        """:meth:`place` with the fields of an :class:`OrderRequest` as arguments."""
        return await self.place(
            OrderRequest(symbol, side, order_type, quantity, price, quote_quantity, client_order_id)
        )

    async def place_prepared(self, prepared: PreparedOrder) -> Order:
        """Send an already validated order once; reconcile if its answer is lost or unusable."""
        return await place_safely(
            prepared,
            lambda trace: self._send_order(prepared, trace),
            lambda: self.get_order(prepared.symbol, client_order_id=prepared.client_order_id, priority=True),
            self.policy,
            self.signed.clock.error_bound,
        )

    async def _send_order(self, prepared: PreparedOrder, trace: SendTrace) -> Order:
        data = await self.signed.request(
            c.ORDER_NEW,
            prepared.params(),
            timeout=self.config.order_timeout,
            context={"symbol": prepared.symbol, "client_order_id": prepared.client_order_id},
            raw=True,
            priority=True,
            trace=trace,
        )
        return order_from_answer(data, prepared)

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
        return await self.place_order(symbol, side, order_type, quantity, price, None, client_order_id)

    async def place_market_order(
        self,
        symbol: Symbol,
        side: Side | str,
        quantity: Amount | None = None,
        *,
        quote_quantity: Amount | None = None,
        client_order_id: str | None = None,
    ) -> Order:
        return await self.place_order(
            symbol, side, OrderType.MARKET, quantity, None, quote_quantity, client_order_id
        )

    async def test_order(self, request: OrderRequest) -> None:
        """Validate an order locally and with MEXC (``POST /api/v3/order/test``) without placing it."""
        prepared = await self.prepare(request)
        await self.signed.request(c.ORDER_TEST, prepared.params(), timeout=self.config.order_timeout)

    async def place_batch_orders(self, orders: Sequence[OrderRequest]) -> list[BatchResult]:
        """Up to 20 orders of one symbol in one request; one result per input, in order."""
        return await place_batch(self, orders)

    async def cancel_order(
        self, symbol: Symbol, order_id: str | None = None, client_order_id: str | None = None
    ) -> Order:
        """Cancel by order id or client order id; a lost or unusable answer is checked by looking the
        order up (still open: OrderOutcomeUnknown)."""
        params = [("symbol", self.public.pair(symbol)), *_id_params(order_id, client_order_id)]
        try:
            data = await self.signed.request(
                c.ORDER_CANCEL,
                params,
                timeout=self.config.order_timeout,
                context={"symbol": symbol},
                raw=True,
            )
            order = parse_order_json(data, symbol, "DELETE /api/v3/order")
        except (OrderOutcomeUnknown, ProtocolError) as unknown:  # lost or unusable answer: look it up
            order = await self.get_order(symbol, order_id, client_order_id)
            if order.status.is_open:
                if isinstance(unknown, OrderOutcomeUnknown):
                    raise
                raise OrderOutcomeUnknown(
                    f"cancel of {symbol} order {order.order_id}: the answer was unusable "
                    f"({unknown.message}) and the order is still open",
                    symbol=symbol,
                    client_order_id=order.client_order_id,
                    cause=unknown,
                    exchange=c.EXCHANGE_NAME,
                ) from unknown
            logger.info("MEXC cancel reconciled: order_id=%s is %s", order.order_id, order.status.value)
            return order
        logger.info("MEXC order canceled: %s order_id=%s", symbol, order.order_id)
        return order

    async def cancel_all_orders(self, symbol: Symbol) -> list[Order]:
        """Cancel every open order of ``symbol``; returns the canceled orders. A lost or unusable
        answer is reconciled, never re-sent (:mod:`exchanges_mexc.rest.cancel_all`)."""
        return await cancel_all_orders(self, symbol, self.config.order_timeout)

    def pair(self, symbol: Symbol) -> str:
        """``Symbol("BTC", "USDT")`` -> ``"BTCUSDT"``."""
        return self.public.pair(symbol)

    async def get_order(
        self,
        symbol: Symbol,
        order_id: str | None = None,
        client_order_id: str | None = None,
        *,
        priority: bool = False,
    ) -> Order:
        """One order by id or client id; raises OrderNotFound (-2011) when MEXC does not know it.
        ``priority`` gives the lookup an order's connection priority (reconciliation uses it)."""
        params = [("symbol", self.public.pair(symbol)), *_id_params(order_id, client_order_id)]
        data = await self.signed.request(c.ORDER_QUERY, params, raw=True, priority=priority)
        return parse_order_json(data, symbol, ORDER_QUERY)

    async def get_order_status(self, symbol: Symbol, order_id: str) -> Order:
        return await self.get_order(symbol, order_id)

    async def get_open_orders(self, symbol: Symbol) -> list[Order]:
        """Open orders of ``symbol`` (MEXC requires the symbol)."""
        data = await self.signed.request(c.OPEN_ORDERS, [("symbol", self.public.pair(symbol))], raw=True)
        return parse_orders_json(data, symbol, OPEN_ORDERS)

    async def get_all_orders(
        self, symbol: Symbol, start_time: int | None = None, end_time: int | None = None, limit: int = 500
    ) -> list[Order]:
        """Orders of ``symbol`` (MEXC: default last 24 h, at most the last 7 days)."""
        params = [
            ("symbol", self.public.pair(symbol)),
            *window_params(start_time, end_time, limit, c.MAX_ALL_ORDERS_LIMIT),
        ]
        return parse_orders_json(
            await self.signed.request(c.ALL_ORDERS, params, raw=True), symbol, "GET /api/v3/allOrders"
        )

    get_order_history = get_all_orders

    async def get_my_trades(
        self,
        symbol: Symbol,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 100,
        *,
        order_id: str | None = None,
    ) -> list[Fill]:
        """Our fills of ``symbol`` (MEXC keeps one month; limit at most 100)."""
        params = [
            ("symbol", self.public.pair(symbol)),
            *window_params(start_time, end_time, limit, c.MAX_MY_TRADES_LIMIT),
        ]
        if order_id is not None:
            params.append(("orderId", order_id))
        return parse_my_trades(await self.signed.request(c.MY_TRADES, params, raw=True), symbol)

    # ------------------------------------------------------------------ listen keys (user data stream)

    async def create_listen_key(self) -> str:
        """A new listen key, valid 60 minutes unless kept alive."""
        return parse_listen_key(await self.signed.request(c.LISTEN_KEY_CREATE, raw=True))

    async def keepalive_listen_key(self, listen_key: str) -> None:
        """Extend ``listen_key`` by 60 minutes (MEXC recommends every 30)."""
        await self.signed.request(c.LISTEN_KEY_KEEPALIVE, [("listenKey", listen_key)], idempotent=True)

    async def delete_listen_key(self, listen_key: str) -> None:
        """Close the stream of ``listen_key``."""
        await self.signed.request(c.LISTEN_KEY_DELETE, [("listenKey", listen_key)], idempotent=True)

    async def get_listen_keys(self) -> list[str]:
        """Every valid listen key of the account."""
        return parse_listen_keys(await self.signed.request(c.LISTEN_KEY_LIST, raw=True))

    # ------------------------------------------------------------------ wallet (delegates to self.capital)

    async def withdraw(
        self, request: WithdrawalRequest, *, network_names: Collection[str] = ()
    ) -> Withdrawal:
        """Submit a withdrawal; a lost answer is looked up by ``withdrawOrderId``, never re-sent.
        ``network_names``: other names of ``request.network`` for the allowlist's network pins."""
        return await self.capital.withdraw(request, network_names=network_names)

    async def cancel_withdrawal(self, withdrawal_id: str) -> str:
        return await self.capital.cancel_withdrawal(withdrawal_id)

    async def get_withdrawal_history(
        self,
        asset: str | None = None,
        status: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 1000,
    ) -> list[Withdrawal]:
        return await self.capital.get_withdrawal_history(asset, status, start_time, end_time, limit)

    async def get_withdrawal(self, withdrawal_id: str) -> Withdrawal:
        return await self.capital.get_withdrawal(withdrawal_id)

    get_withdrawal_status = get_withdrawal

    async def get_deposit_history(
        self,
        asset: str | None = None,
        status: int | None = None,
        start_time: int | None = None,
        end_time: int | None = None,
        limit: int = 1000,
    ) -> list[Deposit]:
        return await self.capital.get_deposit_history(asset, status, start_time, end_time, limit)

    async def get_deposit_address(self, asset: AssetName | str, network: str | None = None) -> DepositAddress:
        return await self.capital.get_deposit_address(asset, network)

    async def get_coin_config(self) -> list[NetworkInfo]:
        return await self.capital.get_coin_config()

    # ------------------------------------------------------------------ observability

    def get_performance_metrics(self) -> dict[str, Any]:
        data = self.public.get_performance_metrics()
        data["clock_offset_ms"] = self.signed.clock.offset_ms
        return data
