"""Symbol and coin specifications served by the simulator (exchangeInfo, capital/config/getall).

Field names and types follow the real MEXC exchangeInfo capture (API.md §3.1 and §14): ``status`` is the
string ``"1"``, precisions are ints (decimal places), ``baseSizePrecision`` is a decimal string (quantity
step and minimum), ``quoteAmountPrecision`` is the minimum limit-order notional, ``tradeSideType`` is an int
(1 all, 2 buy only, 3 sell only, 4 closed) and ``filters`` carries one ``PERCENT_PRICE_BY_SIDE`` filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

KNOWN_QUOTES = ("USDT", "USDC", "USDE", "BTC", "ETH", "MX")


@attrs.frozen
class SymbolSpec:
    """One listed pair. ``api_tradable`` False gives ``isSpotTradingAllowed: false`` and error 10007."""

    symbol: str
    base: str
    quote: str
    initial_price: Decimal
    base_precision: int = 6
    quote_precision: int = 2
    base_size_precision: str = "0.000001"
    min_notional: str = "1"
    max_notional: str = "2000000"
    min_notional_market: str = "1"
    max_notional_market: str = "4000000"
    maker_commission: str = "0"
    taker_commission: str = "0.0005"
    status: str = "1"
    api_tradable: bool = True
    trade_side_type: int = 1
    order_types: tuple[str, ...] = ("LIMIT", "MARKET", "LIMIT_MAKER")
    bid_multiplier_up: str = "0.2"
    ask_multiplier_down: str = "0.2"
    full_name: str = ""

    @property
    def tick(self) -> Decimal:
        """Smallest price increment (10^-quote_precision)."""
        return Decimal(1).scaleb(-self.quote_precision)

    @property
    def lot(self) -> Decimal:
        """Smallest quantity increment (10^-base_precision)."""
        return Decimal(1).scaleb(-self.base_precision)

    @property
    def min_qty(self) -> Decimal:
        """Minimum order quantity from ``baseSizePrecision`` ("0" = no minimum beyond precision)."""
        return Decimal(self.base_size_precision)

    def to_json(self) -> dict[str, Any]:
        """The exchangeInfo ``symbols[]`` item."""
        return {
            "symbol": self.symbol,
            "status": self.status,
            "baseAsset": self.base,
            "baseAssetPrecision": self.base_precision,
            "quoteAsset": self.quote,
            "quotePrecision": self.quote_precision,
            "quoteAssetPrecision": self.quote_precision,
            "baseCommissionPrecision": self.base_precision,
            "quoteCommissionPrecision": self.quote_precision,
            "orderTypes": list(self.order_types),
            "isSpotTradingAllowed": self.api_tradable,
            "isMarginTradingAllowed": False,
            "quoteAmountPrecision": self.min_notional,
            "baseSizePrecision": self.base_size_precision,
            "permissions": ["SPOT"],
            "filters": [
                {
                    "filterType": "PERCENT_PRICE_BY_SIDE",
                    "bidMultiplierUp": self.bid_multiplier_up,
                    "askMultiplierDown": self.ask_multiplier_down,
                }
            ],
            "maxQuoteAmount": self.max_notional,
            "makerCommission": self.maker_commission,
            "takerCommission": self.taker_commission,
            "quoteAmountPrecisionMarket": self.min_notional_market,
            "maxQuoteAmountMarket": self.max_notional_market,
            "fullName": self.full_name or self.base,
            "tradeSideType": self.trade_side_type,
            "contractAddress": "",
            "st": False,
        }


_PRESETS: dict[str, dict[str, Any]] = {
    "BTCUSDT": {
        "initial_price": Decimal("60000"),
        "base_precision": 6,
        "quote_precision": 2,
        "base_size_precision": "0.000001",
        "full_name": "Bitcoin",
    },
    "ETHUSDT": {
        "initial_price": Decimal("3000"),
        "base_precision": 5,
        "quote_precision": 2,
        "base_size_precision": "0.00001",
        "full_name": "Ethereum",
    },
    "MXUSDT": {
        "initial_price": Decimal("2.5"),
        "base_precision": 2,
        "quote_precision": 4,
        "base_size_precision": "0.01",
        "full_name": "MX Token",
    },
}


def split_pair(symbol: str) -> tuple[str, str]:
    """Split ``"BTCUSDT"`` into base and quote using the common MEXC quote assets."""
    for quote in KNOWN_QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)], quote
    return symbol[:-4], symbol[-4:]


def make_spec(symbol: str, overrides: Mapping[str, Any] | None = None) -> SymbolSpec:
    """A realistic spec for ``symbol`` (presets for BTC/ETH/MX, generic small cap otherwise) + overrides."""
    symbol = symbol.upper()
    base, quote = split_pair(symbol)
    params: dict[str, Any] = {
        "initial_price": Decimal("1.5"),
        "base_precision": 2,
        "quote_precision": 4,
        "base_size_precision": "0.01",
        "max_notional_market": "100000",
    }
    params.update(_PRESETS.get(symbol, {}))
    for key, value in (overrides or {}).items():
        params[key] = Decimal(str(value)) if key == "initial_price" else value
    return SymbolSpec(symbol=symbol, base=base, quote=quote, **params)


@attrs.frozen
class NetworkSpec:
    """One withdrawal/deposit network of a coin (capital/config/getall ``networkList`` item)."""

    network: str
    name: str
    withdraw_fee: str = "1"
    withdraw_min: str = "10"
    withdraw_max: str = "1000000"
    withdraw_multiple: str = "0.000001"
    min_confirm: int = 12
    deposit_enable: bool = True
    withdraw_enable: bool = True
    contract: str = ""
    same_address: bool = False


@attrs.frozen
class CoinSpec:
    """One coin with its networks."""

    coin: str
    name: str
    networks: tuple[NetworkSpec, ...] = attrs.field(factory=tuple)

    def network(self, net: str | None) -> NetworkSpec | None:
        """Find a network by its id (``netWork``) or old name (``network``); None -> the first one."""
        if not net:
            return self.networks[0] if self.networks else None
        for spec in self.networks:
            if net in (spec.network, spec.name):
                return spec
        return None

    def to_json(self) -> dict[str, Any]:
        """The capital/config/getall item."""
        return {
            "coin": self.coin,
            "name": self.name,
            "networkList": [
                {
                    "coin": self.coin,
                    "depositDesc": None,
                    "depositEnable": n.deposit_enable,
                    "minConfirm": n.min_confirm,
                    "name": self.name,
                    "network": n.name,
                    "withdrawEnable": n.withdraw_enable,
                    "withdrawFee": n.withdraw_fee,
                    "withdrawIntegerMultiple": n.withdraw_multiple,
                    "withdrawMax": n.withdraw_max,
                    "withdrawMin": n.withdraw_min,
                    "sameAddress": n.same_address,
                    "contract": n.contract,
                    "withdrawTips": "Please enter the MEMO" if n.same_address else None,
                    "depositTips": None,
                    "netWork": n.network,
                }
                for n in self.networks
            ],
        }


_COIN_PRESETS: dict[str, tuple[NetworkSpec, ...]] = {
    "USDT": (
        NetworkSpec("TRX", "Tron(TRC20)", withdraw_fee="1", withdraw_min="10", contract="TR7NHqje"),
        NetworkSpec("ETH", "Ethereum(ERC20)", withdraw_fee="3", withdraw_min="10", contract="0xdac17f95"),
        NetworkSpec(
            "BSC", "BNB Smart Chain(BEP20)", withdraw_fee="0.5", withdraw_min="5", contract="0x55d398"
        ),
        NetworkSpec("SOL", "Solana(SOL)", withdraw_fee="1", withdraw_min="5", withdraw_enable=False),
    ),
    "XRP": (
        NetworkSpec(
            "XRP",
            "Ripple(XRP)",
            withdraw_fee="0.2",
            withdraw_min="5",
            withdraw_multiple="0.01",
            same_address=True,
        ),
    ),
    "BTC": (NetworkSpec("BTC", "Bitcoin(BTC)", withdraw_fee="0.0001", withdraw_min="0.001"),),
    "ETH": (NetworkSpec("ETH", "Ethereum(ERC20)", withdraw_fee="0.001", withdraw_min="0.01"),),
}


def make_coin(coin: str) -> CoinSpec:
    """Coin config for ``coin`` (presets for USDT/BTC/ETH, one generic network otherwise)."""
    nets = _COIN_PRESETS.get(coin) or (
        NetworkSpec(coin, f"{coin}({coin})", withdraw_fee="0.1", withdraw_min="1"),
    )
    return CoinSpec(coin=coin, name=coin, networks=nets)
