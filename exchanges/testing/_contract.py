"""How the conformance kit reports a broken contract: a message saying what was expected and what came."""

from __future__ import annotations

__all__ = ["ContractViolation", "expect"]


class ContractViolation(AssertionError):
    """The exchange under test broke a point of the plugin contract; the message says which and how.

    An ``AssertionError`` so pytest reports it as a test failure (not an error in the test itself).
    """


def expect(condition: object, message: str) -> None:
    """Raise :class:`ContractViolation` with ``message`` unless ``condition`` is true.

    Used instead of ``assert`` for checks that combine several facts, and works the same under
    ``python -O`` (which strips assert statements).
    """
    if not condition:
        raise ContractViolation(message)
