"""Tenant scaling (issue 8): one small tenant's API latency and the server's start-up time with 10
and with 10,000 tenants in the database. Two databases side by side, each with the same probe tenant
and its own server, probed interleaved request by request so other load on the machine falls on
both alike.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import httpx
from app import API, Server, make_buyer, running, signup
from common import (
    APP_ROLE,
    Plan,
    Results,
    analyze,
    drop_database,
    log,
    ms,
    pct,
    recreate_database,
    sibling_url,
    tenant_id,
)
from seed import seed_filler_tenants, seed_probe_tenant
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


def probe_interleaved(targets: list[tuple[str, Server, API]], plan: Plan) -> dict[str, dict[str, float]]:
    """Sequential requests for one tenant on each server, interleaved request by request (the order
    alternates), so whatever else the machine does falls on both alike: a catalog page as the
    tenant's buyer, and a 5-line quote every third round."""
    lat: dict[str, dict[str, list[float]]] = {label: {"page": [], "quote": []} for label, _, _ in targets}
    body = {"lines": [{"sku": f"X{i:06d}", "qty": 1} for i in range(5)]}
    with httpx.Client(timeout=60) as client:
        for _ in range(20):  # warm-up
            for _label, _server, api in targets:
                client.get(api.url("/products?limit=20"), headers=api.headers)
                client.post(api.url("/cart/quote"), json=body, headers=api.headers)
        for i in range(plan.probe_requests):
            for label, _server, api in (targets if i % 2 == 0 else targets[::-1]):
                t0 = time.perf_counter()
                r = client.get(api.url("/products?limit=20"), headers=api.headers)
                lat[label]["page"].append(time.perf_counter() - t0)
                assert r.status_code == 200 and len(r.json()["items"]) == 20, r.text[:200]
                if i % 3 == 0:
                    t0 = time.perf_counter()
                    r = client.post(api.url("/cart/quote"), json=body, headers=api.headers)
                    lat[label]["quote"].append(time.perf_counter() - t0)
                    assert r.status_code == 200 and not r.json()["violations"], r.text[:200]
        out = {}
        for label, server, api in targets:
            before = server.statements()
            client.get(api.url("/products?limit=20"), headers=api.headers)
            sql = server.statements() - before
            p, q = lat[label]["page"], lat[label]["quote"]
            out[label] = {"page_p50": pct(p, 50), "page_p99": pct(p, 99), "page_mean": statistics.fmean(p),
                          "quote_p50": pct(q, 50), "quote_p99": pct(q, 99), "sql": sql, "n": len(p)}
    return out


def setup_probe(engine: AsyncEngine, server: Server, others: int) -> API:
    probe = signup(server.base, "bench-probe")
    for i in range(others):
        signup(server.base, f"bench-small-{i}")
    asyncio.run(seed_probe_tenant(engine, asyncio.run(tenant_id(engine, probe.slug))))
    probe.put("/customers/PROBE", {"name": "Probe buyer", "warehouse": "WH"})
    return make_buyer(probe, "PROBE")


def bench_tenant_scaling(server: Server, probe_buyer: API, engine: AsyncEngine, plugin_names: list[str], plan: Plan,
                         results: Results) -> None:
    """Fill ``server``'s database (10 tenants so far, ``probe_buyer``'s among them) up to
    ``plan.tenants``, make the 10-tenant twin ``<database>_t10``, restart both and probe them."""
    from qudao.core.db.migrate import upgrade_all

    log(f"(e) tenant scaling: adding {plan.tenants - 10:,} tenants")
    t0 = time.perf_counter()
    asyncio.run(seed_filler_tenants(engine, plan.tenants - 10, 20, plugin_names))
    asyncio.run(analyze(engine))
    results.notes.append(f"{plan.tenants - 10:,} tenants bulk-loaded in {time.perf_counter() - t0:.0f} s")
    log("(e) a second database with 10 tenants, the same probe tenant, its own server")
    small_url = sibling_url(server.url, "_t10")
    asyncio.run(recreate_database(small_url))
    upgrade_all(small_url, APP_ROLE)
    small_engine = create_async_engine(small_url, poolclass=NullPool)
    small_server = Server(small_url, server.workdir, server.plugins, server.redis_url)
    small_server.starts = 100
    with running(small_server):
        small_server.start()
        small_probe = setup_probe(small_engine, small_server, others=9)
        asyncio.run(analyze(small_engine))
        small_server.stop()
        startup_small = small_server.start()
        startup_big = server.start()
        log("(e) probing both, interleaved")
        both = probe_interleaved([("small", small_server, small_probe), ("big", server, probe_buyer)], plan)
    asyncio.run(small_engine.dispose())
    asyncio.run(drop_database(small_url))
    for label, count, startup in (("small", 10, startup_small), ("big", plan.tenants, startup_big)):
        r = both[label]
        results.add("tenants", f"| {count:,} | {startup:.1f} | {ms(r['page_p50'])} | {ms(r['page_p99'])} | "
                               f"{ms(r['page_mean'])} | {ms(r['quote_p50'])} | {ms(r['quote_p99'])} | "
                               f"{r['sql']} |")
    idle_big = server.rss()
    results.add("memory", f"- idle after start with {plan.tenants:,} tenants: **{idle_big['VmRSS']:.0f} MiB** "
                          "RSS (no per-tenant state is loaded at start-up)")
