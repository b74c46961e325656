"""Turns every ``@job`` into a Dramatiq actor that binds the tenant before it runs."""

from __future__ import annotations

import importlib
from typing import Any

import dramatiq
import structlog

from qudao.core.config import get_settings
from qudao.core.db.session import Database
from qudao.core.jobs import JOBS, JobSpec
from qudao.core.plugins.context import TenantContext
from qudao.core.plugins.host import get_host
from qudao.tenants.models import Tenant

log = structlog.get_logger("qudao.jobs")
_db: dict[str, Database] = {}
BUILTIN_JOB_MODULES = ("qudao.workers.jobs", "qudao.core.imports.jobs")


def job_db() -> Database:
    """One Database per worker process, created inside the worker's event loop."""
    settings = get_settings()
    db = _db.get(settings.database_url)
    if db is None:
        db = Database(settings.database_url, settings.db_app_role)
        _db[settings.database_url] = db
    return db


async def run_job(spec: JobSpec, tenant_id: int | None, kwargs: dict[str, Any]) -> None:
    from qudao.web.context import load_plugin_states

    host = get_host()
    async with job_db().sessions() as session:
        from qudao.core.db.session import bind_tenant

        tenant = await session.get(Tenant, tenant_id) if tenant_id is not None else None
        if tenant_id is not None and tenant is None:
            log.warning("job_tenant_gone", job=spec.name, tenant_id=tenant_id)
            return
        await bind_tenant(session, tenant_id)
        enabled, settings = await load_plugin_states(session, host) if tenant else (frozenset(), {})
        if spec.plugin is not None and spec.plugin not in enabled:
            log.info("job_skipped_plugin_off", job=spec.name, tenant_id=tenant_id)
            return
        ctx = TenantContext(tenant=tenant, session=session, hooks=host.hooks_for(enabled),  # type: ignore[arg-type]
                            plugin_settings=settings)
        await spec.fn(ctx, **kwargs)


def declare_all(broker: dramatiq.Broker) -> None:
    for module in BUILTIN_JOB_MODULES:
        importlib.import_module(module)
    get_host()  # importing plugins registers their jobs
    for spec in list(JOBS.values()):
        if spec.name in broker.actors:
            continue

        def make(spec: JobSpec) -> Any:
            async def actor_fn(tenant_id: int | None = None, **kwargs: Any) -> None:
                structlog.contextvars.bind_contextvars(job=spec.name, tenant_id=tenant_id)
                try:
                    await run_job(spec, tenant_id, kwargs)
                finally:
                    structlog.contextvars.clear_contextvars()

            actor_fn.__name__ = spec.name.replace(".", "_")
            return actor_fn

        options = {"max_retries": 10, "min_backoff": 1000, "max_backoff": 300_000, **spec.options}
        dramatiq.actor(make(spec), actor_name=spec.name, queue_name="default", broker=broker, **options)
