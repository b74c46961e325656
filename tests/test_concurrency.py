"""Under concurrent orders nothing is oversold (SQLite and PostgreSQL, through a live server)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from qudao.core.asyncutil import run_sync
from tests.conftest import PASSWORD, TenantAPI


async def _place_all(base: str, slug: str, tokens: list[str], sku: str, qty: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        async def one(i: int, token: str) -> httpx.Response:
            return await http.post(f"/t/{slug}/api/v1/orders",
                                   json={"lines": [{"sku": sku, "qty": qty}]},
                                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"c-{i}"})

        return await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))


def test_parallel_orders_never_oversell(live_server: str, tenant: TenantAPI) -> None:
    tenant.ok("put", "/products/HOT", {"name": "Hot item", "price": "5.00"})
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    tenant.ok("put", "/warehouses/W/stock/HOT", {"on_hand": 7})
    buyers = [tenant.buyer(f"C{i}") for i in range(6)]
    # 36 orders of 1 on 7 in stock: more concurrent requests than the pool has connections
    tokens = [b.token for b in buyers for _ in range(6)]
    responses = run_sync(_place_all(live_server, tenant.slug, tokens, "HOT", 1))
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 7, codes
    assert set(codes) <= {201, 422}, [r.text for r in responses if r.status_code not in (201, 422)]
    for r in responses:
        if r.status_code == 422:
            assert [v["code"] for v in r.json()["violations"]] == ["insufficient_stock"]
    stock = tenant.ok("get", "/stock/HOT")[0]
    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (7, 7, 0)
    numbers = {r.json()["number"] for r in responses if r.status_code == 201}
    assert len(numbers) == 7  # unique order numbers under concurrency


def test_same_idempotency_key_in_parallel_makes_one_order(live_server: str, tenant: TenantAPI) -> None:
    tenant.ok("put", "/products/P", {"name": "P", "price": "1.00"})
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    tenant.ok("put", "/warehouses/W/stock/P", {"on_hand": 100})
    buyer = tenant.buyer("C1")

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            return await asyncio.gather(*(
                http.post(f"/t/{tenant.slug}/api/v1/orders", json={"lines": [{"sku": "P", "qty": 2}]},
                          headers={"Authorization": f"Bearer {buyer.token}", "Idempotency-Key": "same"})
                for _ in range(6)))

    responses = run_sync(go())
    assert {r.status_code for r in responses} <= {200, 201}, [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1
    assert tenant.ok("get", "/stock/P")[0]["reserved"] == 2
    assert PASSWORD
    listing: Any = buyer.ok("get", "/orders")
    assert listing["total"] == 1


def test_parallel_edits_and_approvals_never_oversell(live_server: str, tenant: TenantAPI) -> None:
    """Clerks raising quantities at once on scarce stock, while others approve: stock stays exact."""
    tenant.ok("put", "/products/HOT", {"name": "Hot item", "price": "5.00"})
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    tenant.ok("put", "/warehouses/W/stock/HOT", {"on_hand": 10})
    buyer = tenant.buyer("C1")
    numbers = [buyer.ok("post", "/orders", {"lines": [{"sku": "HOT", "qty": 1}]})["number"] for _ in range(5)]

    async def go() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {tenant.token}"}
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            edits = [http.patch(f"/t/{tenant.slug}/api/v1/orders/{n}", headers=headers,
                                json={"lines": [{"sku": "HOT", "qty": 3}]}) for n in numbers]
            approvals = [http.post(f"/t/{tenant.slug}/api/v1/orders/{n}/status", headers=headers,
                                   json={"status": "approved"}) for n in numbers[:2]]
            return await asyncio.gather(*edits, *approvals)

    responses = run_sync(go())
    edits, approvals = responses[:5], responses[5:]
    assert {r.status_code for r in edits} <= {200, 409, 422}, [r.text for r in edits]
    assert all(r.status_code == 200 for r in approvals), [r.text for r in approvals]
    orders = [tenant.ok("get", f"/orders/{n}") for n in numbers]
    # every order is either as placed or as edited, and an edit landed only before its approval
    for order, edit in zip(orders, edits, strict=True):
        qty = order["lines"][0]["qty"]
        assert qty == (3 if edit.status_code == 200 else 1)
        assert order["total"] == f"{5 * qty}.00"
        assert [e["status"] for e in order["events"]].count("edited") == (1 if edit.status_code == 200 else 0)
    stock = tenant.ok("get", "/stock/HOT")[0]
    assert stock["reserved"] == sum(o["lines"][0]["qty"] for o in orders) <= 10
    assert stock["on_hand"] == 10 and stock["available"] == 10 - stock["reserved"]


def test_the_order_counter_has_one_unique_key() -> None:
    """PostgreSQL's INSERT … ON CONFLICT handles conflicts on its arbiter only: with a second
    unique index on the counter, two first orders of a day raced into a unique violation (seen in
    CI as a 409 on a parallel order). The counter's only unique key is its primary key."""
    from sqlalchemy import UniqueConstraint

    from qudao.core.orders.models import OrderCounter

    table = OrderCounter.__table__
    assert [c.name for c in table.primary_key.columns] == ["tenant_id", "id"]
    assert not [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    assert not [i for i in table.indexes if i.unique]


def test_multi_line_orders_in_opposite_line_orders_neither_deadlock_nor_oversell(live_server: str,
                                                                                tenant: TenantAPI) -> None:
    """Orders of the same five SKUs listed forwards and backwards, all at once: the reservation
    locks its stock rows in id order inside its one UPDATE (core/inventory/service.py), so no two
    orders wait on each other's rows; 5 of each SKU in stock make exactly 5 orders of 1 each."""
    tenant.ok("put", "/warehouses/W", {"name": "W"})
    skus = [f"M{i}" for i in range(5)]
    for sku in skus:
        tenant.ok("put", f"/products/{sku}", {"name": sku, "price": "2.00"})
        tenant.ok("put", f"/warehouses/W/stock/{sku}", {"on_hand": 5})
    tokens = [tenant.buyer(f"D{i}").token for i in range(4) for _ in range(4)]

    async def place_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            async def one(i: int, token: str) -> httpx.Response:
                lines = [{"sku": s, "qty": 1} for s in (skus if i % 2 else skus[::-1])]
                return await http.post(f"/t/{tenant.slug}/api/v1/orders", json={"lines": lines},
                                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"m-{i}"})

            return await asyncio.gather(*(one(i, t) for i, t in enumerate(tokens)))

    codes = [r.status_code for r in run_sync(place_all())]
    assert codes.count(201) == 5 and set(codes) <= {201, 422}, codes
    for sku in skus:
        stock = tenant.ok("get", f"/stock/{sku}")[0]
        assert (stock["reserved"], stock["available"]) == (5, 0), (sku, stock)
