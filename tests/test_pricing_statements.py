"""The price engine prices a page or cart in a constant number of SQL statements (10 vs 50 products)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.conftest import TenantAPI

N = 50


def big_shop(t: TenantAPI) -> TenantAPI:
    t.ok("put", "/brands/acme", {"name": "Acme"})
    t.ok("put", "/brands/other", {"name": "Other"})
    t.ok("put", "/tiers/gold", {"name": "Gold"})
    t.ok("put", "/warehouses/WH1", {"name": "WH"})
    buyer = t.buyer("C1", tier="gold", type="store", region="浙江/杭州/西湖区", warehouse="WH1")
    for i in range(N):
        sku = f"P{i:03d}"
        t.ok("put", f"/products/{sku}", {"name": f"Product {i}", "price": "10.00", "floor_price": "5.00",
                                         "brand": "acme" if i % 2 else "other", "category": f"cat{i % 3}"})
        t.ok("put", f"/warehouses/WH1/stock/{sku}", {"on_hand": 1000})
        if i % 5 == 0:
            t.ok("put", f"/prices/customer/C1/{sku}", {"price": "9.00"})
        if i % 4 == 0:
            t.ok("put", f"/prices/tier/gold/{sku}", {"price": "9.50"})
        if i % 3 == 0:
            t.ok("put", f"/prices/breaks/{sku}", {"breaks": [{"min_qty": 10, "price": "8.00"},
                                                             {"min_qty": 20, "price": "7.50", "tier": "gold"}]})
    t.ok("put", "/price-policies/BRAND", {"name": "b", "brands": ["acme"], "tiers": ["gold"], "percent": "90"})
    t.ok("put", "/price-policies/CAT", {"name": "c", "categories": ["cat1"], "regions": ["浙江"], "price": "8.80",
                                        "priority": 3})
    t.ok("put", "/price-policies/SKU", {"name": "s", "skus": ["P007"], "customers": ["C1"], "price": "6.00",
                                        "priority": 9})
    return buyer


@contextmanager
def counting(target: Any = Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(target, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", count)


def test_engine_statements_do_not_grow_with_the_cart(tenant: TenantAPI, test_settings: Any) -> None:
    big_shop(tenant)
    from sqlalchemy import select

    from qudao.core.asyncutil import run_sync
    from qudao.core.catalog.models import Product
    from qudao.core.customers.models import Customer
    from qudao.core.db.session import Database, bind_tenant
    from qudao.core.pricing.engine import resolve_prices
    from qudao.tenants.models import Tenant

    async def run() -> dict[int, tuple[int, dict[str, str]]]:
        db = Database(test_settings.database_url)
        out = {}
        try:
            async with db.session() as session:
                t = await session.scalar(select(Tenant).where(Tenant.slug == tenant.slug))
                await bind_tenant(session, t.id)
                customer = await session.scalar(select(Customer).where(Customer.code == "C1"))
                products = list((await session.scalars(select(Product).order_by(Product.sku))).all())
                await resolve_prices(session, products, customer=customer, currency="CNY")  # warm: the policies
                for size in (10, N):
                    page = products[:size]
                    with counting(db.engine.sync_engine) as seen:
                        prices = await resolve_prices(session, page, customer=customer, currency="CNY",
                                                      quantities={p.id: 25 for p in page})
                    out[size] = (len(seen), {p.sku: f"{prices[p.id].price} {prices[p.id].source}"
                                             for p in page})
        finally:
            await db.dispose()
        return out

    result = run_sync(run())
    assert result[10][0] == result[N][0], (result[10][0], result[N][0])
    assert result[N][0] <= 6  # customer prices, tier prices (+ tier code), policies, brands, categories, breaks
    prices = result[N][1]
    assert prices["P000"] == "7.50 break"           # customer price 9.00, but its tier's break (25 ≥ 20) is lower
    assert prices["P005"] == "9.00 customer"        # customer price, no break on it
    assert prices["P007"] == "6.00 policy:SKU"      # priority 9 beats CAT (3) and BRAND (0)
    assert prices["P001"] == "8.80 policy:CAT"      # cat1, acme: CAT's priority beats BRAND
    assert prices["P011"] == "9.00 policy:BRAND"    # cat2, acme: 90 % of 10.00
    assert prices["P008"] == "9.50 tier"
    assert prices["P002"] == "10.00 base"
    assert prices["P012"] == "7.50 break"           # tier price 9.50, its tier's break lower


def test_catalog_page_and_quote_statements_do_not_grow(tenant: TenantAPI) -> None:
    """Through the API: a customer's catalog page of 10 vs 50 products, and a quote of 10 vs 50 lines."""
    buyer = big_shop(tenant)

    def statements(call: Any) -> int:
        call()  # warm caches (plugin states, …)
        counts = []
        for _ in range(2):
            with counting() as seen:
                call()
            counts.append(len(seen))
        return min(counts)

    page10 = statements(lambda: buyer.ok("get", "/products?limit=10"))
    page50 = statements(lambda: buyer.ok("get", "/products?limit=50"))
    assert page10 == page50, (page10, page50)
    items = {i["sku"]: (i["price"], i["price_source"]) for i in buyer.ok("get", "/products?limit=50")["items"]}
    assert items["P007"] == ("6.00", "policy:SKU") and items["P000"] == ("9.00", "customer")

    def quote(n: int) -> Any:
        return lambda: buyer.ok("post", "/cart/quote",
                                {"lines": [{"sku": f"P{i:03d}", "qty": 25} for i in range(n)]})

    q10, q50 = statements(quote(10)), statements(quote(N))
    assert q10 == q50, (q10, q50)
