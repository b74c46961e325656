"""Qudao benchmark suite: one command, PostgreSQL on this machine, results in bench/RESULTS.md.

    python bench/run.py --quick      # ~5 minutes: the same data sizes, shorter timed phases
    python bench/run.py --full       # longer phases for steadier numbers

What it measures (see bench/README.md):
  pricing   issue 3: 100,000 SKUs, 10,000 customers, 50,000 price rows; price a catalog page
            for one customer (10/50/200 products): time and SQL statements
  ordering  issue 4: 8 and 32 concurrent buyers placing 10-line orders through the API for a
            bounded time: orders/s, p50/p99, SQL statements per order (1/10/50 lines too),
            quote time for a 200-line cart, storefront catalog page p50/p99
  pgbench   read/write TPS in the same run, for the ratio
  tenants   issue 8: one tenant's API latency with 10 and with 10,000 tenants in the database,
            and the server's start-up time at both
  memory    RSS of the web process

The server runs the production app factory under uvicorn on 127.0.0.1 in a subprocess
(bench/server.py, which also counts SQL statements); every process and the benchmark
databases are stopped or left for inspection when the run ends (databases are recreated on
the next run). Nothing is timed inside the test suite: this is the only place for timings.

This file is the driver; the steps are in the modules next to it: common.py (plan, results,
databases, pgbench, the load loop), app.py (the server and its API), seed.py (data), pricing.py,
load.py (ordering and the storefront catalog), scaling.py (tenants) and report.py (RESULTS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from app import Server, make_buyer, running, signup
from common import (
    APP_ROLE,
    FULL,
    HERE,
    QUICK,
    SMOKE,
    Results,
    analyze,
    log,
    machine_info,
    recreate_database,
    run_pgbench,
    tenant_id,
)
from load import bench_catalog, bench_ordering
from pricing import bench_pricing
from report import write_results
from scaling import bench_tenant_scaling, setup_probe
from seed import seed_order_tenant, seed_pricing_tenant
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qudao_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="shorter timed phases (default)")
    mode.add_argument("--full", action="store_true", help="longer timed phases")
    parser.add_argument("--database-url", default=os.environ.get("QUDAO_BENCH_DATABASE_URL", DEFAULT_URL),
                        help="PostgreSQL database to (re)create for the run (default: %(default)s)")
    parser.add_argument("--redis-url", default=None, help="use Redis as the job broker (default: in-process)")
    parser.add_argument("--plugins", default=None,
                        help="comma-separated plugins to load (default: every installed plugin)")
    mode.add_argument("--smoke", action="store_true", help=argparse.SUPPRESS)  # tiny sizes, to test the script
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--tenants", type=int, default=None, help="tenants for the scaling step (default 10,000)")
    args = parser.parse_args()
    plan = FULL if args.full else SMOKE if args.smoke else QUICK
    if args.tenants:
        plan.tenants = args.tenants
    url = args.database_url
    if not url.startswith("postgresql+asyncpg://"):
        parser.error("the benchmark runs on PostgreSQL: --database-url postgresql+asyncpg://…")
    if shutil.which("pgbench") is None:
        parser.error("pgbench is not on PATH")
    command = "python bench/run.py " + " ".join(a for a in sys.argv[1:])
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    results = Results()
    if args.plugins is not None:
        from qudao.core.plugins.host import PluginHost, set_host

        host = PluginHost()
        host.load_entry_points(only={n for n in args.plugins.split(",") if n})
        set_host(host)
    from qudao.core.db.migrate import upgrade_all
    from qudao.core.plugins.host import get_host

    plugin_names = list(get_host().names)
    log(f"plugins: {', '.join(plugin_names) or 'none'}")
    log(f"(re)creating {make_url(url).database} and migrating")
    pg_version = asyncio.run(recreate_database(url))
    upgrade_all(url, APP_ROLE)
    machine = machine_info(pg_version)
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-"))
    server = Server(url, workdir, args.plugins, args.redis_url)
    # NullPool: the steps below run in separate event loops (asyncio.run), so no pooled connections
    owner_engine = create_async_engine(url, poolclass=NullPool)
    try:
        with running(server):
            server.start()
            idle = server.rss()
            log("tenants via the signup API, bulk data via Core inserts")
            price = signup(server.base, "bench-price")
            orders = signup(server.base, "bench-orders")
            probe_buyer = setup_probe(owner_engine, server, others=7)  # 10 tenants so far
            t0 = time.perf_counter()
            counts = asyncio.run(seed_pricing_tenant(owner_engine, asyncio.run(tenant_id(owner_engine, price.slug)),
                                                     plan))
            skus = asyncio.run(seed_order_tenant(owner_engine, asyncio.run(tenant_id(owner_engine, orders.slug)),
                                                 plan))
            asyncio.run(analyze(owner_engine))
            results.sections["_pricing_data"] = [
                f"{counts['tier_prices']:,} tier prices + {counts['customer_prices']:,} customer prices, "
                f"{counts['stock']:,} stock rows; bulk-loaded in {time.perf_counter() - t0:.0f} s"]
            price.put("/customers/C00000", {"name": "Customer 0", "tier": "T0", "warehouse": "WH"})
            price_buyer = make_buyer(price, "C00000")
            buyers = [make_buyer(orders, f"B{i:03d}") for i in range(plan.buyers)]

            log("(b) pricing a catalog page, in-process")
            asyncio.run(bench_pricing(url, price.slug, plan, results))

            log("(c) ordering under load")
            bench_ordering(server, buyers, skus, plan, results)
            log("(c) storefront catalog")
            bench_catalog(server, price_buyer, plan, results)
            after = server.rss()
            results.add("memory", f"- idle, right after start: **{idle['VmRSS']:.0f} MiB** RSS")
            results.add("memory", f"- after the load and catalog runs: **{after['VmRSS']:.0f} MiB** RSS "
                                  f"(peak {after['VmHWM']:.0f} MiB)")
            server.stop()

            log("(d) pgbench")
            run_pgbench(url, plan, results)

            bench_tenant_scaling(server, probe_buyer, owner_engine, plugin_names, plan, results)
    finally:
        server.stop()
        asyncio.run(owner_engine.dispose())
    results.notes.append(f"plugins loaded in the server: {', '.join(plugin_names) or 'none'}")
    results.notes.append("job broker: " + ("Redis" if args.redis_url else "in-process (no jobs are sent when an "
                                                                          "order is placed by core alone)"))
    results.notes.append(f"server logs: {workdir}")
    results.notes.append("load average at the end (1/5/15 min): " + " / ".join(f"{x:.2f}" for x in os.getloadavg())
                         + f" on {os.cpu_count()} vCPUs; other work on the machine during the run skews the "
                         "figures (compare with the pgbench TPS of the same run)")
    duration = time.perf_counter() - t_start
    write_results(Path(args.output), command, started, duration, machine, results, plan,
                  "full" if args.full else "smoke" if args.smoke else "quick")
    log(f"wrote {args.output} in {duration / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
