"""Pricing a catalog page in the bench process (issue 3): ``core.pricing.engine.resolve_prices``
alone and the whole ``web.api.catalog.catalog_page`` as the API runs it, for one customer of the
pricing tenant, with the SQL statements each sends (``StatementCounter``).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from common import APP_ROLE, Plan, Results, ms, pct
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine


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


async def buyer_context(session: Any, slug: str, code: str) -> Any:
    """The ``RequestContext`` the API builds for a request of customer ``code``'s login
    (``<code>@<slug>.bench``): tenant bound, plugin states, user and customer loaded."""
    from qudao.core.auth.models import User
    from qudao.core.customers.models import Customer
    from qudao.core.db.session import bind_tenant
    from qudao.core.plugins.host import get_host
    from qudao.tenants.models import Tenant
    from qudao.web.context import RequestContext, load_plugin_states

    host = get_host()
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    await bind_tenant(session, tenant.id)
    enabled, settings = await load_plugin_states(session, host)
    ctx = RequestContext(tenant=tenant, session=session, hooks=host.hooks_for(enabled), plugin_settings=settings)
    ctx.user = await session.scalar(select(User).where(User.email == f"{code.lower()}@{slug}.bench"))
    ctx.customer = await session.scalar(select(Customer).where(Customer.code == code))
    return ctx


async def bench_pricing(url: str, slug: str, plan: Plan, results: Results) -> None:
    from qudao.core.catalog.models import Product
    from qudao.core.customers.models import Customer
    from qudao.core.db.session import Database
    from qudao.core.pricing.engine import resolve_prices
    from qudao.tenants.models import Tenant
    from qudao.web.api.catalog import catalog_page

    db = Database(url, APP_ROLE)
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
                        ctx = await buyer_context(session, slug, "C00000")
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
