"""Compatibility import path used by the user spec: ``from exchanges.full_exchange_factory import ...``."""

from exchanges.factory import FullExchangeFactory

__all__ = ["FullExchangeFactory"]
