"""Delayed jobs: ``enqueue_after_commit(..., delay_ms=)`` reaches Dramatiq's delay queue and the
job runs no earlier than asked, after commit only, on the in-process broker and on Redis."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.db.session import Database, enqueue_after_commit
from qudao.core.jobs import job
from qudao.core.plugins.context import TenantContext
from qudao.tenants.models import Tenant
from qudao.workers.broker import join
from tests.conftest import TenantAPI

RAN: dict[str, tuple[float, int | None]] = {}


@job("core.test_delayed_probe")
async def delayed_probe(ctx: TenantContext, label: str) -> None:
    RAN[label] = (time.monotonic(), ctx.tenant.id if ctx.tenant else None)


def _enqueue(settings: Any, slug: str, jobs: list[tuple[str, int | None]], *, commit: bool = True) -> tuple[int, float]:
    """Enqueue ``(label, delay_ms)`` jobs in one transaction; returns the tenant id and commit time."""

    async def go() -> tuple[int, float]:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            async with db.sessions() as s:
                tid = await s.scalar(select(Tenant.id).where(Tenant.slug == slug))
            async with db.session(tid) as s:
                await s.scalar(select(Tenant.id).limit(1))
                for label, delay in jobs:
                    enqueue_after_commit(s, "core.test_delayed_probe", delay_ms=delay, label=label)
                # the jobs are sent as the commit ends (then marked sent in the outbox, which
                # takes a moment more): time it from just before
                committed = time.monotonic()
                if commit:
                    await s.commit()
                else:
                    await s.rollback()
                return int(tid), committed
        finally:
            await db.dispose()

    return run_sync(go())


def test_delayed_job_runs_after_its_delay(client: Any, test_settings: Any, tenant: TenantAPI) -> None:
    tid, committed = _enqueue(test_settings, tenant.slug, [("later", 800), ("now", None), ("zero", 0)])
    _enqueue(test_settings, tenant.slug, [("rolled-back", 100)], commit=False)
    join()
    assert set(RAN) >= {"later", "now", "zero"} and "rolled-back" not in RAN
    later, now = RAN["later"], RAN["now"]
    assert later[1] == tid and now[1] == tid  # the tenant travels with a delayed job too
    assert later[0] - committed >= 0.8, later[0] - committed
    assert now[0] - committed < 0.8 and now[0] < later[0]


def test_several_delays_run_in_due_order(client: Any, test_settings: Any, tenant: TenantAPI) -> None:
    _, committed = _enqueue(test_settings, tenant.slug, [("c-900", 900), ("a-300", 300), ("b-600", 600)])
    join()
    order = sorted(("a-300", "b-600", "c-900"), key=lambda label: RAN[label][0])
    assert order == ["a-300", "b-600", "c-900"]
    for label, delay in (("a-300", 0.3), ("b-600", 0.6), ("c-900", 0.9)):
        assert RAN[label][0] - committed >= delay


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100", 8 * 24 * 3600 * 1000])
def test_bad_delay_is_refused_and_nothing_is_queued(client: Any, test_settings: Any, tenant: TenantAPI,
                                                    bad: Any) -> None:
    async def go() -> list[Any]:
        db = Database(test_settings.database_url, test_settings.db_app_role)
        try:
            async with db.session(None) as s:
                with pytest.raises(ValueError, match="delay_ms"):
                    enqueue_after_commit(s, "core.test_delayed_probe", delay_ms=bad, label="bad")
                return list(s.sync_session.info.get("pending_jobs", []))
        finally:
            await db.dispose()

    assert run_sync(go()) == []
