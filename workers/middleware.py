"""Dramatiq middleware: counts jobs run and failed for /metrics and logs failures."""

from __future__ import annotations

from typing import Any

import dramatiq
import structlog

log = structlog.get_logger("qudao.jobs")


class TenantMiddleware(dramatiq.Middleware):
    """Jobs must carry a tenant id; the actor wrapper binds it (and RLS) before running."""

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        if "tenant_id" not in message.kwargs:
            log.warning("job_without_tenant", actor=message.actor_name)

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message, *,
                              result: Any = None, exception: BaseException | None = None) -> None:
        from qudao.web import metrics

        outcome = "failed" if exception is not None else "ok"
        metrics.JOBS.labels(actor=message.actor_name, outcome=outcome).inc()
        if exception is not None:
            log.warning("job_failed", actor=message.actor_name, error=repr(exception),
                        retries=message.options.get("retries", 0))
