"""``qudao enqueue ACTOR``: send one plugin job for every tenant, for cron or a Kubernetes CronJob.

Qudao has no scheduler of its own. Periodic plugin work (``rebates.close_due``,
``channel_tasks.remind``) is a job that is idempotent per tenant, so a daily CronJob running
``qudao enqueue <plugin>.<job>`` is all it takes: the worker middleware skips the tenants that
have the plugin off, and a repeated run does nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from qudao.core.plugins.host import PluginHost


def scheduled_actors(host: PluginHost) -> list[str]:
    """Every job an installed plugin declares (``PluginMeta.actors``)."""
    return sorted(actor for meta in host.metas.values() for actor in meta.actors)


async def enqueue_for_every_tenant(actor: str, host: PluginHost, settings: Any,
                                   send: Callable[[str, dict[str, Any]], None] | None = None) -> int:
    """Send ``actor`` once per tenant (``{"tenant_id": …}``); returns how many were sent.

    Raises ``ValueError`` for an actor no installed plugin declares, before anything is sent.
    """
    if actor not in scheduled_actors(host):
        raise ValueError(f"unknown job {actor!r}; installed plugins declare: {', '.join(scheduled_actors(host))}")
    from qudao.core.db.session import Database
    from qudao.tenants.models import Tenant

    if send is None:
        from qudao.workers.broker import send as broker_send
        from qudao.workers.broker import setup_broker

        setup_broker(settings, start_worker=False)
        send = broker_send
    db = Database(settings.database_url, settings.db_app_role)
    try:
        async with db.sessions() as session:
            ids = list((await session.scalars(select(Tenant.id).order_by(Tenant.id))).all())
    finally:
        await db.dispose()
    for tenant_id in ids:
        send(actor, {"tenant_id": tenant_id})
    return len(ids)
