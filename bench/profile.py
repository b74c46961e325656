"""CPU per request of the app in-process, for finding where the web process spends it (issue 16).

    python bench/orders.py --seconds 5 --pgbench-seconds 1   # seeds qudao_bench_orders (kept after the run)
    python bench/profile.py orders -n 300                      # CPU ms per 10-line order, PostgreSQL ms per order
    python bench/profile.py quote -n 50                        # a 200-line quote
    python bench/profile.py catalog -n 300                     # GET /products?limit=50
    py-spy record -r 500 -f raw -o /tmp/o.raw -- python bench/profile.py orders -n 400

The app is ``bench/server.py``'s (the production factory, RLS on through the app role) driven by
``httpx.ASGITransport`` one request at a time, so every sample of a profiler is CPU, not a wait
for a queue; the figure includes the in-process client (about 1 ms). It runs on the default
asyncio loop, not uvloop, so the event loop's share is larger than under ``qudao serve``.
Compare trees in one sitting: ``PYTHONPATH=<folder with a qudao symlink to BASE>`` runs BASE.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import APP_ROLE, PASSWORD  # noqa: E402 - bench/'s shared modules

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qudao_bench_orders"


def postgres_cpu() -> float:
    """User + system seconds of every PostgreSQL process on the machine."""
    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if (proc.info["name"] or "").startswith("postgres"):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
    return total


async def measure(app: Any, what: str, n: int) -> tuple[float, float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        base = "/t/bench-orders/api/v1"
        resp = await client.post(base + "/auth/token", json={"email": "b000@bench-orders.bench", "password": PASSWORD})
        assert resp.status_code == 200, f"seed the database with bench/orders.py first: {resp.text[:200]}"
        headers = {"Authorization": f"Bearer {resp.json()['token']}"}
        skus = [p["sku"] for p in (await client.get(base + "/products?limit=200", headers=headers)).json()["items"]]
        rnd = random.Random(1)

        async def one() -> None:
            if what == "orders":
                body = {"lines": [{"sku": s, "qty": rnd.randint(1, 3)} for s in rnd.sample(skus, 10)]}
                resp = await client.post(base + "/orders", json=body,
                                         headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
                assert resp.status_code == 201, resp.text[:300]
            elif what == "quote":
                resp = await client.post(base + "/cart/quote", headers=headers,
                                         json={"lines": [{"sku": s, "qty": 2} for s in skus[:200]]})
                assert resp.status_code == 200, resp.text[:300]
            else:
                resp = await client.get(base + f"/products?limit=50&offset={rnd.randint(0, 900)}", headers=headers)
                assert resp.status_code == 200, resp.text[:300]

        for _ in range(min(30, n)):  # warm the caches (tenant, listing, statements)
            await one()
        pg0, cpu0 = postgres_cpu(), time.process_time()
        for _ in range(n):
            await one()
        return (time.process_time() - cpu0) * 1000 / n, (postgres_cpu() - pg0) * 1000 / n


async def main_async(args: argparse.Namespace) -> None:
    from litestar import Litestar
    from server import build_app

    app = build_app()
    inner = app
    while not isinstance(inner, Litestar) and hasattr(inner, "app"):
        inner = inner.app
    if isinstance(inner, Litestar):
        async with inner.lifespan():
            web, pg = await measure(app, args.what, args.n)
    else:
        web, pg = await measure(app, args.what, args.n)
    print(f"{args.what}: {web:.2f} ms CPU per request in this process (app + client), "
          f"{pg:.2f} ms PostgreSQL CPU per request, n={args.n}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("orders", "quote", "catalog"))
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--database-url", default=os.environ.get("QUDAO_BENCH_ORDERS_URL", DEFAULT_URL))
    args = parser.parse_args()
    os.environ.update({"QUDAO_DATABASE_URL": args.database_url, "QUDAO_SECRET_KEY": "bench-profile-" + "x" * 32,
                       "QUDAO_VAR_DIR": str(Path(os.environ.get("TMPDIR", "/tmp")) / "qudao-bench-profile"),
                       "QUDAO_LOG_JSON": "1", "QUDAO_LOG_LEVEL": "WARNING", "QUDAO_DB_APP_ROLE": APP_ROLE,
                       "QUDAO_BENCH_PLUGINS": os.environ.get("QUDAO_BENCH_PLUGINS", "promotions,credit,rebates")})
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
