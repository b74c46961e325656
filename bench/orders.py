"""Order placement benchmark alone (issue 16), with pgbench in the same run and an A/B mode.

    python bench/orders.py                       # this tree: 8 and 32 buyers, 10-line orders, 20 s each
    python bench/orders.py --compare main~5      # the same load on BASE and on this tree, interleaved
    python bench/orders.py --workers 2           # serve with 2 web processes (as 2 pods / `qudao serve --workers 2`)
    python bench/orders.py --profile /tmp/p.txt  # py-spy the (single) server process during the 8-buyer load

One tenant with promotions (a threshold discount) and credit (a large limit) on, 1,000 products in
stock, 32 buyer logins. Every figure is printed beside the pgbench read/write TPS of the same run
(ratio) and as CPU ms per operation of the web process(es), of the PostgreSQL backends and of
this client (a fixed amount of work per request: it shows how fast the shared machine is running at
that moment, which drifts; compare rows by it). ``--compare`` checks BASE out with ``git
worktree`` into a temporary folder and serves it through a ``qudao`` package of symlinks put first
on ``PYTHONPATH``; both run on the same database (migrated by this tree), one after the other,
alternating, so the machine's load falls on both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app import Server, make_buyer, remove_trees, signup, trees_to_measure  # noqa: E402 - bench/'s shared modules
from common import (  # noqa: E402
    APP_ROLE,
    ROOT,
    Plan,
    Results,
    analyze,
    ms,
    pct,
    recreate_database,
    run_pgbench,
    tenant_id,
    timed_loop,
)
from seed import seed_order_tenant  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qudao_bench_orders"


class CPU:
    """CPU seconds of a process tree (web workers) and of this database's PostgreSQL backends."""

    def __init__(self, server: Server, url: str) -> None:
        self.server, self.url = server, url

    def web(self) -> float:
        assert self.server.proc is not None
        root = psutil.Process(self.server.proc.pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def postgres(self) -> dict[int, float]:
        async def pids() -> list[int]:
            engine = create_async_engine(self.url, poolclass=NullPool)
            try:
                async with engine.connect() as conn:
                    return list((await conn.execute(text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"))).scalars())
            finally:
                await engine.dispose()

        out = {}
        for pid in asyncio.run(pids()):
            with contextlib.suppress(psutil.Error):
                t = psutil.Process(pid).cpu_times()
                out[pid] = t.user + t.system
        return out


def backend_cpu(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU the backends alive at the end used meanwhile (one that closed during the load is missed)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def order_body(skus: list[str], rnd: random.Random, lines: int) -> dict[str, Any]:
    return {"lines": [{"sku": s, "qty": rnd.randint(1, 3)} for s in rnd.sample(skus, lines)]}


def statement_list(server: Server, buyer: Any, skus: list[str]) -> tuple[int, list[str]]:
    rnd = random.Random(1)
    with httpx.Client(timeout=60) as client:
        client.post(buyer.url("/orders"), json=order_body(skus, rnd, 10),
                    headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex})  # warm caches
        httpx.get(f"{server.base}/__bench/sql?log=1", timeout=10)  # start recording
        resp = client.post(buyer.url("/orders"), json=order_body(skus, rnd, 10),
                           headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex})
        assert resp.status_code == 201, resp.text[:300]
        log = httpx.get(f"{server.base}/__bench/sql?log=0", timeout=10).json().get("log", [])
    return len(log), log


def counts_by_lines(server: Server, buyer: Any, skus: list[str]) -> dict[int, int]:
    rnd = random.Random(2)
    out = {}
    with httpx.Client(timeout=60) as client:
        for lines in (1, 10, 50):
            seen = []
            for _ in range(3):
                before = server.statements()
                resp = client.post(buyer.url("/orders"), json=order_body(skus, rnd, lines),
                                   headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex})
                assert resp.status_code == 201, resp.text[:300]
                seen.append(server.statements() - before)
            out[lines] = min(seen)
    return out


def quote_200(server: Server, buyer: Any, skus: list[str], samples: int) -> dict[str, float]:
    body = order_body(skus, random.Random(3), 200)
    times = []
    with httpx.Client(timeout=60) as client:
        client.post(buyer.url("/cart/quote"), json=body, headers=buyer.headers)
        before = server.statements()
        for _ in range(samples):
            t0 = time.perf_counter()
            resp = client.post(buyer.url("/cart/quote"), json=body, headers=buyer.headers)
            times.append(time.perf_counter() - t0)
            assert resp.status_code == 200 and not resp.json()["violations"], resp.text[:300]
        sql = (server.statements() - before) / samples
    return {"p50": pct(times, 50), "p99": pct(times, 99), "sql": sql}


def load(server: Server, url: str, buyers: list[Any], skus: list[str], concurrency: int, seconds: float,
         profile: str | None = None) -> dict[str, float]:
    cpu = CPU(server, url)
    bodies = [random.Random(100 + n) for n in range(concurrency)]

    async def place(client: httpx.AsyncClient, n: int) -> Any:
        who = buyers[n % len(buyers)]
        return await client.post(who.url("/orders"), json=order_body(skus, bodies[n], 10),
                                 headers={**who.headers, "Idempotency-Key": uuid.uuid4().hex})

    spy = None
    if profile:
        assert server.proc is not None
        spy = subprocess.Popen([shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(server.proc.pid), "-d", str(int(seconds)), "-r", "200",
                                "-f", "raw", "-o", profile, "--nonblocking"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    web0, pg0 = cpu.web(), cpu.postgres()
    client0 = time.process_time()
    latencies, statuses, elapsed = asyncio.run(timed_loop(concurrency, seconds, place))
    client1 = time.process_time()
    web1, pg1 = cpu.web(), cpu.postgres()
    if spy is not None:
        spy.wait(timeout=seconds + 60)
    placed = statuses.get(201, 0)
    return {"placed": placed, "ops": placed / elapsed, "p50": pct(latencies, 50), "p99": pct(latencies, 99),
            "errors": sum(v for k, v in statuses.items() if k != 201),
            "web_cpu_ms": (web1 - web0) * 1000 / max(1, placed), "pg_cpu_ms": backend_cpu(pg0, pg1) * 1000 / max(1, placed),
            "client_cpu_ms": (client1 - client0) * 1000 / max(1, placed),
            "rss": sum_rss(server)}


def sum_rss(server: Server) -> float:
    assert server.proc is not None
    root = psutil.Process(server.proc.pid)
    procs = [root, *root.children(recursive=True)]
    # the launcher of --workers N only supervises; report the largest web process
    return max(p.memory_info().rss for p in procs) / 2**20


def setup_plugins(api: Any, buyers: int) -> list[str]:
    """Promotions and credit on (and rebates, where that plugin is installed); returns what is on."""
    installed = {p["name"] for p in httpx.get(api.url("/plugins"), headers=api.headers, timeout=60).json()}
    on = [name for name in ("promotions", "credit", "rebates") if name in installed]
    for name in on:
        api.put(f"/plugins/{name}", {"enabled": True})
    api.put("/promotions/TH100", {"kind": "threshold_amount_off", "threshold": "100.00", "amount": "5.00"})
    for i in range(buyers):
        api.put(f"/credit/B{i:03d}", {"limit": "100000000.00"})
    return on


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("QUDAO_BENCH_ORDERS_URL", DEFAULT_URL))
    parser.add_argument("--compare", metavar="BASE", help="also measure this commit, interleaved with this tree")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="alternations of base and this tree (with --compare)")
    parser.add_argument("--concurrency", default="8,32")
    parser.add_argument("--workers", type=int, default=1, help="web processes per server")
    parser.add_argument("--pgbench-seconds", type=int, default=20,
                        help="pgbench read/write after the loads (at least 1: every figure is a ratio to it)")
    parser.add_argument("--profile", default=None, help="py-spy raw output of the 8-buyer load (this tree)")
    parser.add_argument("--list", action="store_true", help="print the statements of one 10-line order")
    parser.add_argument("--plugins", default="promotions,credit,rebates",
                        help="plugins loaded in the servers (default: %(default)s; both trees must have them)")
    args = parser.parse_args()
    if args.pgbench_seconds < 1:
        parser.error("--pgbench-seconds must be at least 1: every figure is reported as a ratio to pgbench")
    url = args.database_url
    workdir = Path(tempfile.mkdtemp(prefix="qudao-orders-"))
    from qudao.core.db.migrate import upgrade_all

    print(f"(re)creating {make_url(url).database}", flush=True)
    asyncio.run(recreate_database(url))
    upgrade_all(url, APP_ROLE)
    trees, cleanup = trees_to_measure(args.compare, workdir)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    servers = {label: Server(url, workdir, args.plugins, None) for label, _ in trees}
    port = next(iter(servers.values())).port  # one at a time, on one port: the API objects stay valid
    for i, ((_label, path), server) in enumerate(zip(trees, servers.values(), strict=True)):
        server.pythonpath, server.workers, server.port, server.starts = path, args.workers, port, 100 * i
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in trees}
    levels = [int(c) for c in args.concurrency.split(",")]
    try:
        first = servers[trees[-1][0]]
        first.start()
        orders = signup(first.base, "bench-orders")
        skus = asyncio.run(seed_order_tenant(create_async_engine(url, poolclass=NullPool),
                                             asyncio.run(tenant_id(create_async_engine(url, poolclass=NullPool),
                                                                   orders.slug)), Plan()))
        buyers = [make_buyer(orders, f"B{i:03d}") for i in range(32)]
        plugins_on = setup_plugins(orders, 32)
        first.stop()
        for rnd in range(args.rounds):
            for label, _ in (trees if rnd % 2 == 0 else trees[::-1]):
                server = servers[label]
                # statistics as autovacuum keeps them on a production server (off on this machine):
                # without them the planner walks every product of the tenant for 10 SKUs
                asyncio.run(analyze(create_async_engine(url, poolclass=NullPool)))
                server.start()
                try:
                    row: dict[str, Any] = {"label": label}
                    n, stmts = statement_list(server, buyers[0], skus)
                    row["sql_list"] = stmts
                    row["sql_by_lines"] = counts_by_lines(server, buyers[0], skus) if args.workers == 1 else {}
                    row["quote"] = quote_200(server, buyers[1], skus, 30)
                    for c in levels:
                        prof = args.profile if (args.profile and label == "this tree" and c == levels[0]) else None
                        row[c] = load(server, url, buyers, skus, c, args.seconds, prof)
                        print(f"  {label} c={c}: {row[c]}", flush=True)
                    results[label].append(row)
                finally:
                    server.stop()
        res = Results()
        run_pgbench(url, Plan(pgbench_seconds=args.pgbench_seconds), res)
        tps = float(res.sections["_tps"][0])
    finally:
        remove_trees(cleanup)
    print(report(results, levels, tps, res, head, args, plugins_on))
    return 0


def report(results: dict[str, list[dict[str, Any]]], levels: list[int], tps: float, res: Any, head: str,
           args: Any, plugins_on: list[str]) -> str:
    out = [f"pgbench read/write TPS (same run, `-c 8 -j 2 -T {args.pgbench_seconds}`): {tps:.0f}; "
           f"load average now {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; workers {args.workers}; "
           f"HEAD {head}; plugins on: {', '.join(plugins_on)}; {args.seconds:.0f} s per load", "",
           "| code | buyers | orders/s | ratio to pgbench | p50 ms | p99 ms | web CPU ms/order | "
           "PostgreSQL CPU ms/order | client CPU ms/order | errors | SQL/order (1/10/50 lines) | "
           "200-line quote p50/p99 ms | RSS MiB |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, rows in results.items():
        for row in rows:
            by = row["sql_by_lines"]
            sql = "/".join(str(by[k]) for k in (1, 10, 50)) if by else f"{len(row['sql_list'])} (10 lines)"
            q = row["quote"]
            for c in levels:
                r = row[c]
                out.append(f"| {label} | {c} | {r['ops']:.1f} | {r['ops'] / tps:.3f} | {ms(r['p50'])} | "
                           f"{ms(r['p99'])} | {r['web_cpu_ms']:.1f} | {r['pg_cpu_ms']:.1f} | {r['client_cpu_ms']:.1f} | "
                           f"{r['errors']} | {sql} | "
                           f"{ms(q['p50'])} / {ms(q['p99'])} | {r['rss']:.0f} |")
    if args.list:
        for label, rows in results.items():
            out += ["", f"Statements of one 10-line order ({label}):", ""]
            out += [f"{i}. `{s}`" for i, s in enumerate(rows[-1]["sql_list"], 1)]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
