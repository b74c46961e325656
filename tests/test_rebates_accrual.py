# ruff: noqa: F811
"""Accrual: only received orders count, net of discounts, into the period of receipt."""

from __future__ import annotations

from typing import Any

from tests.conftest import TenantAPI
from tests.rebates_support import Clock, clock, order, program, receive, shop  # noqa: F401


def progress(t: TenantAPI, code: str = "C1") -> dict[str, dict]:
    return {p["program"]: p for p in t.ok("get", f"/rebates/progress/{code}")["programs"]}


def test_accrual_only_at_received_and_never_for_cancelled(tenant: TenantAPI, clock: Clock) -> None:
    clock.set("2026-11-10T04:00:00")
    shop(tenant)
    program(tenant, "Q")
    buyer = tenant.buyer("C1")
    first = order(buyer, {"A": 300, "B": 50})  # 300,000 + 12,500 = 312,500.00
    cancelled = order(buyer, {"A": 100})
    assert progress(tenant)["Q"]["amount"] == "0.00"  # placed is not bought
    buyer.ok("post", f"/orders/{cancelled['number']}/status", {"status": "cancelled"})
    for status in ("approved", "picking", "shipped", "delivered"):
        tenant.ok("post", f"/orders/{first['number']}/status", {"status": status})
    assert progress(tenant)["Q"]["amount"] == "0.00"  # delivered is not received
    buyer.ok("post", f"/orders/{first['number']}/status", {"status": "received"})
    row = progress(tenant)["Q"]
    assert (row["period"], row["amount"], row["to_next_tier"], row["next_percent"]) == \
        ("2026-Q4", "312500.00", "187500.00", "2")
    assert row["estimated_rebate"] == "0.00"
    mine = progress(buyer)["Q"]  # the buyer sees its own progress
    assert mine["amount"] == "312500.00"
    assert buyer.get("/rebates/progress/OTHER").status_code == 404
    tenant.buyer("C2")
    assert buyer.get("/rebates/progress/C2").status_code == 404  # another customer's: as if it did not exist


def test_basis_is_net_of_order_discounts_pro_rata(tenant: TenantAPI, clock: Clock) -> None:
    clock.set("2026-08-01T04:00:00")
    shop(tenant, plugins=("rebates", "promotions"))
    tenant.ok("put", "/promotions/OFF", {"kind": "threshold_amount_off", "threshold": "100.00", "amount": "100.00"})
    program(tenant, "TEA", brands=["TEA"], tiers=[{"from": "0.00", "percent": "1"}])
    program(tenant, "ALL", tiers=[{"from": "0.00", "percent": "1"}])
    buyer = tenant.buyer("C1")
    # A 1000.00 + X 3 x 10.00 = 1030.00, 100.00 off: A's share 97.09, X's 2.91 (largest remainder)
    placed = order(buyer, {"A": 1, "X": 3})
    assert placed["discount"] == "100.00"
    receive(tenant, buyer, placed["number"])
    rows = progress(tenant)
    assert rows["TEA"]["amount"] == "902.91"  # brand TEA: only A, net of its share
    assert rows["ALL"]["amount"] == "930.00"  # everything: the whole net amount
    assert rows["ALL"]["estimated_rebate"] == "9.30"


def test_quarter_boundaries_and_eligibility(tenant: TenantAPI, clock: Clock) -> None:
    shop(tenant)
    tenant.ok("put", "/tiers/GOLD", {"name": "Gold"})
    program(tenant, "GOLD", customer_tiers=["GOLD"], tiers=[{"from": "0.00", "percent": "1"}])
    program(tenant, "SOUTH", regions=["广东"], tiers=[{"from": "0.00", "percent": "1"}])
    gold = tenant.buyer("G1", tier="GOLD", region="广东/深圳")
    plain = tenant.buyer("P1", region="广西")
    clock.set("2026-09-30T15:30:00")  # 23:30 in Shanghai: still Q3
    a = order(gold, {"B": 4})
    receive(tenant, gold, a["number"])
    clock.set("2026-09-30T16:30:00")  # 00:30 on 1 October in Shanghai: Q4
    b = order(gold, {"B": 1})
    receive(tenant, gold, b["number"])
    c = order(plain, {"B": 1})
    receive(tenant, plain, c["number"])
    rows = progress(tenant, "G1")
    assert rows["GOLD"]["period"] == "2026-Q4" and rows["GOLD"]["amount"] == "250.00"
    assert set(rows) == {"GOLD", "SOUTH"}
    assert progress(tenant, "P1") == {}


def test_a_received_order_that_ends_is_reversed_once(tenant: TenantAPI, clock: Clock, test_settings: Any) -> None:
    """The core flow has no way out of received; a plugin hook call with old=received proves the
    reversal (into the same period, or today's when that one is closed)."""
    clock.set("2026-08-01T04:00:00")
    shop(tenant)
    program(tenant, "Q", tiers=[{"from": "0.00", "percent": "1"}])
    buyer = tenant.buyer("C1")
    placed = order(buyer, {"A": 2})
    receive(tenant, buyer, placed["number"])
    assert progress(tenant)["Q"]["amount"] == "2000.00"
    _end_received(test_settings, tenant.slug, placed["number"])
    _end_received(test_settings, tenant.slug, placed["number"])  # twice: still one reversal
    assert progress(tenant)["Q"]["amount"] == "0.00"


def _end_received(settings: Any, slug: str, number: str) -> None:
    from sqlalchemy import select

    from qudao.core.asyncutil import run_sync
    from qudao.core.db.session import Database
    from qudao.core.orders.models import Order
    from qudao.core.plugins.context import TenantContext
    from qudao.core.plugins.host import get_host
    from qudao.plugins.rebates import plugin
    from qudao.tenants.models import Tenant
    from qudao.web.context import load_plugin_states

    async def go() -> None:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tenant = await s.scalar(select(Tenant).where(Tenant.slug == slug))
            assert tenant is not None
            async with db.session(tenant.id) as s:
                host = get_host()
                enabled, plugin_settings = await load_plugin_states(s, host)
                ctx = TenantContext(tenant=tenant, session=s, hooks=host.hooks_for(enabled),
                                    plugin_settings=plugin_settings)
                found = await s.scalar(select(Order).where(Order.number == number))
                await plugin.qudao_order_status_changed(ctx, found, "received", "returned", "")
                await s.commit()
        finally:
            await db.dispose()

    run_sync(go())
