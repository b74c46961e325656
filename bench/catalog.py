"""The storefront catalog benchmark alone (the "Storefront catalog page" section of bench/run.py).

    python bench/catalog.py                 # recreate qudao_bench_catalog, seed 100,000 SKUs, measure
    python bench/catalog.py --reuse         # keep the seeded database from a previous run, measure again
    python bench/catalog.py --reuse --explain   # also time one page's statements, EXPLAIN ANALYZE its queries
    python bench/catalog.py --reuse --profile /tmp/catalog.txt   # py-spy the server during the load
    python bench/catalog.py --reuse --compare main --pgbench-seconds 15   # BASE, then this tree, pgbench after

Same data as bench/run.py's pricing tenant (``seed_pricing_tenant``: 100,000 SKUs, 10,000 customers,
50,000 price rows, 100,000 stock rows), the same server (bench/server.py, RLS on through the app role)
and the same load (``bench_catalog``: SQL statements per page, then 8 concurrent buyers reading
``GET /products?limit=50`` at random offsets for a bounded time). Prints the result table rows,
the CPU per page of the server, of the PostgreSQL backends of this database and of the client, and
sequential (unqueued) page latencies. The server and py-spy stop by themselves; the database stays
for inspection (recreated on the next run without --reuse).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app import API, Server, make_buyer, remove_trees, running, signup, trees_to_measure  # noqa: E402 - bench/'s shared modules
from common import (  # noqa: E402
    APP_ROLE,
    ROOT,
    Plan,
    Results,
    analyze,
    database_name,
    log,
    ms,
    on_server,
    pct,
    recreate_database,
    run_pgbench,
    tenant_id,
)
from load import bench_catalog  # noqa: E402
from pricing import buyer_context  # noqa: E402
from seed import seed_pricing_tenant  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qudao_bench_catalog"
SLUG = "bench-price"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to ``database`` (by its process title), so
    other work on the same server (e.g. a test suite) is not counted."""
    out: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if title.startswith("postgres: ") and f" {database} " in title:
                    out[int(entry.name)] = cpu_seconds(int(entry.name))
            except OSError:
                continue
    return out


def backend_cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def sequential(buyer: API, n: int, skus: int) -> list[float]:
    """``n`` single requests one after the other (random offsets): latency without queueing."""
    import random

    import httpx

    rnd = random.Random(9)
    times = []
    with httpx.Client(timeout=60) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            resp = client.get(buyer.url(f"/products?limit=50&offset={rnd.randrange(0, skus - 50)}"),
                              headers=buyer.headers)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200 and len(resp.json()["items"]) == 50, resp.text[:300]
    return times


async def database_exists(url: str) -> bool:
    name = database_name(url)  # [a-z0-9_] only, so it can stand in the statement
    return bool(await on_server(url, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))  # noqa: S608


async def explain(url: str, offset: int) -> None:
    """Time one catalog page's statements and EXPLAIN ANALYZE those reading products, as the app
    runs them (app role, RLS on, tenant bound, the buyer C00000)."""
    from sqlalchemy import event

    from qudao.core.db.session import Database
    from qudao.web.api.catalog import catalog_page

    db = Database(url, APP_ROLE)
    plans: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if "products" in statement and statement.lstrip().upper().startswith("SELECT"):
            plans.append((statement, parameters))

    try:
        async with db.sessions() as session:
            ctx = await buyer_context(session, SLUG, "C00000")
            for warm in (1000, 2000):  # warm caches (compiled statements, plugin states)
                await catalog_page(ctx, None, None, 50, warm)
            timings: list[tuple[float, str]] = []

            def before(_c: Any, _cur: Any, statement: str, *_rest: Any) -> None:
                timings.append((time.perf_counter(), statement))

            def after(*_a: Any) -> None:
                t0, statement = timings[-1]
                timings[-1] = (time.perf_counter() - t0, statement)

            event.listen(db.engine.sync_engine, "before_cursor_execute", before)
            event.listen(db.engine.sync_engine, "after_cursor_execute", after)
            event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
            try:
                t0 = time.perf_counter()
                await catalog_page(ctx, None, None, 50, offset)
                took = time.perf_counter() - t0
            finally:
                event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
                event.remove(db.engine.sync_engine, "before_cursor_execute", before)
                event.remove(db.engine.sync_engine, "after_cursor_execute", after)
            print(f"catalog_page(limit=50, offset={offset}): {took * 1000:.1f} ms, {len(timings)} statements, "
                  f"{sum(t for t, _ in timings) * 1000:.1f} ms of it in the database driver")
            for t, statement in timings:
                print(f"  {t * 1000:6.1f} ms  {' '.join(statement.split())[:110]}")
            conn = await session.connection()
            for stmt, params in plans:
                print("\n--- " + " ".join(stmt.split())[:400])
                rows = (await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params)).all()
                print("\n".join(r[0] for r in rows))
    finally:
        await db.dispose()


def measure(server: Server, buyer: API, url: str, plan: Plan, seconds_sequential: int,
            profile: str | None) -> dict[str, Any]:
    """The load phase (statements per page, 8 concurrent buyers) with the CPU it cost the server,
    this database's PostgreSQL backends and the client, then sequential page latencies."""
    results = Results()
    spy = None
    if profile:
        assert server.proc is not None
        spy = subprocess.Popen([shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")), "record",
                                "--pid", str(server.proc.pid), "--rate", "200",
                                "--duration", str(int(plan.catalog_seconds) + 2), "--format", "raw",
                                "--output", profile, "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    assert server.proc is not None
    dbname = make_url(url).database or ""
    cpu0 = cpu_seconds(server.proc.pid), backend_cpu_seconds(dbname), os.times()
    try:
        bench_catalog(server, buyer, plan, results)
    finally:
        if spy is not None:
            spy.wait(timeout=plan.catalog_seconds + 30)
    cpu1 = cpu_seconds(server.proc.pid), backend_cpu_seconds(dbname), os.times()
    load = results.sections["catalog_load"][0].split("|")
    pages = 3 + int(load[2])
    client = (cpu1[2].user + cpu1[2].system) - (cpu0[2].user + cpu0[2].system)
    times = sequential(buyer, seconds_sequential, plan.skus)
    return {"results": results, "pages_per_s": float(load[3]), "p50": load[4].strip(), "p99": load[5].strip(),
            "errors": load[6].strip(), "sql": [r.split("|")[2].strip() for r in results.sections["catalog"][2:]],
            "server_ms": (cpu1[0] - cpu0[0]) / pages * 1000,
            "pg_ms": backend_cpu_delta(cpu0[1], cpu1[1]) / pages * 1000, "client_ms": client / pages * 1000,
            "seq_p50": ms(pct(times, 50)), "seq_p99": ms(pct(times, 99)), "seq_n": len(times)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("QUDAO_BENCH_CATALOG_URL", DEFAULT_URL))
    parser.add_argument("--reuse", action="store_true", help="reuse the seeded database if it exists")
    parser.add_argument("--seconds", type=float, default=10, help="timed phase length (default 10 s)")
    parser.add_argument("--plugins", default=None, help="comma-separated plugins to load (default: all)")
    parser.add_argument("--compare", metavar="BASE", help="also measure this commit (first), on the same data")
    parser.add_argument("--pgbench-seconds", type=int, default=0,
                        help="run pgbench read/write for this long after the loads (0: skip)")
    parser.add_argument("--explain", action="store_true", help="time and EXPLAIN ANALYZE one page's SQL")
    parser.add_argument("--explain-offset", type=int, default=50_000, help="its offset (default 50,000)")
    parser.add_argument("--sequential", type=int, default=50, help="sequential requests after the load (50)")
    parser.add_argument("--profile", metavar="FILE", default=None,
                        help="record the server with py-spy (not a dependency: pip install py-spy) during the timed "
                             "phase (collapsed stacks to FILE)")
    args = parser.parse_args()
    url = args.database_url
    plan = Plan(catalog_seconds=args.seconds, pgbench_seconds=args.pgbench_seconds)
    if args.plugins is not None:
        from qudao.core.plugins.host import PluginHost, set_host

        host = PluginHost()
        host.load_entry_points(only={n for n in args.plugins.split(",") if n})
        set_host(host)
    from qudao.core.db.migrate import upgrade_all

    reuse = args.reuse and asyncio.run(database_exists(url))
    if not reuse:
        log(f"(re)creating {make_url(url).database} and migrating")
        asyncio.run(recreate_database(url))
    upgrade_all(url, APP_ROLE)  # idempotent; picks up new revisions on a reused database
    workdir = Path(tempfile.mkdtemp(prefix="qudao-bench-catalog-"))
    trees, cleanup = trees_to_measure(args.compare, workdir)
    server = Server(url, workdir, args.plugins, None)
    owner_engine = create_async_engine(url, poolclass=NullPool)
    rows: dict[str, dict[str, Any]] = {}
    try:
        with running(server):
            server.start()
            if reuse:
                owner = API(server.base, SLUG, "").login(f"owner@{SLUG}.bench")
                buyer = owner.login(f"c00000@{SLUG}.bench")
            else:
                owner = signup(server.base, SLUG)
                t0 = time.perf_counter()
                tid = asyncio.run(tenant_id(owner_engine, SLUG))
                counts = asyncio.run(seed_pricing_tenant(owner_engine, tid, plan))
                log(f"seeded {counts} in {time.perf_counter() - t0:.0f} s")
                owner.put("/customers/C00000", {"name": "Customer 0", "tier": "T0", "warehouse": "WH"})
                buyer = make_buyer(owner, "C00000")
            asyncio.run(analyze(owner_engine))
            if args.explain:
                asyncio.run(explain(url, args.explain_offset))
            for label, path in trees:
                server.stop()
                server.pythonpath = path
                server.start()
                log(f"storefront catalog: {label}")
                rows[label] = measure(server, buyer, url, plan, args.sequential,
                                      args.profile if label == "this tree" else None)
                r = rows[label]
                for section in ("catalog", "catalog_load"):
                    for line in r["results"].sections[section]:
                        print(f"  [{section}] {line}")
                print(f"CPU per page, load phase: server {r['server_ms']:.1f} ms, PostgreSQL backends "
                      f"{r['pg_ms']:.1f} ms, client {r['client_ms']:.1f} ms")
                print(f"sequential GET /products?limit=50 at random offsets, n={r['seq_n']}: "
                      f"p50 {r['seq_p50']} ms, p99 {r['seq_p99']} ms", flush=True)
    finally:
        server.stop()
        asyncio.run(owner_engine.dispose())
        remove_trees(cleanup)
    tps = None
    if args.pgbench_seconds:
        pg = Results()
        run_pgbench(url, plan, pg)
        tps = float(pg.sections["_tps"][0])
    print(report(rows, tps, args))
    print(f"load average now: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; server logs: {workdir}")
    return 0


def report(rows: dict[str, dict[str, Any]], tps: float | None, args: Any) -> str:
    """The Markdown table for RESULTS.md: one row per tree, pages/s beside pgbench of the same run."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    out = ["", f"HEAD {head}; pgbench read/write TPS (same run, `-c 8 -j 2 -T {args.pgbench_seconds}`): "
               f"{f'{tps:.0f}' if tps else 'not run'}; {args.seconds:.0f} s load, 8 concurrent buyers", "",
           "| code | SQL/page (10/50/200) | pages/s (8 buyers) | ratio to pgbench | p50 / p99 ms (8 buyers) | "
           "server CPU ms/page | PostgreSQL CPU ms/page | sequential p50 / p99 ms | errors |",
           "|---|---|---|---|---|---|---|---|---|"]
    for label, r in rows.items():
        ratio = f"{r['pages_per_s'] / tps:.3f}" if tps else "n/a"
        out.append(f"| {label} | {'/'.join(r['sql'])} | {r['pages_per_s']:.1f} | {ratio} | {r['p50']} / {r['p99']} | "
                   f"{r['server_ms']:.1f} | {r['pg_ms']:.1f} | {r['seq_p50']} / {r['seq_p99']} | {r['errors']} |")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
