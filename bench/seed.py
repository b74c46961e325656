"""The benchmark data, bulk-loaded with SQLAlchemy Core multi-row inserts (``tenant_id`` set
explicitly) next to tenants made through the signup API: the pricing tenant (100,000 SKUs, 10,000
customers, 50,000 price rows, stock), the ordering tenant, the probe tenant of the scaling step
and thousands of small filler tenants.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from common import PASSWORD, Plan, bulk
from sqlalchemy.ext.asyncio import AsyncEngine


def product_rows(tid: int, n: int, prefix: str = "P", start: int = 0) -> list[dict[str, Any]]:
    from qudao.core.catalog.search import search_key
    from qudao.core.db.base import new_id, utcnow

    now = utcnow()
    rows = []
    for i in range(start, start + n):
        sku = f"{prefix}{i:06d}"
        name = f"Product {i} {'tea' if i % 3 == 0 else 'rice' if i % 3 == 1 else 'oil'}"
        rows.append({"tenant_id": tid, "id": new_id(), "sku": sku, "name": name,
                     "search_key": search_key(name, sku), "price": Decimal(10 + i % 90) + Decimal("0.50"),
                     "unit": "pcs", "description": "", "tags": [], "images": [], "featured": False, "active": True,
                     "min_qty": 1, "order_multiple": 1, "created_at": now, "updated_at": now})
    return rows


def warehouse_row(tid: int) -> dict[str, Any]:
    from qudao.core.db.base import new_id

    return {"tenant_id": tid, "id": new_id(), "code": "WH", "name": "Main"}


def stock_rows(warehouse: dict[str, Any], products: list[dict[str, Any]], on_hand: int) -> list[dict[str, Any]]:
    """``on_hand`` of every product in ``warehouse`` (a ``warehouse_row``), nothing reserved."""
    from qudao.core.db.base import new_id

    return [{"tenant_id": warehouse["tenant_id"], "id": new_id(), "warehouse_id": warehouse["id"],
             "product_id": p["id"], "on_hand": on_hand, "reserved": 0, "in_transit": 0} for p in products]


async def seed_pricing_tenant(engine: AsyncEngine, tid: int, plan: Plan) -> dict[str, Any]:
    from qudao.core.db.base import new_id

    rnd = random.Random(3)
    tiers = [{"tenant_id": tid, "id": new_id(), "code": f"T{i}", "name": f"Tier {i}"} for i in range(5)]
    warehouse = warehouse_row(tid)
    products = product_rows(tid, plan.skus)
    customers = [{"tenant_id": tid, "id": new_id(), "code": f"C{i:05d}", "name": f"Customer {i}", "type": "dealer",
                  "tier_id": tiers[i % len(tiers)]["id"], "warehouse_id": warehouse["id"], "groups": [],
                  "contacts": [], "addresses": [], "status": "active"} for i in range(plan.customers)]
    stock = stock_rows(warehouse, products, 1_000)
    # 50,000 price rows: half tier prices (5 tiers x the first 5,000 SKUs), half customer prices,
    # of which the measured customer (C00000, tier T0) has one on every 3rd of the first 10,000 SKUs.
    tier_prices = []
    per_tier = plan.price_rows // 2 // len(tiers)
    for tier in tiers:
        for p in products[:per_tier]:
            tier_prices.append({"tenant_id": tid, "id": new_id(), "tier_id": tier["id"], "product_id": p["id"],
                                "price": p["price"] - Decimal("1.00")})
    customer_prices = []
    seen: set[tuple[int, int]] = set()
    for p in products[: min(len(products), 10_000): 3]:
        seen.add((0, p["id"]))
        customer_prices.append({"tenant_id": tid, "id": new_id(), "customer_id": customers[0]["id"],
                                "product_id": p["id"], "price": p["price"] - Decimal("2.00")})
    while len(customer_prices) + len(tier_prices) < plan.price_rows:
        ci, pi = rnd.randrange(1, len(customers)), rnd.randrange(len(products))
        if (ci, products[pi]["id"]) in seen:
            continue
        seen.add((ci, products[pi]["id"]))
        customer_prices.append({"tenant_id": tid, "id": new_id(), "customer_id": customers[ci]["id"],
                                "product_id": products[pi]["id"], "price": products[pi]["price"] - Decimal("1.50")})
    await bulk(engine, "tiers", tiers)
    await bulk(engine, "warehouses", [warehouse])
    await bulk(engine, "products", products)
    await bulk(engine, "customers", customers)
    await bulk(engine, "stock", stock)
    await bulk(engine, "tier_prices", tier_prices)
    await bulk(engine, "customer_prices", customer_prices)
    return {"products": len(products), "customers": len(customers), "tier_prices": len(tier_prices),
            "customer_prices": len(customer_prices), "stock": len(stock)}


async def seed_order_tenant(engine: AsyncEngine, tid: int, plan: Plan) -> list[str]:
    from qudao.core.db.base import new_id

    warehouse = warehouse_row(tid)
    products = product_rows(tid, plan.order_products, prefix="S")
    customers = [{"tenant_id": tid, "id": new_id(), "code": f"B{i:03d}", "name": f"Buyer {i}", "type": "dealer",
                  "warehouse_id": warehouse["id"], "groups": [], "contacts": [], "addresses": [],
                  "status": "active"} for i in range(plan.buyers)]
    stock = stock_rows(warehouse, products, 100_000_000)
    await bulk(engine, "warehouses", [warehouse])
    await bulk(engine, "products", products)
    await bulk(engine, "customers", customers)
    await bulk(engine, "stock", stock)
    return [p["sku"] for p in products]


async def seed_filler_tenants(engine: AsyncEngine, count: int, products_each: int, plugins: list[str]) -> None:
    """``count`` more tenants, each with an owner, a warehouse, products, stock and plugin rows."""
    from qudao.core.auth.passwords import hash_password
    from qudao.core.db.base import new_id, utcnow
    from qudao.tenants.models import DEFAULT_SETTINGS

    pw = hash_password(PASSWORD)
    now = utcnow()
    batch = 500
    for start in range(0, count, batch):
        tenants, users, warehouses, products, stock, states = [], [], [], [], [], []
        for i in range(start, min(count, start + batch)):
            tid = new_id()
            slug = f"filler-{i:05d}"
            tenants.append({"id": tid, "slug": slug, "name": f"Filler {i}", "currency": "CNY",
                            "timezone": "Asia/Shanghai", "locale": "zh_CN", "status": "active",
                            "settings": DEFAULT_SETTINGS, "created_at": now})
            users.append({"tenant_id": tid, "id": new_id(), "email": f"owner@{slug}.bench", "name": "owner",
                          "password_hash": pw, "kind": "staff", "role": "owner", "active": True,
                          "session_version": 0, "created_at": now})
            warehouse = warehouse_row(tid)
            warehouses.append(warehouse)
            own = product_rows(tid, products_each, prefix="F")
            products += own
            stock += stock_rows(warehouse, own, 100)
            for j, name in enumerate(plugins):
                states.append({"tenant_id": tid, "id": new_id(), "name": name, "enabled": (i + j) % 2 == 0,
                               "settings": {}, "updated_at": now})
        await bulk(engine, "tenants", tenants)
        await bulk(engine, "users", users)
        await bulk(engine, "warehouses", warehouses)
        await bulk(engine, "products", products)
        await bulk(engine, "stock", stock)
        if states:
            await bulk(engine, "tenant_plugins", states)


async def seed_probe_tenant(engine: AsyncEngine, tid: int) -> None:
    """50 products (``X000000``…) in stock in one warehouse ``WH``."""
    warehouse = warehouse_row(tid)
    products = product_rows(tid, 50, prefix="X")
    await bulk(engine, "warehouses", [warehouse])
    await bulk(engine, "products", products)
    await bulk(engine, "stock", stock_rows(warehouse, products, 10**6))
