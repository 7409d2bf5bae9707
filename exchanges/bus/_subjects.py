"""The bus's names: subjects, stream and bucket names, and de-duplication ids.

Everything on the bus is named by exchange, channel and symbol (docs/bus.md)::

    md.<exchange>.book.<BASE-QUOTE>      versioned book deltas       (stream MD_<EXCHANGE>)
    md.<exchange>.trade.<BASE-QUOTE>     public trades               (stream MD_<EXCHANGE>)
    md.<exchange>.ticker.<BASE-QUOTE>    24 h tickers                (stream MD_<EXCHANGE>)
    md.<exchange>.book_ticker.<BASE-QUOTE>  best bid and ask         (stream MD_<EXCHANGE>)
    md.<exchange>.kline_<interval>.<BASE-QUOTE>  forming candles, e.g. kline_1m (stream MD_<EXCHANGE>)
    md.<exchange>.gap.<BASE-QUOTE>       "trades before this may be missing" markers
    KV md_<exchange>_books   key <BASE-QUOTE>         latest full book snapshot
    KV md_<exchange>_<group>_leases  key <BASE-QUOTE> which gateway publishes the symbol
    KV md_<exchange>_<group>_members key <gateway id> gateway heartbeats (status, fair share)
    mdlive.<exchange>                    per-gateway liveness of its published symbols (core NATS,
                                         not stored: outside the stream on purpose)

A symbol token is ``BASE-QUOTE``: NATS separates subject tokens with dots and uses ``*``/``>`` as
wildcards, so those characters are refused in asset names (no listed asset uses them).

De-duplication ids (JetStream ``Nats-Msg-Id``) come from the exchange's own identity of the event
(trade id, book version range, book ticker version, candle state), never from the gateway, so two
gateways publishing the same event during a hand-over store it once.
"""

from __future__ import annotations

import re

from exchanges.models import BookTicker, Kline, KlineInterval, Symbol

KLINE_PREFIX = "kline_"
KLINE_CHANNELS = {f"{KLINE_PREFIX}{interval.value}": interval for interval in KlineInterval}
"""``kline_1m`` ... ``kline_1M``: one channel per candle width (the interval is part of the subject,
so a consumer receives exactly the widths it streams)."""
EVENT_CHANNELS = ("book", "trade", "ticker", "book_ticker", *KLINE_CHANNELS)
"""Channels of market events (what gateways publish and consumers count)."""
CHANNELS = (*EVENT_CHANNELS, "gap")
"""Channels carried by the market-data stream."""


def kline_channel(interval: KlineInterval) -> str:
    """``KlineInterval.MINUTE_1`` -> ``kline_1m``."""
    return f"{KLINE_PREFIX}{interval.value}"


_TOKEN = re.compile(r"^[A-Za-z0-9_]+$")
_NAME = re.compile(r"^[a-z0-9_]+$")


def check_name(kind: str, value: str) -> str:
    """An exchange or group name usable inside subjects and bucket names (``[a-z0-9_]+``)."""
    if not _NAME.match(value):
        raise ValueError(f"{kind} {value!r} must match [a-z0-9_]+ to be used in NATS names")
    return value


def symbol_token(symbol: Symbol) -> str:
    """``BTC/USDT`` -> ``BTC-USDT``; ValueError for assets that cannot be a subject token."""
    base, quote = str(symbol.base), str(symbol.quote)
    if not (_TOKEN.match(base) and _TOKEN.match(quote)):
        raise ValueError(f"symbol {symbol} cannot be named on the bus (assets must match [A-Za-z0-9_]+)")
    return f"{base}-{quote}"


def parse_symbol_token(token: str) -> Symbol:
    """``BTC-USDT`` -> ``Symbol("BTC", "USDT")``; ValueError for anything else."""
    base, sep, quote = token.partition("-")
    if not sep or not _TOKEN.match(base) or not _TOKEN.match(quote):
        raise ValueError(f"not a bus symbol token: {token!r}")
    return Symbol(base, quote)


class Subjects:
    """Names for one exchange (and optionally one gateway group) on the bus."""

    __slots__ = ("exchange", "group", "prefix")

    def __init__(self, exchange: str, group: str = "default") -> None:
        self.exchange = check_name("exchange", exchange)
        self.group = check_name("group", group)
        self.prefix = f"md.{exchange}."

    @property
    def stream(self) -> str:
        """The JetStream stream holding every market-data channel of this exchange."""
        return f"MD_{self.exchange.upper()}"

    @property
    def stream_subjects(self) -> str:
        return f"{self.prefix}>"

    @property
    def books_bucket(self) -> str:
        return f"md_{self.exchange}_books"

    @property
    def leases_bucket(self) -> str:
        return f"md_{self.exchange}_{self.group}_leases"

    @property
    def members_bucket(self) -> str:
        return f"md_{self.exchange}_{self.group}_members"

    @property
    def liveness(self) -> str:
        """Core NATS subject of gateway liveness messages (not under ``md.``: never stored)."""
        return f"mdlive.{self.exchange}"

    def subject(self, channel: str, symbol: Symbol) -> str:
        return f"{self.prefix}{channel}.{symbol_token(symbol)}"

    def parse(self, subject: str) -> tuple[str, Symbol]:
        """``md.<exchange>.<channel>.<token>`` -> (channel, symbol); ValueError otherwise."""
        if not subject.startswith(self.prefix):
            raise ValueError(f"subject {subject!r} is not under {self.prefix}")
        channel, dot, token = subject[len(self.prefix) :].partition(".")
        if not dot or channel not in CHANNELS:
            raise ValueError(f"unknown channel in subject {subject!r}")
        return channel, parse_symbol_token(token)


def trade_msg_id(exchange: str, symbol: Symbol, trade_id: str | None, fallback: str) -> str:
    """The trade's own id; without one, ``fallback`` (time, price, quantity and side of the trade)."""
    ident = trade_id if trade_id else f"k{fallback}"
    return f"{exchange}:t:{symbol_token(symbol)}:{ident}"


def book_msg_id(exchange: str, symbol: Symbol, first_version: int, last_version: int) -> str:
    return f"{exchange}:b:{symbol_token(symbol)}:{first_version}-{last_version}"


def ticker_msg_id(exchange: str, symbol: Symbol, timestamp: int) -> str:
    return f"{exchange}:k:{symbol_token(symbol)}:{timestamp}"


def book_ticker_msg_id(exchange: str, ticker: BookTicker) -> str:
    """The book version the best prices belong to; without one, the time and the four values."""
    t = ticker
    ident = (
        str(t.version)
        if t.version is not None
        else f"k{t.timestamp}:{t.bid_price!r}:{t.bid_quantity!r}:{t.ask_price!r}:{t.ask_quantity!r}"
    )
    return f"{exchange}:bt:{symbol_token(t.symbol)}:{ident}"


def kline_msg_id(exchange: str, kline: Kline) -> str:
    """A candle *state*: width, open time and its values. The exchange numbers no candle update, and
    within one window volume only grows, so equal values are the same state pushed again (a repeat
    carries nothing new and is stored once); any change of close, high, low or volume is a new id."""
    k = kline
    return (
        f"{exchange}:c:{symbol_token(k.symbol)}:{k.interval.value}:{k.open_time}:"
        f"{k.close!r}:{k.high!r}:{k.low!r}:{k.volume!r}:{k.quote_volume!r}"
    )
