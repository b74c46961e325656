"""The job outbox (core/outbox.py): a unit of work's jobs are written in its own transaction
(one INSERT), sent and marked after commit; a send that fails leaves the row for the relay,
which sends it once the broker is back; a rollback leaves nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from qudao.core import outbox
from qudao.core.asyncutil import run_sync
from qudao.core.db.base import utcnow
from qudao.core.db.session import Database, enqueue_after_commit, set_job_sender
from qudao.core.jobs import job
from qudao.core.outbox import JobOutbox
from qudao.core.plugins.context import TenantContext
from qudao.tenants.models import Tenant
from qudao.workers.broker import join
from qudao.workers.broker import send as broker_send
from tests.conftest import TenantAPI

RAN: list[str] = []


@job("core.test_outbox_probe")
async def outbox_probe(ctx: TenantContext, label: str) -> None:
    RAN.append(label)


async def _tenant_id(db: Database, slug: str) -> int:
    async with db.sessions() as s:
        return int(await s.scalar(select(Tenant.id).where(Tenant.slug == slug)))


def _run(settings: Any, slug: str, labels: list[str], *, commit: bool = True) -> dict[str, Any]:
    """Enqueue probes in one transaction, counting the INSERTs into job_outbox it issues."""

    async def go() -> dict[str, Any]:
        db = Database(settings.database_url, settings.db_app_role)
        inserts: list[str] = []

        def count(_conn: Any, _cur: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("INSERT INTO JOB_OUTBOX"):
                inserts.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            tid = await _tenant_id(db, slug)
            async with db.session(tid) as s:
                await s.scalar(select(Tenant.id).limit(1))
                for label in labels:
                    enqueue_after_commit(s, "core.test_outbox_probe", label=label)
                ids = [j[0] for j in s.sync_session.info["pending_jobs"]]
                await (s.commit() if commit else s.rollback())
            async with db.sessions() as s:
                rows = (await s.scalars(select(JobOutbox).where(JobOutbox.id.in_(ids)))).all()
            return {"inserts": len(inserts), "rows": {r.kwargs["label"]: r for r in rows}, "tenant_id": tid}
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
            await db.dispose()

    return run_sync(go())


def _relay(settings: Any, send: Any, *, later: timedelta = outbox.GRACE + timedelta(seconds=1)) -> int:
    async def go() -> int:
        db = Database(settings.database_url, settings.db_app_role)
        try:
            return await outbox.relay_once(db, send, now=utcnow() + later)
        finally:
            await db.dispose()

    return run_sync(go())


def test_jobs_are_written_in_one_insert_and_marked_sent(client: Any, test_settings: Any,
                                                        tenant: TenantAPI) -> None:
    result = _run(test_settings, tenant.slug, ["a", "b", "c"])
    assert result["inserts"] == 1
    rows = result["rows"]
    assert set(rows) == {"a", "b", "c"}
    assert all(r.sent_at is not None for r in rows.values())
    assert all(r.kwargs["tenant_id"] == result["tenant_id"] and r.actor == "core.test_outbox_probe"
               for r in rows.values())
    join()
    assert {"a", "b", "c"} <= set(RAN)


def test_rolled_back_unit_leaves_no_row(client: Any, test_settings: Any, tenant: TenantAPI) -> None:
    result = _run(test_settings, tenant.slug, ["rolled-back"], commit=False)
    assert result["rows"] == {} and result["inserts"] == 0
    join()
    assert "rolled-back" not in RAN


def test_broker_down_at_commit_keeps_the_job_for_the_relay(client: Any, test_settings: Any,
                                                           tenant: TenantAPI) -> None:
    def broker_down(actor: str, kwargs: dict[str, Any], delay_ms: int | None = None) -> None:
        raise ConnectionError("Redis is down")

    set_job_sender(broker_down)
    try:
        result = _run(test_settings, tenant.slug, ["kept"])  # commits: no exception escapes
    finally:
        set_job_sender(lambda actor, kwargs, delay_ms=None: broker_send(actor, kwargs, delay_ms))
    row = result["rows"]["kept"]
    assert row.sent_at is None
    join()
    assert "kept" not in RAN
    # too early for the relay (the fast path might still be marking it)
    assert _relay(test_settings, broker_send, later=timedelta(0)) == 0
    # the broker is still down: the relay backs off
    assert _relay(test_settings, broker_down) == 0

    async def reread() -> JobOutbox:
        db = Database(test_settings.database_url, test_settings.db_app_role)
        try:
            async with db.sessions() as s:
                return await s.get(JobOutbox, row.id)
        finally:
            await db.dispose()

    backed_off = run_sync(reread())
    assert backed_off.sent_at is None and backed_off.attempts == 1 and "Redis is down" in backed_off.last_error
    # broker back: sent once, marked, and never again
    assert _relay(test_settings, broker_send, later=timedelta(minutes=10)) >= 1
    join()
    assert RAN.count("kept") == 1
    assert run_sync(reread()).sent_at is not None
    assert _relay(test_settings, broker_send, later=timedelta(minutes=20)) == 0
    join()
    assert RAN.count("kept") == 1
    # a week after it was sent, the row is pruned by the relay
    _relay(test_settings, broker_send, later=timedelta(days=8))
    assert run_sync(reread()) is None
