"""Background jobs of the WeChat plugin (imported by the plugin so they register).

* ``wechat.notify(order_id, event, note?, site?)`` – creates the message rows of one order
  event (deduplicated by event id and recipient) and enqueues ``wechat.send`` for each; then
  re-enqueues anything due (see :func:`delivery.sweep`).
* ``wechat.low_stock(warehouse_id, product_ids, day, site?)`` – ``low_stock`` messages to
  stock staff (one per product, warehouse and day), then the sweep.
* ``wechat.credit_warning(customer_id, kind, message, day, site?)`` – a ``credit_warning``
  message to the customer's buyers (one per customer, kind and day), then the sweep.
* ``wechat.customer_notice(customer_id, kind, title, message, key, url?, site?)`` – a notice another
  plugin fired (``qudao_customer_notice``) to the customer's buyers, once per customer, kind and key.
* ``wechat.send(message_id)`` – delivers one message; raises to let Dramatiq retry only for
  transient failures; after a quota error it schedules itself again with a delay.
* ``wechat.sweep()`` – re-enqueues due ``retry_later`` messages and lost jobs; also run at the
  end of every ``wechat.notify``, from the admin's message log, and schedulable by an operator.
"""

from __future__ import annotations

from qudao.core.jobs import job
from qudao.core.plugins.context import TenantContext
from qudao.plugins.wechat import alerts, delivery, messages, notices


@job("wechat.notify", plugin="wechat")
async def notify(ctx: TenantContext, order_id: int, event: str, note: str = "", site: str | None = None) -> None:
    await messages.notify(ctx, order_id, event, note or "", site)
    await delivery.sweep(ctx)


@job("wechat.low_stock", plugin="wechat")
async def low_stock(ctx: TenantContext, warehouse_id: int, product_ids: list[int], day: str,
                    site: str | None = None) -> None:
    await alerts.notify_low_stock(ctx, int(warehouse_id), [int(p) for p in product_ids], str(day), site)
    await delivery.sweep(ctx)


@job("wechat.credit_warning", plugin="wechat")
async def credit_warning(ctx: TenantContext, customer_id: int, kind: str, message: str, day: str,
                         site: str | None = None) -> None:
    await alerts.notify_credit(ctx, int(customer_id), str(kind), str(message or ""), str(day), site)
    await delivery.sweep(ctx)


@job("wechat.customer_notice", plugin="wechat")
async def customer_notice(ctx: TenantContext, customer_id: int, kind: str, title: str, message: str, key: str,
                          url: str | None = None, site: str | None = None) -> None:
    await notices.notify_customer(ctx, int(customer_id), str(kind), str(title or ""), str(message or ""),
                                  str(key), url, site)
    await delivery.sweep(ctx)


@job("wechat.send", plugin="wechat")
async def send(ctx: TenantContext, message_id: int) -> None:
    await delivery.send(ctx, message_id)


@job("wechat.sweep", plugin="wechat")
async def sweep(ctx: TenantContext) -> None:
    await delivery.sweep(ctx)
