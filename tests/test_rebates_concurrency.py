"""Parallel orders spending one rebate balance never overdraw it (SQLite and PostgreSQL).

Each request has its own session and transaction, so they race for real: on PostgreSQL the
conditional UPDATE re-checks ``balance >= amount`` on the newest row version; on SQLite
BEGIN IMMEDIATE lets one writer in at a time. Every quote passes (each sees the full balance);
placement decides.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from tests.conftest import TenantAPI
from tests.rebates_support import program, shop

PARALLEL = 20


def _race(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _funded(tenant: TenantAPI, logins: int) -> list[TenantAPI]:
    shop(tenant)
    program(tenant, "Q", max_deduct_percent="100", tiers=[{"from": "0.00", "percent": "1"}])
    buyers = [tenant.buyer("C1") for _ in range(logins)]
    tenant.ok("post", "/rebates/accounts/C1/adjustments", {"amount": "100.00", "reason": "opening"}, status=201)
    for api in [tenant, *buyers]:
        api.ok("get", "/rebates/accounts/C1")  # first use of each token writes last_used_at: not in the race
    return buyers


def test_parallel_orders_never_overdraw_the_rebate_balance(tenant: TenantAPI, test_settings: Any) -> None:
    buyers = _funded(tenant, logins=4)
    _set_cap(test_settings, tenant.slug, 10000)

    def place(i: int) -> Any:
        buyer = buyers[i % len(buyers)]
        return lambda: buyer.post("/orders", json={"lines": [{"sku": "X", "qty": 1}], "use_rebate": "7.00"},
                                  headers={"Idempotency-Key": f"race-{i}"})

    responses = _race([place(i) for i in range(PARALLEL)])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 14, 422: PARALLEL - 14}, [r.text for r in responses if r.status_code not in (201, 422)]
    for r in responses:
        if r.status_code == 422:
            assert [v["code"] for v in r.json()["violations"]] in (
                ["rebate_balance_insufficient"],), r.text
        else:
            assert r.json()["total"] == "3.00"
    account = tenant.ok("get", "/rebates/accounts/C1?limit=1000")
    assert account["balance"] == "2.00"
    assert sum(Decimal(r["amount"]) for r in account["ledger"]) == Decimal("2.00")
    deductions = sorted(Decimal(r["balance"]) for r in account["ledger"] if r["kind"] == "deduction")
    assert deductions == [Decimal(100 - 7 * n) for n in range(14, 0, -1)]  # each saw its own balance
    assert tenant.ok("get", "/stock/X")[0]["reserved"] == 14  # refused orders reserved nothing


def _set_cap(settings: Any, slug: str, cap_bp: int) -> None:
    """The cap normally comes with an approved entry (tests/test_rebates_settlement.py covers that)."""
    from sqlalchemy import select, update

    from qudao.core.asyncutil import run_sync
    from qudao.core.db.session import Database
    from qudao.plugins.rebates.models import RebateAccount
    from qudao.tenants.models import Tenant

    async def go() -> None:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tid = await s.scalar(select(Tenant.id).where(Tenant.slug == slug))
            async with db.session(tid) as ts:
                await ts.execute(update(RebateAccount).values(cap_bp=cap_bp))
                await ts.commit()
        finally:
            await db.dispose()

    run_sync(go())
