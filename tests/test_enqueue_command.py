"""``qudao enqueue <plugin>.<job>``: the cron / CronJob entry point for periodic plugin jobs."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from qudao.core.asyncutil import run_sync
from qudao.core.db.session import Database
from qudao.core.plugins.host import get_host
from qudao.tenants.models import Tenant
from qudao.web.cli import main
from qudao.workers.schedule import enqueue_for_every_tenant, scheduled_actors
from tests.conftest import TenantAPI


def test_every_tenant_gets_the_job_once(tenant: TenantAPI, other_tenant: TenantAPI, test_settings: Any) -> None:
    assert {"rebates.close_due", "channel_tasks.remind"} <= set(scheduled_actors(get_host()))
    sent: list[tuple[str, dict[str, Any]]] = []
    n = run_sync(enqueue_for_every_tenant("rebates.close_due", get_host(), test_settings,
                                          send=lambda actor, kwargs: sent.append((actor, kwargs))))

    async def tenant_ids() -> dict[str, int]:
        db = Database(test_settings.database_url, test_settings.db_app_role)
        try:
            async with db.sessions() as s:
                return {slug: tid for slug, tid in (await s.execute(select(Tenant.slug, Tenant.id))).all()}
        finally:
            await db.dispose()

    ids = run_sync(tenant_ids())
    assert n == len(sent) == len(ids)
    assert {actor for actor, _ in sent} == {"rebates.close_due"}
    got = [kwargs["tenant_id"] for _, kwargs in sent]
    assert len(got) == len(set(got)) and ids[tenant.slug] in got and ids[other_tenant.slug] in got


def test_an_unknown_job_is_refused_and_nothing_is_sent(test_settings: Any) -> None:
    result = CliRunner().invoke(main, ["enqueue", "rebates.no_such_job"])
    assert result.exit_code == 2
    assert "unknown job 'rebates.no_such_job'" in result.output and "rebates.close_due" in result.output
