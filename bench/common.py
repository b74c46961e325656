"""What every benchmark script shares: the run's plan and results, percentiles, the machine's
description, the benchmark databases (recreate, bulk-load, ``VACUUM ANALYZE``, drop), pgbench for
the TPS the figures are read against, and the bounded concurrent load loop.

The app under test (its server and API) is in ``bench/app.py``; the scripts (``run.py``,
``orders.py``, ``catalog.py``) import from both, with ``bench/`` first on ``sys.path``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PASSWORD = "bench-password-123"
APP_ROLE = "qudao_app"



@dataclass
class Plan:
    """Data sizes and timed-phase lengths of one run (``QUICK``, ``SMOKE``, ``FULL``)."""

    skus: int = 100_000
    customers: int = 10_000
    price_rows: int = 50_000
    order_products: int = 1_000
    buyers: int = 32
    concurrency: tuple[int, ...] = (8, 32)
    load_seconds: float = 20
    catalog_seconds: float = 10
    catalog_concurrency: int = 8
    pgbench_seconds: int = 20
    pgbench_scale: int = 10
    tenants: int = 10_000
    probe_requests: int = 300
    samples: int = 30


QUICK = Plan()
SMOKE = Plan(skus=2_000, customers=200, price_rows=1_000, order_products=200, buyers=8, concurrency=(2, 4),
             load_seconds=3, catalog_seconds=2, pgbench_seconds=2, pgbench_scale=1, tenants=60, probe_requests=30,
             samples=3)
FULL = Plan(load_seconds=60, catalog_seconds=30, pgbench_seconds=60, probe_requests=1000, samples=100)


@dataclass
class Results:
    """Table rows by section of RESULTS.md (sections named ``_x`` are figures, not printed as rows)."""

    sections: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, line: str) -> None:
        self.sections.setdefault(section, []).append(line)
        print(f"  [{section}] {line}", flush=True)


def log(msg: str) -> None:
    print(f"{datetime.now():%H:%M:%S} {msg}", flush=True)


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# --- machine -------------------------------------------------------------------------


def machine_info(pg_version: str) -> list[str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return [
        f"| CPU | {cpu} |",
        f"| vCPUs (nproc) | {os.cpu_count()} |",
        f"| memory | {mem} |",
        f"| OS | {platform.platform()} |",
        f"| PostgreSQL | {pg_version} |",
        f"| Python | {platform.python_version()} |",
        f"| commit | {commit}{' (with uncommitted changes)' if dirty else ''} |",
        f"| load average at start (1/5/15 min) | {' / '.join(f'{x:.2f}' for x in os.getloadavg())} |",
    ]


# --- databases -----------------------------------------------------------------------


def admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def sibling_url(url: str, suffix: str) -> str:
    """The URL of the database ``<url's database><suffix>`` on the same server."""
    u = make_url(url)
    return u.set(database=f"{u.database}{suffix}").render_as_string(hide_password=False)


async def on_server(url: str, *statements: str) -> Any:
    """Run ``statements`` on the server's ``postgres`` database, outside a transaction (CREATE and
    DROP DATABASE need that); returns the last one's first value, if it returns rows."""
    engine = create_async_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
            return result.scalar() if result.returns_rows else None
    finally:
        await engine.dispose()


def database_name(url: str) -> str:
    name = make_url(url).database
    assert name and re.fullmatch(r"[a-z0-9_]+", name), f"refusing an odd database name: {name!r}"
    return name


async def recreate_database(url: str) -> str:
    name = database_name(url)
    version = await on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"',
                              "SHOW server_version")
    return f"PostgreSQL {version}"


async def drop_database(url: str) -> None:
    await on_server(url, f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def tables() -> dict[str, Any]:
    import qudao.core.models  # noqa: F401 - registers every core model
    from qudao.core.db.base import Base

    return Base.metadata.tables


async def bulk(engine: AsyncEngine, table: str, rows: list[dict[str, Any]], chunk: int = 5_000) -> None:
    t = tables()[table]
    async with engine.begin() as conn:
        for i in range(0, len(rows), chunk):
            await conn.execute(insert(t), rows[i:i + chunk])


async def tenant_id(engine: AsyncEngine, slug: str) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug})).scalar_one()


async def analyze(engine: AsyncEngine) -> None:
    """``VACUUM ANALYZE`` after the bulk load: what autovacuum does soon after on a production server
    (statistics, and the visibility map that lets index-only scans skip the heap); this machine's
    PostgreSQL runs with ``autovacuum = off``, so the bench does it itself."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


# --- pgbench ------------------------------------------------------------------------------


def run_pgbench(url: str, plan: Plan, results: Results) -> None:
    """pgbench read/write and read-only on ``<database>_pgbench`` (recreated, dropped after): the
    TPS every figure of the run is read against (section ``_tps``)."""
    u = make_url(url)
    name, pg_url = f"{u.database}_pgbench", sibling_url(url, "_pgbench")
    asyncio.run(recreate_database(pg_url))
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = u.password
    conn = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    init = ["pgbench", *conn, "-i", "-q", "-s", str(plan.pgbench_scale), name]
    subprocess.run(init, env=env, check=True, capture_output=True)
    runs = [("read/write (TPC-B-like)", []), ("read-only (-S)", ["-S"])]
    for label, extra in runs:
        cmd = ["pgbench", *conn, "-c", "8", "-j", "2", "-T", str(plan.pgbench_seconds), *extra, name]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
        lat = re.search(r"latency average = ([\d.]+) ms", out)
        results.add("pgbench", f"| {label} | `{' '.join(cmd[:1] + cmd[len(conn) + 1:])}` | "
                               f"{float(tps.group(1)) if tps else 'n/a'} | {lat.group(1) if lat else 'n/a'} |")
        results.sections.setdefault("_tps", []).append(tps.group(1) if tps else "0")
    asyncio.run(drop_database(pg_url))


# --- load ---------------------------------------------------------------------------------


async def timed_loop(concurrency: int, seconds: float, make_request: Callable[[httpx.AsyncClient, int], Any]
                     ) -> tuple[list[float], dict[int, int], float]:
    """``concurrency`` workers send ``make_request(client, n)`` back to back for ``seconds``;
    returns every latency, the count of each status (0: no answer) and the elapsed seconds."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        stop_at = time.perf_counter() + seconds
        began = time.perf_counter()

        async def worker(n: int) -> None:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                try:
                    resp = await make_request(client, n)
                    code = resp.status_code
                except httpx.HTTPError:
                    code = 0
                latencies.append(time.perf_counter() - t0)
                statuses[code] = statuses.get(code, 0) + 1

        await asyncio.gather(*(worker(n) for n in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed
