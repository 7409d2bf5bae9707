"""``WithdrawalAllowlist``: the only destinations withdrawals may go to (a core safety setting).

Set as the core key ``withdrawal_allowlist`` of any exchange, like every other key::

    [mexc_spot]
    withdrawal_allowlist = ["TXYZ...", "0xabc..."]          # these addresses, for every asset

    [mexc_spot.withdrawal_allowlist]                        # or: per asset
    USDT = ["TXYZ..."]
    BTC = "bc1q..."

    EXCHANGES_MEXC_SPOT_WITHDRAWAL_ALLOWLIST='TXYZ...,0xabc...'      # environment: a comma list,
    EXCHANGES_MEXC_SPOT_WITHDRAWAL_ALLOWLIST='{"USDT": ["TXYZ..."]}'  # or JSON of either shape

A plugin that withdraws asks :meth:`WithdrawalAllowlist.allows` before it sends anything. Every entry
is checked when the configuration is loaded: a value of the wrong shape, an empty address or one with
spaces in it raises :class:`~exchanges.errors.ConfigurationError` naming the key, because a typo here
must never turn into "no allowlist".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs
import msgspec

from exchanges.errors import ConfigurationError
from exchanges.models import AssetName

KEY = "withdrawal_allowlist"


def _error(problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"{KEY}: {problem} (expected a list of addresses, or a table asset -> address list)"
    )


def _address(value: object) -> str:
    if not isinstance(value, str):
        raise _error(f"an address must be a string, got {type(value).__name__} {value!r}")
    address = value.strip()
    if not address:
        raise _error("an address must not be empty")
    if any(character.isspace() for character in address):
        raise _error(f"an address must not contain spaces, got {value!r} (one address per entry)")
    return address


def _addresses(value: object) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset([_address(value)])
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(_address(item) for item in value)
    raise _error(f"addresses must be a string or a list of strings, got {type(value).__name__} {value!r}")


def _asset(value: object) -> AssetName:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not text or not text.isalnum():
        raise _error(f"an asset must be a name such as 'USDT', got {value!r}")
    return AssetName(text)


def _per_asset(value: Mapping[AssetName, frozenset[str]]) -> Mapping[AssetName, frozenset[str]]:
    return MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class WithdrawalAllowlist:
    """Where withdrawals may go: an address is allowed for ``asset`` when it is in ``any_asset`` or in
    ``per_asset[asset]``. With ``per_asset`` only, an asset it does not name cannot be withdrawn at all;
    an empty allowlist allows nothing. Build one with :meth:`parse` (or let the config do it)."""

    any_asset: frozenset[str] = frozenset()
    per_asset: Mapping[AssetName, frozenset[str]] = attrs.field(
        factory=dict, converter=_per_asset, hash=False
    )

    def allows(self, asset: str, address: str) -> bool:
        """True when withdrawing ``asset`` to ``address`` is allowed (exact match, case-sensitive)."""
        return address in self.any_asset or address in self.per_asset.get(AssetName(asset.upper()), ())

    def addresses_for(self, asset: str) -> frozenset[str]:
        """Every address ``asset`` may be withdrawn to."""
        return self.any_asset | self.per_asset.get(AssetName(asset.upper()), frozenset())

    @classmethod
    def parse(cls, value: object) -> WithdrawalAllowlist | None:
        """The allowlist ``value`` describes (None: no allowlist). Accepts an allowlist, a list of
        addresses (every asset), a mapping ``asset -> address or list``, or environment text: a comma
        list of addresses or JSON of either shape. Raises ConfigurationError on anything else."""
        if value is None or isinstance(value, WithdrawalAllowlist):
            return value
        if isinstance(value, str):
            return cls.parse(_from_text(value))
        if isinstance(value, Mapping):
            per_asset: dict[AssetName, frozenset[str]] = {}
            for asset, addresses in value.items():
                name = _asset(asset)
                per_asset[name] = per_asset.get(name, frozenset()) | _addresses(addresses)
            return cls(per_asset=per_asset)
        if isinstance(value, (list, tuple, set, frozenset)):
            return cls(any_asset=_addresses(value))
        raise _error(f"got {type(value).__name__} {value!r}")


def _from_text(text: str) -> object:
    """Environment text: JSON (``[...]`` / ``{...}``) or a comma-separated list of addresses."""
    stripped = text.strip()
    if not stripped:
        raise _error("empty text (to allow no address at all, use [])")
    if stripped[0] in "[{":
        try:
            decoded: object = msgspec.json.decode(stripped)
        except msgspec.DecodeError:
            raise _error("text starting with '[' or '{' is not valid JSON") from None
        return decoded
    return [_address(part) for part in stripped.split(",")]


def to_allowlist(value: object) -> WithdrawalAllowlist | None:
    """:meth:`WithdrawalAllowlist.parse` as a plain function: the ``ExchangeConfig`` field converter."""
    return WithdrawalAllowlist.parse(value)
