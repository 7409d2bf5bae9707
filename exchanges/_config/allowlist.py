"""``WithdrawalAllowlist``: the only destinations withdrawals may go to (a core safety setting).

Set as the core key ``withdrawal_allowlist`` of any exchange, like every other key::

    [mexc_spot]
    withdrawal_allowlist = ["TXYZ...", "0xabc..."]          # these addresses, for every asset

    [mexc_spot.withdrawal_allowlist]                        # or: per asset
    USDT = ["TXYZ..."]
    BTC = "bc1q..."

    XRP = [{address = "rExchange...", memo = "12345"}]     # an entry may pin a memo/tag
    ETH = [{address = "0xabc...", network = "ETH"}]         # and/or a network

    EXCHANGES_MEXC_SPOT_WITHDRAWAL_ALLOWLIST='TXYZ...,0xabc...'      # environment: a comma list,
    EXCHANGES_MEXC_SPOT_WITHDRAWAL_ALLOWLIST='{"USDT": ["TXYZ..."]}'  # or JSON of either shape

An entry is a destination (:class:`AllowedDestination`), matched fail-closed: an entry with a memo
matches only that exact memo; an entry with a network matches only that network (case-insensitive);
an entry WITHOUT a memo does not match a withdrawal that carries a memo (on memo networks one deposit
address serves every account of an exchange: the memo picks the account); an entry without a
network matches every network.

A plugin that withdraws asks :meth:`WithdrawalAllowlist.refusal` (or ``allows``) before it sends
anything. Every entry is checked when the configuration is loaded: a value of the wrong shape, an
empty address or one with spaces in it, an empty memo or network, or an unknown entry key raises
:class:`~exchanges.errors.ConfigurationError` naming the key, because a typo here must never turn into
"no allowlist".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType

import attrs
import msgspec

from exchanges.errors import ConfigurationError
from exchanges.models import AssetName

KEY = "withdrawal_allowlist"


def _error(problem: str) -> ConfigurationError:
    return ConfigurationError(
        f"{KEY}: {problem} (expected a list of addresses or {{address, memo, network}} tables, "
        "or a table asset -> such a list)"
    )


@attrs.frozen(slots=True)
class AllowedDestination:
    """One allowlist entry: ``address``, optionally pinned to one ``memo`` (exact) and/or one
    ``network`` (case-insensitive, stripped). None: not pinned (see the module docstring for why an
    unpinned memo still refuses a withdrawal that carries one)."""

    address: str
    memo: str | None = None
    network: str | None = None

    def refusal(self, address: str, memo: str | None, networks: Collection[str]) -> str | None:
        """Why a withdrawal to ``address`` with ``memo`` on a network named any of ``networks`` does
        not match this entry (None: it matches). An empty memo counts as no memo."""
        if address != self.address:
            return f"address {address} is not in the withdrawal allowlist"
        if self.memo is None:
            if memo:
                return f"memo {memo!r} for address {address} is not allowlisted (the entry pins no memo)"
        elif memo != self.memo:
            return f"memo {memo!r} for address {address} is not allowlisted"
        if self.network is not None:
            wanted = _network_key(self.network)
            if not any(_network_key(name) == wanted for name in networks):
                shown = "/".join(networks) or "unspecified"
                return f"network {shown} for address {address} is not allowlisted (only {self.network})"
        return None


def _network_key(name: str) -> str:
    return name.strip().upper()


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _error(f"{what} must be a string, got {type(value).__name__} {value!r}")
    text = value.strip()
    if not text:
        raise _error(f"{what} must not be empty")
    return text


def _address(value: object) -> str:
    if not isinstance(value, str):
        raise _error(f"an address must be a string, got {type(value).__name__} {value!r}")
    address = value.strip()
    if not address:
        raise _error("an address must not be empty")
    if any(character.isspace() for character in address):
        raise _error(f"an address must not contain spaces, got {value!r} (one address per entry)")
    return address


_ENTRY_KEYS = frozenset({"address", "memo", "network"})


def _destination(value: object) -> AllowedDestination:
    """An entry: an address string, an :class:`AllowedDestination`, or a table {address, memo, network}."""
    if isinstance(value, AllowedDestination):
        return value
    if isinstance(value, str):
        return AllowedDestination(_address(value))
    if isinstance(value, Mapping):
        unknown = sorted(str(key) for key in value if key not in _ENTRY_KEYS)
        if unknown:
            raise _error(f"an entry has unknown keys {unknown} (allowed: address, memo, network)")
        if "address" not in value:
            raise _error(f"an entry table needs an address, got {dict(value)!r}")
        memo, network = value.get("memo"), value.get("network")
        return AllowedDestination(
            address=_address(value["address"]),
            memo=None if memo is None else _text(memo, "a memo"),
            network=None if network is None else _network_key(_text(network, "a network")),
        )
    raise _error(f"an address must be a string (or an entry table), got {type(value).__name__} {value!r}")


def _addresses(value: object) -> frozenset[AllowedDestination]:
    if isinstance(value, (str, Mapping, AllowedDestination)):
        return frozenset([_destination(value)])
    if isinstance(value, (list, tuple, set, frozenset)):
        return frozenset(_destination(item) for item in value)
    raise _error(f"addresses must be a string or a list of strings, got {type(value).__name__} {value!r}")


def _asset(value: object) -> AssetName:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not text or not text.isalnum():
        raise _error(f"an asset must be a name such as 'USDT', got {value!r}")
    return AssetName(text)


def _any_asset(value: Collection[AllowedDestination | str]) -> frozenset[AllowedDestination]:
    return frozenset(_destination(item) for item in value)


def _per_asset(
    value: Mapping[AssetName, Collection[AllowedDestination | str]],
) -> Mapping[AssetName, frozenset[AllowedDestination]]:
    return MappingProxyType({asset: _any_asset(entries) for asset, entries in value.items()})


@attrs.frozen(slots=True)
class WithdrawalAllowlist:
    """Where withdrawals may go: a withdrawal of ``asset`` is allowed when an entry of ``any_asset`` or
    of ``per_asset[asset]`` matches it (:meth:`AllowedDestination.refusal`). With ``per_asset`` only, an
    asset it does not name cannot be withdrawn at all; an empty allowlist allows nothing. Build one with
    :meth:`parse` (or let the config do it); plain address strings are accepted as unpinned entries."""

    any_asset: frozenset[AllowedDestination] = attrs.field(default=frozenset(), converter=_any_asset)
    per_asset: Mapping[AssetName, frozenset[AllowedDestination]] = attrs.field(
        factory=dict, converter=_per_asset, hash=False
    )

    def entries_for(self, asset: str) -> frozenset[AllowedDestination]:
        """Every entry a withdrawal of ``asset`` may match."""
        return self.any_asset | self.per_asset.get(AssetName(asset.upper()), frozenset())

    def refusal(
        self, asset: str, address: str, *, memo: str | None = None, networks: Collection[str] = ()
    ) -> str | None:
        """Why withdrawing ``asset`` to ``address`` (with ``memo``, on the network named any of
        ``networks``: empty when unknown) is not allowed; None when an entry matches. Addresses and
        memos match exactly (case-sensitive), networks case-insensitively."""
        reasons = [entry.refusal(address, memo, networks) for entry in self.entries_for(asset)]
        if any(reason is None for reason in reasons):
            return None
        # The most specific reason: an entry for this address explains better than "not listed".
        for reason in sorted(r for r in reasons if r is not None and not r.startswith("address ")):
            return f"{reason} for {asset}"
        return f"address {address} is not in the withdrawal allowlist for {asset}"

    def allows(
        self, asset: str, address: str, *, memo: str | None = None, networks: Collection[str] = ()
    ) -> bool:
        """True when :meth:`refusal` finds a matching entry."""
        return self.refusal(asset, address, memo=memo, networks=networks) is None

    def addresses_for(self, asset: str) -> frozenset[str]:
        """Every address ``asset`` may be withdrawn to (with or without pinned memo/network)."""
        return frozenset(entry.address for entry in self.entries_for(asset))

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
            if any(isinstance(key, str) and key.strip().lower() == "address" for key in value):
                raise _error("a single entry table must be inside a list: [{address = ..., memo = ...}]")
            per_asset: dict[AssetName, frozenset[AllowedDestination]] = {}
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
