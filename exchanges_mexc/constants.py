"""MEXC spot facts: REST and WebSocket base URLs, REST endpoint paths and weights, depth limits.

Everything here comes from the real API (``mexc/API.md`` §1-§8): the seed spec's ``/wapi`` paths, its
Binance-style weights and its ``X-MBX-USED-WEIGHT`` header do not exist on MEXC.
WebSocket channel templates live with the WebSocket client, not here.

Rate limits (API.md §8): two buckets, **IP** (endpoints called without an API key) and **UID**
(endpoints called with one), 500 weight per 10 s each. The English docs say every endpoint has its
own 500/10 s; the Chinese docs (same date) say all endpoints share one pool per IP and one per UID.
``MexcSettings.shared_weight_pools`` picks the reading (default: shared, the stricter one).
Signed endpoints are charged to both the UID and the IP pool: the request still leaves from our IP,
and charging both can only make us slower, never banned.
"""

from __future__ import annotations

import attrs

EXCHANGE_NAME = "mexc_spot"
REST_BASE_URL = "https://api.mexc.com"
WS_BASE_URL = "wss://wbs-api.mexc.com/ws"
SIM_PORT = 8800
"""Default port of ``exchanges sim`` and of the plugin's ``sim`` profile URLs."""

API_KEY_HEADER = "X-MEXC-APIKEY"
DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
"""recvWindow above this is refused by MEXC with 700005."""

IP_POOL = "ip"
UID_POOL = "uid"


@attrs.frozen(slots=True)
class Endpoint:
    """One REST endpoint: method, path, weight (DOCS-EN), and whether it needs a signature.

    ``weight_all`` is the weight when the optional ``symbol`` is omitted (all-symbol tickers).
    ``per_second`` is an extra documented request-rate cap (``/account`` and ``/batchOrders``: 2/s).
    """

    method: str
    path: str
    weight: int
    signed: bool = False
    weight_all: int | None = None
    per_second: int | None = None

    @property
    def key(self) -> str:
        """``"GET /api/v3/depth"``: the name used for metrics and per-endpoint pools."""
        return f"{self.method} {self.path}"


# --- public market data (IP pool) -----------------------------------------------------------------
PING = Endpoint("GET", "/api/v3/ping", 1)
TIME = Endpoint("GET", "/api/v3/time", 1)
DEFAULT_SYMBOLS = Endpoint("GET", "/api/v3/defaultSymbols", 1)
EXCHANGE_INFO = Endpoint("GET", "/api/v3/exchangeInfo", 10)
DEPTH = Endpoint("GET", "/api/v3/depth", 1)
TRADES = Endpoint("GET", "/api/v3/trades", 5)
AGG_TRADES = Endpoint("GET", "/api/v3/aggTrades", 1)
KLINES = Endpoint("GET", "/api/v3/klines", 1)
AVG_PRICE = Endpoint("GET", "/api/v3/avgPrice", 1)
TICKER_24HR = Endpoint("GET", "/api/v3/ticker/24hr", 1, weight_all=40)
TICKER_PRICE = Endpoint("GET", "/api/v3/ticker/price", 1, weight_all=2)
BOOK_TICKER = Endpoint("GET", "/api/v3/ticker/bookTicker", 1, weight_all=1)

# --- signed trading and account (UID + IP pools) --------------------------------------------------
ORDER_TEST = Endpoint("POST", "/api/v3/order/test", 1, signed=True)
ORDER_NEW = Endpoint("POST", "/api/v3/order", 1, signed=True)
BATCH_ORDERS = Endpoint("POST", "/api/v3/batchOrders", 1, signed=True, per_second=2)
ORDER_CANCEL = Endpoint("DELETE", "/api/v3/order", 1, signed=True)
OPEN_ORDERS_CANCEL = Endpoint("DELETE", "/api/v3/openOrders", 1, signed=True)
ORDER_QUERY = Endpoint("GET", "/api/v3/order", 2, signed=True)
OPEN_ORDERS = Endpoint("GET", "/api/v3/openOrders", 3, signed=True)
ALL_ORDERS = Endpoint("GET", "/api/v3/allOrders", 10, signed=True)
ACCOUNT = Endpoint("GET", "/api/v3/account", 10, signed=True, per_second=2)
MY_TRADES = Endpoint("GET", "/api/v3/myTrades", 10, signed=True)
TRADE_FEE = Endpoint("GET", "/api/v3/tradeFee", 20, signed=True)

# --- signed wallet / capital ----------------------------------------------------------------------
COIN_CONFIG = Endpoint("GET", "/api/v3/capital/config/getall", 10, signed=True)
WITHDRAW = Endpoint("POST", "/api/v3/capital/withdraw", 1, signed=True)
WITHDRAW_CANCEL = Endpoint("DELETE", "/api/v3/capital/withdraw", 1, signed=True)
WITHDRAW_HISTORY = Endpoint("GET", "/api/v3/capital/withdraw/history", 1, signed=True)
DEPOSIT_HISTORY = Endpoint("GET", "/api/v3/capital/deposit/hisrec", 1, signed=True)
DEPOSIT_ADDRESS = Endpoint("GET", "/api/v3/capital/deposit/address", 10, signed=True)
TRANSFER = Endpoint("POST", "/api/v3/capital/transfer", 1, signed=True)

# --- listen keys (signed; weight undocumented, CCXT uses 1) ----------------------------------------
LISTEN_KEY_CREATE = Endpoint("POST", "/api/v3/userDataStream", 1, signed=True)
LISTEN_KEY_LIST = Endpoint("GET", "/api/v3/userDataStream", 1, signed=True)
LISTEN_KEY_KEEPALIVE = Endpoint("PUT", "/api/v3/userDataStream", 1, signed=True)
LISTEN_KEY_DELETE = Endpoint("DELETE", "/api/v3/userDataStream", 1, signed=True)

ALL_ENDPOINTS: tuple[Endpoint, ...] = (
    PING,
    TIME,
    DEFAULT_SYMBOLS,
    EXCHANGE_INFO,
    DEPTH,
    TRADES,
    AGG_TRADES,
    KLINES,
    AVG_PRICE,
    TICKER_24HR,
    TICKER_PRICE,
    BOOK_TICKER,
    ORDER_TEST,
    ORDER_NEW,
    BATCH_ORDERS,
    ORDER_CANCEL,
    OPEN_ORDERS_CANCEL,
    ORDER_QUERY,
    OPEN_ORDERS,
    ALL_ORDERS,
    ACCOUNT,
    MY_TRADES,
    TRADE_FEE,
    COIN_CONFIG,
    WITHDRAW,
    WITHDRAW_CANCEL,
    WITHDRAW_HISTORY,
    DEPOSIT_HISTORY,
    DEPOSIT_ADDRESS,
    TRANSFER,
    LISTEN_KEY_CREATE,
    LISTEN_KEY_LIST,
    LISTEN_KEY_KEEPALIVE,
    LISTEN_KEY_DELETE,
)

# --- request limits -------------------------------------------------------------------------------
DEPTH_LIMITS: tuple[int, ...] = (5, 10, 20, 50, 100, 500, 1000, 5000)
"""Depth sizes we request; the documented maximum is 5000 (default 100)."""
MAX_DEPTH_LIMIT = DEPTH_LIMITS[-1]
MAX_TRADES_LIMIT = 1000
MAX_KLINES_LIMIT = 1000
MAX_ALL_ORDERS_LIMIT = 1000
MAX_MY_TRADES_LIMIT = 100
MAX_BATCH_ORDERS = 20

SUCCESS_CODES: frozenset[object] = frozenset({0, 200, "0", "200"})
"""``code`` values of MEXC's ``{code, data, msg}`` envelopes that mean success (API.md §7.1)."""


def pick_depth_limit(requested: int) -> int:
    """The smallest depth size in :data:`DEPTH_LIMITS` that is >= ``requested`` (capped at 5000)."""
    if requested < 1:
        raise ValueError(f"depth limit must be at least 1, got {requested}")
    for limit in DEPTH_LIMITS:
        if limit >= requested:
            return limit
    return MAX_DEPTH_LIMIT
