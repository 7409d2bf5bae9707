"""MEXC spot WebSocket clients (API.md §9): public market streams and the private user stream.

* :class:`MexcPublicSpotWebsocket` (:mod:`.public`): trades, book tickers, limit depth, klines,
  mini tickers and local order books over a pool of reconnecting sockets.
* :class:`MexcPrivateSpotWebsocket` (:mod:`.private`): orders, fills and balances over a listen
  key, with REST reconciliation after every reconnect.

Supporting modules, one concern each: :mod:`.channels` (channel names), :mod:`.codec` (requests),
:mod:`.strategy` (connection policy), :mod:`.acks` (subscription answers), :mod:`.dispatch`
(frame routing), :mod:`.books` (local books), :mod:`.dedupe`, :mod:`.streams` (handlers and
iterators), :mod:`.listen_key`, :mod:`.reconcile`.
"""

from __future__ import annotations

from exchanges.streams import EventStream, StreamIterator
from exchanges_mexc.ws.channels import PRIVATE_CHANNELS, ChannelKind, parse_channel
from exchanges_mexc.ws.codec import MexcSubscriptionCodec
from exchanges_mexc.ws.private import MexcPrivateSpotWebsocket
from exchanges_mexc.ws.public import MexcPublicSpotWebsocket
from exchanges_mexc.ws.strategy import MexcConnectionStrategy

__all__ = [
    "PRIVATE_CHANNELS",
    "ChannelKind",
    "EventStream",
    "MexcConnectionStrategy",
    "MexcPrivateSpotWebsocket",
    "MexcPublicSpotWebsocket",
    "MexcSubscriptionCodec",
    "StreamIterator",
    "parse_channel",
]
