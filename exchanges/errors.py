"""One exception hierarchy for every exchange.

::

    ExchangeError                          base; ``retryable`` says if trying again may help
    ├── ExchangeAPIError                   the exchange answered with an error (status, code, message)
    │   ├── RateLimitError                 retryable; ``retry_after`` seconds when the server said
    │   ├── AuthenticationError            bad key, bad signature, no permission, IP not allowed
    │   │   └── ClockSkewError             not retryable as is: the plugin resyncs its clock and re-sends once
    │   ├── InsufficientBalance
    │   ├── TradingDisabled                symbol or account cannot trade now
    │   ├── OrderNotFound
    │   ├── InvalidOrder                   rejected order parameters (also raised before sending)
    │   ├── SymbolNotSupported             unknown or API-untradable symbol
    │   └── ExchangeServerError            retryable for reads; 5xx
    ├── ExchangeConnectionError            retryable; network, TLS, timeout, closed socket
    ├── ProtocolError                      an answer or push of the wrong shape or with an invalid value
    ├── ExchangeClosedError                the exchange object was closed; create a new one
    ├── WithdrawalRefused                  a pre-send withdrawal check failed (``rule``); nothing was sent
    ├── OrderOutcomeError                  a write whose answer was lost (symbol, client_order_id, cause)
    │   ├── OrderOutcomeUnknown            it may or may not have happened; reconcile first
    │   └── OrderNotPlaced                 reconciliation proved it was NOT executed
    ├── SubscriptionError                  a stream subscription was refused
    └── ConfigurationError                 bad config or missing credentials
        ├── ExchangeNotFound               unknown exchange name (lists the installed ones)
        └── PluginError                    a plugin failed to load or registered a duplicate name

Messages never contain credentials: callers pass only public facts (codes, symbols, numbers).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "ClockSkewError",
    "ConfigurationError",
    "ExchangeAPIError",
    "ExchangeClosedError",
    "ExchangeConnectionError",
    "ExchangeError",
    "ExchangeNotFound",
    "ExchangeServerError",
    "InsufficientBalance",
    "InvalidOrder",
    "OrderNotFound",
    "OrderNotPlaced",
    "OrderOutcomeError",
    "OrderOutcomeUnknown",
    "PluginError",
    "ProtocolError",
    "RateLimitError",
    "SubscriptionError",
    "SymbolNotSupported",
    "TradingDisabled",
    "WithdrawalRefused",
]


class ExchangeError(Exception):
    """Base class of every error this framework raises."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, exchange: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.exchange = exchange

    def __str__(self) -> str:
        prefix = f"[{self.exchange}] " if self.exchange else ""
        return f"{prefix}{self.message}"


class ExchangeAPIError(ExchangeError):
    """The exchange answered with an error, or a request was refused before sending (status None)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        exchange: str | None = None,
    ) -> None:
        super().__init__(message, exchange=exchange)
        self.status = status
        self.code = code

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code is not None:
            details.append(f"code {self.code}")
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{super().__str__()}{suffix}"


class RateLimitError(ExchangeAPIError):
    """Too many requests (HTTP 429) or an IP ban (418). ``retry_after`` is in seconds."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        code: int | None = None,
        exchange: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, exchange=exchange)
        self.retry_after = retry_after


class AuthenticationError(ExchangeAPIError):
    """Credentials were rejected: invalid key, bad signature, missing permission or IP whitelist."""


class ClockSkewError(AuthenticationError):
    """The request's timestamp was outside the server's window, so it was refused unprocessed.

    Not ``retryable``: a blind retry with the same clock fails the same way. A plugin's signed client
    resynchronises its clock with the server and sends the request once more by itself (the MEXC
    plugin does, once per request); when this error reaches the caller, that resync did not help
    (the local clock keeps jumping, or ``recvWindow`` is too small for the network's latency).
    """

    retryable = False


class InsufficientBalance(ExchangeAPIError):
    """Not enough free balance for the order or withdrawal."""


class TradingDisabled(ExchangeAPIError):
    """Trading is suspended for the symbol, the side, the order type or the account."""


class OrderNotFound(ExchangeAPIError):
    """The exchange does not know the order."""


class InvalidOrder(ExchangeAPIError):
    """The order's parameters break a rule (precision, minimum, side, type...)."""


class SymbolNotSupported(ExchangeAPIError):
    """The symbol is unknown to the exchange or not tradable through its API."""


class ExchangeServerError(ExchangeAPIError):
    """The exchange failed internally (5xx). Safe to retry only for idempotent requests."""

    retryable = True


class ExchangeConnectionError(ExchangeError):
    """The network failed: refused connection, TLS error, timeout, closed socket."""

    retryable = True


class ProtocolError(ExchangeError):
    """The exchange's answer or push had the wrong shape or an invalid value (missing field, wrong type,
    non-finite, negative, or zero where zero is meaningless).

    ``source`` names the endpoint or channel, ``field`` the offending field (None when the whole message
    is unusable). Never published to users as data. Not retryable by itself: a read may be repeated by
    the caller, while for a write it means the outcome is unknown and must be reconciled.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        field: str | None = None,
        exchange: str | None = None,
    ) -> None:
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {message}", exchange=exchange)
        self.source = source
        self.field = field
        self.reason = message


class ExchangeClosedError(ExchangeError):
    """The exchange object was closed; every later call raises this. Create a new exchange instead."""


class WithdrawalRefused(ExchangeError):
    """A withdrawal refused before anything was sent. ``rule`` names the check that failed
    (``unknown_network``, ``ambiguous_network``, ``network_required``, ``withdraw_disabled``,
    ``memo_required``, ``below_minimum``, ``above_maximum``, ``not_above_fee``, ``amount_multiple``,
    ``address_not_allowed``); the message says the numbers."""

    def __init__(self, message: str, *, rule: str, exchange: str | None = None) -> None:
        super().__init__(message, exchange=exchange)
        self.rule = rule


class OrderOutcomeError(ExchangeError):
    """A write (usually an order) whose answer was lost. Carries what is needed to reconcile:
    ``symbol``, ``client_order_id`` and ``cause``, the underlying error (set explicitly because a
    reconciliation step may raise it from a different exception than the one that lost the answer).
    """

    def __init__(
        self,
        message: str,
        *,
        symbol: object = None,
        client_order_id: str | None = None,
        cause: BaseException | None = None,
        exchange: str | None = None,
    ) -> None:
        super().__init__(message, exchange=exchange)
        self.symbol = symbol
        self.client_order_id = client_order_id
        self.cause = cause


class OrderOutcomeUnknown(OrderOutcomeError):
    """A write was sent but its result is unknown (timeout, connection loss, 5xx).

    Never re-send blindly: look the order up by ``client_order_id`` first.
    """


class OrderNotPlaced(OrderOutcomeError):
    """A write whose response was lost was looked up and the exchange does not have it.

    Raised only after the exchange can no longer accept the lost request (for MEXC: its recvWindow
    plus a margin has passed), so placing again is safe, preferably with a NEW client order id.
    Not ``retryable`` on purpose: re-sending an order is the caller's decision.
    """


class SubscriptionError(ExchangeError):
    """The server refused a stream subscription (for MEXC: an ack that says "Blocked")."""

    def __init__(self, message: str, *, channel: str, exchange: str | None = None) -> None:
        super().__init__(message, exchange=exchange)
        self.channel = channel


class ConfigurationError(ExchangeError):
    """Configuration is invalid or incomplete (for example missing credentials)."""


class ExchangeNotFound(ConfigurationError):
    """No installed plugin provides the requested exchange name."""


class PluginError(ConfigurationError):
    """A plugin failed to import or register, or two plugins claim the same exchange name."""
