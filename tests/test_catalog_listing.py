"""The catalog listing cache (core/catalog/listing.py, core/catalog/version.py): a buyer's
``GET /products`` serves ``total`` and the page from ids cached per catalog version, and every
change to what the buyer may see shows on the very next request: products added, renamed,
deactivated or moved to another brand, brands authorized or withdrawn (brand_isolation), and
none of it when the change rolls back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import TenantAPI
from tests.test_pricing_statements import counting


def skus(api: TenantAPI, query: str = "") -> list[str]:
    return [i["sku"] for i in api.ok("get", f"/products?limit=200{query}")["items"]]


def shop(t: TenantAPI) -> TenantAPI:
    for code in ("acme", "zeta"):
        t.ok("put", f"/brands/{code}", {"name": code.title()})
    t.ok("put", "/warehouses/WH1", {"name": "Main"})
    for sku, brand in (("A-1", "acme"), ("A-2", "acme"), ("Z-1", "zeta"), ("N-1", None)):
        body: dict[str, Any] = {"name": f"Green tea {sku}", "price": "10.00"}
        if brand:
            body["brand"] = brand
        t.ok("put", f"/products/{sku}", body)
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 100})
    t.ok("put", "/tiers/gold", {"name": "Gold"})
    return t.buyer("C1", warehouse="WH1", tier="gold")


def test_every_catalog_change_shows_on_the_next_page(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    assert skus(buyer) == ["A-1", "A-2", "N-1", "Z-1"]
    page = buyer.ok("get", "/products?limit=2&offset=2")
    assert page["total"] == 4 and [i["sku"] for i in page["items"]] == ["N-1", "Z-1"]
    assert skus(buyer, "&brand=acme") == ["A-1", "A-2"]
    assert skus(buyer, "&q=green") == ["A-1", "A-2", "N-1", "Z-1"]

    tenant.ok("put", "/products/B-1", {"name": "Black tea", "price": "12.00", "brand": "acme"})
    assert skus(buyer) == ["A-1", "A-2", "B-1", "N-1", "Z-1"]
    assert buyer.ok("get", "/products?limit=2&offset=2")["total"] == 5
    assert skus(buyer, "&brand=acme") == ["A-1", "A-2", "B-1"]
    assert skus(buyer, "&q=green") == ["A-1", "A-2", "N-1", "Z-1"]

    tenant.ok("put", "/products/A-2", {"name": "Green tea A-2", "price": "10.00", "brand": "acme",
                                       "active": False})
    assert skus(buyer) == ["A-1", "B-1", "N-1", "Z-1"]
    assert "A-2" in skus(tenant)  # staff still see it (their listing is another entry)

    tenant.ok("put", "/products/Z-1", {"name": "Oolong", "price": "10.00", "brand": "acme"})
    assert skus(buyer, "&brand=acme") == ["A-1", "B-1", "Z-1"]
    assert skus(buyer, "&brand=zeta") == []
    assert skus(buyer, "&q=green") == ["A-1", "N-1"]
    assert skus(buyer, "&q=oolong") == ["Z-1"]


def test_brand_access_shows_and_hides_at_once(tenant: TenantAPI) -> None:
    buyer = shop(tenant)
    tenant.ok("put", "/plugins/brand_isolation", {"enabled": True})
    assert skus(buyer) == ["N-1"]  # only the brandless product until a brand is authorized
    tenant.ok("put", "/brand-access/C1", {"brands": ["acme"]})
    assert skus(buyer) == ["A-1", "A-2", "N-1"]
    tenant.ok("put", "/brand-access/C1", {"brands": ["zeta"]})
    assert skus(buyer) == ["N-1", "Z-1"]
    tenant.ok("put", "/brand-access/C1", {"brands": []})
    assert skus(buyer) == ["N-1"]
    tenant.ok("put", "/plugins/brand_isolation", {"enabled": False})
    assert skus(buyer) == ["A-1", "A-2", "N-1", "Z-1"]


def test_a_buyer_sees_only_its_own_rights_from_a_shared_cache(tenant: TenantAPI) -> None:
    first = shop(tenant)
    second = tenant.buyer("C2", warehouse="WH1")
    tenant.ok("put", "/plugins/brand_isolation", {"enabled": True})
    tenant.ok("put", "/brand-access/C1", {"brands": ["acme"]})
    assert skus(first) == ["A-1", "A-2", "N-1"]
    assert skus(second) == ["N-1"]
    assert skus(first) == ["A-1", "A-2", "N-1"]


def _bump_then(test_settings: Any, slug: str, *, commit: bool) -> tuple[int, int]:
    """Rename a product in one transaction that commits or rolls back; the catalog version
    before and after."""
    from qudao.core.asyncutil import run_sync
    from qudao.core.catalog.models import Product
    from qudao.core.db.session import Database, bind_tenant
    from qudao.tenants.models import Tenant

    async def run() -> tuple[int, int]:
        db = Database(test_settings.database_url)
        try:
            async with db.session() as session:
                tid = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
                before = await session.scalar(select(Tenant.catalog_version).where(Tenant.id == tid))
                await session.commit()
                await bind_tenant(session, tid)
                for name in ("one", "two"):  # two flushes, one transaction
                    product = await session.scalar(select(Product).where(Product.sku == "A-1"))
                    product.name = name
                    await session.flush()
                await (session.commit() if commit else session.rollback())
                await bind_tenant(session, None)
                after = await session.scalar(select(Tenant.catalog_version).where(Tenant.id == tid))
                return before, after
        finally:
            await db.dispose()

    return run_sync(run())


@pytest.mark.parametrize("commit", [True, False])
def test_version_moves_once_per_committed_change(tenant: TenantAPI, test_settings: Any, commit: bool) -> None:
    buyer = shop(tenant)
    assert buyer.ok("get", "/products?q=A-1")["items"][0]["name"] == "Green tea A-1"
    before, after = _bump_then(test_settings, tenant.slug, commit=commit)
    assert after == before + (1 if commit else 0)
    assert buyer.ok("get", "/products?q=A-1")["items"][0]["name"] == ("two" if commit else "Green tea A-1")


def test_stock_and_orders_leave_the_version_alone(tenant: TenantAPI, test_settings: Any) -> None:
    """Orders and stock never bump the version: the listing stays cached through them, and an
    order never waits for the tenant row's lock."""
    buyer = shop(tenant)
    from qudao.core.asyncutil import run_sync
    from qudao.core.db.session import Database
    from qudao.tenants.models import Tenant

    async def version() -> int:
        db = Database(test_settings.database_url)
        try:
            async with db.session() as session:
                return await session.scalar(select(Tenant.catalog_version).where(Tenant.slug == tenant.slug))
        finally:
            await db.dispose()

    before = run_sync(version())
    tenant.ok("put", "/warehouses/WH1/stock/A-1", {"on_hand": 7})
    buyer.ok("post", "/orders", {"lines": [{"sku": "A-1", "qty": 2}]})
    assert run_sync(version()) == before
    assert {i["sku"]: i["available"] for i in buyer.ok("get", "/products")["items"]}["A-1"] == 5


def test_a_cached_page_reads_no_listing(tenant: TenantAPI, on_postgres: bool) -> None:
    """The second look at a page reads the page's rows by id only: no count, no OFFSET walk."""
    buyer = shop(tenant)
    buyer.ok("get", "/products?limit=2&offset=1")
    with counting() as seen:
        page = buyer.ok("get", "/products?limit=2&offset=1")
    assert page["total"] == 4 and [i["sku"] for i in page["items"]] == ["A-2", "N-1"]
    listing = [s for s in seen if "FROM products" in s and "count(" in s.lower()]
    assert listing == []
    by_id = [s for s in seen if "FROM products" in s and "ORDER BY products.sku" in s]
    assert by_id == [], "a cached listing must not read the ordered ids again"
