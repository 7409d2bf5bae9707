"""A toy exchange plugin: everything in memory, no network. Used by the core tests."""

from toy_exchange.exchange import ToyExchange, ToyPrivateExchange

__all__ = ["ToyExchange", "ToyPrivateExchange"]
