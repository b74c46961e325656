"""Jobs: sent only after commit, run with the tenant bound, skipped when their plugin is off."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from qudao.core.asyncutil import run_sync
from qudao.core.catalog.models import Product
from qudao.core.db.session import Database, enqueue_after_commit
from qudao.core.jobs import job
from qudao.core.plugins.context import TenantContext
from qudao.tenants.models import Tenant
from qudao.workers.broker import join
from tests.conftest import TenantAPI

SEEN: list[tuple[str, int | None, int]] = []


@job("core.test_count_products")
async def count_products(ctx: TenantContext, label: str) -> None:
    """Counts the tenant's products: proves the worker bound the job's tenant."""
    count = await ctx.session.scalar(select(func.count()).select_from(Product))
    SEEN.append((label, ctx.tenant.id if ctx.tenant else None, int(count or 0)))


@job("credit.test_probe", plugin="credit")
async def credit_probe(ctx: TenantContext, label: str) -> None:
    SEEN.append((label, ctx.tenant.id, -1))


def _enqueue(settings: Any, slug: str, actor: str, label: str, *, commit: bool) -> int:
    async def go() -> int:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tid = await s.scalar(select(Tenant.id).where(Tenant.slug == slug))
            async with db.session(tid) as s:
                await s.scalar(select(func.count()).select_from(Product))
                enqueue_after_commit(s, actor, label=label)
                if commit:
                    await s.commit()
                else:
                    await s.rollback()
            return int(tid)
        finally:
            await db.dispose()

    return run_sync(go())


def test_job_runs_after_commit_with_its_tenant(client: Any, test_settings: Any, tenant: TenantAPI,
                                               other_tenant: TenantAPI) -> None:
    tenant.ok("put", "/products/J1", {"name": "J", "price": "1.00"})
    tenant.ok("put", "/products/J2", {"name": "J", "price": "1.00"})
    other_tenant.ok("put", "/products/K1", {"name": "K", "price": "1.00"})
    tid = _enqueue(test_settings, tenant.slug, "core.test_count_products", "committed", commit=True)
    _enqueue(test_settings, tenant.slug, "core.test_count_products", "rolled-back", commit=False)
    join()
    mine = [s for s in SEEN if s[0] in ("committed", "rolled-back")]
    assert mine == [("committed", tid, 2)]


def test_plugin_job_skipped_while_plugin_off(client: Any, test_settings: Any, tenant: TenantAPI) -> None:
    _enqueue(test_settings, tenant.slug, "credit.test_probe", "off", commit=True)
    join()
    tenant.ok("put", "/plugins/credit", {"enabled": True})
    tid = _enqueue(test_settings, tenant.slug, "credit.test_probe", "on", commit=True)
    join()
    labels = [(s[0], s[1]) for s in SEEN if s[0] in ("off", "on")]
    assert labels == [("on", tid)]
