"""The core ``withdrawal_allowlist`` key: every layer gives the same typed allowlist, and anything
that is not clearly a list of addresses is a ConfigurationError (a typo must never mean "no list")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchanges.config import AllowedDestination, ExchangeConfig, WithdrawalAllowlist, load_exchange_config
from exchanges.errors import ConfigurationError

DEFAULT = ExchangeConfig(name="toy", rest_url="https://api.example", ws_url="wss://ws.example")


def load(**layers: object) -> ExchangeConfig:
    env = layers.pop("env", {})
    document = layers.pop("document", {})
    assert isinstance(env, dict)
    assert isinstance(document, dict)
    return load_exchange_config(DEFAULT, env=env, document=document, overrides=layers or None)


def test_absent_means_no_allowlist() -> None:
    assert load().withdrawal_allowlist is None


def test_every_layer_gives_the_same_allowlist() -> None:
    table = {"usdt": ["TGood"], "BTC": "bc1qgood"}
    from_toml = load(document={"toy": {"withdrawal_allowlist": table}}).withdrawal_allowlist
    from_env = load(
        env={"EXCHANGES_TOY_WITHDRAWAL_ALLOWLIST": '{"usdt": ["TGood"], "BTC": "bc1qgood"}'}
    ).withdrawal_allowlist
    from_override = load(withdrawal_allowlist=table).withdrawal_allowlist
    assert from_toml == from_env == from_override
    assert from_toml is not None
    assert from_toml.allows("USDT", "TGood")
    assert from_toml.allows("btc", "bc1qgood")
    assert not from_toml.allows("USDT", "bc1qgood")
    assert not from_toml.allows("ETH", "TGood"), "an asset the table does not name cannot be withdrawn"
    assert from_toml.addresses_for("usdt") == frozenset({"TGood"})


def test_a_list_applies_to_every_asset_and_env_text_may_be_a_comma_list() -> None:
    allowlist = load(env={"EXCHANGES_TOY_WITHDRAWAL_ALLOWLIST": " TGood , 0xabc "}).withdrawal_allowlist
    assert allowlist == WithdrawalAllowlist(any_asset=frozenset({"TGood", "0xabc"}))
    assert allowlist.allows("USDT", "0xabc")
    assert not allowlist.allows("USDT", "0xABC"), "addresses match exactly"


def test_an_empty_list_allows_nothing() -> None:
    allowlist = load(withdrawal_allowlist=[]).withdrawal_allowlist
    assert allowlist is not None
    assert not allowlist.allows("USDT", "TGood")


def test_the_override_layer_wins_and_configs_stay_hashable() -> None:
    config = load(document={"toy": {"withdrawal_allowlist": ["A"]}}, withdrawal_allowlist=["B"])
    assert config.withdrawal_allowlist == WithdrawalAllowlist(any_asset=frozenset({"B"}))
    assert hash(config) == hash(config.with_overrides(max_retries=config.max_retries))


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (3, "got int 3"),
        ([1], "an address must be a string"),
        (["  "], "must not be empty"),
        (["a\tb"], "must not contain spaces"),
        ({"": ["a"]}, "an asset must be a name"),
        ({"USDT": {"nested": "a"}}, "unknown keys ['nested']"),
        ("   ", "empty text"),
        ("{oops", "not valid JSON"),
        ('{"USDT": [1]}', "an address must be a string"),
    ],
)
def test_bad_values_raise_configuration_errors_naming_the_key(value: object, problem: str) -> None:
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist") as caught:
        load(withdrawal_allowlist=value)
    assert problem in str(caught.value)
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist"):
        ExchangeConfig(name="toy", rest_url="r", ws_url="w", withdrawal_allowlist=value)


def test_the_untyped_extra_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="no longer read"):
        load(extra={"withdrawal_allowlist": ["TGood"]})


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
        max_leaves=8,
    )
)
def test_any_value_is_an_allowlist_or_a_configuration_error(value: object) -> None:
    try:
        allowlist = WithdrawalAllowlist.parse(value)
    except ConfigurationError:
        return
    assert allowlist is None or isinstance(allowlist, WithdrawalAllowlist)


def test_entries_may_pin_a_memo_and_a_network_in_every_layer() -> None:
    table = {"XRP": [{"address": "rEx", "memo": " 42 ", "network": " xrp "}, "rOwn"]}
    from_toml = load(document={"toy": {"withdrawal_allowlist": table}}).withdrawal_allowlist
    from_env = load(
        env={
            "EXCHANGES_TOY_WITHDRAWAL_ALLOWLIST": (
                '{"XRP": [{"address": "rEx", "memo": "42", "network": "XRP"}, "rOwn"]}'
            )
        }
    ).withdrawal_allowlist
    from_override = load(withdrawal_allowlist=table).withdrawal_allowlist
    assert from_toml == from_env == from_override
    assert from_toml is not None
    assert from_toml.entries_for("xrp") == frozenset(
        {AllowedDestination("rEx", memo="42", network="XRP"), AllowedDestination("rOwn")}
    )
    assert from_toml.allows("XRP", "rEx", memo="42", networks=["Xrp"])
    assert not from_toml.allows("XRP", "rEx", memo="43", networks=["XRP"])
    assert not from_toml.allows("XRP", "rEx", memo="42", networks=["XLM"])
    assert not from_toml.allows("XRP", "rEx", memo="42"), "a pinned network needs the network named"
    assert not from_toml.allows("XRP", "rOwn", memo="42"), "an entry without memo refuses a memo"
    assert from_toml.allows("XRP", "rOwn", networks=["anything"])
    assert from_toml.addresses_for("XRP") == frozenset({"rEx", "rOwn"})
    listed = load(withdrawal_allowlist=[{"address": "0xabc", "network": "ETH"}]).withdrawal_allowlist
    assert listed is not None
    assert listed.allows("USDT", "0xabc", networks=["eth"])
    assert not listed.allows("USDT", "0xabc", networks=["BSC"]), "one EVM address, one chain"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ([{"memo": "1"}], "needs an address"),
        ([{"address": "a", "tag": "1"}], "unknown keys ['tag']"),
        ([{"address": "a", "memo": ""}], "a memo must not be empty"),
        ([{"address": "a", "memo": 5}], "a memo must be a string"),
        ([{"address": "a", "network": "  "}], "a network must not be empty"),
        ([{"address": ""}], "must not be empty"),
        ({"address": "a", "memo": "1"}, "must be inside a list"),
        ('[{"address": "a", "memo": null, "network": 3}]', "a network must be a string"),
    ],
)
def test_bad_entry_tables_raise_configuration_errors_naming_the_key(value: object, problem: str) -> None:
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist") as caught:
        load(withdrawal_allowlist=value)
    assert problem in str(caught.value)


_words = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=6)


@given(
    st.lists(
        st.fixed_dictionaries({"address": _words}, optional={"memo": _words, "network": _words}),
        max_size=4,
    ),
    _words,
    st.none() | _words,
    st.none() | _words,
)
def test_an_entry_matches_exactly_its_own_pins(
    entries: list[dict[str, str]], address: str, memo: str | None, network: str | None
) -> None:
    """The rule, for any shape: allowed iff some entry has this address, the same memo (none when the
    entry pins none) and, when it pins a network, the same one ignoring case."""
    allowlist = WithdrawalAllowlist.parse(entries)
    assert allowlist is not None
    expected = any(
        entry["address"] == address
        and entry.get("memo") == (memo or None)
        and ("network" not in entry or (network is not None and entry["network"].upper() == network.upper()))
        for entry in entries
    )
    networks = [network] if network is not None else []
    assert allowlist.allows("USDT", address, memo=memo, networks=networks) is expected
