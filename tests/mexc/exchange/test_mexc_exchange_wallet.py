"""Safe withdrawals, networks, deposit addresses and transfers through the factory, against the simulator.

Every refusal must be a typed WithdrawalRefused naming its rule and numbers, with no withdraw request in
the simulator's request log.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchanges.capabilities import SupportsDeposits, SupportsSafeWithdrawal, SupportsTransfer
from exchanges.config import Credentials
from exchanges.errors import ConfigurationError, InsufficientBalance, InvalidOrder, WithdrawalRefused
from exchanges.factory import FullExchangeFactory
from exchanges.interfaces import PrivateExchange
from exchanges.models import AccountType, AssetName, WithdrawalPlan, WithdrawalRequest
from exchanges_mexc.exchange import MexcCompositePrivateExchange
from exchanges_mexc.sim import MexcSimulator, SimAccount
from exchanges_mexc.sim.specs import CoinSpec, NetworkSpec

WITHDRAW_PATHS = {"/api/v3/capital/withdraw", "/api/v3/capital/withdraw/apply"}


def composite(exchange: PrivateExchange) -> MexcCompositePrivateExchange:
    assert isinstance(exchange, MexcCompositePrivateExchange)
    return exchange


@pytest.fixture(autouse=True)
def list_xrp(sim: MexcSimulator) -> None:
    """XRP: a network that needs a memo (``sameAddress``) and amounts in steps of 0.01."""
    sim.capital.add_coin("XRP")


def withdraw_requests(sim: MexcSimulator) -> list[tuple[str, str]]:
    return [(m, p) for m, p in sim.request_log if p in WITHDRAW_PATHS]


def usdt(
    amount: str, network: str | None, address: str = "TAddr1", memo: str | None = None
) -> WithdrawalRequest:
    return WithdrawalRequest(
        asset=AssetName("USDT"), amount=Decimal(amount), address=address, network=network, memo=memo
    )


async def test_capabilities_declared(private: PrivateExchange) -> None:
    for capability in (SupportsDeposits, SupportsSafeWithdrawal, SupportsTransfer):
        assert isinstance(private, capability)


async def test_networks_list_rules(private: PrivateExchange) -> None:
    networks = {n.network: n for n in await composite(private).get_withdrawal_networks("usdt")}
    assert set(networks) == {"TRX", "ETH", "BSC", "SOL"}
    assert networks["TRX"].name == "Tron(TRC20)"
    assert networks["TRX"].withdraw_fee == Decimal("1")
    assert networks["TRX"].withdraw_min == Decimal("10")
    assert networks["SOL"].withdraw_enabled is False
    xrp = await composite(private).get_withdrawal_networks("XRP")
    assert [n.memo_required for n in xrp] == [True]
    assert xrp[0].withdraw_multiple == Decimal("0.01")


@pytest.mark.parametrize("name", ["TRC20", "trc20", "TRX", "Tron(TRC20)"])
async def test_common_network_names_resolve_to_mexc_ids(private: PrivateExchange, name: str) -> None:
    plan = await composite(private).withdraw(usdt("50", name), dry_run=True)
    assert isinstance(plan, WithdrawalPlan)
    assert plan.network == "TRX"
    assert plan.fee == Decimal("1")
    assert plan.receive_amount == Decimal("49")
    assert ("netWork", "TRX") in plan.params


async def test_dry_run_sends_nothing_and_real_send_uses_the_id(
    private: PrivateExchange, sim: MexcSimulator
) -> None:
    exchange = composite(private)
    plan = await exchange.withdraw(usdt("50", "BEP20"), dry_run=True)
    assert plan.network == "BSC"
    assert withdraw_requests(sim) == []
    withdrawal = await exchange.withdraw(usdt("50", "ERC20", address="0xabc"))
    assert withdrawal.network == "ETH"
    assert withdraw_requests(sim) == [("POST", "/api/v3/capital/withdraw")]


@pytest.mark.parametrize(
    ("request_", "rule", "numbers"),
    [
        (usdt("50", "TRC21"), "unknown_network", ["TRC21", "TRX", "ETH"]),
        (usdt("50", None), "network_required", ["TRX", "BSC"]),
        (usdt("50", "SOL"), "withdraw_disabled", ["SOL"]),
        (usdt("5", "TRC20"), "below_minimum", ["5", "10"]),
        (usdt("2000000", "TRC20"), "above_maximum", ["2000000", "1000000"]),
        (usdt("10.0000001", "TRC20"), "amount_multiple", ["10.0000001", "0.000001"]),
        (
            WithdrawalRequest(asset=AssetName("XRP"), amount=Decimal("20"), address="rXrp1"),
            "memo_required",
            ["XRP", "memo"],
        ),
    ],
)
async def test_refusals_are_typed_and_send_nothing(
    private: PrivateExchange, sim: MexcSimulator, request_: WithdrawalRequest, rule: str, numbers: list[str]
) -> None:
    with pytest.raises(WithdrawalRefused) as caught:
        await composite(private).withdraw(request_)
    assert caught.value.rule == rule
    for number in numbers:
        assert number in str(caught.value)
    assert withdraw_requests(sim) == []


async def test_fee_rule(private: PrivateExchange, sim: MexcSimulator) -> None:
    sim.capital.add_coin(
        CoinSpec("FEE", "FEE", (NetworkSpec("FEE", "Fee(FEE)", withdraw_fee="5", withdraw_min="1"),))
    )
    with pytest.raises(WithdrawalRefused) as caught:
        await composite(private).withdraw(
            WithdrawalRequest(asset=AssetName("FEE"), amount=Decimal("3"), address="F1", network="FEE")
        )
    assert caught.value.rule == "not_above_fee"
    assert "3" in str(caught.value)
    assert "5" in str(caught.value)
    assert withdraw_requests(sim) == []


async def allowlisted(
    factory: FullExchangeFactory, credentials: Credentials, sim_overrides: dict[str, str], allowlist: object
) -> MexcCompositePrivateExchange:
    """A private exchange whose config carries ``withdrawal_allowlist`` (through the override layer)."""
    overrides = {**sim_overrides, "withdrawal_allowlist": allowlist}
    exchange = await factory.create_private_exchange(
        "mexc_spot", credentials, environment="sim", overrides=overrides
    )
    return composite(exchange)


async def test_allowlist_per_asset(
    factory: FullExchangeFactory, credentials: Credentials, sim_overrides: dict[str, str], sim: MexcSimulator
) -> None:
    """Breaks when check_withdrawal stops asking the allowlist (the address goes out unchecked)."""
    async with await allowlisted(factory, credentials, sim_overrides, {"usdt": ["TGood"]}) as exchange:
        with pytest.raises(WithdrawalRefused) as caught:
            await exchange.withdraw(usdt("50", "TRC20", address="TBad"))
        assert caught.value.rule == "address_not_allowed"
        assert "TBad" in str(caught.value)
        assert withdraw_requests(sim) == []
        plan = await exchange.withdraw(usdt("50", "TRC20", address="TGood"), dry_run=True)
        assert plan.address == "TGood"
        withdrawal = await exchange.withdraw(usdt("50", "TRC20", address="TGood"))
        assert withdrawal.address == "TGood"
        assert len(withdraw_requests(sim)) == 1


async def test_allowlist_pins_of_network_and_memo_hold_on_the_checked_path(
    factory: FullExchangeFactory, credentials: Credentials, sim_overrides: dict[str, str], sim: MexcSimulator
) -> None:
    """An entry pinned to a network matches the network the request resolves to by any of its names
    (TRC20 = MEXC's TRX); another network, or a memo the entry does not pin, is refused unsent."""
    allowlist = {"USDT": [{"address": "TGood", "network": "TRC20"}]}
    async with await allowlisted(factory, credentials, sim_overrides, allowlist) as exchange:
        for refused, says in (
            (usdt("50", "ERC20", address="TGood"), "network"),
            (usdt("50", "TRC20", address="TGood", memo="7"), "memo '7'"),
        ):
            with pytest.raises(WithdrawalRefused, match="not allowlisted") as caught:
                await exchange.withdraw(refused)
            assert caught.value.rule == "address_not_allowed"
            assert says in str(caught.value)
        assert withdraw_requests(sim) == []
        for accepted in (usdt("50", "TRC20", address="TGood"), usdt("50", "TRX", address="TGood")):
            assert (await exchange.plan_withdrawal(accepted)).network == "TRX"
        await exchange.withdraw(usdt("50", "TRX", address="TGood"))
        assert len(withdraw_requests(sim)) == 1


async def test_allowlist_for_every_asset_and_an_asset_it_does_not_name(
    factory: FullExchangeFactory, credentials: Credentials, sim_overrides: dict[str, str], sim: MexcSimulator
) -> None:
    async with await allowlisted(factory, credentials, sim_overrides, "TGood, TOther") as exchange:
        assert (await exchange.plan_withdrawal(usdt("50", "TRC20", address="TOther"))).address == "TOther"
        with pytest.raises(WithdrawalRefused, match="TBad"):
            await exchange.plan_withdrawal(usdt("50", "TRC20", address="TBad"))
    # A per-asset table that does not name USDT: no USDT withdrawal at all.
    async with await allowlisted(factory, credentials, sim_overrides, {"BTC": "bc1qgood"}) as exchange:
        with pytest.raises(WithdrawalRefused) as caught:
            await exchange.withdraw(usdt("50", "TRC20", address="TGood"))
        assert caught.value.rule == "address_not_allowed"
    assert withdraw_requests(sim) == []


@pytest.mark.parametrize(
    ("allowlist", "problem"),
    [
        (42, "got int 42"),
        (["TGood", ""], "must not be empty"),
        (["TGood TOther"], "must not contain spaces"),
        ({"US DT": ["TGood"]}, "an asset must be a name"),
        ({"USDT": 7}, "addresses must be a string or a list"),
        ("", "empty text"),
        ('["TGood"', "not valid JSON"),
    ],
)
async def test_a_bad_allowlist_is_refused_before_anything_connects(
    factory: FullExchangeFactory,
    credentials: Credentials,
    sim_overrides: dict[str, str],
    allowlist: object,
    problem: str,
) -> None:
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist") as caught:
        await allowlisted(factory, credentials, sim_overrides, allowlist)
    assert problem in str(caught.value)


async def test_the_old_extra_allowlist_is_refused_not_ignored(
    factory: FullExchangeFactory, credentials: Credentials, sim_overrides: dict[str, str]
) -> None:
    overrides = {**sim_overrides, "extra": {"withdrawal_allowlist": ["TGood"]}}
    with pytest.raises(ConfigurationError, match="withdrawal_allowlist in 'extra' is no longer read"):
        await factory.create_private_exchange(
            "mexc_spot", credentials, environment="sim", overrides=overrides
        )


async def test_memo_passes_through(private: PrivateExchange, sim: MexcSimulator, account: SimAccount) -> None:
    sim.capital.deposit(account, "XRP", "100")
    withdrawal = await composite(private).withdraw(
        WithdrawalRequest(asset=AssetName("XRP"), amount=Decimal("20"), address="rXrp1", memo="12345")
    )
    assert withdrawal.withdrawal_id
    assert len(withdraw_requests(sim)) == 1


async def test_deposit_address_and_history(
    private: PrivateExchange, sim: MexcSimulator, account: SimAccount
) -> None:
    exchange = composite(private)
    tron = await exchange.get_deposit_address("USDT", "TRC20")
    assert tron.network == "TRX"
    assert tron.address.startswith("T")
    eth = await exchange.get_deposit_address("USDT", "ERC20")
    assert eth.address.startswith("0x")
    with pytest.raises(WithdrawalRefused):
        await exchange.get_deposit_address("USDT", "NOPE20")
    sim.capital.deposit(account, "USDT", "25", "TRX")
    history = await exchange.get_deposit_history("USDT")
    assert [d.amount for d in history] == [Decimal("25")]
    assert history[0].network == "TRX"


async def test_withdrawal_history_lists_what_was_sent(private: PrivateExchange, sim: MexcSimulator) -> None:
    exchange = composite(private)
    assert await exchange.get_withdrawal_history("USDT") == []
    sent = await exchange.withdraw(usdt("50", "TRC20"))
    history = await exchange.get_withdrawal_history("usdt")
    assert [(w.withdrawal_id, w.amount, w.network) for w in history] == [
        (sent.withdrawal_id, Decimal("50"), "TRX")
    ]
    assert await exchange.get_withdrawal_history("BTC") == []
    assert [p for _, p in sim.request_log].count("/api/v3/capital/withdraw/history") == 3


async def test_transfer_spot_futures_roundtrip(private: PrivateExchange, sim: MexcSimulator) -> None:
    exchange = composite(private)
    before = (await exchange.get_asset_balance(AssetName("USDT"))).free
    done = await exchange.transfer("USDT", "100", AccountType.SPOT, AccountType.FUTURES)
    assert done.transfer_id
    assert done.amount == Decimal("100")
    assert (await exchange.get_asset_balance(AssetName("USDT"))).free == before - 100
    await exchange.transfer("USDT", Decimal("40"), AccountType.FUTURES, AccountType.SPOT)
    assert (await exchange.get_asset_balance(AssetName("USDT"))).free == before - 60
    with pytest.raises(InvalidOrder):
        await exchange.transfer("USDT", "1", AccountType.SPOT, AccountType.SPOT)
    with pytest.raises(InvalidOrder):
        await exchange.transfer("USDT", "-1", AccountType.SPOT, AccountType.FUTURES)
    for amount in ("abc", "NaN", "0"):  # typed refusals, never a raw decimal.InvalidOperation
        with pytest.raises(InvalidOrder, match="transfer amount"):
            await exchange.transfer("USDT", amount, AccountType.SPOT, AccountType.FUTURES)
    with pytest.raises(TypeError):
        await exchange.transfer("USDT", True, AccountType.SPOT, AccountType.FUTURES)  # type: ignore[arg-type]
    with pytest.raises(InvalidOrder, match="unknown account 'MARGIN'"):
        await exchange.transfer("USDT", "1", "MARGIN", AccountType.SPOT)  # type: ignore[arg-type]
    transfers = [p for _, p in sim.request_log if p == "/api/v3/capital/transfer"]
    assert len(transfers) == 2
    back = await exchange.transfer("USDT", "10", "futures", "spot")  # type: ignore[arg-type]
    assert (back.from_account, back.to_account) == (AccountType.FUTURES, AccountType.SPOT)


async def test_transfer_refusals_from_mexc(private: PrivateExchange, sim: MexcSimulator) -> None:
    exchange = composite(private)
    with pytest.raises(InsufficientBalance):
        await exchange.transfer("USDT", "1000000000", AccountType.SPOT, AccountType.FUTURES)
    with pytest.raises(InsufficientBalance):  # nothing in the futures wallet yet
        await exchange.transfer("BTC", "1", AccountType.FUTURES, AccountType.SPOT)
    assert sim.capital.transfers.records == []
