"""Daily trigger: enqueue ``channel_tasks.remind`` for every tenant (``python -m qudao.plugins.channel_tasks.schedule``).

Qudao has no scheduler of its own; run this once a day from cron or a CronJob (helm/README.md),
besides the first task-list view of the day. Duplicate runs are harmless: a customer is reminded
at most once per task and day, and tenants with the plugin off skip the job.
"""

from __future__ import annotations

from sqlalchemy import select


async def enqueue_all() -> int:
    from qudao.core.config import get_settings
    from qudao.core.db.session import Database
    from qudao.tenants.models import Tenant
    from qudao.workers.broker import send, setup_broker

    settings = get_settings()
    setup_broker(settings, start_worker=False)
    db = Database(settings.database_url, settings.db_app_role)
    try:
        async with db.sessions() as session:
            ids = list((await session.scalars(select(Tenant.id))).all())
    finally:
        await db.dispose()
    for tenant_id in ids:
        send("channel_tasks.remind", {"tenant_id": tenant_id})
    return len(ids)


if __name__ == "__main__":  # pragma: no cover - a command
    from qudao.core.asyncutil import run_sync

    print(f"channel_tasks.remind enqueued for {run_sync(enqueue_all())} tenants")
