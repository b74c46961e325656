"""Parallel orders never take a customer past its credit limit (SQLite and PostgreSQL).

The orders go through the API from many threads at once. Each request has its own
session and transaction, so they race for real on the database: on PostgreSQL the
conditional UPDATE re-checks ``used + amount <= limit`` on the newest row version; on
SQLite BEGIN IMMEDIATE lets one writer in at a time.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from qudao.core.asyncutil import run_sync
from tests.conftest import TenantAPI

PARALLEL = 20


def _race(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _setup(tenant: TenantAPI, *, price: str, limit: str, logins: int = 1) -> list[TenantAPI]:
    tenant.ok("put", "/products/SKU-1", {"name": "Tea", "price": price})
    tenant.ok("put", "/warehouses/WH1", {"name": "Main"})
    tenant.ok("put", "/warehouses/WH1/stock/SKU-1", {"on_hand": 100_000})
    tenant.ok("put", "/plugins/credit", {"enabled": True})
    buyers = [tenant.buyer("C1") for _ in range(logins)]
    tenant.ok("put", "/credit/C1", {"limit": limit})
    # Use every token once first: a token's first use writes last_used_at, and that row lock
    # would queue the racing requests one behind the other before they reach the credit check.
    for api in [tenant, *buyers]:
        api.ok("get", "/credit/C1")
    return buyers


def test_parallel_orders_never_overrun_the_limit(tenant: TenantAPI) -> None:
    buyers = _setup(tenant, price="7.00", limit="100.00", logins=4)  # 14 orders of 7.00 fit (98.00)

    def place(i: int) -> Any:
        buyer = buyers[i % len(buyers)]
        return lambda: buyer.post("/orders", json={"lines": [{"sku": "SKU-1", "qty": 1}]},
                                  headers={"Idempotency-Key": f"race-{i}"})

    responses = _race([place(i) for i in range(PARALLEL)])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 14, 422: PARALLEL - 14}, [r.text for r in responses if r.status_code not in (201, 422)]
    for r in responses:
        if r.status_code == 422:
            assert [v["code"] for v in r.json()["violations"]] == ["credit_limit_exceeded"], r.text
    body = tenant.ok("get", "/credit/C1")
    assert (body["limit"], body["used"], body["available"]) == ("100.00", "98.00", "2.00")
    assert tenant.ok("get", "/stock/SKU-1")[0]["reserved"] == 14  # refused orders reserved nothing
    ledger = tenant.ok("get", "/credit/C1/ledger")
    assert len(ledger["items"]) == 14
    # every charge saw its own balance: the holds were taken one after another, never on a stale read
    balances = {Decimal(e["balance"]) for e in ledger["entries"] if e["kind"] == "charge"}
    assert balances == {Decimal(7 * n) for n in range(1, 15)}


def test_parallel_orders_through_a_live_server(live_server: str, tenant: TenantAPI) -> None:
    """The same race over real HTTP connections to uvicorn (its own engine and pool)."""
    buyers = _setup(tenant, price="9.99", limit="100.00", logins=5)  # 10 orders of 9.99 fit (99.90)

    async def race() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            return await asyncio.gather(*(
                http.post(f"/t/{tenant.slug}/api/v1/orders", json={"lines": [{"sku": "SKU-1", "qty": 1}]},
                          headers={"Authorization": f"Bearer {buyers[i % len(buyers)].token}",
                                   "Idempotency-Key": f"live-{i}"})
                for i in range(PARALLEL)))

    responses = run_sync(race())
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 10, 422: PARALLEL - 10}, [r.text for r in responses if r.status_code != 201]
    body = tenant.ok("get", "/credit/C1")
    assert (body["used"], body["available"]) == ("99.90", "0.10")


def test_parallel_orders_repayments_and_cancellations_stay_consistent(tenant: TenantAPI) -> None:
    buyer, = _setup(tenant, price="3.33", limit="50.00")
    placed = [buyer.ok("post", "/orders", {"lines": [{"sku": "SKU-1", "qty": 3}]})["number"] for _ in range(4)]
    # 4 x 9.99 = 39.96 used; now race: 12 new orders of 9.99, 4 cancellations, 3 repayments of 5.00
    calls: list[Any] = []
    calls += [lambda i=i: buyer.post("/orders", json={"lines": [{"sku": "SKU-1", "qty": 3}]}) for i in range(12)]
    calls += [lambda n=n: buyer.post(f"/orders/{n}/status", json={"status": "cancelled"}) for n in placed]
    calls += [lambda: tenant.post("/credit/C1/payments", json={"amount": "5.00"}) for _ in range(3)]
    responses = _race(calls)
    assert all(r.status_code in (200, 201, 422) for r in responses), [r.text for r in responses]
    assert all(r.status_code == 200 for r in responses[12:16])  # every cancellation went through
    body = tenant.ok("get", "/credit/C1")
    used, limit = Decimal(body["used"]), Decimal(body["limit"])
    assert Decimal("0") <= used <= limit
    ledger = tenant.ok("get", "/credit/C1/ledger?limit=500")
    # used equals what the open items still owe, and the ledger sums to it
    assert used == sum((Decimal(i["outstanding"]) for i in ledger["items"]), Decimal("0"))
    assert used == sum((Decimal(e["amount"]) for e in ledger["entries"]), Decimal("0"))
