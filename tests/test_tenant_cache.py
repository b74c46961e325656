"""The per-process tenant cache (tenants/cache.py) sees changes made by any other process:
every ORM change to a tenant or its plugin states bumps ``tenants.config_version``, which the
next request reads in its first statement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.db.session import Database
from qudao.core.plugins.models import PluginState
from qudao.tenants.models import Tenant
from tests.conftest import TenantAPI


def elsewhere(settings: Any, slug: str, change: Any) -> None:
    """Run ``change(session, tenant)`` on an engine of its own, as another web process would."""

    async def run() -> None:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.session() as session:
                tid = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
            async with db.session(tid) as s2:
                await change(s2, await s2.get(Tenant, tid))
                await s2.commit()
        finally:
            await db.dispose()

    run_sync(run())


def test_a_plugin_switched_on_elsewhere_is_on_at_the_next_request(tenant: TenantAPI, test_settings: Any) -> None:
    assert tenant.get("/promotions/X").status_code == 404  # off: cached as off
    tenant.get("/plugins")

    async def switch_on(session: Any, _tenant: Tenant) -> None:
        row = await session.scalar(select(PluginState).where(PluginState.name == "promotions"))
        if row is None:
            session.add(PluginState(name="promotions", enabled=True, settings={}))
        else:
            row.enabled = True

    elsewhere(test_settings, tenant.slug, switch_on)
    listed = {p["name"]: p["enabled"] for p in tenant.ok("get", "/plugins")}
    assert listed["promotions"] is True
    assert tenant.put("/promotions/X", json={"kind": "threshold_amount_off", "threshold": "10.00",
                                             "amount": "1.00"}).status_code in (200, 201)


def test_settings_and_status_changed_elsewhere_are_seen(tenant: TenantAPI, test_settings: Any) -> None:
    assert tenant.ok("get", "/settings/ordering")["min_order_qty"] is None

    async def min_qty(_session: Any, t: Tenant) -> None:
        t.settings = {**t.settings, "ordering": {**t.settings["ordering"], "min_order_qty": 7}}

    elsewhere(test_settings, tenant.slug, min_qty)
    assert tenant.ok("get", "/settings/ordering")["min_order_qty"] == 7

    async def suspend(_session: Any, t: Tenant) -> None:
        t.status = "suspended"

    elsewhere(test_settings, tenant.slug, suspend)
    assert tenant.get("/settings/ordering").status_code == 404


def test_price_policies_are_cached_and_every_change_is_seen(tenant: TenantAPI, test_settings: Any) -> None:
    """The price engine keeps the tenant's policies per config version (core/pricing/engine.py
    ``active_rules``): a policy changed through the API, or elsewhere through the ORM (another
    process), prices the very next quote, and a quote after that reads no policies at all."""
    from sqlalchemy import update

    from qudao.core.pricing.models import PricePolicy
    from tests.test_pricing_statements import counting

    tenant.ok("put", "/products/PP-1", {"name": "Tea", "price": "10.00"})
    tenant.ok("put", "/warehouses/WH", {"name": "Main"})
    tenant.ok("put", "/warehouses/WH/stock/PP-1", {"on_hand": 100})
    buyer = tenant.buyer("PP-C", warehouse="WH")

    def price() -> str:
        return buyer.ok("post", "/cart/quote", {"lines": [{"sku": "PP-1", "qty": 1}]})["lines"][0]["unit_price"]

    assert price() == "10.00"
    tenant.ok("put", "/price-policies/ALL", {"name": "All", "price": "8.00"})
    assert price() == "8.00"
    with counting() as seen:
        assert price() == "8.00"
    assert not [s for s in seen if "FROM price_policies" in s], "policies read again though nothing changed"
    tenant.ok("put", "/price-policies/ALL", {"name": "All", "price": "7.00"})
    assert price() == "7.00"

    async def deactivate(session: Any, _tenant: Tenant) -> None:  # an ORM statement, in another engine
        await session.execute(update(PricePolicy).where(PricePolicy.code == "ALL").values(active=False))

    elsewhere(test_settings, tenant.slug, deactivate)
    assert price() == "10.00"
