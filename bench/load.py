"""Load through the API against the running server (issue 4 and the storefront): statements per
order by its number of lines, a 200-line quote, concurrent buyers placing 10-line orders for a
bounded time, then statements per catalog page and concurrent buyers paging through the SKUs.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from typing import Any

import httpx
from app import API, Server, order_body, order_statements
from common import Plan, Results, ms, pct, timed_loop


def bench_ordering(server: Server, buyers: list[API], skus: list[str], plan: Plan, results: Results) -> None:
    rnd = random.Random(11)
    # statements per order, sequential, by number of lines
    results.add("sql", "| order lines | SQL statements per order (POST /orders, sequential) |")
    results.add("sql", "|---|---|")
    buyer = buyers[0]
    with httpx.Client(timeout=60) as client:
        for lines in (1, 10, 50):
            counts = [order_statements(server, client, buyer, order_body(skus, rnd, lines)) for _ in range(5)]
            results.add("sql", f"| {lines} | {statistics.median(counts):.0f} |")

        # quote a 200-line cart
        body = order_body(skus, rnd, 200)
        times, counts = [], []
        for _ in range(plan.samples):
            before = server.statements()
            t0 = time.perf_counter()
            resp = client.post(buyer.url("/cart/quote"), json=body, headers=buyer.headers)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200 and not resp.json()["violations"], resp.text[:300]
            counts.append(server.statements() - before)
        results.add("quote", f"| 200-line cart quote (POST /cart/quote, sequential, n={len(times)}) | "
                             f"{ms(statistics.median(times))} | {ms(pct(times, 99))} | {statistics.median(counts):.0f} |")

    # concurrent buyers placing 10-line orders
    results.add("load", "| concurrent buyers | orders placed | orders/s | p50 ms | p99 ms | max ms | "
                        "SQL statements per order | non-201 answers | server RSS after (MiB) |")
    results.add("load", "|---|---|---|---|---|---|---|---|---|")
    for concurrency in plan.concurrency:
        bodies = [random.Random(100 + n) for n in range(concurrency)]

        async def place(client: httpx.AsyncClient, n: int, bodies: list[random.Random] = bodies) -> Any:
            who = buyers[n % len(buyers)]
            return await client.post(who.url("/orders"), json=order_body(skus, bodies[n], 10),
                                      headers={**who.headers, "Idempotency-Key": uuid.uuid4().hex})

        before = server.statements()
        latencies, statuses, elapsed = asyncio.run(timed_loop(concurrency, plan.load_seconds, place))
        statements = server.statements() - before
        placed = statuses.get(201, 0)
        others = {k: v for k, v in statuses.items() if k != 201}
        rss = server.rss()
        results.add("load", f"| {concurrency} | {placed} | {placed / elapsed:.1f} | {ms(pct(latencies, 50))} | "
                            f"{ms(pct(latencies, 99))} | {ms(max(latencies))} | "
                            f"{statements / max(1, sum(statuses.values())):.1f} | {others or 0} | "
                            f"{rss.get('VmRSS', 0):.0f} |")


def bench_catalog(server: Server, buyer: API, plan: Plan, results: Results) -> None:
    results.add("catalog", "| page size | SQL statements per page |")
    results.add("catalog", "|---|---|")
    with httpx.Client(timeout=60) as client:
        for size in (10, 50, 200):
            before = server.statements()
            resp = client.get(buyer.url(f"/products?limit={size}&offset=100"), headers=buyer.headers)
            assert resp.status_code == 200 and len(resp.json()["items"]) == size, resp.text[:300]
            results.add("catalog", f"| {size} | {server.statements() - before} |")
    rnd = random.Random(7)

    async def page(client: httpx.AsyncClient, _n: int) -> Any:
        offset = rnd.randrange(0, plan.skus - 50)
        return await client.get(buyer.url(f"/products?limit=50&offset={offset}"), headers=buyer.headers)

    latencies, statuses, elapsed = asyncio.run(timed_loop(plan.catalog_concurrency, plan.catalog_seconds, page))
    ok = statuses.get(200, 0)
    results.add("catalog_load", f"| GET /products?limit=50 (random offset over {plan.skus:,} SKUs) as a buyer, "
                                f"{plan.catalog_concurrency} concurrent, {plan.catalog_seconds:.0f} s | {ok} | "
                                f"{ok / elapsed:.1f} | {ms(pct(latencies, 50))} | {ms(pct(latencies, 99))} | "
                                f"{ {k: v for k, v in statuses.items() if k != 200} or 0} |")


# --- (d) pgbench --------------------------------------------------------------------------
