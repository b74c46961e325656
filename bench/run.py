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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qudao_bench"
PASSWORD = "bench-password-123"
APP_ROLE = "qudao_app"


@dataclass
class Plan:
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


async def recreate_database(url: str) -> str:
    name = make_url(url).database
    assert name and re.fullmatch(r"[a-z0-9_]+", name), f"refusing an odd database name: {name!r}"
    engine = create_async_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
            version = (await conn.execute(text("SHOW server_version"))).scalar_one()
    finally:
        await engine.dispose()
    return f"PostgreSQL {version}"


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


# --- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``bench/server.py`` in a subprocess on 127.0.0.1; always stopped by ``stop()``."""

    def __init__(self, url: str, workdir: Path, plugins: str | None, redis_url: str | None) -> None:
        self.url, self.workdir, self.plugins, self.redis_url = url, workdir, plugins, redis_url
        self.secret = secrets.token_urlsafe(32)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = free_port()  # kept across restarts, so API objects stay valid
        self.starts = 0
        self.pythonpath: str | None = None  # a folder with another tree's ``qudao`` package (bench/orders.py)
        self.workers = 1

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Start and wait for /healthz; returns the seconds it took to become ready."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUDAO_")}
        env.update({"QUDAO_DATABASE_URL": self.url, "QUDAO_SECRET_KEY": self.secret, "QUDAO_COUNT_SQL": "1",
                    "QUDAO_VAR_DIR": str(self.workdir / "var"), "QUDAO_LOG_JSON": "1",
                    "QUDAO_LOG_LEVEL": "WARNING", "QUDAO_DB_APP_ROLE": APP_ROLE,
                    "PYTHONPATH": os.pathsep.join([*([self.pythonpath] if self.pythonpath else []), str(ROOT),
                                                   env.get("PYTHONPATH", "")])})
        if self.plugins is not None:
            env["QUDAO_BENCH_PLUGINS"] = self.plugins
        if self.redis_url:
            env["QUDAO_REDIS_URL"] = self.redis_url
        self.starts += 1
        self.log = (self.workdir / f"server-{self.starts}.log").open("wb")
        began = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, str(HERE / "server.py"), "--port", str(self.port),
                                      "--workers", str(self.workers)],
                                     cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}; see {self.log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return time.perf_counter() - began
            if time.monotonic() > deadline:
                raise RuntimeError("server did not become ready in 120 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
        self.proc = None

    def rss(self) -> dict[str, float]:
        """VmRSS and VmHWM (peak) of the server process, in MiB."""
        out: dict[str, float] = {}
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(line.split()[1]) / 1024
        return out

    def statements(self) -> int:
        return httpx.get(f"{self.base}/__bench/sql", timeout=10).json()["statements"]


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


# --- API helpers ---------------------------------------------------------------------


class API:
    def __init__(self, base: str, slug: str, token: str) -> None:
        self.base, self.slug, self.token = base, slug, token

    def url(self, path: str) -> str:
        return f"{self.base}/t/{self.slug}/api/v1{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def put(self, path: str, body: dict[str, Any]) -> Any:
        resp = httpx.put(self.url(path), json=body, headers=self.headers, timeout=60)
        assert resp.status_code in (200, 201), f"PUT {path}: {resp.status_code} {resp.text[:300]}"
        return resp.json()

    def login(self, email: str) -> API:
        resp = httpx.post(self.url("/auth/token"), json={"email": email, "password": PASSWORD}, timeout=60)
        assert resp.status_code == 200, resp.text
        return API(self.base, self.slug, resp.json()["token"])


def signup(base: str, slug: str) -> API:
    resp = httpx.post(f"{base}/api/v1/signup", json={"name": f"Bench {slug}", "slug": slug,
                                                     "admin_email": f"owner@{slug}.bench", "admin_password": PASSWORD},
                      timeout=60)
    assert resp.status_code == 201, resp.text
    return API(base, slug, resp.json()["token"])


def make_buyer(owner: API, code: str) -> API:
    email = f"{code.lower()}@{owner.slug}.bench"
    owner.put(f"/customers/{code}/users/{email}", {"password": PASSWORD})
    return owner.login(email)


# --- data ----------------------------------------------------------------------------


def product_rows(tid: int, n: int, prefix: str = "P", start: int = 0) -> list[dict[str, Any]]:
    from qudao.core.catalog.search import search_key
    from qudao.core.db.base import new_id, utcnow

    now = utcnow()
    rows = []
    for i in range(start, start + n):
        sku = f"{prefix}{i:06d}"
        name = f"Product {i} {'tea' if i % 3 == 0 else 'rice' if i % 3 == 1 else 'oil'}"
        rows.append({"tenant_id": tid, "id": new_id(), "sku": sku, "name": name,
                     "search_key": search_key(name, sku), "price": Decimal(10 + i % 90) + Decimal("0.50"),
                     "unit": "pcs", "description": "", "tags": [], "images": [], "featured": False, "active": True,
                     "min_qty": 1, "order_multiple": 1, "created_at": now, "updated_at": now})
    return rows


async def seed_pricing_tenant(engine: AsyncEngine, tid: int, plan: Plan) -> dict[str, Any]:
    from qudao.core.db.base import new_id

    rnd = random.Random(3)
    tiers = [{"tenant_id": tid, "id": new_id(), "code": f"T{i}", "name": f"Tier {i}"} for i in range(5)]
    warehouse = {"tenant_id": tid, "id": new_id(), "code": "WH", "name": "Main"}
    products = product_rows(tid, plan.skus)
    customers = [{"tenant_id": tid, "id": new_id(), "code": f"C{i:05d}", "name": f"Customer {i}", "type": "dealer",
                  "tier_id": tiers[i % len(tiers)]["id"], "warehouse_id": warehouse["id"], "groups": [],
                  "contacts": [], "addresses": [], "status": "active"} for i in range(plan.customers)]
    stock = [{"tenant_id": tid, "id": new_id(), "warehouse_id": warehouse["id"], "product_id": p["id"],
              "on_hand": 1_000, "reserved": 0, "in_transit": 0} for p in products]
    # 50,000 price rows: half tier prices (5 tiers x the first 5,000 SKUs), half customer prices,
    # of which the measured customer (C00000, tier T0) has one on every 3rd of the first 10,000 SKUs.
    tier_prices = []
    per_tier = plan.price_rows // 2 // len(tiers)
    for tier in tiers:
        for p in products[:per_tier]:
            tier_prices.append({"tenant_id": tid, "id": new_id(), "tier_id": tier["id"], "product_id": p["id"],
                                "price": p["price"] - Decimal("1.00")})
    customer_prices = []
    seen: set[tuple[int, int]] = set()
    for p in products[: min(len(products), 10_000): 3]:
        seen.add((0, p["id"]))
        customer_prices.append({"tenant_id": tid, "id": new_id(), "customer_id": customers[0]["id"],
                                "product_id": p["id"], "price": p["price"] - Decimal("2.00")})
    while len(customer_prices) + len(tier_prices) < plan.price_rows:
        ci, pi = rnd.randrange(1, len(customers)), rnd.randrange(len(products))
        if (ci, products[pi]["id"]) in seen:
            continue
        seen.add((ci, products[pi]["id"]))
        customer_prices.append({"tenant_id": tid, "id": new_id(), "customer_id": customers[ci]["id"],
                                "product_id": products[pi]["id"], "price": products[pi]["price"] - Decimal("1.50")})
    await bulk(engine, "tiers", tiers)
    await bulk(engine, "warehouses", [warehouse])
    await bulk(engine, "products", products)
    await bulk(engine, "customers", customers)
    await bulk(engine, "stock", stock)
    await bulk(engine, "tier_prices", tier_prices)
    await bulk(engine, "customer_prices", customer_prices)
    return {"products": len(products), "customers": len(customers), "tier_prices": len(tier_prices),
            "customer_prices": len(customer_prices), "stock": len(stock)}


async def seed_order_tenant(engine: AsyncEngine, tid: int, plan: Plan) -> list[str]:
    from qudao.core.db.base import new_id

    warehouse = {"tenant_id": tid, "id": new_id(), "code": "WH", "name": "Main"}
    products = product_rows(tid, plan.order_products, prefix="S")
    customers = [{"tenant_id": tid, "id": new_id(), "code": f"B{i:03d}", "name": f"Buyer {i}", "type": "dealer",
                  "warehouse_id": warehouse["id"], "groups": [], "contacts": [], "addresses": [],
                  "status": "active"} for i in range(plan.buyers)]
    stock = [{"tenant_id": tid, "id": new_id(), "warehouse_id": warehouse["id"], "product_id": p["id"],
              "on_hand": 100_000_000, "reserved": 0, "in_transit": 0} for p in products]
    await bulk(engine, "warehouses", [warehouse])
    await bulk(engine, "products", products)
    await bulk(engine, "customers", customers)
    await bulk(engine, "stock", stock)
    return [p["sku"] for p in products]


async def seed_filler_tenants(engine: AsyncEngine, count: int, products_each: int, plugins: list[str]) -> None:
    """``count`` more tenants, each with an owner, a warehouse, products, stock and plugin rows."""
    from qudao.core.auth.passwords import hash_password
    from qudao.core.db.base import new_id, utcnow
    from qudao.tenants.models import DEFAULT_SETTINGS

    pw = hash_password(PASSWORD)
    now = utcnow()
    batch = 500
    for start in range(0, count, batch):
        tenants, users, warehouses, products, stock, states = [], [], [], [], [], []
        for i in range(start, min(count, start + batch)):
            tid = new_id()
            slug = f"filler-{i:05d}"
            tenants.append({"id": tid, "slug": slug, "name": f"Filler {i}", "currency": "CNY",
                            "timezone": "Asia/Shanghai", "locale": "zh_CN", "status": "active",
                            "settings": DEFAULT_SETTINGS, "created_at": now})
            users.append({"tenant_id": tid, "id": new_id(), "email": f"owner@{slug}.bench", "name": "owner",
                          "password_hash": pw, "kind": "staff", "role": "owner", "active": True,
                          "session_version": 0, "created_at": now})
            wh = new_id()
            warehouses.append({"tenant_id": tid, "id": wh, "code": "WH", "name": "Main"})
            for p in product_rows(tid, products_each, prefix="F"):
                products.append(p)
                stock.append({"tenant_id": tid, "id": new_id(), "warehouse_id": wh, "product_id": p["id"],
                              "on_hand": 100, "reserved": 0, "in_transit": 0})
            for j, name in enumerate(plugins):
                states.append({"tenant_id": tid, "id": new_id(), "name": name, "enabled": (i + j) % 2 == 0,
                               "settings": {}, "updated_at": now})
        await bulk(engine, "tenants", tenants)
        await bulk(engine, "users", users)
        await bulk(engine, "warehouses", warehouses)
        await bulk(engine, "products", products)
        await bulk(engine, "stock", stock)
        if states:
            await bulk(engine, "tenant_plugins", states)


async def seed_probe_tenant(engine: AsyncEngine, tid: int) -> None:
    from qudao.core.db.base import new_id

    wh = new_id()
    products = product_rows(tid, 50, prefix="X")
    await bulk(engine, "warehouses", [{"tenant_id": tid, "id": wh, "code": "WH", "name": "Main"}])
    await bulk(engine, "products", products)
    await bulk(engine, "stock", [{"tenant_id": tid, "id": new_id(), "warehouse_id": wh, "product_id": p["id"],
                                  "on_hand": 10**6, "reserved": 0, "in_transit": 0} for p in products])


async def analyze(engine: AsyncEngine) -> None:
    """``VACUUM ANALYZE`` after the bulk load: what autovacuum does soon after on a production server
    (statistics, and the visibility map that lets index-only scans skip the heap); this machine's
    PostgreSQL runs with ``autovacuum = off``, so the bench does it itself."""
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


# --- (b) pricing, in-process -----------------------------------------------------------


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.n = 0
        self.engine = engine

    def _hit(self, *_a: Any) -> None:
        self.n += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._hit)
        return self

    def __exit__(self, *_exc: Any) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._hit)


async def bench_pricing(url: str, slug: str, plan: Plan, results: Results) -> None:
    from qudao.core.auth.models import User
    from qudao.core.catalog.models import Product
    from qudao.core.customers.models import Customer
    from qudao.core.db.session import Database, bind_tenant
    from qudao.core.plugins.host import get_host
    from qudao.core.pricing.engine import resolve_prices
    from qudao.tenants.models import Tenant
    from qudao.web.api.catalog import catalog_page
    from qudao.web.context import RequestContext, load_plugin_states

    db = Database(url, APP_ROLE)
    host = get_host()
    try:
        async with db.session(None) as s:
            tenant = await s.scalar(select(Tenant).where(Tenant.slug == slug))
        tid = tenant.id
        results.add("pricing", "| page size | price engine ms (median) | price engine SQL | catalog_page ms (median) "
                               "| catalog_page p99 ms | catalog_page SQL | priced by customer/tier/base |")
        results.add("pricing", "|---|---|---|---|---|---|---|")
        rnd = random.Random(5)
        per_tier = max(400, plan.price_rows // 2 // 5)  # the SKUs that have tier prices (see seed_pricing_tenant)
        for size in (10, 50, 200):
            engine_times, page_times, engine_sql, page_sql = [], [], set(), set()
            mix = ""
            for i in range(plan.samples):
                offset = rnd.randrange(0, max(1, (per_tier - size) // size)) * size  # customer+tier+base prices
                async with db.session(tid) as session:
                    customer = await session.scalar(select(Customer).where(Customer.code == "C00000"))
                    products = (await session.scalars(select(Product).where(Product.active.is_(True))
                                                      .order_by(Product.sku).limit(size).offset(offset))).all()
                    with StatementCounter(db.engine) as counter:
                        t0 = time.perf_counter()
                        prices = await resolve_prices(session, products, customer=customer, currency="CNY")
                        engine_times.append(time.perf_counter() - t0)
                    engine_sql.add(counter.n)
                    if i == 0:
                        src = [r.source for r in prices.values() if r]
                        mix = "/".join(str(src.count(k)) for k in ("customer", "tier", "base"))
                async with db.sessions() as session:
                    with StatementCounter(db.engine) as counter:
                        t0 = time.perf_counter()
                        tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
                        await bind_tenant(session, tenant.id)
                        enabled, settings = await load_plugin_states(session, host)
                        ctx = RequestContext(tenant=tenant, session=session, hooks=host.hooks_for(enabled),
                                             plugin_settings=settings)
                        ctx.user = await session.scalar(select(User).where(User.email == "c00000@bench-price.bench"))
                        ctx.customer = await session.scalar(select(Customer).where(Customer.code == "C00000"))
                        page = await catalog_page(ctx, None, None, size, offset)
                        page_times.append(time.perf_counter() - t0)
                    page_sql.add(counter.n)
                    assert len(page["items"]) == size, (size, len(page["items"]))
            results.add("pricing", f"| {size} | {ms(statistics.median(engine_times))} | "
                                   f"{'/'.join(map(str, sorted(engine_sql)))} | {ms(statistics.median(page_times))} | "
                                   f"{ms(pct(page_times, 99))} | {'/'.join(map(str, sorted(page_sql)))} | {mix} |")
    finally:
        await db.dispose()


# --- (c) load through the API ------------------------------------------------------------


async def timed_loop(concurrency: int, seconds: float, make_request: Callable[[httpx.AsyncClient, int], Any]
                     ) -> tuple[list[float], dict[int, int], float]:
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


def order_body(skus: list[str], rnd: random.Random, lines: int) -> dict[str, Any]:
    return {"lines": [{"sku": s, "qty": rnd.randint(1, 3)} for s in rnd.sample(skus, lines)]}


def bench_ordering(server: Server, buyers: list[API], skus: list[str], plan: Plan, results: Results) -> None:
    rnd = random.Random(11)
    # statements per order, sequential, by number of lines
    results.add("sql", "| order lines | SQL statements per order (POST /orders, sequential) |")
    results.add("sql", "|---|---|")
    buyer = buyers[0]
    with httpx.Client(timeout=60) as client:
        for lines in (1, 10, 50):
            counts = []
            for _ in range(5):
                before = server.statements()
                resp = client.post(buyer.url("/orders"), json=order_body(skus, rnd, lines),
                                   headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex})
                assert resp.status_code == 201, resp.text[:300]
                counts.append(server.statements() - before)
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


def run_pgbench(url: str, plan: Plan, results: Results) -> None:
    u = make_url(url)
    name = f"{u.database}_pgbench"
    asyncio.run(recreate_database(u.set(database=name).render_as_string(hide_password=False)))
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
    asyncio.run(drop_database(u.set(database=name).render_as_string(hide_password=False)))


async def drop_database(url: str) -> None:
    name = make_url(url).database
    engine = create_async_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


# --- (e) tenant scaling --------------------------------------------------------------------


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


# --- main ------------------------------------------------------------------------------------


def write_results(path: Path, command: str, started: datetime, duration: float, machine: list[str],
                  results: Results, plan: Plan, mode: str) -> None:
    s = results.sections

    def block(name: str) -> str:
        return "\n".join(s.get(name, ["(not measured)"]))

    ratio_lines = s.get("_ratio", [])
    md = f"""# Benchmark results

Measured on this machine by `{command}` on {started:%Y-%m-%d %H:%M} UTC ({mode}; the run took {duration / 60:.1f} min).
Re-run it to compare; the pgbench figures of the same run give the ratio, so results from
different days or machines can be compared by `orders/s ÷ pgbench TPS`.

## Machine
| | |
|---|---|
{chr(10).join(machine)}

The benchmark client (httpx, asyncio) runs on the same machine as the server and PostgreSQL,
so all three share the vCPUs above; the server is one uvicorn process (one event loop), as one
web pod would be. Statement counts include the two per-transaction statements that bind the
tenant for row-level security (`SET LOCAL ROLE`, `set_config('app.tenant_id', …)`).

## Pricing a catalog page (issue 3)
One tenant with {plan.skus:,} SKUs, {plan.customers:,} customers and {plan.price_rows:,} price rows
({block('_pricing_data')}). One customer (tier T0, with customer prices on every 3rd of the
first 10,000 SKUs) is priced for one page; median of {plan.samples} pages at random offsets.
"Price engine" is `core.pricing.engine.resolve_prices` alone; "catalog_page" is the whole
`web.api.catalog.catalog_page` call as the API runs it (tenant lookup, plugin states, user,
customer, count, page query, stock, prices).

{block('pricing')}

The statement count is the same for 10, 50 and 200 products: it does not grow with the page size.

## Ordering under load (issue 4)
A tenant with {plan.order_products:,} products in stock and {plan.buyers} buyer logins; each concurrent buyer
places 10-line orders (random SKUs, qty 1-3, a fresh `Idempotency-Key` each) through
`POST /t/{{slug}}/api/v1/orders` for {plan.load_seconds:.0f} s. Latency is per request as the client saw it.

{block('load')}

SQL statements per order by the number of lines:

{block('sql')}

| quote | p50 ms | p99 ms | SQL statements |
|---|---|---|---|
{block('quote')}

## Storefront catalog page
SQL statements per `GET /products` page as a buyer of the {plan.skus:,}-SKU tenant:

{block('catalog')}

| load | pages | pages/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
{block('catalog_load')}

## pgbench in the same run
Scale {plan.pgbench_scale}, on its own database, server stopped meanwhile.

| mode | command | TPS | latency avg ms |
|---|---|---|---|
{block('pgbench')}

{chr(10).join(ratio_lines) if ratio_lines else ''}

## Tenant scaling (issue 8)
Two databases side by side: one with 10 tenants, one with {plan.tenants:,} (the benchmark tenants
above plus filler tenants, each with an owner, a warehouse, 20 products with stock and plugin
settings), each with the same probe tenant (50 products, one buyer) and its own server. The two
servers are started one after the other (start-up time: process start to the first 200 from
`/healthz`), then probed with {plan.probe_requests} sequential `GET /products?limit=20` as the probe's
buyer and a 5-line `POST /cart/quote` every third round, **interleaved** request by request
(alternating which goes first) after 20 warm-up rounds, so load from elsewhere on the machine
falls on both alike.

| tenants in the database | server start s | catalog p50 ms | catalog p99 ms | catalog mean ms | quote p50 ms | quote p99 ms | SQL per page |
|---|---|---|---|---|---|---|---|
{block('tenants')}

## Web process memory
{block('memory')}

## Notes
{chr(10).join('- ' + n for n in results.notes) or '- none'}
"""
    kept = ""
    if path.exists():  # sections written by hand or by bench/orders.py stay (from the marker on)
        old = path.read_text()
        if KEEP_MARKER in old:
            kept = "\n" + old[old.index(KEEP_MARKER):]
    path.write_text(md + kept)


KEEP_MARKER = "<!-- kept by bench/run.py: everything below -->"


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

            log(f"(e) tenant scaling: adding {plan.tenants - 10:,} tenants")
            t0 = time.perf_counter()
            asyncio.run(seed_filler_tenants(owner_engine, plan.tenants - 10, 20, plugin_names))
            asyncio.run(analyze(owner_engine))
            results.notes.append(f"{plan.tenants - 10:,} tenants bulk-loaded in {time.perf_counter() - t0:.0f} s")
            log("(e) a second database with 10 tenants, the same probe tenant, its own server")
            small_url = make_url(url).set(database=f"{make_url(url).database}_t10").render_as_string(
                hide_password=False)
            asyncio.run(recreate_database(small_url))
            upgrade_all(small_url, APP_ROLE)
            small_engine = create_async_engine(small_url, poolclass=NullPool)
            small_server = Server(small_url, workdir, args.plugins, args.redis_url)
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
    finally:
        server.stop()
        asyncio.run(owner_engine.dispose())
    tps = results.sections.get("_tps", [])
    load = [line for line in results.sections.get("load", []) if line.startswith("| 8 |")]
    if tps and load:
        ops = float(load[0].split("|")[3])
        results.sections["_ratio"] = [f"Ratio: {ops:.1f} orders/s at 8 buyers ÷ {float(tps[0]):.0f} pgbench "
                                      f"read/write TPS = **{ops / float(tps[0]):.3f}**."]
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
