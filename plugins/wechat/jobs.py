"""Background jobs of the WeChat plugin (imported by the plugin so they register).

* ``wechat.notify(order_id, event, note?, site?)`` – creates the message rows of one order
  event (deduplicated by event id and recipient) and enqueues ``wechat.send`` for each; then
  re-enqueues anything due (see :func:`service.sweep`).
* ``wechat.send(message_id)`` – delivers one message; raises to let Dramatiq retry only for
  transient failures.
* ``wechat.sweep()`` – re-enqueues due ``retry_later`` messages and lost jobs; also run at the
  end of every ``wechat.notify``, from the admin's message log, and schedulable by an operator.
"""

from __future__ import annotations

from qudao.core.jobs import job
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat import service


@job("wechat.notify", plugin="wechat")
async def notify(ctx: TenantContext, order_id: int, event: str, note: str = "", site: str | None = None) -> None:
    await service.notify(ctx, order_id, event, note or "", site)
    await service.sweep(ctx)


@job("wechat.send", plugin="wechat")
async def send(ctx: TenantContext, message_id: int) -> None:
    await service.send(ctx, message_id)


@job("wechat.sweep", plugin="wechat")
async def sweep(ctx: TenantContext) -> None:
    await service.sweep(ctx)
