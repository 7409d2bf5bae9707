"""MEXC spot REST clients: :class:`MexcPublicSpotRest` (market data) and :class:`MexcPrivateSpotRest`
(trading, account, listen keys, wallet), split by concern into the modules of this package."""

from exchanges_mexc.rest.private import MexcPrivateSpotRest
from exchanges_mexc.rest.public import MexcPublicSpotRest
from exchanges_mexc.rest.types import BatchResult, OrderRequest, TradeFee

__all__ = ["BatchResult", "MexcPrivateSpotRest", "MexcPublicSpotRest", "OrderRequest", "TradeFee"]
