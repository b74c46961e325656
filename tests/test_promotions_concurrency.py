"""Parallel orders never use a promotion more often than its usage limit allows."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.conftest import TenantAPI
from tests.test_promotions_api import make_shop, promo

PARALLEL = 8
USES = 3


def _race(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_parallel_orders_never_overrun_a_usage_limit(tenant: TenantAPI) -> None:
    make_shop(tenant)
    promo(tenant, "FIRST5", kind="coupon", amount="2", uses_limit=USES)
    promo(tenant, "EARLY", kind="threshold_gift", threshold="0", gift_sku="GIFT", uses_limit=USES + 2)
    buyers = [tenant.buyer(f"C{i}") for i in range(PARALLEL)]
    body = {"lines": [{"sku": "A", "qty": 1}], "coupon": "FIRST5"}
    for buyer in buyers:  # each token's first use writes to its row; get that out of the race
        assert buyer.ok("post", "/cart/quote", body)["discount"] == "2.00"

    responses = _race([lambda b=b: b.post("/orders", json=body) for b in buyers])
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: USES, 422: PARALLEL - USES}, [r.text for r in responses]
    for r in responses:
        if r.status_code == 422:
            assert [v["code"] for v in r.json()["violations"]] == ["coupon_invalid"], r.text
        else:
            assert r.json()["discount"] == "2.00"
    assert tenant.ok("get", "/promotions/FIRST5")["used"] == USES
    assert tenant.ok("get", "/promotions/EARLY")["used"] == USES
    assert tenant.ok("get", "/stock/A")[0]["reserved"] == USES


def test_a_limit_given_while_orders_run_counts_every_use_before_it(tenant: TenantAPI) -> None:
    """A promotion without a total limit is not counted at placement, so orders of a sale do not
    queue on its row; a clerk who gives it a limit while orders run counts every use so far.
    Afterwards the counter equals the orders that got the discount, and the limit holds."""
    make_shop(tenant)
    promo(tenant, "OPEN", kind="threshold_amount_off", threshold="0", amount="1")
    buyers = [tenant.buyer(f"C{i}") for i in range(PARALLEL)]
    body = {"lines": [{"sku": "A", "qty": 1}]}
    for buyer in buyers:
        assert buyer.ok("post", "/cart/quote", body)["discount"] == "1.00"
    assert buyers[0].ok("post", "/orders", body)["discount"] == "1.00"
    assert tenant.ok("get", "/promotions/OPEN")["used"] == 1  # the uses of an unlimited promotion

    limit = PARALLEL // 2
    clerk = [lambda: tenant.put("/promotions/OPEN", json={"kind": "threshold_amount_off", "threshold": "0",
                                                          "amount": "1", "uses_limit": limit})]
    responses = _race([*(lambda b=b: b.post("/orders", json=body) for b in buyers), *clerk])
    assert responses[-1].status_code == 200, responses[-1].text
    placed = [r.json() for r in responses[:-1] if r.status_code == 201]
    view = tenant.ok("get", "/promotions/OPEN")
    discounted = 1 + sum(1 for o in placed if o["discount"] == "1.00")
    assert view["used"] == view["orders"] == discounted, (view, placed)
    # from now on it is counted, and stops at its limit (it may be past it already: uses before)
    for _ in range(limit + 1):
        assert buyers[0].post("/orders", json=body).status_code == 201
    view = tenant.ok("get", "/promotions/OPEN")
    assert view["used"] == view["orders"] == max(discounted, limit), view
