"""MEXC spot exchanges as users meet them: the two composites the ``mexc_spot`` plugin creates.

::

    from exchanges import FullExchangeFactory
    public, private = await FullExchangeFactory().create_exchange_pair("mexc_spot", symbols=["BTC/USDT"])

* :class:`MexcCompositePublicExchange`: market data (REST snapshots, local order books, trade and
  ticker streams).
* :class:`MexcCompositePrivateExchange`: trading, balances, withdrawals and the user stream.

The two domains share nothing but configuration: neither is a subclass of the other.
"""

from exchanges_mexc.composite.orders import OrdersView
from exchanges_mexc.composite.private import MexcCompositePrivateExchange
from exchanges_mexc.composite.public import MexcCompositePublicExchange

__all__ = ["MexcCompositePrivateExchange", "MexcCompositePublicExchange", "OrdersView"]
