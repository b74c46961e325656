"""Concurrent store orders never oversell their distributor's stock (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import httpx

from qudao.core.asyncutil import run_sync
from tests.channels_support import build_channel, stock_dist
from tests.conftest import TenantAPI


def test_parallel_store_orders_never_oversell_the_distributor(live_server: str, tenant: TenantAPI) -> None:
    ch = build_channel(tenant)
    stock_dist(ch, 6)
    stores = [ch.store] + [tenant.buyer(f"S{i}", parent="DIST") for i in range(3)]
    tokens = [s.token for s in stores for _ in range(6)]  # 24 orders of 1 on 6 in the distributor's stock

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as http:
            return await asyncio.gather(*(
                http.post(f"/t/{tenant.slug}/api/v1/orders", json={"lines": [{"sku": "TEA", "qty": 1}]},
                          headers={"Authorization": f"Bearer {t}", "Idempotency-Key": f"k-{i}"})
                for i, t in enumerate(tokens)))

    responses = run_sync(go())
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 6, [r.text for r in responses]
    assert set(codes) <= {201, 422}
    assert all(r.json()["violations"][0]["code"] == "insufficient_stock" for r in responses if r.status_code == 422)
    row = ch.dist.ok("get", "/reseller/stock")[0]
    assert (row["on_hand"], row["reserved"], row["available"]) == (6, 6, 0)
    assert len(ch.dist.ok("get", "/reseller/orders")["items"]) == 6
    assert tenant.ok("get", "/stock/TEA")[0]["reserved"] == 0  # the brand's stock is not touched
