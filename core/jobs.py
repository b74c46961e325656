"""Declaring background jobs without importing Dramatiq (core stays broker-agnostic).

    @job("wechat.send", plugin="wechat")
    async def send(ctx: JobContext, event_id: str) -> None: ...

Jobs receive ids, not objects, always carry ``tenant_id``, and re-read state when
they run. The worker binds the tenant (and the RLS setting) before calling the
function and skips the job if its plugin was switched off meanwhile. Enqueue with
``enqueue_after_commit(session, "wechat.send", event_id=...)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

JobFn = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    plugin: str | None
    options: dict[str, Any] = field(default_factory=dict)


JOBS: dict[str, JobSpec] = {}


def job(name: str, *, plugin: str | None = None, **options: Any) -> Callable[[JobFn], JobFn]:
    if plugin is not None and not name.startswith(plugin + "."):
        raise ValueError(f"a plugin's job must be named '{plugin}.<job>', got '{name}'")

    def deco(fn: JobFn) -> JobFn:
        JOBS[name] = JobSpec(name, fn, plugin, options)
        return fn

    return deco
