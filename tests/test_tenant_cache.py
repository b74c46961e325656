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
